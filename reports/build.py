"""From a report's name to its PDFs: the run read once, one document per branch (or one
for HR), rendered in worker processes into a folder.

Files are named ``<report>-<branch>-<as-of>-<lang>.pdf`` (``<report>-<as-of>-<lang>.pdf``
for a report without branches), so a rerun for the same month replaces its own files.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from attrition.io.outputs import write_owned_folder
from reports import i18n
from reports.branch import branch_ids, branch_report
from reports.branch import prepare as prepare_branches
from reports.config import Language, ReportsConfig, ReportSpec, is_address
from reports.context import ReportError, ReportRun
from reports.hr import hr_report
from reports.hr import prepare as prepare_hr
from reports.render import PdfJob, PdfOutcome, render_html, render_pdfs

log = logging.getLogger(__name__)
MARKER = ".attrition-reports.json"


@dataclass(eq=False)
class Document:
    """One report document: who it is for, where its PDF goes, and its data (the
    report's values, which the e-mail's body also shows), built when first read:
    in the render worker for a batch (:func:`render_documents`)."""

    report: str
    spec: ReportSpec
    key: str  # the branch id, or "all"
    recipients: tuple[str, ...]
    path: Path
    run: ReportRun = field(repr=False)
    _data: Any = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """How progress and errors name it (a branch id, never a person's name)."""
        return self.report if self.key == "all" else f"{self.report} {self.key}"

    @property
    def data(self) -> Any:
        """The BranchReport or HrReport (built on first read)."""
        if self._data is None:
            if self.spec.kind == "branch_at_risk":
                self._data = branch_report(self.run, self.spec, self.key)
            else:
                self._data = hr_report(self.run, self.spec)
        return self._data

    def html(self) -> str:
        """The report as HTML, for the PDF."""
        lang, run = self.spec.language, self.run
        if self.spec.kind == "branch_at_risk":
            template = "branch.html.j2"
            title = f"{i18n.text('branch_title', lang)} · {self.data.branch_name}"
            confidential = i18n.text("confidential_branch", lang, branch=self.key)
        else:
            template, title = "hr.html.j2", i18n.text("hr_title", lang)
            confidential = i18n.text("confidential_hr", lang)
        return render_html(
            template,
            lang,
            r=self.data,
            title=title,
            as_of=run.as_of,
            models=run.models,
            confidential=confidential,
        )

    def job(self, folder: Path | None = None) -> PdfJob:
        """Its PDF job (into ``folder`` instead of :attr:`path`'s when given): the
        worker builds the data and the HTML, and hands the data back."""

        def make() -> tuple[str, Any]:
            return self.html(), self.data

        return PdfJob((folder or self.path.parent) / self.path.name, self.label, make)


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
    under ``out``. Nothing is built yet: see :func:`prepare_documents`."""
    spec = config.report(name)
    if lang is not None and lang != spec.language:
        spec = spec.model_copy(update={"language": lang})
    if spec.kind != "branch_at_risk":
        if branch is not None:
            raise ReportError(f"report {name} is not made per branch: leave out --branch")
        path = out / f"{name}-{run.as_of}-{spec.language}.pdf"
        return [Document(name, spec, "all", _recipients(config, spec, None), path, run)]
    keys = branch_ids(run, spec)
    if branch is not None:
        if branch not in keys:
            raise ReportError(f"report {name} does not cover branch {branch}")
        keys = [branch]
    heads = run.bank["branches"].drop_duplicates("branch_id").set_index("branch_id")
    heads = heads["head_email"] if "head_email" in heads.columns else pd.Series(dtype=object)
    docs = []
    for key in keys:
        head = heads.get(key)
        to = _recipients(config, spec, None if head is None or pd.isna(head) else str(head))
        path = out / f"{name}-{key}-{run.as_of}-{spec.language}.pdf"
        docs.append(Document(name, spec, key, to, path, run))
    return docs


def prepare_documents(docs: list[Document]) -> None:
    """Read what the documents will show, in one pass per report (before the render
    workers fork: they then build from memory)."""
    by_spec: dict[tuple[str, str], list[Document]] = {}
    for doc in docs:
        by_spec.setdefault((doc.report, doc.spec.language), []).append(doc)
    for group in by_spec.values():
        first = group[0]
        if first.spec.kind == "branch_at_risk":
            prepare_branches(first.run, first.spec, [d.key for d in group])
        else:
            prepare_hr(first.run, first.spec)
    for doc in docs:
        doc.run.models  # noqa: B018 (a cached property: computed once, before the fork)


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
    outcomes: list[PdfOutcome] = []

    def build(folder: Path) -> None:
        outcomes.extend(render_batch(docs, folder, workers=workers, progress=progress))

    write_owned_folder(
        out, build, marker=MARKER, info={"reports": sorted({d.report for d in docs})}, force=force
    )
    # where each file now is
    return [replace(o, job=replace(o.job, path=out / o.job.path.name)) for o in outcomes]


def render_batch(
    docs: list[Document],
    folder: Path | None = None,
    *,
    workers: int | None = None,
    progress: Callable[[PdfOutcome], None] | None = None,
) -> list[PdfOutcome]:
    """Build and render the documents in worker processes (into ``folder`` when
    given, else at their paths), after one pass reading what they show; each
    document keeps the data its worker built."""
    if not docs:
        return []
    prepare_documents(docs)
    limit = max(d.spec.time_limit_seconds for d in docs)
    jobs = [d.job(folder) for d in docs]
    outcomes = render_pdfs(jobs, time_limit=limit, workers=workers, progress=progress)
    for doc, outcome in zip(docs, outcomes, strict=True):
        if outcome.ok:
            doc._data = outcome.value
    return outcomes
