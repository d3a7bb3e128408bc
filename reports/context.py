"""What every report of one batch reads, loaded once: the scoring run from the store
(scores, drivers, actions, the contact plan, the run before it and each branch's
totals over the runs) and, from the bank's own data, what the store never holds:
names, e-mail addresses, and the balances and contacts since the last run.

A batch of 200 branch reports reads the store and the bank's tables once; each
report then takes its branch's rows (:mod:`reports.branch`, :mod:`reports.hr`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd
import sqlalchemy as sa

from attrition.contracts import BankData
from attrition.errors import AttritionError
from attrition.io import load_bank
from attrition.labels import client_outflow_labels
from attrition.store import current_run_id, run_as_of
from attrition.store.history import previous_run_id, run_details, run_scores, tier_history
from attrition.store.plans import plan_overview
from reports.config import ReportSpec

log = logging.getLogger(__name__)
# the score columns the reports show; a bank-wide run's other risk horizons stay in
# the store (reading them would double the time of reading a million rows)
RANKED_COLUMNS = ["id", "branch_id", "tier", "value_at_risk", "risk_3m"]
SHOWN_COLUMNS = [
    *RANKED_COLUMNS,
    *("entity_type", "model", "model_version", "model_warning", "model_warning_zh"),
    *("risk_12m", "rm_id"),
    *("segment", "aum", "grade", "book_size", "book_aum"),
]
PLAN_SHOWN = 3  # contacts named per assignee; each RM's own plan (API, CRM) has them all


class ReportError(AttritionError):
    """A report cannot be made (no scoring run, a branch that does not exist...)."""


@dataclass(frozen=True)
class PlanOverview:
    """The week's contact plan as the reports print it (see
    :func:`attrition.store.plans.plan_overview`); both frames empty when no plan was
    stored."""

    totals: pd.DataFrame  # per branch and assignee: contacts, expected_retained
    first: pd.DataFrame  # the first PLAN_SHOWN contacts of each, in order

    @property
    def empty(self) -> bool:
        return self.totals.empty


@dataclass(frozen=True)
class ReportRun:
    """One scoring run as the reports read it. Frames are shared by every report of
    the batch: treat them as read-only."""

    run_id: int
    as_of: str
    scores: pd.DataFrame  # both populations, SHOWN_COLUMNS
    plan: PlanOverview  # the week's contact plan
    history: pd.DataFrame  # per as-of month, branch and tier: client totals
    rm_history: pd.DataFrame  # the same for RMs
    previous_as_of: str | None  # the run before this one
    previous: pd.DataFrame  # its client scores, RANKED_COLUMNS (empty when there is none)
    moved_out: pd.Series  # client id -> moved assets out since the previous run
    contacted: pd.Series  # client id -> contacted since the previous run
    follow_up_months: int  # months of the bank's data after the previous run
    bank: BankData
    engine: sa.Engine  # drivers and actions are read for the entities a report lists
    reader_pid: int = field(default_factory=os.getpid)  # the one process that reads
    _details: dict[tuple[str, str], tuple[pd.DataFrame, pd.DataFrame]] = field(
        default_factory=dict, repr=False
    )
    _name_tables: dict[str, pd.Series] = field(default_factory=dict, repr=False)
    _names: dict[tuple[str, str], object] = field(default_factory=dict, repr=False)
    _by_entity: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _by_branch: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict, repr=False)

    def names(self) -> dict[str, pd.Series]:
        """Per population, the names of the bank's tables by id (built once per run;
        a population whose table has no names is left out)."""
        if not self._name_tables:
            for entity, table, key in (("client", "clients", "client_id"), ("rm", "rms", "rm_id")):
                frame = self.bank[table]
                if "name" in frame.columns:
                    names = pd.Series(frame["name"].to_numpy(), index=frame[key].astype(str))
                    self._name_tables[entity] = names[~names.index.duplicated()]
        return self._name_tables

    def lookup_names(self, entity_type: str, ids: Iterable[str]) -> None:
        """Look up the names of these entities in one pass (a report calls this with
        every entity it names; :meth:`name` then reads them from memory)."""
        table = self.names().get(entity_type)
        missing = [i for i in dict.fromkeys(map(str, ids)) if (entity_type, i) not in self._names]
        if table is None or not missing:
            return
        found = table.reindex(missing)
        self._names.update(zip(((entity_type, i) for i in missing), found.to_numpy(), strict=True))

    def name(self, entity_type: str, entity_id: str) -> object:
        """The bank's name of one entity as stored (None when the bank has no name for
        it or no names at all; masking is the report's business)."""
        key = (entity_type, str(entity_id))
        if key not in self._names:
            self.lookup_names(entity_type, [key[1]])
        found = self._names.get(key)
        return None if found is None or pd.isna(found) else found

    def prefetch(self, entity_type: str, ids: Iterable[str]) -> None:
        """Read the drivers and actions of these entities (those not read yet) in a
        few queries; a report calls this with every entity it will list."""
        missing = [i for i in dict.fromkeys(map(str, ids)) if (entity_type, i) not in self._details]
        if not missing:
            return
        if os.getpid() != self.reader_pid:
            # a render worker is a fork: the parent's database connections are not its
            # own to use (reports.build.prepare_documents reads everything before)
            raise ReportError(
                f"{len(missing)} {entity_type}(s) were not read before the render workers started"
            )
        drivers, actions = run_details(self.engine, self.run_id, entity_type, missing)
        by_driver = dict(tuple(drivers.groupby("id", sort=False)))
        by_action = dict(tuple(actions.groupby("id", sort=False)))
        for i in missing:
            self._details[entity_type, i] = (
                by_driver.get(i, drivers.iloc[:0]),
                by_action.get(i, actions.iloc[:0]),
            )

    def entity(self, entity_type: str) -> pd.DataFrame:
        """One population's scores."""
        if entity_type not in self._by_entity:
            self._by_entity[entity_type] = self.scores[self.scores["entity_type"] == entity_type]
        return self._by_entity[entity_type]

    def branch(self, entity_type: str, branch_id: str) -> pd.DataFrame:
        """One population's scores in one branch (grouped once for every branch)."""
        key = f"{entity_type} by branch"
        if key not in self._by_entity:
            groups = self.entity(entity_type).groupby("branch_id", sort=False)
            self._by_branch[entity_type] = dict(tuple(groups))
            self._by_entity[key] = self.scores.iloc[:0]
        found = self._by_branch[entity_type].get(branch_id)
        return found if found is not None else self.scores.iloc[:0]

    def driver_texts(self, entity_type: str, entity_id: str, lang: str, n: int = 3) -> list[str]:
        """The entity's top ``n`` drivers in plain words. A driver whose value is
        missing ("no data") is left out: the model may read the gap, but a manager
        cannot act on it as a reason."""
        self.prefetch(entity_type, [entity_id])
        rows = self._details[entity_type, str(entity_id)][0]
        rows = rows[rows["value"].notna()].sort_values("rank")
        return rows[f"text_{lang}"].head(n).fillna("").astype(str).tolist()

    def first_action(self, entity_type: str, entity_id: str, lang: str) -> str:
        """The entity's most urgent suggested action (empty when it has none)."""
        self.prefetch(entity_type, [entity_id])
        rows = self._details[entity_type, str(entity_id)][1].sort_values("rank")
        return str(rows[lang].iloc[0]) if len(rows) else ""

    @cached_property  # read on every report of a batch; scores hold millions of rows
    def models(self) -> str:
        """The models of the run, as ``name@version``, comma separated."""
        used = self.scores[["model", "model_version"]].drop_duplicates()
        return ", ".join(sorted(f"{m}@{v}" for m, v in used.itertuples(index=False)))


