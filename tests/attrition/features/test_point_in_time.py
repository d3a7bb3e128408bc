"""Features at an as-of never change when data dated after it changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attrition.features import build_features, build_sequences, default_spec

SEEDS = (0, 1, 2)
START, N_MONTHS = pd.Period("2022-01", freq="M"), 18  # the span of conftest's random_bank


@pytest.fixture(scope="module")
def banks(random_bank):
    return {seed: random_bank(seed) for seed in SEEDS}


@pytest.mark.parametrize("entity", ["client", "rm"])
@settings(max_examples=12, deadline=None)
@given(
    seed=st.sampled_from(SEEDS),
    month=st.integers(3, N_MONTHS - 2),
    salt=st.integers(0, 10**6),
    partitions=st.sampled_from([1, 3]),
)
def test_features_ignore_every_change_after_the_as_of(
    banks, perturb_after, entity, seed, month, salt, partitions
):
    # the changed bank is also built over partitions of clients: what a partition holds
    # after the as-of (new clients hash into it) must not reach the features either
    as_of = START + month
    data = banks[seed]
    changed = perturb_after(data, as_of, salt)
    risk = pd.Series(np.linspace(0, 1, 5), index=[f"R{i}" for i in range(5)])
    before = build_features(data, entity, as_of, rm_risk=risk)
    after = build_features(changed, entity, as_of, rm_risk=risk, partitions=partitions)
    pd.testing.assert_frame_equal(before, after, rtol=1e-9, atol=1e-9)
    seq_before = build_sequences(data, entity, as_of, months=4)
    seq_after = build_sequences(changed, entity, as_of, months=4)
    np.testing.assert_array_equal(seq_before.values, seq_after.values)
    np.testing.assert_array_equal(seq_before.mask, seq_after.mask)


@pytest.mark.parametrize("entity", ["client", "rm"])
def test_the_property_test_sees_every_feature_vary(banks, entity):
    risk = pd.Series({"R0": 0.5, "R1": 0.2})
    months = [START + m for m in range(3, N_MONTHS - 1)]
    X = pd.concat(
        [build_features(banks[s], entity, months, rm_risk=risk) for s in SEEDS],
        ignore_index=True,
    )
    assert list(X.columns) == list(default_spec(entity).names)
    flat = [c for c in X.columns if X[c].nunique() < 2]
    assert flat == [], f"features without variation in the random banks: {flat}"


@pytest.mark.parametrize("entity", ["client", "rm"])
def test_landmark_rows_equal_single_as_of_rows(banks, entity):
    months = [START + 5, START + 11, START + 16]
    stacked = build_features(banks[1], entity, months)
    assert stacked.index.names == [default_spec(entity).id_col, "as_of"]
    for m in months:
        one = build_features(banks[1], entity, m)
        part = stacked.xs(m, level="as_of")
        pd.testing.assert_frame_equal(part, one, check_categorical=False)
