"""Metrics for survival predictions: ranking, accuracy, calibration and captured value.

One validated function per metric, in the manner of ``sksurv.metrics``:

- ranking: :func:`concordance_index_harrell`, :func:`concordance_index_uno` and
  :func:`cumulative_dynamic_auc`;
- accuracy: :func:`brier_score` and :func:`integrated_brier_score`;
- calibration: :func:`calibration_at` (risk bins against Kaplan–Meier, one ECE);
- business: :func:`captured_share` (value that left, caught in the top k% of the list);
- estimators: :func:`kaplan_meier` and :func:`censoring_kaplan_meier`.

The C-index, AUC and Brier functions reproduce scikit-survival's numbers (same tie
conventions; censoring weights from the Kaplan–Meier of the *training* censoring
distribution), but take plain arrays ``time, event`` instead of structured arrays and
run in O(n log n), so half a million rows take seconds.

Every function raises :class:`~survival.base.SurvivalDataError` (a ``ValueError``) for
bad data, naming the argument, and :class:`~survival.base.InvalidParameterError` for a
bad keyword.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from survival.base import InvalidParameterError, SurvivalDataError

__all__ = [
    "CalibrationResult",
    "brier_score",
    "calibration_at",
    "captured_share",
    "censoring_kaplan_meier",
    "concordance_index_harrell",
    "concordance_index_uno",
    "cumulative_dynamic_auc",
    "integrated_brier_score",
    "kaplan_meier",
]

# --------------------------------------------------------------------------- checks


def _first(mask: np.ndarray, n: int = 5) -> list[int]:
    """Positions of the first ``n`` true entries, for error messages."""
    return np.flatnonzero(mask)[:n].tolist()


def _as_1d(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise SurvivalDataError(f"{name!r} must be 1-D, got an array of shape {arr.shape}")
    if arr.size == 0:
        raise SurvivalDataError(f"{name!r} is empty; pass at least one value per entity")
    return arr


def _check_time(time: Any, name: str) -> np.ndarray:
    arr = _as_1d(time, name)
    try:
        t = arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise SurvivalDataError(
            f"{name!r} must hold numeric durations, got dtype {arr.dtype}"
        ) from exc
    bad = ~np.isfinite(t) | (t <= 0)
    if bad.any():
        raise SurvivalDataError(
            f"{name!r} has {int(bad.sum())} missing, infinite or non-positive durations "
            f"(first positions: {_first(bad)}, values: {t[bad][:5].tolist()}); "
            "durations must be finite and > 0"
        )
    return t


def _check_event(event: Any, name: str) -> np.ndarray:
    arr = _as_1d(event, name)
    if arr.dtype == bool:
        return arr
    try:
        e = arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise SurvivalDataError(f"{name!r} must be boolean or 0/1, got dtype {arr.dtype}") from exc
    bad = ~np.isin(e, (0.0, 1.0))
    if bad.any():
        raise SurvivalDataError(
            f"{name!r} has {int(bad.sum())} values that are not 0/1 or boolean "
            f"(first positions: {_first(bad)}, values: {e[bad][:5].tolist()})"
        )
    return e == 1.0


def _check_same_length(**arrays: np.ndarray) -> None:
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name!r} has {n}" for name, n in lengths.items())
        raise SurvivalDataError(f"inconsistent lengths: {listed}; pass one value per entity")


def _check_survival(
    time: Any, event: Any, time_name: str = "time", event_name: str = "event"
) -> tuple[np.ndarray, np.ndarray]:
    """Durations (> 0, float) and events (bool) of equal length, with at least one event."""
    t = _check_time(time, time_name)
    e = _check_event(event, event_name)
    _check_same_length(**{time_name: t, event_name: e})
    if not e.any():
        raise SurvivalDataError(
            f"{event_name!r} has no events (all {len(e)} entities are censored); "
            "the metric is undefined without at least one event"
        )
    return t, e


def _check_scores(values: Any, name: str, n: int, *, ndim: tuple[int, ...] = (1,)) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim not in ndim:
        shapes = " or ".join(f"{d}-D" for d in ndim)
        raise SurvivalDataError(f"{name!r} must be {shapes}, got shape {arr.shape}")
    try:
        x = arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise SurvivalDataError(f"{name!r} must be numeric, got dtype {arr.dtype}") from exc
    if x.shape[0] != n:
        raise SurvivalDataError(
            f"{name!r} has {x.shape[0]} rows but the test data has {n} entities; "
            "pass one prediction per entity"
        )
    bad = ~np.isfinite(x)
    if bad.any():
        rows = bad.reshape(n, -1).any(axis=1)
        raise SurvivalDataError(
            f"{name!r} has {int(bad.sum())} missing or infinite values "
            f"(first rows: {_first(rows)}); predictions must be finite"
        )
    return x


def _check_probabilities(x: np.ndarray, name: str) -> None:
    bad = (x < 0) | (x > 1)
    if bad.any():
        rows = bad.reshape(len(x), -1).any(axis=1)
        raise SurvivalDataError(
            f"{name!r} has {int(bad.sum())} values outside [0, 1] (first rows: "
            f"{_first(rows)}, values: {x[bad][:5].tolist()}); pass probabilities"
        )


def _check_tied_tol(tied_tol: Any) -> float:
    if isinstance(tied_tol, bool) or not isinstance(
        tied_tol, int | float | np.integer | np.floating
    ):
        raise InvalidParameterError(f"'tied_tol' must be a float >= 0, got {tied_tol!r}")
    if not (np.isfinite(tied_tol) and tied_tol >= 0):
        raise InvalidParameterError(f"'tied_tol' must be a finite float >= 0, got {tied_tol!r}")
    return float(tied_tol)


def _check_positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InvalidParameterError(f"{name!r} must be a positive number, got {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise InvalidParameterError(f"{name!r} must be finite and > 0, got {value!r}")
    return float(value)


def _check_eval_times(times: Any, time_test: np.ndarray) -> np.ndarray:
    """Strictly increasing evaluation times inside ``[min(time_test), max(time_test))``."""
    t = np.atleast_1d(np.asarray(times))
    if t.ndim != 1 or t.size == 0:
        raise SurvivalDataError(f"'times' must be a non-empty 1-D array, got shape {t.shape}")
    try:
        t = t.astype(float)
    except (TypeError, ValueError) as exc:
        raise SurvivalDataError(f"'times' must be numeric, got dtype {t.dtype}") from exc
    if not np.isfinite(t).all():
        raise SurvivalDataError(f"'times' must be finite, got {t[:10].tolist()}")
    if t.size > 1 and not (np.diff(t) > 0).all():
        raise SurvivalDataError(
            f"'times' must be strictly increasing (one column of predictions per time), "
            f"got {t[:10].tolist()}; sort them and reorder the prediction columns alike"
        )
    lo, hi = float(time_test.min()), float(time_test.max())
    outside = (t < lo) | (t >= hi)
    if outside.any():
        raise SurvivalDataError(
            f"'times' {t[outside][:5].tolist()} lie outside the test follow-up [{lo:g}, {hi:g}); "
            "every evaluation time must be >= the smallest and < the largest test duration"
        )
    return t


# --------------------------------------------------------------------------- Kaplan–Meier


def _counts(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, ...]:
    """Unique times, events, number at risk and censored at each (sksurv ``_compute_counts``)."""
    uniq, inv = np.unique(time, return_inverse=True)
    total = np.bincount(inv, minlength=uniq.size)
    deaths = np.bincount(inv[event], minlength=uniq.size)
    at_risk = time.size - np.concatenate(([0], np.cumsum(total)[:-1]))
    return uniq, deaths, at_risk, total - deaths


def _product_limit(n_events: np.ndarray, n_at_risk: np.ndarray) -> np.ndarray:
    ratio = np.divide(
        n_events,
        n_at_risk,
        out=np.zeros(n_events.shape[0], dtype=float),
        where=n_events != 0,
    )
    return np.cumprod(1.0 - ratio)


def kaplan_meier(time: Any, event: Any) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier estimate of the survival function S(t) = P(T > t).

    Parameters
    ----------
    time : array-like, shape = (n_samples,)
        Time of event or censoring, > 0.
    event : array-like, shape = (n_samples,)
        ``True``/1 for an event, ``False``/0 for right-censoring. All-censored data is
        allowed (the curve is then 1 everywhere).

    Returns
    -------
    unique_times : ndarray, shape = (n_times,)
        The sorted unique values of ``time``.
    survival : ndarray, shape = (n_times,)
        S at each unique time, right-continuous (the jump at a time is included).

    Raises
    ------
    SurvivalDataError
        If ``time`` or ``event`` is invalid or their lengths differ.

    See also
    --------
    censoring_kaplan_meier : the same estimator for the censoring distribution.
    """
    t = _check_time(time, "time")
    e = _check_event(event, "event")
    _check_same_length(time=t, event=e)
    uniq, deaths, at_risk, _ = _counts(t, e)
    return uniq, _product_limit(deaths, at_risk)


