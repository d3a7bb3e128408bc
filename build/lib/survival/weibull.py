"""Weibull accelerated failure time model (lifelines ``WeibullAFTFitter``, penalised)."""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Real
from typing import ClassVar

import numpy as np
import pandas as pd
from lifelines import WeibullAFTFitter
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from survival.base import (
    DURATION,
    EVENT,
    REAL_NONNEG,
    Interval,
    SurvivalMixin,
    check_horizons,
    survival_frame,
    validate_params,
)
from survival.encoding import lifelines_training_frame


class WeibullAFTSurvival(SurvivalMixin, BaseEstimator):
    """Weibull AFT: log T = x·β + σ·W with W extreme-value; smooth parametric curves.

    Parameters
    ----------
    penalizer : float, default 0.01
        Elastic-net penalty on the coefficients (standardised features).
    l1_ratio : float in [0, 1], default 0.0
    clip : float or None, default 0.005
        Winsorise numeric features at these training quantiles (None: no clipping; see
        :class:`~survival.encoding.TabularEncoder`).
    categorical : tuple of str
        Extra columns to one-hot encode although numeric.

    Attributes
    ----------
    params_ : pandas.Series
        lifelines' fitted parameters (``lambda_`` and ``rho_`` blocks).
    encoder_, feature_names_in_, max_duration_
    """

    _parameter_constraints: ClassVar[dict[str, list[object]]] = {
        "penalizer": [REAL_NONNEG],
        "l1_ratio": [Interval(Real, 0.0, 1.0, "both")],
        "clip": [Interval(Real, 0.0, 0.5, "left"), None],
    }

    def __init__(
        self,
        penalizer: float = 0.01,
        *,
        l1_ratio: float = 0.0,
        clip: float | None = 0.005,
        categorical: tuple[str, ...] = (),
    ) -> None:
        self.penalizer = penalizer
        self.l1_ratio = l1_ratio
        self.clip = clip
        self.categorical = categorical

    def fit(
        self, df: pd.DataFrame, *, duration_col: str = DURATION, event_col: str = EVENT
    ) -> WeibullAFTSurvival:
        """Fit on ``df``: every column but ``duration_col``/``event_col`` is a feature."""
        validate_params(self)
        frame, t = lifelines_training_frame(self, df, duration_col, event_col)
        aft = WeibullAFTFitter(penalizer=float(self.penalizer), l1_ratio=float(self.l1_ratio))
        aft.fit(frame, duration_col="__t", event_col="__e")
        self.params_ = aft.params_.copy()
        self.max_duration_ = float(t.max())
        return self

    def _lambda_rho(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        Z = self.encoder_.transform(X)[self.columns_]
        out = []
        for block in ("lambda_", "rho_"):
            p = self.params_.loc[block]
            lin = np.full(len(Z), float(p.get("Intercept", 0.0)))
            cols = [c for c in p.index if c != "Intercept"]
            if cols:
                lin = lin + Z[cols].to_numpy() @ p[cols].to_numpy()
            out.append(np.exp(lin))
        return out[0], out[1]

    def predict_survival(self, X: pd.DataFrame, horizons: float | Iterable[float]) -> pd.DataFrame:
        """S(h | x) = exp(-(h / λ(x)) ** ρ(x)), rows = ``X.index``, columns = horizons."""
        check_is_fitted(self)
        h = check_horizons(horizons, self.max_duration_)
        lam, rho = self._lambda_rho(X)
        s = np.exp(-((h[None, :] / lam[:, None]) ** rho[:, None]))
        return survival_frame(s, X.index, h)
