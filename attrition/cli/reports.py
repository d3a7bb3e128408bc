"""``attrition reports``: render the PDF reports of ``reports.yaml`` from the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from attrition.cli._app import _fail, app, console, data_warnings
from attrition.errors import AttritionError

reports_app = typer.Typer(
    help="PDF reports for branch heads and HR, from the store's current run.",
    no_args_is_help=True,
)
app.add_typer(reports_app, name="reports")

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="reports.yaml (default: ATTRITION_REPORTS_CONFIG or $ATTRITION_HOME/reports.yaml).",
    ),
]


@reports_app.command("run")
def reports_run(
    name: Annotated[str, typer.Argument(help="A report of reports.yaml.")],
    config: ConfigOption = None,
    as_of: Annotated[
        str | None, typer.Option(help="YYYY-MM: the run at that month (default: current).")
    ] = None,
    branch: Annotated[str | None, typer.Option(help="Only this branch's report.")] = None,
    lang: Annotated[str | None, typer.Option(help="en or zh (default: the report's).")] = None,
    out: Annotated[Path, typer.Option(help="Folder for the PDFs.")] = Path("var/reports"),
    workers: Annotated[
        int | None, typer.Option(help="PDFs rendered at once (default: the cores).")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Write into a folder that holds other files.")
    ] = False,
) -> None:
    """Render a report's PDFs (one per branch for a branch report) into a folder."""
    from attrition.io.outputs import check_owned_folder
    from attrition.settings import load_settings
    from attrition.store import open_store
    from reports.build import MARKER, documents, render_documents
    from reports.config import load_reports_config
    from reports.context import load_report_run

    if lang not in (None, "en", "zh"):
        raise _fail(ValueError(f"--lang must be en or zh, got {lang!r}"))
    settings = load_settings()
    try:
        spec = load_reports_config(config or settings.reports_path)
        spec.report(name)
        check_owned_folder(out, MARKER, force=force)  # before any work
        engine = open_store(settings.store_url)
        try:
            with data_warnings(), console.status("Reading the run and the bank's data"):
                run = load_report_run(engine, spec.data.source, as_of=as_of)
        finally:
            engine.dispose()
        with console.status("Preparing the reports"):
            docs = documents(run, spec, name, out, branch=branch, lang=lang)  # type: ignore[arg-type]
        done = 0

        def progress(outcome: object) -> None:
            nonlocal done
            done += 1
            console.print(
                f"  {done}/{len(docs)} {outcome.job.label}: "  # type: ignore[attr-defined]
                + ("ok" if outcome.ok else f"[red]failed[/]: {outcome.error}")  # type: ignore[attr-defined]
            )

        outcomes = render_documents(docs, out, workers=workers, progress=progress, force=force)
    except AttritionError as exc:
        raise _fail(exc) from exc
    failed = [o for o in outcomes if not o.ok]
    console.print(
        f"Report {name} at {run.as_of}: {len(outcomes) - len(failed)} PDF(s) in {out}"
        + (f", {len(failed)} failed" if failed else "")
    )
    if failed:
        raise typer.Exit(code=1)


@reports_app.command("send")
def reports_send(
    name: Annotated[str, typer.Argument(help="A report of reports.yaml.")],
    config: ConfigOption = None,
    period: Annotated[
        str | None,
        typer.Option(help="What the sending is for, e.g. 2026-10-05 (default: today there)."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="YYYY-MM: the run at that month (default: current).")
    ] = None,
) -> None:
    """Render a report, queue a message per recipient in the store's outbox and send
    what is due; each recipient gets it once per period, however often this runs."""
    from attrition.settings import load_settings
    from attrition.store import open_store
    from reports.config import load_reports_config
    from reports.send import send_report

    settings = load_settings()
    try:
        spec = load_reports_config(config or settings.reports_path)
        spec.report(name)
        engine = open_store(settings.store_url)
        try:
            with data_warnings(), console.status(f"Sending {name}"):
                outcome = send_report(
                    engine, spec, name, home=settings.home, period=period, as_of=as_of
                )
        finally:
            engine.dispose()
    except AttritionError as exc:
        raise _fail(exc) from exc
    d = outcome.delivery
    console.print(
        f"Report {name} for {outcome.period}: {outcome.rendered} rendered, "
        f"{outcome.queued} queued, {d.sent} sent, {d.retried} to retry, {d.failed} failed"
    )
    for key in outcome.unaddressed:
        console.print(f"[yellow]Warning:[/] {key} has no recipient (no head_email): not sent")
    for key in outcome.render_failed:
        console.print(f"[red]Failed:[/] {key} could not be rendered (see the log)")
    if outcome.render_failed or d.failed:
        raise typer.Exit(code=1)


@reports_app.command("status")
def reports_status(
    name: Annotated[str | None, typer.Argument(help="Only this report.")] = None,
    limit: Annotated[int, typer.Option(help="The newest this many.")] = 50,
) -> None:
    """Each delivery's state (pending, sending, sent, failed), attempts and last error."""
    import pandas as pd
    from rich.table import Table

    from attrition.cli._app import out_console
    from attrition.settings import load_settings
    from attrition.store import open_store
    from attrition.store.outbox import list_deliveries

    try:
        engine = open_store(load_settings().store_url)
        try:
            rows = list_deliveries(engine, name).head(limit)
        finally:
            engine.dispose()
    except AttritionError as exc:
        raise _fail(exc) from exc
    table = Table(title=f"Deliveries ({len(rows)} newest)")
    for col in ("id", "report", "period", "document", "recipient", "state", "tries", "error"):
        table.add_column(col)
    for _, r in rows.iterrows():
        error = "" if pd.isna(r["last_error"]) else str(r["last_error"])
        table.add_row(
            str(r["delivery_id"]),
            r["report"],
            r["period"],
            r["document"],
            r["recipient"],
            r["state"],
            str(r["attempts"]),
            error,
        )
    out_console.print(table)


@app.command("scheduler")
def scheduler(
    config: ConfigOption = None,
    renew: Annotated[
        float, typer.Option(help="Seconds between lease renewals and delivery retries.")
    ] = 30.0,
) -> None:
    """Send the reports of reports.yaml on their schedules until stopped (Ctrl-C or
    SIGTERM). Run it in a process of its own; a second one stands by."""
    import signal
    import threading

    from attrition.settings import load_settings
    from attrition.store import open_store
    from reports.config import load_reports_config
    from reports.schedule import ReportScheduler

    settings = load_settings()
    try:
        spec = load_reports_config(config or settings.reports_path)
        engine = open_store(settings.store_url)
    except AttritionError as exc:
        raise _fail(exc) from exc
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    runner = ReportScheduler(engine, spec, settings.home, renew=renew)
    scheduled = [n for n, s in spec.reports.items() if s.schedule is not None]
    console.print(
        f"Scheduler {runner.holder}: {len(scheduled)} scheduled report(s) "
        f"({', '.join(scheduled) or 'none'}); stop with Ctrl-C"
    )
    runner.start()
    try:
        stop.wait()
    finally:
        runner.stop()
        engine.dispose()
    console.print("Scheduler stopped; the lease is given up.")
