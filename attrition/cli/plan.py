"""The weekly contact plan command: from the store's current run (or a scores file)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from attrition.cli._app import _fail, app, console, data_warnings, out_console
from attrition.cli.scoring import _money, _training_source
from attrition.errors import AttritionError

if TYPE_CHECKING:
    import pandas as pd

    from attrition.playbook import Playbook
    from attrition.results import ScoringResult


@app.command()
def plan(
    as_of: Annotated[str, typer.Option("--as-of", help="YYYY-MM of the scores to plan from.")],
    scores: Annotated[
        Path | None,
        typer.Option(help="Scores file (default: the store's current run at --as-of)."),
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
        Path | None, typer.Option(help="Retention playbook (default: the shipped playbook.yaml).")
    ] = None,
) -> None:
    """Each RM's contacts for the coming week, within capacity; the rest to the remote
    team, the branch head or next week.

    Clients whose suggested action needs a person are taken in order of expected AUM
    retained (value at risk × the action's effect). What an RM cannot fit goes to the
    remote team (small clients, phone actions, up to its capacity), to the branch head
    (larger clients, in-person actions) or waits for next week.
    """

    from attrition.config import attrition_home
    from attrition.io import load_bank, write_parquet
    from attrition.io.outputs import check_output_file
    from attrition.pipeline.plan import contact_plan
    from attrition.playbook import load_playbook

    home = attrition_home()
    try:
        out = check_output_file(
            out or home / "plans" / f"plan_{as_of}.parquet", example="plan.parquet"
        )
        scored, run_id = _scores_to_plan(scores, as_of)
        book = load_playbook(playbook)
        with data_warnings(), console.status("Loading data"):
            data = load_bank(source or _training_source(home, "client_outflow"))
        result = contact_plan(scored, data, book)
        written = str(write_parquet(result, out))
        if run_id is not None:  # planned from the store: the plan goes back beside its run
            from attrition.settings import load_settings
            from attrition.store import open_store
            from attrition.store.plans import write_plan

            engine = open_store(load_settings().store_url)
            write_plan(engine, run_id, result)
            engine.dispose()
            written += f" and the store (run {run_id})"
    except (AttritionError, ValueError) as exc:
        raise _fail(exc) from exc
    _print_plan(result, book, as_of)
    console.print(f"Wrote {len(result):,} contacts to {written}")


def _scores_to_plan(path: Path | None, as_of: str) -> tuple[ScoringResult, int | None]:
    """The scores a plan starts from: a scores file, or the store's current run (and
    its id)."""
    import pandas as pd

    from attrition.results import ScoringResult

    if path is not None:
        if not Path(path).is_file():
            raise ValueError(f"no scores file at {path}")
        frame = pd.read_parquet(path)
        if len(frame) and frame["as_of"].iloc[0] != as_of:
            raise ValueError(f"{path} holds scores at {frame['as_of'].iloc[0]}, not {as_of}")
        return ScoringResult.from_export(frame), None
    from attrition.settings import load_settings
    from attrition.store import current_run_id, open_store, read_run
    from attrition.store.engine import NoStoreError

    try:
        engine = open_store(load_settings().store_url)
    except NoStoreError:
        raise ValueError(
            f"nothing has been scored yet: run `attrition score --as-of {as_of}` first or "
            "pass --scores"
        ) from None
    try:
        run_id = current_run_id(engine, entity="client", as_of=as_of)
        if run_id is None:
            raise ValueError(
                f"the store holds no complete run of clients at {as_of}; run "
                f"`attrition score --as-of {as_of}` first or pass --scores"
            )
        return read_run(engine, run_id), run_id
    finally:
        engine.dispose()


def _print_plan(result: pd.DataFrame, book: Playbook, as_of: str) -> None:
    """The ten RMs keeping the most, then the remote team, branch head and waiting list."""
    import pandas as pd

    from attrition.pipeline.plan import BRANCH_HEAD, REMOTE_TEAM, WAITING, plan_summary

    h, cur = book.tiers.horizon, book.currency
    summary = plan_summary(result)
    others = [a for a in (REMOTE_TEAM, BRANCH_HEAD, WAITING) if a in summary.index]
    rms = summary.drop(index=others).head(10)
    table = Table(
        title=f"Contact plan for the week after {as_of} ({len(summary) - len(others)} RMs; "
        f"amounts over {h} months, {cur or 'data currency'})"
    )
    for col in ("assignee", "contacts", f"value at risk {h}m", "expected AUM retained"):
        table.add_column(col)
    for assignee, row in pd.concat([rms, summary.loc[others]]).iterrows():
        table.add_row(
            str(assignee),
            f"{int(row['contacts']):,}",
            _money(row["value_at_risk"], cur),
            _money(row["expected_retained"], cur),
        )
    out_console.print(table)
