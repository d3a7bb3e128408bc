"""Exact attributions where the model is additive on the log cumulative hazard scale.

- Linear Cox: ``log(-log S(h | x)) = log H0(h) + (z - m)·β``, so each encoded column's
  contribution is ``β_j (z_j - mean_j)`` with ``mean_j`` over the background rows, and
  the base value is the background's mean output. These are the interventional SHAP
  values of a linear model, with no sampling.
- Boosted Cox: ``log(-log S(h | x)) = log H0(h) + f(x)`` with ``f`` a sum of trees, so
  XGBoost's own TreeSHAP (``pred_contribs``, path-dependent, exact) splits ``f``; the
  base value is ``log H0(h)`` plus the trees' expected margin over the training data
  (the background is not used).

Contributions of encoded columns (one-hot levels, missing-value flags) are summed back
to the feature they came from.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from explain.base import RiskExplainer, sum_by_source
from survival.base import check_feature_frame, step_function_at


def _raw(model: Any, X: pd.DataFrame) -> pd.DataFrame:
    return check_feature_frame(X, model.feature_names_in_)


class LinearRiskExplainer(RiskExplainer):
    """Exact attributions for :class:`~survival.cox.CoxPHSurvival`."""

    method: ClassVar[str] = "linear"

    def _attribute(self, X: pd.DataFrame):
        model = self.model
        names = list(model.feature_names_in_)
        enc = model.encoder_
        out_names = list(enc.feature_names_out_)
        all_sources = enc.output_sources()
        sources = [all_sources[out_names.index(c)] for c in model.columns_]
        beta = model.coef_.to_numpy()
        Z = enc.transform(_raw(model, X))[model.columns_].to_numpy()
        Zb = enc.transform(_raw(model, self.background))[model.columns_].to_numpy()
        per_column = (Z - Zb.mean(axis=0)) * beta
        base = np.full(len(X), self.output(self.background).mean())
        return sum_by_source(per_column, sources, names), base, _raw(model, X), names


class TreeRiskExplainer(RiskExplainer):
    """Exact TreeSHAP for :class:`~survival.boosting.GradientBoostedCoxSurvival`."""

    method: ClassVar[str] = "tree"

    def _attribute(self, X: pd.DataFrame):
        import xgboost as xgb

        model = self.model
        names = list(model.feature_names_in_)
        raw = _raw(model, X)
        Z = model.encoder_.transform(raw).to_numpy(dtype=np.float32)
        contribs = model.booster_.predict(xgb.DMatrix(Z, missing=np.nan), pred_contribs=True)
        contribs = contribs.astype(float)
        h0 = 1.0 - step_function_at(
            model.baseline_times_, 1.0 - model.baseline_cumhaz_, np.array([self.horizon])
        )
        base = np.log(h0[0]) + contribs[:, -1]
        values = sum_by_source(contribs[:, :-1], model.encoder_.output_sources(), names)
        return values, base, raw, names