def censoring_kaplan_meier(time: Any, event: Any) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier estimate of the censoring survival G(t) = P(C > t).

    Censorings are the "events". At a time with both events and censorings, the events
    are taken to happen first and leave the risk set, as in sksurv's
    ``kaplan_meier_estimator(..., reverse=True)`` and ``CensoringDistributionEstimator``.

    Parameters
    ----------
    time : array-like, shape = (n_samples,)
        Time of event or censoring, > 0.
    event : array-like, shape = (n_samples,)
        ``True``/1 for an event, ``False``/0 for right-censoring.

    Returns
    -------
    unique_times : ndarray, shape = (n_times,)
        The sorted unique values of ``time``.
    survival : ndarray, shape = (n_times,)
        G at each unique time, right-continuous. If the largest time is a censoring with
        no one left at risk, G reaches 0 there.

    Raises
    ------
    SurvivalDataError
        If ``time`` or ``event`` is invalid or their lengths differ.
    """
    t = _check_time(time, "time")
    e = _check_event(event, "event")
    _check_same_length(time=t, event=e)
    uniq, deaths, at_risk, censored = _counts(t, e)
    return uniq, _product_limit(censored, at_risk - deaths)


def _step(unique_times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Right-continuous step function, 1 before the first time."""
    idx = np.searchsorted(unique_times, at, side="right") - 1
    return np.where(idx >= 0, values[np.maximum(idx, 0)], 1.0)


