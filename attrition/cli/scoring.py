"""Scoring commands: score a bank or a flat table, plan the week, check the playbook."""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from attrition.cli._app import (
    _fail,
    app,
    console,
    data_warnings,
    out_console,
)
from attrition.errors import AttritionError

if TYPE_CHECKING:
    import pandas as pd

    from attrition.playbook import Playbook
    from attrition.results import ScoringResult


def _training_source(home: Path, ref: str) -> str:
    """The data source a registered model was trained on (the default for scoring)."""

    from attrition.registry import ModelRegistry

    record = ModelRegistry(home).get(ref)
    source = record.config.data.source
    if not source:
        raise ValueError(f"{record.ref} names no data source; pass --source")
    return source


def _entity_of(home: Path, ref: str) -> str | None:
    """``client``/``rm`` for a bank model, None for a flat-table model."""
    from attrition.registry import ModelRegistry

    try:
        return ModelRegistry(home).get(ref).metadata.get("entity")
    except AttritionError as exc:
        raise _fail(exc) from exc


def _score_flat_table(
    home: Path,
    model: str,
    source: str | None,
    out: Path | None,
    playbook: Path | None,
    top_k: int,
) -> None:
    """``attrition score --model NAME [--source TABLE]`` for a flat-table model."""

    from attrition.io import load_flat, write_parquet
    from attrition.pipeline.flat import flat_scoring_spec, score_flat, unseen_categories
    from attrition.playbook import load_playbook
    from attrition.registry import ModelRegistry

    try:
        record = ModelRegistry(home).get(model)
        config = record.config
        table = load_flat(
            source or config.data.path,
            flat_scoring_spec(record),
            table=config.data.table,
            outcomes=False,
        )
        for column, values in unseen_categories(table, record).items():
            shown = ", ".join(repr(v) for v in values[:10])
            more = f" and {len(values) - 10} more" if len(values) > 10 else ""
            console.print(
                f"[yellow]Warning:[/] {column} holds {len(values)} categor"
                f"{'y' if len(values) == 1 else 'ies'} never seen in training ({shown}{more}); "
                f"{record.ref} scores them as unknown"
            )
        result = score_flat(table, record, load_playbook(playbook), top_k=top_k)
        scores = result.scores
        path = write_parquet(
            result.to_export(), out or home / "scores" / f"scores_{record.name}.parquet"
        )
    except (AttritionError, ValueError) as exc:
        raise _fail(exc) from exc
    for warning in scores["model_warning"].dropna().unique():
        console.print(f"[yellow]Warning:[/] {warning}")
    counts = scores["tier"].value_counts()
    console.print(
        f"{record.ref}: {len(scores):,} rows scored ("
        + ", ".join(f"{t} {counts.get(t, 0):,}" for t in ("high", "medium", "low"))
        + f"); wrote {path}"
    )


class Target(StrEnum):
    both = "both"
    client = "client"
    rm = "rm"


@app.command()
def score(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="YYYY-MM (default: the last month the data covers properly)."),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(help="Bank tables (dir or URL); default: the client model's training data."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Also write the scores to this Parquet file (flat-table models: the file "
            "to write, default $ATTRITION_HOME/scores/scores_<model>.parquet)."
        ),
    ] = None,
    store: Annotated[
        bool,
        typer.Option(
            "--store/--no-store",
            help="Write the run to the store ($ATTRITION_DATABASE_URL, or attrition.db in "
            "$ATTRITION_HOME; created on first use).",
        ),
    ] = True,
    target: Annotated[Target, typer.Option(help="Which population(s) to score.")] = Target.both,
    model: Annotated[
        str | None,
        typer.Option(
            help="NAME[@VERSION]: the client or RM model to use (the other population keeps "
            "its default); a flat-table model scores --source TABLE (default its "
            "training table)."
        ),
    ] = None,
    playbook: Annotated[
        Path | None, typer.Option(help="Retention playbook (default: the shipped playbook.yaml).")
    ] = None,
    top_k: Annotated[int, typer.Option(help="Drivers kept per entity.")] = 5,
) -> None:
    """Score RMs, then clients: risk at 1-12 months, tier, value at risk, drivers, actions.

    Writes the run to the store (it becomes the current run once completely written)
    and, with --out, a Parquet file (one row per entity, drivers and actions as JSON;
    README "Scores file"); prints a summary per tier.
    """
    from attrition.config import attrition_home
    from attrition.io import load_bank, write_parquet
    from attrition.io.outputs import check_output_file
    from attrition.pipeline.score import DEFAULT_MODELS, score_bank
    from attrition.playbook import load_playbook

    entities = ("rm", "client") if target == Target.both else (target.value,)
    home = attrition_home()
    if out is not None:
        try:
            check_output_file(out, example="scores.parquet")
        except AttritionError as exc:
            raise _fail(exc) from exc
    if model is not None and target == Target.both:
        entity = _entity_of(home, model)
        if entity is None:
            _score_flat_table(home, model, source, out, playbook, top_k)
            return
        models = {entity: model}  # the other population keeps its default model
    else:
        models = {target.value: model} if model else {}
    engine = None
    try:
        if store:  # checked before any work: a store on an old schema is refused now
            from attrition.settings import load_settings
            from attrition.store import open_store

            engine = open_store(load_settings().store_url, create=True)
        book = load_playbook(playbook)
        if source is None:
            source = _training_source(home, models.get(entities[-1], DEFAULT_MODELS[entities[-1]]))
        with data_warnings(), console.status("Loading data"):
            data = load_bank(source)
        coverage = data.coverage
        if as_of is None and coverage is not None and coverage.outliers:
            console.print(
                f"[yellow]As-of {data.last_month}[/], the last month the data covers "
                f"properly, not {data.latest_month}: {coverage.why()}. Pass --as-of to "
                "choose another month."
            )
        with console.status("Scoring") as status:
            result = score_bank(
                data,
                as_of,
                home=home,
                entities=entities,
                models=models,
                playbook=book,
                top_k=top_k,
                progress=lambda m: status.update(m),
            )
        scores = result.scores
        written = []
        if engine is not None:
            from attrition.store import write_run

            with console.status("Storing the run") as status:
                run_id = write_run(
                    engine, result, entities=entities, progress=lambda m: status.update(m)
                )
            written.append(f"the store as run {run_id}")
        if out is not None:
            written.append(str(write_parquet(result.to_export(), out)))
    except (AttritionError, ValueError) as exc:
        raise _fail(exc) from exc
    finally:
        if engine is not None:
            engine.dispose()
    _print_scores(result, book, target == Target.both)
    where = " and ".join(written) if written else "nowhere (--no-store and no --out)"
    console.print(f"Wrote {len(scores):,} scores to {where}")


