"""Holdout metrics of a fitted model, at each horizon (shared/QUALITY.md).

Per horizon: Harrell's and Uno's C-index, cumulative/dynamic AUC, Brier score,
calibration error against Kaplan–Meier by risk decile, and the share of the value that
actually left within the horizon that sits in the top 5/10/20% of the ranked list.
Across horizons: the integrated Brier score. Censoring weights (IPCW) come from the
training set, as scikit-survival does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from attrition.pipeline.datasets import DURATION, EVENT, VALUE, load_sets
from attrition.registry import ModelRecord, ModelRegistry
from survival.base import SurvivalDataError
from survival.metrics import (
    brier_score,
    calibration_at,
    captured_share,
    concordance_index_harrell,
    concordance_index_uno,
    cumulative_dynamic_auc,
    integrated_brier_score,
)


def _or_nan(compute: Callable[[], Any]) -> Any:
    """A metric that is undefined on this holdout (e.g. no event by a horizon) is NaN."""
    try:
        return compute()
    except SurvivalDataError:
        return np.nan


def _through(h: float) -> float:
    # Uno's C counts pairs with T_i < tau; events *at* the horizon belong in it
    return float(np.nextafter(h, np.inf))


def evaluable_horizons(
    horizons: tuple[float, ...], train: pd.DataFrame, test: pd.DataFrame
) -> list[float]:
    """Horizons inside both follow-ups (IPCW metrics are undefined beyond them)."""
    limit = min(test[DURATION].max(), train[DURATION].max())
    return [float(h) for h in horizons if h < limit]


def holdout_metrics(
    model: Any,
    train: pd.DataFrame,
    test: pd.DataFrame,
    X: Any,
    horizons: tuple[float, ...],
    *,
    top: tuple[float, ...] = (0.05, 0.10, 0.20),
) -> pd.DataFrame:
    """One row per horizon with every metric; ``predict_s`` is the scoring time.

    ``train`` and ``test`` hold the labels; ``X`` is what the model reads for the test
    rows (their features, or their monthly histories for a sequence model).
    """
    hs = evaluable_horizons(horizons, train, test)
    if not hs:
        raise ValueError(
            f"no horizon among {list(horizons)} lies inside the test follow-up "
            f"(max {test[DURATION].max():g}); use shorter horizons"
        )
    t0 = time.perf_counter()
    surv = model.predict_survival(X, hs).to_numpy()
    predict_s = time.perf_counter() - t0
    t_tr = train[DURATION].to_numpy(float)
    e_tr = train[EVENT].to_numpy(bool)
    t_te = test[DURATION].to_numpy(float)
    e_te = test[EVENT].to_numpy(bool)
    value = test[VALUE].to_numpy(float)
    # Brier scores need each time inside the test follow-up; the IBS spans those that are
    lo, hi = t_te.min(), t_te.max()
    inside = [j for j, h in enumerate(hs) if lo <= h < hi]
    briers = np.full(len(hs), np.nan)
    ibs = np.nan
    if inside:
        _, b = brier_score(t_tr, e_tr, t_te, e_te, surv[:, inside], np.asarray(hs)[inside])
        briers[inside] = b
    if len(inside) > 1:
        ibs = integrated_brier_score(
            t_tr, e_tr, t_te, e_te, surv[:, inside], np.asarray(hs)[inside]
        )
    rows = []
    for j, h in enumerate(hs):
        risk = 1.0 - surv[:, j]
        shares = _or_nan(lambda r=risk, h=h: captured_share(t_te, e_te, value, r, h, top=top))
        rows.append(
            {
                "horizon": h,
                "c_harrell": _or_nan(lambda r=risk: concordance_index_harrell(t_te, e_te, r)[0]),
                "c_uno": _or_nan(
                    lambda r=risk, h=h: concordance_index_uno(
                        t_tr, e_tr, t_te, e_te, r, tau=_through(h)
                    )[0]
                ),
                "auc": _or_nan(
                    lambda r=risk, h=h: cumulative_dynamic_auc(
                        t_tr, e_tr, t_te, e_te, r, np.asarray([h])
                    )[0][0]
                ),
                "brier": float(briers[j]),
                "ece": _or_nan(lambda r=risk, h=h: calibration_at(t_te, e_te, r, h).ece),
                **{
                    f"captured_top{round(k * 100)}": (
                        shares[k] if isinstance(shares, dict) else np.nan
                    )
                    for k in top
                },
                "ibs": ibs,
                "predict_s": predict_s,
                "n_test": len(test),
                "events_test": int(e_te.sum()),
                "events_by_horizon": int((e_te & (t_te <= h)).sum()),
            }
        )
    return pd.DataFrame(rows)


def evaluate_registered(
    ref: str, *, source: str | None = None, home: str | Path
) -> tuple[pd.DataFrame, ModelRecord]:
    """Re-score a registered model on a source's holdout (same landmarks, same split).

    The training config stored with the model decides the as-of months and the entity
    split; ``source`` replaces its data source. The model is refused if the features
    built now differ from the ones it was trained with.
    """

    record = ModelRegistry(home).get(ref)
    config = record.config
    config = config.with_source(source)
    model = record.load_holdout_model()  # the fit that never saw the holdout
    sets = load_sets(config, sequences=model.input_kind == "sequence")
    record.check_features(sets.feature_names, sets.catalogue_version)
    X = sets.inputs("test", model.input_kind)
    metrics = holdout_metrics(
        model, sets.train, sets.test, X, config.horizons, top=config.top_share
    )
    return metrics.assign(model=record.ref), record
