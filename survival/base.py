"""The one model interface: a scikit-learn estimator that fits a survival frame.

Every model in :mod:`survival` inherits :class:`SurvivalMixin` and
``sklearn.base.BaseEstimator``:

- ``__init__`` stores keyword hyperparameters verbatim; ``fit`` validates them against
  ``_parameter_constraints`` (:func:`validate_params`).
- ``fit(df, *, duration_col="duration", event_col="event")`` returns ``self``; every
  other column of ``df`` is a feature (numeric or categorical; NaN allowed, see
  :class:`~survival.encoding.TabularEncoder`).
- ``predict_survival(X, horizons)`` returns a DataFrame, rows = ``X.index``, columns =
  horizons (named ``"horizon"``), values S(h) in [0, 1], non-increasing in h.
- ``predict_risk(X, horizon)`` = 1 - S(horizon), a Series (higher = more likely to leave).
- ``save(path)`` / ``load(path)`` round-trip exactly, written atomically.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

# defined apart so that survival.metrics can use them without importing the models
from survival.errors import (
    InvalidParameterError,
    InvalidPredictionError,
    ModelFormatError,
    SurvivalDataError,
)
from survival.steps import step_function_at  # noqa: F401  (re-exported for the models)

DURATION = "duration"
EVENT = "event"
MODEL_FORMAT = 1


# --------------------------------------------------------------------------- params


@dataclass(frozen=True)
class Interval:
    """A numeric range; ``closed`` is one of "both", "left", "right", "neither"."""

    kind: type
    low: float | None
    high: float | None
    closed: str = "both"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, self.kind):
            return False
        low_open = self.closed in ("right", "neither")
        high_open = self.closed in ("left", "neither")
        below = self.low is not None and (value < self.low or (low_open and value == self.low))
        above = self.high is not None and (value > self.high or (high_open and value == self.high))
        return not (below or above)

    def __str__(self) -> str:
        name = "an int" if self.kind is Integral else "a float"
        lo = "(" if self.closed in ("right", "neither") else "["
        hi = ")" if self.closed in ("left", "neither") else "]"
        low = "-inf" if self.low is None else repr(self.low)
        high = "inf" if self.high is None else repr(self.high)
        return f"{name} in {lo}{low}, {high}{hi}"


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values."""

    values: tuple[Any, ...]

    def accepts(self, value: Any) -> bool:
        return any(value == v and type(value) is type(v) for v in self.values)

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class Check:
    """Any other rule: a predicate and its description."""

    predicate: Callable[[Any], bool]
    description: str

    def accepts(self, value: Any) -> bool:
        return bool(self.predicate(value))

    def __str__(self) -> str:
        return self.description


def validate_params(estimator: Any) -> None:
    """Check every hyperparameter against ``estimator._parameter_constraints``.

    Raises
    ------
    InvalidParameterError
        Naming the estimator, the parameter, its value and what is allowed. All bad
        parameters are reported at once.
    """
    bad = []
    params = estimator.get_params(deep=False)
    for name, rules in getattr(estimator, "_parameter_constraints", {}).items():
        value = params[name]
        if not any(
            (rule is None and value is None) or (rule is not None and rule.accepts(value))
            for rule in rules
        ):
            allowed = " or ".join("None" if r is None else str(r) for r in rules)
            bad.append(f"{name!r} must be {allowed}, got {value!r}")
    if bad:
        raise InvalidParameterError(f"{type(estimator).__name__}: " + "; ".join(bad))


REAL_NONNEG = Interval(Real, 0, None, "left")
REAL_POS = Interval(Real, 0, None, "neither")
INT_POS = Interval(Integral, 1, None, "left")
SEED = [Interval(Integral, 0, None, "left"), None]


# --------------------------------------------------------------------------- data


def _first_ids(index: pd.Index, mask: np.ndarray, n: int = 5) -> list[str]:
    return [str(i) for i in index[np.flatnonzero(mask)[:n]]]


