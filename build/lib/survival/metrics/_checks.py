"""Input validation shared by every metric: durations, events, scores and keywords.

Each check returns the cleaned array or value, or raises
:class:`~survival.base.SurvivalDataError` / :class:`~survival.base.InvalidParameterError`
with a message naming the argument.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from survival.errors import InvalidParameterError, SurvivalDataError


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


def _check_time_event(
    time: Any, event: Any, time_name: str = "time", event_name: str = "event"
) -> tuple[np.ndarray, np.ndarray]:
    """Durations (> 0, float) and events (bool) of equal length; all-censored is allowed."""
    t = _check_time(time, time_name)
    e = _check_event(event, event_name)
    _check_same_length(**{time_name: t, event_name: e})
    return t, e


def _check_survival(
    time: Any, event: Any, time_name: str = "time", event_name: str = "event"
) -> tuple[np.ndarray, np.ndarray]:
    """Durations (> 0, float) and events (bool) of equal length, with at least one event."""
    t, e = _check_time_event(time, event, time_name, event_name)
    if not e.any():
        raise SurvivalDataError(
            f"{event_name!r} has no events (all {len(e)} entities are censored); "
            "the metric is undefined without at least one event"
        )
    return t, e


def _check_train_test(
    time_train: Any, event_train: Any, time_test: Any, event_test: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training data (for the censoring weights), then test data, each as `_check_survival`."""
    t_tr, e_tr = _check_survival(time_train, event_train, "time_train", "event_train")
    t, e = _check_survival(time_test, event_test, "time_test", "event_test")
    return t_tr, e_tr, t, e


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


def _is_number(value: Any) -> bool:
    """A real Python or NumPy scalar, and not a bool."""
    return not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating)


def _check_tied_tol(tied_tol: Any) -> float:
    if not _is_number(tied_tol):
        raise InvalidParameterError(f"'tied_tol' must be a float >= 0, got {tied_tol!r}")
    if not (np.isfinite(tied_tol) and tied_tol >= 0):
        raise InvalidParameterError(f"'tied_tol' must be a finite float >= 0, got {tied_tol!r}")
    return float(tied_tol)


def _check_positive(value: Any, name: str) -> float:
    if not _is_number(value):
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
