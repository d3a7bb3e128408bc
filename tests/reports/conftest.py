"""The reports' bank: a small synthetic bank with a client and an RM model trained on
it, scored at two months (so a report has a previous run, a trend and a list whose
outcome can be judged), both runs and their contact plans in a SQLite store, and a
reports.yaml pointing at the bank's tables."""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import Message as EmailMessage
from pathlib import Path

import pandas as pd
import pytest
import yaml
from aiosmtpd.controller import Controller

SENDER = "attrition-reports@bank.example"


@pytest.fixture(scope="package")
def report_bank(tmp_path_factory):
    """(home, store url, config path, bank data, runs by as-of)."""
    from attrition.config import parse_config
    from attrition.io import write_tables
    from attrition.pipeline.plan import contact_plan
    from attrition.pipeline.score import score_bank
    from attrition.pipeline.train import train
    from attrition.playbook import load_playbook
    from attrition.store import open_store, upgrade_store, write_run
    from attrition.store.plans import write_plan
    from attrition.synthetic import GeneratorConfig, generate_bank

    bank = generate_bank(config=GeneratorConfig(n_clients=1500, seed=7, clients_per_rm=50))
    home = tmp_path_factory.mktemp("report_home")
    write_tables(bank.data.tables, home / "bank")
    for target in ("client_outflow", "rm_resignation"):
        config = {
            "name": target,
            "target": target,
            "seed": 3,
            "model": {"type": "coxph", "params": {"penalizer": 0.5}},
            "landmarks": {"count": 6, "step": 3, "holdout": 2},
            "split": {"test_fraction": 0.4},
            "data": {"source": str(home / "bank")},
        }
        train(parse_config(config), home=str(home))
    url = f"sqlite:///{home / 'attrition.db'}"
    upgrade_store(url)
    engine = open_store(url)
    playbook = load_playbook(None)
    runs = {}
    for month in ("2026-06", "2026-09"):
        result = score_bank(bank.data, month, home=home)
        run_id = write_run(engine, result, entities=("rm", "client"))
        write_plan(engine, run_id, contact_plan(result, bank.data, playbook))
        runs[month] = result
    engine.dispose()
    config = home / "reports.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data": {"source": "bank"},
                "hr": ["hr@bank.example"],
                "reports": {
                    "branch_zh": {"kind": "branch_at_risk", "to": "branch_heads", "language": "zh"},
                    "branch_en": {
                        "kind": "branch_at_risk",
                        "to": "branch_heads",
                        "language": "en",
                        "top": 30,
                    },
                    # a small bank's RMs are all in the low tier: list every tier
                    "hr_en": {
                        "kind": "rm_flight_risk",
                        "to": "hr",
                        "language": "en",
                        "tiers": ["high", "medium", "low"],
                    },
                    "hr_zh": {
                        "kind": "rm_flight_risk",
                        "to": "hr",
                        "language": "zh",
                        "tiers": ["high", "medium", "low"],
                        "top": 20,
                    },
                },
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return home, url, config, bank.data, runs


def pdf_text(path: Path) -> str:
    """The PDF's text as poppler's pdftotext reads it (layout kept)."""
    import subprocess

    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """The SMTP server's side: every message it accepted, and how it should answer
    the next ones (``refuse``: that many 451s; ``permanent``: 550 to all; ``hold``:
    seconds to wait after recording a message before answering)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = 0
        self.permanent = False
        self.hold = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            if self.permanent:
                return "550 mailbox unavailable"
            if self.refuse > 0:
                self.refuse -= 1
                return "451 try again later"
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        deadline = time.monotonic() + self.hold
        while self.hold and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # recorded, not yet answered: the sender may die now
        return "250 OK"


@pytest.fixture
def smtp():
    """(inbox, port, start, stop): a real SMTP server on a loopback port, started."""
    inbox, port = Inbox(), _free_port()
    state = {}

    def start():
        state["c"] = Controller(inbox, hostname="127.0.0.1", port=port)
        state["c"].start()

    def stop():
        if "c" in state:
            state.pop("c").stop()

    start()
    yield inbox, port, start, stop
    stop()


@pytest.fixture
def sender_home(report_bank, tmp_path):
    """A copy of the reports' store and bank, and a reports.yaml with an SMTP section
    on ``port`` (filled in by the test); the bank's branch B002 has no head_email."""
    home, _url, _config, _data, _runs = report_bank
    shutil.copy(home / "attrition.db", tmp_path / "attrition.db")
    shutil.copytree(home / "bank", tmp_path / "bank")
    branches = tmp_path / "bank" / "branches.parquet"
    table = pd.read_parquet(branches)
    table.loc[table["branch_id"] == "B002", "head_email"] = None
    table.to_parquet(branches, index=False)
    return tmp_path


def reports_yaml(home: Path, port: int, **delivery) -> Path:
    """A reports.yaml in ``home`` sending the weekly branch report (Chinese, top 10)
    through the SMTP server on ``port``, with quick retries."""
    path = home / "reports.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "data": {"source": "bank"},
                "hr": ["hr@bank.example"],
                "smtp": {
                    "host": "127.0.0.1",
                    "port": port,
                    "starttls": False,
                    "user": None,
                    "sender": SENDER,
                    "timeout_seconds": 5,
                },
                "delivery": {"first_retry_seconds": 0.05, "max_attempts": 3, **delivery},
                "reports": {
                    "weekly": {
                        "kind": "branch_at_risk",
                        "to": "branch_heads",
                        "language": "zh",
                        "top": 10,
                    }
                },
            }
        ),
        encoding="utf-8",
    )
    return path
