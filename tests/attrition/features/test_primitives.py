"""Known answers for each primitive, and that every one of them is causal."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from attrition.features import primitives as p
from attrition.features.primitives import PRIMITIVES

NAN = np.nan


def row(*values: float) -> np.ndarray:
    return np.array([values], dtype=np.float64)


def test_change_over_three_months_of_a_halving_is_minus_half():
    out = p.change(row(100, 100, 100, 50), window=3)
    np.testing.assert_allclose(out, row(NAN, NAN, NAN, -0.5))


def test_change_is_nan_when_the_earlier_value_is_zero_or_missing():
    np.testing.assert_allclose(p.change(row(0, 5, NAN, 7), window=1), row(NAN, NAN, NAN, NAN))


def test_change_with_smoothing_compares_trailing_means():
    out = p.change(row(10, 20, 30, 30, 30, 60), window=3, smooth=3)
    np.testing.assert_allclose(out[0, -1], 40 / 20 - 1)


def test_diff_subtracts_the_value_window_months_ago():
    np.testing.assert_allclose(p.diff(row(0.5, 0.6, 0.8), window=2), row(NAN, NAN, 0.3))


def test_level_averages_over_its_window_and_divides():
    np.testing.assert_allclose(p.level(row(3, NAN, 9), window=2, divide_by=3), row(1, 1, 3))


def test_slope_is_the_least_squares_trend_and_skips_missing_months():
    np.testing.assert_allclose(p.slope(row(1, 2, 3, 4), window=4)[0, -1], 1.0)
    np.testing.assert_allclose(p.slope(row(1, NAN, 3), window=3)[0, -1], 1.0)
    np.testing.assert_allclose(p.slope(row(1, 2, 3, 4), window=4, normalise=True)[0, -1], 0.4)
    assert np.isnan(p.slope(row(NAN, NAN, 3), window=3)[0, -1])


def test_volatility_is_the_sample_std_of_monthly_changes():
    out = p.volatility(row(100, 110, 99), window=2)
    np.testing.assert_allclose(out[0, -1], np.std([0.1, -0.1], ddof=1))
    assert np.isnan(out[0, 1])


def test_drawdown_is_the_fall_from_the_trailing_peak():
    np.testing.assert_allclose(p.drawdown(row(100, 120, 90), window=12), row(0, 0, -0.25))
    np.testing.assert_allclose(p.drawdown(row(200, 100, 90), window=2)[0, -1], -0.1)


def test_recency_counts_months_since_the_last_positive_value():
    np.testing.assert_allclose(p.recency(row(0, 5, 0, 0)), row(NAN, 0, 1, 2))
    np.testing.assert_allclose(p.recency(row(NAN, 1, NAN)), row(NAN, 0, 1))


def test_rolling_sums_counts_and_means():
    x = row(1, NAN, 2, 0, 4)
    np.testing.assert_allclose(p.rolling_sum(x, window=3), row(1, 1, 3, 2, 6))
    np.testing.assert_allclose(p.rolling_count(x, window=3), row(1, 1, 2, 1, 2))
    np.testing.assert_allclose(p.rolling_mean(x, window=2), row(1, 1, 2, 1, 2))
    assert np.isnan(p.rolling_sum(row(NAN, NAN), window=2)).all()


def test_ratios_divide_windowed_sums():
    x, den = row(1, 2, 3), row(10, 10, 0)
    np.testing.assert_allclose(p.rolling_ratio(x, den=den, window=2), row(0.1, 0.15, 0.5))
    np.testing.assert_allclose(p.ratio_to(x, den=den, window=2), row(0.1, 0.3, NAN))


def test_peer_ratio_divides_by_the_group_median_of_the_same_month():
    x = np.array([[1.0], [2.0], [4.0], [5.0], [NAN], [3.0]])
    groups = np.array([0, 0, 0, 1, 1, -1])
    np.testing.assert_allclose(p.peer_ratio(x, groups=groups)[:, 0], [0.5, 1, 2, 1, NAN, NAN])
    np.testing.assert_allclose(p.group_median(np.array([[1.0], [3.0]]), np.array([0, 0])), [[2]])


def test_peer_ratio_takes_the_median_over_the_members_of_the_month_only():
    # row 2 is out of the population in month 0 (closed, its last balance 0 kept):
    # the median is over rows 0 and 1 there, over all three in month 1
    x = np.array([[2.0, 2.0], [4.0, 4.0], [0.0, 3.0]])
    members = np.array([[True, True], [True, True], [False, True]])
    out = p.peer_ratio(x, groups=np.array([0, 0, 0]), members=members)
    np.testing.assert_allclose(out[:, 0], [2 / 3, 4 / 3, 0.0])
    np.testing.assert_allclose(out[:, 1], [2 / 3, 4 / 3, 1.0])
    np.testing.assert_allclose(p.peer_ratio(x, groups=np.array([0, 0, 0]))[:, 0], [1, 2, 0])


def test_compound_and_index_drawdown_of_monthly_returns():
    np.testing.assert_allclose(p.compound(row(0.1, -0.1), window=2)[0, -1], 1.1 * 0.9 - 1)
    np.testing.assert_allclose(p.index_drawdown(row(0.1, -0.2), window=2)[0, -1], -0.2)
    np.testing.assert_allclose(p.index_drawdown(row(-0.1, 0.05), window=2)[0, -1], -0.055)
    np.testing.assert_allclose(p.index_drawdown(row(0.1, 0.1), window=2)[0, -1], 0.0)


def _call(name: str, x: np.ndarray, den: np.ndarray) -> np.ndarray:
    prim = PRIMITIVES[name]
    kwargs: dict[str, object] = {}
    if prim.needs_window:
        kwargs["window"] = 3
    if prim.needs_den:
        kwargs["den"] = den
    if prim.needs_groups:
        kwargs["groups"] = np.arange(x.shape[0]) % 2
    return prim.func(x, **kwargs)


panels = arrays(
    np.float64,
    (4, 7),
    elements=st.one_of(st.just(NAN), st.floats(-5, 1e6, allow_nan=False)),
)


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
@settings(max_examples=25, deadline=None)
@given(x=panels, den=panels, later=panels, t=st.integers(0, 5))
def test_every_primitive_reads_no_later_month(name, x, den, later, t):
    before = _call(name, x, den)
    x2, den2 = x.copy(), den.copy()
    x2[:, t + 1 :] = later[:, t + 1 :]
    den2[:, t + 1 :] = later[::-1, t + 1 :]
    after = _call(name, x2, den2)
    np.testing.assert_array_equal(before[:, : t + 1], after[:, : t + 1])
