"""Store commands: create or migrate its schema, list the scoring runs."""

from __future__ import annotations

import typer
from rich.table import Table

from attrition.cli._app import _fail, app, console, out_console
from attrition.errors import AttritionError

db_app = typer.Typer(help="The store (SQLite file or PostgreSQL).", no_args_is_help=True)
app.add_typer(db_app, name="db")
runs_app = typer.Typer(help="Scoring runs kept in the store.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the store, or migrate it to the schema this version needs (safe to rerun).

    The store is $ATTRITION_DATABASE_URL, or the SQLite file attrition.db in
    $ATTRITION_HOME.
    """
    from attrition.io.source import describe_source
    from attrition.settings import load_settings
    from attrition.store import upgrade_store

    url = load_settings().store_url
    try:
        before, after = upgrade_store(url)
    except AttritionError as exc:
        raise _fail(exc) from exc
    shown = describe_source(url)
    if before == after:
        console.print(f"The store at {shown} is up to date (schema revision {after}).")
    else:
        console.print(f"The store at {shown}: schema revision {before or 'none'} → {after}.")


@runs_app.command("list")
def runs_list() -> None:
    """Every scoring run, newest first: as-of, populations, status, counts, timing."""
    import pandas as pd

    from attrition.settings import load_settings
    from attrition.store import list_runs, open_store

    try:
        engine = open_store(load_settings().store_url)
        runs = list_runs(engine)
        engine.dispose()
    except AttritionError as exc:
        raise _fail(exc) from exc
    table = Table(title=f"Scoring runs ({len(runs)})")
    for col in ("run", "as-of", "populations", "status", "scores", "written in", "models"):
        table.add_column(col)
    current = runs[runs["status"] == "complete"]["run_id"].max() if len(runs) else None
    for _, r in runs.iterrows():
        status = r["status"] + (" (current)" if r["run_id"] == current else "")
        if r["status"] == "failed" and r["error"]:
            status += f": {r['error'][:80]}"
        scores = "" if pd.isna(r["n_scores"]) else f"{int(r['n_scores']):,}"
        took = "" if pd.isna(r["write_s"]) else f"{r['write_s']:.1f} s"
        table.add_row(
            str(r["run_id"]), r["as_of"], r["entities"], status, scores, took, r["models"] or ""
        )
    out_console.print(table)