def load_report_run(engine: sa.Engine, source: str, *, as_of: str | None = None) -> ReportRun:
    """The current run (or the run at ``as_of``) with what the reports need, and the
    bank's tables from ``source``.

    Raises
    ------
    ReportError
        There is no such complete scoring run in the store.
    """
    run_id = current_run_id(engine, as_of=as_of)
    if run_id is None:
        at = f" at {as_of}" if as_of else ""
        raise ReportError(
            f"there is no complete scoring run{at} in the store: run `attrition score` first"
        )
    scores = run_scores(engine, run_id, columns=SHOWN_COLUMNS)
    month = run_as_of(engine, run_id)
    bank = load_bank(source, tables=("interactions",))
    before = previous_run_id(engine, run_id, "client")
    previous = (
        run_scores(engine, before, "client", columns=RANKED_COLUMNS)
        if before is not None
        else pd.DataFrame(columns=RANKED_COLUMNS)
    )
    previous_as_of = run_as_of(engine, before) if before is not None else None
    moved, contacted, follow_up = _since(bank, previous_as_of, month)
    log.info("report inputs: run %s at %s, previous run %s", run_id, month, before)
    return ReportRun(
        run_id=int(run_id),
        as_of=month,
        scores=scores,
        plan=PlanOverview(*plan_overview(engine, run_id, shown=PLAN_SHOWN)),
        history=tier_history(engine, "client", up_to=run_id),
        rm_history=tier_history(engine, "rm", up_to=run_id),
        previous_as_of=previous_as_of,
        previous=previous,
        moved_out=moved,
        contacted=contacted,
        follow_up_months=follow_up,
        bank=bank,
        engine=engine,
    )