def split_survival_frame(
    df: pd.DataFrame, duration_col: str = DURATION, event_col: str = EVENT
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Split a survival frame into features, durations (> 0) and events (bool).

    Raises
    ------
    SurvivalDataError
        If a column is missing, a duration is missing, not finite or not positive, or
        an event is not 0/1; the message gives the count and the first five row ids.
    """
    if not isinstance(df, pd.DataFrame):
        raise SurvivalDataError(f"expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in (duration_col, event_col) if c not in df.columns]
    if missing:
        raise SurvivalDataError(
            f"column(s) {missing} not in the frame; pass duration_col= and event_col= "
            f"naming them (columns are {list(df.columns)[:10]}...)"
        )
    if len(df) == 0:
        raise SurvivalDataError("the survival frame has no rows")
    problems = []
    dur = pd.to_numeric(df[duration_col], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(dur) | (dur <= 0)
    if bad.any():
        problems.append(
            f"{duration_col!r} has {int(bad.sum())} missing, non-numeric or non-positive "
            f"values (first ids: {_first_ids(df.index, bad)}); durations must be > 0"
        )
    raw_event = df[event_col]
    if pd.api.types.is_bool_dtype(raw_event.dtype):
        ev = raw_event.fillna(-1).astype(float).to_numpy()
    else:
        ev = pd.to_numeric(raw_event, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isin(ev, (0.0, 1.0))
    if bad.any():
        problems.append(
            f"{event_col!r} has {int(bad.sum())} values that are not 0/1 "
            f"(first ids: {_first_ids(df.index, bad)})"
        )
    if problems:
        raise SurvivalDataError("; ".join(problems))
    if not (ev == 1).any():
        raise SurvivalDataError(f"{event_col!r} has no events: nothing to learn a hazard from")
    X = df.drop(columns=[duration_col, event_col])
    if X.shape[1] == 0:
        raise SurvivalDataError("the survival frame has no feature columns")
    return X, dur, ev.astype(bool)


# fewer rows (or groups) than this and no validation set is held out
MIN_VALIDATION_UNITS = 10


def validation_split(
    n: int,
    groups: Any = None,
    *,
    fraction: float,
    seed: int | None,
    times: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted train and validation row positions for early stopping.

    With ``times`` (when each row's follow-up starts, e.g. landmark months as
    integers) the split is by time: the validation rows are those at the latest
    distinct times, about ``fraction`` of the rows (at least the last time, never
    every time), the training rows all earlier ones, so early stopping picks the epoch
    that forecasts forward best. Pass the training outcomes through
    :func:`outcomes_before` so that no training row reveals what happens in the
    validation period. Otherwise, with ``groups`` (e.g. entity ids, one per row) whole
    groups go to one side, so an entity seen in training never scores its own
    validation loss. ``fraction == 0``, or fewer than 10 rows, groups or times, gives
    no validation rows.

    Raises
    ------
    SurvivalDataError
        If ``groups`` or ``times`` does not have one value per row, or ``times`` is not
        numeric.
    """
    from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit

    everything, nothing = np.arange(n), np.zeros(0, dtype=np.int64)
    if fraction == 0:
        return everything, nothing
    if times is not None:
        when = _row_times(times, n)
        distinct, counts = np.unique(when, return_counts=True)
        if n < MIN_VALIDATION_UNITS or distinct.size < 2:
            return everything, nothing
        # the latest times whose rows come closest to `fraction` of all rows
        share = np.cumsum(counts[::-1]) / n
        k = int(np.clip(np.argmin(np.abs(share - fraction)) + 1, 1, distinct.size - 1))
        late = when >= distinct[-k]
        return np.flatnonzero(~late), np.flatnonzero(late)
    rng = None if seed is None else int(seed) % 2**32
    if groups is not None:
        g = np.asarray(groups)
        if len(g) != n:
            raise SurvivalDataError(
                f"groups has {len(g)} values for {n} rows; pass one group id per row"
            )
        if np.unique(g).size < MIN_VALIDATION_UNITS:
            return everything, nothing
        splitter: Any = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=rng)
        train, val = next(splitter.split(everything, groups=g))
    else:
        if n < MIN_VALIDATION_UNITS:
            return everything, nothing
        splitter = ShuffleSplit(n_splits=1, test_size=fraction, random_state=rng)
        train, val = next(splitter.split(everything))
    return np.sort(train), np.sort(val)


