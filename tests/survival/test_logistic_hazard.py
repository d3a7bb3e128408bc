"""The logistic-hazard network: training, determinism, curves, persistence, quality."""

from __future__ import annotations

import logging
import pickle
import time

import numpy as np
import pandas as pd
import pytest
import torch
from lifelines.datasets import load_rossi
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from survival.base import InvalidParameterError, SurvivalDataError, validation_split
from survival.cox import CoxPHSurvival
from survival.logistic_hazard import LogisticHazardSurvival

SMALL = {"hidden": (16,), "n_intervals": 10, "max_epochs": 30}
HORIZONS = [1.0, 2.5, 6.0, 12.0]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def train_frame(frame_factory) -> pd.DataFrame:
    return frame_factory(300, seed=1)


@pytest.fixture(scope="module")
def fitted(train_frame) -> LogisticHazardSurvival:
    return LogisticHazardSurvival(**SMALL).fit(train_frame)


def harrell_c(time: np.ndarray, event: np.ndarray, risk: np.ndarray) -> float:
    """Harrell's C: among pairs where the earlier time is an event, the share the risk
    orders correctly (ties in risk count one half)."""
    num = den = 0.0
    for i in range(len(time)):
        if not event[i]:
            continue
        later = time > time[i]
        den += later.sum()
        num += (risk[i] > risk[later]).sum() + 0.5 * (risk[i] == risk[later]).sum()
    return num / den


def test_fit_returns_self_and_records_the_training(train_frame):
    model = LogisticHazardSurvival(**SMALL)
    assert model.fit(train_frame) is model
    assert model.n_epochs_ == len(model.history_) <= SMALL["max_epochs"]
    assert [h["epoch"] for h in model.history_] == list(range(1, model.n_epochs_ + 1))
    assert all(np.isfinite([h["train_loss"], h["val_loss"]]).all() for h in model.history_)
    assert model.max_duration_ == train_frame["duration"].max()
    assert model.cuts_[0] == 0 and model.net_config_["out_features"] == len(model.cuts_) - 1
    assert not clone(model).__dict__.keys() & {"net_", "history_", "cuts_"}


def test_training_starts_from_the_pooled_hazard(train_frame):
    model = LogisticHazardSurvival(**{**SMALL, "max_epochs": 1, "learning_rate": 1e-12}).fit(
        train_frame
    )
    hazard = model.predict_hazard(train_frame)
    # zero output weights: every row gets the same (life-table) hazard
    np.testing.assert_allclose(hazard.std().to_numpy(), 0.0, atol=1e-6)
    assert hazard.columns.name == "interval_end"
    np.testing.assert_array_equal(hazard.columns.to_numpy(), model.cuts_[1:])


def test_early_stopping_keeps_the_best_epoch_weights(train_frame):
    params = {**SMALL, "max_epochs": 200, "patience": 3, "learning_rate": 1e-2}
    stopped = LogisticHazardSurvival(**params).fit(train_frame)
    val = [h["val_loss"] for h in stopped.history_]
    assert stopped.n_epochs_ < 200
    assert stopped.best_epoch_ == int(np.argmin(val)) + 1
    assert stopped.n_epochs_ == stopped.best_epoch_ + 3
    # the same run cut at the best epoch ends with the weights the first one restored
    params.update(max_epochs=stopped.best_epoch_, patience=None)
    cut = LogisticHazardSurvival(**params).fit(train_frame)
    pd.testing.assert_frame_equal(
        cut.predict_survival(train_frame, HORIZONS), stopped.predict_survival(train_frame, HORIZONS)
    )


def test_no_validation_trains_every_epoch(train_frame):
    model = LogisticHazardSurvival(**{**SMALL, "validation_fraction": 0.0, "max_epochs": 7})
    model.fit(train_frame)
    assert model.n_epochs_ == model.best_epoch_ == 7
    assert all(h["val_loss"] is None for h in model.history_)


def test_one_seed_gives_identical_predictions_and_another_seed_does_not(train_frame, fitted):
    again = LogisticHazardSurvival(**SMALL).fit(train_frame)
    other = LogisticHazardSurvival(**SMALL, seed=1).fit(train_frame)
    first = fitted.predict_survival(train_frame, HORIZONS)
    pd.testing.assert_frame_equal(again.predict_survival(train_frame, HORIZONS), first)
    assert np.abs(other.predict_survival(train_frame, HORIZONS) - first).to_numpy().max() > 1e-4


def test_fit_leaves_the_global_torch_state_alone(train_frame):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    LogisticHazardSurvival(**{**SMALL, "max_epochs": 2}).fit(train_frame)
    torch.testing.assert_close(torch.rand(3), expected)
    assert torch.are_deterministic_algorithms_enabled() == was_deterministic


def test_curves_are_probabilities_non_increasing_in_time(fitted, train_frame):
    grid = np.linspace(0.1, fitted.max_duration_, 97)
    s = fitted.predict_survival(train_frame, grid)
    assert list(s.index) == list(train_frame.index) and s.columns.name == "horizon"
    values = s.to_numpy()
    assert np.isfinite(values).all() and ((values >= 0) & (values <= 1)).all()
    assert (np.diff(values, axis=1) <= 0).all()
    assert (values[:, 0] > values[:, -1]).all()


