"""Partitions of clients: one feature computation split so that no step holds the bank.

Clients are hashed by id into partitions; a partition holds every row of its clients
(the client-keyed tables) and every RM (the RM tables are small). The run is fixed
first and never derived from what a partition happens to hold: the month grid, the
as-of months, and the levels of every category and peer-group column (:class:`Run`).
Then two passes over the partitions:

1. :func:`partials`: per partition, the partial aggregates of the cross-entity
   features: per-RM sums of the RM panels made from clients (a book, the contacts an
   RM made; see :func:`~attrition.features.registry.register_sums`) and the
   ``(group, month, value)`` pairs that set each clients' peer median;
2. :func:`reduce_partials` adds the sums and takes the medians once, into a
   :class:`~attrition.features.context.Shared`, which every partition's features
   then read (:func:`partition_features`): an RM's book reaches its clients, a
   segment's median reaches every client of the segment.

RM features need no partition of their own: the RMs' context holds every RM, with the
summed panels given. The pandas engine (:func:`attrition.features.build_features` with
``partitions > 1``) runs these functions one partition after another; the Spark
engine runs the same functions on executors. Results equal the whole-bank computation
exactly (``tests/attrition/features/test_partitions.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from attrition.contracts import BankData, check_months
from attrition.coverage import coverage_of_counts, month_counts
from attrition.errors import ConfigError
from attrition.features.context import PanelContext, Shared, point_in_time
from attrition.features.engine import (
    AsOf,
    Prepared,
    check_sources,
    group_codes,
    membership,
    parse_as_of,
    resolve_spec,
)
from attrition.features.grid import MonthGrid
from attrition.features.primitives import PRIMITIVES, group_values, median_by_key, peer_base
from attrition.features.registry import MissingSourceError, SourceDef, summed_sources
from attrition.features.specs import FeatureSpec, PopulationSpec

# Tables whose rows belong to one client: a partition holds its clients' rows of each.
CLIENT_KEYED: tuple[str, ...] = (
    "clients",
    "monthly_balances",
    "transactions",
    "holdings",
    "interactions",
    "assignments",
)


@dataclass(frozen=True)
class Run:
    """What every partition computes against: the population, as-of months, the month
    grid and the levels of category and peer-group columns over the whole bank."""

    spec: PopulationSpec
    periods: list[pd.Period]
    stacked: bool
    grid: MonthGrid
    levels: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def entity(self) -> str:
        return self.spec.entity


# Monthly tables whose months fix a run: the grid starts at the first month of either,
# and the as-of months must lie in their coverage (:func:`attrition.contracts.check_months`).
MONTHLY: tuple[str, ...] = ("monthly_balances", "rm_monthly")


@dataclass
class Facts:
    """What a run is planned from, summable over parts of the bank: rows per month of
    the :data:`MONTHLY` tables, and the values of the category and peer-group columns
    as known at the run's last month."""

    counts: dict[str, pd.Series] = field(default_factory=dict)
    values: dict[str, set[str]] = field(default_factory=dict)


def level_columns(pop: PopulationSpec) -> list[str]:
    """The entity-table columns whose levels a run fixes (categories and peer groups)."""
    columns = {f.source for f in pop.features if f.kind == "category"}
    columns |= {pop.peer_column(str(f.peers)) for f in pop.features if f.peers is not None}
    return sorted(columns)


def facts(data: BankData, pop: PopulationSpec, stop: pd.Period, tables: Iterable[str]) -> Facts:
    """The :class:`Facts` of ``tables`` of ``data`` (a bank, a partition of its clients,
    or its RM tables) for a run ending at month ``stop``."""
    wanted = set(tables)
    counts = {t: month_counts(data[t]["month"]) for t in MONTHLY if t in wanted and t in data}
    values: dict[str, set[str]] = {}
    if pop.table in wanted:
        at_stop = MonthGrid(int(stop.ordinal), int(stop.ordinal))
        table = point_in_time(data[pop.table], pop.table, at_stop)
        values = {
            f"{pop.table}.{c}": set(table[c].astype("string").dropna().unique())
            for c in level_columns(pop)
            if c in table.columns
        }
    return Facts(counts, values)


