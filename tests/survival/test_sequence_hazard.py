"""The recurrent hazard model: contract, determinism, persistence, and use of history."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from survival.base import InvalidParameterError, SurvivalDataError
from survival.catalog import make_model
from survival.logistic_hazard import LogisticHazardSurvival
from survival.metrics import concordance_index_harrell
from survival.sequence_hazard import GRUHazardSurvival
from survival.sequences import SequenceFrame

SMALL = {
    "hidden_size": 16,
    "static_hidden": (16,),
    "n_intervals": 10,
    "max_epochs": 12,
    "learning_rate": 3e-3,
}
HORIZONS = [1.0, 2.5, 6.0, 12.0]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def make_trend_sequences(n: int = 400, *, months: int = 8, seed: int = 0) -> SequenceFrame:
    """Sequences whose hazard rises when ``usage`` rose over the last 3 months.

    The last month's ``usage`` has the same distribution whether it rose or fell, so
    only the history tells the two apart. Log-hazard ``1.6 [rising] + 0.7 x + 0.3
    [segment == "premium"]``; histories of 4 to ``months`` months (left padding), a few
    missing cells and missing static values.
    """
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, months, 3)).astype(np.float32)
    rising = rng.random(n) < 0.4
    step = rng.uniform(0.4, 0.8, size=n)
    sign = np.where(rising, 1.0, -1.0)
    last = values[:, -1, 0].copy()
    for k in (1, 2, 3):
        values[:, -1 - k, 0] = last - sign * step * k
    lengths = rng.integers(4, months + 1, size=n)
    mask = np.arange(months)[None, :] >= (months - lengths)[:, None]
    values[~mask] = np.nan
    holes = (rng.random(values.shape) < 0.03) & mask[..., None]
    holes[:, -4:, 0] = False  # the trend itself is always observed
    values[holes] = np.nan
    x = rng.normal(size=n)
    segment = rng.choice(["retail", "premium"], size=n)
    lin = 1.6 * rising + 0.7 * x + 0.3 * (segment == "premium")
    t_event = rng.exponential(12.0 / np.exp(lin))
    t_cens = rng.uniform(3.0, 24.0, size=n)
    index = pd.Index([f"e{i:04d}" for i in range(n)], name="entity_id")
    static = pd.DataFrame(
        {"x": np.where(rng.random(n) < 0.05, np.nan, x), "segment": pd.Categorical(segment)},
        index=index,
    )
    labels = pd.DataFrame(
        {
            "duration": np.ceil(np.minimum(t_event, t_cens)),
            "event": (t_event <= t_cens).astype(int),
        },
        index=index,
    )
    return SequenceFrame(
        values, mask, index, ("usage", "balance", "calls"), static=static, labels=labels
    )


def last_month_frame(seq: SequenceFrame) -> pd.DataFrame:
    """The tabular view a non-sequence model gets: last month, static and labels."""
    last = pd.DataFrame(seq.values[:, -1], index=seq.index, columns=list(seq.feature_names))
    return pd.concat([last, seq.static, seq.labels], axis=1)


def harrell(seq: SequenceFrame, risk: np.ndarray) -> float:
    time, event = seq.labels["duration"].to_numpy(), seq.labels["event"].to_numpy() == 1
    return float(concordance_index_harrell(time, event, risk)[0])


@pytest.fixture(scope="module")
def train_seq() -> SequenceFrame:
    return make_trend_sequences(400, seed=1)


@pytest.fixture(scope="module")
def fitted(train_seq) -> GRUHazardSurvival:
    return GRUHazardSurvival(**SMALL).fit(train_seq)


def test_fit_returns_self_and_records_the_training(train_seq):
    model = GRUHazardSurvival(**SMALL)
    assert model.fit(train_seq) is model
    assert model.n_epochs_ == len(model.history_) <= SMALL["max_epochs"]
    assert 1 <= model.best_epoch_ <= model.n_epochs_
    best = min(h["val_loss"] for h in model.history_)
    assert model.history_[model.best_epoch_ - 1]["val_loss"] == best
    assert list(model.feature_names_in_) == ["usage", "balance", "calls"]


def test_clone_keeps_the_parameters_and_drops_the_fit(fitted):
    twin = clone(fitted)
    assert repr(twin) == repr(fitted)
    assert not hasattr(twin, "net_")


def test_catalog_builds_it_by_name():
    model = make_model("gru_hazard", {"hidden_size": 8, "static_hidden": [4]})
    assert isinstance(model, GRUHazardSurvival)
    assert model.static_hidden == (4,)


def test_curves_are_probabilities_non_increasing_in_time(fitted, train_seq):
    s = fitted.predict_survival(train_seq, HORIZONS)
    assert list(s.index) == list(train_seq.index)
    assert s.columns.name == "horizon" and list(s.columns) == HORIZONS
    values = s.to_numpy()
    assert np.isfinite(values).all()
    assert ((values >= 0) & (values <= 1)).all()
    assert (np.diff(values, axis=1) <= 1e-12).all()
    risk = fitted.predict_risk(train_seq, 6.0)
    np.testing.assert_allclose(risk.to_numpy(), 1 - s[6.0].to_numpy())


def test_save_load_round_trips_exactly(fitted, train_seq, tmp_path):
    loaded = GRUHazardSurvival.load(fitted.save(tmp_path / "gru.pkl"))
    pd.testing.assert_frame_equal(
        loaded.predict_survival(train_seq, HORIZONS), fitted.predict_survival(train_seq, HORIZONS)
    )


def test_one_seed_gives_identical_predictions_and_another_seed_does_not(fitted, train_seq):
    again = GRUHazardSurvival(**SMALL).fit(train_seq)
    other = GRUHazardSurvival(**SMALL, seed=1).fit(train_seq)
    expected = fitted.predict_survival(train_seq, HORIZONS)
    pd.testing.assert_frame_equal(again.predict_survival(train_seq, HORIZONS), expected)
    assert not np.allclose(other.predict_survival(train_seq, HORIZONS), expected)


def test_fit_leaves_the_global_torch_state_alone(train_seq):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    GRUHazardSurvival(**{**SMALL, "max_epochs": 2}).fit(train_seq)
    torch.testing.assert_close(torch.rand(3), expected)
    assert not torch.are_deterministic_algorithms_enabled()


def test_missing_values_in_sequences_and_static_are_handled(fitted, train_seq):
    values = train_seq.values.copy()
    values[:20] = np.nan  # whole histories missing, including rows with no data at all
    mask = train_seq.mask.copy()
    mask[:10] = False
    static = train_seq.static.copy()
    static.loc[static.index[5:15], ["x", "segment"]] = np.nan
    holes = SequenceFrame(values, mask, train_seq.index, train_seq.feature_names, static=static)
    s = fitted.predict_survival(holes, HORIZONS).to_numpy()
    assert np.isfinite(s).all() and ((s >= 0) & (s <= 1)).all()


def test_extreme_values_are_winsorised_at_the_training_quantiles(fitted, train_seq):
    observed = train_seq.values[train_seq.mask]
    assert np.allclose(fitted.clip_low_, np.nanquantile(observed, 0.005, axis=0), atol=1e-6)
    assert np.allclose(fitted.clip_high_, np.nanquantile(observed, 0.995, axis=0), atol=1e-6)
    at_bound, extreme = train_seq.values.copy(), train_seq.values.copy()
    at_bound[:, -1, 1] = fitted.clip_high_[1]
    extreme[:, -1, 1] = 1e9  # a +5,000,000% month must not saturate the state
    s = [
        fitted.predict_survival(
            SequenceFrame(
                v, train_seq.mask, train_seq.index, train_seq.feature_names, static=train_seq.static
            ),
            HORIZONS,
        ).to_numpy()
        for v in (at_bound, extreme)
    ]
    np.testing.assert_array_equal(s[0], s[1])
    unclipped = GRUHazardSurvival(**SMALL, clip=None).fit(train_seq)
    assert np.isinf(unclipped.clip_high_).all()


def test_infinite_sequence_values_are_rejected(fitted, train_seq):
    values = train_seq.values.copy()
    values[3, -1, 1] = np.inf
    bad = SequenceFrame(
        values, train_seq.mask, train_seq.index, train_seq.feature_names, static=train_seq.static
    )
    with pytest.raises(SurvivalDataError, match=r"\['balance'\] hold infinite.*e0003"):
        fitted.predict_survival(bad, HORIZONS)


def test_infinite_static_values_are_rejected(fitted, train_seq):
    static = train_seq.static.copy()
    static.loc[static.index[2], "x"] = -np.inf
    bad = SequenceFrame(
        train_seq.values, train_seq.mask, train_seq.index, train_seq.feature_names, static=static
    )
    with pytest.raises(SurvivalDataError, match="infinite"):
        fitted.predict_survival(bad, HORIZONS)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        pytest.param("drop_feature", r"missing: \['calls'\]", id="sequence-feature"),
        pytest.param("drop_static", r"missing: \['segment'\]", id="static-column"),
        pytest.param("no_static", "static=None", id="no-static"),
        pytest.param("table", "pass a SequenceFrame", id="table-only"),
    ],
)
def test_missing_features_are_named(fitted, train_seq, change, match):
    seq = train_seq
    if change == "drop_feature":
        bad = SequenceFrame(
            seq.values[:, :, :2], seq.mask, seq.index, seq.feature_names[:2], static=seq.static
        )
    elif change == "drop_static":
        bad = SequenceFrame(
            seq.values, seq.mask, seq.index, seq.feature_names, static=seq.static[["x"]]
        )
    elif change == "no_static":
        bad = SequenceFrame(seq.values, seq.mask, seq.index, seq.feature_names)
    else:
        bad = seq.static
    with pytest.raises(SurvivalDataError, match=match):
        fitted.predict_survival(bad, HORIZONS)


def test_features_are_matched_by_name_not_position(fitted, train_seq):
    order = [2, 0, 1]
    shuffled = SequenceFrame(
        train_seq.values[:, :, order],
        train_seq.mask,
        train_seq.index,
        tuple(train_seq.feature_names[j] for j in order),
        static=train_seq.static,
    )
    pd.testing.assert_frame_equal(
        fitted.predict_survival(shuffled, HORIZONS), fitted.predict_survival(train_seq, HORIZONS)
    )


def test_horizon_beyond_follow_up_is_rejected(fitted, train_seq):
    with pytest.raises(SurvivalDataError, match="beyond the training follow-up"):
        fitted.predict_survival(train_seq, [1.0, 1000.0])


def test_unfitted_model_refuses_to_predict(train_seq):
    with pytest.raises(NotFittedError, match="not fitted"):
        GRUHazardSurvival().predict_survival(train_seq, HORIZONS)


def test_labels_are_required_to_fit(train_seq):
    unlabelled = SequenceFrame(
        train_seq.values, train_seq.mask, train_seq.index, train_seq.feature_names
    )
    with pytest.raises(SurvivalDataError, match="labels is None"):
        GRUHazardSurvival(**SMALL).fit(unlabelled)


def test_bad_durations_are_named(train_seq):
    labels = train_seq.labels.copy()
    labels.loc[labels.index[0], "duration"] = -1
    bad = SequenceFrame(
        train_seq.values, train_seq.mask, train_seq.index, train_seq.feature_names, labels=labels
    )
    with pytest.raises(SurvivalDataError, match=r"non-positive.*e0000"):
        GRUHazardSurvival(**SMALL).fit(bad)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        pytest.param({"encoder": "lstm"}, "'encoder' must be one of", id="encoder"),
        pytest.param({"hidden_size": 0}, "'hidden_size' must be", id="hidden"),
        pytest.param({"dropout": 1.0}, "'dropout' must be", id="dropout"),
        pytest.param({"clip_grad_norm": 0.0}, "'clip_grad_norm' must be", id="clip"),
        pytest.param({"clip": 0.5}, "'clip' must be", id="winsorise"),
    ],
)
def test_bad_hyperparameters_are_rejected_at_fit(params, match, train_seq):
    with pytest.raises(InvalidParameterError, match=match):
        GRUHazardSurvival(**params).fit(train_seq)


def test_progress_logs_one_line_per_epoch_and_prints_nothing(train_seq, capsys, caplog):
    model = GRUHazardSurvival(
        **{**SMALL, "max_epochs": 3, "patience": None}, progress=True, verbose=True
    )
    with caplog.at_level(logging.INFO, logger="survival.sequence_hazard"):
        model.fit(train_seq)
    lines = [r.getMessage() for r in caplog.records if r.name == "survival.sequence_hazard"]
    assert len(lines) == 4  # three epochs, then the epoch kept
    assert lines[0].startswith("epoch    1/3  train_loss")
    assert lines[-1].startswith("GRUHazardSurvival: kept epoch")
    assert capsys.readouterr().out == ""  # library code logs, never prints


def test_a_plain_table_fits_as_static_features(frame_factory):
    df = frame_factory(300, seed=1)
    model = GRUHazardSurvival(**SMALL).fit(df)
    s = model.predict_survival(df, HORIZONS)
    assert list(s.index) == list(df.index)
    assert model.score(df) > 0.65


def test_the_recurrent_model_uses_the_history(train_seq):
    """On data where only the trend of the last months carries the risk, the GRU ranks
    better than a logistic-hazard network given the last month and the static columns."""
    test = make_trend_sequences(400, seed=2)
    gru = GRUHazardSurvival(**{**SMALL, "max_epochs": 30}).fit(train_seq)
    flat = LogisticHazardSurvival(hidden=(16,), n_intervals=10, max_epochs=30).fit(
        last_month_frame(train_seq)
    )
    c_gru = harrell(test, gru.predict_risk(test, 6.0).to_numpy())
    c_flat = harrell(test, flat.predict_risk(last_month_frame(test), 6.0).to_numpy())
    assert c_gru > c_flat + 0.03, (c_gru, c_flat)
    assert gru.score(test) == pytest.approx(c_gru, abs=0.02)


def test_transformer_encoder_fits_and_predicts(train_seq):
    model = GRUHazardSurvival(**SMALL, encoder="transformer").fit(train_seq)
    s = model.predict_survival(train_seq, HORIZONS).to_numpy()
    assert np.isfinite(s).all() and (np.diff(s, axis=1) <= 1e-12).all()
    shorter = train_seq.take(np.arange(50))
    short = SequenceFrame(
        shorter.values[:, -5:],
        shorter.mask[:, -5:],
        shorter.index,
        shorter.feature_names,
        static=shorter.static,
    )
    assert np.isfinite(model.predict_survival(short, HORIZONS).to_numpy()).all()
