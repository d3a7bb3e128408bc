"""survival.metrics against scikit-survival and lifelines, on random and public data.

Timing, not a test (2-core container, numpy 2.4): ``concordance_index_harrell`` on
500,000 rows takes about 0.9 s, for monthly durations (59 distinct values) as for
continuous ones; ``concordance_index_uno`` 1.3 s, ``cumulative_dynamic_auc`` at four
horizons 0.2 s (1-D risk) / 0.4 s (2-D), ``brier_score`` 0.05 s, ``calibration_at``
0.1 s. lifelines' ``concordance_index`` takes 3.4 s on the same 500,000 rows; sksurv's
Python loop over events is quadratic in practice.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.datasets import load_rossi
from lifelines.utils import concordance_index as lifelines_concordance_index
from sksurv.datasets import load_flchain, load_gbsg2, load_whas500
from sksurv.linear_model import CoxPHSurvivalAnalysis
from sksurv.metrics import brier_score as sk_brier_score
from sksurv.metrics import concordance_index_censored, concordance_index_ipcw
from sksurv.metrics import cumulative_dynamic_auc as sk_cumulative_dynamic_auc
from sksurv.metrics import integrated_brier_score as sk_integrated_brier_score
from sksurv.nonparametric import kaplan_meier_estimator
from sksurv.preprocessing import OneHotEncoder
from sksurv.util import Surv

from survival.base import InvalidParameterError, SurvivalDataError
from survival.metrics import (
    CalibrationResult,
    brier_score,
    calibration_at,
    captured_share,
    censoring_kaplan_meier,
    concordance_index_harrell,
    concordance_index_uno,
    cumulative_dynamic_auc,
    integrated_brier_score,
    kaplan_meier,
)

SEEDS = [0, 1, 2, 3, 4]
TIMES = np.array([3.0, 6.0, 12.0, 18.0])


# --------------------------------------------------------------------------- data


def make_split(seed: int, n_train: int = 300, n_test: int = 250) -> dict[str, np.ndarray]:
    """Monthly (heavily tied) durations with a known hazard, risks rounded to create ties.

    Training follow-up (36 months) is longer than the test's (24), so every test time
    lies inside it and sksurv's censoring weights are defined everywhere.
    """
    rng = np.random.default_rng(seed)

    def draw(n: int, follow_up: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = rng.normal(size=n)
        t_event = rng.exponential(12.0 / np.exp(0.7 * x))
        t_cens = rng.uniform(1.0, follow_up, size=n)
        return np.ceil(np.minimum(t_event, t_cens)), t_event <= t_cens, x

    t_tr, e_tr, _ = draw(n_train, 36.0)
    t_te, e_te, x = draw(n_test, 24.0)
    risk = np.round(x + rng.normal(scale=0.5, size=n_test), 1)
    cum_hazard = np.outer(np.exp(0.7 * x), TIMES) / 12.0
    surv = np.round(np.exp(-cum_hazard), 2)
    return {
        "t_tr": t_tr,
        "e_tr": e_tr,
        "t_te": t_te,
        "e_te": e_te,
        "risk": risk,
        "surv": surv,
    }


def _cox_on_half(X: pd.DataFrame, y: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """Fit sksurv's Cox on a random half; predict the other half, which holds the largest
    duration's entity in the training half so that sksurv's IPCW is defined on the test."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    train = np.zeros(len(y), dtype=bool)
    train[order[: len(y) // 2]] = True
    event_name, time_name = y.dtype.names
    train[np.argmax(y[time_name])] = True
    model = CoxPHSurvivalAnalysis(ties="efron").fit(X[train], y[train])
    y_te = y[~train]
    events = y_te[time_name][y_te[event_name]]
    times = np.unique(np.quantile(events, [0.1, 0.3, 0.5, 0.7]))
    fns = model.predict_survival_function(X[~train])
    return {
        "t_tr": y[train][time_name].astype(float),
        "e_tr": y[train][event_name],
        "t_te": y_te[time_name].astype(float),
        "e_te": y_te[event_name],
        "risk": model.predict(X[~train]),
        "surv": np.vstack([fn(times) for fn in fns]),
        "times": times,
    }


def _gbsg2() -> dict[str, np.ndarray]:
    X, y = load_gbsg2()
    X["tgrade"] = X["tgrade"].map(len).astype(int)
    return _cox_on_half(OneHotEncoder().fit_transform(X), y)


def _whas500() -> dict[str, np.ndarray]:
    X, y = load_whas500()
    return _cox_on_half(OneHotEncoder().fit_transform(X.astype({"age": float})), y)


def _flchain() -> dict[str, np.ndarray]:
    X, y = load_flchain()
    keep = y["futime"] > 0  # three entities leave on day 0; durations must be > 0
    X = OneHotEncoder().fit_transform(X.loc[keep, ["age", "kappa", "lambda", "sex", "mgus"]])
    return _cox_on_half(X, y[keep])


def _rossi() -> dict[str, np.ndarray]:
    df = load_rossi()
    y = Surv.from_arrays(df["arrest"].astype(bool), df["week"].astype(float))
    return _cox_on_half(df.drop(columns=["week", "arrest"]).astype(float), y)


PUBLIC = {"gbsg2": _gbsg2, "whas500": _whas500, "flchain": _flchain, "rossi": _rossi}


@pytest.fixture(scope="module", params=list(PUBLIC))
def public(request) -> dict[str, np.ndarray]:
    """A public data set split in halves with a Cox model's risk and survival on the test."""
    return PUBLIC[request.param]()


def _sk(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    return Surv.from_arrays(event.astype(bool), time)


def _assert_same_concordance(ours: tuple, ref: tuple) -> None:
    np.testing.assert_allclose(ours[0], ref[0], rtol=0, atol=1e-6)
    assert tuple(ours[1:]) == tuple(int(v) for v in ref[1:])


# --------------------------------------------------------------------------- Harrell


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("tied_tol", [1e-8, 0.0, 0.2])
def test_harrell_matches_sksurv_with_ties_in_time_and_risk(seed, tied_tol):
    d = make_split(seed)
    ours = concordance_index_harrell(d["t_te"], d["e_te"], d["risk"], tied_tol=tied_tol)
    ref = concordance_index_censored(d["e_te"], d["t_te"], d["risk"], tied_tol=tied_tol)
    _assert_same_concordance(ours, ref)
    assert ours[3] > 0 and ours[4] > 0  # the data really has both kinds of tie


@pytest.mark.parametrize("seed", SEEDS)
def test_harrell_matches_lifelines_concordance_index(seed):
    d = make_split(seed)
    ours = concordance_index_harrell(d["t_te"], d["e_te"], d["risk"])[0]
    # lifelines ranks by predicted survival time, so a higher risk is a shorter time
    ref = lifelines_concordance_index(d["t_te"], -d["risk"], d["e_te"])
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-6)


def test_harrell_matches_lifelines_on_a_hundred_thousand_rows():
    rng = np.random.default_rng(7)
    n = 100_000
    time = np.ceil(rng.exponential(20.0, size=n))
    event = rng.random(n) < 0.4
    risk = np.round(rng.normal(size=n) - time / 40.0, 2)
    ours = concordance_index_harrell(time, event, risk)[0]
    ref = lifelines_concordance_index(time, -risk, event)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(1, 6), st.booleans(), st.integers(-3, 3).map(lambda v: v * 0.1)),
        min_size=2,
        max_size=40,
    ),
    tied_tol=st.sampled_from([0.0, 1e-8, 0.1, 0.25]),
)
def test_harrell_agrees_with_sksurv_on_arbitrary_small_samples(rows, tied_tol):
    time = np.array([r[0] for r in rows], dtype=float)
    event = np.array([r[1] for r in rows])
    risk = np.array([r[2] for r in rows])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ref = concordance_index_censored(event, time, risk, tied_tol=tied_tol)
    except ValueError:  # all censored, or no comparable pair
        ref = None
    if ref is None or np.isnan(ref[0]):
        with pytest.raises(SurvivalDataError, match=r"no events|no comparable pairs"):
            concordance_index_harrell(time, event, risk, tied_tol=tied_tol)
    else:
        _assert_same_concordance(
            concordance_index_harrell(time, event, risk, tied_tol=tied_tol), ref
        )


