"""The scheduler: one process sends while another stands by; a run missed within its
grace time is made once on start."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from attrition.store import open_store
from reports.config import ReportsConfig
from reports.schedule import ReportScheduler


@pytest.fixture
def engine(report_bank, tmp_path):
    home = report_bank[0]
    shutil.copy(home / "attrition.db", tmp_path / "attrition.db")
    engine = open_store(f"sqlite:///{tmp_path / 'attrition.db'}")
    yield engine
    engine.dispose()


def _config(grace: int) -> ReportsConfig:
    return ReportsConfig.model_validate(
        {
            "data": {"source": "bank"},
            "reports": {
                "weekly": {
                    "kind": "branch_at_risk",
                    "to": "branch_heads",
                    "schedule": {
                        "cron": "0 7 * * mon",
                        "timezone": "Asia/Shanghai",
                        "grace_minutes": grace,
                    },
                }
            },
        }
    )


def test_a_second_scheduler_stands_by_until_the_first_gives_the_lease_up(engine, tmp_path):
    first = ReportScheduler(engine, _config(60), tmp_path, holder="a", renew=30)
    second = ReportScheduler(engine, _config(60), tmp_path, holder="b", renew=30)
    assert first.leads() and not second.leads()
    assert first.leads()  # renewing is taking it again
    first._scheduler.start(paused=True)
    first.stop()  # a clean stop gives the lease up
    assert second.leads() and not first.leads()


def test_a_run_missed_within_its_grace_time_is_made_once_on_start(engine, tmp_path):
    # Monday 2026-10-05 07:00 in Shanghai is 23:00 UTC on Sunday
    fire = datetime(2026, 10, 4, 23, 0, tzinfo=UTC)
    later = fire + timedelta(minutes=40)
    runner = ReportScheduler(engine, _config(60), tmp_path, holder="a")
    assert runner.missed(later) == [("weekly", fire)]
    assert ReportScheduler(engine, _config(30), tmp_path, holder="a").missed(later) == []
    assert runner.missed(fire - timedelta(minutes=1)) == []  # not yet due


def test_two_schedulers_firing_at_once_send_each_message_once(smtp, sender_home):
    """Both fire the same Monday run at the same moment: one holds the lease and
    sends, the other stands by; each branch head gets one message."""
    import threading

    from reports.config import load_reports_config
    from tests.reports.conftest import reports_yaml

    inbox, port, _start, _stop = smtp
    config = load_reports_config(reports_yaml(sender_home, port))
    engines = [open_store(f"sqlite:///{sender_home / 'attrition.db'}") for _ in range(2)]
    runners = [
        ReportScheduler(e, config, sender_home, holder=h, renew=30)
        for e, h in zip(engines, ("a", "b"), strict=True)
    ]
    fire = datetime(2026, 10, 4, 23, 0, tzinfo=UTC)
    start = threading.Barrier(2)

    def fire_now(runner: ReportScheduler) -> None:
        start.wait()
        runner.send("weekly", fire)

    threads = [threading.Thread(target=fire_now, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    heads = {
        e for e in pd.read_parquet(sender_home / "bank" / "branches.parquet")["head_email"] if e
    }
    assert sorted(m["To"] for m in inbox.messages) == sorted(heads)
    assert len({m["Message-ID"] for m in inbox.messages}) == len(inbox.messages)
