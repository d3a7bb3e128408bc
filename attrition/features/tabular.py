"""Tabular features: one row per entity and as-of month."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from attrition.contracts import BankData
from attrition.features.engine import (
    AsOf,
    Prepared,
    category_values,
    hook_values,
    hooks_mapping,
    make_index,
    numeric_panel,
)
from attrition.features.partitions import (
    check_partitions,
    computations,
    plan_run,
    table_order,
)
from attrition.features.specs import PopulationSpec


def build_features(
    data: BankData,
    entity: str,
    as_of: AsOf | Sequence[AsOf],
    *,
    spec: PopulationSpec | None = None,
    rm_risk: pd.Series | None = None,
    partitions: int = 1,
) -> pd.DataFrame:
    """Point-in-time features of every client or RM in the population at ``as_of``.

    Every value at as-of month ``M`` uses only data dated on or before the last day of
    ``M``; later rows are dropped and later facts in static columns (exit, closing and
    end dates) are treated as not yet happened.

    Parameters
    ----------
    data : BankData
        Typed contract tables. Only the four required tables are needed; the feature
        groups of absent optional tables are left out (no column, no error).
    entity : {"client", "rm"}
        Which population.
    as_of : str, pandas.Period, date, or a list of them
        As-of month(s), e.g. ``"2024-06"``. A list stacks landmark rows: one row per
        entity and as-of, indexed by ``(id, as_of)``. Panels are computed once, up to
        the latest as-of, and sliced.
    spec : PopulationSpec, optional
        Feature spec for ``entity``; the shipped one (``clients.yaml``/``rms.yaml``)
        by default.
    rm_risk : pandas.Series, optional
        Flight-risk score per RM id (or per ``(rm_id, as_of)``). For clients it adds
        ``rm_flight_risk``, the score of the RM owning the client at the as-of.
    partitions : int, default 1
        Compute over this many partitions of clients, one after another (see
        :mod:`attrition.features.partitions`): the same result, with no step holding
        every client's panels at once.

    Returns
    -------
    pandas.DataFrame
        Rows: entities in the population at each as-of, in entity-table order (clients
        opened and not closed by the month-end, with a balance row that month; RMs
        hired and not exited by it). Index: the id (``client_id`` / ``rm_id``, dtype
        ``string``), or a MultiIndex ``(id, as_of)`` with ``as_of`` as ``period[M]``
        when ``as_of`` is a list. Columns: feature names in spec order; numeric ones
        ``float64`` (NaN = not computable), categorical ones ``category``.

    Raises
    ------
    ConfigError
        Unknown entity, a spec for the other entity or reading unknown panels, an
        as-of that is not a month or is after the last month with balance data.

    Examples
    --------
    >>> X = build_features(data, "client", "2024-06")           # doctest: +SKIP
    >>> X = build_features(data, "rm", ["2024-03", "2024-06"])  # doctest: +SKIP
    """
    run = plan_run(data, entity, as_of, spec)
    frames = [
        assemble(prep, run.stacked, rm_risk)
        for prep in computations(data, run, check_partitions(partitions))
    ]
    if len(frames) == 1:
        return frames[0]
    out = pd.concat(frames)
    return out.iloc[table_order(data, run, out.index)]


def assemble(prep: Prepared, stacked: bool, rm_risk: pd.Series | None) -> pd.DataFrame:
    """The feature rows of one computation (the whole bank, or one partition)."""
    counts, rows, colidx = prep.cells()
    hooks = hooks_mapping(rm_risk)
    columns: dict[str, object] = {}
    for f in prep.spec.features:
        if f.kind == "numeric":
            panel = numeric_panel(prep.ctx, prep.spec, f)
            if panel is not None:
                columns[f.name] = panel[rows, colidx]
        elif f.kind == "category":
            cat = category_values(prep.ctx, prep.spec, f)
            if cat is not None:
                columns[f.name] = cat.take(rows)
        elif f.kind == "hook" and f.source in hooks:
            columns[f.name] = hook_values(prep.ctx, f, hooks[f.source], rows, colidx)
    index = make_index(prep, rows, stacked=stacked, counts=counts)
    return pd.DataFrame(columns, index=index)
