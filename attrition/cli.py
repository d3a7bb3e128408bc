"""The ``attrition`` command line: generate, validate, features, labels and the demo.

Heavy imports happen inside commands so that ``attrition --help`` stays fast.
"""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from attrition.errors import AttritionError

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(
    help="Predict and prevent client asset outflow and RM resignation in wealth management.",
    no_args_is_help=True,
    add_completion=False,
)
MIN_HOLDOUT_EVENTS = 50
console = Console(stderr=True)
# wide tables stay readable when piped to a file or a log
out_console = Console(width=None if sys.stdout.isatty() else 160)


class Entity(StrEnum):
    client = "client"
    rm = "rm"


class FileFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


def _fail(exc: Exception) -> typer.Exit:
    console.print(f"[bold red]Error:[/] {exc}")
    return typer.Exit(code=1)


def _progress_bar(description: str):  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} months"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _generate(out: Path, clients: int, seed: int, months: int, fmt: str) -> Path:
    from attrition.synthetic import GeneratorConfig, generate_bank, write_bank

    cfg = GeneratorConfig(n_clients=clients, seed=seed, months=months)
    with _progress_bar("Simulating") as bar:
        task = bar.add_task("Simulating the bank", total=months)
        bank = generate_bank(
            config=cfg, progress=lambda done, total: bar.update(task, completed=done)
        )
    with console.status("Writing tables"):
        write_bank(bank, out, fmt=fmt)
    return out


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Directory to write the contract tables into.")],
    clients: Annotated[int, typer.Option(help="Clients at the start of the window.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same bank.")] = 0,
    months: Annotated[int, typer.Option(help="Months of history.")] = 36,
    fmt: Annotated[FileFormat, typer.Option("--format", help="File format.")] = FileFormat.parquet,
) -> None:
    """Write a synthetic bank (every contract table, plus truth/ with the true hazards)."""
    t0 = time.perf_counter()
    try:
        _generate(out, clients, seed, months, fmt.value)
    except (AttritionError, ValueError) as exc:
        raise _fail(exc) from exc
    console.print(
        f"Wrote a synthetic bank of {clients:,} clients to {out} "
        f"in {time.perf_counter() - t0:.1f}s (true hazards in {out / 'truth'})."
    )


@app.command()
def validate(
    source: Annotated[
        str, typer.Argument(help="Directory of CSV/Parquet files or a SQLAlchemy URL.")
    ],
) -> None:
    """Check a source against every rule of the data contract; list ALL problems at once.

    Exit code 0 when the source is valid (with a summary of row counts and missing
    optional tables), 1 when anything is wrong.
    """
    from attrition.io import validate_source

    try:
        with console.status("Validating"):
            report = validate_source(source)
    except AttritionError as exc:
        raise _fail(exc) from exc
    out_console.print(report.render(), markup=False, highlight=False)
    if not report.ok:
        raise typer.Exit(code=1)


@app.command()
def features(
    source: Annotated[
        str, typer.Option(help="Directory of CSV/Parquet files or a SQLAlchemy URL.")
    ],
    as_of: Annotated[list[str], typer.Option("--as-of", help="As-of month YYYY-MM (repeatable).")],
    entity: Annotated[Entity, typer.Option(help="Which population.")] = Entity.client,
    out: Annotated[Path | None, typer.Option(help="Parquet file to write.")] = None,
) -> None:
    """Build point-in-time features (one row per entity and as-of month)."""
    from attrition.features import build_features
    from attrition.io import load_bank

    try:
        with console.status("Loading and validating"):
            data = load_bank(source)
        t0 = time.perf_counter()
        with console.status(f"Building {entity.value} features"):
            frame = build_features(data, entity.value, as_of)
    except AttritionError as exc:
        raise _fail(exc) from exc
    console.print(
        f"{len(frame):,} rows x {frame.shape[1]} features in {time.perf_counter() - t0:.1f}s"
    )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        frame.reset_index().assign(as_of=lambda f: f["as_of"].astype(str)).to_parquet(
            tmp, index=False
        )
        tmp.replace(out)
        console.print(f"Wrote {out}")


