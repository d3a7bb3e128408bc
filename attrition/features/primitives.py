"""Point-in-time primitives over monthly panels.

Each primitive is a pure, vectorised function of one or more panels
(``[entities × months]`` float arrays, NaN = no data) that returns a panel of the
same shape whose column ``t`` depends only on columns ``≤ t``: every window is a
*trailing* window. So one call gives both the tabular value at any as-of (take that
column) and the month-by-month sequence (take the columns up to it).

Windows count months and include the current one: ``window=3`` at month ``t`` reads
``t-2, t-1, t``. Missing months inside a window are skipped; a window with no data
gives NaN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from attrition.features.panels import shift

_EPS = 1e-12


def _sum_count(x: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    total = np.zeros_like(x)
    count = np.zeros(x.shape, dtype=np.int64)
    for j in range(window):
        s = shift(x, j)
        ok = ~np.isnan(s)
        total += np.where(ok, s, 0.0)
        count += ok
    return total, count


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(den) > _EPS, num / np.where(np.abs(den) > _EPS, den, 1.0), np.nan)


def rolling_sum(x: np.ndarray, *, window: int) -> np.ndarray:
    """Sum over the trailing ``window`` months (NaN when all of them are missing)."""
    total, count = _sum_count(x, window)
    return np.where(count > 0, total, np.nan)


def rolling_mean(x: np.ndarray, *, window: int) -> np.ndarray:
    """Mean over the trailing ``window`` months, skipping missing months."""
    total, count = _sum_count(x, window)
    return _divide(total, count.astype(np.float64))


def rolling_max(x: np.ndarray, *, window: int) -> np.ndarray:
    """Largest value over the trailing ``window`` months."""
    out = x.copy()
    for j in range(1, window):
        out = np.fmax(out, shift(x, j))
    return out


def level(x: np.ndarray, *, window: int = 1, divide_by: float = 1.0) -> np.ndarray:
    """The value (mean over ``window`` months when > 1), divided by ``divide_by``.

    ``divide_by`` turns a count into a load, e.g. book size / an RM's capacity.
    """
    base = x if window == 1 else rolling_mean(x, window=window)
    return base / float(divide_by)


def change(x: np.ndarray, *, window: int, smooth: int = 1) -> np.ndarray:
    """Relative change over ``window`` months: ``a[t] / a[t - window] - 1``.

    ``a`` is ``x`` averaged over ``smooth`` trailing months (1 = the raw value). NaN
    where the earlier value is missing or not positive. E.g. ``[100, 100, 100, 50]``
    with ``window=3`` gives ``-0.5`` in the last month.
    """
    a = x if smooth == 1 else rolling_mean(x, window=smooth)
    before = shift(a, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(before > _EPS, a / np.where(before > _EPS, before, 1.0) - 1.0, np.nan)


def diff(x: np.ndarray, *, window: int) -> np.ndarray:
    """Difference over ``window`` months: ``x[t] - x[t - window]`` (for shares, scores)."""
    return x - shift(x, window)


def slope(
    x: np.ndarray, *, window: int, normalise: bool = False, min_points: int = 2
) -> np.ndarray:
    """Least-squares slope per month over the trailing ``window`` months.

    Missing months are left out of the fit; fewer than ``min_points`` points give NaN.
    ``normalise=True`` divides by the window's mean absolute level, giving a relative
    trend (0.05 = growing 5% of its level per month).
    """
    n = np.zeros(x.shape)
    st = np.zeros(x.shape)
    sx = np.zeros(x.shape)
    stt = np.zeros(x.shape)
    stx = np.zeros(x.shape)
    sax = np.zeros(x.shape)
    for j in range(window):
        s = shift(x, j)
        ok = ~np.isnan(s)
        v = np.where(ok, s, 0.0)
        tau = float(window - 1 - j)
        n += ok
        st += ok * tau
        stt += ok * tau * tau
        sx += v
        stx += v * tau
        sax += np.abs(v)
    den = n * stt - st * st
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((n >= min_points) & (den > _EPS), (n * stx - st * sx) / den, np.nan)
        if normalise:
            out = _divide(out, sax / np.maximum(n, 1))
    return out


def volatility(x: np.ndarray, *, window: int) -> np.ndarray:
    """Standard deviation (ddof=1) of month-on-month relative changes over ``window``.

    A change needs both months present and the earlier one positive; at least two
    changes are needed.
    """
    prev = shift(x, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(prev > _EPS, x / np.where(prev > _EPS, prev, 1.0) - 1.0, np.nan)
    total, count = _sum_count(r, window)
    sq, _ = _sum_count(r * r, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (sq - total * total / np.maximum(count, 1)) / np.maximum(count - 1, 1)
    return np.where(count >= 2, np.sqrt(np.maximum(var, 0.0)), np.nan)


def drawdown(x: np.ndarray, *, window: int) -> np.ndarray:
    """Fall from the trailing ``window``-month peak: ``x[t] / max - 1`` (≤ 0)."""
    peak = rolling_max(x, window=window)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(peak > _EPS, x / np.where(peak > _EPS, peak, 1.0) - 1.0, np.nan)


def recency(x: np.ndarray) -> np.ndarray:
    """Months since the last month with a positive value (0 = this month; NaN = never)."""
    m = x.shape[1]
    cols = np.where(x > 0, np.arange(m), -1)
    last = np.maximum.accumulate(cols, axis=1)
    return np.where(last >= 0, np.arange(m) - last, np.nan).astype(np.float64)


def rolling_count(x: np.ndarray, *, window: int) -> np.ndarray:
    """Number of months with a positive value in the trailing ``window`` months."""
    total, _ = _sum_count(np.where(x > 0, 1.0, 0.0), window)
    return total


def compound(x: np.ndarray, *, window: int) -> np.ndarray:
    """Compounded return over ``window`` months of monthly returns: ``∏(1 + r) - 1``.

    Missing months count as 0% (no position that month); all missing gives NaN.
    """
    growth = np.ones_like(x)
    any_ = np.zeros(x.shape, dtype=bool)
    for j in range(window):
        s = shift(x, j)
        ok = ~np.isnan(s)
        growth *= np.where(ok, 1.0 + s, 1.0)
        any_ |= ok
    return np.where(any_, growth - 1.0, np.nan)


def index_drawdown(x: np.ndarray, *, window: int) -> np.ndarray:
    """Drawdown of the value index built from monthly returns, over ``window`` months.

    The index compounds the returns (missing months count as 0%); the result is the
    index now over its highest point in the window, the level before the window's first
    return included, minus 1 (≤ 0).
    """
    any_ = np.zeros(x.shape, dtype=bool)
    growth = np.ones_like(x)  # after j+1 steps: index(t) / index(t - j - 1)
    worst = np.ones_like(x)
    for j in range(window):
        s = shift(x, j)
        ok = ~np.isnan(s)
        any_ |= ok
        growth *= np.where(ok, 1.0 + s, 1.0)
        worst = np.minimum(worst, growth)
    return np.where(any_, worst - 1.0, np.nan)


def rolling_ratio(x: np.ndarray, *, den: np.ndarray, window: int) -> np.ndarray:
    """``sum(x) / sum(den)`` over the trailing ``window`` months (NaN if ``sum(den)`` is 0)."""
    return _divide(rolling_sum(x, window=window), rolling_sum(den, window=window))


def ratio_to(x: np.ndarray, *, den: np.ndarray, window: int = 1) -> np.ndarray:
    """``sum(x)`` over the trailing ``window`` months divided by ``den`` this month.

    E.g. external outflow over 3 months as a share of this month's AUM.
    """
    num = x if window == 1 else rolling_sum(x, window=window)
    return _divide(num, den)


def peer_base(x: np.ndarray, window: int = 1) -> np.ndarray:
    """What a peer ratio compares: the value, or its mean over the trailing months."""
    return x if window == 1 else rolling_mean(x, window=window)


def group_values(
    x: np.ndarray, groups: np.ndarray, members: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The values that set each group's median: ``(key, value)`` with
    ``key = group * months + month``, one per non-missing cell of a row with a group
    (and, when ``members`` is given, in the population that month).

    Values from any split of the rows, concatenated, give the same medians
    (:func:`median_by_key`): this is how partitions of clients share one median.
    """
    m = x.shape[1]
    valid = ~np.isnan(x) & (groups[:, None] >= 0)
    if members is not None:
        valid &= members
    r, c = np.nonzero(valid)
    return groups[r] * m + c, x[r, c]


