"""Partitions of clients give exactly the whole-bank features.

The engine's cross-entity features (an RM's book and contacts, a client's RM book and
workload, the segment median) need every client; over partitions they come from
summed partial aggregates joined back. Every frame here must equal the whole-bank
one: dtypes, categories, index and row order exactly, floats to 1e-9 (sums over
partitions add in another order, so the last bits may differ).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from attrition.contracts import BankData
from attrition.errors import ConfigError
from attrition.features import build_features, build_sequences
from attrition.features.partitions import partition_of, split_bank

AS_OF = ["2022-09", "2023-01", "2023-06"]  # the random bank's balances: 2022-01..2023-06


@pytest.fixture(scope="module")
def bank(random_bank: Callable[..., BankData]) -> BankData:
    return random_bank(4, n_clients=40, n_rms=6)


def _risk(data: BankData) -> pd.Series:
    ids = list(data["rms"]["rm_id"])
    return pd.Series(np.linspace(0.05, 0.6, len(ids)), index=ids, dtype="float64")


@pytest.mark.parametrize("entity", ["client", "rm"])
@pytest.mark.parametrize("n", [2, 7, 64])
def test_any_number_of_partitions_gives_the_whole_bank_frame(bank, entity, n):
    # 64 partitions for 40 clients: most are empty, and that is fine
    hook = _risk(bank) if entity == "client" else None
    whole = build_features(bank, entity, AS_OF, rm_risk=hook)
    parted = build_features(bank, entity, AS_OF, rm_risk=hook, partitions=n)
    assert len(whole) > 0
    pd.testing.assert_frame_equal(parted, whole, rtol=1e-9, atol=1e-9)


def test_partitions_hold_every_row_once_and_some_hold_none(bank):
    parts = list(split_bank(bank, 64))
    assert any(len(p["clients"]) == 0 for p in parts)
    for table in ("clients", "monthly_balances", "transactions", "assignments", "interactions"):
        assert sum(len(p[table]) for p in parts) == len(bank[table]), table
        owners = [set(p[table]["client_id"]) for p in parts]
        assert sum(len(o) for o in owners) == len(set().union(*owners)), table
    # the RM tables are whole in every partition
    assert all(p["rms"] is bank["rms"] and p["rm_monthly"] is bank["rm_monthly"] for p in parts)


def test_a_client_keeps_its_partition_whatever_else_is_in_the_bank():
    ids = pd.Series([f"C{i:05d}" for i in range(1000)])
    alone = partition_of(ids[:10], 8)
    np.testing.assert_array_equal(partition_of(ids, 8)[:10], alone)
    counts = np.bincount(partition_of(ids, 8), minlength=8)
    assert counts.min() > 80  # the hash spreads ids evenly (1000 / 8 = 125)


def test_a_bank_without_its_optional_tables_partitions_the_same(bank):
    required = BankData(
        {t: bank[t] for t in ("branches", "rms", "clients", "monthly_balances")}, source="r"
    )
    for entity in ("client", "rm"):
        whole = build_features(required, entity, AS_OF)
        parted = build_features(required, entity, AS_OF, partitions=5)
        pd.testing.assert_frame_equal(parted, whole, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("bad", [0, -1, 2.0, "4"])
def test_partitions_must_be_a_whole_number_of_at_least_one(bank, bad):
    with pytest.raises(ConfigError, match="partitions must be a whole number"):
        build_features(bank, "client", "2023-06", partitions=bad)


@pytest.mark.parametrize("entity", ["client", "rm"])
def test_sequences_over_partitions_equal_the_whole_bank_batch(bank, entity):
    whole = build_sequences(bank, entity, AS_OF, months=6)
    parted = build_sequences(bank, entity, AS_OF, months=6, partitions=5)
    assert parted.feature_names == whole.feature_names
    pd.testing.assert_index_equal(parted.ids, whole.ids)
    pd.testing.assert_index_equal(parted.as_of, whole.as_of)
    np.testing.assert_array_equal(parted.mask, whole.mask)
    np.testing.assert_allclose(parted.values, whole.values, rtol=1e-6, equal_nan=True)
