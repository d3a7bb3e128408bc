"""The weekly contact plan: capacity respected, overflow to the remote team, and it keeps
more AUM than contacting the riskiest clients first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from attrition.cli import app
from attrition.io import write_parquet
from attrition.pipeline.plan import (
    BRANCH_HEAD,
    REMOTE_TEAM,
    WAITING,
    contact_candidates,
    contact_plan,
)
from attrition.playbook import load_playbook, parse_playbook
from attrition.results import ScoringResult

_result = ScoringResult.from_export  # the tests hold the scores as the file does


@pytest.fixture(scope="module")
def tight_book():
    """The shipped playbook with room for only 2 contacts a week (1 for one RM)."""
    import yaml

    from attrition.playbook import DEFAULT_PLAYBOOK

    raw = yaml.safe_load(DEFAULT_PLAYBOOK.read_text(encoding="utf-8"))
    raw["contact_plan"] = {"capacity": 2, "by_rm": {"RM00002": 1}}
    return parse_playbook(raw)


@pytest.fixture(scope="module")
def plan(scores, scored_bank, tight_book) -> pd.DataFrame:
    return contact_plan(_result(scores), scored_bank.data, tight_book)


NOT_RMS = (REMOTE_TEAM, BRANCH_HEAD, WAITING)


def test_no_rm_gets_more_than_their_capacity(plan, tight_book, scored_bank):
    per_rm = plan[~plan["assignee"].isin(NOT_RMS)].groupby("assignee").size()
    assert len(per_rm) > 0 and (per_rm <= 2).all() and (per_rm == 2).any()
    assert per_rm.get("RM00002", 0) <= 1
    capacity = tight_book.contact_plan.capacities(scored_bank.data["rms"])
    assert (per_rm <= capacity.reindex(per_rm.index)).all()


def test_every_candidate_once_in_order_with_the_rest_to_the_remote_team(
    plan, scores, scored_bank, tight_book
):
    candidates = contact_candidates(_result(scores), scored_bank.data)
    assert sorted(plan["client_id"]) == sorted(candidates["client_id"])
    assert plan["client_id"].is_unique
    for _assignee, part in plan.groupby("assignee"):
        assert list(part["order"]) == list(range(1, len(part) + 1))
        assert part["expected_retained"].is_monotonic_decreasing
    overflow = plan[plan["assignee"].isin(NOT_RMS)]
    assert len(overflow) > 0
    # each RM's list is the best their capacity allows: their own clients with the most
    # AUM expected to be kept (value at risk x the effect of the first action the
    # scores hold), as many as the capacity
    acts = _result(scores).actions
    first = acts[(acts["entity_type"] == "client") & (acts["rank"] == 1)]
    # each action's effect (the playbook's, or a campaign's: checked below); automated
    # care is not a contact and gets none
    effect = first.set_index("id")["action_id"].map(plan.groupby("action_id")["effect"].first())
    clients = scores[scores["entity_type"] == "client"].set_index("id")
    kept = (clients["value_at_risk"] * effect.reindex(clients.index)).dropna()
    owner = plan.set_index("client_id")["rm_id"]
    capacity = tight_book.contact_plan.capacities(scored_bank.data["rms"])
    for rm_id, mine in plan[~plan["assignee"].isin(NOT_RMS)].groupby("assignee"):
        theirs = kept[kept.index.isin(owner[owner == rm_id].index)]
        best = theirs.sort_values(ascending=False).head(int(capacity.get(rm_id, 2)))
        np.testing.assert_allclose(mine["expected_retained"].sum(), best.sum())
    assert not plan["action_id"].isin(["automated_care"]).any()
    # the low tier gets automated care unless a strong driver fired a playbook rule
    low = plan[plan["tier"] == "low"]
    assert low["because"].notna().all()
    assert (plan["value_at_risk"] > 0).all()
    np.testing.assert_allclose(plan["expected_retained"], plan["value_at_risk"] * plan["effect"])
    from_book = plan["effect_source"] == "playbook"
    np.testing.assert_allclose(
        plan.loc[from_book, "effect"], plan.loc[from_book, "action_id"].map(_effects())
    )


def _effects() -> dict[str, float]:
    book = load_playbook()
    effects = {r.id: r.effect for r in book.rules}
    for entity in book.defaults.values():
        effects.update({a.id: a.effect for a in entity.values()})
    return effects


def test_the_plan_keeps_more_aum_than_calling_the_riskiest_first(
    plan, scores, scored_bank, tight_book
):
    naive = contact_plan(_result(scores), scored_bank.data, tight_book, rank_by="risk")
    mine, naive_mine = ~plan["assignee"].isin(NOT_RMS), ~naive["assignee"].isin(NOT_RMS)
    kept = plan.loc[mine, "expected_retained"].sum()
    kept_naive = naive.loc[naive_mine, "expected_retained"].sum()
    assert mine.sum() == naive_mine.sum()
    assert kept > 1.05 * kept_naive
    with pytest.raises(ValueError, match="rank_by"):
        contact_plan(_result(scores), scored_bank.data, tight_book, rank_by="aum")


def test_clients_of_an_rm_who_left_never_stay_with_that_rm(scores, scored_bank, tight_book):
    rms = scored_bank.data["rms"]
    gone = rms.loc[rms["exit_date"].notna(), "rm_id"]
    cand = contact_candidates(_result(scores), scored_bank.data)
    assert not cand["rm_id"].isin(set(gone)).any()
    orphans = set(cand.loc[cand["rm_id"].isna(), "client_id"])
    assert orphans
    plan = contact_plan(_result(scores), scored_bank.data, tight_book).set_index("client_id")
    assert set(plan.loc[list(orphans), "assignee"]) <= {REMOTE_TEAM, BRANCH_HEAD, WAITING}


def test_attrition_plan_reads_the_current_run_from_the_store_or_a_scores_file(
    home, scoring, scores, monkeypatch, tmp_path
):
    from attrition.store import open_store, write_run

    store = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("ATTRITION_HOME", str(home))
    monkeypatch.setenv("ATTRITION_DATABASE_URL", store)
    month = scores["as_of"].iloc[0]
    runner = CliRunner()
    missing = runner.invoke(app, ["plan", "--as-of", month])
    assert missing.exit_code == 1 and "run `attrition score" in " ".join(missing.output.split())
    engine = open_store(store, create=True)
    write_run(engine, scoring, entities=("rm", "client"))
    engine.dispose()
    out = tmp_path / "plan.parquet"
    result = runner.invoke(app, ["plan", "--as-of", month, "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = pd.read_parquet(out)
    per_rm = written[~written["assignee"].isin(NOT_RMS)].groupby("assignee").size()
    assert (per_rm <= 25).all() and "Contact plan" in result.output
    # planned from the store: the plan is stored beside its run
    from attrition.store.plans import read_plan

    engine = open_store(store)
    stored = read_plan(engine, 1)
    engine.dispose()
    assert sorted(stored["client_id"]) == sorted(written["client_id"])
    # the same plan from the scores written to a file
    path = write_parquet(scores, tmp_path / "scores.parquet")
    from_file = tmp_path / "from_file.parquet"
    result = runner.invoke(
        app, ["plan", "--as-of", month, "--scores", str(path), "--out", str(from_file)]
    )
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_parquet(from_file), written)


def test_a_campaign_measured_effect_replaces_the_playbook_estimate(scores, scored_bank, tight_book):
    planned = contact_plan(_result(scores), scored_bank.data, tight_book)
    planned = planned["action_id"].value_counts()
    measured, unmeasured = planned.index[0], planned.index[-1]
    assert measured != unmeasured
    effects = pd.DataFrame(
        {
            "action": [measured, unmeasured],
            "effect": [0.6, 0.9],
            "usable": [True, False],  # too few clients: the playbook's number stays
        }
    )
    plan = contact_plan(_result(scores), scored_bank.data, tight_book, effects=effects)
    calls = plan[plan["action_id"] == measured]
    assert len(calls) > 0 and (calls["effect"] == 0.6).all()
    assert (calls["effect_source"] == "campaign").all()
    others = plan[plan["action_id"] == unmeasured]
    assert len(others) > 0 and (others["effect_source"] == "playbook").all()
    assert (others["effect"] != 0.9).all()


def test_scores_without_clients_give_an_empty_plan(scores, scored_bank, tight_book):
    from attrition.pipeline.plan import PLAN_COLUMNS

    rms_only = scores[scores["entity_type"] == "rm"]
    plan = contact_plan(_result(rms_only), scored_bank.data, tight_book)
    assert plan.empty and list(plan.columns) == PLAN_COLUMNS


def test_the_plan_reads_the_risk_at_the_playbooks_horizon(scores, scored_bank, raw_book):
    raw_book["tiers"]["horizon"] = 6
    book = parse_playbook(raw_book)
    plan = contact_plan(_result(scores), scored_bank.data, book)
    clients = scores[scores["entity_type"] == "client"].set_index("id")
    np.testing.assert_allclose(plan["risk"], clients.loc[plan["client_id"], "risk_6m"])


@pytest.fixture
def raw_book():
    import yaml

    from attrition.playbook import DEFAULT_PLAYBOOK

    return yaml.safe_load(DEFAULT_PLAYBOOK.read_text(encoding="utf-8"))


def test_scores_missing_columns_are_named(scores, scored_bank, tight_book):
    from attrition.errors import ConfigError

    broken = scores.drop(columns=["value_at_risk", "tier"])
    with pytest.raises(ConfigError, match=r"lack column\(s\) \['tier', 'value_at_risk'\]"):
        contact_plan(_result(broken), scored_bank.data, tight_book)


def test_the_plan_never_spends_a_contact_on_a_client_under_the_aum_floor(plan, scored_bank):
    from attrition.contracts import OUTFLOW_MIN_AUM
    from attrition.labels import outflow_population

    data, month = scored_bank.data, scored_bank.data.last_month
    balances = data["monthly_balances"]
    # the contract's floor: the mean AUM of the 3 month-ends ending at the as-of
    recent = balances[balances["month"] > month - 3]
    reference = recent.groupby(recent["client_id"].astype(str))["aum"].mean()
    poor = set(reference.index[reference < OUTFLOW_MIN_AUM])
    assert poor, "the bank should hold clients under the floor for this test to mean anything"
    assert not poor & set(plan["client_id"])
    assert set(plan["client_id"]) <= {str(c) for c in outflow_population(data, month)}


def test_the_remote_team_gets_only_small_clients_and_phone_actions_within_its_capacity(
    scores, scored_bank, tight_book
):
    import yaml

    from attrition.playbook import DEFAULT_PLAYBOOK

    raw = yaml.safe_load(DEFAULT_PLAYBOOK.read_text(encoding="utf-8"))
    raw["contact_plan"] = {
        "capacity": 2,
        "remote_team": {"capacity": 30, "max_aum": 300_000},
        "branch_head": {"capacity": 3},
    }
    plan = contact_plan(_result(scores), scored_bank.data, parse_playbook(raw))
    remote = plan[plan["assignee"] == REMOTE_TEAM]
    assert 0 < len(remote) <= 30
    assert (remote["aum"] <= 300_000).all()
    in_person = {r.id for r in load_playbook().rules if not r.remote}
    assert in_person and not remote["action_id"].isin(in_person).any()
    # the larger clients the RMs could not fit go to their branch head, the most
    # valuable first, up to 3 a branch; the rest wait for next week, none is dropped
    head = plan[plan["assignee"] == BRANCH_HEAD]
    waiting = plan[plan["assignee"] == WAITING]
    assert len(head) > 0 and len(waiting) > 0
    assert ((head["aum"] > 300_000) | head["action_id"].isin(in_person)).all()
    assert (head.groupby("branch_id").size() <= 3).all()
    big = (waiting["aum"] > 300_000) | waiting["action_id"].isin(in_person)
    for branch, part in waiting[big].groupby("branch_id"):
        mine = head[head["branch_id"] == branch]
        assert len(mine) == 3
        assert mine["expected_retained"].min() >= part["expected_retained"].max()
    small = waiting[~big]
    assert remote["expected_retained"].min() >= small["expected_retained"].max()


def test_planning_with_scores_from_another_bank_is_refused(scores, scored_bank, tight_book):
    from attrition.errors import ConfigError

    other = scores.copy()
    other.loc[other["entity_type"] == "client", "id"] = "X" + other["id"]
    with pytest.raises(ConfigError, match="scores come from another bank"):
        contact_plan(_result(other), scored_bank.data, tight_book)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_the_plan_overview_is_the_stored_plan_cut_by_branch_and_assignee(
    plan, scores, backend, tmp_path, request
):
    """What a branch report prints of a plan: per branch and assignee the count, the
    value kept and the first contacts in order, even for the assignees that span
    branches (the remote team, the waiting list), whose order is bank-wide."""
    from attrition.store import open_store, upgrade_store, write_run
    from attrition.store.plans import plan_overview, write_plan

    url = (
        f"sqlite:///{tmp_path / 's.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    upgrade_store(url)
    engine = open_store(url)
    run_id = write_run(engine, _result(scores), entities=("client",))
    write_plan(engine, run_id, plan)
    totals, first = plan_overview(engine, run_id, shown=2, chunk=7)  # several text reads
    engine.dispose()
    groups = plan.groupby(["branch_id", "assignee"])
    assert len(totals) == groups.ngroups and plan["branch_id"].nunique() > 1
    spanning = plan[plan["assignee"] == WAITING]["branch_id"].nunique()
    assert spanning > 1  # the case a bank-wide order gets wrong is present
    for (branch, assignee), part in groups:
        part = part.sort_values("order")
        total = totals[(totals["branch_id"] == branch) & (totals["assignee"] == assignee)]
        assert total["contacts"].tolist() == [len(part)]
        assert total["expected_retained"].iloc[0] == pytest.approx(part["expected_retained"].sum())
        shown = first[(first["branch_id"] == branch) & (first["assignee"] == assignee)]
        assert shown["client_id"].tolist() == part["client_id"].head(2).tolist()
        assert shown["action_zh"].tolist() == part["action_zh"].head(2).tolist()
        assert shown["action_en"].tolist() == part["action_en"].head(2).tolist()
