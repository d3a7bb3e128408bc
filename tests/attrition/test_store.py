"""The store on SQLite and PostgreSQL: migrations, whole runs or none, current run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from attrition.results import ScoringResult
from attrition.store import (
    StoreError,
    current_run_id,
    list_runs,
    open_store,
    read_current_entity,
    read_run,
    schema_revision,
    upgrade_store,
    write_run,
)
from attrition.store.engine import head_revision

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'attrition.db'}"
    return request.getfixturevalue("pg_url")


def _result(n: int, as_of: str = "2026-09", seed: int = 0) -> ScoringResult:
    """A scoring result of ``n`` clients and two RMs, as scoring makes them."""
    rng = np.random.default_rng(seed)
    ids = [f"{i:08d}" for i in range(n)]
    risk = np.sort(rng.uniform(0, 0.3, size=(n, 12)), axis=1)
    clients = pd.DataFrame(
        {
            "id": ids,
            "entity_type": "client",
            "as_of": as_of,
            "model": "client_outflow",
            "model_version": 2,
            **{f"risk_{m}m": risk[:, m - 1] for m in range(1, 13)},
            "tier": rng.choice(["high", "medium", "low"], n),
            "value_at_risk": rng.uniform(0, 1e6, n),
            "model_warning": None,
            "model_warning_zh": None,
            "branch_id": rng.choice(["B001", "B002"], n),
            "rm_id": rng.choice(["RM01", "RM02"], n),
            "segment": "mass",
            "aum": rng.uniform(1e4, 1e7, n),
            "grade": None,
            "book_size": np.nan,
            "book_aum": np.nan,
        }
    )
    rms = clients.head(2).assign(
        id=["RM01", "RM02"],
        entity_type="rm",
        model="rm_resignation",
        model_version=1,
        model_warning="rm_resignation@1 is a weak model: its holdout had only 3 events",
        model_warning_zh="rm_resignation@1为弱模型：其留出集仅有3个事件",
        rm_id=None,
        segment=None,
        aum=np.nan,
        grade=["senior", "junior"],
        book_size=[300.0, 120.0],
        book_aum=[4.2e8, 9.0e7],
        value_at_risk=[np.nan, 5.0e4],
    )
    scores = pd.concat([rms, clients], ignore_index=True)
    drivers = pd.DataFrame(
        {
            "id": np.repeat(scores["id"], 2).to_numpy(),
            "entity_type": np.repeat(scores["entity_type"], 2).to_numpy(),
            "rank": np.tile([1, 2], len(scores)),
            "feature": np.tile(["maturing_share_1m", "segment"], len(scores)),
            "value": [v for _ in range(len(scores)) for v in (0.57, "mass")],
            "contribution": np.tile([0.05, 0.01], len(scores)),
            "direction": "up",
            "label_en": "Share of AUM maturing next month",
            "label_zh": "下月到期资产占比",
            "text_en": "57% of AUM matures next month",
            "text_zh": "下月到期资产占57%",
        }
    )
    drivers.loc[0, "value"] = None  # no data
    actions = pd.DataFrame(
        {
            "id": scores["id"],
            "entity_type": scores["entity_type"],
            "rank": 1,
            "action_id": "maturity_call",
            "priority": 1,
            "effect": 0.35,
            "en": "Call before the product matures",
            "zh": "产品到期前致电",
            "because": "maturing_share_1m",
            "remote": True,
        }
    )
    return ScoringResult(scores, drivers, actions, ("a note",))


def test_a_new_store_is_refused_until_upgraded_then_reads_back_a_run_exactly(url):
    with pytest.raises(StoreError, match="attrition db upgrade"):
        open_store(url)
    before, after = upgrade_store(url)
    assert before is None and after == head_revision()
    assert upgrade_store(url) == (after, after)  # safe to run again
    engine = open_store(url)
    result = _result(50)
    run_id = write_run(engine, result, entities=("rm", "client"))
    assert current_run_id(engine) == run_id == current_run_id(engine, entity="client")
    back = read_run(engine, run_id)
    pd.testing.assert_frame_equal(back.scores, result.scores, check_dtype=False)
    pd.testing.assert_frame_equal(back.actions, result.actions, check_dtype=False)
    assert back.drivers["value"].tolist() == result.drivers["value"].tolist()
    assert back.notes == ("a note",)
    runs = list_runs(engine)
    assert runs.loc[0, "status"] == "complete" and runs.loc[0, "n_scores"] == 52
    with engine.connect() as conn:
        refs = set(conn.execute(sa.text("SELECT ref FROM model_versions")).scalars())
    assert refs == {"client_outflow@2", "rm_resignation@1"}
    engine.dispose()


def test_a_store_on_an_old_schema_says_which_command_to_run(url):
    upgrade_store(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0000'"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"revision 0000.*run `attrition db upgrade`"):
        open_store(url)


def test_a_failed_write_leaves_the_previous_run_current_and_no_rows(url):
    upgrade_store(url)
    engine = open_store(url)
    first = write_run(engine, _result(20), entities=("rm", "client"))
    broken = _result(20, seed=1)
    broken.actions.loc[3, "en"] = None  # NOT NULL: the database refuses mid-write
    with pytest.raises(StoreError, match=r"could not be stored.*previous run stays current"):
        write_run(engine, broken, entities=("rm", "client"))
    assert current_run_id(engine) == first
    runs = list_runs(engine).set_index("run_id")
    failed = runs.index.max()
    assert runs.loc[failed, "status"] == "failed" and runs.loc[failed, "error"]
    with engine.connect() as conn:
        leftover = conn.execute(
            sa.text("SELECT count(*) FROM scores WHERE run_id = :r"), {"r": failed}
        ).scalar()
    assert leftover == 0
    with pytest.raises(StoreError, match="failed, not complete"):
        read_run(engine, failed)
    engine.dispose()


_WRITER = textwrap.dedent(
    """
    import sys, time
    import attrition.io.sql as sql
    from attrition.store import open_store, write_run
    sys.path.insert(0, {tests!r})
    from test_store import _result

    real = sql._insert
    def slow(conn, table, frame, types):
        real(conn, table, frame, types)
        if table.name == "drivers":  # scores and drivers written, not committed
            print("WRITING", flush=True)
            time.sleep(120)
    sql._insert = slow
    write_run(open_store({url!r}), _result(2000, seed=2), entities=("rm", "client"))
    """
)


def test_a_writer_killed_mid_run_leaves_the_previous_run_current(url, tmp_path):
    upgrade_store(url)
    engine = open_store(url)
    first = write_run(engine, _result(30), entities=("rm", "client"))
    script = tmp_path / "writer.py"
    script.write_text(_WRITER.format(tests=os.path.dirname(__file__), url=url), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        line = ""
        while "WRITING" not in line and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                pytest.fail(f"the writer ended early: {proc.stderr.read()}")
        assert "WRITING" in line
        # mid-write: the half-written run is not what readers see
        assert current_run_id(engine) == first
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert current_run_id(engine) == first
    runs = list_runs(engine).set_index("run_id")  # finds the writer gone
    killed = runs.index.max()
    assert killed != first and runs.loc[killed, "status"] == "failed"
    assert "ended before the run was complete" in runs.loc[killed, "error"]
    with engine.connect() as conn:
        for table in ("scores", "drivers", "actions"):
            n = conn.execute(
                sa.text(f"SELECT count(*) FROM {table} WHERE run_id = :r"), {"r": killed}
            ).scalar()
            assert n == 0, table
    # and the next run is written and becomes current
    second = write_run(engine, _result(10), entities=("client",))
    assert current_run_id(engine) == second and current_run_id(engine, entity="rm") == first
    engine.dispose()


def test_flat_table_scores_are_not_a_store_run(url):
    upgrade_store(url)
    engine = open_store(url)
    flat = ScoringResult(pd.DataFrame({"id": ["a"], "entity_type": ["flat"], "as_of": [None]}))
    with pytest.raises(StoreError, match="flat-table scores"):
        write_run(engine, flat, entities=("flat",))
    engine.dispose()


def test_the_schema_revision_is_the_head_after_upgrade(url):
    upgrade_store(url)
    engine = open_store(url)
    assert schema_revision(engine) == head_revision()
    engine.dispose()


def test_the_migrations_build_exactly_the_schema_the_code_uses(url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from attrition.store.schema import metadata

    upgrade_store(url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_the_risk_read_of_one_entity_gives_back_its_stored_rows_exactly(url):
    """``read_current_entity`` (one round trip on PostgreSQL, drivers and actions
    nested as JSON in the score row) against the run read back as frames: the same
    rows in rank order, floats to the bit, an entity without actions, a whole number
    still a float."""
    upgrade_store(url)
    engine = open_store(url)
    result = _result(6)
    awkward = [0.1 + 0.2, 1e-300, 111.0, -2.5e17, 1 / 3]
    result.drivers.loc[2 : 2 + len(awkward) - 1, "value"] = awkward
    result.drivers.loc[2:6, "contribution"] = [7.0, 0.1 + 0.7, 2e-308, 1 / 7, 12.0]
    result.drivers.loc[2:3, "rank"] = [2, 1]  # stored out of rank order
    result.actions.loc[1, "effect"] = 1.0
    no_actions = result.scores.loc[3, "id"]
    result = ScoringResult(
        result.scores, result.drivers, result.actions[result.actions["id"] != no_actions], ()
    )
    run_id = write_run(engine, result, entities=("rm", "client"))
    back = read_run(engine, run_id)
    for _, row in result.scores.iterrows():
        found = read_current_entity(engine, row["entity_type"], row["id"])
        assert found is not None and (found.run_id, found.as_of) == (run_id, "2026-09")
        stored = back.scores[
            (back.scores["id"] == row["id"]) & (back.scores["entity_type"] == row["entity_type"])
        ].iloc[0]
        assert found.score.keys() == set(stored.index) - {"run_id"}
        for column, value in found.score.items():
            assert value == stored[column] or (value is None and pd.isna(stored[column]))
        key = (back.drivers["id"] == row["id"]) & (
            back.drivers["entity_type"] == row["entity_type"]
        )
        want = back.drivers[key].sort_values("rank").to_dict("records")
        assert [d["rank"] for d in found.drivers] == [1, 2]
        for got, expected in zip(found.drivers, want, strict=True):
            assert got["contribution"] == expected["contribution"]
            assert type(got["contribution"]) is float
            value = expected["value"]
            assert got["value"] == value or (got["value"] is None and pd.isna(value))
            assert type(got["value"]) is type(value) or value is None or pd.isna(value)
        key = (back.actions["id"] == row["id"]) & (
            back.actions["entity_type"] == row["entity_type"]
        )
        want = back.actions[key].to_dict("records")
        assert [(a["action_id"], a["effect"], a["remote"]) for a in found.actions] == [
            (a["action_id"], a["effect"], bool(a["remote"])) for a in want
        ]
        assert all(type(a["effect"]) is float for a in found.actions)
    assert not read_current_entity(engine, "client", no_actions).actions
    assert read_current_entity(engine, "client", "nobody") is None
    engine.dispose()


@pytest.mark.postgres
def test_a_stored_run_is_analysed_at_once_on_postgresql(pg_url):
    """The planner has statistics for a run's rows as soon as it is stored, not
    whenever autovacuum comes by (tables dropped and made afresh have none)."""
    upgrade_store(pg_url)
    engine = open_store(pg_url)
    write_run(engine, _result(30), entities=("rm", "client"))
    with engine.connect() as conn:
        analysed = dict(
            conn.execute(
                sa.text(
                    "SELECT relname, last_analyze IS NOT NULL AND last_vacuum IS NOT NULL "
                    "FROM pg_stat_user_tables WHERE relname IN ('scores', 'drivers', 'actions')"
                )
            ).all()
        )
    engine.dispose()
    assert analysed == {"scores": True, "drivers": True, "actions": True}
