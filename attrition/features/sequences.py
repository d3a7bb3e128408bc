"""Monthly feature sequences for sequence models, from the same panels as the tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from attrition.contracts import BankData
from attrition.errors import ConfigError
from attrition.features.engine import AsOf, Prepared, feature_panels, make_index
from attrition.features.partitions import check_partitions, computations, plan_run, table_order
from attrition.features.specs import PopulationSpec


@dataclass(frozen=True, eq=False)
class SequenceBatch:
    """Month-by-month features of a population, left-padded to a fixed length.

    Attributes
    ----------
    values : numpy.ndarray of float32, shape (n, months, n_features)
        Step ``-1`` is the as-of month; step ``-1 - k`` is ``k`` months earlier.
        NaN marks "no value": a step where the entity had no data (``mask`` False,
        including left padding), or a feature not computable that month. NaN is kept
        so that the last step equals :func:`build_features` exactly; use
        :meth:`filled` to get zeros instead.
    mask : numpy.ndarray of bool, shape (n, months)
        True where the entity was in its population that month (clients: open, not
        closed, with a balance row; RMs: employed). Short histories have leading
        False steps.
    ids : pandas.Index of str, length n
        Entity ids (``client_id`` / ``rm_id``).
    as_of : pandas.PeriodIndex, length n
        Each row's as-of month.
    feature_names : tuple of str
        Numeric features of the spec, in spec order. Categorical features (static:
        segment, grade) and hooks are not in sequences; join them from
        :func:`build_features`.
    """

    values: np.ndarray
    mask: np.ndarray
    ids: pd.Index
    as_of: pd.PeriodIndex
    feature_names: tuple[str, ...]

    @property
    def n_steps(self) -> int:
        """Sequence length in months."""
        return int(self.values.shape[1])

    @property
    def months(self) -> pd.PeriodIndex:
        """Calendar months of the steps (all rows must share one as-of).

        Raises
        ------
        ConfigError
            The batch stacks several as-of months; each row then has its own months
            (``as_of[i] - n_steps + 1 .. as_of[i]``).
        """
        if len(self.as_of) == 0:
            return pd.PeriodIndex([], freq="M")
        if self.as_of.nunique() > 1:
            raise ConfigError(
                "this batch stacks several as-of months; row i covers "
                "as_of[i] - n_steps + 1 .. as_of[i]"
            )
        last = self.as_of[0]
        return pd.period_range(end=last, periods=self.n_steps, freq="M")

    @property
    def index(self) -> pd.MultiIndex:
        """``(id, as_of)`` per row, to join labels or :func:`build_features` rows."""
        return pd.MultiIndex.from_arrays([self.ids, self.as_of])

    def filled(self, value: float = 0.0) -> np.ndarray:
        """``values`` with NaN replaced by ``value`` (read ``mask`` for missing steps)."""
        return np.nan_to_num(self.values, nan=value)


def build_sequences(
    data: BankData,
    entity: str,
    as_of: AsOf | Sequence[AsOf],
    *,
    months: int = 12,
    spec: PopulationSpec | None = None,
    partitions: int = 1,
) -> SequenceBatch:
    """The last ``months`` monthly feature vectors of each entity in the population.

    Uses the same panels as :func:`build_features`, so the last step of each row
    equals that function's numeric columns at the same as-of (as float32).

    Parameters
    ----------
    data : BankData
        Typed contract tables.
    entity : {"client", "rm"}
    as_of : str, pandas.Period, date, or a list of them
        As-of month(s); a list stacks one batch row per entity and as-of.
    months : int, default 12
        Sequence length; earlier months than the data holds are padding.
    spec : PopulationSpec, optional
        Feature spec for ``entity`` (the shipped one by default).
    partitions : int, default 1
        Compute over this many partitions of clients (as :func:`build_features`).

    Returns
    -------
    SequenceBatch
        Rows in the same order as :func:`build_features` for the same arguments.

    Raises
    ------
    ConfigError
        As :func:`build_features`, or ``months`` < 1.
    """
    if not isinstance(months, int) or months < 1:
        raise ConfigError(f"months must be a whole number ≥ 1, got {months!r}")
    run = plan_run(data, entity, as_of, spec)
    n = check_partitions(partitions)
    batches = [_batch(prep, months) for prep in computations(data, run, n)]
    if len(batches) == 1:
        return batches[0]
    ids = pd.Index(np.concatenate([b.ids.to_numpy(dtype=object) for b in batches]), dtype="string")
    as_of_all = pd.PeriodIndex.from_ordinals(
        np.concatenate([b.as_of.asi8 for b in batches]), freq="M"
    )
    order = table_order(data, run, pd.MultiIndex.from_arrays([ids, as_of_all]))
    first = batches[0]
    return SequenceBatch(
        values=np.concatenate([b.values for b in batches])[order],
        mask=np.concatenate([b.mask for b in batches])[order],
        ids=pd.Index(ids[order], name=first.ids.name),
        as_of=as_of_all[order].rename(first.as_of.name),
        feature_names=first.feature_names,
    )


def _batch(prep: Prepared, months: int) -> SequenceBatch:
    """The sequences of one computation (the whole bank, or one partition)."""
    counts, rows, last = prep.cells()
    steps = last[:, None] + np.arange(1 - months, 1)[None, :]
    inside = steps >= 0
    safe = np.maximum(steps, 0)
    mask = prep.members[rows[:, None], safe] & inside
    n_numeric = sum(f.kind == "numeric" for f in prep.spec.features)
    values = np.full((len(rows), months, n_numeric), np.nan, dtype=np.float32)
    names: list[str] = []
    for name, panel in feature_panels(prep):
        v = values[:, :, len(names)]
        v[...] = panel[rows[:, None], safe]
        v[~mask] = np.nan
        names.append(name)
    if len(names) < n_numeric:
        values = np.ascontiguousarray(values[:, :, : len(names)])
    index = make_index(prep, rows, stacked=True, counts=counts)
    return SequenceBatch(
        values=values,
        mask=mask,
        ids=index.get_level_values(0),
        as_of=pd.PeriodIndex(index.get_level_values(1), freq="M"),
        feature_names=tuple(names),
    )