def reduce_facts(parts: Iterable[Facts]) -> Facts:
    """The facts of the union of disjoint parts: counts added, values united."""
    out = Facts()
    for part in parts:
        for t, c in part.counts.items():
            out.counts[t] = out.counts[t].add(c, fill_value=0) if t in out.counts else c
        for k, v in part.values.items():
            out.values.setdefault(k, set()).update(v)
    return out


def plan_from(
    summary: Facts, pop: PopulationSpec, periods: list[pd.Period], stacked: bool
) -> Run:
    """Check the as-of months against the data's range and fix the run (see :class:`Run`)."""
    coverages = {t: coverage_of_counts(c) for t, c in summary.counts.items()}
    check_months(coverages, periods, what="as-of", entities=(pop.entity,))
    stop = int(max(periods).ordinal)
    # Only months up to the last as-of decide the start, so later data never moves it.
    starts = [
        int(o[o <= stop].min())
        for c in summary.counts.values()
        if ((o := pd.PeriodIndex(c[c > 0].index, freq="M").asi8) <= stop).any()
    ]
    grid = MonthGrid(min(starts) if starts else stop, stop)
    levels = {k: tuple(sorted(v)) for k, v in sorted(summary.values.items())}
    return Run(pop, periods, stacked, grid, levels)


def plan_args(
    entity: str, as_of: AsOf | Sequence[AsOf], spec: PopulationSpec | None
) -> tuple[PopulationSpec, list[pd.Period], bool]:
    """The population spec and as-of months of a run, checked."""
    pop = resolve_spec(entity, spec)
    check_sources(pop)
    periods, stacked = parse_as_of(as_of)
    return pop, periods, stacked


def plan_run(
    data: BankData, entity: str, as_of: AsOf | Sequence[AsOf], spec: PopulationSpec | None
) -> Run:
    """Validate the arguments and fix the run (see :class:`Run`) from the whole bank."""
    pop, periods, stacked = plan_args(entity, as_of, spec)
    return plan_from(facts(data, pop, max(periods), data.tables), pop, periods, stacked)


def partition_of(ids: pd.Series | np.ndarray, n: int) -> np.ndarray:
    """The partition (``0 … n-1``) of each client id: a keyed hash of the id's text,
    the same in every run and process."""
    text = np.asarray(pd.Series(ids, dtype="string").fillna(""), dtype=object)
    return (pd.util.hash_array(text, categorize=False) % np.uint64(n)).astype(np.int64)


def partition_rows(data: BankData, n: int) -> dict[str, list[np.ndarray]]:
    """Per client-keyed table, the row positions of each of the ``n`` partitions
    (hashed once per run; both passes reuse them)."""
    out = {}
    for t in CLIENT_KEYED:
        if t in data:
            codes = partition_of(data[t]["client_id"], n)
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(n + 1))
            out[t] = [order[bounds[p] : bounds[p + 1]] for p in range(n)]
    return out


def split_bank(
    data: BankData, n: int, rows: dict[str, list[np.ndarray]] | None = None
) -> Iterator[BankData]:
    """The bank's ``n`` partitions, one at a time (each a copy of its clients' rows);
    ``rows`` from :func:`partition_rows` when already known."""
    rows = partition_rows(data, n) if rows is None else rows
    for p in range(n):
        tables = dict(data.tables)
        for t, r in rows.items():
            tables[t] = data[t].iloc[r[p]]
        yield BankData(tables=tables, source=data.source)


def rm_view(data: BankData) -> BankData:
    """The bank without its clients' rows (every RM table whole): the RMs' context of a
    partitioned run, where whatever comes from clients is given as summed panels."""
    tables = {t: (df.iloc[:0] if t in CLIENT_KEYED else df) for t, df in data.tables.items()}
    return BankData(tables=tables, source=data.source)


@dataclass
class Partials:
    """One partition's partial aggregates (see the module doc)."""

    sums: dict[tuple[str, ...], dict[str, np.ndarray]] = field(default_factory=dict)
    peers: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


def _peer_features(run: Run) -> list[FeatureSpec]:
    """The run's client features compared with a peer median (RMs are never split)."""
    if run.entity != "client":
        return []
    return [
        f for f in run.spec.features if f.kind == "numeric" and PRIMITIVES[f.primitive].needs_groups
    ]