def test_harrell_accepts_integer_events_and_pandas_input():
    d = make_split(0)
    as_bool = concordance_index_harrell(d["t_te"], d["e_te"], d["risk"])
    as_pandas = concordance_index_harrell(
        pd.Series(d["t_te"]), pd.Series(d["e_te"].astype(int)), pd.Series(d["risk"])
    )
    assert as_bool == as_pandas


def test_harrell_on_public_data_matches_sksurv_and_lifelines(public):
    d = public
    ours = concordance_index_harrell(d["t_te"], d["e_te"], d["risk"])
    _assert_same_concordance(ours, concordance_index_censored(d["e_te"], d["t_te"], d["risk"]))
    ref = lifelines_concordance_index(d["t_te"], -d["risk"], d["e_te"])
    np.testing.assert_allclose(ours[0], ref, rtol=0, atol=1e-6)


# --------------------------------------------------------------------------- Uno


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("tau", [None, 6.0, 15.5])
def test_uno_matches_sksurv_concordance_index_ipcw(seed, tau):
    d = make_split(seed)
    ours = concordance_index_uno(d["t_tr"], d["e_tr"], d["t_te"], d["e_te"], d["risk"], tau=tau)
    ref = concordance_index_ipcw(
        _sk(d["t_tr"], d["e_tr"]), _sk(d["t_te"], d["e_te"]), d["risk"], tau=tau
    )
    _assert_same_concordance(ours, ref)


