"""A whole session on a small synthetic bank with every logger at DEBUG: train, score
into the store, plan, create keys, serve with the real server, call it with every role
(refused, forged, revoked, malformed, oversized and non-JSON requests included),
revoke, list and export the audit log. Nothing any of it logs or prints holds a
client's or RM's name or e-mail, a branch head's e-mail or a key's secret.

The commands run in two interpreter processes (one per phase, each running several
commands as a shell would, one interpreter start each on a 2-core machine) with the
root logger at DEBUG; the server is ``attrition serve --log-level debug`` in its own
process. Their stdout and stderr are all captured; the one thing left out is what
``keys create`` prints on stdout, which is the key itself, shown once by design.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest

from attrition.io import write_tables
from attrition.synthetic import GeneratorConfig, generate_bank

# runs CLI commands one after the other in one process, with every logger at DEBUG;
# argv[1]: a JSON list of commands, argv[2]: where to write each command's stdout
DRIVER = """
import contextlib, io, json, logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
from typer.main import get_command
from attrition.cli import app
cli = get_command(app)
results = []
for argv in json.loads(sys.argv[1]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            code = cli.main(argv, prog_name="attrition", standalone_mode=False) or 0
        except SystemExit as exc:
            code = exc.code
    results.append({"argv": argv, "code": code, "stdout": out.getvalue()})
with open(sys.argv[2], "w") as f:
    json.dump(results, f)
"""

CONFIG = """name: {target}
target: {target}
seed: 3
landmarks: {{count: 6, step: 3, holdout: 2}}
model: {{type: coxph, params: {{penalizer: 0.5}}}}
compare: []
data: {{source: {bank}}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _commands(commands: list[list[str]], env: dict, work: Path, name: str) -> tuple[list, str]:
    """Run ``commands`` in one DEBUG-logging process: (each one's result, all it logged)."""
    results = work / f"{name}.json"
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(commands), str(results)],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"the commands failed:\n{done.stderr[-3000:]}"
    ran = json.loads(results.read_text())
    for r in ran:
        assert r["code"] == 0, f"{' '.join(r['argv'])} failed:\n{done.stderr[-3000:]}"
    return ran, done.stdout + done.stderr


def _pii(tables: dict[str, pd.DataFrame]) -> set[str]:
    """Every name and e-mail of the bank (the contract marks them PII)."""
    values = (
        *tables["clients"]["name"],
        *tables["rms"]["name"],
        *tables["rms"]["email"],
        *tables["branches"]["head_email"],
    )
    return {str(v) for v in values if isinstance(v, str) and v}


def _found(secrets: set[str], text: str) -> set[str]:
    """Which of ``secrets`` occur in ``text``. Names are searched in the runs of CJK
    text only (thousands of names times megabytes of log would be slow otherwise)."""
    cjk = "\n".join(re.findall(r"[\u3400-\u9fff]+", text))
    return {s for s in secrets if s in (cjk if re.fullmatch(r"[\u3400-\u9fff]+", s) else text)}


@pytest.mark.slow
def test_a_whole_session_logs_no_name_email_or_key(tmp_path):
    bank_dir, home = tmp_path / "bank", tmp_path / "home"
    bank = generate_bank(config=GeneratorConfig(n_clients=1200, seed=4, clients_per_rm=20))
    tables = bank.data.tables
    write_tables(tables, bank_dir)
    pii = _pii(tables)
    assert len(pii) > 1000
    for target in ("client_outflow", "rm_resignation"):
        (tmp_path / f"{target}.yaml").write_text(CONFIG.format(target=target, bank=bank_dir))
    env = {
        **os.environ,
        "ATTRITION_HOME": str(home),
        "ATTRITION_DATABASE_URL": f"sqlite:///{tmp_path / 'attrition.db'}",
        "ATTRITION_MAX_BODY_BYTES": "4096",
    }
    as_of = str(tables["monthly_balances"]["month"].max())
    clients = tables["clients"][tables["clients"]["closed_date"].isna()].set_index("client_id")
    rms = tables["rms"]
    rm = rms[rms["exit_date"].isna()].iloc[0]
    branch, other = sorted(tables["branches"]["branch_id"])[:2]

    roles = [
        ("hr", []),
        ("branch_head", ["--branch", branch]),
        ("data_scientist", []),
        ("service", ["--branch", branch]),
        ("admin", []),
        ("hr", []),  # revoked later
    ]
    first, logged = _commands(
        [
            ["db", "upgrade"],
            ["train", "--config", str(tmp_path / "client_outflow.yaml")],
            ["train", "--config", str(tmp_path / "rm_resignation.yaml")],
            ["score"],
            ["plan", "--as-of", as_of],
            *(["keys", "create", "--role", role, *more] for role, more in roles),
        ],
        env,
        tmp_path,
        "first",
    )
    keys = [r["stdout"].split()[0] for r in first if r["argv"][:2] == ["keys", "create"]]
    assert all(k.startswith("atk_") for k in keys) and len(set(keys)) == len(roles)
    everything = [logged] + [r["stdout"] for r in first if r["argv"][:2] != ["keys", "create"]]
    by_role = dict(zip([r for r, _ in roles][:5], keys[:5], strict=True))
    revoked = keys[5]

    port = _free_port()
    server_log = tmp_path / "server.log"
    with server_log.open("w") as sink:
        server = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from attrition.cli import app; app()",
                "serve",
                "--port",
                str(port),
                "--log-level",
                "debug",
            ],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    assert time.monotonic() < deadline and server.poll() is None
                    time.sleep(0.2)
            statuses = _calls(base, by_role, revoked, tables, clients, rm, branch, other)
            second, logged = _commands(
                [
                    ["keys", "revoke", revoked.split("_")[1]],
                    ["keys", "list"],
                    ["runs", "list"],
                    ["audit", "export", "--out", str(tmp_path / "audit.csv")],
                ],
                env,
                tmp_path,
                "second",
            )
            everything += [logged] + [r["stdout"] for r in second]
            refused = httpx.get(f"{base}/v1/rms/{rm.rm_id}/risk", headers=_auth(revoked))
            assert refused.status_code == 401
        finally:
            server.terminate()
            server.wait(timeout=30)
    served = server_log.read_text()
    everything.append(served)
    text = "\n".join(everything)

    # the capture is not empty: what should be logged was
    assert "DEBUG" in text and "client_outflow landmarks" in text  # the CLI's own lines
    lines = [json.loads(line) for line in served.splitlines() if line.strip()]
    requests_logged = [x for x in lines if x["logger"] == "api.requests"]
    assert len(requests_logged) >= len(statuses)  # readyz polls come on top
    assert any(x["level"] == "DEBUG" for x in lines)  # the server logged at DEBUG
    routes = {(x["route"], x["status"], x.get("role")) for x in requests_logged}
    assert ("/v1/rms/{rm_id}/risk", 200, "hr") in routes
    assert ("/v1/clients/{client_id}/risk", 403, "hr") in routes
    assert ("/v1/clients/{client_id}/risk", 401, None) in routes
    assert {413, 415, 422} <= {x["status"] for x in requests_logged}
    key_ids = {k.split("_")[1] for k in keys}
    assert key_ids - {revoked.split("_")[1]} <= {x.get("key_id") for x in requests_logged}
    audit = pd.read_csv(tmp_path / "audit.csv", dtype=str)
    revoked_id = revoked.split("_")[1]
    assert rm.rm_id in set(audit["entity_ids"]) and revoked_id in set(audit["entity_ids"])
    assert key_ids - {revoked_id} <= set(audit["key_id"].dropna())

    # the search would find a name, an e-mail or a key if there were one
    name, email = clients["name"].iloc[0], rm.email
    assert _found({name, email, keys[0]}, f"x{name}y {email} {keys[0]}") == {name, email, keys[0]}
    # and there is none
    # a key's secret, or its first 16 characters (a forged key shares most of them)
    secrets = pii | {k.split("_", 2)[2][:n] for k in keys for n in (16, 43)}
    assert _found(secrets, text) == set()
    # nor a raw path with an entity id in the server's log
    assert f"/v1/rms/{rm.rm_id}/risk" not in served and "/v1/clients/0" not in served


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _calls(base, keys, revoked, tables, clients, rm, branch, other) -> list[int]:
    """Every role's requests, in and out of scope, and the malformed ones; a name or an
    e-mail is even sent in a path, a query and a key header (none may be logged)."""
    mine = clients[clients["branch_id"] == branch].index[0]
    theirs = clients[clients["branch_id"] == other].index[0]
    name = clients.loc[mine, "name"]
    body_row = {"name": name, "email": rm.email}
    calls = [
        ("hr", f"/v1/rms/{rm.rm_id}/risk", 200),
        ("hr", f"/v1/clients/{mine}/risk", 403),
        ("hr", f"/v1/branches/{branch}/at-risk?entity=rm", 200),
        ("branch_head", f"/v1/clients/{mine}/risk", 200),
        ("branch_head", f"/v1/clients/{theirs}/risk", 403),
        ("branch_head", "/v1/clients/99999999/risk", 403),
        ("branch_head", f"/v1/branches/{branch}/summary", 200),
        ("branch_head", f"/v1/branches/{branch}/at-risk?entity=client&limit=5", 200),
        ("data_scientist", "/v1/models", 200),
        ("data_scientist", f"/v1/clients/{theirs}/risk", 200),
        ("data_scientist", "/v1/rms/RM99999/risk", 404),
        ("data_scientist", f"/v1/rms/{rm.rm_id}/plan", 200),
        ("service", f"/v1/clients/{theirs}/risk", 403),
        ("admin", f"/v1/rms/{rm.rm_id}/risk", 403),
        ("data_scientist", f"/v1/clients/{name}/risk", 422),
        ("data_scientist", f"/v1/clients/{mine}/risk?as_of={rm.email}", 422),
        ("data_scientist", f"/v1/rms/{rm.email}/risk", 422),
    ]
    statuses = []
    with httpx.Client(base_url=base, timeout=30) as http:
        for role, path, expected in calls:
            got = http.get(path, headers=_auth(keys[role])).status_code
            assert got == expected, (role, path, got)
            statuses.append(got)
        forged = keys["hr"][:-6] + "AAAAAA"
        for headers in ({}, _auth(forged), {"X-API-Key": rm.email}, _auth(revoked + "x")):
            assert http.get(f"/v1/clients/{mine}/risk", headers=headers).status_code == 401
            statuses.append(401)
        body = json.dumps({"name": name, "email": rm.email}).encode()
        oversized = http.post(  # over ATTRITION_MAX_BODY_BYTES: refused before routing
            "/v1/score", content=body.ljust(10_000), headers={"Content-Type": "application/json"}
        )
        assert oversized.status_code == 413 and oversized.json()["code"] == "payload_too_large"
        text_body = http.post("/v1/score", content=body, headers={"Content-Type": "text/plain"})
        assert text_body.status_code == 415
        assert http.get("/metrics").status_code == 200
        statuses += [413, 415, 200]
        # the writes and questions: a what-if, a recorded contact (retried), a score
        # request whose rows carry a name and an e-mail
        what_if = {"overrides": {"days_since_contact": 0}}
        posts = [
            ("branch_head", f"/v1/clients/{mine}/what-if", what_if, 200),
            ("service", f"/v1/clients/{theirs}/what-if", what_if, 403),
            ("hr", f"/v1/rms/{rm.rm_id}/what-if", {"overrides": {"overtime_hours_3m": 0}}, 200),
            ("data_scientist", "/v1/score", {"model": "rossi", "rows": [body_row]}, 422),
        ]
        for role, path, payload, expected in posts:
            got = http.post(path, json=payload, headers=_auth(keys[role])).status_code
            assert got == expected, (role, path, got)
            statuses.append(got)
        contact = {
            "client_id": str(mine),
            "contacted_at": datetime.now(UTC).isoformat(),
            "channel": "call",
            "outcome": "will_stay",
            "action_id": "backup_rm",
        }
        retry = {**_auth(keys["branch_head"]), "Idempotency-Key": "crm-0001"}
        for expected in (201, 200):
            got = http.post("/v1/contacts", json=contact, headers=retry).status_code
            assert got == expected, got
            statuses.append(got)
    return statuses
