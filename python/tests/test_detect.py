"""Fitting, judging, saving and loading through Python; arrays of any dtype and layout."""

import threading

import numpy as np
import pytest

import ecg_anomaly as ea
from conftest import SMALL, assert_same_columns

COLUMNS = ["index", "position", "score", "model_score", "calibrated", "anomaly", "usable"]


def test_verdicts_are_numpy_columns_a_dataframe_takes(detector, unseen):
    signal, fs, beats = unseen
    result = detector.detect_signal(signal, fs)
    assert list(result) == COLUMNS
    n = len(result["index"])
    assert n > 100 and all(len(column) == n for column in result.values())
    assert result["index"].dtype == np.int64 and result["anomaly"].dtype == np.bool_
    assert np.isfinite(result["score"]).all()
    assert ((0 <= result["calibrated"]) & (result["calibrated"] <= 1)).all()
    assert (result["anomaly"] == (result["score"] > detector.threshold)).all()
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(result)
    assert frame.shape == (n, len(COLUMNS))


def test_flagged_beats_are_mostly_the_abnormal_ones(detector, unseen):
    signal, fs, beats = unseen
    result = detector.detect_signal(signal, fs)
    truth = np.asarray(beats["anomaly"])
    peaks = np.asarray(beats["r_peak"])
    # Each judged beat's nearest labelled beat (within 50 ms).
    nearest = np.abs(result["position"][:, None] - peaks[None, :]).argmin(axis=1)
    close = np.abs(result["position"] - peaks[nearest]) <= 0.05 * fs
    assert close.mean() > 0.95
    abnormal = truth[nearest][close]
    flagged = result["anomaly"][close]
    # Scores rank abnormal beats above normal ones (a real ROC-AUC, by ranks).
    scores = result["score"][close]
    ranks = scores.argsort().argsort()
    pos, neg = ranks[abnormal], ranks[~abnormal]
    auc = (pos.sum() - len(pos) * (len(pos) - 1) / 2) / (len(pos) * len(neg))
    assert abnormal.sum() >= 3 and auc > 0.8, auc
    assert flagged[~abnormal].mean() < 0.2


def test_save_and_load_give_the_same_verdicts(detector, unseen, tmp_path):
    signal, fs, _ = unseen
    detector.save(tmp_path / "det")
    loaded = ea.Detector.load(tmp_path / "det")
    assert loaded.threshold == detector.threshold
    # The weights' checksum is written by save.
    saved = {k: v for k, v in loaded.metadata.items() if k != "weights_checksum"}
    assert saved == {k: v for k, v in detector.metadata.items() if k != "weights_checksum"}
    assert loaded.metadata["weights_checksum"]
    assert loaded.config == detector.config
    assert_same_columns(loaded.detect_signal(signal, fs), detector.detect_signal(signal, fs))


def test_any_real_dtype_and_layout_gives_the_same_verdicts(detector, unseen):
    signal, fs, _ = unseen
    want = detector.detect_signal(signal, fs)
    # float64 and a Python list hold the float32 values exactly.
    assert_same_columns(detector.detect_signal(signal.astype(np.float64), fs), want)
    assert_same_columns(detector.detect_signal(signal[:20000].tolist(), fs),
                        detector.detect_signal(signal[:20000], fs))
    # A strided view (a column of a 2-D array) and a Fortran-ordered one.
    both = np.stack([signal, -signal], axis=1)
    assert not both[:, 0].flags["C_CONTIGUOUS"]
    assert_same_columns(detector.detect_signal(both[:, 0], fs), want)
    assert_same_columns(detector.detect_signal(np.asfortranarray(both)[:, 0], fs), want)
    # Integers (e.g. ADC units): the same as their float32 values.
    digital = np.round(signal * 200).astype(np.int16)
    assert_same_columns(detector.detect_signal(digital, fs),
                        detector.detect_signal(digital.astype(np.float32), fs))


def test_bad_input_raises_with_the_crates_message(detector, unseen):
    signal, fs, _ = unseen
    nan = signal.copy()
    nan[1234] = np.nan
    with pytest.raises(ea.EcgAnomalyError, match="sample 1234"):
        detector.detect_signal(nan, fs)
    with pytest.raises(ea.EcgAnomalyError, match="fs"):
        detector.detect_signal(signal, 0.0)
    with pytest.raises(ea.EcgAnomalyError, match="fs"):
        detector.detect_signal(signal, float("nan"))
    with pytest.raises(ea.EcgAnomalyError):
        detector.detect_signal(np.zeros(0, np.float32), fs)
    with pytest.raises(ea.EcgAnomalyError, match="no beat"):
        detector.detect_signal(signal[:100], fs)
    with pytest.raises(ValueError, match="1-D"):
        detector.detect_signal(np.stack([signal, signal]), fs)
    with pytest.raises(TypeError, match="real numbers"):
        detector.detect_signal(signal.astype(np.complex64), fs)
    with pytest.raises(TypeError, match="real numbers"):
        detector.detect_signal(["a", "b"], fs)
    with pytest.raises(ea.EcgAnomalyError, match="device"):
        ea.fit_signal(signal, fs, SMALL, device="tpu")
    with pytest.raises(ea.EcgAnomalyError):
        ea.Detector.load("/nonexistent/detector")


def test_a_damaged_detector_folder_raises(detector, tmp_path):
    detector.save(tmp_path / "det")
    (tmp_path / "det" / "threshold.json").write_text('{"value": "high"}')
    with pytest.raises(ea.EcgAnomalyError, match="threshold.json"):
        ea.Detector.load(tmp_path / "det")


def test_judging_releases_the_gil(detector, unseen):
    signal, fs, _ = unseen
    long = np.tile(signal, 4)
    done = []
    worker = threading.Thread(target=lambda: done.append(detector.detect_signal(long, fs)))
    spins = 0
    worker.start()
    while worker.is_alive():
        spins += 1
    worker.join()
    assert done and len(done[0]["score"]) > 400
    # Holding the GIL for the whole call would leave this loop a few turns at most.
    assert spins > 10_000, spins


def test_the_module_level_fit_is_the_configs(training, unseen):
    signal, fs, _ = training
    a = ea.fit_signal(signal[: 90 * 360], fs, SMALL)
    b = ea.DetectorConfig(SMALL).fit_signal(signal[: 90 * 360], fs)
    assert a.threshold == b.threshold, "same seed, same model"
    assert ea.devices()[0] == "flex"
