"""Calibration of predicted risk by risk bin against Kaplan–Meier: :class:`CalibrationResult`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from survival.errors import InvalidParameterError, SurvivalDataError
from survival.metrics._checks import (
    _check_positive,
    _check_probabilities,
    _check_scores,
    _check_survival,
)
from survival.metrics.kaplan_meier import _survival_curve
from survival.steps import step_function_at


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
        uniq, surv = _survival_curve(t[inside], e[inside])
        observed[b] = 1.0 - step_function_at(uniq, surv, np.array([h]))[0]
    ece = float(np.sum(counts * np.abs(predicted - observed)) / counts.sum())
    for arr in (counts, events, predicted, observed):
        arr.setflags(write=False)
    return CalibrationResult(h, counts, events, predicted, observed, ece)
