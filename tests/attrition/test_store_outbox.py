"""The reports' outbox and the scheduler's lease on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

from attrition.store.outbox import (
    claim_due,
    enqueue,
    list_deliveries,
    mark_retry,
    mark_sent,
    release_lease,
    take_lease,
)


def _row(recipient: str, document: str = "B001") -> dict:
    return {
        "report": "weekly",
        "period": "2026-10-05",
        "document": document,
        "recipient": recipient,
        "run_id": None,
        "message_id": f"<{document}.{recipient}@bank.example>",
        "pdf_path": "/nowhere.pdf",
        "subject": "s",
        "body_text": "t",
        "body_html": "<p>t</p>",
    }


def test_a_message_is_queued_once_and_claimed_by_one_sender(engine):
    rows = [_row(f"head{i}@bank.example", f"B00{i}") for i in range(6)]
    assert enqueue(engine, rows) == 6
    assert enqueue(engine, rows) == 0  # queued again: nothing new
    claimed: list[int] = []
    start = threading.Barrier(3)

    def sender() -> None:
        start.wait()
        while batch := claim_due(engine, stale_after=timedelta(minutes=10)):
            claimed.extend(m.delivery_id for m in batch)

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 6
    outbox = list_deliveries(engine)
    assert (outbox["state"] == "sending").all() and (outbox["attempts"] == 1).all()
    # a claim goes stale: due again; a retry waits its back-off; sent is final
    assert len(claim_due(engine, stale_after=timedelta(0), limit=10)) == 6
    mark_retry(engine, claimed[0], "the server answered 451; will retry", timedelta(hours=1))
    mark_sent(engine, claimed[1])
    assert claim_due(engine, stale_after=timedelta(hours=1), limit=10) == []
    states = list_deliveries(engine).set_index("delivery_id")["state"]
    assert states[claimed[0]] == "pending" and states[claimed[1]] == "sent"


def test_the_lease_has_one_holder_until_it_expires_or_is_given_up(engine):
    assert take_lease(engine, "reports-scheduler", "a", timedelta(minutes=1))
    assert not take_lease(engine, "reports-scheduler", "b", timedelta(minutes=1))
    assert take_lease(engine, "reports-scheduler", "a", timedelta(seconds=-1))  # renewed, expired
    assert take_lease(engine, "reports-scheduler", "b", timedelta(minutes=1))  # taken over
    assert not take_lease(engine, "reports-scheduler", "a", timedelta(minutes=1))
    release_lease(engine, "reports-scheduler", "b")
    assert take_lease(engine, "reports-scheduler", "a", timedelta(minutes=1))
