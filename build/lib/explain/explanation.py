"""What an explainer returns: per-feature contributions to the risk at one horizon."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# months of history by month: rows x months x features, in the log scale
MonthValues = np.ndarray


def risk_from_log_cumhaz(g: np.ndarray) -> np.ndarray:
    """P(event by the horizon) from the log cumulative hazard there: ``1 - exp(-e^g)``."""
    return -np.expm1(-np.exp(g))


def log_cumhaz_from_survival(s: np.ndarray) -> np.ndarray:
    """``log(-log S)``, the scale on which proportional-hazards models are additive."""
    s = np.clip(np.asarray(s, dtype=float), 1e-300, 1.0 - 1e-16)
    return np.log(-np.log(s))


def to_risk_scale(log_values: np.ndarray, log_base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Contributions on the risk scale that add up to ``risk(x) - risk(base)``.

    Each row's log-scale contributions are multiplied by one factor, the slope of the
    risk between the base and the row's output (the derivative where the two meet),
    so signs and the ranking of drivers within a row are kept and the risk-scale
    contributions add up exactly.
    """
    g = log_base + log_values.sum(axis=1)
    risk, base = risk_from_log_cumhaz(g), risk_from_log_cumhaz(log_base)
    step = g - log_base
    slope = np.exp(g - np.exp(g))  # d risk / d g
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(np.abs(step) > 1e-9, (risk - base) / step, slope)
    return log_values * factor[:, None], base


@dataclass(frozen=True, eq=False)
class RiskExplanation:
    """Why each row's risk at ``horizon`` is what it is.

    The explained number is P(event by ``horizon``) = 1 - S(horizon | x). For every
    row, ``base_values + values.sum(axis=1)`` equals it exactly. The same split on the
    log cumulative hazard scale, ``log(-log S(horizon | x))``, is in ``log_values``
    and ``log_base_values``: there linear Cox and boosted Cox models are additive and
    their attributions exact; the risk-scale values are those scaled row by row (see
    :func:`to_risk_scale`).

    Attributes
    ----------
    values : ndarray of shape (n, n_features)
        Contribution of each feature to the risk (probability points).
    base_values : ndarray of shape (n,)
        The risk every row starts from: the risk at ``log_base_values``. That is the
        mean log cumulative hazard over the background (linear, gradient and
        permutation methods) or the trees' expected margin over their training data
        (TreeSHAP), so it is not the mean risk of the background (the risk is a
        convex function of the log scale).
    log_values, log_base_values : ndarray
        The same on the log cumulative hazard scale.
    data : DataFrame
        The feature values explained (rows = the entities, columns = ``feature_names``;
        for sequence models the as-of month's values and the static features).
    feature_names : tuple of str
    horizon : float
    method : str
        ``"linear"``, ``"tree"``, ``"gradient"``, ``"sequence-gradient"`` or
        ``"permutation"``.
    residuals : ndarray of shape (n,)
        Sampled methods (expected gradients) add up only in expectation: the gap
        between the model's log output and base + raw contributions, which was shared
        among the features in proportion to |contribution|. Zero for exact methods.
    month_values : ndarray of shape (n, months, n_sequence_features) or None
        Sequence models: each month's contribution on the log scale, with the sampling
        residual shared out in the same proportions as the feature's, so summed over
        the months it gives the feature's ``log_values``; for "when did it start".
    month_feature_names : tuple of str
        The features of ``month_values``.
    model_version : str or None
    """

    values: np.ndarray
    base_values: np.ndarray
    log_values: np.ndarray
    log_base_values: np.ndarray
    data: pd.DataFrame
    feature_names: tuple[str, ...]
    horizon: float
    method: str
    residuals: np.ndarray | None = None
    month_values: MonthValues | None = None
    month_feature_names: tuple[str, ...] = field(default=())
    model_version: str | None = None

    def __len__(self) -> int:
        return int(self.values.shape[0])

    @property
    def index(self) -> pd.Index:
        return self.data.index

    @property
    def risk(self) -> pd.Series:
        """The explained risk of every row: ``base_values + values.sum(axis=1)``."""
        return pd.Series(self.base_values + self.values.sum(axis=1), index=self.index, name="risk")

    def frame(self, scale: str = "risk") -> pd.DataFrame:
        """Contributions as a DataFrame (rows = entities, columns = features)."""
        v = self.values if scale == "risk" else self.log_values
        return pd.DataFrame(v, index=self.index, columns=list(self.feature_names))

    def global_importance(self) -> pd.Series:
        """Mean |contribution| per feature on the risk scale, largest first."""
        mean_abs = (
            np.abs(self.values).mean(axis=0) if len(self) else np.zeros(len(self.feature_names))
        )
        out = pd.Series(mean_abs, index=list(self.feature_names), name="mean_abs_contribution")
        return out.sort_values(ascending=False, kind="stable")

    def top_drivers(self, k: int = 5, *, direction: str = "up") -> pd.DataFrame:
        """The ``k`` largest contributions of every row, one row per (entity, rank).

        Parameters
        ----------
        k : int
        direction : {"up", "both"}
            ``"up"``: only features that raise the risk (what to act on); ``"both"``:
            the largest in absolute value, either sign.

        Returns
        -------
        DataFrame
            Indexed like the explanation; columns ``row`` (the row's position, for
            duplicate ids), ``rank`` (1 = largest), ``feature``,
            ``value`` (the feature's value for the row), ``contribution`` (risk
            points), ``log_contribution`` and ``direction`` (``"raises"`` or
            ``"lowers"``). Rows with fewer than ``k`` qualifying features have fewer.
        """
        if direction not in ("up", "both"):
            raise ValueError(f"direction must be 'up' or 'both', got {direction!r}")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        v = self.values
        key = -v if direction == "up" else -np.abs(v)
        k_eff = min(k, v.shape[1])
        order = np.argsort(key, axis=1, kind="stable")[:, :k_eff]
        rows = np.repeat(np.arange(len(self)), k_eff)
        cols = order.ravel()
        contribution = v[rows, cols]
        keep = contribution > 0 if direction == "up" else contribution != 0
        rows, cols, contribution = rows[keep], cols[keep], contribution[keep]
        names = np.asarray(self.feature_names, dtype=object)
        values = self.data.reindex(columns=list(self.feature_names))
        cells = values.to_numpy(dtype=object)[rows, cols]
        index = self.index[rows]
        out = pd.DataFrame(
            {
                "row": rows,
                "rank": (np.arange(len(rows)) - np.searchsorted(rows, rows)) + 1,
                "feature": names[cols],
                "value": cells,
                "contribution": contribution,
                "log_contribution": self.log_values[rows, cols],
                "direction": np.where(contribution > 0, "raises", "lowers"),
            },
            index=index,
        )
        return out
