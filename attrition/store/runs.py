"""Scoring runs in the store: written whole or not at all, read back as typed frames.

A run is registered as ``running`` (committed at once, so an interrupted run is seen),
then its scores, drivers, actions and model inputs are written in one transaction that
also marks it ``complete``. A failure marks it ``failed`` with the error; a writer killed
outright (``kill -9``) leaves its transaction uncommitted, so none of its rows exist,
and the run still says ``running`` until :func:`mark_abandoned_runs` (called by every
writer and by :func:`list_runs`) finds its process gone and marks it ``failed``. The
*current* run is the newest complete one: readers never see half a run.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from attrition.io.sql import insert_frame, settle_after_bulk_load
from attrition.results import (
    ACTION_COLUMNS,
    DRIVER_COLUMNS,
    SCORE_COLUMNS,
    ScoringResult,
)
from attrition.store import schema
from attrition.store.engine import StoreError
from attrition.store.inputs import write_inputs

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
# the tables a run fills in bulk
_RUN_TABLES = ("scores", "drivers", "actions", "model_inputs", "reference_values")
# a run still "running" from another machine after this long is taken as abandoned
STALE_AFTER = timedelta(hours=24)


def _now() -> datetime:
    return datetime.now(UTC)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_abandoned_runs(engine: sa.Engine) -> int:
    """Mark ``failed`` the runs whose writer is gone (this machine: its process has
    ended; another machine: no news for :data:`STALE_AFTER`). Returns how many."""
    runs = schema.scoring_runs
    host = socket.gethostname()
    with engine.begin() as conn:
        running = conn.execute(
            sa.select(
                runs.c.run_id, runs.c.writer_host, runs.c.writer_pid, runs.c.started_at
            ).where(runs.c.status == "running")
        ).all()
        gone = []
        for run_id, writer_host, pid, started in running:
            started = schema.stored_time(started)
            if writer_host == host and pid is not None and pid != os.getpid():
                if not _pid_alive(pid):
                    gone.append(run_id)
            elif writer_host != host and _now() - started > STALE_AFTER:
                gone.append(run_id)
        if gone:
            conn.execute(
                sa.update(runs)
                .where(runs.c.run_id.in_(gone))
                .values(
                    status="failed",
                    finished_at=_now(),
                    error="the writing process ended before the run was complete",
                )
            )
    return len(gone)


def _drivers_rows(drivers: pd.DataFrame, run_id: int) -> pd.DataFrame:
    values = drivers["value"].to_numpy(dtype=object)
    numeric = np.array(
        [isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in values]
    )
    num = np.where(numeric, values, None)
    text = np.where(~numeric & pd.notna(values), values, None)
    return drivers.drop(columns=["value"]).assign(
        run_id=run_id,
        value_num=pd.array([None if v is None else float(v) for v in num], dtype="Float64"),
        value_text=[None if v is None else str(v) for v in text],
    )


def write_run(
    engine: sa.Engine,
    result: ScoringResult,
    *,
    entities: tuple[str, ...],
    progress: Progress | None = None,
) -> int:
    """Write a bank's scoring run; returns its ``run_id`` once it is complete.

    Raises
    ------
    StoreError
        Scores that are not one bank run (flat-table scores, several as-of months), or
        a write the database refused (the run is then marked failed, with the error).
    """
    say = progress or (lambda _m: None)
    scores = result.scores
    if scores.empty:
        raise StoreError("there are no scores to store")
    if not set(scores["entity_type"]) <= {"client", "rm"}:
        raise StoreError("flat-table scores are written to files (--out), not the store")
    months = scores["as_of"].unique()
    if len(months) != 1:
        raise StoreError(f"a run holds one as-of month, got {sorted(months)}")
    mark_abandoned_runs(engine)
    runs = schema.scoring_runs
    used = scores[["model", "model_version"]].drop_duplicates()
    models = sorted(f"{m}@{v}" for m, v in used.itertuples(index=False))
    with engine.begin() as conn:
        run_id = conn.execute(
            sa.insert(runs).values(
                as_of=str(months[0]),
                entities=",".join(entities),
                status="running",
                started_at=_now(),
                models=",".join(models),
                writer_host=socket.gethostname(),
                writer_pid=os.getpid(),
            )
        ).inserted_primary_key[0]
    t0 = time.perf_counter()
    try:
        with engine.begin() as conn:
            _record_models(conn, scores)
            say(f"Storing run {run_id}: {len(scores):,} scores")
            insert_frame(conn, schema.scores, scores[SCORE_COLUMNS].assign(run_id=run_id))
            say(f"Storing run {run_id}: {len(result.drivers):,} drivers")
            insert_frame(conn, schema.drivers, _drivers_rows(result.drivers, run_id))
            say(f"Storing run {run_id}: {len(result.actions):,} actions")
            insert_frame(conn, schema.actions, result.actions.assign(run_id=run_id))
            columns = write_inputs(conn, run_id, result.inputs)
            if result.references is not None and not result.references.empty:
                refs = result.references.assign(run_id=run_id)
                insert_frame(conn, schema.reference_values, refs)
            conn.execute(
                sa.update(runs)
                .where(runs.c.run_id == run_id)
                .values(
                    status="complete",
                    finished_at=_now(),
                    write_s=time.perf_counter() - t0,
                    n_scores=len(scores),
                    n_drivers=len(result.drivers),
                    n_actions=len(result.actions),
                    notes="\n".join(result.notes) or None,
                    input_columns=columns or None,
                )
            )
    except BaseException as exc:  # an interrupt too: the run must not stay "running"
        with engine.begin() as conn:
            conn.execute(
                sa.update(runs)
                .where(runs.c.run_id == run_id)
                .values(status="failed", finished_at=_now(), error=str(exc)[:2000] or repr(exc))
            )
        if isinstance(exc, Exception) and not isinstance(exc, StoreError):
            raise StoreError(
                f"scoring run {run_id} could not be stored ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else exc!r}); the previous run stays "
                "current"
            ) from exc
        raise
    say("Settling the new rows for reads (VACUUM ANALYZE)")
    settle_after_bulk_load(engine, _RUN_TABLES)
    log.info("stored scoring run %s (%s scores)", run_id, len(scores))
    return int(run_id)


def _record_models(conn: sa.Connection, scores: pd.DataFrame) -> None:
    """Add the model versions this run used to ``model_versions`` (once each)."""
    table = schema.model_versions
    used = scores[["model", "model_version", "entity_type"]].drop_duplicates()
    refs = {f"{m}@{v}": (m, int(v), e) for m, v, e in used.itertuples(index=False)}
    known = set(conn.execute(sa.select(table.c.ref).where(table.c.ref.in_(list(refs)))).scalars())
    new = [
        {"ref": r, "name": m, "version": v, "entity_type": e, "first_used_at": _now()}
        for r, (m, v, e) in refs.items()
        if r not in known
    ]
    if new:
        conn.execute(sa.insert(table), new)


def _build_current_run_query(entity: bool, as_of: bool) -> sa.Select:
    runs = schema.scoring_runs
    query = sa.select(runs.c.run_id, runs.c.as_of).where(runs.c.status == "complete")
    if entity:
        query = query.where(runs.c.entities.contains(sa.bindparam("entity")))
    if as_of:
        query = query.where(runs.c.as_of == sa.bindparam("as_of"))
    return query.order_by(runs.c.run_id.desc()).limit(1)


# built once: the risk API asks for the current run on every request, and building a
# statement costs more than running it
_CURRENT_RUN = {
    (e, a): _build_current_run_query(e, a) for e in (False, True) for a in (False, True)
}


def _current_run(conn: sa.Connection, entity: str | None, as_of: str | None) -> sa.Row[Any] | None:
    params = {k: v for k, v in (("entity", entity), ("as_of", as_of)) if v is not None}
    return conn.execute(_CURRENT_RUN[entity is not None, as_of is not None], params).first()


def current_run_id(
    engine: sa.Engine, *, entity: str | None = None, as_of: str | None = None
) -> int | None:
    """The newest complete run (holding ``entity``, at ``as_of`` when given)."""
    with engine.connect() as conn:
        found = _current_run(conn, entity, as_of)
    return None if found is None else int(found.run_id)


def current_models(engine: sa.Engine) -> list[str]:
    """The model versions (``name@version``) of each population's current run."""
    runs = schema.scoring_runs
    refs: set[str] = set()
    with engine.connect() as conn:
        for entity in ("client", "rm"):
            run = _current_run(conn, entity, None)
            if run is not None:
                used = conn.execute(
                    sa.select(runs.c.models).where(runs.c.run_id == run.run_id)
                ).scalar()
                refs |= {r for r in (used or "").split(",") if r}
    return sorted(refs)


