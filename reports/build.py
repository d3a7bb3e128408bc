"""From a report's name to its PDFs: the run read once, one document per branch (or one
for HR), rendered in worker processes into a folder.

Files are named ``<report>-<branch>-<as-of>-<lang>.pdf`` (``<report>-<as-of>-<lang>.pdf``
for a report without branches), so a rerun for the same month replaces its own files.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from attrition.io.outputs import write_owned_folder
from reports import i18n
from reports.branch import branch_ids, branch_report
from reports.config import Language, ReportsConfig, ReportSpec, is_address
from reports.context import ReportError, ReportRun
from reports.hr import hr_report
from reports.render import PdfJob, PdfOutcome, render_html, render_pdfs

log = logging.getLogger(__name__)
MARKER = ".attrition-reports.json"


@dataclass(frozen=True)
class Document:
    """One report document: its data (what the e-mail's body also shows), who it is
    for, and its PDF job."""

    report: str
    spec: ReportSpec
    key: str  # the branch id, or "all"
    data: Any  # BranchReport or HrReport
    recipients: tuple[str, ...]
    job: PdfJob


def documents(
    run: ReportRun,
    config: ReportsConfig,
    name: str,
    out: Path,
    *,
    branch: str | None = None,
    lang: Language | None = None,
) -> list[Document]:
    """The documents of report ``name`` for ``run`` (one branch's only when ``branch``
    is given; in ``lang`` instead of the spec's when given), with their PDF paths
    under ``out``."""
    spec = config.report(name)
    if lang is not None and lang != spec.language:
        spec = spec.model_copy(update={"language": lang})
    docs = []
    if spec.kind == "branch_at_risk":
        keys = branch_ids(run, spec)
        if branch is not None:
            if branch not in keys:
                raise ReportError(f"report {name} does not cover branch {branch}")
            keys = [branch]
        for key in keys:
            data = branch_report(run, spec, key)
            title = f"{i18n.text('branch_title', spec.language)} · {data.branch_name}"
            html = render_html(
                "branch.html.j2",
                spec.language,
                r=data,
                title=title,
                as_of=run.as_of,
                models=run.models,
                confidential=i18n.text("confidential_branch", spec.language, branch=key),
            )
            to = _recipients(config, spec, data.head_email)
            path = out / f"{name}-{key}-{run.as_of}-{spec.language}.pdf"
            docs.append(Document(name, spec, key, data, to, PdfJob(html, path, f"{name} {key}")))
    else:
        if branch is not None:
            raise ReportError(f"report {name} is not made per branch: leave out --branch")
        data = hr_report(run, spec)
        html = render_html(
            "hr.html.j2",
            spec.language,
            r=data,
            title=i18n.text("hr_title", spec.language),
            as_of=run.as_of,
            models=run.models,
            confidential=i18n.text("confidential_hr", spec.language),
        )
        path = out / f"{name}-{run.as_of}-{spec.language}.pdf"
        to = _recipients(config, spec, None)
        docs.append(Document(name, spec, "all", data, to, PdfJob(html, path, name)))
    return docs


def _recipients(config: ReportsConfig, spec: ReportSpec, head: str | None) -> tuple[str, ...]:
    if spec.to == "branch_heads":
        return (head,) if is_address(head) else ()
    if spec.to == "hr":
        return tuple(config.hr)
    return tuple(spec.to)


def render_documents(
    docs: list[Document],
    out: Path,
    *,
    workers: int | None = None,
    progress: Callable[[PdfOutcome], None] | None = None,
    force: bool = False,
) -> list[PdfOutcome]:
    """Render every document's PDF into the folder ``out``, which must be new, empty or
    an earlier output of this command (``force``: any folder; files of the same names
    are replaced, nothing else is deleted)."""
    if not docs:
        return []
    limit = max(d.spec.time_limit_seconds for d in docs)
    outcomes: list[PdfOutcome] = []

    def build(folder: Path) -> None:
        jobs = [replace(d.job, path=folder / d.job.path.name) for d in docs]
        outcomes.extend(render_pdfs(jobs, time_limit=limit, workers=workers, progress=progress))

    write_owned_folder(
        out, build, marker=MARKER, info={"reports": sorted({d.report for d in docs})}, force=force
    )
    # where each file now is
    return [
        replace(o, job=replace(d.job, path=out / d.job.path.name))
        for o, d in zip(outcomes, docs, strict=True)
    ]
