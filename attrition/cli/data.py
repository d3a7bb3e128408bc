"""Data commands: generate a synthetic bank, validate a source, build features."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from attrition.cli._app import (
    Entity,
    FileFormat,
    _fail,
    _progress_bar,
    app,
    console,
    data_warnings,
    out_console,
)
from attrition.errors import AttritionError

if TYPE_CHECKING:
    pass


def _regime(text: str | None) -> object:
    """``KIND:YYYY-MM[:STRENGTH]`` as a :class:`attrition.synthetic.Regime`."""
    from attrition.synthetic import Regime

    if text is None:
        return None
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(
            f"--regime is KIND:YYYY-MM[:STRENGTH] (e.g. sell_off:2026-01), got {text!r}"
        )
    try:
        strength = float(parts[2]) if len(parts) == 3 else 1.0
    except ValueError:
        raise ValueError(f"--regime strength must be a number, got {parts[2]!r}") from None
    return Regime(kind=parts[0], month=parts[1], strength=strength)


def _generate(
    out: Path,
    clients: int,
    seed: int,
    months: int,
    fmt: str,
    *,
    force: bool = False,
    regime: str | None = None,
    transaction_kinds: str | None = None,
) -> Path:
    from attrition.synthetic import GeneratorConfig, check_bank_folder, generate_bank, write_bank

    kinds = None if transaction_kinds is None else tuple(transaction_kinds.split(","))
    cfg = GeneratorConfig(
        n_clients=clients,
        seed=seed,
        months=months,
        regime=_regime(regime),
        transaction_kinds=kinds,
    )
    check_bank_folder(out, force=force)  # before the minutes of simulation
    with _progress_bar("Simulating") as bar:
        task = bar.add_task("Simulating the bank", total=months)
        bank = generate_bank(
            config=cfg, progress=lambda done, total: bar.update(task, completed=done)
        )
    with console.status("Writing tables"):
        write_bank(bank, out, fmt=fmt, force=force)
    return out


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Directory to write the contract tables into.")],
    clients: Annotated[int, typer.Option(help="Clients at the start of the window.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same bank.")] = 0,
    months: Annotated[int, typer.Option(help="Months of history.")] = 36,
    fmt: Annotated[FileFormat, typer.Option("--format", help="File format.")] = FileFormat.parquet,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write into a non-empty folder that is not a previous output of generate "
            "(files of the same names are replaced; nothing else is deleted).",
        ),
    ] = False,
    regime: Annotated[
        str | None,
        typer.Option(
            help="A break in the bank's world, KIND:YYYY-MM[:STRENGTH]: sell_off (a market "
            "sell-off: funds fall, clients panic) or new_product (a rival product pulls "
            "clients with idle cash), e.g. sell_off:2026-01.",
        ),
    ] = None,
    transaction_kinds: Annotated[
        str | None,
        typer.Option(
            help="Record only these transaction kinds (comma-separated, e.g. "
            "payroll,transfer), as a bank with a thinner transaction feed would.",
        ),
    ] = None,
) -> None:
    """Write a synthetic bank (every contract table, plus truth/ with the true hazards).

    OUT must be a new or empty folder or a previous output of generate; a later run
    replaces only the files generate wrote there.
    """
    t0 = time.perf_counter()
    try:
        _generate(
            out,
            clients,
            seed,
            months,
            fmt.value,
            force=force,
            regime=regime,
            transaction_kinds=transaction_kinds,
        )
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
    from attrition.io import load_bank, write_parquet
    from attrition.io.outputs import check_output_file

    try:
        if out is not None:
            check_output_file(out, example=f"{entity.value}_features.parquet")
        with data_warnings(), console.status("Loading and validating"):
            data = load_bank(source)
        t0 = time.perf_counter()
        with console.status(f"Building {entity.value} features"):
            frame = build_features(data, entity.value, as_of)
        if out is not None:
            write_parquet(frame.reset_index().assign(as_of=lambda f: f["as_of"].astype(str)), out)
    except AttritionError as exc:
        raise _fail(exc) from exc
    console.print(
        f"{len(frame):,} rows x {frame.shape[1]} features in {time.perf_counter() - t0:.1f}s"
    )
    if out is not None:
        console.print(f"Wrote {out}")
