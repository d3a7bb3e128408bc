"""Cut points and the pycox discretisation convention of DurationGrid."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from survival.base import InvalidParameterError, SurvivalDataError
from survival.discretize import DurationGrid, kaplan_meier


@pytest.fixture
def grid_0246() -> DurationGrid:
    """A grid with cuts exactly [0, 2, 4, 6] (its event times are those cuts)."""
    grid = DurationGrid(20).fit([2.0, 4.0, 6.0, 3.0], [1, 1, 1, 0])
    np.testing.assert_array_equal(grid.cuts_, [0.0, 2.0, 4.0, 6.0])
    return grid


@pytest.mark.parametrize(
    ("time", "event", "idx", "event_out"),
    [
        pytest.param(1.0, 1, 1, True, id="event-inside-first-interval"),
        pytest.param(2.0, 1, 1, True, id="event-at-a-cut-belongs-to-the-interval-ending-there"),
        pytest.param(2.5, 1, 2, True, id="event-rounded-up"),
        pytest.param(6.0, 1, 3, True, id="event-at-last-cut"),
        pytest.param(1.0, 0, 0, False, id="censored-before-first-cut-completes-nothing"),
        pytest.param(2.0, 0, 1, False, id="censored-at-a-cut-survived-its-interval"),
        pytest.param(3.9, 0, 1, False, id="censored-rounded-down"),
        pytest.param(4.0, 0, 2, False, id="censored-at-next-cut"),
        pytest.param(7.5, 1, 3, False, id="event-beyond-last-cut-is-censored-there"),
        pytest.param(7.5, 0, 3, False, id="censored-beyond-last-cut"),
        pytest.param(0.0, 1, 0, True, id="event-at-zero"),
    ],
)
def test_transform_follows_the_pycox_convention(grid_0246, time, event, idx, event_out):
    got_idx, got_event = grid_0246.transform([time], [event])
    assert got_idx.tolist() == [idx]
    assert got_event.tolist() == [event_out]


def test_transform_matches_the_rounding_rule_on_random_durations():
    rng = np.random.default_rng(0)
    t = rng.exponential(10.0, size=500)
    e = rng.random(500) < 0.6
    grid = DurationGrid(8, scheme="equidistant").fit(t, e)
    idx, ev = grid.transform(t, e)
    cuts = grid.cuts_
    for ti, ei, ji, evi in zip(t, e, idx, ev, strict=True):
        if ei:  # rounded up to the first cut >= t
            assert ji == min(j for j, c in enumerate(cuts) if c >= ti)
        else:  # rounded down to the last cut <= t
            assert ji == max(j for j, c in enumerate(cuts) if c <= ti)
        assert evi == ei  # the equidistant grid ends at the longest duration


def test_integer_months_with_few_event_times_use_those_times():
    t = np.array([1, 1, 2, 3, 3, 5, 7, 7, 9, 12], dtype=float)
    e = np.array([1, 0, 1, 1, 0, 1, 1, 1, 0, 0])
    for scheme in ("quantiles", "equidistant"):
        grid = DurationGrid(10, scheme=scheme).fit(t, e)
        assert grid.scheme_ == "distinct"
        np.testing.assert_array_equal(grid.cuts_, [0, 1, 2, 3, 5, 7])
        assert grid.n_intervals_ == 5
    idx, _ = grid.transform(t, e)
    assert idx.tolist() == [1, 1, 2, 3, 3, 4, 5, 5, 5, 5]


def test_equidistant_grid_spans_zero_to_the_longest_duration():
    rng = np.random.default_rng(1)
    t = rng.uniform(0.1, 40.0, size=300)
    grid = DurationGrid(5, scheme="equidistant").fit(t, rng.random(300) < 0.5)
    assert grid.scheme_ == "equidistant"
    np.testing.assert_allclose(grid.cuts_, np.linspace(0.0, t.max(), 6))


def test_quantile_cuts_split_the_kaplan_meier_drop_evenly():
    rng = np.random.default_rng(2)
    t = rng.weibull(1.5, size=2000) * 10
    c = rng.uniform(0, 20, size=2000)
    time, event = np.minimum(t, c), t <= c
    grid = DurationGrid(10).fit(time, event)
    assert grid.scheme_ == "quantiles"
    assert grid.n_intervals_ == 10
    km_t, km_s = kaplan_meier(time, event)
    levels = np.linspace(1.0, km_s[-1], 11)[1:]
    for cut, level in zip(grid.cuts_[1:], levels, strict=True):
        j = np.searchsorted(km_t, cut)
        assert km_t[j] == cut  # cuts are event times
        assert km_s[j] <= level + 1e-12  # KM has fallen to the level at the cut
        assert j == 0 or km_s[j - 1] > level  # and not before it
    assert grid.cuts_[-1] == km_t[-1]


def test_quantile_cuts_collapse_on_heavy_ties():
    t = np.repeat([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [200, 5, 5, 5, 5, 5, 5, 5])
    grid = DurationGrid(4).fit(t, np.ones_like(t))
    # the KM quantiles at 1/4, 2/4 and 3/4 all fall at t = 1 (200 of 240 events there):
    # one cut, not three at the same time
    assert grid.cuts_.tolist() == [0.0, 1.0, 8.0]
    assert grid.n_intervals_ == 2


@pytest.mark.parametrize(
    ("time", "event", "match"),
    [
        pytest.param([1.0, -2.0], [1, 0], "1 missing, infinite or negative", id="negative"),
        pytest.param([1.0, np.nan], [1, 0], "missing, infinite or negative", id="nan"),
        pytest.param([1.0, np.inf], [1, 0], "missing, infinite or negative", id="inf"),
        pytest.param([1.0, 2.0], [1, 2], "not 0/1 \\(first positions: \\[1\\]\\)", id="event"),
        pytest.param([1.0, 2.0], [1], "time has 2 values but event has 1", id="length"),
        pytest.param([1.0, 2.0], [0, 0], "no event after time 0", id="no-event"),
    ],
)
def test_fit_rejects_bad_durations_and_events(time, event, match):
    with pytest.raises(SurvivalDataError, match=match):
        DurationGrid().fit(time, event)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        pytest.param({"n_intervals": 0}, "'n_intervals' must be an int", id="n"),
        pytest.param({"scheme": "log"}, "'scheme' must be one of", id="scheme"),
    ],
)
def test_bad_parameters_are_rejected_at_fit(params, match):
    with pytest.raises(InvalidParameterError, match=match):
        DurationGrid(**params).fit([1.0, 2.0], [1, 1])


def test_unfitted_grid_refuses_to_transform_and_clone_keeps_params():
    grid = DurationGrid(7, scheme="equidistant")
    with pytest.raises(NotFittedError):
        grid.transform([1.0], [1])
    twin = clone(grid.fit([1.0, 2.0, 3.0], [1, 0, 1]))
    assert twin.get_params() == {"n_intervals": 7, "scheme": "equidistant"}
    assert not hasattr(twin, "cuts_")
