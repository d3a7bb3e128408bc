"""A bank with enough RMs, a registry with a client and an RM model, and its scores."""

from __future__ import annotations

import pandas as pd
import pytest

from attrition.config import parse_config
from attrition.io import write_tables
from attrition.pipeline.score import score_bank
from attrition.pipeline.train import train

LANDMARKS = {"count": 6, "step": 3, "holdout": 2}


@pytest.fixture(scope="package")
def scored_bank():
    """A bank with enough RMs (60 clients each) for an RM model to learn from."""
    from attrition.synthetic import GeneratorConfig, generate_bank

    return generate_bank(config=GeneratorConfig(n_clients=2400, seed=4, clients_per_rm=60))


def register_client_model(home, name: str, model: dict) -> object:
    """Train a client-outflow model on the package's bank and register it as ``name``."""
    cfg = parse_config(
        {
            "name": name,
            "target": "client_outflow",
            "seed": 3,
            "model": model,
            "landmarks": LANDMARKS,
            "data": {"source": str(home / "bank")},
        }
    )
    return train(cfg, home=str(home)).record


@pytest.fixture(scope="package")
def client_model_in():
    """``client_model_in(home, name, model)`` trains and registers a client model."""
    return register_client_model


@pytest.fixture(scope="package")
def home(scored_bank, tmp_path_factory):
    """A registry holding a client and an RM model trained on the small bank."""
    home = tmp_path_factory.mktemp("home")
    bank = home / "bank"
    write_tables(scored_bank.data.tables, bank)
    for target, model in (
        ("client_outflow", {"type": "xgb_cox", "params": {"n_estimators": 80}}),
        ("rm_resignation", {"type": "coxph", "params": {"penalizer": 0.5}}),
    ):
        cfg = parse_config(
            {
                "name": target,
                "target": target,
                "seed": 3,
                "model": model,
                "landmarks": LANDMARKS,
                "split": {"test_fraction": 0.4},
                "data": {"source": str(bank)},
            }
        )
        train(cfg, home=str(home))
    return home


@pytest.fixture(scope="package")
def scoring(scored_bank, home):
    """The bank scored with the package's models (a ScoringResult)."""
    return score_bank(scored_bank.data, home=home)


@pytest.fixture(scope="package")
def scores(scoring) -> pd.DataFrame:
    """The same scores as the file holds them (drivers and actions as JSON lists)."""
    return scoring.to_export()
