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