def list_runs(engine: sa.Engine) -> pd.DataFrame:
    """Every run, newest first (abandoned ones marked failed first)."""
    mark_abandoned_runs(engine)
    runs = schema.scoring_runs
    query = sa.select(
        runs.c.run_id,
        runs.c.as_of,
        runs.c.entities,
        runs.c.status,
        runs.c.started_at,
        runs.c.finished_at,
        runs.c.write_s,
        runs.c.n_scores,
        runs.c.models,
        runs.c.error,
    ).order_by(runs.c.run_id.desc())
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def read_run(engine: sa.Engine, run_id: int) -> ScoringResult:
    """A complete run's scores, drivers and actions.

    Raises
    ------
    StoreError
        No such run, or a run that is not complete (running or failed).
    """
    runs = schema.scoring_runs
    run_id = int(run_id)  # a numpy integer would not bind on SQLite
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(runs.c.status, runs.c.notes).where(runs.c.run_id == run_id)
        ).first()
        if row is None:
            raise StoreError(f"there is no scoring run {run_id}")
        if row.status != "complete":
            raise StoreError(f"scoring run {run_id} is {row.status}, not complete")
        t = schema.scores
        scores = pd.read_sql(_select(t).where(t.c.run_id == run_id), conn)
        drivers, actions = _details(conn, run_id)
    return _result(
        _rms_first(scores, ["entity_type", "id"]),
        _rms_first(drivers, ["entity_type", "id", "rank"]),
        _rms_first(actions, ["entity_type", "id", "rank"]),
        tuple((row.notes or "").splitlines()),
    )


