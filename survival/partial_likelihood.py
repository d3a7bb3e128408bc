"""Cox's partial likelihood with Efron's ties, penalised, maximised by Newton's method.

The objective is lifelines' (``CoxPHFitter``) exactly: on standardised covariates
(column mean 0, sample standard deviation 1), Efron's log partial likelihood minus
``n * penalizer * (l1_ratio * softabs(b) + (1 - l1_ratio) * b**2 / 2)``, the smooth
absolute value sharpening with each step as lifelines does. What differs is the
arithmetic: lifelines walks the rows one at a time in Python to build the gradient and
Hessian; here every sum over a risk set is a cumulative sum, so one Newton step costs a
few matrix products (``X.T @ diag(v) @ X`` rather than one ``d × d`` outer product per
row). On FLCHAIN (7,871 rows, 30 columns) a fit takes milliseconds instead of 0.7 s,
which is what lets ``auto`` compare a grid of penalties.

Efron's approximation for ``d`` events tied at one time: the ``l``-th of them
(``l = 0 … d-1``) sees the risk set's sum minus ``l/d`` of the tied events' sum. With
``a_j = Σ_l 1/φ_jl`` and ``b_j = Σ_l (l/d_j)/φ_jl`` per event time ``j``, the
second-moment part of the Hessian collapses to
``X.T @ diag(w * (A - δ * b)) @ X`` with ``A_i`` the sum of ``a_j`` over event times
up to row ``i``'s time: no ``d × d`` matrix per event time is ever built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import LinAlgError, solve

from survival.errors import CoxConvergenceError, SurvivalDataError

# stop when the step, the expected gain or the relative change in log-likelihood is
# tiny (tighter than lifelines' 1e-7 and 1e-9: Newton's last steps are cheap here)
PRECISION = 1e-9
NEWTON_DECREMENT = 1e-12
R_PRECISION = 1e-10
MAX_STEPS = 100
SOFTNESS = 1.3  # the soft absolute value's sharpness grows as SOFTNESS ** step


@dataclass(frozen=True)
class _Ties:
    """Index arrays that do not change between Newton steps (rows sorted by time)."""

    order: np.ndarray  # rows sorted by descending time
    first: np.ndarray  # per event time: last row (in descending order) of its risk set
    event_rows: np.ndarray  # rows (in descending order) that are events
    event_time: np.ndarray  # per event row: the index of its event time
    event_start: np.ndarray  # per event time: its first row in ``event_rows``
    pair_time: np.ndarray  # per (event time, l): the event time's index
    pair_frac: np.ndarray  # per (event time, l): l / d


def _ties(t: np.ndarray, e: np.ndarray) -> _Ties:
    order = np.argsort(-t, kind="stable")
    ts, es = t[order], e[order]
    times = np.unique(ts[es])[::-1]  # descending, as the rows
    # the risk set of time tau is every row with t >= tau: in descending order, the rows
    # up to the last one equal to tau
    first = np.searchsorted(-ts, -times, side="right") - 1
    event_rows = np.flatnonzero(es)
    event_time = np.searchsorted(-times, -ts[event_rows])
    d = np.bincount(event_time, minlength=len(times))
    pair_time = np.repeat(np.arange(len(times)), d)
    starts = np.cumsum(d) - d
    pair_frac = (np.arange(len(pair_time)) - starts[pair_time]) / d[pair_time]
    return _Ties(order, first, event_rows, event_time, starts, pair_time, pair_frac)


def _efron_terms(
    X: np.ndarray, ties: _Ties, beta: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Efron log partial likelihood, its gradient and Hessian at ``beta``
    (``X`` already sorted as ``ties.order``)."""
    eta = X @ beta
    shift = eta.max()  # the likelihood is invariant to a shift; exp stays finite
    w = np.exp(eta - shift)
    wx = w[:, None] * X
    S0 = np.cumsum(w)[ties.first]
    S1 = np.cumsum(wx, axis=0)[ties.first]
    m = len(ties.first)
    ev = ties.event_rows
    T0 = np.bincount(ties.event_time, weights=w[ev], minlength=m)
    T1 = np.add.reduceat(wx[ev], ties.event_start, axis=0)  # event rows come time by time
    f, j = ties.pair_frac, ties.pair_time
    phi = S0[j] - f * T0[j]
    psi = (S1[j] - f[:, None] * T1[j]) / phi[:, None]
    ll = float(eta[ev].sum() - (np.log(phi) + shift).sum())
    grad = X[ev].sum(axis=0) - psi.sum(axis=0)
    a = np.bincount(j, weights=1.0 / phi, minlength=m)
    b = np.bincount(j, weights=f / phi, minlength=m)
    # row i is in the risk set of every event time up to its own time (times descend)
    A = np.zeros(len(w))
    A[ties.first] = a
    A = np.cumsum(A[::-1])[::-1]
    v = w * A
    v[ev] -= w[ev] * b[ties.event_time]
    hess = -(X.T @ (v[:, None] * X)) + psi.T @ psi
    return ll, grad, hess