playbook_app = typer.Typer(help="The retention playbook.", no_args_is_help=True)
app.add_typer(playbook_app, name="playbook")


@playbook_app.command("check")
def playbook_check(
    path: Annotated[
        Path | None, typer.Argument(help="Playbook YAML (default: the shipped playbook.yaml).")
    ] = None,
) -> None:
    """Validate a playbook: every problem at once (exit 1), or a summary (exit 0)."""
    from attrition.playbook import DEFAULT_PLAYBOOK, load_playbook

    try:
        book = load_playbook(path)
    except AttritionError as exc:
        raise _fail(exc) from exc
    for entity in ("client", "rm"):
        rules = [r for r in book.rules if r.entity == entity]
        console.print(
            f"{entity}: {len(rules)} rules; tiers by {book.describe_tiers(entity)} "
            f"at {book.tiers.horizon} months"
        )
    console.print(
        f"{path or DEFAULT_PLAYBOOK} is valid; weekly capacity {book.contact_plan.capacity} "
        "contacts per RM by default"
    )


def _money(value: float, currency: str) -> str:
    """An amount with its currency; a missing amount is "unknown", never 0."""
    if value is None or math.isnan(value):
        return "unknown"
    return f"{value:,.0f} {currency}".rstrip()


def _sum(values: pd.Series, currency: str) -> str:
    """A column's total; unknown rows are said, not counted as 0."""
    unknown = int(values.isna().sum())
    if unknown == len(values):
        return "unknown"
    total = _money(values.sum(), currency)
    return f"{total} ({unknown:,} unknown)" if unknown else total


def _print_scores(result: ScoringResult, book: Playbook, branches: bool) -> None:
    """Tiers per population, the branch view (when ``branches``), notes and warnings."""
    scores = result.scores
    h, cur = book.tiers.horizon, book.currency
    month = scores["as_of"].iloc[0] if len(scores) else "?"
    summary = Table(
        title=f"Scores at {month}: risk = probability of the event within {h} months; "
        f"value at risk = AUM expected to leave within {h} months ({cur or 'data currency'})"
    )
    for col in ("population", "tier", "entities", f"mean risk {h}m", f"value at risk {h}m"):
        summary.add_column(col)
    for (entity, tier), g in scores.groupby(["entity_type", "tier"], sort=False):
        summary.add_row(
            entity,
            tier,
            f"{len(g):,}",
            f"{g[f'risk_{h}m'].mean():.1%}",
            _sum(g["value_at_risk"], cur),
        )
    out_console.print(summary)
    if branches and {"client", "rm"} <= set(scores["entity_type"]):
        from attrition.pipeline.branches import branch_view

        view = branch_view(scores).head(10)
        branches = Table(title=f"Branches by client value at risk (top 10; {h}-month horizon)")
        for col in (
            "branch",
            "clients high/medium",
            f"client value at risk {h}m",
            "RMs high/medium",
            f"exposed through RMs {h}m",
        ):
            branches.add_column(col)
        for _, b in view.iterrows():
            branches.add_row(
                b["branch_id"],
                f"{b['clients_high']:,}/{b['clients_medium']:,}",
                _money(b["client_value_at_risk"], cur),
                f"{b['rms_high']:,}/{b['rms_medium']:,}",
                _money(b["rm_value_at_risk"], cur),
            )
        out_console.print(branches)
    _print_notes(result)


def _print_notes(result: ScoringResult) -> None:
    """What scoring noted: weak models (as warnings) and who was left out, and why."""
    warnings = set(result.scores["model_warning"].dropna())
    for note in result.notes:
        console.print(f"[yellow]{'Warning' if note in warnings else 'Note'}:[/] {note}")


def _top_at_risk(result: ScoringResult, book: Playbook | None = None, n: int = 10) -> Table:
    """The highest values at risk of each population, with the first driver and action."""
    from attrition.playbook import load_playbook

    book = book or load_playbook()
    h, cur = book.tiers.horizon, book.currency
    table = Table(title=f"Top {n} by value at risk ({h}-month horizon, {cur or 'data currency'})")
    columns = ("who", "id", "tier", f"risk {h}m", "value at risk", "top driver", "action")
    for col in columns:
        table.add_column(col)
    scores = result.scores
    for entity in ("rm", "client"):
        part = scores[scores["entity_type"] == entity].nlargest(n, "value_at_risk")
        for _, row in part.iterrows():
            drivers = result.items("drivers", row["id"], entity)
            actions = result.items("actions", row["id"], entity)
            table.add_row(
                entity,
                row["id"],
                row["tier"],
                f"{row[f'risk_{h}m']:.1%}",
                _money(row["value_at_risk"], cur),
                drivers[0]["text_en"] if drivers else "",
                actions[0]["en"] if actions else "",
            )
    return table
