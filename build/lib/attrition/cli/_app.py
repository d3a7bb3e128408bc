"""The Typer application, its consoles and the helpers every command shares."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

import typer
from rich.console import Console
from rich.markup import escape

from attrition.errors import DataQualityWarning

app = typer.Typer(
    help="Predict and prevent client asset outflow and RM resignation in wealth management.",
    no_args_is_help=True,
    add_completion=False,
)
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
    from rich.markup import escape

    # escaped: rule names such as "[type]" in a message are text, not markup
    console.print(f"[bold red]Error:[/] {escape(str(exc))}")
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


@contextmanager
def data_warnings() -> Iterator[None]:
    """Show the data-quality warnings raised inside the block (loading and validating a
    bank) as plain ``Warning: ...`` lines on the console, not in Python's warning format
    with a file and line of this package. They are shown when the block ends, also when
    it fails, so they come before the error. Other warnings pass through unchanged.

    Every command that loads a bank wraps the loading in it::

        with data_warnings(), console.status("Loading data"):
            data = load_bank(source)
    """
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataQualityWarning)
            yield
    finally:
        shown: set[str] = set()
        for w in caught:
            if not issubclass(w.category, DataQualityWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            elif str(w.message) not in shown:
                shown.add(str(w.message))
                console.print(f"[yellow]Warning:[/] {escape(str(w.message))}")
