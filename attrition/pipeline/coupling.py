"""RM flight risk as a client feature, cross-fitted so that training stays honest.

An RM's risk of resigning drives their clients' outflow (DOMAIN.md: clients follow the
RM out). At scoring time the registered RM model gives every RM a risk and the client
features carry it as ``rm_flight_risk``. To train a client model on that feature, each
training landmark needs the RM's risk *as a model that had not seen this RM's outcome
would have put it*: otherwise the feature would leak the resignations of the training
period into the client model and it would trust the feature far too much. So the RM
model (``rm_risk.model`` of the client config) is fitted in ``rm_risk.folds`` folds of
RMs on the RM landmark rows of the same as-of months (outcomes censored at the first
test as-of, as for every training row), and each RM's training landmarks get the risk
from the fold model that left that RM out. The test landmarks get it from a model
fitted on all training rows, which saw no outcome of the test period.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pandas as pd

from attrition.config import TrainConfig
from attrition.contracts import BankData
from attrition.errors import ConfigError
from attrition.features import build_features
from attrition.pipeline.outcomes import DURATION, EVENT, outcomes_seen_before, target_labels
from survival.catalog import make_model


def _fit(model: Any, frame: pd.DataFrame, groups: np.ndarray) -> Any:
    kwargs = {"groups": groups} if "groups" in inspect.signature(model.fit).parameters else {}
    return model.fit(frame, duration_col="duration", event_col="event", **kwargs)


def _fold_of(ids: pd.Index, folds: int, seed: int) -> np.ndarray:
    values = np.asarray(ids.astype(str), dtype=object)
    h = pd.util.hash_array(values, hash_key=f"rmfold{seed:010d}"[:16])
    return (h % np.uint64(folds)).astype(int)


def cross_fitted_rm_risk(
    data: BankData, config: TrainConfig, train_m: list[pd.Period], test_m: list[pd.Period]
) -> pd.Series:
    """Risk of resigning within ``rm_risk.horizon`` months per ``(rm_id, as_of)``.

    With no ``test_m`` (the refit on every landmark after the holdout), the training
    outcomes run to the end of the data and only the cross-fitted risks are returned.

    Raises
    ------
    ConfigError
        When a fold (or the whole training period) has no resignation to learn from.
    """
    spec = config.rm_risk
    if spec is None:
        raise ConfigError("cross_fitted_rm_risk needs a config with rm_risk")
    rm_config = config.model_copy(
        update={"target": "rm_resignation", "model": spec.model, "rm_risk": None}
    )
    X = build_features(data, "rm", train_m)
    rows = X.join(target_labels(data, rm_config, train_m)[[DURATION, EVENT]], how="inner")
    rows = outcomes_seen_before(rows, test_m[0] if test_m else data.last_month + 1)
    names = list(X.columns)
    ids = rows.index.get_level_values(0)
    fold = _fold_of(ids, spec.folds, config.seed)
    horizon = float(spec.horizon)
    parts = []
    for k in range(spec.folds):
        fit_rows, held = rows[fold != k], rows[fold == k]
        if len(held) == 0:
            continue
        if not fit_rows[EVENT].any():
            raise ConfigError(
                f"rm_risk: the RMs outside fold {k + 1} of {spec.folds} have no resignation in "
                "the training period; lower rm_risk.folds or use a bank with more RMs"
            )
        model = _fit(
            make_model(spec.model.type, spec.model.params),
            fit_rows,
            ids[fold != k].astype(str).to_numpy(),
        )
        parts.append(model.predict_risk(held[names], horizon))
    if not rows[EVENT].any():
        raise ConfigError("rm_risk: no RM resigned in the training period; nothing to learn")
    if test_m:
        full = _fit(
            make_model(spec.model.type, spec.model.params), rows, ids.astype(str).to_numpy()
        )
        parts.append(full.predict_risk(build_features(data, "rm", test_m)[names], horizon))
    risk = pd.concat(parts)
    risk.index = pd.MultiIndex.from_arrays(
        [risk.index.get_level_values(0).astype(str), risk.index.get_level_values("as_of")],
        names=["rm_id", "as_of"],
    )
    return risk.rename("rm_risk")
