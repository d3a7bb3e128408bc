"""Contact plans in the store: the plan made from a run, replaced whole when planned
again (one transaction: readers see the old plan or the new one, never a mix)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from attrition.io.sql import fetch_frame, insert_frame
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


def plan_overview(
    engine: sa.Engine, run_id: int, *, shown: int, chunk: int = 500
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a branch report prints of a run's plan, which holds every client of the
    bank: per branch and assignee, the contacts and the value they are expected to
    keep (``branch_id, assignee, contacts, expected_retained``), and the first
    ``shown`` contacts in order (``branch_id, assignee, order, client_id, action_en,
    action_zh``). The actions' texts are read for those contacts only."""
    table = schema.contact_plans
    narrow = sa.select(
        table.c.branch_id,
        table.c.assignee,
        table.c.order,
        table.c.client_id,
        table.c.expected_retained,
    ).where(table.c.run_id == int(run_id))
    with engine.connect() as conn:
        plan = fetch_frame(conn, narrow)
        keys = ["branch_id", "assignee"]
        totals = (
            plan.groupby(keys, sort=True, dropna=False)
            .agg(contacts=("client_id", "size"), expected_retained=("expected_retained", "sum"))
            .reset_index()
        )
        first = plan.sort_values("order").groupby(keys, sort=False, dropna=False).head(shown)
        ids = first["client_id"].tolist()
        texts = [
            fetch_frame(
                conn,
                sa.select(table.c.client_id, table.c.action_en, table.c.action_zh).where(
                    table.c.run_id == int(run_id), table.c.client_id.in_(ids[i : i + chunk])
                ),
            )
            for i in range(0, len(ids), chunk)
        ]
    columns = ["client_id", "action_en", "action_zh"]
    texts_frame = pd.concat(texts) if texts else pd.DataFrame(columns=columns)
    first = first.drop(columns="expected_retained").merge(texts_frame, on="client_id", how="left")
    return totals, first.sort_values([*keys, "order"]).reset_index(drop=True)
