"""Reads across stored runs: the run before another, a run's scores alone, and each
branch's totals by tier over the runs (the reports' trend and "since last time")."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from attrition.io.sql import fetch_frame
from attrition.results import SCORE_COLUMNS
from attrition.store import schema
from attrition.store.runs import _details, _result, _select


def previous_run_id(engine: sa.Engine, run_id: int, entity: str) -> int | None:
    """The newest complete run holding ``entity`` at an as-of month before that of
    ``run_id`` (None when there is none)."""
    runs = schema.scoring_runs
    this = sa.select(runs.c.as_of).where(runs.c.run_id == int(run_id)).scalar_subquery()
    query = (
        sa.select(runs.c.run_id)
        .where(
            runs.c.status == "complete",
            runs.c.entities.contains(entity),
            runs.c.as_of < this,
        )
        .order_by(runs.c.as_of.desc(), runs.c.run_id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        found = conn.execute(query).scalar()
    return None if found is None else int(found)


def run_scores(
    engine: sa.Engine,
    run_id: int,
    entity: str | None = None,
    *,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The score rows of a run (of one population), without drivers or actions; only
    ``columns`` when given (a bank-wide run holds millions of rows: a report reads
    the dozen columns it shows, in half the time of all of them)."""
    t = schema.scores
    chosen = [t.c[name] for name in columns] if columns is not None else _select(t).selected_columns
    query = sa.select(*chosen).where(t.c.run_id == int(run_id))
    if entity is not None:
        query = query.where(t.c.entity_type == entity)
    with engine.connect() as conn:
        return fetch_frame(conn, query)


def tier_history(engine: sa.Engine, entity: str, *, up_to: int | None = None) -> pd.DataFrame:
    """Per as-of month (its newest complete run holding ``entity``, up to run
    ``up_to``), branch and tier: entities, AUM and value at risk, oldest month first.
    Columns: ``run_id, as_of, branch_id, tier, entities, aum, value_at_risk``."""
    runs, t = schema.scoring_runs, schema.scores
    newest = (
        sa.select(sa.func.max(runs.c.run_id).label("run_id"))
        .where(runs.c.status == "complete", runs.c.entities.contains(entity))
        .group_by(runs.c.as_of)
    )
    if up_to is not None:
        newest = newest.where(runs.c.run_id <= int(up_to))
    query = (
        sa.select(
            t.c.run_id,
            runs.c.as_of,
            t.c.branch_id,
            t.c.tier,
            sa.func.count().label("entities"),
            sa.func.sum(t.c.aum).label("aum"),
            sa.func.sum(t.c.value_at_risk).label("value_at_risk"),
        )
        .join(runs, runs.c.run_id == t.c.run_id)
        .where(t.c.run_id.in_(newest), t.c.entity_type == entity)
        .group_by(t.c.run_id, runs.c.as_of, t.c.branch_id, t.c.tier)
        .order_by(runs.c.as_of, t.c.branch_id, t.c.tier)
    )
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def run_details(
    engine: sa.Engine, run_id: int, entity_type: str, ids: list[str], *, chunk: int = 500
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The drivers and actions of some entities of a run, in rank order (a driver's
    value is its number or its text): the reports read the few they list, not the
    millions a bank-wide run holds."""
    drivers, actions = [], []
    with engine.connect() as conn:
        for start in range(0, max(len(ids), 1), chunk):
            d, a = _details(conn, int(run_id), entity_type, list(ids[start : start + chunk]))
            drivers.append(d)
            actions.append(a)
    scores = pd.DataFrame(columns=SCORE_COLUMNS)
    result = _result(scores, pd.concat(drivers), pd.concat(actions))
    return result.drivers, result.actions
