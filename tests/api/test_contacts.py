"""POST /v1/contacts on a real store (SQLite and PostgreSQL): a recorded contact takes
its branch, RM and plan from the run; retries record nothing twice; bad contacts are
named at once; only branch heads and service keys record, within their branches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from attrition.store import write_run
from attrition.store.audit import export_audit
from attrition.store.contacts import read_contacts
from attrition.store.plans import write_plan


@pytest.fixture
def api(url, tmp_path, scored_run, make_api):
    """The hand-made run (C1 in B001 with RM R1, C2 in B002) and a plan calling C1."""
    app, engine, keys = make_api(url, tmp_path)
    run_id = write_run(engine, scored_run, entities=("rm", "client"))
    plan = pd.DataFrame(
        [
            {
                "assignee": "R1",
                "rm_id": "R1",
                "branch_id": "B001",
                "order": 1,
                "client_id": "C1",
                "tier": "high",
                "aum": 1.4e8,
                "risk": 0.03,
                "value_at_risk": 5e6,
                "action_id": "maturity_call",
                "action_en": "Call before the maturity",
                "action_zh": "到期前致电",
                "because": "maturing_share_1m",
                "effect": 0.3,
                "effect_source": "playbook",
                "expected_retained": 1.5e6,
            }
        ]
    )
    write_plan(engine, run_id, plan)
    with TestClient(app) as client:
        yield client, keys, engine
    engine.dispose()


def _post(client, key, body, retry_key=None):
    headers = {"Authorization": f"Bearer {key}"}
    if retry_key:
        headers["Idempotency-Key"] = retry_key
    return client.post("/v1/contacts", json=body, headers=headers)


def _contact(**change):
    when = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    base = {"client_id": "C1", "contacted_at": when, "channel": "call", "outcome": "will_stay"}
    return base | change


def test_a_planned_contact_is_recorded_with_the_runs_branch_rm_and_plan(api):
    client, keys, engine = api
    response = _post(client, keys["branch_head"], _contact())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["branch_id"] == "B001" and body["rm_id"] == "R1" and body["run_id"] == 1
    assert body["planned"] is True and body["planned_action_id"] == "maturity_call"
    assert body["action_id"] == "maturity_call"  # the plan's, as none was named
    stored = read_contacts(engine)
    assert len(stored) == 1 and stored.iloc[0]["outcome"] == "will_stay"
    last = export_audit(engine).iloc[-1]
    assert last["action"] == "POST /v1/contacts" and last["outcome"] == "recorded"
    assert last["entity_ids"] == "C1"


def test_a_retry_with_the_same_idempotency_key_records_nothing_twice(api):
    client, keys, engine = api
    body = _contact(action_id="backup_rm", channel="visit")
    first = _post(client, keys["service"], body, retry_key="crm-7781")
    again = _post(client, keys["service"], body, retry_key="crm-7781")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(read_contacts(engine)) == 1
    other = _post(client, keys["service"], _contact(outcome="declined"), retry_key="crm-7781")
    assert other.status_code == 409 and other.json()["code"] == "conflict"
    # another caller's key of the same name is another contact
    assert _post(client, keys["branch_head"], body, retry_key="crm-7781").status_code == 201
    assert len(read_contacts(engine)) == 2
    outcomes = list(export_audit(engine)["outcome"].iloc[-4:])
    assert outcomes == ["recorded", "replayed", "conflict", "recorded"]


def test_every_problem_of_a_contact_is_named(api):
    client, keys, engine = api
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    response = _post(
        client, keys["branch_head"], _contact(contacted_at=future, action_id="send_flowers")
    )
    assert response.status_code == 422
    details = response.json()["details"]
    assert details["body.contacted_at"] == "is in the future"
    assert "expected a playbook action" in details["body.action_id"]
    unplanned = _post(client, keys["service_all"], _contact(client_id="C2"))
    assert unplanned.status_code == 422
    assert "the plan has no action for C2" in unplanned.json()["details"]["body.action_id"]
    fields = _post(
        client,
        keys["branch_head"],
        {"client_id": "C1", "contacted_at": "2026-10-05T10:30:00", "channel": "fax"},
    )
    assert fields.status_code == 422
    assert {"body.contacted_at", "body.channel", "body.outcome"} <= set(fields.json()["details"])
    assert read_contacts(engine).empty


@pytest.mark.parametrize(
    ("role", "client_id", "status"),
    [
        ("branch_head", "C1", 201),
        ("branch_head", "C2", 403),
        ("branch_head", "C9", 403),
        ("service", "C2", 403),
        ("service_all", "C9", 404),
        ("data_scientist", "C1", 403),
        ("hr", "C1", 403),
        ("admin", "C1", 403),
    ],
)
def test_who_may_record_a_contact(api, role, client_id, status):
    client, keys, engine = api
    body = _contact(client_id=client_id, action_id="backup_rm")
    response = _post(client, keys[role], body)
    assert response.status_code == status, response.json()
    if status == 403:
        assert response.json()["code"] == "forbidden"
        assert export_audit(engine).iloc[-1]["outcome"] == "forbidden"
    assert len(read_contacts(engine)) == (1 if status == 201 else 0)