def _select(table: sa.Table) -> sa.Select:
    """Every column of a run's table but the run id."""
    return sa.select(*[c for c in table.columns if c.name != "run_id"])


def run_as_of(engine: sa.Engine, run_id: int) -> str:
    """The as-of month of a run."""
    runs = schema.scoring_runs
    with engine.connect() as conn:
        return str(
            conn.execute(sa.select(runs.c.as_of).where(runs.c.run_id == int(run_id))).scalar()
        )


def branch_page(
    engine: sa.Engine,
    run_id: int,
    branch_id: str,
    entity_type: str,
    *,
    tier: str | None = None,
    limit: int = 50,
    after: tuple[float, str] | None = None,
) -> ScoringResult:
    """One page of a branch's at-risk list: largest value at risk first (unknown
    last), then by id; ``after`` is the (value, id) of the previous page's last row, so
    pages stay consistent however deep (keyset pagination, no OFFSET)."""
    t = schema.scores
    run_id = int(run_id)
    value = sa.func.coalesce(t.c.value_at_risk, -1.0)
    query = _select(t).where(
        t.c.run_id == run_id, t.c.branch_id == branch_id, t.c.entity_type == entity_type
    )
    if tier is not None:
        query = query.where(t.c.tier == tier)
    if after is not None:
        last_value, last_id = after
        query = query.where(
            sa.or_(value < last_value, sa.and_(value == last_value, t.c.id > last_id))
        )
    with engine.connect() as conn:
        scores = pd.read_sql(query.order_by(value.desc(), t.c.id).limit(limit), conn)
        drivers, actions = _details(conn, run_id, entity_type, scores["id"].tolist())
    return _result(scores, drivers, actions)


def _details(
    conn: sa.Connection,
    run_id: int,
    entity_type: str | None = None,
    ids: list[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The drivers and actions of a run (of some entities), in rank order."""
    out = []
    for table in (schema.drivers, schema.actions):
        query = _select(table).where(table.c.run_id == run_id)
        if entity_type is not None:
            query = query.where(table.c.entity_type == entity_type)
        if ids is not None:
            query = query.where(table.c.id.in_(ids))
        order = (table.c.entity_type, table.c.id, table.c.rank)
        out.append(pd.read_sql(query.order_by(*order), conn))
    return out[0], out[1]


def _result(
    scores: pd.DataFrame,
    drivers: pd.DataFrame,
    actions: pd.DataFrame,
    notes: tuple[str, ...] = (),
) -> ScoringResult:
    """Stored rows as scoring returned them: a driver's value is its number or its
    text, ``remote`` a bool (SQLite keeps 0/1)."""
    number = drivers["value_num"].astype(object).where(drivers["value_num"].notna(), None)
    drivers = drivers.assign(value=number.where(number.notna(), drivers["value_text"]))
    actions = actions.assign(remote=actions["remote"].astype(bool))
    return ScoringResult(
        scores[SCORE_COLUMNS], drivers[DRIVER_COLUMNS], actions[ACTION_COLUMNS], notes
    )


def _rms_first(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """RMs before clients, as scoring returns them."""
    order = {"rm": 0, "client": 1}
    return frame.sort_values(
        keys, key=lambda c: c.map(order) if c.name == "entity_type" else c, kind="stable"
    ).reset_index(drop=True)


def branch_summary(engine: sa.Engine, run_id: int, branch_id: str) -> pd.DataFrame:
    """Per population and tier: entities, AUM and value at risk (unknown stays null)."""
    t = schema.scores
    query = (
        sa.select(
            t.c.entity_type,
            t.c.tier,
            sa.func.count().label("entities"),
            sa.func.sum(t.c.aum).label("aum"),
            sa.func.sum(t.c.value_at_risk).label("value_at_risk"),
        )
        .where(t.c.run_id == int(run_id), t.c.branch_id == branch_id)
        .group_by(t.c.entity_type, t.c.tier)
    )
    with engine.connect() as conn:
        return pd.read_sql(query, conn)
