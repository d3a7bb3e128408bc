"""Shared fixtures: a small synthetic bank generated once per test session."""

from __future__ import annotations

import pytest

from attrition.synthetic import SyntheticBank, generate_bank

SMALL_BANK_CLIENTS = 1_500


@pytest.fixture(scope="module")
def one_torch_thread():
    """Torch on one thread for the module (small nets train faster and reproducibly)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


SMALL_BANK_SEED = 11


@pytest.fixture(scope="session")
def small_bank() -> SyntheticBank:
    """A 1,500-client synthetic bank over 36 months (about a second to build)."""
    return generate_bank(SMALL_BANK_CLIENTS, seed=SMALL_BANK_SEED)
