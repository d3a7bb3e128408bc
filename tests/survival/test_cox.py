"""Cox PH, Weibull AFT and the Breslow baseline against lifelines on the Rossi data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, WeibullAFTFitter
from lifelines.datasets import load_rossi

from survival.boosting import breslow_cumulative_hazard
from survival.cox import CoxPHSurvival
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
