"""POST /v1/score on real models and a real store (SQLite and PostgreSQL).

A flat model's posted rows get the risks and drivers of batch scoring; the bank
models' posted records get the features, risks and drivers the bank-wide run gives
the same entities. Every problem of a bad body is named in one 422; every call is one
audit row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from attrition.config import SHIPPED_CONFIGS, load_config
from attrition.pipeline.flat import score_flat
from attrition.pipeline.train import train
from attrition.playbook import load_playbook
from attrition.registry import ModelRegistry
from attrition.store.audit import export_audit


@pytest.fixture(scope="module")
def flat_home(tmp_path_factory):
    """A registry holding the shipped flat model (Rossi), trained without comparisons."""
    home = tmp_path_factory.mktemp("flat_home")
    config = load_config(SHIPPED_CONFIGS / "flat_rossi.yaml").model_copy(update={"compare": ()})
    train(config, home=str(home))
    return home


@pytest.fixture(scope="module")
def rossi() -> pd.DataFrame:
    return pd.read_csv(SHIPPED_CONFIGS / "data" / "rossi.csv").drop(columns=["week", "arrest"])


@pytest.fixture
def flat_api(url, flat_home, make_api):
    app, engine, keys = make_api(url, flat_home, max_rows=50)
    with TestClient(app) as client:
        yield client, keys, engine
    engine.dispose()


def _rows(frame: pd.DataFrame) -> list[dict]:
    return [
        {k: (None if pd.isna(v) else v) for k, v in r.items()} for r in frame.to_dict("records")
    ]


def _post(client, key, body):
    return client.post("/v1/score", json=body, headers={"Authorization": f"Bearer {key}"})


def test_posted_flat_rows_get_the_batch_risks_and_drivers(flat_api, flat_home, rossi):
    client, keys, engine = flat_api
    rows = rossi.head(20).astype({"person_id": str})
    response = _post(client, keys["data_scientist"], {"model": "flat_rossi", "rows": _rows(rows)})
    assert response.status_code == 200, response.json()
    items = response.json()["items"]
    # the batch: the whole table scored by the engine; each row is an entity on its own
    record = ModelRegistry(flat_home).get("flat_rossi")
    batch = score_flat(rossi.astype({"person_id": str}), record, load_playbook())
    scores = batch.scores.set_index("id")
    assert [i["id"] for i in items] == list(rows["person_id"])
    for item in items:
        want = scores.loc[item["id"]]
        assert item["entity_type"] == "flat" and item["as_of"] is None
        assert set(item["risk"]) == {"13", "26", "39"}
        for h, risk in item["risk"].items():
            assert abs(risk - want[f"risk_{h}"]) < 1e-9
        drivers = batch.drivers[batch.drivers["id"] == item["id"]].sort_values("rank")
        assert [d["feature"] for d in item["drivers"]] == list(drivers["feature"])
        got = np.array([d["contribution"] for d in item["drivers"]])
        np.testing.assert_allclose(got, drivers["contribution"].to_numpy(float), atol=1e-9)
        assert item["drivers"] and item["drivers"][0]["text_en"] and item["drivers"][0]["text_zh"]
    audit = export_audit(engine)
    row = audit[audit["action"] == "POST /v1/score"].iloc[-1]
    assert row["outcome"] == "ok" and row["role"] == "data_scientist" and row["count"] == 20
    assert row["entity_ids"].split(",") == list(rows["person_id"])


def test_every_problem_of_posted_rows_is_named_in_one_422(flat_api, rossi):
    client, keys, engine = flat_api
    rows = _rows(rossi.head(4).astype({"person_id": str}))
    rows[1]["age"] = "twenty"  # wrong type
    rows[2]["person_id"] = rows[0]["person_id"]  # an id that repeats
    for r in rows:
        del r["prio"]  # a column the model needs
    response = _post(client, keys["data_scientist"], {"model": "flat_rossi", "rows": rows})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_rows" and set(body) == {"code", "message", "details"}
    found = {(p["column"], p["rule"]) for p in body["details"]["problems"]}
    assert {("prio", "required_column"), ("age", "type"), (None, "duplicate_key")} <= found
    age = next(p for p in body["details"]["problems"] if p["column"] == "age")
    assert age["table"] == "rows" and "'twenty'" in age["examples"][0] and age["expected"]
    outcomes = export_audit(engine)["outcome"].tolist()
    assert outcomes[-1] == "invalid"


def test_unknown_model_wrong_body_and_too_many_rows_are_one_422_each(flat_api, rossi):
    client, keys, _ = flat_api
    key = keys["data_scientist"]
    rows = _rows(rossi.head(3).astype({"person_id": str}))
    unknown = _post(client, key, {"model": "no_such_model", "rows": rows})
    assert unknown.status_code == 422
    assert unknown.json()["details"]["problems"][0]["column"] == "model"
    assert "no model named 'no_such_model'" in unknown.json()["details"]["problems"][0]["expected"]
    many = _rows(rossi.head(51).astype({"person_id": str}))  # the app's limit is 50
    both = _post(client, key, {"model": "flat_rossi", "rows": many, "entity": "client"})
    assert both.status_code == 422
    rules = {p["rule"] for p in both.json()["details"]["problems"]}
    assert rules == {"too_many_rows", "allowed_values"}
    neither = _post(client, key, {"model": "flat_rossi"})
    assert (
        neither.status_code == 422 and neither.json()["details"]["problems"][0]["column"] == "rows"
    )
    nested = _post(client, key, {"model": "flat_rossi", "rows": [{"age": {"a": 1}}]})
    assert nested.status_code == 422 and nested.json()["code"] == "invalid_request"


@pytest.mark.parametrize(
    "role, status",
    [
        ("data_scientist", 200),
        ("service_all", 200),
        ("service", 403),  # a key limited to branches: a flat table has none
        ("hr", 403),
        ("branch_head", 403),
        ("admin", 403),
    ],
)
def test_who_may_score_flat_rows(flat_api, rossi, role, status):
    client, keys, engine = flat_api
    rows = _rows(rossi.head(2).astype({"person_id": str}))
    response = _post(client, keys[role], {"model": "flat_rossi", "rows": rows})
    assert response.status_code == status, response.json()
    if status == 403:
        assert response.json()["code"] == "forbidden"
    last = export_audit(engine).iloc[-1]
    assert last["action"] == "POST /v1/score"
    assert last["outcome"] == ("ok" if status == 200 else "forbidden")
    assert _post(client, "atk_nope_nope", {"model": "flat_rossi", "rows": rows}).status_code == 401


# --------------------------------------------------------------------------- bank models

def _records(data, client_ids: set[str]) -> dict[str, list[dict]]:
    """The posted tables: these clients' rows of every table, every RM row their rows
    name, the product-level tables whole."""
    out = {}
    for name, frame in data.tables.items():
        if "client_id" in frame.columns:
            frame = frame[frame["client_id"].astype(str).isin(client_ids)]
        elif name in ("rms", "rm_monthly"):
            continue
        out[name] = frame
    named = set()
    for frame in out.values():
        if "rm_id" in frame.columns:
            named |= set(frame["rm_id"].dropna().astype(str))
    out["rms"] = data["rms"][data["rms"]["rm_id"].astype(str).isin(named)]
    if "rm_monthly" in data.tables:
        m = data["rm_monthly"]
        out["rm_monthly"] = m[m["rm_id"].astype(str).isin(named)]
    return {name: _json_rows(frame) for name, frame in out.items() if len(frame)}


def _json_rows(frame: pd.DataFrame) -> list[dict]:
    return [
        {
            k: (None if pd.isna(v) else str(v) if not isinstance(v, int | float | bool) else v)
            for k, v in r.items()
        }
        for r in frame.astype(object).to_dict("records")
    ]


def _same_as_run(items: list[dict], run) -> None:
    scores = run.scores.set_index(["entity_type", "id"])
    for item in items:
        want = scores.loc[(item["entity_type"], item["id"])]
        for m in range(1, 13):
            got, expected = item["risk"][str(m)], want[f"risk_{m}m"]
            assert (got is None and pd.isna(expected)) or abs(got - expected) < 1e-9, (
                item["id"],
                m,
            )
        assert item["tier"] == want["tier"], item["id"]
        if not pd.isna(want["value_at_risk"]):
            assert abs(item["value_at_risk"] - want["value_at_risk"]) <= 1e-9 * max(
                1.0, abs(want["value_at_risk"])
            )
        d = run.drivers
        d = d[(d["id"] == item["id"]) & (d["entity_type"] == item["entity_type"])].sort_values(
            "rank"
        )
        assert [x["feature"] for x in item["drivers"]] == list(d["feature"]), item["id"]
        np.testing.assert_allclose(
            [x["contribution"] for x in item["drivers"]], d["contribution"].astype(float), atol=1e-9
        )
        a = run.actions
        a = a[(a["id"] == item["id"]) & (a["entity_type"] == item["entity_type"])]
        assert [x["action_id"] for x in item["actions"]] == list(a.sort_values("rank")["action_id"])


def test_posted_clients_get_the_features_risks_and_drivers_of_the_bank_run(bank_api, bank):
    client, keys, engine, run = bank_api
    clients = run.scores[run.scores["entity_type"] == "client"]
    # the riskiest few (high tiers, actions) and a few ordinary ones
    chosen = list(clients.nlargest(3, "value_at_risk")["id"]) + list(clients["id"].iloc[:3])
    body = {
        "entity": "client",
        "as_of": str(clients["as_of"].iloc[0]),
        "tables": _records(bank.data, set(chosen)),
    }
    response = _post(client, keys["data_scientist"], body)
    assert response.status_code == 200, response.json()["details"]
    items = response.json()["items"]
    assert sorted(i["id"] for i in items) == sorted(set(chosen))
    _same_as_run(items, run)
    assert any(i["tier"] == "high" for i in items)
    last = export_audit(engine).iloc[-1]
    assert last["outcome"] == "ok" and sorted(last["entity_ids"].split(",")) == sorted(set(chosen))


def test_posted_rms_get_their_run_risk_value_and_drivers(bank_api, bank):
    client, keys, _, run = bank_api
    rms = run.scores[run.scores["entity_type"] == "rm"]
    rm = rms["id"].iloc[0]
    book = bank.data["clients"]
    book = set(book.loc[book["rm_id"].astype(str) == rm, "client_id"].astype(str))
    tables = _records(bank.data, book)
    tables["rms"] = [r for r in tables["rms"] if r["rm_id"] == rm] or tables["rms"]
    body = {"entity": "rm", "as_of": str(rms["as_of"].iloc[0]), "tables": tables}
    response = _post(client, keys["data_scientist"], body)
    assert response.status_code == 200, response.json()
    items = response.json()["items"]
    assert rm in [i["id"] for i in items]
    _same_as_run([i for i in items if i["id"] in set(rms["id"])], run)


def test_a_service_key_scores_only_entities_of_its_branches(bank_api, bank):
    client, keys, engine, run = bank_api
    clients = run.scores[run.scores["entity_type"] == "client"]
    as_of = str(clients["as_of"].iloc[0])
    mine = list(clients.loc[clients["branch_id"] == "B001", "id"].iloc[:2])
    theirs = list(clients.loc[clients["branch_id"] != "B001", "id"].iloc[:1])
    for ids, status in ((mine, 200), (mine + theirs, 403)):
        body = {"entity": "client", "as_of": as_of, "tables": _records(bank.data, set(ids))}
        response = _post(client, keys["service"], body)
        assert response.status_code == status, response.json()
        last = export_audit(engine).iloc[-1]
        assert last["outcome"] == ("ok" if status == 200 else "forbidden")
        assert sorted(last["entity_ids"].split(",")) == sorted(ids)
    # an as-of without a stored run: the features that need the bank cannot be had
    body = {"entity": "client", "as_of": "2001-01", "tables": _records(bank.data, set(mine))}
    response = _post(client, keys["data_scientist"], body)
    assert response.status_code == 422 and response.json()["details"]["problems"]