def _metrics_table(metrics: pd.DataFrame, title: str) -> Table:
    show = [
        "model",
        "horizon",
        "c_harrell",
        "c_uno",
        "auc",
        "brier",
        "ibs",
        "ece",
        "captured_top10",
        "fit_s",
        "predict_s",
    ]
    show = [c for c in show if c in metrics.columns]
    table = Table(title=title)
    for col in show:
        table.add_column(col, justify="left" if col == "model" else "right")
    for _, row in metrics.iterrows():
        cells = []
        for col in show:
            v = row[col]
            cells.append(v if isinstance(v, str) else f"{v:g}" if col == "horizon" else f"{v:.3f}")
        table.add_row(*cells)
    return table


@app.command()
def train(
    config: Annotated[
        Path, typer.Option(help="Training config (YAML), e.g. configs/client_outflow.yaml.")
    ],
    source: Annotated[
        str | None, typer.Option(help="Data source; overrides data.source (or data.path for flat).")
    ] = None,
) -> None:
    """Train from a YAML config: landmark sets, every model vs the Cox PH baseline, registry.

    Prints and saves the holdout metrics of every model tried; the config's model is
    registered as a new version under $ATTRITION_HOME/models (default ./var/models).
    """
    from attrition.config import load_config
    from attrition.pipeline.train import train as run_training

    try:
        cfg = load_config(config)
        with console.status("Training") as status:
            result = run_training(cfg, source=source, progress=lambda m: status.update(m))
    except (AttritionError, ValueError) as exc:
        raise _fail(exc) from exc
    out_console.print(_metrics_table(result.metrics, f"{cfg.name}: holdout metrics"))
    _warn_if_small(result.metrics)
    console.print(f"Registered [bold]{result.record.ref}[/] in {result.record.path}")


def _warn_if_small(metrics: pd.DataFrame) -> None:
    events = int(metrics["events_test"].iloc[0]) if len(metrics) else 0
    if events < MIN_HOLDOUT_EVENTS:
        console.print(
            f"[yellow]Warning:[/] the holdout has only {events} events; with fewer than "
            f"{MIN_HOLDOUT_EVENTS} these metrics are mostly noise. Use more data (a bank "
            "with more entities, more landmarks.count) before trusting them."
        )


@app.command()
def evaluate(
    model: Annotated[str, typer.Option(help="NAME or NAME@VERSION from `attrition models list`.")],
    source: Annotated[
        str | None, typer.Option(help="Data to re-score (default: the training source).")
    ] = None,
) -> None:
    """Re-score a registered model on the holdout of a source (same landmarks and split)."""
    from attrition.config import attrition_home
    from attrition.pipeline.evaluate import evaluate_registered

    try:
        with console.status(f"Evaluating {model}"):
            metrics, record = evaluate_registered(model, source=source, home=attrition_home())
    except (AttritionError, ValueError) as exc:
        raise _fail(exc) from exc
    out_console.print(_metrics_table(metrics, f"{record.ref}: holdout metrics"))
    _warn_if_small(metrics)


def _training_source(home: Path, ref: str) -> str:
    """The data source a registered model was trained on (the default for scoring)."""
    import yaml

    from attrition.config import parse_config
    from attrition.registry import ModelRegistry

    record = ModelRegistry(home).get(ref)
    source = parse_config(yaml.safe_load(record.config_text), where=record.ref).data.source
    if not source:
        raise ValueError(f"{record.ref} names no data source; pass --source")
    return source


