"""The command line as a user drives it: generate, validate, features, --help."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from attrition.cli import app

runner = CliRunner()
COMMANDS = [
    "generate",
    "validate",
    "features",
    "demo",
    "train",
    "evaluate",
    "models",
    "models list",
    "models show",
    "score",
    "plan",
    "playbook",
    "playbook check",
]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_command_has_help(command):
    args = [*command.split(), "--help"] if command else ["--help"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "bank"
    result = runner.invoke(app, ["generate", "--out", str(out), "--clients", "400", "--seed", "3"])
    assert result.exit_code == 0, result.output
    return out


def test_generate_writes_every_table_and_the_truth_folder(generated):
    names = {p.stem for p in generated.glob("*.parquet")}
    assert {"branches", "rms", "clients", "monthly_balances", "transactions"} <= names
    assert (generated / "truth" / "client_hazard.parquet").exists()
    assert (generated / "truth" / "rm_hazard.parquet").exists()


def test_generate_with_a_sell_off_and_a_thin_transaction_feed(tmp_path):
    import json

    out = tmp_path / "bank"
    args = ["generate", "--out", str(out), "--clients", "300", "--months", "14"]
    args += ["--regime", "sell_off:2026-01:0.5", "--transaction-kinds", "payroll,transfer"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    config = json.loads((out / "truth" / "config.json").read_text())
    assert config["regime"]["kind"] == "sell_off" and config["regime"]["month"] == "2026-01"
    assert config["regime"]["strength"] == 0.5
    kinds = set(pd.read_parquet(out / "transactions.parquet")["kind"])
    assert kinds == {"payroll", "transfer"}
    again = ["generate", "--out", str(tmp_path / "b2"), "--clients", "300", "--months", "14"]
    bad = runner.invoke(app, [*again, "--regime", "sell_off:2030-01"])
    assert bad.exit_code != 0 and "regime.month" in bad.output and "2030-01" in bad.output
    assert not (tmp_path / "b2").exists()  # refused before anything was written


def test_generated_bank_validates_with_a_summary(generated):
    result = runner.invoke(app, ["validate", str(generated)])
    assert result.exit_code == 0, result.output
    assert "monthly_balances" in result.output


def test_corrupted_copy_fails_with_all_four_problems_named(generated, tmp_path):
    """Bad FK, negative AUM, duplicate client-month and text in a date column, at once."""
    tables = {p.stem: pd.read_parquet(p) for p in generated.glob("*.parquet")}
    clients = tables["clients"].copy()
    clients.loc[clients.index[0], "rm_id"] = "RM_DOES_NOT_EXIST"
    bal = tables["monthly_balances"].copy()
    bal.loc[bal.index[5], "aum"] = -10.0
    bal = pd.concat([bal, bal.iloc[[7]]], ignore_index=True)
    rms = tables["rms"].copy()
    rms["hire_date"] = rms["hire_date"].astype(str)
    rms.loc[rms.index[1], "hire_date"] = "last spring"
    tables.update(clients=clients, monthly_balances=bal, rms=rms)
    bad = tmp_path / "bad"
    bad.mkdir()
    for name, frame in tables.items():
        out = frame.copy()
        for col in out.columns:
            if isinstance(out[col].dtype, pd.PeriodDtype):
                out[col] = out[col].astype(str)
        out.to_csv(bad / f"{name}.csv", index=False)

    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    text = result.output
    assert "clients.rm_id" in text
    assert "monthly_balances.aum" in text
    assert "monthly_balances" in text and "duplicate" in text.lower()
    assert "rms.hire_date" in text


def test_features_command_writes_a_parquet_file(generated, tmp_path):
    out = tmp_path / "f.parquet"
    months = pd.read_parquet(generated / "monthly_balances.parquet")["month"].astype(str)
    as_of = sorted(months.unique())[-4]
    result = runner.invoke(
        app,
        [
            "features",
            "--source",
            str(generated),
            "--as-of",
            as_of,
            "--entity",
            "rm",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert len(frame) > 0 and "rm_id" in frame.columns


def test_validate_of_missing_directory_is_a_plain_error(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_train_evaluate_and_list_models_from_the_flat_example(tmp_path, monkeypatch):
    from attrition.config import SHIPPED_CONFIGS

    monkeypatch.setenv("ATTRITION_HOME", str(tmp_path))
    config = SHIPPED_CONFIGS / "flat_rossi.yaml"
    result = runner.invoke(app, ["train", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "baseline:coxph" in result.output and "compare:ensemble" in result.output
    assert (tmp_path / "models" / "flat_rossi" / "v1" / "model.pkl").exists()
    # Rossi's 30% holdout has about 40 re-arrests: the user is told that is too few
    assert "too few to tell a good ranking from luck" in " ".join(result.output.split())

    result = runner.invoke(app, ["models", "list"])
    assert result.exit_code == 0 and "flat_rossi@1" in result.output
    result = runner.invoke(app, ["models", "show", "flat_rossi@1"])
    assert result.exit_code == 0 and "data_fingerprint" in result.output

    result = runner.invoke(app, ["evaluate", "--model", "flat_rossi"])
    assert result.exit_code == 0, result.output
    assert "flat_rossi@1" in result.output

    result = runner.invoke(app, ["evaluate", "--model", "flat_rossi@9"])
    assert result.exit_code == 1 and "has no version '9'" in result.output


def test_train_with_a_bad_config_names_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntarget: churn\nmodel: {type: coxph}\n")
    result = runner.invoke(app, ["train", "--config", str(bad)])
    assert result.exit_code == 1
    assert "target" in result.output and "churn" in result.output