def outcomes_before(
    durations: np.ndarray, events: np.ndarray, times: Any, val: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes as seen before the validation period of a time-based split.

    Every row that starts before the first validation time is censored there: its
    duration is cut at ``first_validation_time - time`` and an event after that is not
    an event. Without this an entity's earlier row would tell the model what happens
    to it in the validation period, and early stopping would reward memorising it.
    Validation rows are returned unchanged. With no validation rows nothing changes.
    """
    t = np.asarray(durations, dtype=float).copy()
    e = np.asarray(events, dtype=bool).copy()
    if len(val) == 0:
        return t, e
    when = _row_times(times, len(t))
    first = when[val].min()
    before = when < first
    cut = first - when[before]
    late = t[before] > cut
    t[before] = np.minimum(t[before], cut)
    e[before] = e[before] & ~late
    return t, e


def _row_times(times: Any, n: int) -> np.ndarray:
    when = np.asarray(times)
    if len(when) != n:
        raise SurvivalDataError(f"times has {len(when)} values for {n} rows; pass one per row")
    if not np.issubdtype(when.dtype, np.number) or not np.isfinite(when).all():
        raise SurvivalDataError(
            "times must be finite numbers in the durations' unit (e.g. as-of months as "
            "integers), one per row"
        )
    return when.astype(float)


def check_feature_frame(X: pd.DataFrame, feature_names: Sequence[str]) -> pd.DataFrame:
    """Return ``X`` restricted to the training features, in training order.

    Extra columns are ignored (a scoring frame may carry ids or labels); missing ones
    raise :class:`SurvivalDataError` naming them.
    """
    if not isinstance(X, pd.DataFrame):
        raise SurvivalDataError(f"expected a pandas DataFrame, got {type(X).__name__}")
    names = list(feature_names)
    missing = [c for c in names if c not in X.columns]
    if missing:
        raise SurvivalDataError(
            f"{len(missing)} feature column(s) the model was trained with are missing: "
            f"{missing[:10]}; score with the same feature list as training"
        )
    return X[names]


def check_horizons(horizons: float | Iterable[float], max_duration: float) -> np.ndarray:
    """Sorted unique positive horizons, none beyond the training follow-up.

    Raises
    ------
    SurvivalDataError
        For a horizon ≤ 0, not finite, or beyond ``max_duration`` (the model would have
        to extrapolate).
    """
    h = np.atleast_1d(np.asarray(horizons, dtype=float))
    if h.size == 0:
        raise SurvivalDataError("at least one horizon is needed")
    if not np.isfinite(h).all() or (h <= 0).any():
        raise SurvivalDataError(f"horizons must be finite and > 0, got {h.tolist()}")
    beyond = h[h > max_duration]
    if beyond.size:
        raise SurvivalDataError(
            f"horizon(s) {beyond.tolist()} lie beyond the training follow-up "
            f"({max_duration:g}); the model cannot predict there without extrapolating"
        )
    return np.unique(h)


#: how far a curve may stray from [0, 1] or rise with time by float rounding alone
CURVE_TOLERANCE = 1e-9


def survival_frame(values: np.ndarray, index: pd.Index, horizons: np.ndarray) -> pd.DataFrame:
    """Wrap an [n × horizons] array of a model's survival curves as the standard
    prediction frame.

    The model must give valid curves itself: finite, in [0, 1] and non-increasing along
    the horizons. Only float rounding (up to :data:`CURVE_TOLERANCE`) is evened out;
    anything more is the model's defect, and is refused rather than repaired (a repair
    would hide it from every test of the models).

    Raises
    ------
    InvalidPredictionError
        Naming how many rows break which rule, and the first of them.
    """
    s = np.asarray(values, dtype=float)
    tol = CURVE_TOLERANCE
    problems = []
    rules = (
        ("are not finite", ~np.isfinite(s)),
        ("lie outside [0, 1]", np.isfinite(s) & ((s < -tol) | (s > 1 + tol))),
        ("rise with time", np.pad(np.diff(s, axis=1) > tol, ((0, 0), (1, 0)))),
    )
    for what, bad in rules:
        rows = np.flatnonzero(bad.any(axis=1))
        if rows.size:
            i = rows[0]
            j = int(np.flatnonzero(bad[i])[0])
            problems.append(
                f"{rows.size} row(s) {what} (first: row {index[i]!r} at horizon "
                f"{horizons[j]:g}, S = {s[i, j]!r})"
            )
    if problems:
        raise InvalidPredictionError(
            "the model's survival curves are not valid: "
            + "; ".join(problems)
            + ". A survival curve is a probability that never rises with time."
        )
    s = np.minimum.accumulate(np.clip(s, 0.0, 1.0), axis=1)  # rounding noise only
    return pd.DataFrame(s, index=index, columns=pd.Index(horizons, name="horizon"))


# --------------------------------------------------------------------------- mixin


class SurvivalMixin:
    """Shared behaviour of every survival model (see the module docstring)."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}
    #: "table" models take a DataFrame; "sequence" models a survival.sequences.SequenceFrame
    input_kind: ClassVar[str] = "table"

    def predict_survival(self, X: pd.DataFrame, horizons: float | Iterable[float]) -> pd.DataFrame:
        raise NotImplementedError

    def predict_risk(self, X: pd.DataFrame, horizon: float) -> pd.Series:
        """P(event by ``horizon``) = 1 - S(horizon), one value per row of ``X``."""
        s = self.predict_survival(X, [horizon])
        return (1.0 - s.iloc[:, 0]).rename(f"risk_{horizon:g}")

    def score(self, X: pd.DataFrame, y: Any = None) -> float:
        """Harrell's C-index of ``predict_risk`` at the training follow-up's median.

        ``X`` must hold the duration and event columns used in ``fit``.
        """
        from survival.metrics import concordance_index_harrell

        check_is_fitted(self)
        _, t, e = split_survival_frame(X, self.duration_col_, self.event_col_)
        risk = self.predict_risk(X, float(np.median(t[e])) if e.any() else self.max_duration_)
        return float(concordance_index_harrell(t, e, risk.to_numpy())[0])

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the fitted model to ``path`` atomically (temp file, then rename)."""
        check_is_fitted(self)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": MODEL_FORMAT,
            "class": f"{type(self).__module__}.{type(self).__qualname__}",
            "model": self,
        }
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Any:
        """Read a model written by :meth:`save` (of this class or a subclass)."""
        path = Path(path)
        try:
            with path.open("rb") as fh:
                payload = pickle.load(fh)
        except FileNotFoundError:
            raise
        except Exception as exc:
            raise ModelFormatError(f"{path} is not a readable model file: {exc}") from exc
        if not isinstance(payload, dict) or "format" not in payload:
            raise ModelFormatError(f"{path} is not a model file written by survival")
        if payload["format"] > MODEL_FORMAT:
            raise ModelFormatError(
                f"{path} was written in model format {payload['format']}, newer than this "
                f"library reads ({MODEL_FORMAT}); upgrade the library to load it"
            )
        model = payload["model"]
        if not isinstance(model, cls):
            raise ModelFormatError(f"{path} holds a {payload['class']}, not a {cls.__name__}")
        return model