def _summed(ctx: PanelContext) -> list[SourceDef]:
    return [s for s in summed_sources("rm") if all(ctx.has(t) for t in s.tables)]


def partials(part: BankData, run: Run) -> Partials:
    """Pass 1 over one partition: per-RM sums and peer-median values."""
    ctx = PanelContext(part, run.grid, Shared(levels=run.levels))
    out = Partials()
    for src in _summed(ctx):
        assert src.sums is not None
        try:
            out.sums[src.outputs] = src.sums(ctx)
        except MissingSourceError:
            continue  # an optional column is absent: its panels are skipped everywhere
    for f in _peer_features(run):
        try:
            x = ctx.panel(run.entity, f.source)
        except MissingSourceError:
            continue
        base = peer_base(x.astype(np.float64, copy=False), f.window or 1)
        groups = group_codes(ctx, run.spec, str(f.peers))
        out.peers[f.name] = group_values(base, groups, membership(ctx, run.spec))
    return out


def reduce_partials(parts: Iterable[Partials], run: Run) -> Shared:
    """Add the partitions' sums, finish them into RM panels, take the peer medians."""
    total: dict[tuple[str, ...], dict[str, np.ndarray]] = {}
    keys: dict[str, list[np.ndarray]] = {}
    values: dict[str, list[np.ndarray]] = {}
    for part in parts:
        for outputs, sums in part.sums.items():
            acc = total.setdefault(outputs, {})
            for name, arr in sums.items():
                acc[name] = acc[name] + arr if name in acc else arr.copy()
        for name, (k, v) in part.peers.items():
            keys.setdefault(name, []).append(k)
            values.setdefault(name, []).append(v)
    finish = {src.outputs: src.finish for src in summed_sources("rm")}
    panels: dict[tuple[str, str], np.ndarray] = {}
    for outputs, sums in total.items():
        fin = finish[outputs]
        assert fin is not None
        panels.update({("rm", name): arr for name, arr in fin(sums).items()})
    medians = {}
    for f in _peer_features(run):
        if f.name in keys:
            column = run.spec.peer_column(str(f.peers))
            n_groups = len(run.levels.get(f"{run.spec.table}.{column}", ()))
            medians[f.name] = median_by_key(
                np.concatenate(keys[f.name]), np.concatenate(values[f.name]), n_groups, run.grid.n
            )
    return Shared(levels=run.levels, panels=panels, medians=medians)


def prepared(part: BankData, run: Run, shared: Shared) -> Prepared:
    """Pass 2 set-up over one partition (or the RMs' view): the engine's computation
    with the run's grid and the shared aggregates."""
    ctx = PanelContext(part, run.grid, shared)
    return Prepared(ctx, run.spec, membership(ctx, run.spec), run.periods)


def computations(data: BankData, run: Run, partitions: int) -> Iterator[Prepared]:
    """The computations of a run, one after another: the whole bank once
    (``partitions == 1``); or, after pass 1 and the reduce, the RMs' view once (RMs) or
    each partition of clients in turn (clients). Each holds only its own panels."""
    if partitions == 1:
        yield prepared(data, run, Shared(levels=run.levels))
        return
    rows = partition_rows(data, partitions)
    shared = reduce_partials((partials(p, run) for p in split_bank(data, partitions, rows)), run)
    if run.entity == "rm":
        yield prepared(rm_view(data), run, shared)
        return
    for part in split_bank(data, partitions, rows):
        yield prepared(part, run, shared)


def check_partitions(partitions: object) -> int:
    """``partitions`` as a count, or a ConfigError saying what was expected."""
    if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
        raise ConfigError(f"partitions must be a whole number >= 1, got {partitions!r}")
    return partitions


def table_order(data: BankData, run: Run, index: pd.Index) -> np.ndarray:
    """Positions that put partitioned rows in the whole-bank order: by as-of month,
    then by the entity's row in its table."""
    table = data[run.spec.table]
    ids = index.get_level_values(0) if isinstance(index, pd.MultiIndex) else index
    pos = pd.Index(table[run.spec.id_col].astype("string")).get_indexer(ids.astype("string"))
    if isinstance(index, pd.MultiIndex):
        block = pd.PeriodIndex(run.periods, freq="M").get_indexer(index.get_level_values(1))
        return np.lexsort((pos, block))
    return np.argsort(pos, kind="stable")
