"""Drivers in plain English and Chinese, from the catalogue, for bank and flat models."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from attrition.config import parse_config
from attrition.features import feature_info
from attrition.pipeline.datasets import bank_sets
from attrition.pipeline.drivers import drivers_table
from attrition.results import DRIVER_COLUMNS, ScoringResult
from explain import RiskExplanation, make_explainer
from explain.gradient import HISTORY
from survival.catalog import make_model


@pytest.fixture(scope="module")
def client_explanation(small_bank):
    cfg = parse_config(
        {
            "name": "d",
            "target": "client_outflow",
            "seed": 3,
            "model": {"type": "xgb_cox"},
            "landmarks": {"count": 6, "step": 3, "holdout": 2},
        }
    )
    sets = bank_sets(small_bank.data, cfg)
    model = make_model("xgb_cox", {"n_estimators": 60, "seed": 0}).fit(
        sets.inputs("train", "table")
    )
    rows = sets.test[sets.feature_names].iloc[:80]
    background = sets.train[sets.feature_names].sample(200, random_state=0)
    return make_explainer(model, background, horizon=3)(rows)


def test_client_drivers_are_worded_from_the_catalogue_in_both_languages(client_explanation):
    table = drivers_table(client_explanation, "client", k=3)
    assert len(table) > 0 and table["rank"].max() <= 3
    assert (table["contribution"] > 0).all()
    for _, row in table.head(20).iterrows():
        info = feature_info("client", row["feature"])
        assert row["label_en"] == info.label("en") and row["label_zh"] == info.label("zh")
        assert row["text_en"] == info.render(row["value"], "en")
        assert row["text_zh"] == info.render(row["value"], "zh")
    assert table["text_zh"].str.contains(r"[\u4e00-\u9fff]").all()


def _exported(explanation, entity, k=5) -> pd.Series:
    """The explanation's drivers as the scores file holds them: a JSON list per entity."""
    table = drivers_table(explanation, entity, k=k)
    ids = explanation.index.get_level_values(0).astype(str)
    drivers = table.assign(
        id=np.asarray(ids)[table["row"].to_numpy()], entity_type=entity or "flat"
    )[DRIVER_COLUMNS]
    scores = pd.DataFrame({"id": list(dict.fromkeys(ids)), "entity_type": entity or "flat"})
    export = ScoringResult(scores, drivers).to_export()
    return export.set_index("id")["drivers"]


def test_the_scores_file_holds_each_entitys_drivers_in_rank_order(client_explanation):
    out = _exported(client_explanation, "client", k=3)
    table = drivers_table(client_explanation, "client", k=3)
    first = table.index[0]
    items = json.loads(out.loc[str(first[0])])
    assert [i["feature"] for i in items] == list(table.loc[[first], "feature"])
    assert items[0]["contribution"] >= items[-1]["contribution"] > 0
    assert set(items[0]) == {
        "feature",
        "value",
        "contribution",
        "direction",
        "label_en",
        "label_zh",
        "text_en",
        "text_zh",
    }
    json.dumps([json.loads(s) for s in out])  # every row is valid JSON
    # and the file reads back into the same long table
    back = ScoringResult.from_export(
        out.rename_axis("id").reset_index().assign(entity_type="client")
    )
    assert len(back.drivers) == len(table)


def test_flat_models_use_column_names_and_pseudo_features_are_not_drivers():
    index = pd.Index(["a", "b"], name="id")
    explanation = RiskExplanation(
        values=np.array([[0.10, 0.30, 0.05], [0.02, -0.01, 0.20]]),
        base_values=np.array([0.1, 0.1]),
        log_values=np.array([[0.2, 0.6, 0.1], [0.04, -0.02, 0.4]]),
        log_base_values=np.array([-2.0, -2.0]),
        data=pd.DataFrame(
            {"prio": [3, np.nan], HISTORY: [12, 3], "age": [30, 40]}, index=index
        ).reindex(columns=["prio", HISTORY, "age"]),
        feature_names=("prio", HISTORY, "age"),
        horizon=12.0,
        method="linear",
    )
    table = drivers_table(explanation, None, k=5)
    assert HISTORY not in set(table["feature"])
    assert list(table.loc["a", "feature"]) == ["prio", "age"]
    assert table.loc["a", "text_en"].iloc[0] == "prio: 3.0"
    b = json.loads(_exported(explanation, None).loc["b"])
    assert [d["feature"] for d in b] == ["age", "prio"]
    assert b[1]["value"] is None and b[1]["text_en"] == "prio: no data"
