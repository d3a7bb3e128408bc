"""Pivoting long tables into dense panels, without per-entity loops.

Every function takes integer row codes and column positions (see :mod:`.grid`) and
scatters values into a ``[entities × months]`` array with ``np.bincount`` or fancy
indexing. Positions outside the panel (unknown ids, months outside the grid) are
dropped.
"""

from __future__ import annotations

import numpy as np


def _inside(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    return (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])


def scatter_sum(
    rows: np.ndarray, cols: np.ndarray, weights: np.ndarray | None, shape: tuple[int, int]
) -> np.ndarray:
    """Sum of ``weights`` (or a count when ``None``) per cell; empty cells are 0."""
    keep = _inside(rows, cols, shape)
    flat = rows[keep] * shape[1] + cols[keep]
    w = None if weights is None else np.asarray(weights, dtype=np.float64)[keep]
    out = np.bincount(flat, weights=w, minlength=shape[0] * shape[1])
    return out.astype(np.float64, copy=False).reshape(shape)


def scatter_value(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """One value per cell (keys are unique by contract); empty cells are NaN."""
    out = np.full(shape, np.nan)
    keep = _inside(rows, cols, shape)
    out[rows[keep], cols[keep]] = np.asarray(values, dtype=np.float64)[keep]
    return out


def scatter_max(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """Largest value per cell; empty cells are NaN."""
    out = np.full(shape, -np.inf)
    keep = _inside(rows, cols, shape)
    np.maximum.at(out, (rows[keep], cols[keep]), np.asarray(values, dtype=np.float64)[keep])
    out[np.isneginf(out)] = np.nan
    return out


def carry_forward(x: np.ndarray, limit: int | None = None) -> np.ndarray:
    """Fill NaN cells with the row's last value at or before that column (causal).

    ``limit`` caps how many months a value is carried (``None``: no cap).
    """
    n, m = x.shape
    cols = np.where(np.isnan(x), -1, np.arange(m))
    last = np.maximum.accumulate(cols, axis=1)
    rows = np.arange(n)[:, None]
    out = np.where(last >= 0, x[rows, np.maximum(last, 0)], np.nan)
    if limit is not None:
        out[(np.arange(m) - last) > limit] = np.nan
    return out


def interval_sum(
    rows: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    weights: np.ndarray | None,
    shape: tuple[int, int],
) -> np.ndarray:
    """Sum of ``weights`` over every column in ``first .. last`` (both included) per row.

    Intervals are clipped to the panel; empty ones add nothing. Built as a difference
    array (one ``+w`` at the start, one ``-w`` after the end) and a cumulative sum.
    """
    n, m = shape
    lo = np.maximum(first, 0)
    hi = np.minimum(last, m - 1)
    keep = (rows >= 0) & (rows < n) & (lo <= hi)
    r, lo, hi = rows[keep], lo[keep], hi[keep]
    start, stop = r * (m + 1) + lo, r * (m + 1) + hi + 1
    size = n * (m + 1)

    def running(w: np.ndarray | None) -> np.ndarray:
        diff = np.bincount(start, weights=w, minlength=size).astype(np.float64)
        diff -= np.bincount(stop, weights=w, minlength=size)
        return np.cumsum(diff.reshape(n, m + 1), axis=1)[:, :m]

    count = running(None)
    if weights is None:
        return count
    total = running(np.asarray(weights, dtype=np.float64)[keep])
    # A running sum of +w/-w leaves rounding dust where nothing is held: make it 0.
    total[count == 0] = 0.0
    return total


def expand_intervals(
    first: np.ndarray, last: np.ndarray, n_cols: int
) -> tuple[np.ndarray, np.ndarray]:
    """One ``(item, column)`` pair per column of each item's clipped interval.

    Returns
    -------
    item : numpy.ndarray of int64
        Position of the interval each pair comes from.
    col : numpy.ndarray of int64
        The column, in ``max(first, 0) .. min(last, n_cols - 1)``.
    """
    lo = np.maximum(np.asarray(first, dtype=np.int64), 0)
    hi = np.minimum(np.asarray(last, dtype=np.int64), n_cols - 1)
    length = np.maximum(hi - lo + 1, 0)
    item = np.repeat(np.arange(len(lo)), length)
    starts = np.cumsum(length) - length
    col = lo[item] + (np.arange(len(item)) - starts[item])
    return item, col


def take_rows(panel: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``panel[codes[i, t], t]`` for a panel of codes (``-1`` gives NaN).

    Used to read an owner's panel (an RM's book size, say) from each client's row.
    """
    m = panel.shape[1]
    cols = np.broadcast_to(np.arange(m), codes.shape)
    out = panel[np.maximum(codes, 0), cols].astype(np.float64)
    out[codes < 0] = np.nan
    return out


def shift(x: np.ndarray, k: int, fill: float = np.nan) -> np.ndarray:
    """Column ``t`` of the result holds column ``t - k`` of ``x`` (``fill`` for t < k)."""
    if k == 0:
        return x.copy()
    out = np.full_like(x, fill)
    if k < x.shape[1]:
        out[:, k:] = x[:, :-k]
    return out
