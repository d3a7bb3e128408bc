"""Store commands: its schema, the scoring runs, API keys, the audit log, and the
risk API that serves it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from attrition.cli._app import _fail, app, console, out_console
from attrition.errors import AttritionError

if TYPE_CHECKING:
    import sqlalchemy as sa

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


@db_app.command("grant-app-role")
def db_grant_app_role(
    role: Annotated[str, typer.Argument(help="The service's role, e.g. attrition_app.")],
    password: Annotated[
        str | None,
        typer.Option(
            envvar="ATTRITION_APP_ROLE_PASSWORD",
            show_envvar=True,
            help="Its password (better from the environment than the command line); "
            "without it a new role can log in only where pg_hba.conf trusts it.",
        ),
    ] = None,
) -> None:
    """Make the PostgreSQL role the risk API connects as: it reads the store and appends
    to the audit log, and cannot change a past row or the schema (safe to rerun).

    Run as the store's owner (the role of `attrition db upgrade`), and again after every
    `db upgrade` so that new tables are covered. The service then runs with
    ATTRITION_DATABASE_URL naming this role; migrations, score, plan and keys keep
    running as the owner. Creates the role only if it is missing; drops nothing.
    """
    import sqlalchemy as sa

    from attrition.settings import load_settings
    from attrition.store.roles import grant_app_role

    url = load_settings().store_url
    try:
        done = grant_app_role(url, role, password)
    except AttritionError as exc:
        raise _fail(exc) from exc
    how = "created" if done.created else "exists"
    if done.password_set:
        how += ", password set"
    console.print(
        f"Role {done.role} ({how}): reads {len(done.reads)} tables, appends to "
        f"{', '.join(done.appends)}; no update, delete, truncate or DDL."
    )
    for warning in done.warnings:
        console.print(f"[yellow]Warning:[/] {warning}")
    service = sa.make_url(url).set(username=role, password="PASSWORD" if password else None)
    console.print(
        "Serve with ATTRITION_DATABASE_URL="
        f"{service.render_as_string(hide_password=False)}; rerun this after `db upgrade`."
    )


@runs_app.command("list")
def runs_list() -> None:
    """Every scoring run, newest first: as-of, populations, status, counts, timing."""
    import pandas as pd

    from attrition.store import list_runs

    try:
        with _store() as engine:
            runs = list_runs(engine)
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


keys_app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@contextmanager
def _store() -> Iterator[sa.Engine]:
    """The store of the settings, closed again whatever happens."""
    from attrition.settings import load_settings
    from attrition.store import open_store

    engine = open_store(load_settings().store_url)
    try:
        yield engine
    finally:
        engine.dispose()


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="hr, branch_head, data_scientist, service or admin.")],
    branch: Annotated[
        list[str] | None, typer.Option(help="A branch the key may see (repeat for several).")
    ] = None,
    expires: Annotated[int | None, typer.Option(help="Days until the key expires.")] = None,
    name: Annotated[str | None, typer.Option(help="Who or what the key is for.")] = None,
) -> None:
    """Create an API key and print it once; only its salted hash is stored."""
    from attrition.store.keys import create_key

    try:
        with _store() as engine:
            key, caller = create_key(
                engine, role=role, branches=tuple(branch or ()), expires_days=expires, name=name
            )
    except AttritionError as exc:
        raise _fail(exc) from exc
    scope = ", ".join(caller.branches) or "all branches its role sees"
    console.print(f"Key {caller.key_id} ({caller.role}; {scope}). It is shown this once:")
    out_console.print(key, soft_wrap=True)


@keys_app.command("list")
def keys_list() -> None:
    """Every key: id, name, role, branches, created, expires, state (never the secret)."""
    import pandas as pd

    from attrition.store.keys import list_keys

    try:
        with _store() as engine:
            keys = list_keys(engine)
    except AttritionError as exc:
        raise _fail(exc) from exc
    table = Table(title=f"API keys ({len(keys)})")
    for col in ("key", "name", "role", "branches", "created", "expires", "state"):
        table.add_column(col)
    for _, k in keys.iterrows():
        table.add_row(
            k["key_id"],
            k["name"] or "",
            k["role"],
            k["branches"] or "all",
            str(k["created_at"])[:19],
            "" if pd.isna(k["expires_at"]) else str(k["expires_at"])[:19],
            k["state"],
        )
    out_console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id from `keys list`.")],
) -> None:
    """Revoke a key at once (it stays listed, and is refused from now on)."""
    from attrition.store.keys import revoke_key

    try:
        with _store() as engine:
            revoke_key(engine, key_id)
    except AttritionError as exc:
        raise _fail(exc) from exc
    console.print(f"Key {key_id} is revoked.")


audit_app = typer.Typer(help="The append-only audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("export")
def audit_export(
    since: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD: rows from this day on (default: all).")
    ] = None,
    out: Annotated[Path, typer.Option(help="CSV file to write.")] = Path("audit.csv"),
) -> None:
    """Export the audit log (for compliance) as CSV."""
    from datetime import UTC, datetime

    from attrition.io.outputs import check_output_file, write_atomic
    from attrition.store.audit import export_audit

    try:
        start = None
        if since is not None:
            try:
                start = datetime.strptime(since, "%Y-%m-%d").replace(tzinfo=UTC)
            except ValueError:
                raise typer.BadParameter(f"--since {since!r} is not a date (YYYY-MM-DD)") from None
        out = check_output_file(out, example="audit.csv")
        with _store() as engine:
            log = export_audit(engine, start)
        write_atomic(out, lambda tmp: log.to_csv(tmp, index=False))
    except AttritionError as exc:
        raise _fail(exc) from exc
    console.print(f"Wrote {len(log):,} audit rows to {out}")


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    log_level: Annotated[
        LogLevel, typer.Option(help="Lowest level logged (info: one line per request).")
    ] = LogLevel.info,
) -> None:
    """Start the risk API over the store (refused when its schema is not current).

    Callers authenticate with `Authorization: Bearer <key>` from `attrition keys create`;
    the OpenAPI schema is at /docs. Logs are JSON lines on stderr: one per request
    (method, route template, status, duration, key id, role, request id), never a
    path with ids, a name or a key.
    """
    import uvicorn

    from api.logs import logging_config
    from attrition.settings import load_settings
    from attrition.store import open_store

    try:  # refuse before binding the port
        open_store(load_settings().store_url).dispose()
    except AttritionError as exc:
        raise _fail(exc) from exc
    uvicorn.run(
        "api.main:server_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=logging_config(log_level.value),  # applied in every worker
        log_level=log_level.value,
        access_log=False,  # it prints raw paths with ids; api.logs logs route templates
    )
