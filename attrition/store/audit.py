"""The audit log: one row per sensitive read or change, appended and never altered.

Rows name the key, its role, the action (an API endpoint or a command), the entity
ids or how many, and the outcome, never a client's or RM's name or a key's secret.
There is no update or delete path in the code, and the migration's triggers refuse
both on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from attrition.store import schema
from attrition.store.engine import StoreError
from attrition.store.raw import compiled, raw_cursor

try:  # POSIX; elsewhere SQLite's own retries order the writers
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


def _row(
    *,
    action: str,
    key_id: str | None,
    role: str | None,
    entity_type: str | None,
    entity_ids: Iterable[str],
    count: int | None,
    outcome: str,
) -> dict[str, Any]:
    ids = [str(i) for i in entity_ids]
    return {
        "at": datetime.now(UTC),
        "key_id": key_id,
        "role": role,
        "action": action,
        "entity_type": entity_type,
        "entity_ids": ",".join(ids) or None,
        "count": len(ids) if count is None and ids else count,
        "outcome": outcome,
    }


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
    row = _row(
        action=action,
        key_id=key_id,
        role=role,
        entity_type=entity_type,
        entity_ids=entity_ids,
        count=count,
        outcome=outcome,
    )
    conn.execute(sa.insert(schema.audit_log).values(**row))


def append(
    engine: sa.Engine,
    *,
    action: str,
    key_id: str | None = None,
    role: str | None = None,
    entity_type: str | None = None,
    entity_ids: Iterable[str] = (),
    count: int | None = None,
    outcome: str = "ok",
) -> None:
    """Append one audit row and return once it is committed (durable: the API answers
    only after its read is logged). Rows appended at the same time from several
    threads share one commit (group commit), so the log costs one disk flush per
    batch of requests instead of one per request.

    Raises
    ------
    StoreError
        The row could not be written (nor the others of its commit).
    """
    row = _row(
        action=action,
        key_id=key_id,
        role=role,
        entity_type=entity_type,
        entity_ids=entity_ids,
        count=count,
        outcome=outcome,
    )
    with _LOCK:
        writer = _WRITERS.get(engine)
        if writer is None:
            writer = _WRITERS[engine] = _GroupCommit(engine)
    writer.append(row)


_COLUMNS = ["at", "key_id", "role", "action", "entity_type", "entity_ids", "count", "outcome"]


class _Ticket:
    """One caller's row, and the lock it sleeps on until its batch is written or it is
    handed the next batch to write."""

    __slots__ = ("done", "error", "lead", "row", "wake")

    def __init__(self, row: dict[str, Any]) -> None:
        self.row, self.done, self.lead, self.error = row, False, False, None
        self.wake = threading.Lock()
        self.wake.acquire()  # released once, by whoever wakes this caller


def _sqlite_writer_turns(engine: sa.Engine) -> Callable[[], AbstractContextManager[None]]:
    """How this process waits its turn to write a SQLite store: SQLite has one writer
    at a time, and a writer that finds the file locked sleeps and retries (1, 2, 5,
    10 ms... up to 100 ms a try), which put tens of milliseconds on the slowest risk
    reads when two API workers logged at once. An exclusive lock on a file beside the
    store queues them in the kernel instead: the next writer wakes as the last one
    commits. Other databases (and in-memory SQLite) need no turns."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or fcntl is None:
        return nullcontext
    path = f"{database}.writer-lock"

    @contextmanager
    def turn() -> Iterator[None]:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    return turn


class _GroupCommit:
    """Commits queued rows in batches: a caller that finds no commit under way writes
    every row queued so far (its own included) in one transaction; callers arriving
    meanwhile sleep. When a batch is committed its callers are woken, and the first of
    the rows queued meanwhile is woken to write those: one wake-up per caller, not the
    whole queue at every commit (a condition's ``notify_all`` cost a tenth of a risk
    read's CPU under load)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._queue: list[_Ticket] = []
        self._writing = False
        # straight to the driver: every risk read appends a row, and SQLAlchemy's
        # per-statement work cost twice the insert
        self._insert_sql = compiled(engine, "audit insert", sa.insert(schema.audit_log), _COLUMNS)
        self._turns = _sqlite_writer_turns(engine)

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        params = [self._insert_sql.params(r) for r in rows]
        sql = self._insert_sql.sql
        # one row (most batches): a statement that commits on its own, one round trip
        with self._turns(), raw_cursor(self._engine, autocommit=len(params) == 1) as cursor:
            if len(params) == 1:
                cursor.execute(sql, params[0])
            elif self._engine.dialect.name == "sqlite":
                # the store's SQLite connections run in the driver's autocommit mode
                # (SQLAlchemy's recipe), where the transaction is ours to say
                cursor.execute("BEGIN")
                try:
                    cursor.executemany(sql, params)
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
                cursor.execute("COMMIT")
            else:
                cursor.executemany(sql, params)
                cursor.connection.commit()

    def append(self, row: dict[str, Any]) -> None:
        ticket = _Ticket(row)
        with self._lock:
            self._queue.append(ticket)
            ticket.lead = not self._writing
            self._writing = True
        if not ticket.lead:
            ticket.wake.acquire()  # until written, or handed the next batch
        if ticket.lead:
            self._write_batch()
        if ticket.error is not None:
            raise StoreError(
                f"the audit log could not be written ({ticket.error})"
            ) from ticket.error

    def _write_batch(self) -> None:
        """Write every queued row, wake their callers, then hand the rows queued
        meanwhile to the first of their callers (or stop writing when there are none)."""
        with self._lock:
            batch, self._queue = self._queue, []
        error: BaseException | None = RuntimeError("interrupted while writing")
        try:
            self._insert([t.row for t in batch])
            error = None
        except Exception as exc:  # every caller of the batch gets it
            error = exc
        finally:
            with self._lock:
                following = self._queue[0] if self._queue else None
                if following is None:
                    self._writing = False
                else:
                    following.lead = True
            for t in batch:
                t.done, t.error = True, error
                if not t.lead:
                    t.wake.release()
            if following is not None:
                following.wake.release()


# one group-commit writer per engine (an engine is one store's connection pool)
_WRITERS: weakref.WeakKeyDictionary[sa.Engine, _GroupCommit] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def export_audit(engine: sa.Engine, since: datetime | None = None) -> pd.DataFrame:
    """The audit rows since a time (all by default), oldest first."""
    log = schema.audit_log
    query = sa.select(log).order_by(log.c.entry_id)
    if since is not None:
        query = query.where(log.c.at >= since)
    with engine.connect() as conn:
        return pd.read_sql(query, conn)
