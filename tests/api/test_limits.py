"""Request limits: body size (declared, chunked, or lying), JSON-only bodies, and
malformed ids, each answered in the API's one error shape.

The app is the real one (``create_app`` over a real store) with one JSON route added
for the test (``POST /test/echo``), since the body checks apply to any route with a
body: the limit is 100 bytes here (``ATTRITION_MAX_BODY_BYTES`` in production).
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.main import create_app
from attrition.settings import Settings, load_settings
from attrition.store import open_store, upgrade_store, write_run
from attrition.store.keys import create_key

LIMIT = 100


class Note(BaseModel):
    text: str


@pytest.fixture
def api(tmp_path, scored_run):
    url = f"sqlite:///{tmp_path / 'attrition.db'}"
    upgrade_store(url)
    engine = open_store(url)
    write_run(engine, scored_run, entities=("rm", "client"))
    key = create_key(engine, role="data_scientist")[0]
    engine.dispose()
    app = create_app(Settings(home=tmp_path, database_url=url, max_body_bytes=LIMIT))

    @app.post("/test/echo")
    def echo(note: Note) -> Note:
        return note

    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {key}"}


def _body(text_bytes: int) -> bytes:
    return json.dumps({"text": "x" * text_bytes}).encode()


def _chunks(body: bytes, size: int = 16):
    for i in range(0, len(body), size):
        yield body[i : i + size]


def _is_too_large(response) -> bool:
    return response.status_code == 413 and response.json() == {
        "code": "payload_too_large",
        "message": "the request body is too large",
        "details": {"body": f"at most {LIMIT} bytes"},
    }


JSON = {"Content-Type": "application/json"}


def test_a_body_within_the_limit_reaches_the_route(api):
    client, _ = api
    ok = client.post("/test/echo", content=_body(50), headers=JSON)
    assert ok.status_code == 200 and ok.json() == {"text": "x" * 50}
    chunked = client.post("/test/echo", content=_chunks(_body(50)), headers=JSON)
    assert chunked.status_code == 200 and chunked.json() == {"text": "x" * 50}
    assert "content-length" not in chunked.request.headers  # it really was chunked
    assert chunked.request.headers["transfer-encoding"] == "chunked"


def test_a_declared_oversized_body_is_413_before_routing_or_the_key(api):
    client, key = api
    big = _body(LIMIT)
    assert len(big) > LIMIT
    assert _is_too_large(client.post("/test/echo", content=big, headers=JSON))
    # before routing: a GET route, an unknown path, and no key at all give the same 413
    assert _is_too_large(client.post("/v1/clients/C1/risk", content=big, headers=JSON))
    assert _is_too_large(client.put("/nowhere", content=big, headers=JSON))
    assert _is_too_large(client.post("/test/echo", content=big, headers={**JSON, **key}))


def test_a_chunked_body_is_cut_off_when_it_passes_the_limit(api):
    client, _ = api
    response = client.post("/test/echo", content=_chunks(_body(10 * LIMIT)), headers=JSON)
    assert _is_too_large(response)
    assert "content-length" not in response.request.headers


def test_a_body_larger_than_its_content_length_says_is_cut_off(api):
    client, _ = api
    lying = client.post(
        "/test/echo", content=_body(LIMIT), headers={**JSON, "Content-Length": "20"}
    )
    assert lying.request.headers["content-length"] == "20"
    assert _is_too_large(lying)


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; b=x"],
)
def test_a_body_that_is_not_json_is_415_naming_the_type_given(api, content_type):
    client, _ = api
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/test/echo", content=_body(5), headers=headers)
    assert response.status_code == 415
    body = response.json()
    assert body["code"] == "unsupported_media_type"
    assert body["message"] == "request bodies must be JSON (Content-Type: application/json)"
    shown = content_type or "none"
    assert body["details"] == {"content_type": f"expected application/json, got {shown}"}


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "APPLICATION/JSON", "application/x+json"]
)
def test_json_media_types_with_parameters_or_suffixes_are_accepted(api, content_type):
    client, _ = api
    response = client.post("/test/echo", content=_body(5), headers={"Content-Type": content_type})
    assert response.status_code == 200, response.json()


def test_bad_json_under_the_limit_is_a_422_in_the_error_shape(api):
    client, _ = api
    response = client.post("/test/echo", content=b'{"text": ', headers=JSON)
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"


def test_requests_without_a_body_pass_the_checks(api):
    client, key = api
    assert client.get("/v1/clients/C1/risk", headers=key).status_code == 200
    empty = client.post("/test/echo", content=b"", headers={"Content-Type": "text/plain"})
    assert empty.status_code == 422  # no body to check the type of: the route wants one


@pytest.mark.parametrize(
    "path",
    [
        "/v1/clients/" + "C" * 65 + "/risk",
        "/v1/clients/C1%3Bdrop/risk",
        "/v1/rms/R%201/risk",
        "/v1/rms/R1%27--/risk",
        "/v1/branches/B%2F1/summary",
    ],
)
def test_malformed_ids_are_422_naming_the_id(api, path):
    client, key = api
    response = client.get(path, headers=key)
    assert response.status_code in (404, 422)
    if response.status_code == 404:  # an encoded slash splits the path: no route
        assert "%2F" in path and response.json()["code"] == "not_found"
        return
    body = response.json()
    assert body["code"] == "invalid_request"
    (field,) = body["details"]
    assert field.startswith("path.") and field.endswith("_id")


def test_the_limit_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("ATTRITION_MAX_BODY_BYTES", "2048")
    assert load_settings().max_body_bytes == 2048
    assert Settings.model_fields["max_body_bytes"].default == 8 * 1024 * 1024
    monkeypatch.setenv("ATTRITION_MAX_BODY_BYTES", "0")
    with pytest.raises(ValueError, match="max_body_bytes"):
        load_settings()
