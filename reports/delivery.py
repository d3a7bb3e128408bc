"""E-mail delivery through the store's outbox (:mod:`attrition.store.outbox`).

``queue_documents`` renders a report's documents into the outbox folder and queues
one message per recipient; ``deliver_due`` sends what is due over SMTP (STARTTLS and
login when configured; the password from the environment when sending), with
retries and back-off when the server is down or answers 4xx, and a failure kept after
the attempt limit or a permanent (5xx) refusal.

Each message carries a Message-ID derived from (report, period, document,
recipient): a message resent after a crash between the server's acceptance and the
commit that records it is the same message to the receiving side.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

import sqlalchemy as sa

from attrition.store.outbox import Message, claim_due, enqueue, mark_failed, mark_retry, mark_sent
from reports.build import Document
from reports.config import DeliveryConfig, SmtpConfig
from reports.render import render_html

log = logging.getLogger(__name__)


def message_id(report: str, period: str, document: str, recipient: str, sender: str) -> str:
    """The Message-ID of one delivery: the same for every attempt and every restart."""
    key = "\x1f".join((report, period, document, recipient)).encode()
    digest = hashlib.sha256(key).hexdigest()[:32]
    domain = sender.rsplit("@", 1)[-1]
    return f"<{digest}.{report}@{domain}>"


def queue_documents(
    engine: sa.Engine,
    docs: list[Document],
    *,
    period: str,
    run_id: int,
    sender: str,
) -> tuple[int, list[str]]:
    """Queue a message per recipient of each rendered document (``docs`` whose PDFs
    exist). Returns how many messages were new, and the documents that have no
    recipient (a branch without ``head_email``), to report; the others are queued."""
    rows, unaddressed = [], []
    for doc in docs:
        if not doc.recipients:
            unaddressed.append(doc.key)
            continue
        text, html = bodies(doc)
        for to in doc.recipients:
            rows.append(
                {
                    "report": doc.report,
                    "period": period,
                    "document": doc.key,
                    "recipient": to,
                    "run_id": run_id,
                    "message_id": message_id(doc.report, period, doc.key, to, sender),
                    "pdf_path": str(doc.path),
                    "subject": subject(doc, period),
                    "body_text": text,
                    "body_html": html,
                }
            )
    return enqueue(engine, rows), unaddressed


def subject(doc: Document, period: str) -> str:
    from reports import i18n

    lang = doc.spec.language
    if doc.spec.kind == "branch_at_risk":
        title = f"{i18n.text('branch_title', lang)} · {doc.data.branch_name}"
    else:
        title = i18n.text("hr_title", lang)
    return f"{title} · {i18n.text('as_of', lang)} {doc.data.as_of} ({period})"


def bodies(doc: Document) -> tuple[str, str]:
    """A short plain-text and HTML body with the headline numbers (the PDF is
    attached). No client or RM names: only counts and sums."""
    html = render_html(f"mail_{doc.spec.kind}.html.j2", doc.spec.language, r=doc.data)
    text = render_html(f"mail_{doc.spec.kind}.txt.j2", doc.spec.language, r=doc.data)
    return text, html


def build_email(message: Message, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email.set_content(message.body_text)
    email.add_alternative(message.body_html, subtype="html")
    pdf = Path(message.pdf_path)
    email.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename=pdf.name)
    return email


class PermanentError(Exception):
    """The server refused the message for good (a 5xx answer)."""


def _send(email: EmailMessage, smtp: SmtpConfig) -> None:
    """One message over one SMTP session. Raises PermanentError on a 5xx answer;
    anything else (no server, a 4xx, a dropped connection) is worth retrying."""
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as server:
            if smtp.starttls:
                server.starttls(context=ssl.create_default_context())
            if smtp.user:
                server.login(smtp.user, smtp.password() or "")
            server.send_message(email)
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentError(f"the server refused it ({exc.smtp_code})") from exc
        raise
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(500 <= c < 600 for c in codes):
            raise PermanentError(f"the server refused the recipient ({codes[0]})") from exc
        raise


@dataclass(frozen=True)
class DeliveryOutcome:
    sent: int
    retried: int
    failed: int


def _why(exc: BaseException) -> str:
    """An error in plain words, never the server's text (it may quote the address)."""
    if isinstance(exc, PermanentError):
        return str(exc)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the server answered {exc.smtp_code}; will retry"
    if isinstance(exc, ConnectionRefusedError | socket.timeout | TimeoutError):
        return "the mail server could not be reached; will retry"
    if isinstance(exc, smtplib.SMTPException | OSError):
        return f"{type(exc).__name__} talking to the mail server; will retry"
    return f"{type(exc).__name__}"


def deliver_due(
    engine: sa.Engine,
    smtp: SmtpConfig,
    policy: DeliveryConfig,
    *,
    stale_after: timedelta = timedelta(minutes=10),
    send: Callable[[EmailMessage, SmtpConfig], None] = _send,
) -> DeliveryOutcome:
    """Send every message due now, once each; what the server did not take is due
    again after the back-off, or failed after ``policy.max_attempts``."""
    sent = retried = failed = 0
    # what is due when this starts: a message put back for a retry waits its back-off
    started = datetime.now(UTC)
    while True:
        batch = claim_due(engine, stale_after=stale_after, due_by=started)
        if not batch:
            break
        for message in batch:
            try:
                send(build_email(message, smtp.sender), smtp)
            except Exception as exc:  # every failure is recorded; none stops the others
                why = _why(exc)
                if isinstance(exc, PermanentError) or message.attempts >= policy.max_attempts:
                    mark_failed(engine, message.delivery_id, why)
                    failed += 1
                    log.warning("delivery %s failed: %s", message.delivery_id, why)
                else:
                    wait = min(
                        policy.first_retry_seconds * 2 ** (message.attempts - 1),
                        policy.max_wait_seconds,
                    )
                    mark_retry(engine, message.delivery_id, why, timedelta(seconds=wait))
                    retried += 1
                continue
            mark_sent(engine, message.delivery_id)
            sent += 1
    log.info("deliveries: %s sent, %s to retry, %s failed", sent, retried, failed)
    return DeliveryOutcome(sent, retried, failed)
