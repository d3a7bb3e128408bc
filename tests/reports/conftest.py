"""The reports' bank: a small synthetic bank with a client and an RM model trained on
it, scored at two months (so a report has a previous run, a trend and a list whose
outcome can be judged), both runs and their contact plans in a SQLite store, and a
reports.yaml pointing at the bank's tables."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml


@pytest.fixture(scope="package")
def report_bank(tmp_path_factory):
    """(home, store url, config path, bank data, runs by as-of)."""
    from attrition.config import parse_config
    from attrition.io import write_tables
    from attrition.pipeline.plan import contact_plan
    from attrition.pipeline.score import score_bank
    from attrition.pipeline.train import train
    from attrition.playbook import load_playbook
    from attrition.store import open_store, upgrade_store, write_run
    from attrition.store.plans import write_plan
    from attrition.synthetic import GeneratorConfig, generate_bank

    bank = generate_bank(config=GeneratorConfig(n_clients=1500, seed=7, clients_per_rm=50))
    home = tmp_path_factory.mktemp("report_home")
    write_tables(bank.data.tables, home / "bank")
    for target in ("client_outflow", "rm_resignation"):
        config = {
            "name": target,
            "target": target,
            "seed": 3,
            "model": {"type": "coxph", "params": {"penalizer": 0.5}},
            "landmarks": {"count": 6, "step": 3, "holdout": 2},
            "split": {"test_fraction": 0.4},
            "data": {"source": str(home / "bank")},
        }
        train(parse_config(config), home=str(home))
    url = f"sqlite:///{home / 'attrition.db'}"
    upgrade_store(url)
    engine = open_store(url)
    playbook = load_playbook(None)
    runs = {}
    for month in ("2026-06", "2026-09"):
        result = score_bank(bank.data, month, home=home)
        run_id = write_run(engine, result, entities=("rm", "client"))
        write_plan(engine, run_id, contact_plan(result, bank.data, playbook))
        runs[month] = result
    engine.dispose()
    config = home / "reports.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data": {"source": "bank"},
                "hr": ["hr@bank.example"],
                "reports": {
                    "branch_zh": {"kind": "branch_at_risk", "to": "branch_heads", "language": "zh"},
                    "branch_en": {
                        "kind": "branch_at_risk",
                        "to": "branch_heads",
                        "language": "en",
                        "top": 30,
                    },
                    # a small bank's RMs are all in the low tier: list every tier
                    "hr_en": {
                        "kind": "rm_flight_risk",
                        "to": "hr",
                        "language": "en",
                        "tiers": ["high", "medium", "low"],
                    },
                    "hr_zh": {
                        "kind": "rm_flight_risk",
                        "to": "hr",
                        "language": "zh",
                        "tiers": ["high", "medium", "low"],
                        "top": 20,
                    },
                },
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return home, url, config, bank.data, runs


def pdf_text(path: Path) -> str:
    """The PDF's text as poppler's pdftotext reads it (layout kept)."""
    import subprocess

    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