def test_uno_on_public_data_matches_sksurv(public):
    d = public
    y_tr, y_te = _sk(d["t_tr"], d["e_tr"]), _sk(d["t_te"], d["e_te"])
    args = (d["t_tr"], d["e_tr"], d["t_te"], d["e_te"], d["risk"])
    for tau in (None, float(d["times"][-1])):
        try:
            ref = concordance_index_ipcw(y_tr, y_te, d["risk"], tau=tau)
        except ValueError:  # rossi: everyone left in training is censored at week 52
            with pytest.raises(SurvivalDataError, match="censoring survival G is 0"):
                concordance_index_uno(*args, tau=tau)
        else:
            _assert_same_concordance(concordance_index_uno(*args, tau=tau), ref)


def test_uno_rejects_test_events_beyond_training_follow_up_like_sksurv():
    # the last training duration (20) is an event, so G > 0 there and unknown beyond
    t_tr = np.array([2.0, 5.0, 9.0, 14.0, 20.0])
    e_tr = np.array([1, 0, 1, 0, 1], dtype=bool)
    t_te = np.array([3.0, 6.0, 12.0, 25.0, 30.0])
    e_te = np.array([1, 1, 0, 1, 0], dtype=bool)
    risk = np.array([0.9, 0.7, 0.2, 0.5, 0.1])
    with pytest.raises(ValueError, match="largest observed time point"):
        concordance_index_ipcw(_sk(t_tr, e_tr), _sk(t_te, e_te), risk)
    with pytest.raises(SurvivalDataError, match=r"1 test event times lie beyond the training"):
        concordance_index_uno(t_tr, e_tr, t_te, e_te, risk)
    # truncating before the training follow-up ends makes it defined again, in both
    ours = concordance_index_uno(t_tr, e_tr, t_te, e_te, risk, tau=20.0)
    _assert_same_concordance(
        ours, concordance_index_ipcw(_sk(t_tr, e_tr), _sk(t_te, e_te), risk, tau=20.0)
    )


# --------------------------------------------------------------------------- AUC


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("time_dependent", [False, True], ids=["1d-risk", "2d-risk"])
def test_cumulative_dynamic_auc_matches_sksurv(seed, time_dependent):
    d = make_split(seed)
    risk = 1.0 - d["surv"] if time_dependent else d["risk"]
    auc, mean_auc = cumulative_dynamic_auc(d["t_tr"], d["e_tr"], d["t_te"], d["e_te"], risk, TIMES)
    ref_auc, ref_mean = sk_cumulative_dynamic_auc(
        _sk(d["t_tr"], d["e_tr"]), _sk(d["t_te"], d["e_te"]), risk, TIMES
    )
    np.testing.assert_allclose(auc, ref_auc, rtol=0, atol=1e-6)
    np.testing.assert_allclose(mean_auc, ref_mean, rtol=0, atol=1e-6)


def test_cumulative_dynamic_auc_at_a_single_time_matches_sksurv():
    d = make_split(1)
    args = (d["t_tr"], d["e_tr"], d["t_te"], d["e_te"], d["risk"])
    auc, mean_auc = cumulative_dynamic_auc(*args, [6.0])
    ref_auc, ref_mean = sk_cumulative_dynamic_auc(
        _sk(d["t_tr"], d["e_tr"]), _sk(d["t_te"], d["e_te"]), d["risk"], [6.0]
    )
    np.testing.assert_allclose(auc, ref_auc, rtol=0, atol=1e-6)
    assert mean_auc == pytest.approx(float(ref_mean), abs=1e-6)
    assert mean_auc == auc[0]


