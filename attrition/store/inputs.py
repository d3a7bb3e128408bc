"""Each stored entity's model inputs: the feature values its score came from.

A what-if question (``POST /v1/clients/{id}/what-if``) starts from exactly what was
scored, not from features rebuilt later from data that may have changed since. Values
are kept per entity as a JSON list in the order of the run's ``input_columns`` (JSON is
made here, at the database edge; callers get a typed row back). Only tabular models
have such inputs; a sequence model reads months of history, not one row.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

import pandas as pd
import sqlalchemy as sa

from attrition.io.sql import insert_frame
from attrition.store import schema


def _plain(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def write_inputs(
    conn: sa.Connection, run_id: int, inputs: Mapping[str, pd.DataFrame]
) -> dict[str, list[str]]:
    """Store the inputs by population inside the run's transaction; returns the
    column order of each (for ``scoring_runs.input_columns``)."""
    columns = {}
    for entity, frame in inputs.items():
        columns[entity] = [str(c) for c in frame.columns]
        # json.dumps writes floats in their shortest exact form: a what-if from these
        # values gives back the stored risk to the last bit
        values = [
            json.dumps([_plain(v) for v in row], allow_nan=False)
            for row in frame.astype(object).itertuples(index=False, name=None)
        ]
        rows = pd.DataFrame(
            {"run_id": int(run_id), "entity_type": entity, "id": frame.index.astype(str)}
        ).assign(values=values)
        insert_frame(conn, schema.model_inputs, rows)
    return columns


def read_inputs_of(
    engine: sa.Engine, run_id: int, entity: str, ids: list[str]
) -> pd.DataFrame:
    """These entities' inputs in a run: one row per id the run kept inputs for (index:
    id), one column per model input; no row for an id it kept none for."""
    runs, table = schema.scoring_runs, schema.model_inputs
    with engine.connect() as conn:
        columns = conn.execute(
            sa.select(runs.c.input_columns).where(runs.c.run_id == int(run_id))
        ).scalar()
        rows = conn.execute(
            sa.select(table.c.id, table.c["values"]).where(
                table.c.run_id == int(run_id),
                table.c.entity_type == entity,
                table.c.id.in_([str(i) for i in ids]),
            )
        ).all()
    names = (columns or {}).get(entity, [])
    if not rows or not names:
        return pd.DataFrame(columns=names, index=pd.Index([], name="id"), dtype=object)
    return pd.DataFrame(
        [json.loads(values) for _, values in rows],
        index=pd.Index([i for i, _ in rows], name="id"),
        columns=names,
        dtype=object,
    )


def read_inputs(engine: sa.Engine, run_id: int, entity: str, entity_id: str) -> pd.Series | None:
    """One entity's inputs in a run, named by feature; None when the run kept none
    for it (a sequence model, or not scored)."""
    found = read_inputs_of(engine, run_id, entity, [entity_id])
    return None if found.empty else found.iloc[0].rename(entity_id)