def _score_flat_table(
    home: Path,
    model: str,
    source: str | None,
    out: Path | None,
    playbook: Path | None,
    top_k: int,
) -> None:
    """``attrition score --model NAME [--source TABLE]`` for a flat-table model."""
    import yaml

    from attrition.config import parse_config
    from attrition.io import load_flat, write_parquet
    from attrition.pipeline.score import score_flat
    from attrition.playbook import load_playbook
    from attrition.registry import ModelRegistry

    try:
        record = ModelRegistry(home).get(model)
        config = parse_config(yaml.safe_load(record.config_text), where=record.ref)
        if config.target != "flat":
            raise ValueError(
                f"{record.ref} is a {config.target} model: pass --target "
                f"{config.entity} with --model, or --model a flat-table model"
            )
        table = load_flat(
            source or config.data.path,
            config.data.flat_spec(),
            table=config.data.table,
            outcomes=False,
        )
        scores = score_flat(table, record, load_playbook(playbook), top_k=top_k)
        path = write_parquet(scores, out or home / "scores" / f"scores_{record.name}.parquet")
    except (AttritionError, ValueError) as exc:
        raise _fail(exc) from exc
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
        str | None, typer.Option("--as-of", help="YYYY-MM (default: the data's last month).")
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(help="Bank tables (dir or URL); default: the client model's training data."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Parquet file (default $ATTRITION_HOME/scores/scores_<as-of>.parquet)."),
    ] = None,
    target: Annotated[Target, typer.Option(help="Which population(s) to score.")] = Target.both,
    model: Annotated[
        str | None,
        typer.Option(
            help="NAME[@VERSION]: with --target client or rm, the model to use; alone, a "
            "flat-table model scoring --source TABLE (default its training table)."
        ),
    ] = None,
    playbook: Annotated[
        Path | None, typer.Option(help="Retention playbook (default configs/playbook.yaml).")
    ] = None,
    top_k: Annotated[int, typer.Option(help="Drivers kept per entity.")] = 5,
) -> None:
    """Score RMs, then clients: risk at 1-12 months, tier, value at risk, drivers, actions.

    Writes one Parquet row per entity (id, entity_type, as_of, model, model_version,
    risk_1m..risk_12m, tier, value_at_risk, drivers, actions as JSON) and prints a
    summary per tier.
    """
    from attrition.config import attrition_home
    from attrition.io import load_bank, write_parquet
    from attrition.pipeline.score import DEFAULT_MODELS, score_bank
    from attrition.playbook import load_playbook

    entities = ("rm", "client") if target == Target.both else (target.value,)
    home = attrition_home()
    if model is not None and target == Target.both:
        _score_flat_table(home, model, source, out, playbook, top_k)
        return
    models = {target.value: model} if model else {}
    try:
        book = load_playbook(playbook)
        if source is None:
            source = _training_source(home, models.get(entities[-1], DEFAULT_MODELS[entities[-1]]))
        with console.status("Loading data"):
            data = load_bank(source)
        with console.status("Scoring") as status:
            scores = score_bank(
                data,
                as_of,
                home=home,
                entities=entities,
                models=models,
                playbook=book,
                top_k=top_k,
                progress=lambda m: status.update(m),
            )
        month = scores["as_of"].iloc[0] if len(scores) else as_of
        path = write_parquet(scores, out or home / "scores" / f"scores_{month}.parquet")
    except (AttritionError, ValueError) as exc:
        raise _fail(exc) from exc
    summary = Table(title=f"Scores at {month}")
    for col in ("population", "tier", "entities", "value at risk"):
        summary.add_column(col)
    for (entity, tier), g in scores.groupby(["entity_type", "tier"], sort=False):
        summary.add_row(entity, tier, f"{len(g):,}", f"{g['value_at_risk'].sum():,.0f}")
    out_console.print(summary)
    if target == Target.both:
        from attrition.pipeline.branches import branch_view

        view = branch_view(scores, data).head(10)
        branches = Table(title="Branches by client value at risk (top 10)")
        for col in (
            "branch",
            "clients high/medium",
            "client value at risk",
            "RMs high/medium",
            "exposed through RMs",
        ):
            branches.add_column(col)
        for _, b in view.iterrows():
            branches.add_row(
                b["branch_id"],
                f"{b['clients_high']:,}/{b['clients_medium']:,}",
                f"{b['client_value_at_risk']:,.0f}",
                f"{b['rms_high']:,}/{b['rms_medium']:,}",
                f"{b['rm_value_at_risk']:,.0f}",
            )
        out_console.print(branches)
    console.print(f"Wrote {len(scores):,} scores to {path}")


