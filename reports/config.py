"""``reports.yaml``: which reports go to whom, when, in which language, and how they
are delivered. Validated whole: every problem is named at once, with its key path.

A shipped example is ``attrition/configs/reports.yaml``. Recipients are the branch
heads (each branch's ``branches.head_email`` in the bank's data), the HR list of this
file, or addresses written out. The SMTP password is never in the file: it is read
from the environment variable the file names, when a message is sent.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from attrition.config import Frozen, absolute_source, format_validation_errors, read_yaml
from attrition.errors import ConfigError
from attrition.playbook.tiers import Level

REPORT_KINDS = ("branch_at_risk", "rm_flight_risk")
Language = Literal["en", "zh"]
# an address as a bank's directory holds it: no display name, one @, a dotted domain
_ADDRESS = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
Address = Annotated[str, Field(pattern=_ADDRESS.pattern, max_length=254)]


def is_address(value: object) -> bool:
    """Whether ``value`` is an e-mail address the delivery can send to."""
    return isinstance(value, str) and len(value) <= 254 and bool(_ADDRESS.match(value))


class Schedule(Frozen):
    """When a report is sent: a five-field cron line in an explicit time zone
    (``0 7 * * mon`` in ``Asia/Shanghai``: Mondays at 07:00 there)."""

    cron: str
    timezone: str
    # a run missed while no scheduler was up is still made when one starts within this
    grace_minutes: int = Field(default=360, ge=0, le=7 * 24 * 60)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)"
            ) from None
        return value

    @model_validator(mode="after")
    def _cron(self) -> Schedule:
        self.trigger()
        return self

    def trigger(self) -> Any:
        """The APScheduler trigger of this schedule."""
        from apscheduler.triggers.cron import CronTrigger

        if len(self.cron.split()) != 5:
            raise ValueError(f"cron {self.cron!r} needs five fields: minute hour day month weekday")
        try:
            return CronTrigger.from_crontab(self.cron, timezone=self.timezone)
        except ValueError as exc:
            raise ValueError(f"cron {self.cron!r} is not valid: {exc}") from None


class ReportSpec(Frozen):
    """One report: what it shows, for whom, when and how."""

    kind: Literal["branch_at_risk", "rm_flight_risk"]
    # branch_heads: each branch's report to its head (branches.head_email); hr: the HR
    # list of this file; or addresses written out
    to: Literal["branch_heads", "hr"] | tuple[Address, ...]
    schedule: Schedule | None = None
    language: Language = "en"
    # the tiers listed by name (the headline counts every tier). The tiers themselves
    # are the playbook's, the one definition every view reads; a report can only
    # narrow its list with cut-offs of its own: a listed entity has at least this
    # risk at 3 months and this value at risk (the book exposed, for RMs)
    tiers: tuple[Level, ...] = ("high", "medium")
    min_risk_3m: float | None = Field(default=None, gt=0.0, le=1.0)
    min_value_at_risk: float | None = Field(default=None, ge=0.0)
    # the longest list a report holds (the rest is counted, not listed): a week's
    # worth of names for a branch head to act on
    top: int = Field(default=30, ge=1, le=5000)
    # names as 张*明 unless a bank's policy allows full names in this report
    full_names: bool = False
    # the branches it covers (all by default)
    branches: tuple[str, ...] | None = None
    # a render that takes longer is stopped and reported as failed
    time_limit_seconds: int = Field(default=300, ge=5, le=3600)

    @model_validator(mode="after")
    def _recipients(self) -> ReportSpec:
        if self.to == "branch_heads" and self.kind != "branch_at_risk":
            raise ValueError("only branch_at_risk reports go to the branch heads")
        if isinstance(self.to, tuple) and not self.to:
            raise ValueError("to: name at least one address, or branch_heads or hr")
        return self


class SmtpConfig(Frozen):
    """The mail server. ``password_env`` names the environment variable holding the
    password (read when sending, never stored or logged)."""

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    user: str | None = None
    password_env: str | None = "ATTRITION_SMTP_PASSWORD"
    sender: Address
    timeout_seconds: float = Field(default=30.0, gt=0)

    def password(self) -> str | None:
        """The password from the environment (None when the server needs none)."""
        return os.environ.get(self.password_env) if self.password_env else None


class DeliveryConfig(Frozen):
    """Retries of a message the server did not take (down, or a 4xx answer)."""

    max_attempts: int = Field(default=6, ge=1, le=50)
    # the wait before attempt n+1 is first_retry_seconds * 2**(n-1), at most max_wait
    first_retry_seconds: float = Field(default=60.0, gt=0)
    max_wait_seconds: float = Field(default=3600.0, gt=0)
    # a message claimed by a sender that died is sent again after this long (with the
    # same Message-ID: the one window in which it can arrive twice)
    stale_after_seconds: float = Field(default=600.0, gt=0)


class ReportData(Frozen):
    """The bank's tables: names, e-mail addresses and later balances, which the store
    does not hold (PII stays with the bank's data)."""

    source: str


class ReportsConfig(Frozen):
    """The whole ``reports.yaml``."""

    data: ReportData
    hr: tuple[Address, ...] = ()
    smtp: SmtpConfig | None = None
    delivery: DeliveryConfig = DeliveryConfig()
    reports: dict[str, ReportSpec]

    @model_validator(mode="after")
    def _whole(self) -> ReportsConfig:
        problems = [
            f"reports.{name}.to: hr, but the hr list is empty"
            for name, spec in self.reports.items()
            if spec.to == "hr" and not self.hr
        ]
        problems += [
            f"reports.{name}: a report name is letters, digits, - and _"
            for name in self.reports
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name)
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def report(self, name: str) -> ReportSpec:
        """The report called ``name``; an unknown name is a ConfigError listing those
        there are."""
        if name not in self.reports:
            raise ConfigError(
                f"there is no report {name!r} in the reports config; there are: "
                + ", ".join(sorted(self.reports))
            )
        return self.reports[name]


def load_reports_config(path: str | os.PathLike[str]) -> ReportsConfig:
    """Read and validate ``reports.yaml``; a relative ``data.source`` is taken from the
    file's folder.

    Raises
    ------
    ConfigError
        The file is missing or broken, or any value is wrong (all are named).
    """
    path = Path(path)
    raw = read_yaml(path, what="reports config")
    if not isinstance(raw, dict):
        raise ConfigError(f"invalid reports config {path}: expected a mapping of keys")
    data = raw.get("data")
    if isinstance(data, dict) and isinstance(data.get("source"), str):
        raw = {**raw, "data": {**data, "source": absolute_source(data["source"], path.parent)}}
    try:
        return ReportsConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_errors(exc, str(path), what="reports config")) from None
