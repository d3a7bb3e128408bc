"""The model card of a registered model, from the registry and the rebuilt holdout."""

from __future__ import annotations

from typer.testing import CliRunner

from attrition.cli import app
from attrition.registry import ModelRegistry
from reports.card import model_card
from tests.reports.conftest import pdf_text


def test_the_card_shows_the_holdout_metrics_against_the_baseline_and_the_views(report_bank):
    home = report_bank[0]
    card = model_card("client_outflow", home=home)
    record = ModelRegistry(home).get("client_outflow")
    metrics = record.metrics
    label = record.metadata["model_label"]
    three = next(line for line in card.metrics if line.horizon == "3")
    c = dict((m, (a, b)) for m, a, b, _ in three.values)["c_harrell"]
    row = metrics[(metrics["horizon"] == 3) & (metrics["model"] == label)].iloc[0]
    base = metrics[(metrics["horizon"] == 3) & (metrics["model"] == "baseline:coxph")].iloc[0]
    assert c == (f"{row['c_harrell']:.3f}", f"{base['c_harrell']:.3f}")
    assert card.holdout_note is None
    assert set(card.charts) == {"calibration", "tiers"}
    assert all(svg.startswith("<svg") for svg in card.charts.values())
    shap = [float(v) for _, _, v in card.importance]
    assert shap == sorted(shap, reverse=True) and shap[0] > 0
    assert card.config_text == record.config_text
    # the registered model was refitted after the holdout: the card says on what
    refit = dict(card.facts)["refitted on"]
    assert refit.startswith(f"{record.metadata['n_refit']:,} rows")
    assert refit.endswith(f"to {record.metadata['refit_as_of'][-1]}")


def test_models_card_writes_a_pdf_and_says_when_the_holdout_is_missing(
    report_bank, tmp_path, monkeypatch
):
    home = report_bank[0]
    monkeypatch.setenv("ATTRITION_HOME", str(home))
    out = tmp_path / "card.pdf"
    result = CliRunner().invoke(
        app, ["models", "card", "rm_resignation@1", "--lang", "zh", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(pdf_text(out).split())
    assert "模型说明卡: rm_resignation@1" in text and "c_harrell" in text
    # without the data the holdout views are left out, and the card says why
    card = model_card("rm_resignation", home=home, source=str(tmp_path / "no_such_bank"))
    assert card.holdout_note and "could not be rebuilt" in card.holdout_note
    assert card.charts == {} and card.metrics
    fingerprint = ModelRegistry(home).get("rm_resignation").metadata["data_fingerprint"]
    assert ("data fingerprint", fingerprint) in card.facts
