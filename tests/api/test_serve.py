"""`attrition serve` as an operator starts it: a real server on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx

from attrition.store import open_store, upgrade_store, write_run
from attrition.store.keys import create_key


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_attrition_serve_answers_a_keyed_request_on_loopback(tmp_path, scored_run):
    url = f"sqlite:///{tmp_path / 'attrition.db'}"
    upgrade_store(url)
    engine = open_store(url)
    write_run(engine, scored_run, entities=("rm", "client"))
    key, _ = create_key(engine, role="hr")
    engine.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "ATTRITION_DATABASE_URL": url,
        "ATTRITION_HOME": str(tmp_path),
        "ATTRITION_MAX_BODY_BYTES": "1000",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from attrition.cli import app; app()",
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        response = httpx.get(f"{base}/v1/rms/R1/risk", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200 and response.json()["id"] == "R1"
        assert httpx.get(f"{base}/v1/rms/R1/risk").status_code == 401
        assert httpx.get(f"{base}/openapi.json").json()["paths"]["/v1/rms/{rm_id}/risk"]
        big = httpx.post(
            f"{base}/v1/score",
            content=b"[" + b" " * 2000 + b"]",
            headers={"Content-Type": "application/json"},
        )
        assert big.status_code == 413 and big.json()["details"] == {"body": "at most 1000 bytes"}
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    # JSON lines only; the requests by route template with the key's id, never the path
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    requests = {x["request_id"]: x for x in lines if x["logger"] == "api.requests"}
    read = requests[response.headers["X-Request-ID"]]
    assert (read["route"], read["status"], read["role"]) == ("/v1/rms/{rm_id}/risk", 200, "hr")
    assert read["key_id"] == key.split("_")[1] and read["duration_ms"] > 0
    assert requests[big.headers["X-Request-ID"]]["status"] == 413
    assert "/v1/rms/R1" not in output and key.split("_", 2)[2] not in output
