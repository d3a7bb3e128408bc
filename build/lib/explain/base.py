"""The explainer interface every model family's explainer follows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from explain.explanation import RiskExplanation, log_cumhaz_from_survival, to_risk_scale


class AdditivityError(ArithmeticError):
    """Attributions plus the base value do not reproduce the model's output."""


class RiskExplainer:
    """Explains P(event by ``horizon``) of a fitted ``survival`` model.

    Build one with :func:`explain.make_explainer`; call it on rows to get a
    :class:`~explain.explanation.RiskExplanation`.

    Parameters
    ----------
    model : fitted survival model
    background : DataFrame or SequenceFrame
        Rows that stand for "a typical entity" (a sample of the training rows): the
        base value is the mean log cumulative hazard over them (TreeSHAP uses the
        trees' own training expectation instead).
    horizon : float
    check_additivity : bool, default True
        For exact methods, raise :class:`AdditivityError` when base + contributions
        miss the model's output by more than ``tolerance`` (as shap's TreeExplainer).
    tolerance : float, default 1e-4
        On the log cumulative hazard scale.
    model_version : str, optional
        Carried into the explanation.
    """

    method: ClassVar[str] = ""
    exact: ClassVar[bool] = True

    def __init__(
        self,
        model: Any,
        background: Any,
        *,
        horizon: float,
        check_additivity: bool = True,
        tolerance: float = 1e-4,
        model_version: str | None = None,
    ) -> None:
        self.model = model
        self.background = background
        self.horizon = float(horizon)
        self.check_additivity = check_additivity
        self.tolerance = tolerance
        self.model_version = model_version

    def __call__(self, X: Any) -> RiskExplanation:
        return self._finish(X, *self._attribute(X))

    def _finish(
        self,
        X: Any,
        log_values: np.ndarray,
        log_base: np.ndarray,
        data: pd.DataFrame,
        names: Sequence[str],
    ) -> RiskExplanation:
        """Check or share out the additivity gap and build the explanation."""
        residuals = np.zeros(len(data))
        if self.exact and self.check_additivity and len(data):
            self._check(X, log_values, log_base)
        elif not self.exact and len(data):
            log_values, residuals = spread_residual(log_values, log_base, self.output(X))
        values, base = to_risk_scale(log_values, log_base)
        return self._explanation(
            values, base, log_values, log_base, data, names, residuals=residuals
        )

    def _explanation(
        self,
        values: np.ndarray,
        base: np.ndarray,
        log_values: np.ndarray,
        log_base: np.ndarray,
        data: pd.DataFrame,
        names: Sequence[str],
        **extra: Any,
    ) -> RiskExplanation:
        return RiskExplanation(
            values=values,
            base_values=base,
            log_values=log_values,
            log_base_values=log_base,
            data=data,
            feature_names=tuple(names),
            horizon=self.horizon,
            method=self.method,
            model_version=self.model_version,
            **extra,
        )

    def output(self, X: Any) -> np.ndarray:
        """The explained output on the log scale: ``log(-log S(horizon | x))``."""
        s = self.model.predict_survival(X, [self.horizon]).to_numpy()[:, 0]
        return log_cumhaz_from_survival(s)

    def _check(self, X: Any, log_values: np.ndarray, log_base: np.ndarray) -> None:
        got = log_base + log_values.sum(axis=1)
        want = self.output(X)
        gap = np.abs(got - want)
        worst = int(np.argmax(gap))
        if gap[worst] > self.tolerance:
            raise AdditivityError(
                f"{type(self).__name__}: base value + contributions = {got[worst]:.6f} but "
                f"the model gives {want[worst]:.6f} (log cumulative hazard at "
                f"{self.horizon:g}) for row {worst}; a gap of {gap[worst]:.2e} > "
                f"{self.tolerance:g}. Pass check_additivity=False to skip this check."
            )

    def _attribute(self, X: Any) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, list[str]]:
        """Log-scale contributions (n, F), base values (n,), the data and its names."""
        raise NotImplementedError


def spread_residual(
    log_values: np.ndarray, log_base: np.ndarray, output: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Make sampled attributions add up: the gap between the output and base +
    contributions is shared among the features in proportion to |contribution|
    (evenly when all are zero). Returns the adjusted values and the gaps."""
    residuals = output - (log_base + log_values.sum(axis=1))
    weight = np.abs(log_values)
    total = weight.sum(axis=1, keepdims=True)
    n = max(log_values.shape[1], 1)
    share = np.where(total > 0, weight / np.where(total > 0, total, 1.0), 1.0 / n)
    return log_values + share * residuals[:, None], residuals


def sum_by_source(values: np.ndarray, sources: Sequence[str], names: Sequence[str]) -> np.ndarray:
    """Columns of ``values`` (one per encoded column) summed into ``names`` by source."""
    position = {n: j for j, n in enumerate(names)}
    out = np.zeros((values.shape[0], len(names)))
    cols = np.array([position[s] for s in sources], dtype=int)
    np.add.at(out.T, cols, values.T)
    return out


# rows of a SHAP background: enough for stable attributions, few enough to explain a
# bank in minutes (bench_explain)
BACKGROUND_ROWS = 200


def background_sample(rows: Any, n: int = BACKGROUND_ROWS, seed: int = 0) -> Any:
    """At most ``n`` of ``rows`` (a DataFrame or a SequenceFrame), seeded, in order."""
    if len(rows) <= n:
        return rows
    pick = np.sort(np.random.default_rng(seed).choice(len(rows), n, replace=False))
    return rows.iloc[pick] if isinstance(rows, pd.DataFrame) else rows.take(pick)
