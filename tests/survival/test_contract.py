"""Every registered model passes the same checks (the one model interface)."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import survival.base
from survival.base import InvalidParameterError, SurvivalDataError
from survival.catalog import MODEL_TYPES, make_model
from survival.cox import CoxPHSurvival
from survival.errors import InvalidPredictionError

FAST = {
    "logistic_hazard": {"max_epochs": 15, "hidden": (16,), "n_intervals": 10},
    "xgb_cox": {"n_estimators": 100},
    "ensemble": {
        "members": [{"type": "coxph"}, {"type": "xgb_cox", "params": {"n_estimators": 50}}]
    },
}
HORIZONS = [1, 3, 6, 12]


def _model(name):
    return make_model(name, FAST.get(name, {}))


@pytest.fixture(scope="module", params=sorted(MODEL_TYPES))
def fitted(request, frame_factory):
    df = frame_factory(300, seed=1)
    return request.param, _model(request.param).fit(df), df


def test_fit_returns_self_and_clone_keeps_params(fitted):
    name, _, df = fitted
    fresh = _model(name)
    assert fresh.fit(df) is fresh
    twin = clone(fresh)
    assert repr(twin) == repr(fresh)
    assert not hasattr(twin, "max_duration_")


@pytest.fixture
def raw_curves(monkeypatch):
    """Every array a model hands to ``survival_frame``, as the model made it: the
    checks below read the models' own output, not the frame built from it."""
    real = survival.base.survival_frame
    seen: list[np.ndarray] = []

    def spy(values, index, horizons):
        seen.append(np.array(values, dtype=float, copy=True))
        return real(values, index, horizons)

    for name, module in list(sys.modules.items()):
        if name.startswith("survival") and getattr(module, "survival_frame", None) is real:
            monkeypatch.setattr(module, "survival_frame", spy)
    return seen


def _assert_valid_curves(values: np.ndarray) -> None:
    tol = survival.base.CURVE_TOLERANCE  # float rounding, nothing more
    assert np.isfinite(values).all(), "curves must be finite"
    assert ((values >= -tol) & (values <= 1 + tol)).all(), "curves must lie in [0, 1]"
    assert (np.diff(values, axis=1) <= tol).all(), "curves must not rise with time"


def test_survival_curves_are_probabilities_non_increasing_in_time(fitted, raw_curves):
    _, model, df = fitted
    s = model.predict_survival(df, HORIZONS)
    assert list(s.index) == list(df.index)
    assert s.columns.name == "horizon" and list(s.columns) == HORIZONS
    assert raw_curves, "the model's curves go through survival_frame"
    for values in raw_curves:
        _assert_valid_curves(values)
    _assert_valid_curves(s.to_numpy())


class _Rising(CoxPHSurvival):
    """A model with a defect: its curves rise after the first horizon."""

    def predict_survival(self, X, horizons):
        good = super().predict_survival(X, horizons).to_numpy()
        rising = np.concatenate([good[:, :1], good[:, :1] + 0.5 * (1 - good[:, :1])], axis=1)
        return survival.base.survival_frame(
            np.repeat(rising, [1, good.shape[1] - 1], axis=1), X.index, np.asarray(HORIZONS)
        )


def test_a_model_whose_curves_rise_fails_the_contract_instead_of_being_repaired(
    frame_factory, raw_curves
):
    df = frame_factory(200, seed=2)
    model = _Rising().fit(df)
    with pytest.raises(InvalidPredictionError, match=r"row\(s\) rise with time"):
        model.predict_survival(df, HORIZONS)
    with pytest.raises(AssertionError, match="must not rise"):
        _assert_valid_curves(raw_curves[-1])
    # rounding noise alone is evened out, not refused
    noisy = np.array([[1 + 1e-12, 0.8, 0.8 + 1e-12]])
    frame = survival.base.survival_frame(noisy, pd.Index(["a"]), np.array([1.0, 2.0, 3.0]))
    assert frame.to_numpy().tolist() == [[1.0, 0.8, 0.8]]
    for bad, why in (
        ([[0.9, np.nan, 0.5]], "not finite"),
        ([[1.2, 0.9, 0.5]], r"outside \[0, 1\]"),
    ):
        with pytest.raises(InvalidPredictionError, match=why):
            survival.base.survival_frame(np.array(bad), pd.Index(["a"]), np.array([1.0, 2, 3]))


