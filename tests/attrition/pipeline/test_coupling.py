"""RM flight risk as a client feature: cross-fitted in training, passed at scoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attrition.config import parse_config
from attrition.errors import ConfigError
from attrition.features import build_features
from attrition.pipeline.coupling import _fold_of, cross_fitted_rm_risk
from attrition.pipeline.datasets import (
    bank_sets,
    landmark_months,
    outcomes_seen_before,
    target_labels,
)
from attrition.pipeline.score import score_bank
from attrition.pipeline.train import train
from survival.catalog import make_model

RM_MODEL = {"type": "coxph", "params": {"penalizer": 0.5}}


def _client_config(source: str | None = None, **rm_risk):
    raw = {
        "name": "client_outflow_coupled",
        "target": "client_outflow",
        "seed": 3,
        "model": {"type": "xgb_cox", "params": {"n_estimators": 60}},
        "landmarks": {"count": 6, "step": 3, "holdout": 2},
        "rm_risk": {"model": RM_MODEL, "folds": 3, **rm_risk},
    }
    if source:
        raw["data"] = {"source": source}
    return parse_config(raw)


def test_every_rm_landmark_gets_an_out_of_fold_risk(scored_bank):
    data = scored_bank.data
    cfg = _client_config()
    train_m, test_m = landmark_months(data.last_month, cfg)
    risk = cross_fitted_rm_risk(data, cfg, train_m, test_m)
    assert risk.between(0, 1).all()
    months = set(risk.index.get_level_values("as_of"))
    assert months == set(train_m) | set(test_m)
    # fold 0's risks come from a model fitted on the other folds only
    rm_cfg = cfg.model_copy(
        update={"target": "rm_resignation", "model": cfg.rm_risk.model, "rm_risk": None}
    )
    X = build_features(data, "rm", train_m)
    rows = outcomes_seen_before(
        X.join(target_labels(data, rm_cfg, train_m)[["duration", "event"]], how="inner"),
        test_m[0],
    )
    fold = _fold_of(rows.index.get_level_values(0), 3, cfg.seed)
    by_hand = make_model("coxph", {"penalizer": 0.5}).fit(rows[fold != 0])
    want = by_hand.predict_risk(rows.loc[fold == 0, list(X.columns)], 3.0)
    got = risk.reindex(
        pd.MultiIndex.from_arrays(
            [want.index.get_level_values(0).astype(str), want.index.get_level_values("as_of")]
        )
    )
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy())
    in_sample = make_model("coxph", {"penalizer": 0.5}).fit(rows)
    assert not np.allclose(in_sample.predict_risk(rows.loc[fold == 0, list(X.columns)], 3.0), want)


def test_client_sets_carry_the_rm_risk_and_only_client_targets_may_ask(scored_bank):
    sets = bank_sets(scored_bank.data, _client_config())
    assert "rm_flight_risk" in sets.feature_names
    assert sets.train["rm_flight_risk"].notna().mean() > 0.9
    with pytest.raises(ConfigError, match="rm_risk feeds the RM's flight risk to client models"):
        parse_config(
            {
                "name": "r",
                "target": "rm_resignation",
                "model": RM_MODEL,
                "rm_risk": {"model": RM_MODEL},
            }
        )


def test_a_coupled_client_model_is_scored_with_the_rms_risk(scored_bank, home, tmp_path):
    bank = str(home / "bank")
    result = train(_client_config(bank), home=str(home))
    assert "rm_flight_risk" in result.record.metadata["feature_names"]
    models = {"client": result.record.ref}
    scores = score_bank(scored_bank.data, home=home, models=models).scores
    clients = scores[scores["entity_type"] == "client"]
    assert len(clients) > 0 and clients["risk_3m"].notna().all()
    with pytest.raises(ConfigError, match="score the RMs too"):
        score_bank(scored_bank.data, home=home, entities=("client",), models=models)
