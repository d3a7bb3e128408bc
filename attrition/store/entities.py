"""One entity of a stored run, read by primary key: the risk API's hot read.

:func:`read_current_entity` answers every ``GET /v1/clients|rms/{id}/risk``: the
current run and the score row in one query, then the drivers and the actions, on one
raw connection with statements compiled once (:mod:`attrition.store.raw`), as plain
values. :func:`read_entity` gives one entity of a given run as a typed result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from attrition.results import ScoringResult
from attrition.store import schema
from attrition.store.raw import compiled, raw_cursor, records
from attrition.store.runs import _build_current_run_query, _result, _select


@dataclass(frozen=True)
class EntityRecord:
    """One entity of a run as plain Python values: its score row (``SCORE_COLUMNS``),
    drivers (``DRIVER_COLUMNS`` less the key, a value being its number or its text) and
    actions (``ACTION_COLUMNS`` less the key), in rank order."""

    run_id: int
    as_of: str
    score: dict[str, Any]
    drivers: list[dict[str, Any]]
    actions: list[dict[str, Any]]


# one entity's rows by primary key (the risk API runs these on every request: built once)
def _by_key(table: sa.Table, *, ranked: bool) -> sa.Select:
    query = _select(table).where(
        table.c.run_id == sa.bindparam("run_id"),
        table.c.entity_type == sa.bindparam("entity_type"),
        table.c.id == sa.bindparam("id"),
    )
    return query.order_by(table.c.rank) if ranked else query


_ENTITY_QUERIES = (
    _by_key(schema.scores, ranked=False),
    _by_key(schema.drivers, ranked=True),
    _by_key(schema.actions, ranked=True),
)


def _entity_rows(
    conn: sa.Connection, run_id: int, entity_type: str, entity_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]] | None:
    """An entity's stored score, driver and action rows (None when the run has none)."""
    key = {"run_id": int(run_id), "entity_type": entity_type, "id": entity_id}
    score_q, drivers_q, actions_q = _ENTITY_QUERIES
    score = conn.execute(score_q, key).mappings().first()
    if score is None:
        return None
    drivers = [dict(r) for r in conn.execute(drivers_q, key).mappings()]
    actions = [dict(r) for r in conn.execute(actions_q, key).mappings()]
    return dict(score), drivers, actions


def read_entity(
    engine: sa.Engine, run_id: int, entity_type: str, entity_id: str
) -> ScoringResult | None:
    """One entity's score, drivers and actions in a run (None when the run has none)."""
    with engine.connect() as conn:
        rows = _entity_rows(conn, run_id, entity_type, entity_id)
    if rows is None:
        return None
    score, drivers, actions = rows
    details = [
        pd.DataFrame(items, columns=[c.name for c in table.columns if c.name != "run_id"])
        for items, table in ((drivers, schema.drivers), (actions, schema.actions))
    ]
    return _result(pd.DataFrame([score]), *details)


def _build_current_score(as_of: bool, *, nested: bool) -> sa.Select:
    """An entity's score row in the current run (of its population, at ``as_of``),
    with the run's as-of: the run lookup and the row in one round trip. ``nested``
    (PostgreSQL): the entity's drivers and actions come in the same row, each as a
    JSON array of rows in rank order (columns as :data:`_NESTED`), so the whole read
    is one round trip; a float in PostgreSQL's JSON is its shortest exact text, read
    back to the same double."""
    runs, scores = schema.scoring_runs, schema.scores
    current = _build_current_run_query(True, as_of).with_only_columns(runs.c.run_id)
    columns: list[Any] = [scores, runs.c.as_of.label("run_as_of")]
    if nested:
        from sqlalchemy.dialects.postgresql import aggregate_order_by

        for name, table in (("drivers", schema.drivers), ("actions", schema.actions)):
            rows = sa.func.json_agg(
                aggregate_order_by(
                    sa.func.json_build_array(*[table.c[c] for c in _NESTED[name]]),
                    table.c.rank,
                )
            )
            columns.append(
                sa.select(rows)
                .where(
                    table.c.run_id == scores.c.run_id,
                    table.c.entity_type == scores.c.entity_type,
                    table.c.id == scores.c.id,
                )
                .scalar_subquery()
                .label(name)
            )
    return (
        sa.select(*columns)
        .join_from(scores, runs, runs.c.run_id == scores.c.run_id)
        .where(
            scores.c.run_id == current.scalar_subquery(),
            scores.c.entity_type == sa.bindparam("entity_type"),
            scores.c.id == sa.bindparam("id"),
        )
    )


# the columns of a driver and an action row as the risk API reads them (as the
# three-lookup path does), and those that are floats: JSON writes 111.0 as 111
_NESTED = {
    name: [c.name for c in table.columns if c.name != "run_id"]
    for name, table in (("drivers", schema.drivers), ("actions", schema.actions))
}
_FLOATS = {
    c.name
    for t in (schema.drivers, schema.actions)
    for c in t.columns
    if isinstance(c.type, sa.Float)
}
_CURRENT_SCORE = {
    (a, n): _build_current_score(a, nested=n) for a in (False, True) for n in (False, True)
}


def read_current_entity(
    engine: sa.Engine, entity_type: str, entity_id: str, *, as_of: str | None = None
) -> EntityRecord | None:
    """An entity in the current run holding its population (the run at ``as_of`` when
    given) as plain values, or None, on one raw connection with no frames, because the
    risk API asks this on every request (:mod:`attrition.store.raw`). PostgreSQL
    answers it in one round trip (drivers and actions nested in the score row); SQLite,
    in-process, in three primary-key lookups. A complete run's rows never change, so
    the lookups need no shared transaction."""
    nested = engine.dialect.name == "postgresql"
    score_sql = compiled(
        engine,
        f"current score {as_of is not None} {nested}",
        _CURRENT_SCORE[as_of is not None, nested],
    )
    key = {"entity_type": entity_type, "id": entity_id}
    with raw_cursor(engine, autocommit=True) as cursor:
        cursor.execute(
            score_sql.sql, score_sql.params({**key, "entity": entity_type, "as_of": as_of})
        )
        found = records(cursor, score_sql.columns)
        if not found:
            return None
        score = found[0]
        run_as_of = str(score.pop("run_as_of"))
        key["run_id"] = int(score.pop("run_id"))
        if nested:
            rows = [
                [
                    {
                        c: float(v) if c in _FLOATS and v is not None else v
                        for c, v in zip(_NESTED[name], r, strict=True)
                    }
                    for r in score.pop(name) or ()
                ]
                for name in ("drivers", "actions")
            ]
        else:
            rows = []
            for name, query in (("drivers", _ENTITY_QUERIES[1]), ("actions", _ENTITY_QUERIES[2])):
                sql = compiled(engine, f"entity {name}", query)
                cursor.execute(sql.sql, sql.params(key))
                rows.append(records(cursor, sql.columns))
    drivers, actions = rows
    for d in drivers:
        number, text = d.pop("value_num"), d.pop("value_text")
        d["value"] = number if number is not None else text
    for a in actions:
        a["remote"] = bool(a["remote"])  # SQLite keeps 0/1
    return EntityRecord(key["run_id"], run_as_of, score, drivers, actions)
