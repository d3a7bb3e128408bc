"""Shared fixtures: a small synthetic bank generated once per test session."""

from __future__ import annotations

import pytest

from attrition.synthetic import SyntheticBank, generate_bank

SMALL_BANK_CLIENTS = 1_500
SMALL_BANK_SEED = 11


@pytest.fixture(scope="session")
def small_bank() -> SyntheticBank:
    """A 1,500-client synthetic bank over 36 months (about a second to build)."""
    return generate_bank(SMALL_BANK_CLIENTS, seed=SMALL_BANK_SEED)
