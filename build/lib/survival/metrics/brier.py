"""Time-dependent Brier score (IPCW, Graf) and its integral over time, the IBS."""

from __future__ import annotations

from typing import Any

import numpy as np

from survival.errors import SurvivalDataError
from survival.metrics._checks import (
    _check_eval_times,
    _check_probabilities,
    _check_scores,
    _check_train_test,
)
from survival.metrics.kaplan_meier import _Censoring


def _brier_inputs(
    time_train: Any,
    event_train: Any,
    time_test: Any,
    event_test: Any,
    survival_probs: Any,
    times: Any,
) -> tuple[np.ndarray, ...]:
    t_tr, e_tr, t, e = _check_train_test(time_train, event_train, time_test, event_test)
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
