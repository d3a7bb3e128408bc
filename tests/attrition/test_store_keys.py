"""API keys and the audit log in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from attrition.store import StoreError
from attrition.store.audit import append, export_audit
from attrition.store.keys import KeyCache, check_key, create_key, list_keys, revoke_key


def _everything_stored(engine) -> str:
    with engine.connect() as conn:
        rows = [
            str(tuple(r))
            for t in ("api_keys", "audit_log")
            for r in conn.execute(sa.text(f"SELECT * FROM {t}"))
        ]
    return "\n".join(rows)


def test_a_key_is_shown_once_and_only_its_salted_hash_is_stored(engine):
    key, caller = create_key(engine, role="branch_head", branches=("B001",), name="Zhang")
    assert key.startswith(f"atk_{caller.key_id}_")
    secret = key.split("_", 2)[2]
    assert secret not in _everything_stored(engine) and key not in _everything_stored(engine)
    found = check_key(engine, key)
    assert found is not None
    assert (found.role, found.branches, found.key_id) == ("branch_head", ("B001",), caller.key_id)
    other, _ = create_key(engine, role="hr")
    salts = [r for r in list_keys(engine)["key_id"]]
    assert len(salts) == 2 and "secret_hash" not in list_keys(engine).columns
    assert check_key(engine, other).role == "hr"


def test_wrong_unknown_malformed_expired_and_revoked_keys_are_all_refused_alike(engine):
    key, caller = create_key(engine, role="data_scientist")
    prefix, key_id, secret = key.split("_", 2)
    for bad in (
        f"{prefix}_{key_id}_{secret[:-1]}x",  # wrong secret
        f"{prefix}_000000000000_{secret}",  # unknown id
        "not-a-key",
        "",
    ):
        assert check_key(engine, bad) is None
    short, _ = create_key(engine, role="hr", expires_days=1)
    with engine.begin() as conn:  # a day later
        conn.execute(
            sa.text("UPDATE api_keys SET expires_at = :t WHERE role = 'hr'"),
            {"t": datetime.now(UTC) - timedelta(seconds=1)},
        )
    assert check_key(engine, short) is None
    revoke_key(engine, caller.key_id)
    assert check_key(engine, key) is None
    states = dict(zip(list_keys(engine)["role"], list_keys(engine)["state"], strict=True))
    assert states == {"data_scientist": "revoked", "hr": "expired"}
    with pytest.raises(StoreError, match="no active key"):
        revoke_key(engine, caller.key_id)


def test_creating_a_key_with_a_bad_role_or_scope_is_refused_with_every_problem(engine):
    with pytest.raises(StoreError) as info:
        create_key(engine, role="cashier", expires_days=0)
    assert "role 'cashier' is not one of" in str(info.value)
    assert "--expires must be a positive number of days" in str(info.value)
    with pytest.raises(StoreError, match="needs its branch"):
        create_key(engine, role="branch_head")


def test_every_key_change_is_audited_and_the_log_cannot_be_changed(engine):
    _, caller = create_key(engine, role="hr")
    revoke_key(engine, caller.key_id)
    log = export_audit(engine)
    assert list(log["action"]) == ["keys create", "keys revoke"]
    assert (log["entity_ids"] == caller.key_id).all() and list(log["outcome"]) == ["ok", "revoked"]
    for statement in ("UPDATE audit_log SET outcome = 'edited'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    assert len(export_audit(engine)) == 2
    later = export_audit(engine, since=datetime.now(UTC) + timedelta(minutes=1))
    assert later.empty


class _Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_remembered_key_is_refused_within_the_bound_after_revocation(engine):
    key, caller = create_key(engine, role="hr")
    clock = _Clock()
    keys = KeyCache(engine, 5.0, clock=clock)
    assert keys.check(key) == caller
    revoke_key(engine, caller.key_id)
    clock.now = 4.9
    assert keys.check(key) == caller  # remembered: the store was not read again
    clock.now = 5.0
    assert keys.check(key) is None  # the bound reached: read again, and refused
    clock.now = 5.1
    assert keys.check(key) is None
    assert KeyCache(engine, 0).check(key) is None  # no memory: refused at once


def test_a_remembered_key_still_expires_on_time_and_wrong_keys_are_never_remembered(engine):
    key, caller = create_key(engine, role="hr", expires_days=1)
    with engine.begin() as conn:  # the key's last second
        conn.execute(
            sa.text("UPDATE api_keys SET expires_at = :t"),
            {"t": datetime.now(UTC) + timedelta(seconds=1)},
        )
    keys = KeyCache(engine, 3600.0)
    assert keys.check(key) == caller
    time.sleep(1.1)
    assert keys.check(key) is None  # expiry is checked on every use, not after the bound
    wrong = key[:-1] + ("x" if key[-1] != "x" else "y")
    assert keys.check(wrong) is None and keys.check("") is None


def test_audit_rows_appended_at_once_from_many_threads_each_land_once_in_shared_commits(engine):
    # each batch is written on one pooled connection (raw: SQLAlchemy's commit event
    # never sees it), so checkouts count the commits
    commits = []
    sa.event.listen(engine.pool, "checkout", lambda *_: commits.append(1))
    threads, each = 16, 10
    start = threading.Barrier(threads)

    def reader(n: int) -> None:
        start.wait()
        for i in range(each):
            append(
                engine,
                action="GET /v1/rms/{id}/risk",
                key_id="k",
                role="hr",
                entity_type="rm",
                entity_ids=[f"R{n}-{i}"],
            )

    pool = [threading.Thread(target=reader, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    log = export_audit(engine)
    assert sorted(log["entity_ids"]) == sorted(
        f"R{n}-{i}" for n in range(threads) for i in range(each)
    )
    assert (log["count"] == 1).all() and (log["outcome"] == "ok").all()
    assert 0 < len(commits) < threads * each  # readers shared commits


def test_an_audit_row_that_cannot_be_written_fails_the_caller(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE audit_log"))
    with pytest.raises(StoreError, match="audit log could not be written"):
        append(engine, action="GET /v1/rms/{id}/risk", entity_ids=["R1"])
