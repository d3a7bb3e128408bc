"""POST /v1/clients|rms/{id}/what-if on real models and a real store (SQLite and
PostgreSQL): nothing changed gives back the stored risk; an action moves it; every bad
override is named; who may ask is who may read the risk; every question is audited."""

from __future__ import annotations

import numpy as np
import pytest

from attrition.features import build_features
from attrition.features.catalogue import CATALOGUE
from attrition.registry import ModelRegistry
from attrition.store.audit import export_audit


def _ask(client, key, entity, entity_id, body):
    return client.post(
        f"/v1/{entity}s/{entity_id}/what-if",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
    )


def _pick(run, entity: str, branch: str | None = None):
    scores = run.scores[run.scores["entity_type"] == entity]
    if branch is not None:
        scores = scores[scores["branch_id"] == branch]
    return scores.sort_values("value_at_risk", ascending=False).iloc[0]


def test_a_contact_this_week_starts_from_the_stored_risk_and_says_what_changed(
    bank_api, bank, bank_home
):
    client, keys, engine, run = bank_api
    # the branch's client whose risk a contact this week moves most, by the model on
    # features rebuilt from the bank (independently of what the run stored)
    clients = run.scores[
        (run.scores["entity_type"] == "client") & (run.scores["branch_id"] == "B001")
    ]
    record = ModelRegistry(bank_home[0]).get(
        f"{clients['model'].iloc[0]}@{int(clients['model_version'].iloc[0])}"
    )
    model, months = record.load_model(), list(range(1, 13))
    X = build_features(bank.data, "client", [bank.data.last_month])
    X.index = X.index.get_level_values(0).astype(str)
    X = X.loc[clients["id"]]
    now = 1.0 - model.predict_survival(X, months).to_numpy()
    called = 1.0 - model.predict_survival(X.assign(days_since_contact=2.0), months).to_numpy()
    pick = int(np.argmax(np.abs(called - now)[:, 2]))
    row = clients.iloc[pick]
    response = _ask(
        client, keys["branch_head"], "client", row["id"], {"overrides": {"days_since_contact": 2}}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    for m in months:
        assert body["risk_before"][str(m)] == pytest.approx(row[f"risk_{m}m"], abs=1e-12)
        assert body["risk_after"][str(m)] == pytest.approx(called[pick, m - 1], abs=1e-9)
        change = body["risk_after"][str(m)] - body["risk_before"][str(m)]
        assert body["change"][str(m)] == pytest.approx(change, abs=1e-12)
    assert abs(body["change"]["3"]) > 1e-4  # a contact this week moves this client's risk
    assert body["value_at_risk_before"] == pytest.approx(row["value_at_risk"], rel=1e-9)
    (changed,) = body["changed"]
    assert changed["feature"] == "days_since_contact" and changed["after"] == 2
    assert changed["because"] == "set" and changed["label_en"] == "Days since the last RM contact"
    assert body["model"] == row["model"] and body["horizon"] == 3
    last = export_audit(engine).iloc[-1]
    assert last["action"] == "POST /v1/clients/{id}/what-if" and last["outcome"] == "ok"
    assert last["entity_ids"] == row["id"] and last["role"] == "branch_head"


def test_a_smaller_book_for_an_rm_shows_what_moved_with_it(bank_api):
    client, keys, _, run = bank_api
    row = _pick(run, "rm")
    body = {"overrides": {"book_size": float(row["book_size"]) / 2, "overtime_hours_3m": 0}}
    response = _ask(client, keys["hr"], "rm", row["id"], body)
    assert response.status_code == 200, response.json()
    answer = response.json()
    changed = {c["feature"]: c for c in answer["changed"]}
    assert changed["book_size"]["after"] == pytest.approx(row["book_size"] / 2)
    assert changed["workload"]["because"] == "book_size"
    assert changed["workload"]["after"] == pytest.approx(changed["workload"]["before"] / 2)
    # an RM whose book halves and whose overtime stops is less likely to resign here
    assert answer["risk_after"]["3"] != pytest.approx(answer["risk_before"]["3"], abs=1e-9)
    assert answer["value_at_risk_before"] is None


def test_every_bad_override_is_named_in_one_422_and_audited(bank_api):
    client, keys, engine, run = bank_api
    row = _pick(run, "client")
    body = {"overrides": {"aum": 1e6, "days_since_contact": -1, "rm_departed": 3}}
    response = _ask(client, keys["data_scientist"], "client", row["id"], body)
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "invalid_request"
    details = error["details"]
    assert "not an actionable client feature" in details["body.overrides.aum"]
    assert "from 0 to 3650" in details["body.overrides.days_since_contact"]
    assert "from 0 to 1" in details["body.overrides.rm_departed"]
    assert export_audit(engine).iloc[-1]["outcome"] == "invalid"
    empty = _ask(client, keys["data_scientist"], "client", row["id"], {"overrides": {}})
    assert empty.status_code == 422 and "body.overrides" in empty.json()["details"]
    extra = _ask(
        client, keys["data_scientist"], "client", row["id"], {"overrides": {"x": 1}, "y": 2}
    )
    assert extra.status_code == 422 and "body.y" in extra.json()["details"]


@pytest.mark.parametrize(
    ("role", "entity", "in_branch", "status"),
    [
        ("branch_head", "client", True, 200),
        ("branch_head", "client", False, 403),
        ("branch_head", "rm", True, 403),
        ("hr", "client", True, 403),
        ("hr", "rm", False, 200),
        ("service", "client", False, 403),
        ("admin", "rm", True, 403),
    ],
)
def test_who_may_ask_is_who_may_read_the_risk(bank_api, role, entity, in_branch, status):
    client, keys, engine, run = bank_api
    scores = run.scores[run.scores["entity_type"] == entity]
    pool = scores[(scores["branch_id"] == "B001") == in_branch]
    entity_id = pool["id"].iloc[0]
    lever = "days_since_contact" if entity == "client" else "overtime_hours_3m"
    response = _ask(client, keys[role], entity, entity_id, {"overrides": {lever: 1}})
    assert response.status_code == status, response.json()
    if status == 403:
        unknown = _ask(client, keys[role], entity, "NOPE1", {"overrides": {lever: 1}})
        assert unknown.status_code == 403 and unknown.json() == response.json()
        assert export_audit(engine).iloc[-1]["outcome"] == "forbidden"


def test_the_catalogue_declares_the_levers_the_issue_names():
    client_levers = {n for n, f in CATALOGUE["client"].items() if f.actionable}
    rm_levers = {n for n, f in CATALOGUE["rm"].items() if f.actionable}
    # a contact this week, a backup RM assigned, a smaller book
    assert {"days_since_contact", "contacts_3m", "rm_departed", "rm_workload"} <= client_levers
    assert "book_size" in rm_levers
    assert dict(CATALOGUE["rm"]["book_size"].actionable.moves)["workload"] == "scale"


def test_the_model_lists_its_levers_and_each_one_can_be_asked(bank_api):
    client, keys, _, run = bank_api
    headers = {"Authorization": f"Bearer {keys['data_scientist']}"}
    (version,) = client.get("/v1/models/rm_resignation", headers=headers).json()
    listed = {lever["feature"]: lever for lever in version["levers"]}
    assert "book_size" in listed and listed["book_size"]["moves"]["workload"] == "scale"
    assert all(CATALOGUE["rm"][name].actionable for name in listed)
    row = _pick(run, "rm")
    for name, lever in listed.items():
        body = {"overrides": {name: lever["max"] / 2}}
        response = _ask(client, keys["data_scientist"], "rm", row["id"], body)
        assert response.status_code == 200, (name, response.json())
    assert client.get("/v1/models", headers=headers).json()[0]["levers"] == []  # list: brief


def test_ready_when_the_current_runs_models_load(bank_api):
    client, *_ = bank_api
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["models"] == ["client_outflow@1", "rm_resignation@1"]
