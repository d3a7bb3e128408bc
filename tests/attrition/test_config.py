"""Training configs: the shipped ones parse; bad keys and values are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from attrition.config import SHIPPED_CONFIGS, config_to_yaml, load_config, parse_config
from attrition.errors import ConfigError

CONFIGS = SHIPPED_CONFIGS
MINIMAL = {"name": "m", "target": "client_outflow", "model": {"type": "coxph"}}


@pytest.mark.parametrize(
    "name",
    [
        "client_outflow",
        "rm_resignation",
        "flat_rossi",
        "flat",
        "client_outflow_sequence",
        "rm_resignation_sequence",
    ],
)
def test_shipped_configs_parse_and_round_trip(name):
    cfg = load_config(CONFIGS / f"{name}.yaml")
    assert cfg.name == name
    import yaml

    assert parse_config(yaml.safe_load(config_to_yaml(cfg))) == cfg


def test_relative_data_paths_are_relative_to_the_config_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the config's folder: the path must not depend on it
    cfg = load_config(CONFIGS / "flat_rossi.yaml")
    assert Path(cfg.data.path) == CONFIGS / "data" / "rossi.csv"


def test_source_override_replaces_the_data_source():
    cfg = parse_config(MINIMAL).with_source("sqlite:///x.db")
    assert cfg.data.source == "sqlite:///x.db"


@pytest.mark.parametrize(
    ("change", "match"),
    [
        pytest.param({"target": "churn"}, r"target: .*'client_outflow'.*got 'churn'", id="target"),
        pytest.param({"modle": {}}, r"modle: unknown key", id="typo"),
        pytest.param({"horizons": [0, 3]}, r"horizons: horizons must be positive", id="horizon"),
        pytest.param(
            {"landmarks": {"count": 3, "holdout": 3}}, r"landmarks.*holdout", id="holdout"
        ),
        pytest.param({"split": {"test_fraction": 1.5}}, r"split.test_fraction", id="fraction"),
        pytest.param({"target": "flat"}, r"target 'flat' needs data.path", id="flat"),
        pytest.param({"name": "bad name!"}, r"name:", id="name"),
    ],
)
def test_bad_values_name_the_key_and_what_is_allowed(change, match):
    with pytest.raises(ConfigError, match=match):
        parse_config({**MINIMAL, **change})


def test_every_bad_key_is_reported_at_once():
    with pytest.raises(ConfigError) as info:
        parse_config({**MINIMAL, "target": "x", "seed": -1, "extra": 1})
    text = str(info.value)
    assert "target" in text and "seed" in text and "extra" in text


def test_missing_or_broken_file_is_a_plain_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