def test_survival_at_the_cuts_is_the_product_of_interval_survivals(fitted, train_frame):
    cuts = fitted.cuts_
    hazard = fitted.predict_hazard(train_frame).to_numpy()
    at_cuts = fitted.predict_survival(train_frame, cuts[1:]).to_numpy()
    np.testing.assert_allclose(at_cuts, np.cumprod(1 - hazard, axis=1), rtol=1e-6)


def test_between_cuts_the_hazard_is_constant(fitted, train_frame):
    cuts = fitted.cuts_
    j = 3
    mid = (cuts[j - 1] + cuts[j]) / 2
    s = fitted.predict_survival(train_frame, [cuts[j - 1], mid, cuts[j]]).to_numpy()
    np.testing.assert_allclose(s[:, 1], np.sqrt(s[:, 0] * s[:, 2]), rtol=1e-6)
    # before the first cut: S(t) = S(c_1) ** (t / c_1)
    first = fitted.predict_survival(train_frame, [cuts[1] / 4, cuts[1]]).to_numpy()
    np.testing.assert_allclose(first[:, 0], first[:, 1] ** 0.25, rtol=1e-6)


def test_survival_stays_flat_after_the_last_event_time():
    df = pd.DataFrame(
        {
            "x": np.linspace(-1, 1, 40),
            "duration": np.r_[np.arange(1, 21), np.full(20, 30.0)],
            "event": np.r_[np.ones(10), np.zeros(10), np.zeros(20)].astype(int),
        }
    )
    model = LogisticHazardSurvival(hidden=(4,), max_epochs=3, n_intervals=20).fit(df)
    assert model.grid_.scheme_ == "distinct" and model.cuts_[-1] == 10
    s = model.predict_survival(df, [10, 20, 30]).to_numpy()
    np.testing.assert_array_equal(s[:, 0], s[:, 2])


def test_save_load_round_trips_exactly(fitted, train_frame, tmp_path):
    path = fitted.save(tmp_path / "lh.pkl")
    loaded = LogisticHazardSurvival.load(path)
    assert isinstance(loaded.net_, torch.nn.Module) and not loaded.net_.training
    pd.testing.assert_frame_equal(
        loaded.predict_survival(train_frame, HORIZONS),
        fitted.predict_survival(train_frame, HORIZONS),
    )
    assert loaded.get_params() == fitted.get_params()


def test_a_model_trained_on_cuda_loads_on_a_machine_without_it(fitted, train_frame, monkeypatch):
    copy = pickle.loads(pickle.dumps(fitted))
    copy.device_ = "cuda"  # as if trained on a GPU: weights are pickled on the CPU anyway
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    moved = pickle.loads(pickle.dumps(copy))
    assert next(moved.net_.parameters()).device.type == "cpu"
    pd.testing.assert_frame_equal(
        moved.predict_survival(train_frame, HORIZONS),
        fitted.predict_survival(train_frame, HORIZONS),
    )


def test_horizon_beyond_follow_up_is_rejected(fitted, train_frame):
    with pytest.raises(SurvivalDataError, match="beyond the training follow-up"):
        fitted.predict_survival(train_frame, [1.0, fitted.max_duration_ + 1])


def test_unfitted_model_refuses_to_predict(train_frame):
    with pytest.raises(NotFittedError):
        LogisticHazardSurvival().predict_survival(train_frame, HORIZONS)


def test_missing_values_are_imputed_and_infinite_values_rejected(fitted, train_frame):
    holes = train_frame.copy()
    holes.loc[holes.index[:10], "x1"] = np.nan
    holes.loc[holes.index[5:15], "group"] = np.nan
    assert np.isfinite(fitted.predict_survival(holes, HORIZONS).to_numpy()).all()
    trained_with_holes = LogisticHazardSurvival(**SMALL).fit(holes)
    assert "x1__missing" in trained_with_holes.encoder_.feature_names_out_
    bad = train_frame.copy()
    bad.loc[bad.index[3], "x1"] = np.inf
    with pytest.raises(SurvivalDataError, match="infinite values \\(first ids: \\['id0003'\\]"):
        fitted.predict_survival(bad, HORIZONS)
    with pytest.raises(SurvivalDataError, match="infinite"):
        LogisticHazardSurvival(**SMALL).fit(bad)


def test_categorical_columns_are_one_hot_encoded(train_frame):
    df = train_frame.assign(code=np.arange(len(train_frame)) % 3)
    model = LogisticHazardSurvival(**SMALL, categorical=("code",)).fit(df)
    names = list(model.encoder_.feature_names_out_)
    assert {"group=a", "group=b", "group=c", "code=0", "code=1", "code=2"} <= set(names)
    assert model.net_config_["in_features"] == len(names)
    unseen = df.assign(group=pd.Categorical(["z"] * len(df)), code=7)
    assert np.isfinite(model.predict_survival(unseen, HORIZONS).to_numpy()).all()


