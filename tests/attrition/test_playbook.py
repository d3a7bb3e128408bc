"""The retention playbook: validation with every problem listed, tiers, actions."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from attrition.errors import ConfigError
from attrition.features import feature_info
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
        "tiers.client.risk: expected high ≥ medium, got high=0.05, medium=0.3",
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
    # the low tier: weak drivers stay with automated care, strong ones fire their rule
    # (values below each rule's strong_when, contributions below strong_driver)
    weak = [
        {"feature": "days_since_contact", "value": 95.0, "contribution": 0.005},
        {"feature": "maturing_share_1m", "value": 0.1, "contribution": 0.005},
        {"feature": "external_out_share_3m", "value": 0.1, "contribution": 0.005},
    ]
    assert [a["id"] for a in book.actions("client", weak, "low")] == ["automated_care"]
    assert [a["id"] for a in book.actions("client", drivers, "low")] == [
        "outflow_call",
        "maturity_call",
        "touchpoint",
    ]
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


def test_tiers_by_value_per_branch_and_by_the_higher_of_risk_and_value(raw):
    matrix = copy.deepcopy(raw)
    matrix["tiers"]["client"] = {
        "risk": {"by": "threshold", "high": 0.2, "medium": 0.08},
        "value": {"by": "top_share", "per": "branch", "high": 0.25, "medium": 0.5},
    }
    book = parse_playbook(matrix)
    ids = list("abcdefgh")
    risk = pd.Series([0.30, 0.01, 0.02, 0.03, 0.10, 0.01, 0.01, 0.01], index=ids)
    value = pd.Series([10.0, 5e6, 1e3, 2e3, 50.0, 9e5, 8e5, float("nan")], index=ids)
    branch = pd.Series(["B1"] * 4 + ["B2"] * 4, index=ids)
    tier = book.tiers_of("client", risk, value, branch)
    # B1 (4 valued): top 1 high, top 2 medium; B2 (3 valued): top 1 high, top 2 medium
    assert dict(tier) == {
        "a": "high",  # risk 30%, whatever its small value
        "b": "high",  # the branch's largest value at risk, at 1% risk
        "c": "low",
        "d": "medium",
        "e": "medium",  # risk 10%
        "f": "high",
        "g": "medium",
        "h": "low",  # no value at risk known: tiered by its risk alone
    }
    # the version-1 form still reads as a risk cut
    old = copy.deepcopy(raw)
    old["tiers"]["client"] = {"method": "threshold", "high": 0.2, "medium": 0.08}
    assert list(parse_playbook(old).tiers_of("client", risk, value, branch)) == [
        "high", "low", "low", "low", "medium", "low", "low", "low"
    ]


def test_the_largest_value_at_risk_of_every_branch_is_never_left_to_automated_care(book):
    rng = np.random.default_rng(0)
    n = 3000
    risk = pd.Series(rng.uniform(0.001, 0.06, n))  # all below the risk thresholds
    value = pd.Series(rng.lognormal(10, 2, n))
    branch = pd.Series(rng.choice(["B1", "B2", "B3", "B4"], n))
    tier = book.tiers_of("client", risk, value, branch)
    top = value.groupby(branch).idxmax()
    assert (tier[top] == "high").all()
    for i in top:
        actions = book.actions("client", [], tier[i])
        assert actions[0]["id"] != "automated_care"
    # and the money is where the attention is: most of the value at risk is tiered up
    assert value[tier != "low"].sum() > 0.5 * value.sum()


# What each shipped rule's words assume of its driver's value: (a value the words
# describe, a value they contradict). A new rule must be added here.
WORDING = {
    "maturity_call": (0.57, 0.0),
    "maturity_plan": (0.3, 0.0),
    "payday_offer": (0.5, 0.05),
    "outflow_call": (0.2, 0.0),
    "outflow_call_monthly": (0.15, 0.0),
    "nav_care_call": (-0.12, 0.0),
    "nav_care_call_return": (-0.08, 0.03),
    "backup_rm": (1.0, 0.0),
    "backup_rm_at_risk": (0.3, 0.02),
    "touchpoint": (107.0, 20.0),
    "remote_team": (1.4, 0.8),
    "new_rm_welcome": (2.0, 30.0),
    "rebalance_book": (1.3, 0.7),
    "rebalance_book_size": (340.0, 120.0),
    "compensation_review": (0.7, 1.2),
    "stay_interview": (1.0, 0.0),
    "career_conversation": (-0.8, 0.4),
    "promotion_review": (48.0, 10.0),
    "wellbeing_check": (0.8, -0.6),
    "target_coaching": (0.7, 1.1),
    "book_loss_review": (0.2, 0.0),
    "overtime_relief": (40.0, 8.0),
}


def test_every_shipped_rule_fires_only_on_values_its_words_describe(book):
    assert {r.id for r in book.rules} == set(WORDING), "add new rules to WORDING"
    for rule in book.rules:
        described, contradicted = WORDING[rule.id]
        for value, fires in ((described, True), (contradicted, False), (None, False)):
            driver = [{"feature": rule.feature, "value": value, "contribution": 0.05}]
            actions = book.actions(rule.entity, driver, "high", aum=200_000.0, limit=9)
            ids = [a["id"] for a in actions]
            fired = any(a["because"] == rule.feature and a["en"] == rule.en for a in actions)
            assert fired is fires, (rule.id, value, ids)
        # the words agree with the catalogue: "up" rules are about values that raise risk
        info = feature_info(rule.entity, rule.feature)
        assert info.risk_direction in (rule.direction, "none"), rule.id


def test_falling_leave_never_gets_the_rising_leave_check_in(book):
    # RM00003 in the demo: leave falling, yet the driver raised the model's risk
    driver = [{"feature": "leave_days_trend_6m", "value": -0.6, "contribution": 0.03}]
    assert [a["id"] for a in book.actions("rm", driver, "medium")] == ["career_check_in"]


def test_a_driver_that_lowers_the_risk_or_has_no_data_never_produces_an_action(book):
    for rule in book.rules:
        value = WORDING[rule.id][0]
        lowering = [{"feature": rule.feature, "value": value, "contribution": -0.05}]
        no_data = [{"feature": rule.feature, "value": None, "contribution": 0.05}]
        for drivers in (lowering, no_data):
            actions = book.actions(rule.entity, drivers, "high", aum=200_000.0)
            assert all(a["because"] is None for a in actions)


def test_the_largest_client_of_an_overloaded_rm_is_never_moved_to_the_remote_team(book):
    # the demo's largest value at risk: 142M AUM, its RM at 1.3x capacity
    overloaded = [{"feature": "rm_workload", "value": 1.3, "contribution": 0.02}]
    big = book.actions("client", overloaded, "high", aum=142_000_000.0)
    assert [a["id"] for a in big] == ["rm_review_call"]
    small = book.actions("client", overloaded, "medium", aum=80_000.0)
    assert [a["id"] for a in small] == ["remote_team"]
    assert book.actions("client", overloaded, "medium")[0]["id"] == "nurture"  # AUM unknown


def test_a_rule_whose_direction_contradicts_its_feature_or_test_is_refused(raw):
    bad = copy.deepcopy(raw)
    wellbeing = next(i for i, r in enumerate(bad["rules"]) if r["id"] == "wellbeing_check")
    bad["rules"][wellbeing]["direction"] = "down"
    bad["rules"][wellbeing]["when"] = {"op": "<", "value": 0}
    touch = next(i for i, r in enumerate(bad["rules"]) if r["id"] == "touchpoint")
    bad["rules"][touch]["when"] = {"op": "<", "value": 60}
    with pytest.raises(ConfigError) as info:
        parse_playbook(bad)
    message = str(info.value)
    assert (
        f"rules.{wellbeing} (wellbeing_check): direction 'down', but a higher "
        "leave_days_trend_6m is what raises the risk"
    ) in message
    assert f"rules.{touch} (touchpoint): direction 'up' needs when.op one of ['>', '>=']" in message
    # a rule without a test of its value would fire on any value, "no data" included
    unconditional = copy.deepcopy(raw)
    outflow = next(i for i, r in enumerate(raw["rules"]) if r["id"] == "outflow_call")
    del unconditional["rules"][outflow]["when"]
    with pytest.raises(ConfigError, match=rf"rules\.{outflow}\.when: Field required"):
        parse_playbook(unconditional)


def test_a_rule_on_a_feature_from_a_weak_model_does_not_fire(book):
    # the client's RM flight risk from an RM model whose holdout was near chance
    driver = [{"feature": "rm_flight_risk", "value": 0.3, "contribution": 0.05}]
    assert book.actions("client", driver, "high")[0]["id"] == "backup_rm_at_risk"
    skipped = book.actions("client", driver, "high", skip=frozenset({"rm_flight_risk"}))
    assert [a["id"] for a in skipped] == ["rm_review_call"]


def test_a_low_tier_client_with_a_quarter_of_its_aum_maturing_gets_the_maturity_call(book):
    # the model gives the maturity little weight (0.06 risk points), yet 58% of the
    # AUM maturing next month is reason enough to call
    maturing = [{"feature": "maturing_share_1m", "value": 0.58, "contribution": 0.0006}]
    assert book.actions("client", maturing, "low")[0]["id"] == "maturity_call"
    small = [{"feature": "maturing_share_1m", "value": 0.05, "contribution": 0.0006}]
    assert book.actions("client", small, "low")[0]["id"] == "automated_care"
    silent = [{"feature": "days_since_contact", "value": 175.0, "contribution": 0.001}]
    assert book.actions("client", silent, "low")[0]["id"] == "touchpoint"
    assert book.actions("client", [{**silent[0], "value": 70.0}], "low")[0]["id"] == (
        "automated_care"
    )