def listable(scores: pd.DataFrame, spec: ReportSpec) -> pd.DataFrame:
    """The rows a report may list by name: its tiers, at or above its cut-offs."""
    keep = scores["tier"].isin(spec.tiers)
    if spec.min_risk_3m is not None:
        keep &= scores["risk_3m"] >= spec.min_risk_3m
    if spec.min_value_at_risk is not None:
        keep &= scores["value_at_risk"] >= spec.min_value_at_risk
    return scores[keep]


def model_warnings(scores: pd.DataFrame, lang: str) -> list[str]:
    """The distinct model warnings of these score rows (a weak model, or an input that
    comes from one) in ``lang``, in the order they first appear. A run stored before
    warnings were kept in Chinese gives its English text."""
    found = scores["model_warning"]
    if lang == "zh":
        found = scores["model_warning_zh"].where(scores["model_warning_zh"].notna(), found)
    found = found.dropna().astype(str)
    return list(dict.fromkeys(w for text in found for w in text.split("\n") if w.strip()))


def _since(bank: BankData, previous: str | None, current: str) -> tuple[pd.Series, pd.Series, int]:
    """Per client of the previous run's population: moved assets out (the contract's
    outflow event) after the previous as-of month and by the current one, and had an
    RM contact in that time (the bank's interactions); and how many months of the
    bank's balances follow the previous as-of month (0: nothing to judge yet)."""
    empty = pd.Series(dtype=bool)
    if previous is None:
        return empty, empty, 0
    start, end = pd.Period(previous, "M"), pd.Period(current, "M")
    last = min(bank.last_month, end)
    follow_up = max(0, (last - start).n)
    if follow_up == 0:
        return empty, empty, 0
    labels = client_outflow_labels(bank, [start]).reset_index(level="as_of", drop=True)
    moved = labels["event"] & (labels["duration"] <= follow_up)
    contacted = pd.Series(False, index=labels.index)
    interactions = bank.get("interactions")
    if interactions is not None and not interactions.empty:
        when = pd.to_datetime(interactions["date"]).dt.to_period("M")
        seen = interactions.loc[(when > start) & (when <= last), "client_id"].unique()
        contacted = pd.Series(labels.index.isin(seen), index=labels.index)
    return moved.astype(bool), contacted, follow_up
