"""Records and several leads: Ecg from NumPy, MIT-BIH records, a two-lead detector."""

import numpy as np
import pytest

import ecg_anomaly as ea
from conftest import assert_same_columns

TWO = {"leads": ["MLII", "V1"], "training": {"epochs": 5, "seed": 3, "quiet": True}}


def test_an_ecg_from_numpy_is_checked():
    ecg = ea.Ecg(np.zeros((2, 1000)), 250.0, ["I", "II"])
    assert (ecg.fs, len(ecg), ecg.lead_names, ecg.duration_s) == (250.0, 1000, ["I", "II"], 4.0)
    assert ecg.signals.dtype == np.float32 and ecg.signals.shape == (2, 1000)
    assert ea.Ecg(np.ones(10), 100.0).lead_names == ["lead1"]
    with pytest.raises(ea.EcgAnomalyError, match="2 names for 1 leads"):
        ea.Ecg(np.ones(10), 100.0, ["I", "II"])
    with pytest.raises(ea.EcgAnomalyError, match="fs"):
        ea.Ecg(np.ones(10), -1.0)
    with pytest.raises(ea.EcgAnomalyError, match="named twice"):
        ea.Ecg(np.ones((2, 10)), 100.0, ["I", "I"])
    with pytest.raises(ValueError, match="dimensions"):
        ea.Ecg(np.ones((2, 2, 2)), 100.0)
    with pytest.raises(ea.EcgAnomalyError, match="no lead named"):
        ecg.lead("V9")


def head(ecg, seconds):
    n = int(seconds * ecg.fs)
    return ea.Ecg(ecg.signals[:, :n], ecg.fs, ecg.lead_names)


def test_a_two_lead_detector_fits_saves_loads_and_judges_mitbih(mitdb, tmp_path):
    # 101 and 106 have MLII and V1; 100 has MLII and V5.
    train = [head(ea.read_ecg(mitdb / name), 300) for name in ["101", "106"]]
    assert train[0].lead_names == ["MLII", "V1"] and train[0].fs == 360.0
    detector = ea.DetectorConfig(TWO).fit_ecgs(train)
    assert detector.metadata["leads"] == ["MLII", "V1"] and detector.metadata["channels"] == 2
    detector.save(tmp_path / "two")
    loaded = ea.Detector.load(tmp_path / "two")
    record = head(ea.read_ecg(mitdb / "101.hea"), 600)
    result = loaded.detect_ecg(record)
    assert_same_columns(result, detector.detect_ecg(record))
    assert len(result["score"]) > 500 and np.isfinite(result["score"]).all()
    # A two-lead detector refuses one lead, and a record without V1 names the lead it lacks.
    with pytest.raises(ea.EcgAnomalyError, match="detect_ecg"):
        loaded.detect_signal(record.lead("MLII"), 360.0)
    with pytest.raises(ea.EcgAnomalyError, match=r'no lead "V1" \(its leads: MLII, V5\)'):
        loaded.detect_ecg(head(ea.read_ecg(mitdb / "100"), 60))
