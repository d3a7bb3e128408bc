"""The request log: one JSON line per request with the route template, never the path,
a name or a key; a 500 names the exception type and the request id the caller got."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest
from fastapi.testclient import TestClient

from api.logs import JsonFormatter, logging_config
from api.main import create_app
from attrition.settings import Settings
from attrition.store import open_store, upgrade_store, write_run
from attrition.store.keys import create_key

SECRET_MESSAGE = "王伟 wang.wei@bank.example"


@pytest.fixture
def lines():
    """Everything ``api.requests`` logs, as parsed JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("api.requests")
    before = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(before)


@pytest.fixture
def api(tmp_path, scored_run):
    url = f"sqlite:///{tmp_path / 'attrition.db'}"
    upgrade_store(url)
    engine = open_store(url)
    write_run(engine, scored_run, entities=("rm", "client"))
    key, caller = create_key(engine, role="hr", name=SECRET_MESSAGE)
    engine.dispose()
    app = create_app(Settings(home=tmp_path, database_url=url))

    @app.get("/test/boom/{thing_id}")
    def boom(thing_id: str) -> None:
        raise RuntimeError(f"{SECRET_MESSAGE} {thing_id}")

    with TestClient(app) as client:
        yield client, key, caller


def test_each_request_is_one_line_with_the_route_template_key_id_and_role(api, lines):
    client, key, caller = api
    response = client.get("/v1/rms/R1/risk", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    (line,) = lines()
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert line["level"] == "INFO" and line["logger"] == "api.requests"
    assert line["message"] == "GET /v1/rms/{rm_id}/risk 200"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/v1/rms/{rm_id}/risk", 200)
    assert (line["key_id"], line["role"]) == (caller.key_id, "hr")
    assert 0 < line["duration_ms"] < 10_000
    assert line["time"].endswith("Z") and line["time"][10] == "T"
    text = json.dumps(line, ensure_ascii=False)
    assert "R1" not in text and key.split("_", 2)[2] not in text
    assert "王伟" not in text  # the key's name is not logged


def test_refused_and_unknown_requests_log_no_key_and_no_path(api, lines):
    client, key, _ = api
    forged = key[:-4] + "AAAA"
    assert client.get("/v1/rms/R1/risk", headers={"X-API-Key": forged}).status_code == 401
    assert client.get("/v1/clients/C1/risk", headers={"X-API-Key": key}).status_code == 403
    assert client.get("/no/such/R1/path").status_code == 404
    refused, forbidden, unknown = lines()
    assert refused["status"] == 401 and "key_id" not in refused and "role" not in refused
    assert forbidden["status"] == 403 and forbidden["role"] == "hr"
    assert unknown["route"] == "unmatched" and unknown["status"] == 404
    text = "\n".join(json.dumps(x) for x in (refused, forbidden, unknown))
    assert forged.split("_", 2)[2] not in text and "R1" not in text and "C1" not in text


def test_an_unhandled_error_is_a_500_in_the_error_shape_with_its_request_id(api, lines):
    client, _, _ = api
    response = client.get("/test/boom/C42")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert response.json() == {
        "code": "internal_error",
        "message": "the server failed; quote the request id",
        "details": {"request_id": request_id},
    }
    (line,) = lines()
    assert line["level"] == "ERROR" and line["request_id"] == request_id
    assert line["error"] == "RuntimeError" and line["status"] == 500
    assert line["route"] == "/test/boom/{thing_id}"
    assert any("in boom" in frame for frame in line["stack"])  # where, for support
    text = json.dumps(line, ensure_ascii=False)
    assert "王伟" not in text and "wang.wei" not in text and "C42" not in text


def test_request_ids_differ_between_requests(api):
    client, _, _ = api
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5 and all(len(i) == 16 for i in ids)


def test_the_serve_config_writes_json_and_keeps_sql_out_even_at_debug(capsys):
    saved = {
        name: (lg.level, lg.handlers[:], lg.propagate)
        for name in ("", "sqlalchemy", "alembic", "uvicorn", "uvicorn.error", "uvicorn.access")
        for lg in [logging.getLogger(name)]
    }
    try:
        logging.config.dictConfig(logging_config("debug"))
        logging.getLogger("attrition.test").debug("hello %s", "there")
        logging.getLogger("sqlalchemy.engine.Engine").info("SELECT name FROM clients")
        try:
            raise ValueError(SECRET_MESSAGE)
        except ValueError:
            logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    finally:
        for name, (level, handlers, propagate) in saved.items():
            lg = logging.getLogger(name)
            lg.setLevel(level)
            lg.handlers[:] = handlers
            lg.propagate = propagate
    err = capsys.readouterr().err
    first, second = (json.loads(line) for line in err.splitlines())
    assert first["message"] == "hello there" and first["level"] == "DEBUG"
    assert second["logger"] == "uvicorn.error" and second["error"] == "ValueError"
    assert "SELECT" not in err and "王伟" not in err
