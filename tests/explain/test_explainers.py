"""Every model family's explainer: additivity, agreement with shap, sensible drivers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from explain import AdditivityError, explainer_class, make_explainer
from explain.exact import LinearRiskExplainer
from survival.base import SurvivalDataError
from survival.catalog import make_model

HORIZON = 6.0
# permutation SHAP calls the model ~500 times a row: a smaller background keeps it quick
OPTIONS = {"weibull_aft": {"max_background": 20}}
ROWS = {"weibull_aft": 60}  # and fewer rows


def risk_at(model, table, horizon=HORIZON) -> np.ndarray:
    return 1.0 - model.predict_survival(table, [horizon]).to_numpy()[:, 0]


@pytest.mark.parametrize(
    ("family", "method"),
    [
        ("coxph", "linear"),
        ("xgb_cox", "tree"),
        ("weibull_aft", "permutation"),
        ("logistic_hazard", "gradient"),
    ],
)
def test_each_family_gets_its_method_and_contributions_add_up_to_the_risk(
    fitted, table, family, method
):
    model = fitted[family]
    n = ROWS.get(family, 40) // 2
    rows = table.iloc[:n]
    explanation = make_explainer(
        model, table.iloc[100:300], horizon=HORIZON, **OPTIONS.get(family, {})
    )(rows)
    assert explanation.method == method
    assert explanation.feature_names == ("x1", "x2", "noise", "group")
    assert explanation.values.shape == (n, 4)
    log_out = np.log(-np.log(model.predict_survival(rows, [HORIZON]).to_numpy()[:, 0]))
    if method == "gradient":
        # expected gradients add up only in expectation; the explainer shares the gap
        # out among the features, so the sums agree by construction: what can fail is
        # the size of that gap
        assert np.abs(explanation.residuals).mean() < 0.2 * log_out.std()
        assert np.abs(explanation.residuals).max() > 0
        return
    assert not explanation.residuals.any()
    # exact methods add up on their own, to the model's output computed apart from the
    # explainer (XGBoost sums in float32), on the log scale and then on the risk scale
    log_sum = explanation.log_base_values + explanation.log_values.sum(axis=1)
    np.testing.assert_allclose(log_sum, log_out, atol=1e-4)
    np.testing.assert_allclose(explanation.risk, risk_at(model, rows), atol=1e-6)


@pytest.mark.parametrize("family", ["coxph", "xgb_cox", "weibull_aft", "logistic_hazard"])
def test_the_driving_feature_ranks_first_and_the_noise_last(fitted, table, family):
    explanation = make_explainer(fitted[family], table.iloc[:200], horizon=HORIZON)(
        table.iloc[: ROWS.get(family, 150)]
    )
    importance = explanation.global_importance()
    assert importance.index[0] == "x1"
    assert importance.index[-1] == "noise"
    x1 = explanation.frame()["x1"]
    high = table["x1"].iloc[: ROWS.get(family, 150)] > 1.0
    assert (x1[high] > 0).mean() > 0.9  # a high x1 raises the risk


def test_linear_attributions_match_shap_linear_explainer(fitted, table):
    import shap

    model = fitted["coxph"]
    background = table.iloc[100:300]
    explanation = make_explainer(model, background, horizon=HORIZON)(table.iloc[:30])
    Z = model.encoder_.transform(table.iloc[:30])[model.columns_]
    Zb = model.encoder_.transform(background)[model.columns_]
    masker = shap.maskers.Independent(Zb.to_numpy(), max_samples=len(Zb))
    reference = shap.LinearExplainer((model.coef_.to_numpy(), 0.0), masker).shap_values(
        Z.to_numpy()
    )
    reference = pd.DataFrame(reference, columns=model.columns_)
    by_feature = {
        f: reference[[c for c in model.columns_ if c == f or c.startswith((f"{f}=", f"{f}__"))]]
        .sum(axis=1)
        .to_numpy()
        for f in explanation.feature_names
    }
    for f, want in by_feature.items():
        np.testing.assert_allclose(explanation.frame("log")[f], want, atol=1e-10)


def test_tree_attributions_match_shap_tree_explainer(fitted, table):
    import shap
    import xgboost as xgb

    model = fitted["xgb_cox"]
    explanation = make_explainer(model, table, horizon=HORIZON)(table.iloc[:30])
    Z = model.encoder_.transform(table.iloc[:30]).to_numpy(dtype=np.float32)
    reference = shap.TreeExplainer(model.booster_).shap_values(xgb.DMatrix(Z, missing=np.nan))
    assert "x1" in model.encoder_.output_sources()
    np.testing.assert_allclose(
        explanation.frame("log")["x1"],
        reference[:, model.encoder_.output_sources().index("x1")],
        atol=1e-4,
    )


def test_an_additivity_gap_is_reported_with_both_numbers_and_the_opt_out(fitted, table):
    class Lossy(LinearRiskExplainer):
        def _attribute(self, table):
            values, base, data, names = super()._attribute(table)
            values[:, 0] = 0.0  # forget x1
            return values, base, data, names

    lossy = Lossy(fitted["coxph"], table.iloc[:100], horizon=HORIZON)
    with pytest.raises(AdditivityError, match=r"but the model gives .*check_additivity=False"):
        lossy(table.iloc[:20])
    quiet = Lossy(fitted["coxph"], table.iloc[:100], horizon=HORIZON, check_additivity=False)
    assert len(quiet(table.iloc[:20])) == 20


def test_top_drivers_list_what_raises_the_risk_with_values(fitted, table):
    explanation = make_explainer(fitted["coxph"], table.iloc[:200], horizon=HORIZON)(
        table.iloc[:50]
    )
    drivers = explanation.top_drivers(k=2)
    assert set(drivers.columns) == {
        "row",
        "rank",
        "feature",
        "value",
        "contribution",
        "log_contribution",
        "direction",
    }
    assert (drivers["contribution"] > 0).all() and (drivers["direction"] == "raises").all()
    assert drivers.groupby(level=0)["rank"].apply(list).map(lambda r: r in ([1], [1, 2])).all()
    first = drivers[drivers["rank"] == 1]
    row = first.index[0]
    frame = explanation.frame()
    assert first.loc[row, "feature"] == frame.loc[row].idxmax()
    assert first.loc[row, "value"] == table.loc[row, first.loc[row, "feature"]] or pd.isna(
        table.loc[row, first.loc[row, "feature"]]
    )
    assert (drivers["row"].to_numpy() == [table.index.get_loc(i) for i in drivers.index]).all()
    both = explanation.top_drivers(k=4, direction="both")
    assert (both.groupby(level=0).size() == 4).all()
    assert (both["direction"] == "lowers").any()
    with pytest.raises(ValueError, match="direction"):
        explanation.top_drivers(direction="down")


def test_top_drivers_of_known_contributions():
    from explain.explanation import RiskExplanation

    values = np.array([[0.3, -0.1, 0.2, 0.0], [-0.2, -0.05, 0.0, -0.01], [0.01, 0.02, 0.5, 0.4]])
    names = ("a", "b", "c", "d")
    data = pd.DataFrame(np.arange(12.0).reshape(3, 4), index=["r1", "r2", "r3"], columns=names)
    explanation = RiskExplanation(
        values=values,
        base_values=np.full(3, 0.1),
        log_values=values * 10,
        log_base_values=np.zeros(3),
        data=data,
        feature_names=names,
        horizon=3.0,
        method="linear",
    )
    up = explanation.top_drivers(k=2)
    # r1: a then c (b lowers, d is nothing); r2: nothing raises its risk; r3: c then d
    assert list(zip(up.index, up["rank"], up["feature"], strict=True)) == [
        ("r1", 1, "a"),
        ("r1", 2, "c"),
        ("r3", 1, "c"),
        ("r3", 2, "d"),
    ]
    assert up["value"].tolist() == [0.0, 2.0, 10.0, 11.0]
    np.testing.assert_allclose(up["log_contribution"], [3.0, 2.0, 5.0, 4.0])
    both = explanation.top_drivers(k=2, direction="both")
    assert both.loc["r2", "feature"].tolist() == ["a", "b"]
    assert both.loc["r2", "direction"].tolist() == ["lowers", "lowers"]


def test_unknown_models_fall_back_to_permutation_and_bad_calls_are_refused(fitted, table, frame):
    ensemble = make_model(
        "ensemble", {"members": [{"type": "coxph"}, {"type": "weibull_aft"}]}
    ).fit(frame)
    assert explainer_class(ensemble).__name__ == "PermutationRiskExplainer"
    explanation = make_explainer(ensemble, table.iloc[:50], horizon=HORIZON)(table.iloc[:10])
    np.testing.assert_allclose(explanation.risk, risk_at(ensemble, table.iloc[:10]), atol=1e-9)
    with pytest.raises(SurvivalDataError):
        make_explainer(fitted["coxph"], table, horizon=1e6)
    with pytest.raises(NotFittedError):
        make_explainer(make_model("coxph"), table, horizon=HORIZON)