@pytest.mark.parametrize("tied_tol", [0.0, 0.1, 0.15])
def test_cumulative_dynamic_auc_with_other_tie_tolerances_matches_sksurv(tied_tol):
    d = make_split(2)  # risks on a 0.1 grid: 0.1 is a floating-point boundary case
    ours = cumulative_dynamic_auc(
        d["t_tr"], d["e_tr"], d["t_te"], d["e_te"], d["risk"], TIMES, tied_tol=tied_tol
    )
    ref = sk_cumulative_dynamic_auc(
        _sk(d["t_tr"], d["e_tr"]), _sk(d["t_te"], d["e_te"]), d["risk"], TIMES, tied_tol=tied_tol
    )
    np.testing.assert_allclose(ours[0], ref[0], rtol=0, atol=1e-6)


def test_cumulative_dynamic_auc_on_public_data_matches_sksurv(public):
    d = public
    # sksurv weights every test event, even those after the last time, which no AUC(t)
    # uses; on rossi that fails (G = 0 at week 52). Censoring them changes no AUC(t) and
    # no Kaplan-Meier value up to the last time, so the reference is unchanged.
    used = d["e_te"] & (d["t_te"] <= d["times"][-1])
    y_tr, y_te = _sk(d["t_tr"], d["e_tr"]), _sk(d["t_te"], used)
    for risk in (d["risk"], 1.0 - d["surv"]):
        ours = cumulative_dynamic_auc(d["t_tr"], d["e_tr"], d["t_te"], d["e_te"], risk, d["times"])
        ref = sk_cumulative_dynamic_auc(y_tr, y_te, risk, d["times"])
        np.testing.assert_allclose(ours[0], ref[0], rtol=0, atol=1e-6)
        np.testing.assert_allclose(ours[1], ref[1], rtol=0, atol=1e-6)


# --------------------------------------------------------------------------- Brier


@pytest.mark.parametrize("seed", SEEDS)
def test_brier_and_integrated_brier_match_sksurv(seed):
    d = make_split(seed)
    y_tr, y_te = _sk(d["t_tr"], d["e_tr"]), _sk(d["t_te"], d["e_te"])
    args = (d["t_tr"], d["e_tr"], d["t_te"], d["e_te"], d["surv"], TIMES)
    times, scores = brier_score(*args)
    ref_times, ref_scores = sk_brier_score(y_tr, y_te, d["surv"], TIMES)
    np.testing.assert_array_equal(times, ref_times)
    np.testing.assert_allclose(scores, ref_scores, rtol=0, atol=1e-6)
    np.testing.assert_allclose(
        integrated_brier_score(*args),
        sk_integrated_brier_score(y_tr, y_te, d["surv"], TIMES),
        rtol=0,
        atol=1e-6,
    )


def test_brier_on_public_data_matches_sksurv(public):
    d = public
    y_tr, y_te = _sk(d["t_tr"], d["e_tr"]), _sk(d["t_te"], d["e_te"])
    args = (d["t_tr"], d["e_tr"], d["t_te"], d["e_te"], d["surv"], d["times"])
    np.testing.assert_allclose(
        brier_score(*args)[1],
        sk_brier_score(y_tr, y_te, d["surv"], d["times"])[1],
        rtol=0,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        integrated_brier_score(*args),
        sk_integrated_brier_score(y_tr, y_te, d["surv"], d["times"]),
        rtol=0,
        atol=1e-6,
    )


def test_brier_drops_terms_where_the_censoring_survival_is_zero_like_sksurv():
    # the last training entity is censored alone at 30: G(30) = 0 and G(t > 30) = 0
    t_tr = np.array([2.0, 5.0, 9.0, 14.0, 20.0, 30.0])
    e_tr = np.array([1, 0, 1, 1, 0, 0], dtype=bool)
    t_te = np.array([3.0, 10.0, 30.0, 31.0, 33.0])
    e_te = np.array([1, 1, 1, 0, 1], dtype=bool)
    surv = np.array([[0.9, 0.5], [0.8, 0.4], [0.9, 0.6], [0.95, 0.9], [0.7, 0.2]])
    times = np.array([8.0, 31.0])
    ours = brier_score(t_tr, e_tr, t_te, e_te, surv, times)[1]
    ref = sk_brier_score(_sk(t_tr, e_tr), _sk(t_te, e_te), surv, times)[1]
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)


