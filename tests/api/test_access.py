"""Who sees what through the risk API: one table of role x endpoint x case drives it.

Cases: an entity in the caller's scope, one out of it, and one that does not exist.
Out of scope and nonexistent look the same (403, same body) wherever the caller's
reach is by branch; 404 only inside a scope that covers everything.
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.main import create_app
from attrition.settings import Settings
from attrition.store import open_store, upgrade_store, write_run
from attrition.store.audit import export_audit
from attrition.store.keys import create_key, revoke_key

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def api(request, tmp_path, scored_run):
    url = (
        f"sqlite:///{tmp_path / 'attrition.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    upgrade_store(url)
    engine = open_store(url)
    write_run(engine, scored_run, entities=("rm", "client"))
    keys = {
        "hr": create_key(engine, role="hr")[0],
        "branch_head": create_key(engine, role="branch_head", branches=("B001",))[0],
        "data_scientist": create_key(engine, role="data_scientist")[0],
        "service": create_key(engine, role="service", branches=("B001",))[0],
        "admin": create_key(engine, role="admin")[0],
    }
    settings = Settings(home=tmp_path, database_url=url)
    with TestClient(create_app(settings)) as client:
        yield client, keys, engine
    engine.dispose()


# role -> endpoint -> (in scope, out of scope, nonexistent)
ACCESS = {
    "hr": {"clients": (403, 403, 403), "rms": (200, 200, 404)},
    "branch_head": {"clients": (200, 403, 403), "rms": (403, 403, 403)},
    "data_scientist": {"clients": (200, 200, 404), "rms": (200, 200, 404)},
    "service": {"clients": (200, 403, 403), "rms": (200, 403, 403)},
    "admin": {"clients": (403, 403, 403), "rms": (403, 403, 403)},
}
IDS = {"clients": ("C1", "C2", "C9"), "rms": ("R1", "R2", "R9")}


@pytest.mark.parametrize("role", list(ACCESS))
@pytest.mark.parametrize("endpoint", ["clients", "rms"])
def test_each_role_sees_only_its_scope_and_out_of_scope_looks_like_nonexistent(api, role, endpoint):
    client, keys, _ = api
    headers = {"Authorization": f"Bearer {keys[role]}"}
    bodies = {}
    for case, entity_id, want in zip(
        ("in", "out", "none"), IDS[endpoint], ACCESS[role][endpoint], strict=True
    ):
        response = client.get(f"/v1/{endpoint}/{entity_id}/risk", headers=headers)
        assert response.status_code == want, (role, endpoint, case, response.json())
        bodies[case] = response.json()
        if want == 200:
            body = response.json()
            assert body["id"] == entity_id and body["run_id"] == 1 and body["as_of"] == "2026-09"
            assert body["risk"]["3"] == pytest.approx(0.03) and body["drivers"][0]["rank"] == 1
    forbidden = [bodies[c] for c in bodies if bodies[c].get("code") == "forbidden"]
    assert all(b == forbidden[0] for b in forbidden)  # no id probing


def test_missing_and_wrong_keys_are_401_with_one_shape(api):
    client, keys, _ = api
    for headers in (
        {},
        {"Authorization": "Bearer atk_nope_nope"},
        {"X-API-Key": keys["hr"][:-2] + "xx"},
    ):
        response = client.get("/v1/rms/R1/risk", headers=headers)
        assert response.status_code == 401
        assert set(response.json()) == {"code", "message", "details"}
    assert client.get("/v1/rms/R1/risk", headers={"X-API-Key": keys["hr"]}).status_code == 200


def test_a_revoked_key_is_refused_within_the_documented_bound(api, tmp_path):
    _, keys, engine = api
    bound = 2.0  # ATTRITION_API_KEY_CACHE_SECONDS
    url = engine.url.render_as_string(hide_password=False)
    settings = Settings(home=tmp_path, database_url=url, api_key_cache_seconds=bound)
    headers = {"X-API-Key": keys["hr"]}
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/rms/R1/risk", headers=headers).status_code == 200
        revoke_key(engine, keys["hr"].split("_")[1])
        revoked = time.monotonic()
        statuses = []
        while time.monotonic() - revoked < bound + 1.0:
            statuses.append(client.get("/v1/rms/R1/risk", headers=headers).status_code)
            if statuses[-1] == 401:
                break
            time.sleep(0.05)
        waited = time.monotonic() - revoked
    assert statuses[0] == 200  # remembered for a while: the key table is not read each time
    assert statuses[-1] == 401 and waited <= bound + 0.5, (statuses, waited)
    with TestClient(create_app(settings.model_copy(update={"api_key_cache_seconds": 0}))) as c:
        assert c.get("/v1/rms/R1/risk", headers=headers).status_code == 401  # no memory


def test_every_read_of_an_rms_risk_is_one_audit_row_without_names(api):
    client, keys, engine = api
    client.get("/v1/rms/R1/risk", headers={"X-API-Key": keys["hr"]})
    client.get("/v1/rms/R1/risk", headers={"X-API-Key": keys["branch_head"]})
    reads = export_audit(engine)
    reads = reads[reads["action"] == "GET /v1/rms/{id}/risk"]
    assert list(reads["outcome"]) == ["ok", "forbidden"]
    assert list(reads["role"]) == ["hr", "branch_head"] and (reads["entity_ids"] == "R1").all()


def test_malformed_ids_and_months_are_named_and_health_is_reported(api):
    client, keys, _ = api
    headers = {"X-API-Key": keys["data_scientist"]}
    bad = client.get("/v1/clients/C1/risk?as_of=2026-13", headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_request"
    assert any("as_of" in k for k in bad.json()["details"])
    assert client.get("/v1/clients/bad%20id/risk", headers=headers).status_code == 422
    assert client.get("/healthz").json() == {"status": "ok"}
    # the store is fine, but the run's models are not in this home: not ready, and why
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["code"] == "not_ready"
    assert set(ready.json()["details"]) == {"client_outflow@1", "rm_resignation@1"}
    earlier = client.get("/v1/clients/C1/risk?as_of=2026-08", headers=headers)
    assert earlier.status_code == 404


def test_the_app_refuses_to_start_on_an_old_schema(tmp_path):
    from attrition.store import StoreError

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade_store(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    engine.dispose()
    with pytest.raises(StoreError, match="attrition db upgrade"):
        create_app(Settings(home=tmp_path, database_url=url))


def test_metrics_count_requests_by_route_template_without_ids(api):
    client, keys, _ = api
    headers = {"X-API-Key": keys["data_scientist"]}
    client.get("/v1/clients/C1/risk", headers=headers)
    client.get("/v1/clients/C9/risk", headers=headers)
    text = client.get("/metrics").text
    route = 'route="/v1/clients/{client_id}/risk"'
    assert f'attrition_api_requests_total{{method="GET",{route},status="200"}} 1.0' in text
    assert f'attrition_api_requests_total{{method="GET",{route},status="404"}} 1.0' in text
    assert "C1" not in text and "C9" not in text


# POST /v1/score: data scientists and service keys only (this store's home has no model,
# so an allowed caller gets past the role check to the 422 naming the model)
SCORE_ACCESS = {"hr": 403, "branch_head": 403, "data_scientist": 422, "service": 422, "admin": 403}


@pytest.mark.parametrize("role", list(SCORE_ACCESS))
def test_who_may_post_entities_to_score(api, role):
    client, keys, engine = api
    body = {"model": "flat_rossi", "rows": [{"person_id": "p1", "age": 30}]}
    response = client.post("/v1/score", json=body, headers={"X-API-Key": keys[role]})
    assert response.status_code == SCORE_ACCESS[role], response.json()
    if response.status_code == 403:
        assert response.json() == {
            "code": "forbidden",
            "message": "this key may not read that entity",
            "details": {},
        }
    else:
        assert response.json()["details"]["problems"][0]["column"] == "model"
    last = export_audit(engine).iloc[-1]
    assert last["action"] == "POST /v1/score" and last["role"] == role
    assert last["outcome"] == ("forbidden" if response.status_code == 403 else "invalid")
