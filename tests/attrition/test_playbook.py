"""The retention playbook: validation with every problem listed, tiers, actions."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import yaml

from attrition.errors import ConfigError
from attrition.playbook import DEFAULT_PLAYBOOK, load_playbook, parse_playbook


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(DEFAULT_PLAYBOOK.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def book():
    return load_playbook()


def test_the_shipped_playbook_covers_both_entities_in_both_languages(book):
    entities = {r.entity for r in book.rules}
    assert entities == {"client", "rm"}
    assert all(r.en and r.zh for r in book.rules)
    assert {r.feature for r in book.rules} >= {
        "maturing_share_1m",
        "payday_outflow_ratio_3m",
        "nav_drawdown_6m",
        "rm_departed",
        "rm_flight_risk",
        "days_since_contact",
        "rm_workload",
        "workload",
        "bonus_vs_branch",
        "manager_changes_6m",
    }


def test_semantic_problems_are_listed_together(raw):
    bad = copy.deepcopy(raw)
    bad["rules"][0]["feature"] = "aum_next_month"
    bad["rules"][1]["id"] = bad["rules"][0]["id"]
    bad["tiers"]["client"] = {"method": "threshold", "high": 0.05, "medium": 0.3}
    del bad["defaults"]["rm"]["low"]
    bad["rules"][2]["when"] = {"op": ">"}
    with pytest.raises(ConfigError) as info:
        parse_playbook(bad, where="mine.yaml")
    message = str(info.value)
    assert message.startswith("invalid playbook mine.yaml")
    for needle in (
        "rules.0 (maturity_call): client has no feature 'aum_next_month'",
        "rules.1 (maturity_call): duplicate id, first used by rules.0",
        "tiers.client: expected high ≥ medium, got high=0.05, medium=0.3",
        "defaults.rm: no default action for tier(s) ['low']",
        "rules.2 (payday_offer): when.op '>' needs a value",
    ):
        assert needle in message


def test_structural_problems_name_the_key(raw):
    bad = copy.deepcopy(raw)
    bad["rules"][0]["effect"] = 1.5
    bad["rules"][1]["entity"] = "branch"
    bad["rules"][2]["colour"] = "red"
    with pytest.raises(ConfigError) as info:
        parse_playbook(bad)
    message = str(info.value)
    assert "rules.0.effect: Input should be less than or equal to 1" in message
    assert "rules.1.entity: Input should be 'client' or 'rm', got 'branch'" in message
    assert "rules.2.colour: unknown key" in message


def test_missing_and_broken_files_say_so(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_playbook(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_playbook(broken)
    with pytest.raises(ConfigError, match="cannot be read"):
        load_playbook(tmp_path)  # a directory
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00rules")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_playbook(binary)


def test_tiers_by_threshold_and_by_top_share(book, raw):
    risk = pd.Series([0.5, 0.2, 0.1, 0.07, 0.01], index=list("abcde"))
    assert list(book.tiers_of("client", risk)) == ["high", "high", "medium", "low", "low"]
    shares = copy.deepcopy(raw)
    shares["tiers"]["client"] = {"method": "top_share", "high": 0.2, "medium": 0.6}
    by_share = parse_playbook(shares).tiers_of("client", risk.iloc[::-1])
    assert list(by_share.loc[list("abcde")]) == ["high", "medium", "medium", "low", "low"]


def test_actions_follow_the_drivers_their_values_and_priority(book):
    drivers = [
        {"feature": "days_since_contact", "value": 95.0, "contribution": 0.04},
        {"feature": "maturing_share_1m", "value": 0.4, "contribution": 0.02},
        {"feature": "external_out_share_3m", "value": 0.2, "contribution": 0.03},
        {"feature": "external_out_share_1m", "value": 0.1, "contribution": 0.01},
    ]
    actions = book.actions("client", drivers, "high", limit=5)
    ids = [a["id"] for a in actions]
    # priority 1 first (the larger driver first among equals); one outflow call, not two
    assert ids == ["outflow_call", "maturity_call", "touchpoint"]
    assert actions[0]["because"] == "external_out_share_3m" and actions[0]["zh"]
    assert book.actions("client", drivers, "high", limit=1)[0]["id"] == "outflow_call"
    # a value test that fails fires nothing; then the tier's default applies
    quiet = [{"feature": "maturing_share_1m", "value": 0.0, "contribution": 0.05}]
    assert [a["id"] for a in book.actions("client", quiet, "medium")] == ["nurture"]
    assert book.actions("client", [], "low")[0]["because"] is None
    # the low tier gets automated care whatever its drivers say
    assert [a["id"] for a in book.actions("client", drivers, "low")] == ["automated_care"]
    missing = [{"feature": "days_since_contact", "value": None, "contribution": 0.1}]
    assert [a["id"] for a in book.actions("client", missing, "high")] == ["rm_review_call"]
    rm = [{"feature": "manager_changes_6m", "value": 1.0, "contribution": 0.02}]
    assert book.actions("rm", rm, "medium")[0]["id"] == "stay_interview"


def test_playbook_check_command(tmp_path, raw):
    from typer.testing import CliRunner

    from attrition.cli import app

    ok = CliRunner().invoke(app, ["playbook", "check"])
    assert ok.exit_code == 0 and "is valid" in ok.output
    bad = copy.deepcopy(raw)
    bad["rules"][0]["feature"] = "nope"
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(app, ["playbook", "check", str(path)])
    assert result.exit_code == 1 and "no feature 'nope'" in " ".join(result.output.split())


def test_capacity_by_grade_and_by_rm():
    from attrition.playbook import ContactPlanConfig

    rms = pd.DataFrame({"rm_id": ["R1", "R2", "R3", "R4"], "grade": ["G1", "G3", None, "G3"]})
    plan = ContactPlanConfig(capacity=25, by_grade={"G3": 30, "G1": 15}, by_rm={"R4": 5})
    assert plan.capacities(rms).to_dict() == {"R1": 15, "R2": 30, "R3": 25, "R4": 5}
    no_grades = rms.drop(columns=["grade"])
    assert plan.capacities(no_grades).to_dict() == {"R1": 25, "R2": 25, "R3": 25, "R4": 5}
