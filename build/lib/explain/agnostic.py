"""The model-agnostic fallback: permutation SHAP over a small background.

For any model with ``predict_survival`` on a DataFrame (Weibull AFT, ensembles, models
added later). shap's ``PermutationExplainer`` walks random feature orderings forwards
and backwards, masking features with background values, so the contributions of each
row add up exactly to its output minus the background's mean output. Cost: about
``max_evals`` model calls per row, each on ``max_background`` rows; use it for lists
of thousands, not millions.

Categorical columns are passed to shap as integer codes and turned back into their
categories before the model sees them.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from explain.base import RiskExplainer, background_sample
from survival.base import check_feature_frame


class PermutationRiskExplainer(RiskExplainer):
    """Permutation SHAP for any tabular survival model.

    Extra parameters: ``max_background`` (default 50 rows), ``max_evals`` (model calls
    per row, default ``max(500, 2 F + 1)``) and ``seed``.
    """

    method: ClassVar[str] = "permutation"

    def __init__(
        self,
        *args: Any,
        max_background: int = 50,
        max_evals: int | None = None,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("tolerance", 1e-6)
        super().__init__(*args, **kwargs)
        self.max_background, self.max_evals, self.seed = max_background, max_evals, seed

    def _columns(self) -> list[str]:
        names = getattr(self.model, "feature_names_in_", None)
        return list(names) if names is not None else list(self.background.columns)

    def _attribute(self, X: pd.DataFrame):
        import shap

        names = self._columns()
        raw = check_feature_frame(X, names)
        bg = background_sample(
            check_feature_frame(self.background, names), self.max_background, self.seed
        )
        codes = _Codes(bg)

        def f(arr: np.ndarray) -> np.ndarray:
            return self.output(codes.decode(arr, names))

        masker = shap.maskers.Independent(codes.encode(bg), max_samples=len(bg))
        explainer = shap.PermutationExplainer(f, masker, seed=self.seed)
        evals = self.max_evals or max(500, 2 * len(names) + 1)
        result = explainer(codes.encode(raw), max_evals=evals, silent=True)
        values = np.asarray(result.values, dtype=float).reshape(len(raw), len(names))
        base = np.asarray(result.base_values, dtype=float).reshape(len(raw))
        return values, base, raw, names


class _Codes:
    """Categorical columns <-> float codes (NaN for a missing category)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.categories: dict[str, pd.Index] = {}
        self.dtypes = frame.dtypes
        for c in frame.columns:
            s = frame[c]
            if not pd.api.types.is_numeric_dtype(s.dtype) or isinstance(
                s.dtype, pd.CategoricalDtype
            ):
                cats = s.astype("category").cat.categories
                self.categories[c] = cats

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        cols = []
        for c in frame.columns:
            if c in self.categories:
                code = pd.Categorical(frame[c].astype(object), categories=self.categories[c]).codes
                cols.append(np.where(code < 0, np.nan, code).astype(float))
            else:
                cols.append(pd.to_numeric(frame[c], errors="coerce").astype(float).to_numpy())
        return np.column_stack(cols) if cols else np.zeros((len(frame), 0))

    def decode(self, arr: np.ndarray, names: list[str]) -> pd.DataFrame:
        out = {}
        for j, c in enumerate(names):
            col = arr[:, j]
            if c in self.categories:
                cats = self.categories[c]
                codes = np.where(np.isnan(col), -1, col).astype(int)
                out[c] = pd.Categorical.from_codes(codes, categories=cats)
            else:
                out[c] = col
        return pd.DataFrame(out)