def test_brier_and_auc_ignore_test_durations_beyond_training_that_no_time_uses():
    d = make_split(3)
    e_tr = d["e_tr"].copy()
    e_tr[d["t_tr"] == d["t_tr"].max()] = True  # G > 0 at the end: unknown beyond it
    t_te = d["t_te"].copy()
    late = np.flatnonzero(t_te > TIMES[-1])[:10]
    t_te[late] = d["t_tr"].max() + 12.0  # past the training follow-up, after every time
    y_tr = _sk(d["t_tr"], e_tr)
    with pytest.raises(ValueError, match="largest observed time point"):
        sk_brier_score(y_tr, _sk(t_te, d["e_te"]), d["surv"], TIMES)
    # Moving those durations back to any value past TIMES[-1] changes no term of either
    # metric, and there sksurv is defined: that is the reference.
    y_ref = _sk(d["t_te"], d["e_te"])
    ours = brier_score(d["t_tr"], e_tr, t_te, d["e_te"], d["surv"], TIMES)[1]
    ref = sk_brier_score(y_tr, y_ref, d["surv"], TIMES)[1]
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-6)
    ours_auc = cumulative_dynamic_auc(d["t_tr"], e_tr, t_te, d["e_te"], d["risk"], TIMES)
    ref_auc = sk_cumulative_dynamic_auc(y_tr, y_ref, d["risk"], TIMES)
    np.testing.assert_allclose(ours_auc[0], ref_auc[0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours_auc[1], ref_auc[1], rtol=0, atol=1e-6)


# --------------------------------------------------------------------------- Kaplan–Meier


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_kaplan_meier_matches_sksurv_and_lifelines(seed):
    d = make_split(seed)
    times, surv = kaplan_meier(d["t_te"], d["e_te"])
    ref_times, ref_surv = kaplan_meier_estimator(d["e_te"], d["t_te"])
    np.testing.assert_array_equal(times, ref_times)
    np.testing.assert_allclose(surv, ref_surv, rtol=0, atol=1e-12)
    kmf = KaplanMeierFitter().fit(d["t_te"], d["e_te"])
    np.testing.assert_allclose(
        surv, kmf.survival_function_at_times(times).to_numpy(), rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_censoring_kaplan_meier_matches_sksurv_reverse_estimator(seed):
    d = make_split(seed)
    times, surv = censoring_kaplan_meier(d["t_tr"], d["e_tr"])
    ref_times, ref_surv = kaplan_meier_estimator(d["e_tr"], d["t_tr"], reverse=True)
    np.testing.assert_array_equal(times, ref_times)
    np.testing.assert_allclose(surv, ref_surv, rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- calibration


def _exponential_cohort(n: int, seed: int, horizon: float) -> tuple[np.ndarray, ...]:
    """Exponential event times from known hazards; returns time, event, true risk."""
    rng = np.random.default_rng(seed)
    hazard = 0.04 * np.exp(0.6 * rng.normal(size=n))
    t_event = rng.exponential(1.0 / hazard)
    t_cens = rng.uniform(1.0, 24.0, size=n)
    true_risk = 1.0 - np.exp(-hazard * horizon)
    return np.minimum(t_event, t_cens), t_event <= t_cens, true_risk


def test_calibration_of_the_true_risk_is_near_perfect_and_doubling_it_is_not():
    horizon = 6.0
    time, event, true_risk = _exponential_cohort(40_000, seed=3, horizon=horizon)
    calibrated = calibration_at(time, event, true_risk, horizon)
    doubled = calibration_at(time, event, np.minimum(2.0 * true_risk, 1.0), horizon)
    assert calibrated.ece < 0.02
    assert doubled.ece > 0.1
    assert doubled.ece > 5 * calibrated.ece


def test_calibration_table_reports_each_bin_against_its_own_kaplan_meier():
    horizon = 6.0
    time, event, risk = _exponential_cohort(2_000, seed=4, horizon=horizon)
    result = calibration_at(time, event, risk, horizon, bins=5)
    table = result.table
    assert list(table.columns) == ["count", "events", "predicted", "observed", "abs_error"]
    assert table.index.name == "bin" and len(table) == 5
    np.testing.assert_array_equal(table["count"], [400] * 5)
    assert np.all(np.diff(table["predicted"]) > 0)  # bins go from lowest to highest risk
    ranked = np.argsort(risk, kind="stable")
    for b, rows in enumerate(np.array_split(ranked, 5)):
        kmf = KaplanMeierFitter().fit(time[rows], event[rows])
        expected = 1.0 - kmf.survival_function_at_times([horizon]).iloc[0]
        assert table["observed"].iloc[b] == pytest.approx(expected, abs=1e-12)
        assert table["predicted"].iloc[b] == pytest.approx(risk[rows].mean(), abs=1e-12)
        assert table["events"].iloc[b] == np.sum(event[rows] & (time[rows] <= horizon))
    expected_ece = np.average(table["abs_error"], weights=table["count"])
    assert result.ece == pytest.approx(expected_ece, abs=1e-12)


def test_calibration_result_is_frozen():
    time, event, risk = _exponential_cohort(200, seed=5, horizon=6.0)
    result = calibration_at(time, event, risk, 6.0)
    assert isinstance(result, CalibrationResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.ece = 0.0
    with pytest.raises(ValueError, match="read-only"):
        result.observed[0] = 0.0


# --------------------------------------------------------------------------- captured share

# Ten entities, horizon 5. Within 5: rows 0, 2, 4, 6, 7, 9 (row 1 leaves at 8, rows 3 and
# 8 are censored), holding 10 + 20 + 5 + 30 + 15 + 20 = 100 of value. Rows 1 and 2 tie on
# risk, so the stable ranking is 0, 1, 2, 3, 4, 5, ...
CAPTURE = {
    "time": np.array([2, 8, 3, 4, 1, 6, 2, 5, 9, 3], dtype=float),
    "event": np.array([1, 1, 1, 0, 1, 1, 1, 1, 0, 1]),
    "value": np.array([10, 50, 20, 99, 5, 7, 30, 15, 40, 20], dtype=float),
    "risk": np.array([0.9, 0.8, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]),
}


def test_captured_share_matches_a_hand_computed_example():
    shares = captured_share(**CAPTURE, horizon=5.0, top=(0.05, 0.1, 0.2, 0.3, 0.5, 1.0))
    # top 5% and 10% = row 0 (10); 20% adds row 1 (left after the horizon: 0);
    # 30% adds row 2 (20); 50% adds
    # rows 3 (censored) and 4 (5)
    assert shares == pytest.approx(
        {0.05: 0.10, 0.1: 0.10, 0.2: 0.10, 0.3: 0.30, 0.5: 0.35, 1.0: 1.0}
    )


def test_captured_share_counts_top_entities_without_float_rounding_up():
    n = 100  # 0.07 * 100 == 7.000000000000001 in floating point: still seven entities
    shares = captured_share(
        np.ones(n), np.ones(n), 1, np.arange(n, 0, -1.0), horizon=1.0, top=(0.07,)
    )
    assert shares == {0.07: pytest.approx(7 / 100)}


def test_captured_share_breaks_risk_ties_by_input_order():
    swap = [0, 2, 1, 3, 4, 5, 6, 7, 8, 9]
    swapped = {name: values[swap] for name, values in CAPTURE.items()}
    assert captured_share(**swapped, horizon=5.0, top=(0.2,)) == {0.2: pytest.approx(0.30)}


def test_captured_share_with_unit_value_is_the_share_of_events_caught():
    data = {**CAPTURE, "value": 1}
    shares = captured_share(**data, horizon=5.0, top=(0.3, 1.0))
    assert shares == pytest.approx({0.3: 2 / 6, 1.0: 1.0})


def test_captured_share_uses_the_default_top_fractions():
    assert list(captured_share(**CAPTURE, horizon=5.0)) == [0.05, 0.10, 0.20]


# --------------------------------------------------------------------------- bad input

T = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
E = np.array([1, 0, 1, 1, 0, 1])
R = np.array([0.9, 0.1, 0.5, 0.4, 0.2, 0.3])
S = np.array([[0.9, 0.5], [0.8, 0.7], [0.7, 0.4], [0.9, 0.6], [0.8, 0.5], [0.6, 0.3]])
TRAIN = {"time_train": T, "event_train": E}
TEST = {"time_test": T, "event_test": E}


@pytest.mark.parametrize(
    ("func", "kwargs", "error", "match"),
    [
        pytest.param(
            concordance_index_harrell,
            {"time": T[:-1], "event": E, "risk": R},
            SurvivalDataError,
            r"inconsistent lengths: 'time' has 5, 'event' has 6",
            id="harrell-length-mismatch",
        ),
        pytest.param(
            concordance_index_harrell,
            {"time": T, "event": E, "risk": R[:-1]},
            SurvivalDataError,
            r"'risk' has 5 rows but the test data has 6",
            id="harrell-risk-length",
        ),
        pytest.param(
            concordance_index_harrell,
            {"time": np.r_[0.0, T[1:]], "event": E, "risk": R},
            SurvivalDataError,
            r"'time' has 1 missing, infinite or non-positive durations \(first positions: \[0\]",
            id="harrell-zero-time",
        ),
        pytest.param(
            concordance_index_harrell,
            {"time": np.r_[np.nan, T[1:]], "event": E, "risk": R},
            SurvivalDataError,
            r"'time' has 1 missing",
            id="harrell-nan-time",
        ),
        pytest.param(
            concordance_index_harrell,
            {"time": T, "event": np.r_[2, E[1:]], "risk": R},
            SurvivalDataError,
            r"'event' has 1 values that are not 0/1",
            id="harrell-event-not-binary",
        ),
        pytest.param(
            concordance_index_harrell,
            {"time": T, "event": np.array(list("abcdef")), "risk": R},
            SurvivalDataError,
            r"'event' must be boolean or 0/1",
            id="harrell-event-strings",
        ),
        pytest.param(
            concordance_index_harrell,
            {"time": T, "event": np.zeros(6), "risk": R},
            SurvivalDataError,
            r"'event' has no events \(all 6 entities are censored\)",
            id="harrell-all-censored",
        ),
        pytest.param(
            concordance_index_harrell,
            {"time": T, "event": E, "risk": np.r_[np.inf, R[1:]]},
            SurvivalDataError,
            r"'risk' has 1 missing or infinite values \(first rows: \[0\]\)",
            id="harrell-infinite-risk",
        ),
        pytest.param(
            concordance_index_harrell,
            {"time": T, "event": E, "risk": S},
            SurvivalDataError,
            r"'risk' must be 1-D, got shape \(6, 2\)",
            id="harrell-2d-risk",
        ),
        pytest.param(
            concordance_index_harrell,
            {"time": T, "event": E, "risk": R, "tied_tol": -1.0},
            InvalidParameterError,
            r"'tied_tol' must be a finite float >= 0, got -1.0",
            id="harrell-negative-tol",
        ),
        pytest.param(
            concordance_index_harrell,
            {"time": [1.0], "event": [1], "risk": [0.5]},
            SurvivalDataError,
            r"at least two entities",
            id="harrell-one-entity",
        ),
        pytest.param(
            concordance_index_harrell,
            {"time": [1.0, 2.0, 2.0], "event": [0, 1, 1], "risk": [0.1, 0.5, 0.7]},
            SurvivalDataError,
            r"no comparable pairs",
            id="harrell-no-comparable-pair",
        ),
        pytest.param(
            concordance_index_uno,
            {**TRAIN, **TEST, "risk": R, "tau": 0.0},
            InvalidParameterError,
            r"'tau' must be finite and > 0, got 0.0",
            id="uno-bad-tau",
        ),
        pytest.param(
            concordance_index_uno,
            {**TRAIN, "time_test": T * 2, "event_test": E, "risk": R},
            SurvivalDataError,
            r"lie beyond the training follow-up \(largest training duration 6; "
            r"first offending values: \[8.0, 12.0\]\)",
            id="uno-beyond-training",
        ),
        pytest.param(
            concordance_index_uno,
            {"time_train": T, "event_train": np.r_[E[:-1], 0], **TEST, "risk": R},
            SurvivalDataError,
            r"censoring survival G is 0 at 1 test event times \(first values: \[6.0\]\)",
            id="uno-zero-censoring-survival",
        ),
        pytest.param(
            concordance_index_uno,
            {**TRAIN, "time_test": T, "event_test": np.zeros(6), "risk": R},
            SurvivalDataError,
            r"'event_test' has no events",
            id="uno-test-all-censored",
        ),
        pytest.param(
            cumulative_dynamic_auc,
            {**TRAIN, **TEST, "risk": R, "times": [0.5, 6.0]},
            SurvivalDataError,
            r"'times' \[0.5, 6.0\] lie outside the test follow-up \[1, 6\)",
            id="auc-times-outside-follow-up",
        ),
        pytest.param(
            cumulative_dynamic_auc,
            {**TRAIN, **TEST, "risk": R, "times": [4.0, 2.0]},
            SurvivalDataError,
            r"'times' must be strictly increasing",
            id="auc-times-unsorted",
        ),
        pytest.param(
            cumulative_dynamic_auc,
            {**TRAIN, **TEST, "risk": S, "times": [2.0, 3.0, 4.0]},
            SurvivalDataError,
            r"'risk' has 2 columns but there are 3 times",
            id="auc-risk-columns",
        ),
        pytest.param(
            cumulative_dynamic_auc,
            {
                **TRAIN,
                "time_test": T,
                "event_test": np.r_[0, 0, 0, E[3:]],
                "risk": R,
                "times": [2.0, 5.0],
            },
            SurvivalDataError,
            r"no test event happens by time\(s\) \[2.0\]",
            id="auc-no-case-yet",
        ),
        pytest.param(
            brier_score,
            {**TRAIN, **TEST, "survival_probs": S * 2, "times": [2.0, 4.0]},
            SurvivalDataError,
            r"'survival_probs' has 8 values outside \[0, 1\] \(first rows: \[0, 1, 2, 3, 4\]",
            id="brier-not-probabilities",
        ),
        pytest.param(
            brier_score,
            {**TRAIN, **TEST, "survival_probs": S, "times": [2.0]},
            SurvivalDataError,
            r"'survival_probs' has 2 columns but there are 1 times",
            id="brier-columns",
        ),
        pytest.param(
            brier_score,
            {**TRAIN, **TEST, "survival_probs": S[:, 0], "times": [2.0, 4.0]},
            SurvivalDataError,
            r"'survival_probs' is 1-D but there are 2 times",
            id="brier-1d-several-times",
        ),
        pytest.param(
            brier_score,
            {
                "time_train": T / 2,
                "event_train": E,
                "time_test": T,
                "event_test": E,
                "survival_probs": S,
                "times": [2.0, 4.0],
            },
            SurvivalDataError,
            r"1 evaluation times lie beyond the training follow-up \(largest training "
            r"duration 3; first offending values: \[4.0\]\)",
            id="brier-time-beyond-training",
        ),
        pytest.param(
            integrated_brier_score,
            {**TRAIN, **TEST, "survival_probs": S[:, :1], "times": [2.0]},
            SurvivalDataError,
            r"needs at least two 'times', got 1",
            id="ibs-one-time",
        ),
        pytest.param(
            calibration_at,
            {"time": T, "event": E, "predicted_risk": R * 2, "horizon": 3.0, "bins": 2},
            SurvivalDataError,
            r"'predicted_risk' has 1 values outside \[0, 1\]",
            id="calibration-risk-above-one",
        ),
        pytest.param(
            calibration_at,
            {"time": T, "event": E, "predicted_risk": R, "horizon": 3.0, "bins": 0},
            InvalidParameterError,
            r"'bins' must be an int >= 1, got 0",
            id="calibration-zero-bins",
        ),
        pytest.param(
            calibration_at,
            {"time": T, "event": E, "predicted_risk": R, "horizon": 3.0},
            InvalidParameterError,
            r"'bins' \(10\) exceeds the number of entities \(6\)",
            id="calibration-too-many-bins",
        ),
        pytest.param(
            calibration_at,
            {"time": T, "event": E, "predicted_risk": R, "horizon": 7.0, "bins": 2},
            SurvivalDataError,
            r"'horizon' 7 lies beyond the largest duration 6",
            id="calibration-horizon-beyond-data",
        ),
        pytest.param(
            calibration_at,
            {"time": T, "event": E, "predicted_risk": R, "horizon": -1.0, "bins": 2},
            InvalidParameterError,
            r"'horizon' must be finite and > 0, got -1.0",
            id="calibration-negative-horizon",
        ),
        pytest.param(
            captured_share,
            {"time": T, "event": E, "value": -R, "risk": R, "horizon": 3.0},
            SurvivalDataError,
            r"'value' has 6 negative entries",
            id="captured-negative-value",
        ),
        pytest.param(
            captured_share,
            {"time": T, "event": E, "value": 1, "risk": R, "horizon": 3.0, "top": (0.1, 1.5)},
            InvalidParameterError,
            r"'top' must be fractions in \(0, 1\], got \[0.1, 1.5\]",
            id="captured-top-above-one",
        ),
        pytest.param(
            captured_share,
            {"time": T, "event": E, "value": 1, "risk": R, "horizon": 3.0, "top": ()},
            InvalidParameterError,
            r"'top' must be fractions in \(0, 1\], got \[\]",
            id="captured-top-empty",
        ),
        pytest.param(
            captured_share,
            {"time": T, "event": np.r_[0, E[1:]], "value": 1, "risk": R, "horizon": 2.0},
            SurvivalDataError,
            r"no value left within horizon 2 \(0 events by then",
            id="captured-nothing-left",
        ),
        pytest.param(
            kaplan_meier,
            {"time": T.reshape(2, 3), "event": E.reshape(2, 3)},
            SurvivalDataError,
            r"'time' must be 1-D, got an array of shape \(2, 3\)",
            id="km-2d-time",
        ),
        pytest.param(
            censoring_kaplan_meier,
            {"time": [], "event": []},
            SurvivalDataError,
            r"'time' is empty",
            id="censoring-km-empty",
        ),
    ],
)
def test_metrics_reject_bad_input_with_a_message_naming_it(func, kwargs, error, match):
    with pytest.raises(error, match=match):
        func(**kwargs)
