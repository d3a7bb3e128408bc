"""The reports' outbox: each message to send, its state and its attempts.

A message is one row per (report, period, document, recipient): queueing the same one
again finds the row and changes nothing, so a report is delivered once however often
its sending is retried or restarted. States: ``pending`` (due at
``next_attempt_at``), ``sending`` (claimed by a sender at ``claimed_at``), ``sent``,
``failed`` (after the attempt limit, or an answer that retrying cannot change; the
error is kept). A sender that dies while ``sending`` leaves the row claimed; once the
claim is older than the stale limit the row is due again and is resent with the same
Message-ID (the one window in which a message can arrive twice, recognisably).

Also the scheduler's lease: one scheduler process holds it and renews it; another
stands by until it expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from attrition.store import schema

T = schema.report_deliveries


def _writing(engine: sa.Engine) -> Any:
    """A transaction that reads, then writes what it read (on SQLite it takes the write
    lock first, so two such transactions queue instead of failing)."""
    return engine.execution_options(sqlite_begin="IMMEDIATE").begin()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Message:
    """One message of the outbox, as the sender needs it."""

    delivery_id: int
    report: str
    period: str
    document: str
    recipient: str
    message_id: str
    attempts: int
    pdf_path: str
    subject: str
    body_text: str
    body_html: str


def enqueue(engine: sa.Engine, rows: list[dict[str, Any]]) -> int:
    """Queue messages (dicts of the table's columns, without state or times); one
    already queued for its (report, period, document, recipient) is left as it is.
    Returns how many were new."""
    now = _now()
    new = 0
    with _writing(engine) as conn:
        for row in rows:
            found = conn.execute(
                sa.select(T.c.delivery_id).where(
                    T.c.report == row["report"],
                    T.c.period == row["period"],
                    T.c.document == row["document"],
                    T.c.recipient == row["recipient"],
                )
            ).first()
            if found is not None:
                continue
            conn.execute(
                sa.insert(T).values(
                    **row, state="pending", attempts=0, next_attempt_at=now, created_at=now
                )
            )
            new += 1
    return new


def claim_due(
    engine: sa.Engine,
    *,
    stale_after: timedelta,
    limit: int = 1,
    due_by: datetime | None = None,
) -> list[Message]:
    """Claim messages due (pending and due by ``due_by``, default now, or claimed by a
    sender longer ago than ``stale_after``): each is ``sending`` when returned, claimed
    by this caller only (a row another sender claimed meanwhile is skipped). Claim few
    at a time: a sender that dies holds its claims until they go stale."""
    now = _now()
    due = sa.or_(
        sa.and_(T.c.state == "pending", T.c.next_attempt_at <= (due_by or now)),
        sa.and_(T.c.state == "sending", T.c.claimed_at <= now - stale_after),
    )
    claimed = []
    with _writing(engine) as conn:
        rows = conn.execute(
            sa.select(T).where(due).order_by(T.c.next_attempt_at, T.c.delivery_id).limit(limit)
        ).all()
        for row in rows:
            # compare-and-set on the state and claim seen: two senders never share a row
            took = conn.execute(
                sa.update(T)
                .where(
                    T.c.delivery_id == row.delivery_id,
                    T.c.state == row.state,
                    (T.c.claimed_at == row.claimed_at)
                    if row.claimed_at is not None
                    else T.c.claimed_at.is_(None),
                )
                .values(state="sending", claimed_at=now, attempts=row.attempts + 1)
            ).rowcount
            if took:
                claimed.append(
                    Message(
                        row.delivery_id,
                        row.report,
                        row.period,
                        row.document,
                        row.recipient,
                        row.message_id,
                        row.attempts + 1,
                        row.pdf_path,
                        row.subject,
                        row.body_text,
                        row.body_html,
                    )
                )
    return claimed


def mark_sent(engine: sa.Engine, delivery_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(T)
            .where(T.c.delivery_id == delivery_id)
            .values(state="sent", sent_at=_now(), last_error=None)
        )


def mark_retry(engine: sa.Engine, delivery_id: int, error: str, wait: timedelta) -> None:
    """Back to pending, due after ``wait``, with the error kept."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(T)
            .where(T.c.delivery_id == delivery_id)
            .values(
                state="pending",
                claimed_at=None,
                next_attempt_at=_now() + wait,
                last_error=error[:2000],
            )
        )


def mark_failed(engine: sa.Engine, delivery_id: int, error: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(T)
            .where(T.c.delivery_id == delivery_id)
            .values(state="failed", claimed_at=None, last_error=error[:2000])
        )


def list_deliveries(engine: sa.Engine, report: str | None = None) -> pd.DataFrame:
    """The outbox, newest first, without bodies (for ``attrition reports status``)."""
    columns = [
        T.c.delivery_id,
        T.c.report,
        T.c.period,
        T.c.document,
        T.c.recipient,
        T.c.state,
        T.c.attempts,
        T.c.next_attempt_at,
        T.c.sent_at,
        T.c.last_error,
        T.c.message_id,
    ]
    query = sa.select(*columns).order_by(T.c.delivery_id.desc())
    if report is not None:
        query = query.where(T.c.report == report)
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def take_lease(engine: sa.Engine, name: str, holder: str, ttl: timedelta) -> bool:
    """Take or renew the lease ``name`` for ``holder`` until now + ``ttl``; False when
    another holder has it and it has not expired."""
    leases = schema.scheduler_leases
    now = _now()
    with _writing(engine) as conn:
        row = conn.execute(sa.select(leases).where(leases.c.name == name)).first()
        if row is None:
            try:
                with conn.begin_nested():
                    conn.execute(
                        sa.insert(leases).values(name=name, holder=holder, expires_at=now + ttl)
                    )
                return True
            except sa.exc.IntegrityError:  # another took it at the same moment
                return False
        if row.holder != holder and schema.stored_time(row.expires_at) > now:
            return False
        took = conn.execute(
            sa.update(leases)
            .where(leases.c.name == name, leases.c.holder == row.holder)
            .where(leases.c.expires_at == row.expires_at)
            .values(holder=holder, expires_at=now + ttl)
        ).rowcount
        return bool(took)


def release_lease(engine: sa.Engine, name: str, holder: str) -> None:
    """Give the lease up (a scheduler stopping cleanly), so another may take it now."""
    leases = schema.scheduler_leases
    with engine.begin() as conn:
        conn.execute(sa.delete(leases).where(leases.c.name == name, leases.c.holder == holder))