@app.command()
def plan(
    as_of: Annotated[str, typer.Option("--as-of", help="YYYY-MM of the scores to plan from.")],
    scores: Annotated[
        Path | None,
        typer.Option(help="Scores file (default $ATTRITION_HOME/scores/scores_<as-of>.parquet)."),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(help="Bank tables, for ownership and grades (default: the training data)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Parquet file (default $ATTRITION_HOME/plans/plan_<as-of>.parquet)."),
    ] = None,
    playbook: Annotated[
        Path | None, typer.Option(help="Retention playbook (default configs/playbook.yaml).")
    ] = None,
) -> None:
    """Each RM's contact plan for the coming week, within their capacity; overflow to the
    remote RM team. Ordered by expected AUM retained (value at risk × action effect)."""
    import pandas as pd

    from attrition.config import attrition_home
    from attrition.io import load_bank, write_parquet
    from attrition.pipeline.plan import contact_plan, plan_summary
    from attrition.playbook import load_playbook

    home = attrition_home()
    path = scores or home / "scores" / f"scores_{as_of}.parquet"
    try:
        if not Path(path).is_file():
            raise ValueError(
                f"no scores at {path}; run `attrition score --as-of {as_of}` first or pass --scores"
            )
        frame = pd.read_parquet(path)
        if len(frame) and frame["as_of"].iloc[0] != as_of:
            raise ValueError(f"{path} holds scores at {frame['as_of'].iloc[0]}, not {as_of}")
        book = load_playbook(playbook)
        with console.status("Loading data"):
            data = load_bank(source or _training_source(home, "client_outflow"))
        result = contact_plan(frame, data, book)
        written = write_parquet(result, out or home / "plans" / f"plan_{as_of}.parquet")
    except (AttritionError, ValueError) as exc:
        raise _fail(exc) from exc
    summary = plan_summary(result)
    table = Table(title=f"Contact plan for the week after {as_of}")
    for col in ("assignee", "contacts", "value at risk", "expected AUM retained"):
        table.add_column(col)
    for assignee, row in summary.head(10).iterrows():
        table.add_row(
            str(assignee),
            f"{int(row['contacts']):,}",
            f"{row['value_at_risk']:,.0f}",
            f"{row['expected_retained']:,.0f}",
        )
    out_console.print(table)
    console.print(f"Wrote {len(result):,} contacts ({summary.shape[0]} assignees) to {written}")


playbook_app = typer.Typer(help="The retention playbook.", no_args_is_help=True)
app.add_typer(playbook_app, name="playbook")


