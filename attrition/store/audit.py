"""The audit log: one row per sensitive read or change, appended and never altered.

Rows name the key, its role, the action (an API endpoint or a command), the entity
ids or how many, and the outcome, never a client's or RM's name or a key's secret.
There is no update or delete path in the code, and the migration's triggers refuse
both on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from attrition.store import schema


def record(
    conn: sa.Connection,
    *,
    action: str,
    key_id: str | None = None,
    role: str | None = None,
    entity_type: str | None = None,
    entity_ids: Iterable[str] = (),
    count: int | None = None,
    outcome: str = "ok",
) -> None:
    """Append one audit row inside the caller's transaction."""
    ids = [str(i) for i in entity_ids]
    conn.execute(
        sa.insert(schema.audit_log).values(
            at=datetime.now(UTC),
            key_id=key_id,
            role=role,
            action=action,
            entity_type=entity_type,
            entity_ids=",".join(ids) or None,
            count=len(ids) if count is None and ids else count,
            outcome=outcome,
        )
    )


def export_audit(engine: sa.Engine, since: datetime | None = None) -> pd.DataFrame:
    """The audit rows since a time (all by default), oldest first."""
    log = schema.audit_log
    query = sa.select(log).order_by(log.c.entry_id)
    if since is not None:
        query = query.where(log.c.at >= since)
    with engine.connect() as conn:
        return pd.read_sql(query, conn)
