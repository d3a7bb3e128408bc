"""Turning a feature frame (numbers, categories, missing values) into a float matrix.

Every model fits a :class:`TabularEncoder` first and saves it with itself, so training
and scoring run the same transformation.
"""

from __future__ import annotations

import warnings
from numbers import Real
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from survival.base import INT_POS, Interval, Options, SurvivalDataError, validate_params


def _is_categorical(s: pd.Series) -> bool:
    return (
        isinstance(s.dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(s.dtype)
        or pd.api.types.is_string_dtype(s.dtype)
    )


class TabularEncoder(TransformerMixin, BaseEstimator):
    """Encode mixed features as floats, never letting a NaN through.

    - Categorical columns (``category``, ``object`` or ``string`` dtype, or named in
      ``categorical``) are one-hot encoded (``"col=value"``) over the categories seen in
      training, the ``max_categories`` most frequent ones; rarer and unseen categories
      get all zeros. A missing category is a category of its own (``"col=<missing>"``).
    - Numeric columns: with ``impute=True`` a missing value becomes the training median,
      and a 0/1 column ``"col__missing"`` is added for every column that had missing
      values in training; with ``impute=False`` NaN is kept (for models that handle it,
      such as gradient-boosted trees).
    - ``clip`` winsorises numeric columns at the training ``clip`` and ``1 - clip``
      quantiles: bank data is heavy-tailed (an AUM change of +5,000% after a tiny
      balance), and one extreme row must not dominate a linear model or a network.
    - ``standardize=True`` centres and scales numeric columns (training mean and std).
    - Infinite values are rejected with :class:`~survival.base.SurvivalDataError`.

    Parameters
    ----------
    categorical : tuple of str
        Extra columns to treat as categorical even if numeric (e.g. integer codes).
    impute : bool
    clip : float in [0, 0.5) or None
    standardize : bool
    max_categories : int
    """

    _parameter_constraints: ClassVar[dict[str, list[object]]] = {
        "impute": [Options((True, False))],
        "standardize": [Options((True, False))],
        "clip": [Interval(Real, 0.0, 0.5, "left"), None],
        "max_categories": [INT_POS],
    }

    def __init__(
        self,
        *,
        categorical: tuple[str, ...] = (),
        impute: bool = True,
        clip: float | None = 0.005,
        standardize: bool = True,
        max_categories: int = 50,
    ) -> None:
        self.categorical = categorical
        self.impute = impute
        self.clip = clip
        self.standardize = standardize
        self.max_categories = max_categories

    def fit(self, X: pd.DataFrame, y: object = None) -> TabularEncoder:
        validate_params(self)
        if not isinstance(X, pd.DataFrame):
            raise SurvivalDataError(f"expected a pandas DataFrame, got {type(X).__name__}")
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        cats = {c for c in X.columns if _is_categorical(X[c]) or c in set(self.categorical)}
        self.categorical_ = [c for c in X.columns if c in cats]
        self.numeric_ = [c for c in X.columns if c not in cats]
        self.categories_ = {}
        for c in self.categorical_:
            values = X[c].astype(object).where(X[c].notna(), "<missing>").astype(str)
            top = values.value_counts(sort=True).index[: self.max_categories]
            self.categories_[c] = sorted(top)
        num = self._numeric(X)
        self.medians_ = (
            np.nan_to_num(np.nanmedian(num, axis=0), nan=0.0) if num.size else np.zeros(0)
        )
        self.had_missing_ = [
            c for c, m in zip(self.numeric_, np.isnan(num).any(axis=0), strict=True) if m
        ]
        if self.clip and num.size:
            with warnings.catch_warnings():  # an all-missing column has no quantile
                warnings.simplefilter("ignore", RuntimeWarning)
                self.clip_low_ = np.nanquantile(num, self.clip, axis=0)
                self.clip_high_ = np.nanquantile(num, 1 - self.clip, axis=0)
            self.clip_low_ = np.where(np.isnan(self.clip_low_), -np.inf, self.clip_low_)
            self.clip_high_ = np.where(np.isnan(self.clip_high_), np.inf, self.clip_high_)
        else:
            self.clip_low_ = np.full(num.shape[1], -np.inf)
            self.clip_high_ = np.full(num.shape[1], np.inf)
        num = np.clip(num, self.clip_low_, self.clip_high_)  # NaN stays NaN
        filled = np.where(np.isnan(num), self.medians_, num) if self.impute else num
        self.means_ = np.nanmean(filled, axis=0) if num.size else np.zeros(0)
        std = np.nanstd(filled, axis=0) if num.size else np.zeros(0)
        self.scales_ = np.where(std > 1e-12, std, 1.0)
        self.means_ = np.nan_to_num(self.means_)
        self.feature_names_out_ = self._names_out()
        return self

    def _numeric(self, X: pd.DataFrame) -> np.ndarray:
        cols = []
        for c in self.numeric_:
            s = X[c]
            if pd.api.types.is_bool_dtype(s.dtype):
                s = s.astype("Float64")
            cols.append(pd.to_numeric(s, errors="coerce").astype(float).to_numpy())
        num = np.column_stack(cols) if cols else np.zeros((len(X), 0))
        inf = np.isinf(num)
        if inf.any():
            bad = [self.numeric_[j] for j in np.flatnonzero(inf.any(axis=0))]
            rows = [str(i) for i in X.index[np.flatnonzero(inf.any(axis=1))[:5]]]
            raise SurvivalDataError(
                f"feature column(s) {bad} hold infinite values (first ids: {rows}); "
                "replace them with a finite number or leave them missing"
            )
        return num

    def _names_out(self) -> list[str]:
        names = list(self.numeric_)
        names += [f"{c}__missing" for c in self.had_missing_] if self.impute else []
        for c in self.categorical_:
            names += [f"{c}={v}" for v in self.categories_[c]]
        return names

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Encode ``X`` (columns as in ``fit``; extra columns ignored)."""
        check_is_fitted(self)
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise SurvivalDataError(
                f"{len(missing)} feature column(s) the model was trained with are missing: "
                f"{missing[:10]}; score with the same feature list as training"
            )
        num = np.clip(self._numeric(X), self.clip_low_, self.clip_high_)
        blocks = []
        if self.impute:
            isnan = np.isnan(num)
            filled = np.where(isnan, self.medians_, num)
            flags = [isnan[:, self.numeric_.index(c)].astype(float) for c in self.had_missing_]
        else:
            filled, flags = num, []
        if self.standardize:
            filled = (filled - self.means_) / self.scales_
        blocks.append(filled)
        if flags:
            blocks.append(np.column_stack(flags))
        for c in self.categorical_:
            values = X[c].astype(object).where(X[c].notna(), "<missing>").astype(str).to_numpy()
            cats = np.asarray(self.categories_[c], dtype=object)
            blocks.append((values[:, None] == cats[None, :]).astype(float))
        out = np.column_stack(blocks) if blocks else np.zeros((len(X), 0))
        return pd.DataFrame(out, index=X.index, columns=self.feature_names_out_)

    def output_sources(self) -> list[str]:
        """The input column behind each output column, in ``feature_names_out_`` order
        (``"x"``, ``"x__missing"`` and every ``"x=value"`` come from ``"x"``), so that
        attributions of encoded columns can be summed back to the features a user knows.
        """
        check_is_fitted(self)
        sources = list(self.numeric_)
        sources += list(self.had_missing_) if self.impute else []
        for c in self.categorical_:
            sources += [c] * len(self.categories_[c])
        return sources

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self)
        return np.asarray(self.feature_names_out_, dtype=object)


def lifelines_training_frame(
    model: object, df: pd.DataFrame, duration_col: str, event_col: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """Encode ``df`` for a lifelines fitter and record the fitted encoding on ``model``.

    Sets ``duration_col_``, ``event_col_``, ``feature_names_in_``, ``encoder_`` (a
    :class:`TabularEncoder` built from ``model.categorical`` and ``model.clip``) and
    ``columns_`` (encoded columns that vary; a constant carries no information and
    makes lifelines' Newton steps singular). Returns the frame with the duration in
    ``"__t"`` and the event in ``"__e"``, and the durations.
    """
    from survival.base import split_survival_frame

    X, t, e = split_survival_frame(df, duration_col, event_col)
    model.duration_col_, model.event_col_ = duration_col, event_col  # type: ignore[attr-defined]
    model.feature_names_in_ = np.asarray(X.columns, dtype=object)  # type: ignore[attr-defined]
    encoder = TabularEncoder(
        categorical=tuple(model.categorical),
        clip=model.clip,  # type: ignore[attr-defined]
    ).fit(X)
    model.encoder_ = encoder  # type: ignore[attr-defined]
    Z = encoder.transform(X)
    Z = Z.loc[:, Z.std(ddof=0).to_numpy() > 0]
    model.columns_ = list(Z.columns)  # type: ignore[attr-defined]
    return Z.reset_index(drop=True).assign(__t=t, __e=e.astype(int)), t
