"""Reading a run's reference values back (written with the run by
:func:`attrition.store.runs.write_run`; what they are: :mod:`attrition.pipeline.references`)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from attrition.store import schema


def read_references(
    engine: sa.Engine, run_id: int, entity_type: str, ids: list[str]
) -> pd.DataFrame:
    """The rows of these entities and of every group (``branch:<id>``, ``all``) of one
    population in a run: columns ``entity_type``, ``id``, ``name``, ``value``."""
    t = schema.reference_values
    query = sa.select(t.c.entity_type, t.c.id, t.c.name, t.c.value).where(
        t.c.run_id == int(run_id),
        t.c.entity_type == entity_type,
        sa.or_(t.c.id.in_(ids), t.c.id.like("branch:%"), t.c.id == "all"),
    )
    with engine.connect() as conn:
        return pd.read_sql(query, conn)
