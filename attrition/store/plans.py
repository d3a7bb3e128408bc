"""Contact plans in the store: the plan made from a run, replaced whole when planned
again (one transaction: readers see the old plan or the new one, never a mix)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from attrition.io.sql import insert_frame
from attrition.store import schema


def write_plan(engine: sa.Engine, run_id: int, plan: pd.DataFrame) -> None:
    """Store ``plan`` (:data:`attrition.pipeline.plan.PLAN_COLUMNS`) for ``run_id``."""
    table = schema.contact_plans
    with engine.begin() as conn:
        conn.execute(sa.delete(table).where(table.c.run_id == int(run_id)))
        insert_frame(conn, table, plan.assign(run_id=int(run_id)))


def read_plan(engine: sa.Engine, run_id: int, assignee: str | None = None) -> pd.DataFrame:
    """A run's plan (one assignee's part), in each assignee's order."""
    table = schema.contact_plans
    query = sa.select(*[c for c in table.columns if c.name != "run_id"]).where(
        table.c.run_id == int(run_id)
    )
    if assignee is not None:
        query = query.where(table.c.assignee == assignee)
    with engine.connect() as conn:
        return pd.read_sql(query.order_by(table.c.assignee, table.c.order), conn)