def median_by_key(key: np.ndarray, v: np.ndarray, n_groups: int, m: int) -> np.ndarray:
    """``[n_groups × m]`` medians of :func:`group_values` output (NaN for no values)."""
    out = np.full(n_groups * m, np.nan)
    if len(key):
        order = np.lexsort((v, key))
        key, v = key[order], v[order]
        uniq, start, counts = np.unique(key, return_index=True, return_counts=True)
        out[uniq] = (v[start + (counts - 1) // 2] + v[start + counts // 2]) / 2.0
    return out.reshape(n_groups, m)


def group_median(
    x: np.ndarray, groups: np.ndarray, members: np.ndarray | None = None
) -> np.ndarray:
    """Median of each group's non-missing values per month.

    Parameters
    ----------
    x : numpy.ndarray, shape (n, m)
    groups : numpy.ndarray of int, shape (n,)
        Group code per row, ``-1`` for none.
    members : numpy.ndarray of bool, shape (n, m), optional
        Which rows count as peers in each month (``None``: every row). A value can
        outlive the entity (a closed client's last balance, a leaver's trailing mean
        bonus), so only the rows in the population that month may set the median.

    Returns
    -------
    numpy.ndarray, shape (n_groups, m)
    """
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    return median_by_key(*group_values(x, groups, members), n_groups, x.shape[1])


def peer_ratio(
    x: np.ndarray,
    *,
    groups: np.ndarray,
    members: np.ndarray | None = None,
    window: int = 1,
    medians: np.ndarray | None = None,
) -> np.ndarray:
    """Value over its peer group's median in the same month (1 = typical for the group).

    ``window > 1`` averages each row over the trailing months first. Peers are the
    rows sharing a group code (branch, segment) and, when ``members`` is given, in the
    population that month (see :func:`group_median`); rows without a group get NaN.
    ``medians`` (``[groups × months]``) replaces the peers' median when the peers are
    not all in ``x`` (partitions of clients; see :func:`group_values`).
    """
    base = peer_base(x, window)
    med = group_median(base, groups, members) if medians is None else medians
    if med.shape[0] == 0:
        return np.full_like(base, np.nan)
    peer = med[np.maximum(groups, 0)]
    peer[groups < 0] = np.nan
    return _divide(base, peer)


@dataclass(frozen=True)
class Primitive:
    """A registered primitive and the extra inputs it takes.

    ``needs_window``: the spec must give ``window``. ``needs_den``: the spec must give
    ``denominator`` (a second panel). ``needs_groups``: the spec must give ``peers``;
    the engine then also passes ``members``, the population panel.
    """

    func: Callable[..., np.ndarray]
    needs_window: bool = True
    needs_den: bool = False
    needs_groups: bool = False
    params: tuple[str, ...] = ()


PRIMITIVES: dict[str, Primitive] = {
    "level": Primitive(level, needs_window=False, params=("divide_by",)),
    "change": Primitive(change, params=("smooth",)),
    "diff": Primitive(diff),
    "slope": Primitive(slope, params=("normalise", "min_points")),
    "volatility": Primitive(volatility),
    "drawdown": Primitive(drawdown),
    "recency": Primitive(recency, needs_window=False),
    "rolling_sum": Primitive(rolling_sum),
    "rolling_mean": Primitive(rolling_mean),
    "rolling_count": Primitive(rolling_count),
    "compound": Primitive(compound),
    "index_drawdown": Primitive(index_drawdown),
    "rolling_ratio": Primitive(rolling_ratio, needs_den=True),
    "ratio_to": Primitive(ratio_to, needs_window=False, needs_den=True),
    "peer_ratio": Primitive(peer_ratio, needs_window=False, needs_groups=True),
}
"""Primitive name (as written in a feature spec) → function and its inputs."""
