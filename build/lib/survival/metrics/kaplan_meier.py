"""Kaplan–Meier estimators: survival S(t), and the censoring survival G(t) behind IPCW.

Public :func:`kaplan_meier` and :func:`censoring_kaplan_meier`; :class:`_Censoring` is
the training censoring distribution that the C-index, AUC and Brier weights read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from survival.errors import SurvivalDataError
from survival.metrics._checks import _check_time_event
from survival.steps import step_function_at


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


def _survival_curve(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique times and S there, from validated arrays (the core of :func:`kaplan_meier`)."""
    uniq, deaths, at_risk, _ = _counts(time, event)
    return uniq, _product_limit(deaths, at_risk)


def _censoring_curve(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique times and G there, from validated arrays (events leave the risk set first)."""
    uniq, deaths, at_risk, censored = _counts(time, event)
    return uniq, _product_limit(censored, at_risk - deaths)


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
    return _survival_curve(*_check_time_event(time, event))


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
    return _censoring_curve(*_check_time_event(time, event))


@dataclass(frozen=True, eq=False)
class _Censoring:
    """The training censoring distribution, evaluated only inside its support."""

    unique_times: np.ndarray
    survival: np.ndarray

    @classmethod
    def fit(cls, time: np.ndarray, event: np.ndarray) -> _Censoring:
        return cls(*_censoring_curve(time, event))

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
        return np.where(beyond, 0.0, step_function_at(self.unique_times, self.survival, at))

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