@dataclass(frozen=True, eq=False)
class _Censoring:
    """The training censoring distribution, evaluated only inside its support."""

    unique_times: np.ndarray
    survival: np.ndarray

    @classmethod
    def fit(cls, time: np.ndarray, event: np.ndarray) -> _Censoring:
        uniq, deaths, at_risk, censored = _counts(time, event)
        return cls(uniq, _product_limit(censored, at_risk - deaths))

    def at(self, at: np.ndarray, what: str) -> np.ndarray:
        """G at ``at``; raises beyond the last training time unless G has reached 0."""
        last = float(self.unique_times[-1])
        beyond = at > last
        if beyond.any() and self.survival[-1] > 0:
            raise SurvivalDataError(
                f"{int(beyond.sum())} {what} lie beyond the training follow-up (largest "
                f"training duration {last:g}; first offending values: "
                f"{np.unique(at[beyond])[:5].tolist()}); the censoring distribution is "
                "unknown there. Evaluate at earlier times, pass tau= to truncate, or "
                "train on data with longer follow-up"
            )
        return np.where(beyond, 0.0, _step(self.unique_times, self.survival, at))

    def inverse_at_events(self, time: np.ndarray, mask: np.ndarray, what: str) -> np.ndarray:
        """1 / G(time) where ``mask``, else 0; raises where G is 0 at an event used."""
        w = np.zeros(time.size)
        g = self.at(time[mask], what)
        zero = g == 0
        if zero.any():
            raise SurvivalDataError(
                f"the training censoring survival G is 0 at {int(zero.sum())} {what} "
                f"(first values: {np.unique(time[mask][zero])[:5].tolist()}): everyone in "
                "training was censored by then, so those events cannot be weighted. "
                "Truncate earlier (tau=, or earlier times)"
            )
        w[mask] = 1.0 / g
        return w


# --------------------------------------------------------------------------- concordance


