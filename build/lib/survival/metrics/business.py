"""Business metric: the share of value that left, caught in the top k% of the list."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from survival.errors import InvalidParameterError, SurvivalDataError
from survival.metrics._checks import _check_positive, _check_scores, _check_time_event, _first


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
    t, e = _check_time_event(time, event)
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
