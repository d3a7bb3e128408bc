"""``attrition scheduler``: sends each report of ``reports.yaml`` on its schedule.

APScheduler 3 in a process of its own (never inside an API worker). Several may run
(a second machine for safety): a lease in the store lets one send while the others
stand by, renewing every ``renew`` seconds and taken over when its holder stops
renewing it. Sending is idempotent per (report, period, recipient), so a run made
twice by mistake still sends nothing twice.

A run missed while no scheduler was up (a restart over Monday 07:00) is made once on
start when it is within the schedule's grace time; the same loop retries due
deliveries every ``renew`` seconds.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from attrition.errors import AttritionError
from attrition.store.outbox import release_lease, take_lease
from reports.config import ReportsConfig
from reports.delivery import deliver_due
from reports.send import send_report

log = logging.getLogger(__name__)
LEASE = "reports-scheduler"


class ReportScheduler:
    """The schedules of one reports config over one store (see module doc)."""

    def __init__(
        self,
        engine: sa.Engine,
        config: ReportsConfig,
        home: Path,
        *,
        renew: float = 30.0,
        holder: str | None = None,
    ) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        self.engine, self.config, self.home, self.renew = engine, config, home, renew
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}"
        self._lock = threading.Lock()  # one send at a time in this process
        self._scheduler = BackgroundScheduler(timezone="UTC")
        for name, spec in config.reports.items():
            if spec.schedule is None:
                continue
            self._scheduler.add_job(
                self._run_scheduled,
                spec.schedule.trigger(),
                args=(name,),
                id=name,
                misfire_grace_time=spec.schedule.grace_minutes * 60,
                coalesce=True,
                max_instances=1,
            )
        self._scheduler.add_job(
            self._tick, "interval", seconds=renew, id="lease-and-retries", max_instances=1
        )

    def leads(self) -> bool:
        """Take or renew the lease: True when this process is the one sending."""
        return take_lease(
            self.engine, LEASE, self.holder, timedelta(seconds=max(3 * self.renew, 10))
        )

    def missed(self, now: datetime) -> list[tuple[str, datetime]]:
        """Each scheduled run between now less its grace time and now (at most the
        latest per report), to make once on start."""
        found = []
        for name, spec in self.config.reports.items():
            if spec.schedule is None:
                continue
            trigger = spec.schedule.trigger()
            since = now - timedelta(minutes=spec.schedule.grace_minutes)
            fire, last = trigger.get_next_fire_time(None, since), None
            while fire is not None and fire <= now:
                last = fire
                fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
            if last is not None:
                found.append((name, last))
        return found

    def send(self, name: str, fire: datetime) -> None:
        """Send report ``name`` for the period of a fire time (its date where the
        schedule runs), if this process holds the lease."""
        spec = self.config.report(name)
        zone = spec.schedule.trigger().timezone if spec.schedule else None
        period = (fire.astimezone(zone) if zone else fire).date().isoformat()
        with self._lock:
            if not self.leads():
                log.info("report %s for %s: another scheduler sends it", name, period)
                return
            try:
                outcome = send_report(self.engine, self.config, name, home=self.home, period=period)
            except AttritionError as exc:
                log.error("report %s for %s was not sent: %s", name, period, exc)
                return
            d = outcome.delivery
            log.info(
                "report %s for %s: %s queued, %s sent, %s to retry, %s failed",
                name,
                period,
                outcome.queued,
                d.sent,
                d.retried,
                d.failed,
            )

    def _run_scheduled(self, name: str) -> None:
        from datetime import UTC

        self.send(name, datetime.now(UTC))

    def _tick(self) -> None:
        """Renew the lease; the holder retries what is due."""
        with self._lock:
            if self.leads() and self.config.smtp is not None:
                stale = timedelta(seconds=self.config.delivery.stale_after_seconds)
                deliver_due(self.engine, self.config.smtp, self.config.delivery, stale_after=stale)

    def start(self) -> None:
        """Start the schedules (in a background thread), after making the runs missed
        within their grace time."""
        from datetime import UTC

        for name, fire in self.missed(datetime.now(UTC)):
            log.info("making report %s missed at %s", name, fire.isoformat())
            self.send(name, fire)
        self._scheduler.start()

    def stop(self) -> None:
        """Stop the schedules and give the lease up, so another scheduler takes over."""
        self._scheduler.shutdown(wait=True)
        release_lease(self.engine, LEASE, self.holder)
