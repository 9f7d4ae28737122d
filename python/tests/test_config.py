"""DetectorConfig: from a dict or JSON, checked as the crate checks a file."""

import json

import pytest

import ecg_anomaly as ea


def test_the_default_is_the_crates_default():
    default = ea.DetectorConfig().to_dict()
    assert default["model"]["kind"] == "conv_vae"
    assert default["pipeline"]["resample_to"] == 180.0
    assert ea.DetectorConfig(default) == ea.DetectorConfig()
    assert ea.DetectorConfig(json.dumps(default)) == ea.DetectorConfig()


def test_fields_override_and_the_rest_stays_default():
    config = ea.DetectorConfig({"training": {"epochs": 3, "seed": 9}})
    d = config.to_dict()
    assert (d["training"]["epochs"], d["training"]["seed"]) == (3, 9)
    assert d["model"] == ea.DetectorConfig().to_dict()["model"]
    assert config != ea.DetectorConfig()


def test_a_typo_at_any_depth_raises_naming_it():
    with pytest.raises(ea.EcgAnomalyError, match=r"`training\.epoch`"):
        ea.DetectorConfig({"training": {"epoch": 3}})


def test_out_of_range_raises_naming_the_setting():
    with pytest.raises(ea.EcgAnomalyError, match="validation_fraction"):
        ea.DetectorConfig({"validation_fraction": 1.5})
    with pytest.raises(ea.EcgAnomalyError, match="invalid config"):
        ea.DetectorConfig("{not json")


def test_other_types_raise_type_error():
    with pytest.raises(TypeError, match="dict or a JSON string"):
        ea.DetectorConfig(42)


def test_save_and_load(tmp_path):
    config = ea.DetectorConfig({"training": {"epochs": 4}})
    config.save(tmp_path / "config.json")
    assert ea.DetectorConfig.load(tmp_path / "config.json") == config
    (tmp_path / "bad.json").write_text('{"threshold": {"kind": "percentile", "q": 200}}')
    with pytest.raises(ea.EcgAnomalyError, match="bad.json"):
        ea.DetectorConfig.load(tmp_path / "bad.json")
