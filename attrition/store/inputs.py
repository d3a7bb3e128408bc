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


def read_inputs(engine: sa.Engine, run_id: int, entity: str, entity_id: str) -> pd.Series | None:
    """One entity's inputs in a run, named by feature; None when the run kept none
    for it (a sequence model, or not scored)."""
    runs, table = schema.scoring_runs, schema.model_inputs
    with engine.connect() as conn:
        columns = conn.execute(
            sa.select(runs.c.input_columns).where(runs.c.run_id == int(run_id))
        ).scalar()
        values = conn.execute(
            sa.select(table.c["values"]).where(
                table.c.run_id == int(run_id),
                table.c.entity_type == entity,
                table.c.id == entity_id,
            )
        ).scalar()
    if values is None or not columns or entity not in columns:
        return None
    return pd.Series(json.loads(values), index=columns[entity], dtype=object, name=entity_id)
