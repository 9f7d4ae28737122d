"""Known answers: the same input gives the same results through Python as through the Rust
command line, and EDF files written by pyedflib read back to pyedflib's samples."""

import json
import subprocess

import numpy as np
import pytest

import ecg_anomaly as ea
from conftest import EDF_DIR, SMALL


def run(cli, *args):
    done = subprocess.run([str(cli), *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


def test_python_and_the_cli_fit_and_judge_alike(cli, training, unseen, tmp_path):
    (signal, fs, _), (later, _, _) = training, unseen
    np.savetxt(tmp_path / "train.csv", signal, fmt="%.9g")
    np.savetxt(tmp_path / "later.csv", later, fmt="%.9g")
    config = ea.DetectorConfig(SMALL)
    config.save(tmp_path / "config.json")

    # The same configuration and seed fitted by the binary and by Python: the same detector.
    run(cli, "train", "--csv", tmp_path / "train.csv", "--fs", fs,
        "--config", tmp_path / "config.json", "--out", tmp_path / "cli-det")
    from_cli = ea.Detector.load(tmp_path / "cli-det")
    from_python = config.fit_signal(signal, fs)
    assert from_cli.threshold == from_python.threshold
    assert from_cli.metadata["data_fingerprint"] == from_python.metadata["data_fingerprint"]

    # The binary's verdicts on a later part, with the detector Python saved.
    from_python.save(tmp_path / "py-det")
    run(cli, "detect", "--detector", tmp_path / "py-det", "--fs", fs, "--format", "json",
        "--output", tmp_path / "verdicts.json", tmp_path / "later.csv")
    rows = json.loads((tmp_path / "verdicts.json").read_text())
    ours = from_python.detect_signal(later, fs)
    assert len(rows) == len(ours["score"]) > 100
    np.testing.assert_array_equal([row["sample"] for row in rows], ours["position"])
    for key in ["index", "score", "calibrated", "anomaly", "usable"]:
        np.testing.assert_array_equal([row[key] for row in rows], ours[key], err_msg=key)


def expected():
    return json.loads((EDF_DIR / "expected.json").read_text())


def test_edf_reads_back_what_pyedflib_wrote():
    want = expected()["two_rates.edf"]["signals"][0]
    ecg = ea.read_ecg(EDF_DIR / "two_rates.edf")
    # The respiration signal at 25 Hz is not ECG: one lead, at its own rate.
    assert (ecg.fs, len(ecg), ecg.lead_names) == (want["fs"], want["samples"], ["II"])
    lead = ecg.lead("II").astype(np.float64)
    np.testing.assert_allclose(lead[: len(want["first"])], want["first"], atol=1e-6)
    assert abs(lead.sum() - want["sum"]) < 1e-3


def test_edf_plus_in_microvolts_reads_in_millivolts():
    want = expected()["annotated.edf"]["signals"]
    ecg = ea.read_ecg(EDF_DIR / "annotated.edf")
    assert ecg.lead_names == ["ECG", "V1"] and ecg.signals.shape == (2, want[0]["samples"])
    for row, signal in zip(ecg.signals, want):
        assert signal["unit"] == "uV"
        np.testing.assert_allclose(row[: len(signal["first"])],
                                   np.asarray(signal["first"]) / 1000, atol=1e-6)


def test_a_damaged_edf_raises_naming_byte_and_field(tmp_path):
    data = bytearray((EDF_DIR / "two_rates.edf").read_bytes())
    data[236:244] = b"x1      "  # the number of data records, not a number
    (tmp_path / "bad.edf").write_bytes(bytes(data))
    with pytest.raises(ea.EcgAnomalyError, match=r"byte 236 \(number of data records\)"):
        ea.read_ecg(tmp_path / "bad.edf")
    with pytest.raises(ea.EcgAnomalyError, match="missing.edf"):
        ea.read_ecg(tmp_path / "missing.edf")
