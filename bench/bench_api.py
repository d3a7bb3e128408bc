"""Store writes and risk-API load: 1M client scores into SQLite and PostgreSQL, then served.

Targets (issue 14 §6), on this 2-core machine, load generator included: the risk API
answers ``GET /v1/clients/{id}/risk`` over 1M stored scores at >= 1,000 req/s with a
p99 under 50 ms and no errors, on SQLite and on PostgreSQL.

1. Writes. A seeded synthetic bank-wide run (``bench/_scores.py``: 1M clients, 5
   drivers and 2 actions each, worded from the shipped catalogue and playbook) is
   written through the product's own path, ``attrition.store.write_run`` (COPY on
   PostgreSQL, the driver's executemany on SQLite), into a fresh store. Same run, the
   obvious alternative: the same three frames written with plain pandas
   ``DataFrame.to_sql`` (``if_exists="append"``, defaults otherwise) into the same
   tables of another fresh store, so both pay for the same keys and indexes. Each write
   runs in a fresh process; the frames are built there before the clock starts.
2. Load, on loopback only, bounded in time and in connections: the store written in 1.
   is served by the real server (``attrition serve``, uvicorn, ``--workers``) and
   loaded with ``wrk`` (Debian package; one thread, ``--connections`` connections)
   for ``--seconds`` on ``/v1/clients/{id}/risk`` with uniformly random ids of the run
   (a Lua script) and a ``data_scientist`` key, after a short warm-up. Same server,
   same run: ``/healthz`` (no store, no key) as the anchor of the ratio. Errors are
   non-2xx responses plus socket errors (connect, read, write, timeout). Every risk
   read writes its audit row before answering: the table checks that the audit log
   gained exactly one ``ok`` row per 2xx response.

PostgreSQL: scratch databases on ``--pg-url`` (default the local server, user
postgres) are created and dropped.

Usage: python bench/bench_api.py [--clients 1000000] [--seconds 60] [--workers 2]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from _harness import header, run_case, table

from attrition.store import open_store
from attrition.store.keys import create_key
from attrition.store.schema import audit_log

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RISK_ACTION = "GET /v1/clients/{id}/risk"

WRITE = """
import sys, time
from datetime import UTC, datetime
import sqlalchemy as sa
sys.path.insert(0, {bench!r})
from _scores import synthetic_run
from attrition.store import open_store, schema, write_run
from attrition.store.runs import _drivers_rows
run = synthetic_run({n})
engine = open_store({url!r}, create=True)
rows = len(run.scores) + len(run.drivers) + len(run.actions)
if {how!r} == "write_run":
    t0 = time.perf_counter()
    write_run(engine, run, entities=("client",))
    seconds = time.perf_counter() - t0
else:
    # the run row the scores hang off, and drivers in the stored shape (a value is a
    # number or a text column): prepared before the clock starts, to pandas' advantage
    with engine.begin() as conn:
        run_id = conn.execute(sa.insert(schema.scoring_runs).values(
            as_of="2026-09", entities="client", status="complete",
            started_at=datetime.now(UTC))).inserted_primary_key[0]
    frames = {{"scores": run.scores.assign(run_id=run_id),
              "drivers": _drivers_rows(run.drivers, run_id),
              "actions": run.actions.assign(run_id=run_id)}}
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for name, frame in frames.items():
            frame.to_sql(name, conn, if_exists="append", index=False)
    seconds = time.perf_counter() - t0
engine.dispose()
__result.update(rows=rows, seconds=seconds)
"""

# wrk calls request() for every request: a uniformly random client of the run
LUA = """
local n = {n}
local headers = {{["Authorization"] = "Bearer {key}"}}
function init(args)
  math.randomseed(os.time() + {seed})
end
function request()
  local id = string.format("%08d", math.random(0, n - 1))
  return wrk.format("GET", "/v1/clients/" .. id .. "/risk", headers)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""
# the anchor has no per-request Lua (wrk's own request), only the same summary
ANCHOR_LUA = LUA.split("function request()")[0] + "function done" + LUA.split("function done")[1]


@contextlib.contextmanager
def pg_databases(admin_url: str, count: int) -> Iterator[list[str]]:
    """``count`` fresh scratch databases on the server, dropped afterwards."""
    url = sa.make_url(admin_url)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    names = [f"attrition_bench_{uuid.uuid4().hex[:10]}" for _ in range(count)]
    try:
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield [url.set(database=n).render_as_string(hide_password=False) for n in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(url: str, home: Path, workers: int) -> Iterator[str]:
    """``attrition serve`` on a free loopback port; yields its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "ATTRITION_DATABASE_URL": url,
        "ATTRITION_HOME": str(home),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [
        sys.executable,
        "-c",
        "from attrition.cli import app; app()",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    log = (home / f"serve-{port}.log").open("w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                # up (the synthetic run's models are not registered: /readyz says so)
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start; see {log.name}") from None
                time.sleep(0.3)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def wrk(url: str, script: Path, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    r = json.loads(line[4:])
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["socket_errors"] = r["connect"] + r["read"] + r["write"] + r["timeout"]
    return r


def audited(url: str) -> int:
    """Audit rows of successful client risk reads so far."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(audit_log)
                    .where(audit_log.c.action == RISK_ACTION, audit_log.c.outcome == "ok")
                ).scalar()
            )
    finally:
        engine.dispose()


