"""What score and train refuse, and what they choose: an as-of before the data, a stray
month after it, a flat table with bad values or new categories, a short history."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from attrition.cli import app
from attrition.config import SHIPPED_CONFIGS, load_config, parse_config
from attrition.contracts import BankData
from attrition.errors import ConfigError, DataContractError
from attrition.io import load_flat, write_tables
from attrition.pipeline.datasets import landmark_months
from attrition.pipeline.flat import score_flat
from attrition.pipeline.score import score_bank
from attrition.pipeline.train import train
from attrition.playbook import load_playbook
from attrition.registry import ModelRegistry

CONFIGS = SHIPPED_CONFIGS
BANK_CONFIGS = (
    "client_outflow",
    "rm_resignation",
    "client_outflow_sequence",
    "rm_resignation_sequence",
)


def _said(result) -> str:
    return " ".join(result.output.split())


# --------------------------------------------------------------------------- as-of


def test_score_before_the_data_starts_is_refused_with_the_data_range(scored_bank, home):
    data = scored_bank.data
    before = data.first_month - 1
    for entities in (("rm",), ("client",), ("rm", "client")):
        with pytest.raises(ConfigError) as refused:
            score_bank(data, before, home=home, entities=entities)
        message = str(refused.value)
        assert f"{before} is before the first month with balance data" in message
        assert f"monthly_balances covers {data.first_month}..{data.last_month}" in message
        assert "retrain" not in message.lower()


def test_score_before_the_data_starts_from_the_cli_exits_1_and_writes_nothing(
    home, tmp_path, monkeypatch
):
    monkeypatch.setenv("ATTRITION_HOME", str(home))
    out = tmp_path / "scores.parquet"
    source = str(home / "bank")
    for target in ("rm", "client"):
        args = ["--as-of", "2000-01", "--target", target, "--source", source, "--out", str(out)]
        result = CliRunner().invoke(app, ["score", *args])
        assert result.exit_code == 1, result.output
        assert "2000-01 is before the first month with balance data" in _said(result)
        assert "retrain" not in result.output.lower()
    assert not out.exists()


def test_score_with_a_stray_month_after_the_data_scores_the_last_month_covered_and_says_why(
    scored_bank, home, tmp_path, monkeypatch, caplog
):
    data = scored_bank.data
    last = data.last_month
    balances = data["monthly_balances"]
    stray = balances.iloc[[0]].assign(month=last + 1)  # one row where a month holds ~2,000
    with_stray = BankData(
        {**data.tables, "monthly_balances": pd.concat([balances, stray], ignore_index=True)}
    )
    assert with_stray.latest_month == last + 1 and with_stray.last_month == last

    with caplog.at_level(logging.INFO, logger="attrition.pipeline.score"):
        rms = score_bank(with_stray, home=home, entities=("rm",)).scores
    assert (rms["as_of"] == str(last)).all() and len(rms) > 0
    assert f"scoring as of {last}, not {last + 1}" in caplog.text

    bank = tmp_path / "bank"
    write_tables(with_stray.tables, bank)
    monkeypatch.setenv("ATTRITION_HOME", str(home))
    out = tmp_path / "scores.parquet"
    result = CliRunner().invoke(
        app, ["score", "--target", "rm", "--source", str(bank), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    said = _said(result)
    assert "Warning: 1 data quality warning" in said
    assert "monthly_balances.month [outlying_month]" in said
    assert f"As-of {last}, the last month the data covers properly, not {last + 1}" in said
    assert f"{last + 1} holds 1 row" in said
    assert (pd.read_parquet(out)["as_of"] == str(last)).all()


# --------------------------------------------------------------------------- flat tables


@pytest.fixture(scope="module")
def flat_home(tmp_path_factory):
    """A registry holding the Rossi flat-table model (no comparison models: fast)."""
    home = tmp_path_factory.mktemp("flat")
    config = load_config(CONFIGS / "flat_rossi.yaml").model_copy(update={"compare": ()})
    train(config, home=str(home))
    return home


def _rossi_to_score(tmp_path, **cells: tuple[int, str]) -> Path:
    rows = pd.read_csv(CONFIGS / "data" / "rossi.csv", dtype=str)
    rows = rows.drop(columns=["week", "arrest"])
    for column, (row, value) in cells.items():
        rows.loc[row, column] = value
    path = tmp_path / "to_score.csv"
    rows.to_csv(path, index=False)
    return path


def test_scoring_a_flat_table_with_text_in_a_numeric_column_names_every_bad_value(
    flat_home, tmp_path, monkeypatch
):
    source = _rossi_to_score(tmp_path, age=(3, "abc"), prio=(5, "n/a?"))
    monkeypatch.setenv("ATTRITION_HOME", str(flat_home))
    out = tmp_path / "flat.parquet"

    result = CliRunner().invoke(
        app, ["score", "--model", "flat_rossi", "--source", str(source), "--out", str(out)]
    )

    assert result.exit_code == 1, result.output
    said = _said(result)
    assert "2 data contract problem(s)" in said
    assert "to_score.age [type]: 1 row (first: person_id='P0003' (value 'abc'))" in said
    assert "to_score.prio [type]: 1 row (first: person_id='P0005' (value 'n/a?'))" in said
    assert not out.exists()


def test_scoring_a_flat_table_whose_numeric_column_is_all_text_is_refused_like_training(
    flat_home, tmp_path
):
    record = ModelRegistry(flat_home).get("flat_rossi")
    frame = pd.read_csv(CONFIGS / "data" / "rossi.csv", dtype=str).head(3)
    frame["age"] = ["young", "old", ""]  # text only: read as a text column

    table = load_flat(_write(frame, tmp_path), record.config.data.flat_spec(), outcomes=False)
    with pytest.raises(DataContractError) as refused:
        score_flat(table, record, load_playbook())

    (problem,) = refused.value.problems
    assert (problem.column, problem.rule, problem.count) == ("age", "type", 2)
    assert problem.examples == (
        "person_id='P0000' (value 'young')",
        "person_id='P0001' (value 'old')",
    )


def _write(frame: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "rows.csv"
    frame.to_csv(path, index=False)
    return path


def test_scoring_a_flat_table_with_unseen_categories_warns_and_lists_them(
    flat_home, tmp_path, monkeypatch, caplog
):
    source = _rossi_to_score(tmp_path, race=(7, "7"))
    rows = pd.read_csv(source, dtype=str)
    rows.loc[8, "race"] = "other"
    rows.to_csv(source, index=False)
    monkeypatch.setenv("ATTRITION_HOME", str(flat_home))
    out = tmp_path / "flat.parquet"

    with caplog.at_level(logging.INFO, logger="attrition.pipeline.flat"):
        result = CliRunner().invoke(
            app, ["score", "--model", "flat_rossi", "--source", str(source), "--out", str(out)]
        )

    assert result.exit_code == 0, result.output
    assert "race holds 2 categories never seen in training ('7', 'other')" in _said(result)
    assert "race holds categories ['7', 'other'] never seen in training" in caplog.text
    assert len(pd.read_parquet(out)) == 432


# --------------------------------------------------------------------------- landmarks


@pytest.mark.parametrize("name", BANK_CONFIGS)
def test_the_shipped_configs_take_as_many_landmarks_as_the_history_allows(name):
    config = load_config(CONFIGS / f"{name}.yaml")
    last = pd.Period("2026-09", "M")
    counts = {}
    for months in (60, 36, 30, 24, 21):
        train_m, test_m = landmark_months(last, config, first_month=last - (months - 1))
        counts[months] = len(train_m) + len(test_m)
        assert [str(m) for m in test_m] == ["2025-06", "2025-09"]
        assert train_m[0] >= last - (months - 1) + 2  # 3 months of history behind it
    assert counts == {60: 8, 36: 8, 30: 6, 24: 4, 21: 3}


def test_training_a_bank_shorter_than_the_minimum_is_refused_with_the_months_it_has_and_needs():
    config = load_config(CONFIGS / "client_outflow.yaml")
    last = pd.Period("2026-09", "M")
    with pytest.raises(ConfigError) as refused:
        landmark_months(last, config, first_month=last - 19)
    message = str(refused.value)
    assert "the bank has 20 months of balance history (2025-02..2026-09)" in message
    assert "3 landmarks (landmarks.min_count)" in message and "need 21 months" in message


def test_an_explicit_landmark_count_keeps_its_meaning():
    config = parse_config(
        {
            "name": "explicit",
            "target": "client_outflow",
            "model": {"type": "coxph"},
            "landmarks": {"count": 8, "step": 3, "holdout": 2},
        }
    )
    last = pd.Period("2026-09", "M")
    train_m, test_m = landmark_months(last, config, first_month=last - 35)
    assert len(train_m) + len(test_m) == 8
    with pytest.raises(ConfigError, match=r"has 24 months .* 8 landmarks \(landmarks.count\)"):
        landmark_months(last, config, first_month=last - 23)
    with pytest.raises(ConfigError, match=r"need 36 months.*landmarks\.count: auto"):
        landmark_months(last, config, first_month=last - 23)


def test_training_a_bank_with_two_years_of_history_says_which_landmarks_it_used(
    tmp_path, monkeypatch
):
    from attrition.synthetic import GeneratorConfig, generate_bank

    bank = generate_bank(config=GeneratorConfig(n_clients=1200, seed=4, months=24))
    write_tables(bank.data.tables, tmp_path / "bank")
    config = tmp_path / "short.yaml"
    config.write_text(
        "name: short\ntarget: client_outflow\nseed: 3\n"
        "model: {type: xgb_cox, params: {n_estimators: 40}}\n"
        "split: {test_fraction: 0.4}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ATTRITION_HOME", str(tmp_path / "home"))

    result = CliRunner().invoke(
        app, ["train", "--config", str(config), "--source", str(tmp_path / "bank")]
    )

    assert result.exit_code == 0, result.output
    said = _said(result)
    assert "Used 4 landmarks: training 2024-12, 2025-03; test 2025-06, 2025-09" in said
    record = ModelRegistry(tmp_path / "home").get("short")
    assert record.metadata["train_as_of"] == ["2024-12", "2025-03"]
