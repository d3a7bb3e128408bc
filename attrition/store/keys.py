"""API keys: created once, shown once, kept only as a salted hash; expiry and revocation.

A key reads ``atk_<key_id>_<secret>``: ``key_id`` is public (it names the key in
lists and in the audit log), the 256-bit random ``secret`` is never stored. A salted
SHA-256 of the secret is enough for a random secret of that size (no guessing attack
is feasible) and keeps a check to microseconds, which an API serving each request
needs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
import sqlalchemy as sa

from attrition.store import schema
from attrition.store.audit import record
from attrition.store.engine import StoreError

PREFIX = "atk"


@dataclass(frozen=True)
class Caller:
    """Who a valid key belongs to: its id, role and branch scope (empty: all)."""

    key_id: str
    role: str
    branches: tuple[str, ...]
    name: str | None = None


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


def create_key(
    engine: sa.Engine,
    *,
    role: str,
    branches: tuple[str, ...] = (),
    expires_days: int | None = None,
    name: str | None = None,
) -> tuple[str, Caller]:
    """A new key: returns the full key (to show once) and who it names.

    Raises
    ------
    StoreError
        An unknown role, a branch head without a branch, or a non-positive expiry.
    """
    problems = []
    if role not in schema.ROLES:
        problems.append(f"role {role!r} is not one of {list(schema.ROLES)}")
    if role == "branch_head" and not branches:
        problems.append("a branch_head key needs its branch (--branch ID)")
    if expires_days is not None and expires_days <= 0:
        problems.append(f"--expires must be a positive number of days, got {expires_days}")
    if problems:
        raise StoreError("cannot create the key: " + "; ".join(problems))
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(schema.api_keys).values(
                key_id=key_id,
                name=name,
                role=role,
                branches=",".join(branches) or None,
                salt=salt,
                secret_hash=_hash(salt, secret),
                created_at=now,
                expires_at=None if expires_days is None else now + timedelta(days=expires_days),
            )
        )
        record(conn, action="keys create", entity_type="api_key", entity_ids=[key_id])
    return f"{PREFIX}_{key_id}_{secret}", Caller(key_id, role, tuple(branches), name)


def check_key(engine: sa.Engine, key: str) -> Caller | None:
    """The caller a key names, or None when it is malformed, unknown, wrong, expired or
    revoked (all alike, so a failed check says nothing about which)."""
    found = _verify(engine, key)
    return None if found is None else found[0]


def _verify(engine: sa.Engine, key: str) -> tuple[Caller, datetime | None] | None:
    """The caller and the key's expiry, for a key valid now."""
    parts = key.split("_", 2) if isinstance(key, str) else []
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    _, key_id, secret = parts
    keys = schema.api_keys
    with engine.connect() as conn:
        row = conn.execute(sa.select(keys).where(keys.c.key_id == key_id)).first()
    if row is None:
        return None
    if not hmac.compare_digest(_hash(row.salt, secret), row.secret_hash):
        return None
    now = datetime.now(UTC)
    expires = None if row.expires_at is None else schema.stored_time(row.expires_at)
    if row.revoked_at is not None or (expires is not None and expires <= now):
        return None
    branches = tuple(b for b in (row.branches or "").split(",") if b)
    return Caller(row.key_id, row.role, branches, row.name), expires


class KeyCache:
    """:func:`check_key` remembering each valid key for ``seconds``, so that a service
    answering many requests does not read the key table for every one.

    The bound: a key revoked (from any process) is refused at most ``seconds`` after
    its revocation; its expiry is checked on every use. Only valid keys are kept, by a
    hash of the whole key (a wrong secret never matches a remembered key), and at most
    ``size`` of them. ``seconds=0`` checks the store every time.
    """

    def __init__(
        self,
        engine: sa.Engine,
        seconds: float,
        *,
        size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine, self._seconds, self._size, self._clock = engine, seconds, size, clock
        self._known: dict[bytes, tuple[Caller, datetime | None, float]] = {}

    def remembered(self, key: str) -> tuple[bool, Caller | None]:
        """Without touching the store: (whether the answer is known, the caller or None
        for a remembered key that has expired). An async caller asks this first and
        runs :meth:`check` in a thread only when the answer is not known."""
        if self._seconds <= 0 or not isinstance(key, str):
            return False, None
        known = self._known.get(hashlib.sha256(key.encode()).digest())
        if known is None or self._clock() - known[2] >= self._seconds:
            return False, None
        caller, expires, _ = known
        return True, (caller if expires is None or datetime.now(UTC) < expires else None)

    def check(self, key: str) -> Caller | None:
        """Like :func:`check_key`, within the bound above."""
        answered, caller = self.remembered(key)
        if answered:
            return caller
        if self._seconds <= 0 or not isinstance(key, str):
            return check_key(self._engine, key)
        digest = hashlib.sha256(key.encode()).digest()
        now = self._clock()
        found = _verify(self._engine, key)
        if found is None:
            self._known.pop(digest, None)
            return None
        if len(self._known) >= self._size:
            self._known.clear()  # rare (that many live keys): simply start over
        self._known[digest] = (*found, now)
        return found[0]


def revoke_key(engine: sa.Engine, key_id: str) -> None:
    """Revoke a key at once (kept in the list, refused from now on)."""
    keys = schema.api_keys
    with engine.begin() as conn:
        done = conn.execute(
            sa.update(keys)
            .where(keys.c.key_id == key_id, keys.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        ).rowcount
        record(
            conn,
            action="keys revoke",
            entity_type="api_key",
            entity_ids=[key_id],
            outcome="revoked" if done else "not found",
        )
    if not done:
        raise StoreError(f"there is no active key {key_id!r} (see `attrition keys list`)")


def list_keys(engine: sa.Engine) -> pd.DataFrame:
    """Every key without its secret or hash: id, name, role, branches, dates, state."""
    keys = schema.api_keys
    query = sa.select(
        keys.c.key_id,
        keys.c.name,
        keys.c.role,
        keys.c.branches,
        keys.c.created_at,
        keys.c.expires_at,
        keys.c.revoked_at,
    ).order_by(keys.c.created_at)
    with engine.connect() as conn:
        out = pd.read_sql(query, conn)
    now = pd.Timestamp.now(tz="UTC")
    expires = pd.to_datetime(out["expires_at"], utc=True)
    out["state"] = "active"
    out.loc[expires.notna() & (expires <= now), "state"] = "expired"
    out.loc[out["revoked_at"].notna(), "state"] = "revoked"
    return out
