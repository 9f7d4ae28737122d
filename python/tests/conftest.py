"""Shared fixtures: a synthetic recording, a small fitted detector, the data folders."""

import os
import pathlib

import numpy as np
import pytest

import ecg_anomaly as ea

ROOT = pathlib.Path(__file__).resolve().parents[2]
EDF_DIR = ROOT / "tests" / "data" / "edf"

# A short run: the library's default model and context, a low epoch cap, a fixed seed.
SMALL = {"training": {"epochs": 8, "seed": 7, "quiet": True}}


def synthetic(seconds: float, seed: int, fs: float = 360.0):
    """A labelled synthetic lead: (float32 samples, fs, beats)."""
    ecg, beats = ea.synthetic_ecg({"fs": fs, "length": {"Seconds": seconds}, "seed": seed})
    return ecg.signals[0], fs, beats


@pytest.fixture(scope="session")
def training():
    return synthetic(240.0, seed=1)


@pytest.fixture(scope="session")
def unseen():
    return synthetic(120.0, seed=2)


@pytest.fixture(scope="session")
def detector(training):
    signal, fs, _ = training
    return ea.DetectorConfig(SMALL).fit_signal(signal, fs)


def env_path(name: str, what: str):
    """The folder or file in environment variable `name`: None when unset (the test skips),
    a failure when set and missing (CI sets them; a wrong value must not pass silently)."""
    value = os.environ.get(name)
    if not value:
        return None
    path = pathlib.Path(value)
    assert path.exists(), f"{name}={value}: no such {what}"
    return path


@pytest.fixture(scope="session")
def mitdb():
    data = env_path("ECG_DATA_DIR", "folder")
    if data is None:
        pytest.skip("ECG_DATA_DIR is not set (the folder holding mitdb/)")
    assert (data / "mitdb" / "100.hea").exists(), f"{data}/mitdb lacks record 100"
    return data / "mitdb"


@pytest.fixture(scope="session")
def cli():
    binary = env_path("ECG_ANOMALY_CLI", "file")
    if binary is None:
        pytest.skip("ECG_ANOMALY_CLI is not set (the ecg-anomaly binary, built with --features cli)")
    return binary


def assert_same_columns(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
