"""Early-stopping splits: by entity, or by time with outcomes censored at the cut."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survival.base import SurvivalDataError, outcomes_before, validation_split
from survival.boosting import GradientBoostedCoxSurvival
from survival.logistic_hazard import LogisticHazardSurvival
from survival.sequence_hazard import GRUHazardSurvival


def landmark_rows(n_entities: int = 50, landmarks=(600, 603, 606, 609, 612)) -> np.ndarray:
    return np.tile(np.asarray(landmarks), n_entities)


def test_time_split_validates_on_the_latest_landmarks_only():
    times = landmark_rows()
    train, val = validation_split(len(times), fraction=0.2, seed=0, times=times)
    assert set(times[val]) == {612} and set(times[train]) == {600, 603, 606, 609}
    assert len(train) + len(val) == len(times)
    train, val = validation_split(len(times), fraction=0.4, seed=0, times=times)
    assert set(times[val]) == {609, 612}


def test_time_split_keeps_at_least_one_training_time_and_ignores_the_seed():
    times = landmark_rows(landmarks=(600, 603))
    a = validation_split(len(times), fraction=0.5, seed=0, times=times)
    b = validation_split(len(times), fraction=0.5, seed=1, times=times)
    assert set(times[a[1]]) == {603} and set(times[a[0]]) == {600}
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    one_time = np.full(100, 600)
    train, val = validation_split(100, fraction=0.2, seed=0, times=one_time)
    assert len(train) == 100 and len(val) == 0


def test_time_split_rejects_bad_times():
    with pytest.raises(SurvivalDataError, match="times has 3 values for 100 rows"):
        validation_split(100, fraction=0.2, seed=0, times=[1, 2, 3])
    with pytest.raises(SurvivalDataError, match="finite numbers"):
        validation_split(3, fraction=0.2, seed=0, times=["a", "b", "c"])


def test_outcomes_before_censors_training_rows_where_validation_starts():
    times = np.array([600, 603, 606, 609, 609])
    durations = np.array([12.0, 2.0, 5.0, 1.0, 4.0])
    events = np.array([True, True, True, True, False])
    val = np.array([3, 4])  # the rows at 609
    t, e = outcomes_before(durations, events, times, val)
    # 600 + 12 ends after 609: cut at 9 months, no event seen; 603 + 2 is before the cut
    np.testing.assert_array_equal(t, [9.0, 2.0, 3.0, 1.0, 4.0])
    np.testing.assert_array_equal(e, [False, True, False, True, False])
    same_t, same_e = outcomes_before(durations, events, times, np.zeros(0, dtype=int))
    np.testing.assert_array_equal(same_t, durations)
    np.testing.assert_array_equal(same_e, events)


@pytest.fixture(scope="module")
def landmark_frame() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    times = landmark_rows(80)
    n = len(times)
    x = rng.normal(size=n)
    t_event = np.ceil(rng.exponential(10.0 / np.exp(0.8 * x)))
    t_cens = np.ceil(rng.uniform(1.0, 15.0, size=n))
    frame = pd.DataFrame(
        {"x": x, "duration": np.minimum(t_event, t_cens), "event": (t_event <= t_cens)}
    )
    return frame, times


def test_hazard_nets_never_learn_from_the_validation_period(landmark_frame):
    frame, times = landmark_frame
    cut = 612  # the latest landmark is the validation set
    after_cut = (times < cut) & (times + frame["duration"].to_numpy() > cut)
    hidden = frame.copy()
    flip = (times == cut) | after_cut  # outcomes only the validation period shows
    hidden.loc[flip, "event"] = ~hidden.loc[flip, "event"]
    seen = frame.copy()
    seen.loc[(times == 600) & (frame["duration"].to_numpy() <= 6), "event"] = True
    # equidistant cuts: quantile cuts are set from every row's event times (a
    # discretisation of the time axis, not a learnt weight)
    one_epoch = {"max_epochs": 1, "n_intervals": 5, "scheme": "equidistant", "seed": 0}
    for make in (
        lambda: LogisticHazardSurvival(hidden=(8,), **one_epoch),
        lambda: GRUHazardSurvival(hidden_size=4, static_hidden=(), **one_epoch),
    ):
        base = make().fit(frame, times=times).predict_survival(frame, [3.0])
        same = make().fit(hidden, times=times).predict_survival(frame, [3.0])
        other = make().fit(seen, times=times).predict_survival(frame, [3.0])
        np.testing.assert_array_equal(base, same)
        assert not np.allclose(base, other)


def test_early_stopping_models_take_times_deterministically(landmark_frame):
    frame, times = landmark_frame
    small = {"max_epochs": 3, "n_intervals": 5, "seed": 0}
    for model in (
        LogisticHazardSurvival(hidden=(8,), **small),
        GRUHazardSurvival(hidden_size=4, static_hidden=(), **small),
    ):
        by_time = model.fit(frame, times=times)
        assert by_time.history_[0]["val_loss"] is not None
        again = type(model)(**model.get_params()).fit(frame, times=times)
        np.testing.assert_array_equal(
            by_time.predict_survival(frame, [3.0]), again.predict_survival(frame, [3.0])
        )
    boosted = GradientBoostedCoxSurvival(n_estimators=50, early_stopping_rounds=5, seed=0).fit(
        frame, times=times
    )
    assert 1 <= boosted.best_iteration_ <= 50 and boosted.validation_history_
