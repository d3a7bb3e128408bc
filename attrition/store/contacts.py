"""Recorded contacts: what happened when a client was contacted, the feedback that
later measures which action keeps the money (``POST /v1/contacts``).

A contact names the client, when, how (channel), what was done (a playbook action) and
the outcome; the store adds the client's branch and RM in the run, whether the contact
was in that run's plan and which action the plan asked for. There is no free-text
field, so nothing here can hold a name. A retried request (the same key and
``Idempotency-Key``) records nothing twice: it gets the first record back, and one with
the same idempotency key but other content is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from attrition.store import schema
from attrition.store.engine import StoreError

# what the caller says (the rest is the store's)
CALLER_FIELDS = ("client_id", "action_id", "channel", "outcome", "contacted_at")


class ContactConflictError(StoreError):
    """The idempotency key was used before for a different contact."""


@dataclass(frozen=True)
class Contact:
    """One contact to record (the caller's part)."""

    client_id: str
    action_id: str
    channel: str
    outcome: str
    contacted_at: datetime


def planned_action(engine: sa.Engine, run_id: int, client_id: str) -> str | None:
    """The action the run's contact plan asks for this client (None: not in the plan)."""
    plans = schema.contact_plans
    with engine.connect() as conn:
        return conn.execute(
            sa.select(plans.c.action_id).where(
                plans.c.run_id == int(run_id), plans.c.client_id == client_id
            )
        ).scalar()


def _utc(when: datetime) -> datetime:
    # SQLite keeps no zone: compare and return every time in UTC
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _same(row: Any, contact: Contact) -> bool:
    return all(
        (_utc(getattr(row, f)) if f == "contacted_at" else getattr(row, f))
        == (_utc(contact.contacted_at) if f == "contacted_at" else getattr(contact, f))
        for f in CALLER_FIELDS
    )


def record_contact(
    engine: sa.Engine,
    contact: Contact,
    *,
    run_id: int,
    branch_id: str | None,
    rm_id: str | None,
    key_id: str | None,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Store one contact; returns (the stored record, whether it is new).

    Raises
    ------
    ContactConflictError
        ``idempotency_key`` was used by this key for another contact.
    """
    table = schema.recorded_contacts
    planned = planned_action(engine, run_id, contact.client_id)
    values = {
        "client_id": contact.client_id,
        "branch_id": branch_id,
        "rm_id": rm_id,
        "run_id": int(run_id),
        "planned": planned is not None,
        "planned_action_id": planned,
        "action_id": contact.action_id,
        "channel": contact.channel,
        "outcome": contact.outcome,
        "contacted_at": _utc(contact.contacted_at),
        "recorded_at": datetime.now(UTC),
        "key_id": key_id,
        "idempotency_key": idempotency_key,
    }
    if idempotency_key is not None:
        earlier = _by_retry_key(engine, key_id, idempotency_key)
        if earlier is not None:
            if not _same(earlier, contact):
                raise ContactConflictError(idempotency_key)
            return _record(earlier), False
    try:
        with engine.begin() as conn:
            contact_id = conn.execute(sa.insert(table).values(**values)).inserted_primary_key[0]
    except sa.exc.IntegrityError:
        # the same retry raced us to it: what it stored is the answer
        earlier = _by_retry_key(engine, key_id, idempotency_key) if idempotency_key else None
        if earlier is None:
            raise
        if not _same(earlier, contact):
            raise ContactConflictError(idempotency_key) from None
        return _record(earlier), False
    return {"contact_id": int(contact_id), **values}, True


def _by_retry_key(engine: sa.Engine, key_id: str | None, idempotency_key: str) -> Any:
    table = schema.recorded_contacts
    with engine.connect() as conn:
        return conn.execute(
            sa.select(table).where(
                table.c.key_id == key_id, table.c.idempotency_key == idempotency_key
            )
        ).first()


def _record(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    for when in ("contacted_at", "recorded_at"):
        out[when] = _utc(out[when])
    return out


def read_contacts(engine: sa.Engine, since: datetime | None = None) -> pd.DataFrame:
    """Every recorded contact (since a time), oldest first."""
    table = schema.recorded_contacts
    query = sa.select(table).order_by(table.c.contact_id)
    if since is not None:
        query = query.where(table.c.contacted_at >= since)
    with engine.connect() as conn:
        return pd.read_sql(query, conn)
