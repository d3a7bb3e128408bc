"""``auto`` chooses by inner folds of the training rows: a linear hazard goes to a
linear model (penalised Cox or Weibull AFT: exponential times suit both), a hazard of
thresholds and an interaction to boosted trees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survival.auto import AutoSurvival
from survival.metrics import concordance_index_harrell
from tests.survival.conftest import make_survival_frame


def _threshold_frame(n: int, seed: int) -> pd.DataFrame:
    """Risk only where two features both pass a threshold: no linear model sees it."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    lin = 2.5 * ((x[:, 0] > 0.3) & (x[:, 1] > 0.3)) - 1.5 * (np.abs(x[:, 2]) > 1.2)
    t_event = rng.exponential(12.0 / np.exp(lin))
    t_cens = rng.uniform(3.0, 36.0, size=n)
    return pd.DataFrame(
        {
            **{f"x{i}": x[:, i] for i in range(4)},
            "duration": np.ceil(np.minimum(t_event, t_cens)),
            "event": (t_event <= t_cens).astype(int),
        }
    )


def test_a_linear_hazard_is_left_to_a_linear_model():
    df = make_survival_frame(600, seed=3)
    model = AutoSurvival(seed=0).fit(df)
    assert model.choice_.startswith(("chose coxph", "chose weibull_aft"))
    tried = model.tried_
    assert set(tried["family"]) == {"coxph", "weibull_aft", "xgb_cox", "stack"}
    assert tried["c_mean"].between(0.5, 1.0).all()
    # the choice is the best inner-fold score, not a fixed preference
    singles = tried[tried["family"] != "stack"]
    best = singles.loc[singles["c_mean"].idxmax()]
    assert best["family"] in model.choice_ and best["family"] != "xgb_cox"


def test_thresholds_and_an_interaction_go_to_boosted_trees_and_rank_better_there():
    train, test = _threshold_frame(1500, seed=1), _threshold_frame(1500, seed=2)
    model = AutoSurvival(seed=0).fit(train)
    assert "xgb_cox" in model.choice_
    risk = model.predict_risk(test, 12).to_numpy()
    c_auto = concordance_index_harrell(test["duration"], test["event"].astype(bool), risk)[0]
    from survival.cox import CoxPHSurvival

    cox = CoxPHSurvival().fit(train)
    c_cox = concordance_index_harrell(
        test["duration"], test["event"].astype(bool), cox.predict_risk(test, 12).to_numpy()
    )[0]
    assert c_auto > c_cox + 0.03  # on rows it never saw


def test_the_same_seed_makes_the_same_choice():
    df = make_survival_frame(400, seed=5)
    a, b = AutoSurvival(seed=4).fit(df), AutoSurvival(seed=4).fit(df)
    assert a.choice_ == b.choice_
    pd.testing.assert_frame_equal(a.tried_, b.tried_)


def test_auto_is_explained_by_what_it_chose_exactly():
    from explain import make_explainer
    from explain.exact import LinearRiskExplainer

    df = make_survival_frame(400, seed=6)
    model = AutoSurvival(seed=0, stack=False).fit(df)
    X = df.drop(columns=["duration", "event"])
    explainer = make_explainer(model, X.head(100), horizon=6)
    assert model.choice_.startswith("chose coxph")  # this table, this seed
    assert isinstance(explainer, LinearRiskExplainer)  # exact, not a sampled fallback
    explanation = explainer(X.head(20))
    risk = model.predict_risk(X.head(20), 6).to_numpy()
    total = explanation.values.sum(axis=1) + explanation.base_values
    np.testing.assert_allclose(total, risk, atol=1e-6)


def test_rows_of_one_entity_stay_in_one_inner_fold():
    df = make_survival_frame(300, seed=8)
    groups = np.repeat(np.arange(100), 3)  # three landmark rows per entity
    model = AutoSurvival(seed=1)
    folds = model._folds(len(df), groups)
    assert sorted(np.concatenate([val for _, val in folds]).tolist()) == list(range(300))
    for train, val in folds:
        assert not set(groups[train]) & set(groups[val])
    fitted = model.fit(df, groups=groups)
    assert fitted.choice_.startswith("chose ")


def test_boosted_cox_stops_early_on_whole_entities_inside_auto(monkeypatch):
    """A bank's landmark rows come in groups: the chosen boosted model must hold out
    whole entities to stop early, as it does when configured directly."""
    import survival.auto as auto
    from survival.boosting import GradientBoostedCoxSurvival

    df = make_survival_frame(300, seed=8)
    groups = np.repeat(np.arange(100), 3)
    monkeypatch.setattr(
        auto,
        "default_candidates",
        lambda categorical=(): {"xgb_cox": [GradientBoostedCoxSurvival()]},
    )
    model = AutoSurvival(seed=1).fit(df, groups=groups)
    X = df.drop(columns=["duration", "event"])
    by_entity = GradientBoostedCoxSurvival().fit(df, groups=groups)
    by_row = GradientBoostedCoxSurvival().fit(df)
    got = model.predict_survival(X, [6.0]).to_numpy()
    np.testing.assert_allclose(got, by_entity.predict_survival(X, [6.0]).to_numpy())
    assert not np.allclose(got, by_row.predict_survival(X, [6.0]).to_numpy())


def test_a_candidate_that_cannot_be_fitted_is_left_out_and_said_why(monkeypatch):
    import survival.auto as auto
    from survival.cox import CoxPHSurvival

    class Diverges(CoxPHSurvival):
        """A Cox fit that fails on this table, as lifelines can on a degenerate one."""

        def fit(self, df, **kwargs):
            raise ArithmeticError("the fit did not converge")

    real = auto.default_candidates

    def with_a_broken_one(categorical=()):
        found = real(categorical)
        found["coxph"] = [Diverges(), *found["coxph"][:1]]
        return found

    monkeypatch.setattr(auto, "default_candidates", with_a_broken_one)
    model = AutoSurvival(seed=0).fit(make_survival_frame(300, seed=9))
    broken = model.tried_[model.tried_["error"].notna()]
    assert len(broken) == 1 and "did not converge" in broken["error"].iloc[0]
    assert broken["c_mean"].isna().all() and model.choice_.startswith("chose ")
    monkeypatch.setattr(auto, "default_candidates", lambda categorical=(): {"coxph": [Diverges()]})
    with pytest.raises(ValueError, match=r"no candidate could be fitted.*did not converge"):
        AutoSurvival(seed=0).fit(make_survival_frame(100, seed=9))
