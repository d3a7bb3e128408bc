"""Is a model good enough to act on? The holdout's verdict, in plain words.

A model whose holdout ranking is near chance, or whose holdout had too few events to
measure anything, still produces tidy tiers and actions; a branch head or HR cannot
tell. Training and scoring both ask :func:`weakness` and say its answer (the config's
``quality`` section sets the bar; the RM config says how small a bank is too small).
"""

from __future__ import annotations

import math

import pandas as pd

from attrition.config import QualityConfig
from attrition.registry import ModelRecord


def weakness(
    metrics: pd.DataFrame,
    quality: QualityConfig,
    *,
    model: str | None = None,
    horizon: float | None = None,
) -> str | None:
    """Why the holdout says not to trust a model, or None when it passes.

    Parameters
    ----------
    metrics : DataFrame
        Holdout metrics (``attrition train`` / ``metrics.csv``): ``horizon``,
        ``c_harrell``, ``events_test`` and, for several models, ``model``.
    quality : QualityConfig
    model : str, optional
        The row label of the model judged (``model:...``); all rows when None.
    horizon : float, optional
        The horizon whose C-index counts (the nearest evaluated one); by default the
        middle one.
    """
    if model is not None and "model" in metrics.columns:
        metrics = metrics[metrics["model"] == model]
    if metrics.empty:
        return "no holdout metrics were stored with the model, so its quality is unknown"
    reasons = []
    events = int(metrics["events_test"].iloc[0])
    if events < quality.min_holdout_events:
        reasons.append(
            f"its holdout had only {events} events (fewer than {quality.min_holdout_events}): "
            "too few to tell a good ranking from luck"
        )
    hs = metrics["horizon"].to_numpy(dtype=float)
    if horizon is None:
        row = metrics.iloc[len(metrics) // 2]
    else:
        row = metrics.iloc[int(abs(hs - horizon).argmin())]
    c = float(row["c_harrell"])
    if math.isnan(c) or c < quality.min_c_index:
        shown = "could not be measured" if math.isnan(c) else f"was {c:.3f}"
        reasons.append(
            f"its holdout C-index at horizon {row['horizon']:g} {shown} (0.5 is chance, the "
            f"bar is {quality.min_c_index:g}): its ranking is too weak to act on"
        )
    if not reasons:
        return None
    return "; ".join(reasons) + "; train on more history or a larger population before acting on it"


def model_warning(record: ModelRecord, horizon: float) -> str | None:
    """:func:`weakness` of a registered model, worded with its reference."""
    why = weakness(
        record.metrics,
        record.config.quality,
        model=record.metadata.get("model_label"),
        horizon=horizon,
    )
    return None if why is None else f"{record.ref} is a weak model: {why}"