def load(name: str, url: str, work: Path, args: argparse.Namespace) -> list[dict]:
    engine = open_store(url)
    key, _ = create_key(engine, role="data_scientist", name="bench")
    engine.dispose()
    risk_lua, anchor_lua = work / "risk.lua", work / "anchor.lua"
    risk_lua.write_text(LUA.format(n=args.clients, key=key, seed=1))
    anchor_lua.write_text(ANCHOR_LUA.format(n=args.clients, key="", seed=1))
    rows = []
    with server(url, work, args.workers) as base:
        risk_url = f"{base}/v1/clients/00000000/risk"  # the Lua script picks the id
        wrk(risk_url, risk_lua, 3, args.connections)  # warm-up: connections, caches
        time.sleep(1)  # the warm-up's last requests are answered (and audited) first
        before = audited(url)
        risk = wrk(risk_url, risk_lua, args.seconds, args.connections)
        time.sleep(1)  # requests in flight when wrk stopped are answered (and audited) too
        risk["audit"] = audited(url) - before
        anchor = wrk(f"{base}/healthz", anchor_lua, args.seconds, args.connections)
    for endpoint, r in ((RISK_ACTION, risk), ("GET /healthz (anchor)", anchor)):
        rows.append(
            {
                "database": name,
                "endpoint": endpoint,
                "requests": r["requests"],
                "req/s": round(r["rps"]),
                "p50 ms": r["p50_us"] / 1e3,
                "p99 ms": r["p99_us"] / 1e3,
                "non-2xx": r["status"],
                "socket errors": r["socket_errors"],
                "audit rows": r.get("audit", ""),
            }
        )
    rows[0]["vs anchor"] = f"{risk['rps'] / anchor['rps']:.2f}x"
    return rows


def audit_ok(row: dict, connections: int) -> bool:
    """One audit row per answered read: those wrk counted, plus at most one in flight
    per connection when it stopped (answered, so audited, but not counted by wrk)."""
    return 0 <= row["audit rows"] - row["requests"] <= connections


def write(name: str, url: str, alt_url: str, n: int) -> dict:
    ours = run_case(WRITE.format(bench=str(BENCH), n=n, url=url, how="write_run"))
    plain = run_case(WRITE.format(bench=str(BENCH), n=n, url=alt_url, how="to_sql"))
    return {
        "database": name,
        "rows": ours["rows"],
        "write_run s": ours["seconds"],
        "rows/s": round(ours["rows"] / ours["seconds"]),
        "pandas to_sql s": plain["seconds"],
        "to_sql / write_run": f"{plain['seconds'] / ours['seconds']:.1f}x",
        "peak MB": ours["peak_rss_mb"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections")
    ap.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server where scratch databases may be created",
    )
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `make system-packages` (apt-get install wrk)")
    header("Store writes and risk API load (attrition.store + attrition serve)")
    writes, loads = [], []
    with (
        tempfile.TemporaryDirectory(prefix="bench_api_") as tmp,
        pg_databases(args.pg_url, 2) as (pg_store, pg_alt),
    ):
        work = Path(tmp)
        stores = [
            ("SQLite", f"sqlite:///{work / 'store.db'}", f"sqlite:///{work / 'to_sql.db'}"),
            ("PostgreSQL", pg_store, pg_alt),
        ]
        for name, url, alt in stores:
            writes.append(write(name, url, alt, args.clients))
            if alt.startswith("sqlite"):
                Path(alt.removeprefix("sqlite:///")).unlink()
            loads += load(name, url, work, args)
    print(f"Writes: {args.clients:,} clients, 5 drivers and 2 actions each.\n")
    table(
        writes,
        [
            "database",
            "rows",
            "write_run s",
            "rows/s",
            "pandas to_sql s",
            "to_sql / write_run",
            "peak MB",
        ],
    )
    print(
        f"Load: wrk, 1 thread, {args.connections} connections, {args.seconds} s per "
        f"endpoint, uvicorn {args.workers} workers, random ids over {args.clients:,} "
        "clients.\n"
    )
    table(
        loads,
        [
            "database",
            "endpoint",
            "requests",
            "req/s",
            "p50 ms",
            "p99 ms",
            "non-2xx",
            "socket errors",
            "audit rows",
            "vs anchor",
        ],
    )
    risk = [r for r in loads if r["endpoint"] == RISK_ACTION]
    met = all(
        r["req/s"] >= 1000
        and r["p99 ms"] < 50
        and not r["non-2xx"]
        and not r["socket errors"]
        and audit_ok(r, args.connections)
        for r in risk
    )
    print(
        "Risk reads: "
        + "; ".join(f"{r['database']} {r['req/s']:,} req/s, p99 {r['p99 ms']:.1f} ms" for r in risk)
        + f" (goal >= 1,000 req/s, p99 < 50 ms, no errors): {'met' if met else 'NOT met'}."
    )


if __name__ == "__main__":
    main()