def _count_dominated(
    point_key: np.ndarray, point_val: np.ndarray, query_key: np.ndarray, thresholds: np.ndarray
) -> np.ndarray:
    """Per query a and row k: #points with key > query_key[a] and val < thresholds[k, a]."""
    # Offline 2-D dominance counting by bottom-up divide and conquer: O(n log² n) time,
    # O(n) memory, where a pairwise comparison would be O(n²).
    n_p = point_key.size
    merged = np.concatenate((2 * point_key, 2 * query_key + 1))
    order = np.argsort(merged, kind="stable")
    size = order.size
    pos = np.arange(size)
    is_query = order >= n_p
    q_pos, q_id = pos[is_query], order[is_query] - n_p
    p_pos, p_val = pos[~is_query], point_val[order[~is_query]]
    thr = thresholds[:, q_id]
    stride = int(max(point_val.max(initial=0), thresholds.max(initial=0))) + 1
    counts = np.zeros(thr.shape, dtype=np.int64)
    width = 1
    # At the level where a query and a later point fall in sibling halves of one block,
    # the point is counted once; summed over levels this covers every later point.
    while width < size:
        right = (p_pos // width) % 2 == 1
        left = (q_pos // width) % 2 == 0
        keys = np.sort((p_pos[right] // (2 * width)) * stride + p_val[right])
        base = (q_pos[left] // (2 * width)) * stride
        start = np.searchsorted(keys, base, side="left")
        for k in range(thr.shape[0]):
            counts[k, left] += np.searchsorted(keys, base + thr[k, left], side="left") - start
        width *= 2
    out = np.empty_like(counts)
    out[:, q_id] = counts
    return out


def _prefix_length(
    uniq: np.ndarray,
    x: np.ndarray,
    guess: np.ndarray,
    holds: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """Per x, how many leading (sorted) ``uniq`` satisfy ``holds(u, x)``, true on a prefix."""
    # A search on x -/+ tol lands within a step of the boundary; stepping with the exact
    # predicate settles the rounding, so ties are |r_j - r_i| <= tol as sksurv computes.
    idx = guess.copy()
    # grow while the next value still holds, shrink while the last kept value fails
    while True:
        grow = idx < uniq.size
        grow[grow] = holds(uniq[idx[grow]], x[grow])
        shrink = idx > 0
        shrink[shrink] = ~holds(uniq[idx[shrink] - 1], x[shrink])
        if not (grow.any() or shrink.any()):
            return idx
        idx = idx + grow - shrink


def _concordance(
    time: np.ndarray,
    event: np.ndarray,
    risk: np.ndarray,
    weights: np.ndarray,
    tied_tol: float,
) -> tuple[float, int, int, int, int]:
    """Weighted concordance with sksurv's ``_estimate_concordance_index`` conventions."""
    _, t_rank = np.unique(time, return_inverse=True)
    uniq_risk, r_rank = np.unique(risk, return_inverse=True)
    # Event i is comparable with j iff t_j > t_i, or t_j == t_i and j is censored:
    # with key = 2 * rank(t) + censored, that is key_j > 2 * rank(t_i).
    key = 2 * t_rank.astype(np.int64) + (~event)
    ev = np.flatnonzero(event)
    q = key[ev]
    r_ev = risk[ev]
    # rank(r_j) < lo  <=>  r_i - r_j > tol;  rank(r_j) < hi  <=>  r_j - r_i <= tol
    lo = _prefix_length(
        uniq_risk,
        r_ev,
        np.searchsorted(uniq_risk, r_ev - tied_tol, side="left"),
        lambda u, x: x - u > tied_tol,
    )
    hi = _prefix_length(
        uniq_risk,
        r_ev,
        np.searchsorted(uniq_risk, r_ev + tied_tol, side="right"),
        lambda u, x: u - x <= tied_tol,
    )
    below_lo, below_hi = _count_dominated(key, r_rank, q, np.stack((lo, hi)))
    sorted_key = np.sort(key)
    comparable = time.size - np.searchsorted(sorted_key, q, side="right")
    same_time_censored = np.searchsorted(sorted_key, q + 1, side="right") - np.searchsorted(
        sorted_key, q + 1, side="left"
    )
    tied = below_hi - below_lo
    w = weights[ev]
    denominator = float(np.sum(w * comparable))
    if denominator == 0:
        raise SurvivalDataError(
            "no comparable pairs with positive weight: no event is followed by a later "
            "duration (or, for Uno's C, by one before tau); the C-index is undefined"
        )
    numerator = float(np.sum(w * below_lo + 0.5 * w * tied))
    return (
        numerator / denominator,
        int(below_lo.sum()),
        int((comparable - below_hi).sum()),
        int(tied.sum()),
        int(same_time_censored.sum()),
    )


def concordance_index_harrell(
    time: Any, event: Any, risk: Any, *, tied_tol: float = 1e-8
) -> tuple[float, int, int, int, int]:
    """Harrell's concordance index of a risk score against right-censored durations.

    A pair is comparable when the shorter duration ends in an event; an event is also
    comparable with a censoring at the same time (the censored entity outlived it), but
    two events at the same time are not. A comparable pair is concordant when the entity
    with the shorter duration has the higher risk; tied risks (within ``tied_tol``)
    count 1/2. Conventions and outputs are those of
    ``sksurv.metrics.concordance_index_censored``.

    Parameters
    ----------
    time : array-like, shape = (n_samples,)
        Time of event or censoring, > 0.
    event : array-like, shape = (n_samples,)
        ``True``/1 for an event, ``False``/0 for right-censoring.
    risk : array-like, shape = (n_samples,)
        Predicted risk; higher means an earlier event (e.g. ``predict_risk``).
    tied_tol : float, default 1e-8
        Two risks whose absolute difference is <= ``tied_tol`` are tied.

    Returns
    -------
    cindex : float
        (concordant + tied_risk / 2) / comparable pairs.
    concordant : int
        Number of concordant pairs.
    discordant : int
        Number of discordant pairs.
    tied_risk : int
        Number of comparable pairs with tied risks.
    tied_time : int
        Number of comparable pairs of an event and a censoring at the same time.

    Raises
    ------
    SurvivalDataError
        If an input is invalid (lengths differ, durations <= 0, events not 0/1, risks
        not finite), there are fewer than two entities, no events, or no comparable pair.
    InvalidParameterError
        If ``tied_tol`` is negative or not a number.

    Notes
    -----
    Runs in O(n log² n) time and O(n) memory (about a second for 500,000 rows), where
    sksurv's reference loops over events in Python.
    """
    t, e = _check_survival(time, event)
    r = _check_scores(risk, "risk", t.size)
    tol = _check_tied_tol(tied_tol)
    if t.size < 2:
        raise SurvivalDataError("the C-index needs at least two entities, got 1")
    return _concordance(t, e, r, np.ones(t.size), tol)


def concordance_index_uno(
    time_train: Any,
    event_train: Any,
    time_test: Any,
    event_test: Any,
    risk: Any,
    *,
    tau: float | None = None,
    tied_tol: float = 1e-8,
) -> tuple[float, int, int, int, int]:
    """Uno's concordance index: Harrell's pairs weighted by inverse censoring probability.

    Each comparable pair whose earlier duration is an event at time t_i gets weight
    1 / G(t_i)², where G is the Kaplan–Meier estimate of the censoring distribution
    from the *training* data; events at or after ``tau`` get weight 0. This removes the
    dependence of Harrell's C on the test censoring. Matches
    ``sksurv.metrics.concordance_index_ipcw``.

    Parameters
    ----------
    time_train, event_train : array-like, shape = (n_train,)
        Training durations (> 0) and events, used only to estimate G.
    time_test, event_test : array-like, shape = (n_samples,)
        Test durations (> 0) and events.
    risk : array-like, shape = (n_samples,)
        Predicted risk for the test entities; higher means an earlier event.
    tau : float, optional
        Truncation time: only events before ``tau`` are weighted. Needed when test
        events lie beyond the training follow-up, where G is unknown.
    tied_tol : float, default 1e-8
        Two risks whose absolute difference is <= ``tied_tol`` are tied.

    Returns
    -------
    cindex : float
        The IPCW concordance index.
    concordant, discordant, tied_risk, tied_time : int
        Unweighted pair counts over all test pairs (as sksurv returns them; they equal
        :func:`concordance_index_harrell`'s and ignore ``tau``).

    Raises
    ------
    SurvivalDataError
        If an input is invalid, a test event before ``tau`` lies beyond the training
        follow-up (or where G = 0), or no comparable pair has positive weight.
    InvalidParameterError
        If ``tau`` is not positive or ``tied_tol`` is negative.

    See also
    --------
    concordance_index_harrell : the unweighted estimate.
    """
    t_tr, e_tr = _check_survival(time_train, event_train, "time_train", "event_train")
    t, e = _check_survival(time_test, event_test, "time_test", "event_test")
    r = _check_scores(risk, "risk", t.size)
    tol = _check_tied_tol(tied_tol)
    if t.size < 2:
        raise SurvivalDataError("the C-index needs at least two test entities, got 1")
    weighted = e if tau is None else e & (t < _check_positive(tau, "tau"))
    cens = _Censoring.fit(t_tr, e_tr)
    w = cens.inverse_at_events(t, weighted, "test event times")
    return _concordance(t, e, r, np.square(w), tol)


# --------------------------------------------------------------------------- AUC and Brier


def cumulative_dynamic_auc(
    time_train: Any,
    event_train: Any,
    time_test: Any,
    event_test: Any,
    risk: Any,
    times: Any,
    *,
    tied_tol: float = 1e-8,
) -> tuple[np.ndarray, float]:
    """Cumulative/dynamic AUC at fixed times, with inverse-probability-of-censoring weights.

    At time t, cases are entities with an event at or before t (each weighted by
    1 / G(t_i), G the training censoring Kaplan–Meier) and controls those still at risk
    after t. AUC(t) is the weighted probability that a case outranks a control, ties
    counting 1/2. Matches ``sksurv.metrics.cumulative_dynamic_auc``.

    Parameters
    ----------
    time_train, event_train : array-like, shape = (n_train,)
        Training durations (> 0) and events, used only to estimate G.
    time_test, event_test : array-like, shape = (n_samples,)
        Test durations (> 0) and events.
    risk : array-like, shape = (n_samples,) or (n_samples, n_times)
        Predicted risk; higher means an earlier event. A 1-D score is used at every
        time; column j of a 2-D score (e.g. 1 - S(times[j])) is used at ``times[j]``.
    times : array-like, shape = (n_times,)
        Strictly increasing evaluation times, each >= the smallest and < the largest
        test duration.
    tied_tol : float, default 1e-8
        Sorted risks closer than ``tied_tol`` to their neighbour are tied.

    Returns
    -------
    auc : ndarray, shape = (n_times,)
        AUC at each time.
    mean_auc : float
        AUC averaged over ``times`` with weights given by the drop of the test
        Kaplan–Meier between them (Lambert & Chevret); ``auc[0]`` for a single time.

    Raises
    ------
    SurvivalDataError
        If an input is invalid, a time lies outside the test follow-up, no event
        happens by a time, or a case's event time lies beyond the training follow-up.
    InvalidParameterError
        If ``tied_tol`` is negative.
    """
    t_tr, e_tr = _check_survival(time_train, event_train, "time_train", "event_train")
    t, e = _check_survival(time_test, event_test, "time_test", "event_test")
    tt = _check_eval_times(times, t)
    r = _check_scores(risk, "risk", t.size, ndim=(1, 2))
    tol = _check_tied_tol(tied_tol)
    if r.ndim == 2 and r.shape[1] != tt.size:
        raise SurvivalDataError(
            f"'risk' has {r.shape[1]} columns but there are {tt.size} times; "
            "pass one column per time, or a 1-D risk"
        )
    no_case = np.array([not (e & (t <= x)).any() for x in tt])
    if no_case.any():
        raise SurvivalDataError(
            f"no test event happens by time(s) {tt[no_case][:5].tolist()}: AUC is "
            "undefined there; evaluate at later times"
        )
    cens = _Censoring.fit(t_tr, e_tr)
    ipcw = cens.inverse_at_events(t, e & (t <= tt[-1]), "test event times up to max(times)")

    def ordering(score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(-score, kind="stable")
        s = score[order]
        # a run of risks within tied_tol of each other is one threshold: keep its end
        ends = np.concatenate((np.abs(np.diff(s)) > tol, [True]))
        return order, ends

    if r.ndim == 1:
        order, ends = ordering(r)
    scores = np.empty(tt.size)
    for j, x in enumerate(tt):
        if r.ndim == 2:
            order, ends = ordering(r[:, j])
        case_w = np.where(e & (t <= x), ipcw, 0.0)[order]
        control = (t > x)[order]
        cum_tp = np.cumsum(case_w)
        cum_fp = np.cumsum(control)
        tp = (cum_tp / cum_tp[-1])[ends]
        fp = (cum_fp / cum_fp[-1])[ends]
        scores[j] = np.trapezoid(np.concatenate(([0.0], tp)), np.concatenate(([0.0], fp)))
    if tt.size == 1:
        return scores, float(scores[0])
    km_t, km_s = kaplan_meier(t, e)
    s_times = _step(km_t, km_s, tt)
    drop = -np.diff(np.concatenate(([1.0], s_times)))
    return scores, float((scores * drop).sum() / (1.0 - s_times[-1]))


def _brier_inputs(
    time_train: Any,
    event_train: Any,
    time_test: Any,
    event_test: Any,
    survival_probs: Any,
    times: Any,
) -> tuple[np.ndarray, ...]:
    t_tr, e_tr = _check_survival(time_train, event_train, "time_train", "event_train")
    t, e = _check_survival(time_test, event_test, "time_test", "event_test")
    tt = _check_eval_times(times, t)
    s = _check_scores(survival_probs, "survival_probs", t.size, ndim=(1, 2))
    if s.ndim == 1:
        if tt.size != 1:
            raise SurvivalDataError(
                f"'survival_probs' is 1-D but there are {tt.size} times; pass an array of "
                "shape (n_samples, n_times)"
            )
        s = s[:, None]
    if s.shape[1] != tt.size:
        raise SurvivalDataError(
            f"'survival_probs' has {s.shape[1]} columns but there are {tt.size} times; "
            "column j must hold S(times[j])"
        )
    _check_probabilities(s, "survival_probs")
    return t_tr, e_tr, t, e, s, tt


def brier_score(
    time_train: Any,
    event_train: Any,
    time_test: Any,
    event_test: Any,
    survival_probs: Any,
    times: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Time-dependent Brier score with inverse-probability-of-censoring weights (Graf).

    .. math::

        BS(t) = \\frac{1}{n} \\sum_i \\frac{S_i(t)^2 \\, I(t_i \\le t, \\delta_i = 1)}{G(t_i)}
              + \\frac{(1 - S_i(t))^2 \\, I(t_i > t)}{G(t)}

    with G the Kaplan–Meier of the training censoring distribution. Matches
    ``sksurv.metrics.brier_score``.

    Parameters
    ----------
    time_train, event_train : array-like, shape = (n_train,)
        Training durations (> 0) and events, used only to estimate G.
    time_test, event_test : array-like, shape = (n_samples,)
        Test durations (> 0) and events.
    survival_probs : array-like, shape = (n_samples, n_times)
        Predicted S(times[j]) for each test entity, in [0, 1] (the frame from
        ``predict_survival(X, times)``, as an array). 1-D is accepted for one time.
    times : array-like, shape = (n_times,)
        Strictly increasing times, each >= the smallest and < the largest test duration.

    Returns
    -------
    times : ndarray, shape = (n_times,)
        The evaluation times.
    scores : ndarray, shape = (n_times,)
        The Brier score at each time (lower is better).

    Raises
    ------
    SurvivalDataError
        If an input is invalid, a time lies outside the test follow-up, or a time (or
        a test event before the last time) lies beyond the training follow-up.
    """
    t_tr, e_tr, t, e, s, tt = _brier_inputs(
        time_train, event_train, time_test, event_test, survival_probs, times
    )
    cens = _Censoring.fit(t_tr, e_tr)
    g_times = cens.at(tt, "evaluation times")
    used = e & (t <= tt[-1])
    g_y = np.full(t.size, np.inf)
    g_y[used] = cens.at(t[used], "test event times up to max(times)")
    # sksurv's convention: where G is 0 the weighted term is dropped (1 / inf).
    g_y[g_y == 0] = np.inf
    g_times[g_times == 0] = np.inf
    scores = np.empty(tt.size)
    for j, x in enumerate(tt):
        est = s[:, j]
        is_case = (t <= x) & e
        is_control = t > x
        scores[j] = np.mean(
            np.square(est) * is_case / g_y + np.square(1.0 - est) * is_control / g_times[j]
        )
    return tt, scores


def integrated_brier_score(
    time_train: Any,
    event_train: Any,
    time_test: Any,
    event_test: Any,
    survival_probs: Any,
    times: Any,
) -> float:
    """Integrated Brier score: the trapezoidal average of :func:`brier_score` over ``times``.

    IBS = ∫ BS(t) dt / (times[-1] - times[0]). Matches
    ``sksurv.metrics.integrated_brier_score``.

    Parameters
    ----------
    time_train, event_train : array-like, shape = (n_train,)
        Training durations (> 0) and events, used only to estimate G.
    time_test, event_test : array-like, shape = (n_samples,)
        Test durations (> 0) and events.
    survival_probs : array-like, shape = (n_samples, n_times)
        Predicted S(times[j]) for each test entity, in [0, 1].
    times : array-like, shape = (n_times,)
        At least two strictly increasing times inside the test follow-up.

    Returns
    -------
    ibs : float
        The integrated Brier score (lower is better).

    Raises
    ------
    SurvivalDataError
        As :func:`brier_score`, and if fewer than two times are given.
    """
    n_times = np.atleast_1d(np.asarray(times)).size
    if n_times < 2:
        raise SurvivalDataError(
            f"the integrated Brier score needs at least two 'times', got {n_times}; "
            "use brier_score for a single time"
        )
    tt, scores = brier_score(time_train, event_train, time_test, event_test, survival_probs, times)
    return float(np.trapezoid(scores, tt) / (tt[-1] - tt[0]))


# --------------------------------------------------------------------------- calibration


@dataclass(frozen=True, eq=False)
class CalibrationResult:
    """Calibration of P(event by ``horizon``) by risk bin against Kaplan–Meier.

    Attributes
    ----------
    horizon : float
        The horizon the risks refer to.
    counts : ndarray of int, shape = (n_bins,)
        Entities per bin (bins are equal-count slices of the risk ranking, lowest first).
    events : ndarray of int, shape = (n_bins,)
        Observed events at or before ``horizon`` per bin.
    predicted : ndarray, shape = (n_bins,)
        Mean predicted risk per bin.
    observed : ndarray, shape = (n_bins,)
        Kaplan–Meier risk 1 - S_KM(horizon) per bin.
    ece : float
        Expected calibration error: count-weighted mean of ``|predicted - observed|``.
    """

    horizon: float
    counts: np.ndarray
    events: np.ndarray
    predicted: np.ndarray
    observed: np.ndarray
    ece: float

    @property
    def table(self) -> pd.DataFrame:
        """One row per bin: count, events, predicted, observed, abs_error."""
        return pd.DataFrame(
            {
                "count": self.counts,
                "events": self.events,
                "predicted": self.predicted,
                "observed": self.observed,
                "abs_error": np.abs(self.predicted - self.observed),
            },
            index=pd.RangeIndex(len(self.counts), name="bin"),
        )


def calibration_at(
    time: Any, event: Any, predicted_risk: Any, horizon: float, *, bins: int = 10
) -> CalibrationResult:
    """Calibration of predicted P(event by ``horizon``) against Kaplan–Meier, by risk bin.

    Entities are ranked by predicted risk (stable order for ties) and cut into ``bins``
    slices of equal size (deciles by default). In each bin the observed risk is
    1 - S_KM(horizon) from the bin's own Kaplan–Meier curve, which handles censoring
    before the horizon. The expected calibration error is the count-weighted mean
    absolute gap between mean predicted and observed risk.

    Parameters
    ----------
    time : array-like, shape = (n_samples,)
        Time of event or censoring, > 0.
    event : array-like, shape = (n_samples,)
        ``True``/1 for an event, ``False``/0 for right-censoring.
    predicted_risk : array-like, shape = (n_samples,)
        Predicted P(event by ``horizon``) = 1 - S(horizon), in [0, 1].
    horizon : float
        The horizon, > 0 and at most the largest duration.
    bins : int, default 10
        Number of equal-count bins; at most the number of entities.

    Returns
    -------
    CalibrationResult
        Per-bin counts, events, predicted and observed risk, the ``ece``, and a
        ``table`` DataFrame of them.

    Raises
    ------
    SurvivalDataError
        If an input is invalid, a risk lies outside [0, 1], or the horizon lies beyond
        the largest duration.
    InvalidParameterError
        If ``horizon`` is not positive or ``bins`` is not an int >= 1.

    Notes
    -----
    Inside a bin whose last duration is before ``horizon`` the Kaplan–Meier curve is
    carried flat to the horizon (as lifelines' ``KaplanMeierFitter`` does).
    """
    t, e = _check_survival(time, event)
    p = _check_scores(predicted_risk, "predicted_risk", t.size)
    _check_probabilities(p, "predicted_risk")
    h = _check_positive(horizon, "horizon")
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise InvalidParameterError(f"'bins' must be an int >= 1, got {bins!r}")
    if bins > t.size:
        raise InvalidParameterError(
            f"'bins' ({bins}) exceeds the number of entities ({t.size}); use fewer bins"
        )
    if h > t.max():
        raise SurvivalDataError(
            f"'horizon' {h:g} lies beyond the largest duration {t.max():g}; the "
            "Kaplan–Meier risk is unknown there"
        )
    order = np.argsort(p, kind="stable")
    bin_of = np.empty(t.size, dtype=np.int64)
    bin_of[order] = (np.arange(t.size) * bins) // t.size
    counts = np.bincount(bin_of, minlength=bins)
    events = np.bincount(bin_of[e & (t <= h)], minlength=bins)
    predicted = np.bincount(bin_of, weights=p, minlength=bins) / counts
    observed = np.empty(bins)
    for b in range(bins):
        inside = bin_of == b
        uniq, deaths, at_risk, _ = _counts(t[inside], e[inside])
        observed[b] = 1.0 - _step(uniq, _product_limit(deaths, at_risk), np.array([h]))[0]
    ece = float(np.sum(counts * np.abs(predicted - observed)) / counts.sum())
    for arr in (counts, events, predicted, observed):
        arr.setflags(write=False)
    return CalibrationResult(h, counts, events, predicted, observed, ece)


# --------------------------------------------------------------------------- business


def captured_share(
    time: Any,
    event: Any,
    value: Any,
    risk: Any,
    horizon: float,
    *,
    top: Iterable[float] = (0.05, 0.10, 0.20),
) -> dict[float, float]:
    """Share of the value that left within ``horizon`` held by the top k% of the ranking.

    The entities whose event happened at or before ``horizon`` carry ``value`` (e.g. the
    AUM that flowed out); the score for k is the part of their total value found among
    the ``ceil(k * n)`` entities with the highest ``risk`` (ties keep the input order).
    With ``value=1`` this is the share of events caught (e.g. resignations).

    Parameters
    ----------
    time : array-like, shape = (n_samples,)
        Time of event or censoring, > 0.
    event : array-like, shape = (n_samples,)
        ``True``/1 for an event, ``False``/0 for right-censoring.
    value : float or array-like, shape = (n_samples,)
        Non-negative value per entity; a scalar applies to every entity.
    risk : array-like, shape = (n_samples,)
        Score the list is ranked by; higher is contacted first.
    horizon : float
        Events after ``horizon`` do not count, > 0.
    top : iterable of float, default (0.05, 0.10, 0.20)
        Fractions of the list, each in (0, 1].

    Returns
    -------
    dict of float to float
        ``{k: share}`` for each k in ``top``, shares in [0, 1].

    Raises
    ------
    SurvivalDataError
        If an input is invalid, a value is negative, or no value left within
        ``horizon`` (the share is then undefined).
    InvalidParameterError
        If ``horizon`` is not positive or a fraction in ``top`` is outside (0, 1].
    """
    t = _check_time(time, "time")
    e = _check_event(event, "event")
    _check_same_length(time=t, event=e)
    r = _check_scores(risk, "risk", t.size)
    v_raw = np.asarray(value)
    if v_raw.ndim == 0:
        v_raw = np.broadcast_to(v_raw, t.shape)
    v = _check_scores(v_raw, "value", t.size)
    negative = v < 0
    if negative.any():
        raise SurvivalDataError(
            f"'value' has {int(negative.sum())} negative entries (first positions: "
            f"{_first(negative)}); values must be >= 0"
        )
    h = _check_positive(horizon, "horizon")
    fractions = list(top)
    bad = [k for k in fractions if isinstance(k, bool) or not (0 < k <= 1)]
    if not fractions or bad:
        raise InvalidParameterError(
            f"'top' must be fractions in (0, 1], got {fractions!r}; e.g. (0.05, 0.1, 0.2)"
        )
    left = np.where(e & (t <= h), v, 0.0)
    total = left.sum()
    if total <= 0:
        raise SurvivalDataError(
            f"no value left within horizon {h:g} ({int((e & (t <= h)).sum())} events by "
            "then, total value 0): the captured share is undefined"
        )
    captured = np.cumsum(left[np.argsort(-r, kind="stable")])
    n = t.size
    # round first so that e.g. 0.07 * 100 = 7.000000000000001 selects 7 entities, not 8
    return {k: float(captured[math.ceil(round(k * n, 9)) - 1] / total) for k in fractions}
