"""HTML from the templates (Jinja2, autoescaped) and PDFs from the HTML (WeasyPrint),
each PDF in a child process of its own with a time limit.

A child per PDF because WeasyPrint keeps the memory of a large table until its
process ends, and because a render that hangs can then be stopped: the child is
killed at the limit and the report marked failed, the others go on. The child builds
its document too (the report's values, charts and HTML: a third of the work), so
that runs on every core as well; it returns the values it built to the parent.
Children are forked from a parent that has already imported WeasyPrint and read
everything the documents need, so starting one costs milliseconds, and at most
``workers`` run at once (the machine's cores by default). Each PDF is written
atomically: a killed render leaves no partial file.
"""

from __future__ import annotations

import base64
import gc
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from attrition.io.outputs import write_atomic
from reports import i18n
from reports.config import Language

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent / "templates"


def css_string(value: object) -> Markup:
    """``value`` as a quoted CSS string, safe inside a ``<style>`` element: quotes,
    backslashes and line breaks escaped, and ``<`` too, so no text (a branch's name is
    the bank's data) can close the element. HTML escaping does not apply there."""
    out = []
    for ch in str(value):
        if ch in '"\\<>&' or ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return Markup('"' + "".join(out) + '"')


def svg_image(svg: str) -> Markup:
    """A chart's SVG markup as an image (a data URI). Kept out of the HTML tree: the
    chart's text (bank data such as segment names) cannot reach the page's markup,
    and WeasyPrint reads an image with an XML parser, not its slower HTML one."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup('<img src="data:image/svg+xml;base64,{}">').format(data)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # every template is HTML, escaped, but the e-mails' plain-text bodies
        autoescape=lambda name: not (name or "").endswith(".txt.j2"),
        undefined=jinja2.StrictUndefined,  # a missing field is an error, not a blank
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["css_string"] = css_string
    env.filters["svg_image"] = svg_image
    return env


def render_html(template: str, lang: Language, **context: Any) -> str:
    """The template filled with ``context``; ``t(key, **values)`` gives the report's
    phrases in ``lang`` and ``css`` the shared style sheet."""
    # the shipped style sheet is ours: trusted as it is (escaping would break it)
    css = Markup((TEMPLATES / "report.css").read_text(encoding="utf-8"))
    return (
        _environment()
        .get_template(template)
        .render(lang=lang, t=lambda key, **v: i18n.text(key, lang, **v), css=css, **context)
    )


def write_pdf(html: str, path: Path) -> Path:
    """``html`` as a PDF at ``path`` (atomically), in this process."""
    import weasyprint

    document = weasyprint.HTML(string=html, base_url=str(TEMPLATES))
    return write_atomic(path, lambda tmp: document.write_pdf(tmp))


@dataclass(frozen=True)
class PdfJob:
    """One PDF to make: where the file goes, and how to make its HTML (run in the
    render worker; it returns the HTML and a value handed back to the parent)."""

    path: Path
    label: str  # how progress and errors name it (never a person's name)
    make: Callable[[], tuple[str, Any]]

    @classmethod
    def of_html(cls, html: str, path: Path, label: str) -> PdfJob:
        """A job for HTML made already."""
        return cls(path, label, lambda: (html, None))


@dataclass(frozen=True)
class PdfOutcome:
    job: PdfJob
    ok: bool
    seconds: float
    error: str | None = None
    value: Any = None  # what the job's ``make`` returned besides the HTML


_WARM_UP = """<!DOCTYPE html><html lang="zh-CN"><head><style>{css}
@page {{ @bottom-right {{ content: "1 / " counter(pages); }} }}</style></head><body>
<h1>客户 Client</h1><table><thead><tr><th class="n">#</th><th>客户经理</th></tr></thead>
<tbody><tr><td class="n">1</td><td><ul class="drivers"><li>近3个月 1.5M</li></ul></td></tr>
</tbody></table>{chart}
</body></html>"""
_WARM_UP_CHART = """<svg xmlns="http://www.w3.org/2000/svg" width="40pt" height="20pt">
<path d="M 1 1 L 9 9" style="stroke: #c0392b"/>
<text x="1" y="8" style="font: 8px 'Noto Sans CJK SC'">客户 1%</text></svg>"""


@cache
def warm_up() -> None:
    """Render a small document like the reports once in this process: fonts, style
    sheets and layout code are then loaded before the render workers fork from it (a
    cold worker spent 0.6 s of its 2 s on that)."""
    import weasyprint

    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    html = _WARM_UP.format(css=css, chart=svg_image(_WARM_UP_CHART))
    weasyprint.HTML(string=html).write_pdf()


def _child(job: PdfJob, conn: Any) -> None:
    try:
        html, value = job.make()
        write_pdf(html, job.path)
        conn.send((None, value))
    except BaseException as exc:  # the parent reports it; nothing else may escape a fork
        conn.send((f"{type(exc).__name__}: {exc}", None))
    finally:
        conn.close()


def render_pdfs(
    jobs: Sequence[PdfJob],
    *,
    time_limit: float,
    workers: int | None = None,
    progress: Callable[[PdfOutcome], None] | None = None,
) -> list[PdfOutcome]:
    """Make every job's PDF, ``workers`` at a time, each within ``time_limit``
    seconds; one outcome per job, in the jobs' order. A failed or stopped render fails
    only its own report."""
    warm_up()  # before forking: every child starts warm
    # the parent's objects (a bank-wide run: millions) are left out of the children's
    # garbage collections, which would otherwise touch, and so copy, all of them
    gc.freeze()
    try:
        return _render(jobs, time_limit, workers, progress)
    finally:
        gc.unfreeze()


def _render(
    jobs: Sequence[PdfJob],
    time_limit: float,
    workers: int | None,
    progress: Callable[[PdfOutcome], None] | None,
) -> list[PdfOutcome]:
    workers = max(1, workers or len(os.sched_getaffinity(0)))
    context = multiprocessing.get_context("fork")
    pending = list(enumerate(jobs))[::-1]
    running: dict[int, tuple[Any, Any, float]] = {}
    outcomes: dict[int, PdfOutcome] = {}

    def finish(i: int, ok: bool, error: str | None, value: Any = None) -> None:
        process, conn, started = running.pop(i)
        conn.close()
        process.join()
        outcome = PdfOutcome(jobs[i], ok, time.monotonic() - started, error, value)
        outcomes[i] = outcome
        if not ok:
            log.warning("report %s failed: %s", jobs[i].label, error)
        if progress is not None:
            progress(outcome)

    while pending or running:
        while pending and len(running) < workers:
            i, job = pending.pop()
            parent, child = context.Pipe(duplex=False)
            process = context.Process(target=_child, args=(job, child), daemon=True)
            process.start()
            child.close()
            running[i] = (process, parent, time.monotonic())
        multiprocessing.connection.wait([conn for _, conn, _ in running.values()], timeout=0.2)
        for i, (process, conn, started) in list(running.items()):
            if conn.poll():
                try:
                    error, value = conn.recv()
                except EOFError:
                    error, value = "the render process ended without a result", None
                finish(i, error is None, error, value)
            elif not process.is_alive():
                finish(i, False, f"the render process died (exit code {process.exitcode})")
            elif time.monotonic() - started > time_limit:
                process.kill()
                finish(i, False, f"stopped after the time limit of {time_limit:g} s")
    return [outcomes[i] for i in range(len(jobs))]