def test_groups_never_straddle_the_validation_split(train_frame):
    groups = np.repeat(np.arange(60), 5)
    model = LogisticHazardSurvival(**SMALL)
    train, val = validation_split(len(groups), groups, fraction=0.2, seed=0)
    assert set(groups[train]).isdisjoint(groups[val])
    assert len(train) + len(val) == len(groups) and len(val) > 0
    assert model.fit(train_frame, groups=groups) is model
    with pytest.raises(SurvivalDataError, match="groups has 3 values for 300 rows"):
        LogisticHazardSurvival(**SMALL).fit(train_frame, groups=[1, 2, 3])


def test_verbose_logs_one_line_per_epoch_and_prints_nothing(train_frame, capsys, caplog):
    with caplog.at_level(logging.INFO, logger="survival.training"):
        LogisticHazardSurvival(
            **{**SMALL, "max_epochs": 2, "patience": None}, verbose=True
        ).fit(train_frame)
    lines = [r.getMessage() for r in caplog.records if r.name == "survival.training"]
    assert len(lines) == 2 and lines[0].startswith("epoch    1  train_loss")
    assert capsys.readouterr().out == ""  # library code logs, never prints


@pytest.mark.parametrize(
    ("params", "match"),
    [
        pytest.param({"hidden": (16, 0)}, "'hidden' must be a tuple of positive", id="hidden"),
        pytest.param({"dropout": 1.0}, "'dropout' must be a float in \\[0.0, 1.0\\)", id="drop"),
        pytest.param({"device": "tpu"}, "'device' must be one of 'cpu'", id="device"),
        pytest.param({"validation_fraction": 0.9}, "'validation_fraction' must be", id="val"),
        pytest.param({"scheme": "log"}, "'scheme' must be one of", id="scheme"),
        pytest.param({"patience": 0}, "'patience' must be an int in \\[1, inf\\) or None", id="p"),
        pytest.param({"categorical": "group"}, "'categorical' must be a tuple", id="cat"),
    ],
)
def test_bad_hyperparameters_are_rejected_at_fit(params, match, train_frame):
    with pytest.raises(InvalidParameterError, match=match):
        LogisticHazardSurvival(**params).fit(train_frame)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_a_gpu_is_refused_with_a_remedy(train_frame):
    with pytest.raises(InvalidParameterError, match=r"CUDA is not available.*device='cpu'"):
        LogisticHazardSurvival(device="cuda").fit(train_frame)


def test_batch_norm_rejects_single_row_batches(train_frame):
    with pytest.raises(SurvivalDataError, match="batches of at least 2 rows"):
        LogisticHazardSurvival(batch_norm=True, batch_size=1).fit(train_frame)
    model = LogisticHazardSurvival(**{**SMALL, "max_epochs": 3}, batch_norm=True).fit(train_frame)
    assert np.isfinite(model.predict_survival(train_frame, HORIZONS).to_numpy()).all()


def test_equidistant_grid_trains(train_frame):
    model = LogisticHazardSurvival(**SMALL, scheme="equidistant").fit(train_frame)
    assert model.grid_.scheme_ == "equidistant"
    np.testing.assert_allclose(model.cuts_, np.linspace(0, model.max_duration_, 11))


# ---------------------------------------------------------------------------- quality


def test_rossi_concordance_at_half_a_year_is_at_least_060():
    rossi = load_rossi()
    t, e = rossi["week"].to_numpy(), rossi["arrest"].to_numpy().astype(bool)
    scores = []
    for seed in range(3):  # one seed is one lucky (or unlucky) number
        model = LogisticHazardSurvival(seed=seed).fit(
            rossi, duration_col="week", event_col="arrest"
        )
        scores.append(harrell_c(t, e, model.predict_risk(rossi, 26).to_numpy()))
    assert np.mean(scores) >= 0.60, scores


def test_strong_linear_effect_is_ranked_as_well_as_by_cox(frame_factory):
    train, test = frame_factory(600, seed=3, effect=2.0), frame_factory(600, seed=4, effect=2.0)
    t, e = test["duration"].to_numpy(), test["event"].to_numpy().astype(bool)
    model = LogisticHazardSurvival().fit(train)
    c_lh = harrell_c(t, e, model.predict_risk(test, 6).to_numpy())
    c_cox = harrell_c(t, e, CoxPHSurvival().fit(train).predict_risk(test, 6).to_numpy())
    assert c_lh >= 0.75
    assert c_lh >= c_cox - 0.02, (c_lh, c_cox)


@pytest.mark.slow
def test_predicting_100k_rows_of_40_features_takes_about_a_second():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(100_000, 40)), columns=[f"f{i}" for i in range(40)])
    small = X.iloc[:2000].assign(
        duration=rng.integers(1, 37, size=2000).astype(float), event=rng.random(2000) < 0.5
    )
    model = LogisticHazardSurvival(max_epochs=2).fit(small)
    start = time.perf_counter()
    s = model.predict_survival(X, [1, 3, 6, 12])
    elapsed = time.perf_counter() - start
    assert s.shape == (100_000, 4)
    assert elapsed < 3.0, f"{elapsed:.2f} s"
