"""Render and send every branch report of a bank with 200 branches and 1M clients.

Target (issue 15): on this 2-core machine, every branch head's PDF rendered and sent
to a loopback SMTP server in under 2 minutes.

Set-up (not timed): a seeded bank-wide run of ``--clients`` clients in 200 branches
(``bench/_scores.py``: the product's own catalogue wording and playbook actions), the
bank's tables behind it (``bench/_bank.py``: names, branch heads' addresses, a month of
balances), the run and its weekly contact plan written to a SQLite store, and a
reports.yaml sending the branch report (Chinese) to every branch head through an SMTP
server (aiosmtpd) on a loopback port.

1. The product's path, timed in a fresh process: ``reports.send.send_report`` reads
   the run and the bank, builds every branch's report, renders the PDFs in worker
   processes (the machine's cores), queues one message per branch head in the store's
   outbox and sends them. Peak memory is the larger of the process's and of its
   largest render worker's.
2. Same run, the obvious alternative: the same documents built and rendered one by
   one in one process (each document's data, HTML and PDF in a loop). Doing all of
   them that way would take minutes, so ``--sample`` of them are made and the time is
   scaled to every branch (reading the run and the bank is timed whole).

Usage: python bench/bench_reports.py [--clients 1000000] [--sample 20]
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

import yaml
from _bank import write_bank
from _harness import header, run_case, table
from _scores import synthetic_run
from aiosmtpd.controller import Controller

BENCH = Path(__file__).resolve().parent

SEND = """
import resource, sys, time
sys.path.insert(0, {bench!r})
from pathlib import Path
from attrition.store import open_store
from reports.config import load_reports_config
from reports.send import send_report
home = Path({home!r})
engine = open_store(f"sqlite:///{{home / 'attrition.db'}}")
t0 = time.perf_counter()
out = send_report(engine, load_reports_config(home / "reports.yaml"), "weekly",
                  home=home, period="2026-10-05")
seconds = time.perf_counter() - t0
__result.update(seconds=seconds, pdfs=out.rendered, sent=out.delivery.sent,
                failed=len(out.render_failed) + out.delivery.failed,
                children_peak_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""

ONE_BY_ONE = """
import sys, time
sys.path.insert(0, {bench!r})
from pathlib import Path
from attrition.store import open_store
from reports.build import documents
from reports.config import load_reports_config
from reports.context import load_report_run
from reports.render import write_pdf
home = Path({home!r})
config = load_reports_config(home / "reports.yaml")
engine = open_store(f"sqlite:///{{home / 'attrition.db'}}")
t0 = time.perf_counter()
run = load_report_run(engine, config.data.source)
docs = documents(run, config, "weekly", home / "one_by_one")
(home / "one_by_one").mkdir(exist_ok=True)
read = time.perf_counter() - t0
t1 = time.perf_counter()
for doc in docs[: {sample}]:
    write_pdf(doc.html(), doc.path)
per_pdf = (time.perf_counter() - t1) / min({sample}, len(docs))
__result.update(read=read, per_pdf=per_pdf, documents=len(docs),
                seconds=read + per_pdf * len(docs))
"""


class Counter:
    def __init__(self) -> None:
        self.messages = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.messages += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(home: Path, n: int, port: int) -> dict:
    """The store, the bank and reports.yaml (see the module doc)."""
    from attrition.io import load_bank
    from attrition.pipeline.plan import contact_plan
    from attrition.playbook import load_playbook
    from attrition.store import open_store, upgrade_store, write_run
    from attrition.store.plans import write_plan

    t0 = time.perf_counter()
    run = synthetic_run(n)
    write_bank(run, home / "bank")
    url = f"sqlite:///{home / 'attrition.db'}"
    upgrade_store(url)
    engine = open_store(url)
    run_id = write_run(engine, run, entities=("client",))
    write_plan(engine, run_id, contact_plan(run, load_bank(str(home / "bank")), load_playbook()))
    engine.dispose()
    (home / "reports.yaml").write_text(
        yaml.safe_dump(
            {
                "data": {"source": "bank"},
                "smtp": {
                    "host": "127.0.0.1",
                    "port": port,
                    "starttls": False,
                    "user": None,
                    "sender": "attrition-reports@bank.example",
                },
                "reports": {
                    "weekly": {"kind": "branch_at_risk", "to": "branch_heads", "language": "zh"}
                },
            }
        ),
        encoding="utf-8",
    )
    return {
        "clients": n,
        "branches": int(run.scores["branch_id"].nunique()),
        "setup_s": time.perf_counter() - t0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=20, help="PDFs rendered one by one")
    args = ap.parse_args()
    header("Branch reports for every branch: render and send (reports.send)")
    inbox, port = Counter(), _free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench_reports_") as tmp:
            home = Path(tmp)
            bank = prepare(home, args.clients, port)
            ours = run_case(SEND.format(bench=str(BENCH), home=str(home)), timeout=3600)
            alone = run_case(
                ONE_BY_ONE.format(bench=str(BENCH), home=str(home), sample=args.sample),
                timeout=3600,
            )
    finally:
        server.stop()
    print(
        f"{bank['clients']:,} clients in {bank['branches']} branches; set-up (run, bank, "
        f"store, plan) {bank['setup_s']:.0f} s, not timed.\n"
    )
    peak = max(ours["peak_rss_mb"], ours["children_peak_mb"])
    rows = [
        {
            "path": "reports send (workers, outbox, SMTP)",
            "PDFs": ours["pdfs"],
            "messages received": inbox.messages,
            "failed": ours["failed"],
            "total s": ours["seconds"],
            "PDFs/s": ours["pdfs"] / ours["seconds"],
            "peak MB": peak,
        },
        {
            "path": f"one by one, one process ({args.sample} rendered, scaled)",
            "PDFs": alone["documents"],
            "messages received": "",
            "failed": "",
            "total s": alone["seconds"],
            "PDFs/s": alone["documents"] / alone["seconds"],
            "peak MB": alone["peak_rss_mb"],
        },
    ]
    table(rows, ["path", "PDFs", "messages received", "failed", "total s", "PDFs/s", "peak MB"])
    met = ours["seconds"] < 120 and ours["failed"] == 0 and inbox.messages == ours["pdfs"]
    print(
        f"Every branch report rendered and sent in {ours['seconds']:.0f} s "
        f"({alone['seconds'] / ours['seconds']:.1f}x faster than one by one); "
        f"goal < 120 s, nothing failed: {'met' if met else 'NOT met'}."
    )


if __name__ == "__main__":
    main()
