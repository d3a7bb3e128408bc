"""Delivery through the outbox to a real SMTP server on loopback (aiosmtpd): each
message arrives once, whatever the server or the sender does in between."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd

from attrition.store import open_store
from attrition.store.outbox import list_deliveries
from reports.config import load_reports_config
from reports.delivery import deliver_due, message_id
from reports.send import send_report
from tests.reports.conftest import SENDER, reports_yaml


def _send(home: Path, config: Path):
    engine = open_store(f"sqlite:///{home / 'attrition.db'}")
    try:
        return send_report(
            engine, load_reports_config(config), "weekly", home=home, period="2026-10-05"
        )
    finally:
        engine.dispose()


def _heads(home: Path) -> dict[str, str]:
    table = pd.read_parquet(home / "bank" / "branches.parquet")
    return {b: e for b, e in zip(table["branch_id"], table["head_email"], strict=True) if e}


def test_each_branch_head_gets_their_report_once_with_the_pdf(smtp, sender_home):
    inbox, port, _start, _stop = smtp
    config = reports_yaml(sender_home, port)
    outcome = _send(sender_home, config)
    heads = _heads(sender_home)
    assert outcome.unaddressed == ["B002"]  # reported; the others are still sent
    assert outcome.delivery.sent == len(heads) == len(inbox.messages)
    by_to = {m["To"]: m for m in inbox.messages}
    assert set(by_to) == set(heads.values())
    for branch, address in heads.items():
        mail = by_to[address]
        assert mail["Message-ID"] == message_id("weekly", "2026-10-05", branch, address, SENDER)
        assert mail["From"] == SENDER and "客户资产流失风险名单" in mail["Subject"]
        parts = {p.get_content_type(): p for p in mail.walk()}
        pdf = parts["application/pdf"]
        assert pdf.get_filename() == f"weekly-{branch}-2026-09-zh.pdf"
        assert pdf.get_payload(decode=True).startswith(b"%PDF")
        text = parts["text/plain"].get_payload(decode=True).decode()
        assert "风险资产" in text and "请勿转发" in text
    # sent again for the same period: nothing new is rendered, queued or sent
    again = _send(sender_home, config)
    assert (again.rendered, again.queued, again.delivery.sent) == (0, 0, 0)
    assert len(inbox.messages) == len(heads)


def test_a_server_that_is_down_then_up_gets_each_message_once(smtp, sender_home):
    inbox, port, start, stop = smtp
    stop()
    config = reports_yaml(sender_home, port)
    outcome = _send(sender_home, config)
    heads = _heads(sender_home)
    assert outcome.delivery.retried == len(heads) and not inbox.messages
    engine = open_store(f"sqlite:///{sender_home / 'attrition.db'}")
    outbox = list_deliveries(engine)
    assert (outbox["state"] == "pending").all() and (outbox["attempts"] == 1).all()
    assert outbox["last_error"].str.contains("could not be reached").all()
    start()
    time.sleep(0.2)  # past the back-off
    cfg = load_reports_config(config)
    done = deliver_due(engine, cfg.smtp, cfg.delivery)
    assert done.sent == len(heads) and len(inbox.messages) == len(heads)
    assert deliver_due(engine, cfg.smtp, cfg.delivery).sent == 0
    engine.dispose()
    assert sorted(m["To"] for m in inbox.messages) == sorted(heads.values())


def test_a_4xx_answer_is_retried_and_a_5xx_fails_with_its_error_kept(smtp, sender_home):
    inbox, port, _start, _stop = smtp
    inbox.refuse = 2
    config = reports_yaml(sender_home, port)
    outcome = _send(sender_home, config)
    heads = _heads(sender_home)
    assert outcome.delivery.retried == 2 and outcome.delivery.sent == len(heads) - 2
    engine = open_store(f"sqlite:///{sender_home / 'attrition.db'}")
    cfg = load_reports_config(config)
    time.sleep(0.2)
    assert deliver_due(engine, cfg.smtp, cfg.delivery).sent == 2
    assert sorted(m["To"] for m in inbox.messages) == sorted(heads.values())
    outbox = list_deliveries(engine)
    assert (outbox["state"] == "sent").all()
    assert outbox.loc[outbox["attempts"] == 2, "last_error"].isna().all()
    # a permanent refusal: failed at once, the error kept, not retried
    inbox.permanent = True
    reports_yaml(sender_home, port)
    cfg = load_reports_config(config)
    hr = cfg.model_copy(
        update={
            "reports": {
                "hr": cfg.reports["weekly"].model_copy(
                    update={"kind": "rm_flight_risk", "to": ("hr@bank.example",)}
                )
            }
        }
    )
    failed = send_report(engine, hr, "hr", home=sender_home, period="2026-10-05")
    assert failed.delivery.failed == 1
    row = list_deliveries(engine, "hr").iloc[0]
    assert row["state"] == "failed" and "550" in row["last_error"] and row["attempts"] == 1
    engine.dispose()


SENDER_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from attrition.store import open_store
    from reports.config import load_reports_config
    from reports.send import send_report
    home = Path(sys.argv[1])
    engine = open_store(f"sqlite:///{home / 'attrition.db'}")
    send_report(engine, load_reports_config(home / "reports.yaml"), "weekly",
                home=home, period="2026-10-05", workers=1)
    """
)


def _sender(home: Path) -> subprocess.Popen:
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen([sys.executable, "-c", SENDER_SCRIPT, str(home)], env=env)


def _wait(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_sender_killed_while_rendering_then_restarted_loses_and_doubles_nothing(
    smtp, sender_home
):
    inbox, port, _start, _stop = smtp
    reports_yaml(sender_home, port)
    first = _sender(sender_home)
    folder = sender_home / "outbox" / "weekly" / "2026-10-05"
    _wait(lambda: folder.is_dir() and any(folder.glob("*.pdf")))
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert not inbox.messages
    again = _sender(sender_home)
    assert again.wait(timeout=120) == 0
    heads = _heads(sender_home)
    assert sorted(m["To"] for m in inbox.messages) == sorted(heads.values())


def test_a_sender_killed_at_the_moment_of_sending_resends_with_the_same_message_id(
    smtp, sender_home
):
    """The documented window: the server took the message, the sender died before
    recording it. The restart sends it again, recognisably the same message."""
    inbox, port, _start, _stop = smtp
    inbox.hold = 30  # the first message is recorded, its answer withheld
    reports_yaml(sender_home, port, stale_after_seconds=1)
    first = _sender(sender_home)
    _wait(lambda: len(inbox.messages) == 1, seconds=120)
    first.send_signal(signal.SIGKILL)
    first.wait()
    inbox.hold = 0
    time.sleep(1.2)  # the dead sender's claim goes stale
    again = _sender(sender_home)
    assert again.wait(timeout=120) == 0
    heads = _heads(sender_home)
    ids = [m["Message-ID"] for m in inbox.messages]
    assert len(ids) == len(heads) + 1  # one message twice, none lost
    twice = {i for i in ids if ids.count(i) == 2}
    assert len(twice) == 1
    assert sorted(set(m["To"] for m in inbox.messages)) == sorted(heads.values())
