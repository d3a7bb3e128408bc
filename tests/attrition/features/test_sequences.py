"""Sequences come from the same panels as the tabular rows."""

from __future__ import annotations

import numpy as np
import pytest

from attrition.errors import ConfigError
from attrition.features import build_features, build_sequences


@pytest.mark.parametrize("entity", ["client", "rm"])
@pytest.mark.parametrize("as_of", ["2022-05", "2023-03", ["2022-09", "2023-06"]])
def test_last_step_equals_build_features(random_bank, entity, as_of):
    data = random_bank(2)
    seq = build_sequences(data, entity, as_of, months=6)
    X = build_features(data, entity, as_of if isinstance(as_of, list) else [as_of])
    numeric = X.select_dtypes("number")
    assert seq.feature_names == tuple(numeric.columns)
    assert seq.values.dtype == np.float32 and seq.values.shape == (len(X), 6, numeric.shape[1])
    assert seq.index.equals(X.index)
    np.testing.assert_array_equal(seq.values[:, -1, :], numeric.to_numpy(np.float32))
    assert seq.mask[:, -1].all()


def test_earlier_steps_equal_build_features_at_earlier_months(random_bank):
    data = random_bank(2)
    seq = build_sequences(data, "client", "2023-03", months=4)
    earlier = build_features(data, "client", "2023-01")
    rows = seq.ids.get_indexer(earlier.index)
    kept = rows >= 0
    assert kept.any()
    got = seq.values[rows[kept], 1, :]
    want = earlier.select_dtypes("number").to_numpy(np.float32)[kept]
    np.testing.assert_array_equal(got, want)


def test_short_histories_are_left_padded_and_masked(make_bank, balance_rows):
    bank = make_bank(
        clients=[
            {
                "client_id": "C1",
                "branch_id": "B1",
                "rm_id": "R1",
                "segment": "s",
                "open_date": "2020-01-01",
            },
            {
                "client_id": "C2",
                "branch_id": "B1",
                "rm_id": "R1",
                "segment": "s",
                "open_date": "2024-02-15",
            },
        ],
        monthly_balances=balance_rows("C1", "2024-01", [10, 20, 30])
        + balance_rows("C2", "2024-02", [5, 5]),
    )
    seq = build_sequences(bank, "client", "2024-03", months=5)
    assert seq.mask.tolist() == [
        [False, False, True, True, True],
        [False, False, False, True, True],
    ]
    aum = seq.values[:, :, seq.feature_names.index("aum")]
    np.testing.assert_array_equal(aum[0], [np.nan, np.nan, 10, 20, 30])
    assert np.isnan(seq.values[~seq.mask]).all()
    assert (seq.filled()[~seq.mask] == 0).all()
    assert list(seq.months.astype(str)) == ["2023-11", "2023-12", "2024-01", "2024-02", "2024-03"]
    assert list(seq.ids) == ["C1", "C2"]


def test_stacked_batches_have_no_single_month_axis(random_bank):
    seq = build_sequences(random_bank(0), "rm", ["2022-09", "2023-03"], months=3)
    assert set(seq.as_of.astype(str)) == {"2022-09", "2023-03"}
    with pytest.raises(ConfigError, match="stacks several as-of months"):
        _ = seq.months


def test_months_must_be_positive(random_bank):
    with pytest.raises(ConfigError, match="months must be a whole number"):
        build_sequences(random_bank(0), "client", "2023-01", months=0)
