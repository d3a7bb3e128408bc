"""An ensemble that averages the survival curves of its members."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from survival.base import (
    DURATION,
    EVENT,
    Check,
    SurvivalMixin,
    check_horizons,
    split_survival_frame,
    survival_frame,
    validate_params,
)


def _members_ok(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and len(value) >= 1
        and all(hasattr(m, "fit") and hasattr(m, "predict_survival") for m in value)
    )


def _weights_ok(value: Any) -> bool:
    if value is None:
        return True
    w = np.asarray(value, dtype=float)
    return w.ndim == 1 and (w >= 0).all() and w.sum() > 0


class EnsembleSurvival(SurvivalMixin, BaseEstimator):
    """Weighted average of the members' survival curves S_k(h | x).

    Averaging curves (not risk scores) keeps the result a proper survival function:
    each S_k is in [0, 1] and non-increasing, so their convex combination is too.

    Parameters
    ----------
    members : list of survival models
        Unfitted models; ``fit`` fits a clone of each on the same frame.
    weights : list of float, optional
        Non-negative weights, one per member (equal by default); normalised to sum to 1.

    Attributes
    ----------
    members_ : list of fitted models
    weights_ : ndarray
    max_duration_ : float
        The smallest follow-up among the members.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "members": [Check(_members_ok, "a non-empty list of survival models")],
        "weights": [Check(_weights_ok, "None or non-negative weights, one per member")],
    }

    def __init__(self, members: Sequence[Any] = (), *, weights: Sequence[float] | None = None):
        self.members = members
        self.weights = weights

    def fit(
        self,
        df: pd.DataFrame,
        *,
        duration_col: str = DURATION,
        event_col: str = EVENT,
        **fit_params: Any,
    ) -> EnsembleSurvival:
        """Fit a clone of every member; ``fit_params`` (e.g. ``groups``) go to members
        whose ``fit`` accepts them."""
        validate_params(self)
        if self.weights is not None and len(self.weights) != len(self.members):
            raise ValueError(
                f"EnsembleSurvival: {len(self.weights)} weights for {len(self.members)} members"
            )
        X, _, _ = split_survival_frame(df, duration_col, event_col)
        self.duration_col_, self.event_col_ = duration_col, event_col
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.members_ = []
        for member in self.members:
            m = clone(member)
            accepted = {
                k: v for k, v in fit_params.items() if k in inspect.signature(m.fit).parameters
            }
            self.members_.append(
                m.fit(df, duration_col=duration_col, event_col=event_col, **accepted)
            )
        w = np.ones(len(self.members_)) if self.weights is None else np.asarray(self.weights, float)
        self.weights_ = w / w.sum()
        self.max_duration_ = float(min(m.max_duration_ for m in self.members_))
        return self

    def predict_survival(self, X: pd.DataFrame, horizons: float | Iterable[float]) -> pd.DataFrame:
        """Σ_k w_k S_k(h | x), rows = ``X.index``, columns = horizons."""
        check_is_fitted(self)
        h = check_horizons(horizons, self.max_duration_)
        total = np.zeros((len(X), len(h)))
        for w, m in zip(self.weights_, self.members_, strict=True):
            total += w * m.predict_survival(X, h).to_numpy()
        return survival_frame(total, X.index, h)
