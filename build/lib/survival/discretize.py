"""Discretising durations onto a grid of cut points, for discrete-time hazard models.

Conventions follow pycox's ``LabTransDiscreteTime`` (``preprocessing/label_transforms.py``
with ``discretization.IdxDiscUnknownC``). The grid is ``cuts_ = [0, c_1, ..., c_m]``
and index ``j`` (``1 <= j <= m``) stands for the interval ``(c_{j-1}, c_j]``:

- an **event** at time ``t`` gets the index of the first cut ``>= t`` (rounded *up*):
  it happened somewhere in the interval that ends at that cut;
- a **censored** duration ``t`` gets the index of the last cut ``<= t`` (rounded
  *down*): the entity is known to have survived every interval that ended by ``t``,
  and nothing is claimed about the interval in which it was lost. A duration censored
  exactly at a cut survived that cut's interval (the Kaplan-Meier convention: at risk
  at ``t``, not an event at ``t``);
- a duration beyond the last cut (event or not) is censored at the last cut;
- index 0 is the degenerate "interval" ``{0}``: only a duration censored before
  ``c_1`` (no interval completed, so it carries no information) or an event at
  ``t = 0`` lands there.

So the discrete likelihood of a row with index ``j`` involves the hazards of intervals
``1..j``: survival of all of them if censored, survival of ``1..j-1`` and the event in
``j`` if not (see :func:`survival.losses.nll_logistic_hazard`).
"""

from __future__ import annotations

from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from survival.base import Interval, Options, SurvivalDataError, validate_params

# tolerance when comparing Kaplan-Meier levels: cumulative products of rationals
# compared with linspace values must not miss an exact hit by one ulp
_LEVEL_TOL = 1e-12


def _as_arrays(time: object, event: object) -> tuple[np.ndarray, np.ndarray]:
    """Validated float durations (finite, >= 0) and boolean events of equal length."""
    t = np.asarray(time, dtype=float).ravel()
    raw = np.asarray(event).ravel()
    if t.shape != raw.shape:
        raise SurvivalDataError(
            f"time has {t.size} values but event has {raw.size}; pass one event per duration"
        )
    if t.size == 0:
        raise SurvivalDataError("no durations given")
    bad = ~np.isfinite(t) | (t < 0)
    if bad.any():
        first = np.flatnonzero(bad)[:5].tolist()
        raise SurvivalDataError(
            f"time has {int(bad.sum())} missing, infinite or negative values "
            f"(first positions: {first}); durations must be finite and >= 0"
        )
    e = raw.astype(float)
    bad = ~np.isin(e, (0.0, 1.0))
    if bad.any():
        first = np.flatnonzero(bad)[:5].tolist()
        raise SurvivalDataError(
            f"event has {int(bad.sum())} values that are not 0/1 (first positions: {first})"
        )
    return t, e.astype(bool)