@playbook_app.command("check")
def playbook_check(
    path: Annotated[
        Path | None, typer.Argument(help="Playbook YAML (default configs/playbook.yaml).")
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
        tier = getattr(book.tiers, entity)
        console.print(
            f"{entity}: {len(rules)} rules; tiers by {tier.method} "
            f"(high {tier.high:g}, medium {tier.medium:g}) at {book.tiers.horizon} months"
        )
    console.print(
        f"{path or DEFAULT_PLAYBOOK} is valid; weekly capacity {book.contact_plan.capacity} "
        "contacts per RM by default"
    )


def _top_at_risk(scores: pd.DataFrame, n: int = 5) -> Table:
    """The highest values at risk of each population, with the first driver and action."""
    import json

    table = Table(title=f"Top {n} by value at risk")
    for col in ("who", "id", "tier", "risk 3m", "value at risk", "top driver", "suggested action"):
        table.add_column(col)
    for entity in ("rm", "client"):
        part = scores[scores["entity_type"] == entity].nlargest(n, "value_at_risk")
        for _, row in part.iterrows():
            drivers, actions = json.loads(row["drivers"]), json.loads(row["actions"])
            table.add_row(
                entity,
                row["id"],
                row["tier"],
                f"{row['risk_3m']:.1%}",
                f"{row['value_at_risk']:,.0f}",
                drivers[0]["text_en"] if drivers else "",
                actions[0]["en"] if actions else "",
            )
    return table


models_app = typer.Typer(help="List and inspect registered models.", no_args_is_help=True)
app.add_typer(models_app, name="models")


@models_app.command("list")
def models_list() -> None:
    """Every registered model version with its target, type and headline metric."""
    from attrition.config import attrition_home
    from attrition.registry import ModelRegistry

    records = ModelRegistry(attrition_home()).records()
    if not records:
        console.print(f"No models registered under {attrition_home() / 'models'} yet.")
        return
    table = Table(title="Registered models")
    for col in ("model", "target", "type", "created", "rows", "C (Harrell, test)"):
        table.add_column(col)
    for r in records:
        m = r.metrics
        chosen = m[m["model"] == r.metadata.get("model_label")] if len(m) else m
        c = f"{chosen['c_harrell'].iloc[0]:.3f}" if len(chosen) else ""
        table.add_row(
            r.ref,
            str(r.metadata.get("target")),
            str(r.metadata.get("model_type")),
            str(r.metadata.get("created_at")),
            f"{r.metadata.get('n_train', 0):,}",
            c,
        )
    out_console.print(table)


@models_app.command("show")
def models_show(
    model: Annotated[str, typer.Argument(help="NAME or NAME@VERSION.")],
) -> None:
    """A model's metadata, config and holdout metrics."""
    import json

    from attrition.config import attrition_home
    from attrition.registry import ModelRegistry

    try:
        record = ModelRegistry(attrition_home()).get(model)
    except AttritionError as exc:
        raise _fail(exc) from exc
    meta = {k: v for k, v in record.metadata.items() if k != "feature_names"}
    meta["features"] = len(record.metadata.get("feature_names", []))
    out_console.print(f"[bold]{record.ref}[/] in {record.path}")
    out_console.print_json(json.dumps(meta, default=str))
    out_console.print(record.config_text, markup=False, highlight=False)
    if len(record.metrics):
        out_console.print(_metrics_table(record.metrics, "holdout metrics"))


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Working directory of the demo.")] = Path("var/demo"),
    clients: Annotated[int, typer.Option(help="Clients in the synthetic bank.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """Run the main job end to end on a synthetic bank and say where everything went:
    generate, validate, build features and labels, train the RM and client models,
    score RMs then clients with drivers and suggested actions."""
    import pandas as pd

    from attrition.features import build_features
    from attrition.io import validate_source
    from attrition.labels import client_outflow_labels, rm_resignation_labels

    t0 = time.perf_counter()
    bank_dir = out / "bank"
    try:
        console.rule("1. Generate a synthetic bank")
        _generate(bank_dir, clients, seed, 36, "parquet")
        console.print(f"tables in {bank_dir}")

        console.rule("2. Validate it against the data contract")
        with console.status("Validating"):
            report = validate_source(str(bank_dir))
        out_console.print(report.render(), markup=False, highlight=False)
        if not report.ok or report.data is None:
            raise typer.Exit(code=1)
        data = report.data

        console.rule("3. Point-in-time features and labels")
        last = data.last_month
        as_of = [str(last - k) for k in (12, 9, 6, 3)]
        feat_dir = out / "features"
        feat_dir.mkdir(parents=True, exist_ok=True)
        summary = Table(title="Features and labels")
        for col in ("population", "as-of months", "rows", "features", "events", "seconds"):
            summary.add_column(col)
        for entity, labeler in (("client", client_outflow_labels), ("rm", rm_resignation_labels)):
            t1 = time.perf_counter()
            frame = build_features(data, entity, as_of)
            labels = labeler(data, as_of)
            joined = frame.join(labels[["duration", "event"]], how="inner")
            path = feat_dir / f"{entity}_features.parquet"
            joined.reset_index().assign(as_of=lambda f: f["as_of"].astype(str)).to_parquet(
                path, index=False
            )
            summary.add_row(
                entity,
                f"{as_of[0]}..{as_of[-1]}",
                f"{len(joined):,}",
                str(frame.shape[1]),
                f"{int(joined['event'].sum()):,}",
                f"{time.perf_counter() - t1:.1f}",
            )
        out_console.print(summary)

        console.rule(
            "4. Train the RM and client models (configs/rm_resignation.yaml, client_outflow.yaml)"
        )
        from attrition.config import load_config
        from attrition.pipeline.train import train as run_training

        registered = []
        for name in ("rm_resignation", "client_outflow"):
            config_path = Path("configs") / f"{name}.yaml"
            if not config_path.is_file():
                raise typer.BadParameter(
                    f"{config_path} not found: run the demo from the repository root"
                )
            with console.status(f"Training {name}") as status:
                result = run_training(
                    load_config(config_path),
                    source=str(bank_dir),
                    home=str(out),
                    progress=lambda m, s=status: s.update(m),
                )
            m = result.metrics
            out_console.print(_metrics_table(m[m["horizon"] == 3], f"{name}: holdout at 3 months"))
            registered.append(str(result.record.path))

        console.rule("5. Score RMs, then clients, with drivers and actions")
        from attrition.io import write_parquet
        from attrition.pipeline.score import score_bank

        with console.status("Scoring") as status:
            scores = score_bank(data, home=out, progress=lambda m: status.update(m))
        scores_path = write_parquet(scores, out / "scores" / f"scores_{data.last_month}.parquet")
        out_console.print(_top_at_risk(scores))
    except AttritionError as exc:
        raise _fail(exc) from exc

    console.rule("Done")
    where = Table(show_header=False)
    where.add_row("contract tables", str(bank_dir))
    where.add_row("true hazards", str(bank_dir / "truth"))
    where.add_row("features + labels", str(out / "features"))
    where.add_row("registered models", "\n".join(registered))
    where.add_row("scores", str(scores_path))
    out_console.print(where)
    console.print(
        f"Demo finished in {time.perf_counter() - t0:.0f}s ({pd.Timestamp.now():%Y-%m-%d %H:%M})."
    )


if __name__ == "__main__":  # pragma: no cover
    app()
