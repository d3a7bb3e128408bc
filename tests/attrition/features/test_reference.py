"""The feature engine equals the slow reference implementation (``reference.py``).

The reference is written from the data contract and the catalogue, one entity at a
time, independently of the engine; here both build every feature of both
populations at a few as-of months on two small banks and must agree: the same ids,
floats to 1e-9 (relative and absolute, NaN equal to NaN), the same categories.

- ``synthetic``: a 300-client bank from :mod:`attrition.synthetic` (24 months).
- ``random``: the feature tests' random bank (``random_bank`` in ``conftest.py``),
  holding every table, with history before its first balance month, gaps in the
  balances, closings and exits mid-month and reassignments.

Each engine is compared: the whole-bank pandas engine and the partitioned one (clients
hashed into ``PARTITIONS`` partitions, cross-entity features summed and joined back).

Cases where the engine departs from the catalogue are kept and marked
``xfail(strict=True)`` with the reason (see ``ENGINE_DEPARTS``), so a fix shows up
as an unexpected pass.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from attrition.contracts import BankData
from attrition.features import build_features, default_spec
from attrition.synthetic import GeneratorConfig, generate_bank


def load_reference() -> ModuleType:
    """``reference.py`` beside this file (tests are not a package: pytest imports them
    with ``--import-mode=importlib``, so a sibling module is loaded by its path)."""
    name = "attrition_tests_features_reference"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).with_name("reference.py")
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


ref = load_reference()
CLIENT_FEATURES, RM_FEATURES = ref.CLIENT_FEATURES, ref.RM_FEATURES
Bank, month_of, reference_features = ref.Bank, ref.month_of, ref.reference_features

SYNTHETIC = GeneratorConfig(n_clients=300, months=24, clients_per_rm=25, rms_per_branch=4, seed=3)
AS_OF = {
    "synthetic": ("2025-10", "2026-03", "2026-09"),  # the window is 2024-10 .. 2026-09
    "random": ("2023-01", "2023-06"),  # balances from 2022-01, 18 months
}
FEATURES = {"client": CLIENT_FEATURES, "rm": RM_FEATURES}
PARTITIONS = 4
ENGINES = {"pandas": 1, "partitioned": PARTITIONS}  # engine -> partitions of clients

ENGINE_DEPARTS: dict[tuple[str, str, str], str] = {}


def _rm_risk(data: BankData) -> pd.Series:
    """A made-up flight risk per RM, for the client hook ``rm_flight_risk``."""
    ids = list(data["rms"]["rm_id"])
    return pd.Series([(i % 7) / 7 for i in range(len(ids))], index=ids, dtype="float64")


@pytest.fixture(scope="module")
def banks(random_bank: Callable[..., BankData]) -> dict[str, BankData]:
    return {
        "synthetic": generate_bank(config=SYNTHETIC).data,
        "random": random_bank(1, n_clients=60, n_rms=6),
    }


@pytest.fixture(scope="module")
def built(
    banks: dict[str, BankData],
) -> dict[tuple[str, str, str], list[tuple[str, pd.DataFrame, pd.DataFrame]]]:
    """(bank, entity, engine) -> [(as_of, engine frame, reference frame)] per as-of."""
    out: dict[tuple[str, str, str], list[tuple[str, pd.DataFrame, pd.DataFrame]]] = {}
    for name, data in banks.items():
        reference_bank = Bank(data)
        risk = _rm_risk(data)
        for entity, names in FEATURES.items():
            hook = risk if entity == "client" else None
            reference = {
                as_of: reference_features(reference_bank, entity, as_of, names, rm_risk=risk)
                for as_of in AS_OF[name]
            }
            for engine, n in ENGINES.items():
                out[(name, entity, engine)] = [
                    (
                        as_of,
                        build_features(data, entity, as_of, rm_risk=hook, partitions=n),
                        reference[as_of],
                    )
                    for as_of in AS_OF[name]
                ]
    return out


def _cases() -> list[Any]:
    cases = []
    for engine in ENGINES:
        for bank in AS_OF:
            for entity, names in FEATURES.items():
                for feature in names:
                    reason = ENGINE_DEPARTS.get((entity, feature, bank))
                    marks = (
                        [pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)]
                        if reason
                        else []
                    )
                    cases.append(
                        pytest.param(
                            engine,
                            bank,
                            entity,
                            feature,
                            id=f"{engine}-{entity}-{feature}-{bank}",
                            marks=marks,
                        )
                    )
    return cases


def _mismatches(engine: pd.Series, reference: pd.Series, categorical: bool) -> pd.Index:
    """Ids whose two values differ (floats to 1e-9, NaN equal to NaN)."""
    if categorical:
        e = engine.astype("string").fillna("<NA>").to_numpy()
        r = reference.astype("string").fillna("<NA>").to_numpy()
        return engine.index[e != r]
    e, r = engine.to_numpy(dtype="float64"), reference.to_numpy(dtype="float64")
    return engine.index[~np.isclose(e, r, rtol=1e-9, atol=1e-9, equal_nan=True)]


@pytest.mark.parametrize("engine_name", list(ENGINES))
@pytest.mark.parametrize("bank", list(AS_OF))
@pytest.mark.parametrize("entity", list(FEATURES))
def test_the_population_is_the_same(
    built: dict[tuple[str, str, str], list[tuple[str, pd.DataFrame, pd.DataFrame]]],
    engine_name: str,
    bank: str,
    entity: str,
) -> None:
    for as_of, engine, reference in built[(bank, entity, engine_name)]:
        assert engine.index.is_unique, as_of
        only_engine = sorted(set(engine.index) - set(reference.index))
        only_reference = sorted(set(reference.index) - set(engine.index))
        assert not only_engine and not only_reference, (as_of, only_engine, only_reference)
        assert len(engine) > 0, as_of


@pytest.mark.parametrize(("engine_name", "bank", "entity", "feature"), _cases())
def test_the_engine_equals_the_reference(
    built: dict[tuple[str, str, str], list[tuple[str, pd.DataFrame, pd.DataFrame]]],
    engine_name: str,
    bank: str,
    entity: str,
    feature: str,
) -> None:
    categorical = default_spec(entity).feature(feature).kind == "category"
    problems = []
    for as_of, engine, reference in built[(bank, entity, engine_name)]:
        assert feature in engine.columns, f"the engine left out {feature} at {as_of}"
        ids = reference.index.intersection(engine.index)
        e, r = engine.loc[ids, feature], reference.loc[ids, feature]
        bad = _mismatches(e, r, categorical)
        if len(bad):
            shown = [(i, e[i], r[i]) for i in bad[:5]]
            problems.append(
                f"{as_of}: {len(bad)}/{len(ids)} differ, (id, engine, reference) {shown}"
            )
    assert not problems, "\n".join(problems)


def test_every_feature_group_is_covered_by_the_reference() -> None:
    for entity, names in FEATURES.items():
        spec = default_spec(entity)
        assert set(names) <= set(spec.names), set(names) - set(spec.names)
        groups = {f.group for f in spec.features}
        covered = {spec.feature(n).group for n in names}
        assert covered == groups, (entity, groups - covered)


def test_a_closed_client_without_a_baseline_aum_counts_as_lost(banks: dict[str, BankData]) -> None:
    """A client in the book 6 months ago with no balance row yet, closed since, is lost."""
    data = banks["synthetic"]
    as_of = "2025-10"
    m = month_of(as_of)
    bank = Bank(data)
    rm, client = next(
        (r, c)
        for r, owned in sorted(bank.books(m - 6).items())
        for c in owned
        if not any(k <= m - 6 for k in bank.balances.get(c, {})) and bank.client_active(c, m)
    )
    closed = pd.Timestamp(str(pd.Period(as_of, freq="M") - 2) + "-10")
    tables = dict(data.tables)
    clients = tables["clients"].copy()
    clients.loc[clients["client_id"] == client, "closed_date"] = closed
    balances = tables["monthly_balances"]
    later = (balances["client_id"] == client) & (balances["month"] > closed.to_period("M"))
    tables |= {"clients": clients, "monthly_balances": balances.loc[~later].reset_index(drop=True)}
    changed = BankData(tables, source="one client closed")

    want = reference_features(changed, "rm", as_of, ["book_lost_share_6m"])
    got = build_features(changed, "rm", as_of)
    assert want.loc[rm, "book_lost_share_6m"] > 0
    assert got.loc[rm, "book_lost_share_6m"] == pytest.approx(
        want.loc[rm, "book_lost_share_6m"], rel=1e-9
    )
