"""The feature engine: panels for a population, turned into feature panels by the spec.

:class:`Prepared` is one computation (grid, point-in-time tables, who is in the
population each month; :func:`attrition.features.partitions.computations` sets them
up, for the whole bank or per partition of clients); :func:`feature_panels` walks the
spec and yields each feature's full panel. Tabular rows and sequences are both slices
of those panels, which is why they agree by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from attrition.errors import ConfigError

# Builders register their panels on import.
from attrition.features import (  # noqa: F401
    balances,
    book,
    contacts,
    holdings,
    hr,
    ownership,
    profile,
    transactions,
)
from attrition.features.context import PanelContext
from attrition.features.grid import month_ordinals, to_period
from attrition.features.primitives import PRIMITIVES
from attrition.features.registry import MissingSourceError, known_sources
from attrition.features.specs import ENTITIES, FeatureSpec, PopulationSpec, default_spec

AsOf = str | pd.Period | pd.Timestamp | date

# How a hook value (keyed by RM id) reaches an entity: through the client's owner, or
# the RM itself.
LINKS: dict[str, Callable[[PanelContext], np.ndarray]] = {
    "owner": ownership.owner_codes,
    "self": lambda ctx: np.repeat(np.arange(ctx.shape("rm")[0])[:, None], ctx.grid.n, axis=1),
}


def parse_as_of(as_of: AsOf | Sequence[AsOf]) -> tuple[list[pd.Period], bool]:
    """As-of month(s) as monthly periods, and whether a list was given (landmark stacking).

    Raises
    ------
    ConfigError
        A value that is not a month (``'YYYY-MM'``, a ``Period``, a date).
    """
    stacked = isinstance(as_of, Sequence | pd.Index | np.ndarray) and not isinstance(as_of, str)
    values = list(as_of) if stacked else [as_of]
    if not values:
        raise ConfigError("as_of is an empty list; give at least one month such as '2024-06'")
    out = []
    for v in values:
        try:
            p = v.asfreq("M") if isinstance(v, pd.Period) else pd.Period(v, freq="M")
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"as_of {v!r} is not a month; expected 'YYYY-MM', a pandas Period or a date"
            ) from exc
        out.append(p)
    return out, stacked


def resolve_spec(entity: str, spec: PopulationSpec | None) -> PopulationSpec:
    """The spec to use for ``entity`` (the shipped one when ``spec`` is None)."""
    if entity not in ENTITIES:
        raise ConfigError(f"entity {entity!r} is not one of {list(ENTITIES)}")
    if spec is None:
        return default_spec(entity)
    if spec.entity != entity:
        raise ConfigError(f"spec is for entity {spec.entity!r} but entity={entity!r} was asked")
    return spec


@dataclass
class Prepared:
    """One computation: the context, the spec and who is in the population each month."""

    ctx: PanelContext
    spec: PopulationSpec
    members: np.ndarray  # bool [entities × months]
    periods: list[pd.Period]

    def as_of_columns(self) -> list[int]:
        """Grid column of each as-of (negative when before the grid)."""
        return [int(self.ctx.grid.col(p.ordinal)) for p in self.periods]

    def cells(self) -> tuple[list[int], np.ndarray, np.ndarray]:
        """Rows per as-of, then every selected (entity row, grid column) in output order."""
        per = [self.rows_at(c) for c in self.as_of_columns()]
        cols = [
            np.full(len(r), c, dtype=np.int64)
            for r, c in zip(per, self.as_of_columns(), strict=True)
        ]
        return [len(r) for r in per], np.concatenate(per), np.concatenate(cols)

    def rows_at(self, col: int) -> np.ndarray:
        """Entity rows in the population at grid column ``col``."""
        if col < 0:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self.members[:, col])


def membership(ctx: PanelContext, pop: PopulationSpec) -> np.ndarray:
    """Bool ``[entities × months]``: started by the month-end, not ended by it, and
    with the presence panel filled that month.

    Built once per context: it selects the rows scored and the peers of every peer
    feature (:func:`numeric_panel`), which must be the same entities.
    """

    def make() -> np.ndarray:
        tab = ctx.table(pop.table)
        t = ctx.grid.ordinals[None, :]
        inside = month_ordinals(tab[pop.start_col])[:, None] <= t
        if pop.end_col in tab.columns:
            inside &= month_ordinals(tab[pop.end_col])[:, None] > t
        if pop.presence is not None:
            inside &= ~np.isnan(ctx.panel(pop.entity, pop.presence))
        return inside

    key = f"members:{pop.entity}:{pop.table}.{pop.start_col}.{pop.end_col}:{pop.presence}"
    return ctx.memo(key, make)


def group_codes(ctx: PanelContext, pop: PopulationSpec, peers: str) -> np.ndarray:
    """Peer-group code of each entity: its position in the column's sorted levels
    (the run's, so every partition codes alike; -1 where the column is empty)."""
    col = pop.peer_column(peers)

    def make() -> np.ndarray:
        values = ctx.table(pop.table)[col].astype("string")
        levels = pd.Index(ctx.levels(pop.table, col), dtype="string")
        return levels.get_indexer(values).astype(np.int64)

    return ctx.memo(f"groups:{pop.table}.{col}", make)


def check_sources(pop: PopulationSpec) -> None:
    """Refuse a spec whose numeric features read panels nobody builds."""
    known = set(known_sources(pop.entity))
    for f in pop.features:
        if f.kind != "numeric":
            continue
        for name in (f.source, f.denominator):
            if name is not None and name not in known:
                raise ConfigError(
                    f"feature {f.name!r} reads panel {name!r}, which no builder makes for "
                    f"{pop.entity}s; known panels: {sorted(known)}"
                )


def numeric_panel(ctx: PanelContext, pop: PopulationSpec, f: FeatureSpec) -> np.ndarray | None:
    """The full panel of a numeric feature, or None when its data is absent."""
    prim = PRIMITIVES[f.primitive]
    kwargs: dict[str, Any] = dict(f.params)
    try:
        x = ctx.panel(pop.entity, f.source)
        if prim.needs_den:
            kwargs["den"] = ctx.panel(pop.entity, str(f.denominator))
    except MissingSourceError:
        return None
    if f.window is not None:
        kwargs["window"] = f.window
    if prim.needs_groups:
        kwargs["groups"] = group_codes(ctx, pop, str(f.peers))
        # Peers are the population of each month, not every row with a value: a closed
        # client's last balance or a leaver's trailing bonus would move the median.
        kwargs["members"] = membership(ctx, pop)
        # Over partitions of clients the peers are in every partition: the run's median
        kwargs["medians"] = ctx.shared.medians.get(f.name)
    return prim.func(x.astype(np.float64, copy=False), **kwargs)


def category_values(
    ctx: PanelContext, pop: PopulationSpec, f: FeatureSpec
) -> pd.Categorical | None:
    """The entity-table column of a category feature, categories sorted (the run's
    levels, so that every partition has the same categories; None if absent)."""
    tab = ctx.table(pop.table)
    if f.source not in tab.columns:
        return None
    values = tab[f.source].astype("string")
    cats = list(ctx.levels(pop.table, f.source))
    return pd.Categorical(values.to_numpy(dtype=object, na_value=None), categories=cats)


def hook_values(
    ctx: PanelContext,
    f: FeatureSpec,
    hook: pd.Series,
    rows: np.ndarray,
    cols: np.ndarray,
) -> np.ndarray:
    """Hook values (keyed by RM id, or by ``(rm_id, as_of)``) for the selected cells."""
    link = LINKS[dict(f.params).get("via", "owner")](ctx)
    rm_code = link[rows, cols]
    rm_ids = ctx.index["rm"].to_numpy(dtype=object)[np.maximum(rm_code, 0)]
    if isinstance(hook.index, pd.MultiIndex):
        months = to_period(ctx.grid.ordinals[cols])
        keys = pd.MultiIndex.from_arrays([pd.Index(rm_ids, dtype=object), months])
        h = hook.copy()
        h.index = pd.MultiIndex.from_arrays(
            [
                h.index.get_level_values(0).astype(object),
                pd.PeriodIndex(h.index.get_level_values(1), freq="M"),
            ]
        )
        vals = h.reindex(keys).to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        h = pd.Series(
            hook.to_numpy(dtype=np.float64, na_value=np.nan), index=hook.index.astype(object)
        )
        vals = h.reindex(pd.Index(rm_ids, dtype=object)).to_numpy(dtype=np.float64)
    vals[rm_code < 0] = np.nan
    return vals


def feature_panels(prep: Prepared) -> Iterator[tuple[str, np.ndarray]]:
    """Each available numeric feature's name and full panel, in spec order."""
    for f in prep.spec.features:
        if f.kind != "numeric":
            continue
        panel = numeric_panel(prep.ctx, prep.spec, f)
        if panel is not None:
            yield f.name, panel


def make_index(
    prep: Prepared, rows: np.ndarray, *, stacked: bool, counts: Sequence[int]
) -> pd.Index:
    """Row index: entity ids (``string``), with an ``as_of`` level when stacked."""
    ids = pd.Index(prep.ctx.index[prep.spec.entity][rows], name=prep.spec.id_col).astype("string")
    if not stacked:
        return ids
    as_of = pd.PeriodIndex(np.repeat(pd.PeriodIndex(prep.periods, freq="M"), counts), name="as_of")
    return pd.MultiIndex.from_arrays([ids, as_of])


def hooks_mapping(rm_risk: pd.Series | None) -> Mapping[str, pd.Series]:
    """Caller-given hook values by source name."""
    return {} if rm_risk is None else {"rm_risk": rm_risk}
