"""The demo: the main job end to end on a synthetic bank."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from attrition.cli._app import (
    _fail,
    app,
    console,
    data_warnings,
    out_console,
)
from attrition.cli.data import _generate
from attrition.cli.models import _metrics_table
from attrition.cli.scoring import _print_notes, _top_at_risk
from attrition.errors import AttritionError

if TYPE_CHECKING:
    from attrition.config import TrainConfig
    from attrition.playbook import Playbook
    from attrition.results import ScoringResult

DEMO_MODELS = ("rm_resignation", "client_outflow")


def check_demo(out: Path, *, force: bool = False) -> tuple[dict[str, TrainConfig], Playbook]:
    """Everything the demo reads or writes, checked before its first step: the shipped
    training configs and playbook (package data, found from any working folder) and
    every output path (the bank, the features, the model registry and the scores file
    of the synthetic bank's last month). Returns the configs by name and the playbook."""
    from attrition.config import SHIPPED_CONFIGS, load_config
    from attrition.io.outputs import check_output_file, check_owned_folder
    from attrition.playbook import load_playbook
    from attrition.registry import ModelRegistry
    from attrition.store.engine import check_store
    from attrition.synthetic import check_bank_folder
    from reports.build import MARKER

    configs = {name: load_config(SHIPPED_CONFIGS / f"{name}.yaml") for name in DEMO_MODELS}
    book = load_playbook()
    check_bank_folder(out / "bank", force=force)
    for entity in ("client", "rm"):
        check_output_file(out / "features" / f"{entity}_features.parquet", example=None)
    registry = ModelRegistry(out)
    for name in DEMO_MODELS:
        registry.check_writable(name)
    check_output_file(demo_scores_path(out), example=None)
    if not _own_store():
        check_store(demo_store_url(out))  # a bank's store on another schema: refused now
    # the example PDFs' folder: new, or the demo's own from an earlier run
    check_owned_folder(out / "reports", MARKER, force=force)
    return configs, book


def _own_store() -> bool:
    """The demo writes its own store file (no ``ATTRITION_DATABASE_URL`` given)."""
    from attrition.settings import load_settings

    return load_settings().database_url is None


def demo_store_url(out: Path) -> str:
    """The demo's store: ``ATTRITION_DATABASE_URL`` when set, else ``OUT/attrition.db``."""
    from attrition.settings import load_settings
    from attrition.store import default_store_url

    return default_store_url(out, load_settings().database_url)


def demo_scores_path(out: Path) -> Path:
    """Where the demo writes its scores: the synthetic bank's last month, which follows
    from the generator's config (every month of a synthetic bank is fully loaded)."""
    from attrition.synthetic import GeneratorConfig

    return out / "scores" / f"scores_{GeneratorConfig().end_month}.parquet"


@app.command()
def demo(
    out: Annotated[
        Path | None, typer.Option(help="Working directory of the demo (default var/demo).")
    ] = None,
    clients: Annotated[int, typer.Option(help="Clients in the synthetic bank.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write the bank into OUT/bank even if it holds files generate did not write "
            "(files of the same names are replaced; nothing else is deleted).",
        ),
    ] = False,
) -> None:
    """Run the main job end to end on a synthetic bank and say where everything went.

    Generate, validate, build features and labels, train the RM and client models,
    score RMs then clients with drivers and suggested actions.
    """
    import pandas as pd

    from attrition.config import DEMO_DIR
    from attrition.features import build_features
    from attrition.io import validate_source, write_parquet
    from attrition.labels import client_outflow_labels, rm_resignation_labels

    t0 = time.perf_counter()
    out = out or DEMO_DIR
    bank_dir = out / "bank"
    try:
        configs, book = check_demo(out, force=force)
        console.rule("1. Generate a synthetic bank")
        _generate(bank_dir, clients, seed, 36, "parquet", force=force)
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
        summary = Table(title="Features and labels")
        for col in ("population", "as-of months", "rows", "features", "events", "seconds"):
            summary.add_column(col)
        for entity, labeler in (("client", client_outflow_labels), ("rm", rm_resignation_labels)):
            t1 = time.perf_counter()
            frame = build_features(data, entity, as_of)
            labels = labeler(data, as_of)
            joined = frame.join(labels[["duration", "event"]], how="inner")
            write_parquet(
                joined.reset_index().assign(as_of=lambda f: f["as_of"].astype(str)),
                feat_dir / f"{entity}_features.parquet",
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

        console.rule("4. Train the RM and client models (the shipped configs of both)")
        from attrition.pipeline.train import train as run_training

        registered = []
        for name, config in configs.items():
            with data_warnings(), console.status(f"Training {name}") as status:
                result = run_training(
                    config,
                    source=str(bank_dir),
                    home=str(out),
                    progress=lambda m, s=status: s.update(m),
                )
            m = result.metrics
            out_console.print(_metrics_table(m[m["horizon"] == 3], f"{name}: holdout at 3 months"))
            meta = result.record.metadata
            if meta.get("refit"):
                out_console.print(
                    f"Registered {result.record.ref}: the model above refitted on every row "
                    f"({meta['n_refit']:,} rows, as of {meta['refit_as_of'][0]} to "
                    f"{meta['refit_as_of'][-1]}), so that scoring learns from last month."
                )
            registered.append(str(result.record.path))

        console.rule("5. Score RMs, then clients, with drivers and actions")
        from attrition.pipeline.score import score_bank

        with console.status("Scoring") as status:
            scores = score_bank(data, home=out, playbook=book, progress=lambda m: status.update(m))
        scores_path = write_parquet(
            scores.to_export(), out / "scores" / f"scores_{data.last_month}.parquet"
        )
        from attrition.pipeline.plan import contact_plan
        from attrition.store import open_store, upgrade_store, write_run
        from attrition.store.plans import write_plan

        if _own_store():
            # the demo's own file: brought to this version's schema when an earlier
            # version's demo left it (a database the demo was pointed at is not)
            upgrade_store(demo_store_url(out))
        engine = open_store(demo_store_url(out), create=True)
        # a run three months earlier first, as a bank's store would hold: the reports
        # then show the change since it and how its list fared
        with console.status("Scoring three months earlier") as status:
            earlier = score_bank(
                data, str(last - 3), home=out, playbook=book, progress=status.update
            )
        for result in (earlier, scores):
            run_id = write_run(engine, result, entities=("rm", "client"))
            # the week's plan beside the run: GET /v1/rms/{id}/plan and POST
            # /v1/contacts (the plan's action by default) work on the demo as on a bank's
            write_plan(engine, run_id, contact_plan(result, data, book))
        keys = _demo_keys(engine, scores)
        out_console.print(_top_at_risk(scores, book))
        _print_notes(scores)

        console.rule("6. PDF reports for a branch head and for HR (English and Chinese)")
        pdfs = _demo_reports(engine, out, scores)
        engine.dispose()
    except AttritionError as exc:
        raise _fail(exc) from exc

    console.rule("Done")
    where = Table(show_header=False)
    where.add_row("contract tables", str(bank_dir))
    where.add_row("true hazards", str(bank_dir / "truth"))
    where.add_row("features + labels", str(out / "features"))
    where.add_row("registered models", "\n".join(registered))
    from attrition.io.source import describe_source

    store = describe_source(demo_store_url(out))
    where.add_row("scores", f"{scores_path}\nthe store ({store}), run {run_id}")
    where.add_row("reports", "\n".join(str(p) for p in pdfs))
    out_console.print(where)
    _print_api_howto(out, keys)
    console.print(
        f"Demo finished in {time.perf_counter() - t0:.0f}s ({pd.Timestamp.now():%Y-%m-%d %H:%M})."
    )


def _demo_reports(engine: Any, out: Path, scores: ScoringResult) -> list[Path]:
    """The branch report of the branch whose head gets a demo key (the client with the
    largest value at risk is theirs) and the HR report, each in English and Chinese,
    into ``OUT/reports``; the reports.yaml they come from is written beside the bank
    (``OUT/reports.yaml``), to try `attrition reports run` with."""
    import yaml

    from attrition.io.outputs import write_text_atomic
    from reports.build import documents, render_documents
    from reports.config import load_reports_config
    from reports.context import load_report_run

    clients = scores.scores[scores.scores["entity_type"] == "client"]
    branch = str(clients.loc[clients["value_at_risk"].idxmax(), "branch_id"])
    config = {
        "data": {"source": "bank"},
        "hr": ["hr.reports@bank.example"],
        "reports": {
            **{
                f"branch_{lang}": {"kind": "branch_at_risk", "to": "branch_heads", "language": lang}
                for lang in ("en", "zh")
            },
            **{
                f"hr_{lang}": {"kind": "rm_flight_risk", "to": "hr", "language": lang, "top": 40}
                for lang in ("en", "zh")
            },
        },
    }
    path = out / "reports.yaml"
    write_text_atomic(path, yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    spec = load_reports_config(path)
    with data_warnings(), console.status("Reading the run and the bank's data"):
        run = load_report_run(engine, spec.data.source)
    docs = []
    for name in spec.reports:
        per_branch = spec.reports[name].kind == "branch_at_risk"
        docs += documents(run, spec, name, out / "reports", branch=branch if per_branch else None)
    with console.status(f"Rendering {len(docs)} PDFs"):
        outcomes = render_documents(docs, out / "reports", force=True)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise AttritionError(f"report {failed[0].job.label} failed: {failed[0].error}")
    console.print(
        f"Branch {branch}'s report and HR's, in English and Chinese, in {out / 'reports'}; "
        f"more with `ATTRITION_HOME={out} attrition reports run branch_en --config {path}`"
    )
    return [o.job.path for o in outcomes]


def _demo_keys(engine: Any, result: ScoringResult) -> dict[str, tuple[str, str]]:
    """Two API keys to try the risk API with: the head of the branch with the largest
    client value at risk (and that branch's top client), and HR (and the riskiest RM)."""
    from attrition.store.keys import create_key

    scores = result.scores
    clients = scores[scores["entity_type"] == "client"]
    top = clients.loc[clients["value_at_risk"].idxmax()]
    rms = scores[scores["entity_type"] == "rm"]
    rm = rms.loc[rms["risk_3m"].idxmax()]
    head, _ = create_key(
        engine, role="branch_head", branches=(top["branch_id"],), name="demo branch head"
    )
    hr, _ = create_key(engine, role="hr", name="demo HR")
    return {
        f"branch head of {top['branch_id']}": (head, f"/v1/clients/{top['id']}/risk"),
        "HR": (hr, f"/v1/rms/{rm['id']}/risk"),
    }


def _print_api_howto(out: Path, keys: dict[str, tuple[str, str]]) -> None:
    console.rule("Try the risk API")
    console.print(
        "Keys (shown this once; `attrition keys list` lists them, `keys revoke` ends them):"
    )
    for who, (key, _path) in keys.items():
        out_console.print(f"  {who}: {key}", soft_wrap=True)
    out_console.print(f"\n  ATTRITION_HOME={out} attrition serve", soft_wrap=True)
    for key, path in keys.values():
        out_console.print(
            f'  curl -H "Authorization: Bearer {key}" http://127.0.0.1:8000{path}',
            soft_wrap=True,
        )
