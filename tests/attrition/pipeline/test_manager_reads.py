"""What a branch head or HR reads from `attrition score`: tiers that follow the money,
actions that agree with their drivers, weak models flagged, figures with their horizon
and currency, unknown values said as unknown."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from attrition.cli import app
from attrition.config import QualityConfig
from attrition.pipeline.quality import weakness
from attrition.pipeline.score import entity_branches
from attrition.playbook import load_playbook


@pytest.fixture(scope="module")
def clients(scores, scored_bank) -> pd.DataFrame:
    out = scores[scores["entity_type"] == "client"].copy()
    out["branch"] = entity_branches(scored_bank.data, "client", pd.Index(out["id"]))
    out["first_action"] = [json.loads(a)[0]["id"] for a in out["actions"]]
    return out


def test_the_largest_values_at_risk_of_each_branch_are_never_left_to_automated_care(clients):
    top = clients.loc[clients.groupby("branch")["value_at_risk"].idxmax()]
    assert len(top) > 1
    assert (top["tier"] == "high").all()
    assert not top["first_action"].isin(["automated_care"]).any()
    # the money is where the attention is: the low tier holds a minority of it
    low = clients["tier"] == "low"
    assert clients.loc[low, "value_at_risk"].sum() < 0.5 * clients["value_at_risk"].sum()


def test_every_fired_action_agrees_with_the_value_of_its_driver(scores):
    book = load_playbook()
    rules = {r.id: r for r in book.rules}
    fired = 0
    for _, row in scores.iterrows():
        drivers = {d["feature"]: d for d in json.loads(row["drivers"])}
        for action in json.loads(row["actions"]):
            if action["because"] is None:
                continue
            fired += 1
            rule, driver = rules[action["id"]], drivers[action["because"]]
            assert driver["value"] is not None, (row["id"], action["id"])
            assert driver["contribution"] > 0
            assert rule.when.passes(driver["value"]), (row["id"], action["id"], driver["value"])
            if row["tier"] == "low":  # a strong driver: by its value or its contribution
                strong = rule.strong_when is not None and rule.strong_when.passes(driver["value"])
                assert strong or driver["contribution"] >= book.strong_driver
    assert fired > 0


def test_scoring_with_a_model_that_saw_too_few_events_warns_and_stores_it(scores, scoring):
    # the package's RM model was trained on a small bank: its holdout has a few events
    rms = scores[scores["entity_type"] == "rm"]
    assert rms["model_warning"].str.contains("too few to tell a good ranking from luck").all()
    assert rms["model_warning"].str.startswith("rm_resignation@1 is a weak model").all()
    assert any("rm_resignation@1 is a weak model" in n for n in scoring.notes)


def test_a_holdout_ranking_near_chance_is_flagged_and_a_good_one_is_not():
    metrics = pd.DataFrame(
        {"horizon": [1, 3, 6], "c_harrell": [0.51, 0.50, 0.52], "events_test": [80] * 3}
    )
    why = weakness(metrics, QualityConfig(), horizon=3)
    assert why is not None and "C-index at horizon 3 was 0.500" in why
    both = weakness(metrics.assign(events_test=12), QualityConfig(), horizon=3)
    assert "only 12 events" in both and "was 0.500" in both
    good = metrics.assign(c_harrell=[0.70, 0.72, 0.71])
    assert weakness(good, QualityConfig(), horizon=3) is None
    assert "only 12 events" in weakness(good.assign(events_test=12), QualityConfig())
    # the config sets the bar: a small bank's RM config may accept fewer events
    assert weakness(good.assign(events_test=12), QualityConfig(min_holdout_events=10)) is None


def test_score_states_the_horizon_and_currency_and_shows_unknown_as_unknown(
    home, monkeypatch, tmp_path
):
    monkeypatch.setenv("ATTRITION_HOME", str(home))
    # RMs alone: without the clients, an RM's value at risk is unknown, not 0
    result = CliRunner().invoke(
        app, ["score", "--target", "rm", "--out", str(tmp_path / "rm.parquet")]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "within 3 months" in text and "CNY" in text
    assert "unknown" in text and "Warning: rm_resignation@1 is a weak model" in text
    written = pd.read_parquet(tmp_path / "rm.parquet")
    assert written["value_at_risk"].isna().all()

    both = CliRunner().invoke(app, ["score", "--out", str(tmp_path / "all.parquet")])
    assert both.exit_code == 0, both.output
    text = " ".join(both.output.split())
    assert "client value at risk 3m" in text and "are outside the outflow population" in text


def test_a_weak_rm_models_flight_risk_drives_no_client_action(scored_bank, home):
    from attrition.config import parse_config
    from attrition.pipeline.score import score_bank
    from attrition.pipeline.train import train

    cfg = parse_config(
        {
            "name": "client_coupled",
            "target": "client_outflow",
            "seed": 3,
            "model": {"type": "coxph", "params": {"penalizer": 0.1}},
            "landmarks": {"count": 6, "step": 3, "holdout": 2},
            "rm_risk": {"model": {"type": "coxph", "params": {"penalizer": 0.5}}, "folds": 3},
            "data": {"source": str(home / "bank")},
        }
    )
    train(cfg, home=str(home))
    # a playbook that acts on any RM flight risk (this small bank's RMs are not risky)
    import yaml

    from attrition.playbook import DEFAULT_PLAYBOOK, parse_playbook

    raw = yaml.safe_load(DEFAULT_PLAYBOOK.read_text(encoding="utf-8"))
    for rule in raw["rules"]:
        if rule["id"] == "backup_rm_at_risk":
            rule["when"] = {"op": ">", "value": 0}
    book = parse_playbook(raw)
    scores = score_bank(
        scored_bank.data, home=home, models={"client": "client_coupled"}, playbook=book
    ).to_export()
    clients = scores[scores["entity_type"] == "client"]
    # the package's RM model is weak (a few holdout events): its risk is a driver ...
    would_fire = [
        a["id"]
        for d, t in zip(clients["drivers"], clients["tier"], strict=True)
        for a in book.actions("client", json.loads(d), t, aum=100_000.0)
    ]
    assert "backup_rm_at_risk" in would_fire
    # ... but no action rests on it, and every client row says why
    fired = [a["because"] for a in clients["actions"] for a in json.loads(a)]
    assert "rm_flight_risk" not in fired
    assert clients["model_warning"].str.contains(
        "its input 'Flight risk of the client's RM' comes from rm_resignation@1, a weak model"
    ).all()
    assert clients["model_warning_zh"].str.contains(
        "其输入“客户经理离职风险”来自弱模型rm_resignation@1"
    ).all()
