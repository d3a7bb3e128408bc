"""Cumulative/dynamic AUC at fixed times, with censoring weights from training data."""

from __future__ import annotations

from typing import Any

import numpy as np

from survival.errors import SurvivalDataError
from survival.metrics._checks import (
    _check_eval_times,
    _check_scores,
    _check_tied_tol,
    _check_train_test,
)
from survival.metrics.kaplan_meier import _Censoring, kaplan_meier
from survival.steps import step_function_at


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
    t_tr, e_tr, t, e = _check_train_test(time_train, event_train, time_test, event_test)
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
    s_times = step_function_at(km_t, km_s, tt)
    drop = -np.diff(np.concatenate(([1.0], s_times)))
    return scores, float((scores * drop).sum() / (1.0 - s_times[-1]))
