"""Model commands: train from a config, evaluate, list and show the registry."""

from __future__ import annotations

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

    from attrition.config import TrainConfig


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
        Path,
        typer.Option(help="Training config (YAML), e.g. attrition/configs/client_outflow.yaml."),
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
        with data_warnings(), console.status("Training") as status:
            result = run_training(cfg, source=source, progress=lambda m: status.update(m))
    except (AttritionError, ValueError) as exc:
        raise _fail(exc) from exc
    if result.sets.train_as_of:
        from attrition.pipeline.train import describe_landmarks

        console.print(f"Used {describe_landmarks(result.sets)}")
    for note in result.sets.notes:  # what the flat-table screen did to the columns
        console.print(f"Note: {note}")
    out_console.print(_metrics_table(result.metrics, f"{cfg.name}: holdout metrics"))
    record = result.record
    if record.metadata.get("auto_choice"):
        console.print(f"auto {record.metadata['auto_choice']}")
    _warn_if_weak(result.metrics, cfg, record.metadata.get("model_label"), record.ref)
    console.print(f"Registered [bold]{result.record.ref}[/] in {result.record.path}")


def _warn_if_weak(metrics: pd.DataFrame, config: TrainConfig, label: str | None, ref: str) -> None:
    """The model's holdout verdict (:func:`attrition.pipeline.quality.weakness`)."""
    from attrition.pipeline.quality import weakness

    why = weakness(metrics, config.quality, model=label)
    if why:
        console.print(
            f"[yellow]Warning:[/] {ref} is a weak model: {why} (the bar is the config's "
            "quality section)"
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
        with data_warnings(), console.status(f"Evaluating {model}"):
            metrics, record = evaluate_registered(model, source=source, home=attrition_home())
    except (AttritionError, ValueError) as exc:
        raise _fail(exc) from exc
    out_console.print(_metrics_table(metrics, f"{record.ref}: holdout metrics"))
    _warn_if_weak(metrics, record.config, None, record.ref)


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
    table = Table(
        title="Registered models",
        caption="Checked: every file present, metadata readable, model.pkl complete "
        "(its size); models are not loaded here.",
    )
    for col in ("model", "target", "type", "created", "rows", "C (Harrell, test)"):
        table.add_column(col)
    for r in records:
        if r.problem is not None:
            table.add_row(r.ref, f"broken: {r.problem}", "", "", "", "")
            continue
        m, c = r.metrics, ""
        if {"model", "c_harrell"} <= set(m.columns):
            chosen = m[m["model"] == r.metadata.get("model_label")]
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


@models_app.command("card")
def models_card(
    ref: Annotated[str, typer.Argument(help="NAME or NAME@VERSION of a registered model.")],
    lang: Annotated[str, typer.Option(help="en or zh.")] = "en",
    source: Annotated[
        str | None,
        typer.Option(help="Data to rebuild the holdout from (default: the config's source)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="The PDF (default: model_card_NAME@V_LANG.pdf here).")
    ] = None,
) -> None:
    """The model card as a PDF: config as run, data window, holdout metrics against the
    Cox baseline, calibration, Kaplan–Meier by tier, global SHAP importance."""
    from attrition.config import attrition_home
    from reports import i18n
    from reports.card import model_card
    from reports.render import render_html, write_pdf

    if lang not in ("en", "zh"):
        raise _fail(ValueError(f"--lang must be en or zh, got {lang!r}"))
    try:
        with data_warnings(), console.status(f"Building the card of {ref}"):
            card = model_card(ref, home=attrition_home(), lang=lang, source=source)  # type: ignore[arg-type]
            title = f"{i18n.text('card_title', lang)}: {card.ref}"  # type: ignore[arg-type]
            html = render_html(
                "card.html.j2",
                lang,  # type: ignore[arg-type]
                r=card,
                title=title,
                as_of=card.test_as_of,
                models=card.ref,
                confidential="Model-risk review",
            )
            path = write_pdf(html, out or Path(f"model_card_{card.ref}_{lang}.pdf"))
    except AttritionError as exc:
        raise _fail(exc) from exc
    console.print(f"Model card of {card.ref}: {path}")
