"""Send a report: render what is not queued yet, queue a message per recipient, deliver.

Safe to run again at any point, and after a crash at any point: documents already
queued for the period are not rendered again, queueing the same message finds the
row, and delivery sends only what is due. The rendered PDFs stay under
``$ATTRITION_HOME/outbox/<report>/<period>/`` (written atomically) until sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from attrition.store.outbox import list_deliveries
from reports.build import Document, documents, render_batch
from reports.config import Language, ReportsConfig
from reports.context import ReportError, load_report_run
from reports.delivery import DeliveryOutcome, deliver_due, queue_documents
from reports.render import PdfOutcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendOutcome:
    report: str
    period: str
    rendered: int
    render_failed: list[str]  # documents whose PDF could not be made (not queued)
    queued: int  # new messages
    unaddressed: list[str]  # documents without a recipient (no head_email)
    delivery: DeliveryOutcome


def default_period(config: ReportsConfig, name: str, now: datetime | None = None) -> str:
    """Today's date where the report's schedule runs (UTC for an unscheduled one): a
    report is sent once per recipient per period."""
    spec = config.report(name)
    zone = ZoneInfo(spec.schedule.timezone) if spec.schedule else ZoneInfo("UTC")
    return (now or datetime.now(zone)).astimezone(zone).date().isoformat()


def send_report(
    engine: sa.Engine,
    config: ReportsConfig,
    name: str,
    *,
    home: Path,
    period: str | None = None,
    as_of: str | None = None,
    lang: Language | None = None,
    workers: int | None = None,
    progress: Callable[[PdfOutcome], None] | None = None,
) -> SendOutcome:
    """Render, queue and deliver report ``name`` for ``period`` (see module doc).

    Raises
    ------
    ReportError
        No SMTP server in the config, or no scoring run to report on.
    """
    if config.smtp is None:
        raise ReportError("the reports config has no smtp section: nothing can be sent")
    period = period or default_period(config, name)
    run = load_report_run(engine, config.data.source, as_of=as_of)
    folder = home / "outbox" / name / period
    docs = documents(run, config, name, folder, lang=lang)
    queued = list_deliveries(engine, name)
    queued = queued[queued["period"] == period]
    done = set(zip(queued["document"], queued["recipient"], strict=True))
    # a document without a recipient is reported, not rendered; one is rendered again
    # only when one of its messages is not queued yet
    unaddressed = [d.key for d in docs if not d.recipients]
    todo = [d for d in docs if any((d.key, to) not in done for to in d.recipients)]
    failed: list[str] = []
    ready: list[Document] = []
    outcomes = render_batch(todo, workers=workers, progress=progress)
    for doc, outcome in zip(todo, outcomes, strict=True):
        if outcome.ok:
            ready.append(doc)
        else:
            failed.append(doc.key)
    new, _ = queue_documents(
        engine, ready, period=period, run_id=run.run_id, sender=config.smtp.sender
    )
    stale = timedelta(seconds=config.delivery.stale_after_seconds)
    delivery = deliver_due(engine, config.smtp, config.delivery, stale_after=stale)
    if unaddressed:
        log.warning("report %s: %s document(s) have no recipient", name, len(unaddressed))
    return SendOutcome(name, period, len(ready), failed, new, unaddressed, delivery)