def fit_cox(
    Z: np.ndarray,
    t: np.ndarray,
    e: np.ndarray,
    *,
    penalizer: float,
    l1_ratio: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Fit on raw covariates ``Z``: returns (coefficients per raw unit, column means,
    column standard deviations, Breslow baseline ``(times, S0(times))``).

    Raises
    ------
    CoxConvergenceError
        When the Hessian is singular or the steps do not settle.
    """
    n, p = Z.shape
    e = np.asarray(e, dtype=bool)
    if not e.any():
        raise SurvivalDataError("Cox fit: no events among the rows; nothing to learn from")
    mean = Z.mean(axis=0)
    std = Z.std(axis=0, ddof=1) if n > 1 else np.ones(p)
    std = np.where(std > 0, std, 1.0)
    ties = _ties(np.asarray(t, dtype=float), e)
    X = ((Z - mean) / std)[ties.order]
    beta = np.zeros(p)

    def objective(b: np.ndarray, i: int) -> tuple[float, np.ndarray, np.ndarray]:
        ll, grad, hess = _efron_terms(X, ties, b)
        if penalizer > 0:
            pen, dpen, ddpen = _penalty(b, n * penalizer, l1_ratio, SOFTNESS**i)
            ll, grad, hess = ll - pen, grad - dpen, hess - np.diag(ddpen)
        return ll, grad, hess

    ll, grad, hess = objective(beta, 1)
    for i in range(1, MAX_STEPS + 1):
        try:
            delta = solve(-hess, grad, assume_a="pos", check_finite=True)
        except (LinAlgError, ValueError) as exc:
            raise CoxConvergenceError(
                "Cox fit: the columns are collinear or separate the events perfectly "
                "(a penalizer above 0 resolves it)"
            ) from exc
        if np.linalg.norm(delta) < PRECISION or grad @ delta / 2 < NEWTON_DECREMENT:
            break
        # halve the step until the objective does not fall (Newton can overshoot far
        # from the maximum)
        step = 1.0
        while True:
            new = objective(beta + step * delta, i)
            if new[0] >= ll or step < 1e-6:
                break
            step /= 2
        beta = beta + step * delta
        settled = abs(new[0] - ll) <= R_PRECISION * abs(ll)
        ll, grad, hess = new if l1_ratio == 0 else objective(beta, i + 1)
        if settled:
            break
    else:
        raise CoxConvergenceError(f"Cox fit: no convergence in {MAX_STEPS} Newton steps")
    times, cumhaz = breslow_cumulative_hazard(
        np.asarray(t, float)[ties.order], e[ties.order], X @ beta
    )
    return beta / std, mean, std, (times, np.exp(-cumhaz))


def _penalty(
    beta: np.ndarray, scale: float, l1_ratio: float, sharp: float
) -> tuple[float, np.ndarray, np.ndarray]:
    """lifelines' elastic net (soft absolute value), its gradient and Hessian diagonal."""
    ax = sharp * beta
    soft = (np.logaddexp(0, -ax) + np.logaddexp(0, ax)) / sharp
    th = np.tanh(ax / 2)
    value = scale * float((l1_ratio * soft + 0.5 * (1 - l1_ratio) * beta**2).sum())
    grad = scale * (l1_ratio * th + (1 - l1_ratio) * beta)
    diag = scale * (l1_ratio * sharp / 2 * (1 - th**2) + (1 - l1_ratio))
    return value, grad, diag


def breslow_cumulative_hazard(
    time: np.ndarray, event: np.ndarray, log_hazard: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Breslow's cumulative baseline hazard at each distinct event time.

    Returns
    -------
    times : ndarray, sorted distinct event times
    cumhaz : ndarray, H0 at those times
    """
    order = np.argsort(time, kind="stable")
    t, e = time[order], event[order].astype(float)
    w = np.exp(log_hazard[order] - log_hazard.max())  # scaled for stability, undone below
    uniq, first = np.unique(t, return_index=True)
    at_risk = np.cumsum(w[::-1])[::-1][first]
    deaths = np.add.reduceat(e, first)
    keep = deaths > 0
    hazard = deaths[keep] / at_risk[keep] * np.exp(-log_hazard.max())
    return uniq[keep], np.cumsum(hazard)
