"""The API tests' stores and banks.

``scored_run``: a hand-made run of two clients and two RMs in two branches (access
tests). ``bank_home``: a small synthetic bank with a client and an RM model trained on
it and its bank-wide run (the tests that need real models: POST /v1/score, what-if).
``url``: a fresh store on SQLite and on PostgreSQL; ``make_api`` builds the app over it
with a key per role; ``bank_api`` is that app over the bank's run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from attrition.results import ScoringResult
from attrition.settings import Settings
from attrition.store import open_store, upgrade_store, write_run
from attrition.store.keys import create_key

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
ROLES = ("hr", "branch_head", "data_scientist", "service", "admin")
LANDMARKS = {"count": 6, "step": 3, "holdout": 2}


@pytest.fixture(scope="session")
def scored_run() -> ScoringResult:
    """Shared by the tests: treat as read-only."""
    return _run()


def _run() -> ScoringResult:
    """Two clients and two RMs, one of each in branches B001 and B002."""
    ids = ["C1", "C2", "R1", "R2"]
    kinds = ["client", "client", "rm", "rm"]
    scores = pd.DataFrame(
        {
            "id": ids,
            "entity_type": kinds,
            "as_of": "2026-09",
            "model": ["client_outflow"] * 2 + ["rm_resignation"] * 2,
            "model_version": 1,
            **{f"risk_{m}m": np.full(4, 0.01 * m) for m in range(1, 13)},
            "tier": "high",
            "value_at_risk": [5e6, 1e5, np.nan, 2e5],
            "model_warning": None,
            "model_warning_zh": None,
            "branch_id": ["B001", "B002", "B001", "B002"],
            "rm_id": ["R1", "R2", None, None],
            "segment": ["private", "mass", None, None],
            "aum": [1.4e8, 2e6, np.nan, np.nan],
            "grade": [None, None, "senior", "junior"],
            "book_size": [np.nan, np.nan, 300.0, 250.0],
            "book_aum": [np.nan, np.nan, 4e8, 1e8],
        }
    )
    drivers = pd.DataFrame(
        {
            "id": ids,
            "entity_type": kinds,
            "rank": 1,
            "feature": ["maturing_share_1m"] * 2 + ["workload"] * 2,
            "value": [0.57, None, 1.3, 1.1],
            "contribution": 0.05,
            "direction": "up",
            "label_en": "l",
            "label_zh": "标",
            "text_en": "t",
            "text_zh": "文",
        }
    )
    actions = pd.DataFrame(
        {
            "id": ids,
            "entity_type": kinds,
            "rank": 1,
            "action_id": "a",
            "priority": 1,
            "effect": 0.3,
            "en": "Call",
            "zh": "致电",
            "because": None,
            "remote": False,
        }
    )
    return ScoringResult(scores, drivers, actions)


def _branches(role: str) -> tuple[str, ...]:
    return ("B001",) if role in ("branch_head", "service") else ()


@pytest.fixture(scope="session")
def make_api():
    """``make_api(url, home, max_rows=)``: (app, engine, keys by role; ``service_all``
    is a service key without branches) over a fresh store."""

    def make(url: str, home, max_rows: int = 5_000):
        upgrade_store(url)
        engine = open_store(url)
        keys = {r: create_key(engine, role=r, branches=_branches(r))[0] for r in ROLES}
        keys["service_all"] = create_key(engine, role="service")[0]
        settings = Settings(home=home, database_url=url, score_max_rows=max_rows)
        return create_app(settings), engine, keys

    return make


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'attrition.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="package")
def bank():
    """A small bank with enough RMs (60 clients each) for an RM model to learn from."""
    from attrition.synthetic import GeneratorConfig, generate_bank

    return generate_bank(config=GeneratorConfig(n_clients=2400, seed=4, clients_per_rm=60))


@pytest.fixture(scope="package")
def bank_home(bank, tmp_path_factory):
    """A client and an RM model trained on the small bank, and the bank-wide run."""
    from attrition.config import parse_config
    from attrition.io import write_tables
    from attrition.pipeline.score import score_bank
    from attrition.pipeline.train import train

    home = tmp_path_factory.mktemp("bank_home")
    write_tables(bank.data.tables, home / "bank")
    for target, model in (
        ("client_outflow", {"type": "xgb_cox", "params": {"n_estimators": 60}}),
        ("rm_resignation", {"type": "coxph", "params": {"penalizer": 0.5}}),
    ):
        config = {
            "name": target,
            "target": target,
            "seed": 3,
            "model": model,
            "landmarks": LANDMARKS,
            "split": {"test_fraction": 0.4},
            "data": {"source": str(home / "bank")},
        }
        train(parse_config(config), home=str(home))
    return home, score_bank(bank.data, home=home)


@pytest.fixture
def bank_api(url, bank_home, make_api):
    """(client, keys, engine, run): the app over a store holding the bank's run."""
    home, run = bank_home
    app, engine, keys = make_api(url, home, max_rows=200_000)
    write_run(engine, run, entities=("rm", "client"))
    with TestClient(app) as client:
        yield client, keys, engine, run
    engine.dispose()
