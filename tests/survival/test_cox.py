"""Cox PH, Weibull AFT and the Breslow baseline against lifelines on the Rossi data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, WeibullAFTFitter
from lifelines.datasets import load_rossi

from survival.cox import CoxPHSurvival
from survival.errors import CoxConvergenceError
from survival.partial_likelihood import breslow_cumulative_hazard
from survival.weibull import WeibullAFTSurvival

# Published unpenalised Cox estimates for the Rossi recidivism data (lifelines docs,
# also Fox & Weisberg's appendix): log hazard ratios on the raw covariate scale.
ROSSI_COEF = {
    "fin": -0.3794,
    "age": -0.0574,
    "race": 0.3139,
    "wexp": -0.1498,
    "mar": -0.4337,
    "paro": -0.0849,
    "prio": 0.0915,
}


@pytest.fixture(scope="module")
def rossi() -> pd.DataFrame:
    return load_rossi()


def test_unpenalised_cox_reproduces_the_published_rossi_coefficients(rossi):
    model = CoxPHSurvival(penalizer=0.0, clip=None).fit(
        rossi, duration_col="week", event_col="arrest"
    )
    enc = model.encoder_
    raw = model.coef_ / pd.Series(enc.scales_, index=enc.numeric_)[model.coef_.index]
    for name, value in ROSSI_COEF.items():
        assert raw[name] == pytest.approx(value, abs=5e-4), name


def test_cox_survival_matches_lifelines_predictions(rossi):
    ours = CoxPHSurvival(penalizer=0.0, clip=None).fit(
        rossi, duration_col="week", event_col="arrest"
    )
    ref = CoxPHFitter().fit(rossi, duration_col="week", event_col="arrest")
    X = rossi.drop(columns=["week", "arrest"])
    times = [10.0, 26.0, 52.0]
    expected = ref.predict_survival_function(X, times=times).T.to_numpy()
    np.testing.assert_allclose(ours.predict_survival(X, times).to_numpy(), expected, atol=1e-6)


def test_weibull_aft_matches_lifelines_predictions(rossi):
    ours = WeibullAFTSurvival(penalizer=0.0, clip=None).fit(
        rossi, duration_col="week", event_col="arrest"
    )
    ref = WeibullAFTFitter().fit(rossi, duration_col="week", event_col="arrest")
    X = rossi.drop(columns=["week", "arrest"])
    times = [10.0, 26.0, 52.0]
    expected = ref.predict_survival_function(X, times=times).T.to_numpy()
    np.testing.assert_allclose(ours.predict_survival(X, times).to_numpy(), expected, atol=1e-4)


def test_breslow_baseline_matches_lifelines(rossi):
    ref = CoxPHFitter().fit(rossi, duration_col="week", event_col="arrest")
    lph = ref.predict_log_partial_hazard(rossi).to_numpy()
    times, cumhaz = breslow_cumulative_hazard(
        rossi["week"].to_numpy(float), rossi["arrest"].to_numpy(bool), lph
    )
    expected = ref.baseline_cumulative_hazard_.iloc[:, 0].reindex(times).to_numpy()
    np.testing.assert_allclose(cumhaz, expected, rtol=1e-8)


@pytest.mark.parametrize(("penalizer", "l1_ratio"), [(0.1, 0.0), (0.01, 0.0), (0.05, 0.5)])
def test_penalised_cox_with_heavy_ties_matches_lifelines(rossi, penalizer, l1_ratio):
    # months instead of weeks: about 13 distinct times for 114 events, so Efron's
    # correction for ties carries real weight in the likelihood
    monthly = rossi.assign(week=np.ceil(rossi["week"] / 4))
    ours = CoxPHSurvival(penalizer=penalizer, l1_ratio=l1_ratio, clip=None).fit(
        monthly, duration_col="week", event_col="arrest"
    )
    # lifelines run to a tighter tolerance than its default, so both sides reach the
    # optimum and the comparison is of the objective, not of two stopping rules
    ref = CoxPHFitter(penalizer=penalizer, l1_ratio=l1_ratio).fit(
        monthly,
        duration_col="week",
        event_col="arrest",
        fit_options={"precision": 1e-12, "r_precision": 1e-15},
    )
    # lifelines standardises the raw columns; ours come from the encoder's scaling
    enc = ours.encoder_
    raw = ours.coef_ / pd.Series(enc.scales_, index=enc.numeric_)[ours.coef_.index]
    np.testing.assert_allclose(raw.to_numpy(), ref.params_[raw.index].to_numpy(), atol=1e-5)
    X = monthly.drop(columns=["week", "arrest"])
    times = [2.0, 6.0, 12.0]
    expected = ref.predict_survival_function(X, times=times).T.to_numpy()
    np.testing.assert_allclose(ours.predict_survival(X, times).to_numpy(), expected, atol=1e-6)


def test_unpenalised_cox_on_collinear_columns_says_why_it_cannot_fit(rossi):
    twin = rossi.assign(fin_again=rossi["fin"])
    with pytest.raises(CoxConvergenceError, match="collinear"):
        CoxPHSurvival(penalizer=0.0, clip=None).fit(twin, duration_col="week", event_col="arrest")
    # a penalty makes the same columns fit
    fitted = CoxPHSurvival(penalizer=0.1, clip=None).fit(
        twin, duration_col="week", event_col="arrest"
    )
    assert fitted.coef_["fin"] == pytest.approx(fitted.coef_["fin_again"], rel=1e-6)