def kaplan_meier(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier estimate at the distinct event times.

    Returns
    -------
    times : ndarray of shape (k,)
        Sorted distinct event times.
    survival : ndarray of shape (k,)
        S(t) just after each of them (right-continuous, strictly decreasing).
    """
    uniq, inverse = np.unique(time, return_inverse=True)
    deaths = np.bincount(inverse, weights=event.astype(float), minlength=uniq.size)
    leaving = np.bincount(inverse, minlength=uniq.size)
    at_risk = leaving[::-1].cumsum()[::-1]
    keep = deaths > 0
    surv = np.cumprod(1.0 - deaths[keep] / at_risk[keep])
    return uniq[keep], surv


class DurationGrid(BaseEstimator):
    """Cut points for a discrete-time model, and the mapping of durations onto them.

    ``fit(time, event)`` chooses ``cuts_ = [0, c_1, ..., c_m]`` (``m <= n_intervals``);
    ``transform(time, event)`` returns each row's interval index and its event flag
    after discretisation, with the conventions of the module docstring (pycox's
    ``LabTransDiscreteTime``: events rounded up to the next cut, censorings down).

    Grid schemes:

    - ``"quantiles"``: cuts at equal steps of the Kaplan-Meier curve, so every
      interval holds about the same share of the events' probability mass (pycox's
      ``cuts_quantiles``, which is KM-based too, so censoring does not bias the grid).
      Cuts are placed at event times: the cut for level ``s`` is the first event time
      at which KM falls to ``s`` or below. Levels that hit the same time (heavily tied
      data) collapse, so ``m`` can be smaller than ``n_intervals``.
    - ``"equidistant"``: ``m = n_intervals`` equal intervals over ``(0, max duration]``.

    Whatever the scheme, when the data hold at most ``n_intervals`` distinct event
    times (integer months, typically) the cuts are those times themselves: the
    discrete-time model is then exact and no grid can do better (``scheme_`` reads
    ``"distinct"``).

    Parameters
    ----------
    n_intervals : int, default 20
        Most intervals the grid may have.
    scheme : {"quantiles", "equidistant"}, default "quantiles"

    Attributes
    ----------
    cuts_ : ndarray of shape (m + 1,)
        Increasing cut points, ``cuts_[0] == 0``.
    n_intervals_ : int
        ``m``, the number of intervals actually used.
    scheme_ : str
        ``"quantiles"``, ``"equidistant"`` or ``"distinct"``.
    """

    _parameter_constraints: ClassVar[dict[str, list[object]]] = {
        "n_intervals": [Interval(Integral, 1, None, "left")],
        "scheme": [Options(("quantiles", "equidistant"))],
    }

    def __init__(self, n_intervals: int = 20, *, scheme: str = "quantiles") -> None:
        self.n_intervals = n_intervals
        self.scheme = scheme

    def fit(self, time: object, event: object) -> DurationGrid:
        """Choose the cut points from training durations and events.

        Raises
        ------
        SurvivalDataError
            For durations that are missing, infinite or negative, events that are not
            0/1, or data with no event after time 0.
        """
        validate_params(self)
        t, e = _as_arrays(time, event)
        event_times = np.unique(t[e & (t > 0)])
        if event_times.size == 0:
            raise SurvivalDataError(
                "no event after time 0: a grid of event intervals cannot be built"
            )
        n = int(self.n_intervals)
        if event_times.size <= n:
            inner, scheme = event_times, "distinct"
        elif self.scheme == "equidistant":
            inner, scheme = np.linspace(0.0, float(t.max()), n + 1)[1:], "equidistant"
        else:
            km_times, km_surv = kaplan_meier(t, e)
            levels = np.linspace(1.0, km_surv[-1], n + 1)[1:]
            first = np.searchsorted(-km_surv, -levels - _LEVEL_TOL, side="left")
            inner, scheme = km_times[np.clip(first, 0, km_times.size - 1)], "quantiles"
        inner = np.unique(inner[inner > 0])
        self.cuts_ = np.concatenate(([0.0], inner))
        self.n_intervals_ = int(inner.size)
        self.scheme_ = scheme
        return self

    def transform(self, time: object, event: object) -> tuple[np.ndarray, np.ndarray]:
        """Interval index and event flag of each duration on the fitted grid.

        Parameters
        ----------
        time : array-like of shape (n,)
            Durations, finite and >= 0.
        event : array-like of shape (n,)
            1/True for an event, 0/False for censoring.

        Returns
        -------
        idx : ndarray of int64, shape (n,)
            In ``0..n_intervals_``; ``j`` is the interval ``(cuts_[j-1], cuts_[j]]``.
        event : ndarray of bool, shape (n,)
            The input events, except that durations beyond ``cuts_[-1]`` are censored.
        """
        check_is_fitted(self)
        t, e = _as_arrays(time, event)
        cuts = self.cuts_
        beyond = t > cuts[-1]
        event_idx = np.searchsorted(cuts, t, side="left")  # first cut >= t
        censor_idx = np.searchsorted(cuts, t, side="right") - 1  # last cut <= t
        idx = np.where(e, event_idx, censor_idx)
        idx = np.where(beyond, cuts.size - 1, idx)
        return idx.astype(np.int64), e & ~beyond

    def fit_transform(self, time: object, event: object) -> tuple[np.ndarray, np.ndarray]:
        """``fit(time, event).transform(time, event)``."""
        return self.fit(time, event).transform(time, event)


def interpolate_log_survival(cuts: np.ndarray, log_surv: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Constant-hazard interpolation of log survival between cut points.

    Parameters
    ----------
    cuts : ndarray of shape (m + 1,)
        Increasing cut points, ``cuts[0] == 0``.
    log_surv : ndarray of shape (n, m + 1)
        ``log S`` at each cut (``log_surv[:, 0] == 0``), finite.
    at : ndarray of shape (h,)
        Times > 0; beyond ``cuts[-1]`` the last value is carried forward.

    Returns
    -------
    ndarray of shape (n, h)
        ``log S`` linear in time inside each interval.
    """
    m = cuts.size - 1
    hi = np.searchsorted(cuts, at, side="left")  # first cut >= t, so >= 1 for t > 0
    beyond = hi > m
    hi = np.clip(hi, 1, m)
    lo = hi - 1
    w = np.where(beyond, 1.0, (at - cuts[lo]) / (cuts[hi] - cuts[lo]))
    return log_surv[:, lo] + w[None, :] * (log_surv[:, hi] - log_surv[:, lo])