def test_predict_risk_is_one_minus_survival(fitted):
    _, model, df = fitted
    risk = model.predict_risk(df, 6)
    np.testing.assert_allclose(risk.to_numpy(), 1 - model.predict_survival(df, [6]).iloc[:, 0])


def test_risk_ranks_better_than_chance(fitted, frame_factory):
    _, model, _ = fitted
    test = frame_factory(300, seed=2)
    risk = model.predict_risk(test, 6).to_numpy()
    t, e = test["duration"].to_numpy(), test["event"].to_numpy().astype(bool)
    ok = e[:, None] & (t[:, None] < t[None, :])
    conc = (risk[:, None] > risk[None, :])[ok].mean()
    assert conc > 0.65


def test_save_load_round_trips_exactly(fitted, tmp_path):
    _, model, df = fitted
    path = model.save(tmp_path / "m.pkl")
    loaded = type(model).load(path)
    pd.testing.assert_frame_equal(
        loaded.predict_survival(df, HORIZONS), model.predict_survival(df, HORIZONS)
    )


def test_fitting_twice_with_one_seed_gives_the_same_predictions(fitted):
    name, model, df = fitted
    again = _model(name).fit(df)
    pd.testing.assert_frame_equal(
        again.predict_survival(df, HORIZONS), model.predict_survival(df, HORIZONS)
    )


def test_missing_values_are_handled_not_propagated(fitted):
    _, model, df = fitted
    holes = df.copy()
    holes.loc[holes.index[:10], "x1"] = np.nan
    holes.loc[holes.index[5:15], "group"] = np.nan
    assert np.isfinite(model.predict_survival(holes, HORIZONS).to_numpy()).all()


def test_infinite_values_are_rejected(fitted):
    _, model, df = fitted
    bad = df.copy()
    bad.loc[bad.index[3], "x1"] = np.inf
    with pytest.raises(SurvivalDataError, match="infinite"):
        model.predict_survival(bad, HORIZONS)


def test_missing_feature_columns_are_named(fitted):
    _, model, df = fitted
    with pytest.raises(SurvivalDataError, match="missing: \\['x2'\\]"):
        model.predict_survival(df.drop(columns="x2"), HORIZONS)


def test_horizon_beyond_follow_up_is_rejected(fitted):
    _, model, df = fitted
    with pytest.raises(SurvivalDataError, match="beyond the training follow-up"):
        model.predict_survival(df, [1, 1000])


@pytest.mark.parametrize("name", sorted(MODEL_TYPES))
def test_unfitted_model_refuses_to_predict(name, survival_frame):
    with pytest.raises(NotFittedError):
        _model(name).predict_survival(survival_frame, HORIZONS)


@pytest.mark.parametrize("name", sorted(MODEL_TYPES))
def test_bad_durations_and_events_are_named(name, survival_frame):
    bad = survival_frame.copy()
    bad.loc[bad.index[0], "duration"] = -1
    bad.loc[bad.index[1], "event"] = 2
    with pytest.raises(SurvivalDataError, match=r"non-positive.*id0000.*not 0/1.*id0001"):
        _model(name).fit(bad)


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        pytest.param("coxph", {"penalizer": -1.0}, "'penalizer' must be", id="coxph"),
        pytest.param("weibull_aft", {"l1_ratio": 2.0}, "'l1_ratio' must be", id="weibull"),
        pytest.param("xgb_cox", {"learning_rate": 0.0}, "'learning_rate' must be", id="xgb"),
        pytest.param("logistic_hazard", {"dropout": 1.0}, "'dropout' must be", id="nn"),
    ],
)
def test_bad_hyperparameters_are_rejected_at_fit(name, params, match, survival_frame):
    with pytest.raises(InvalidParameterError, match=match):
        make_model(name, params).fit(survival_frame)


def test_score_is_harrells_c_on_a_survival_frame(fitted):
    _, model, df = fitted
    assert 0.6 < model.score(df) <= 1.0
