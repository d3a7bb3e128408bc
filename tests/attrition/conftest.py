"""Fixtures for the io and validation tests: a tiny hand-made bank and a PostgreSQL database.

The bank is raw text, exactly as a CSV export would be read, so tests can break one
cell at a time and see which rule fires.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pandas as pd
import pytest

_BANK: dict[str, dict[str, list[str]]] = {
    "branches": {
        "branch_id": ["B01", "B02"],
        "name": ["North", "South"],
        "region": ["N", ""],
        "head_email": ["north.head@bank.example", ""],
    },
    "rms": {
        "rm_id": ["R01", "R02", "R03"],
        "branch_id": ["B01", "B01", "B02"],
        "hire_date": ["2015-03-01", "2018-06-01", "2020-01-15"],
        "exit_date": ["", "2023-05-31", "2024-02-29"],
        "exit_type": ["", "voluntary", "involuntary"],
        "name": ["Wang Fang", "Li Na", "Zhang Wei"],
        "email": ["wang.fang@bank.example", "li.na@bank.example", "zhang.wei@bank.example"],
        "birth_year": ["1980", "1990", ""],
    },
    "clients": {
        "client_id": ["C001", "C002", "C003", "C004", "C005"],
        "branch_id": ["B01", "B01", "B01", "B02", "B02"],
        "rm_id": ["R01", "R01", "R02", "R03", ""],
        "segment": ["mass", "affluent", "mass", "private", "mass"],
        "open_date": ["2019-01-10", "2020-02-20", "2021-03-30", "2018-04-04", "2022-05-05"],
        "closed_date": ["", "", "2024-03-15", "", ""],
        "is_payroll": ["true", "false", "", "1", "0"],
        "risk_level": ["1", "3", "5", "2", ""],
        "name": ["Chen Jie", "Liu Yang", "Zhao Lei", "Sun Li", "Zhou Min"],
    },
    "monthly_balances": {
        "client_id": [c for c in ("C001", "C002", "C003", "C004", "C005") for _ in range(3)],
        "month": ["2024-01", "2024-02", "2024-03"] * 5,
        "aum": [  # three months per client
            *["120000.5", "118000", "90000"],
            *["560000", "555000.25", "560100"],
            *["45000", "20000", "0"],
            *["2500000", "2490000", "2600000"],
            *["15000", "15500", "16000"],
        ],
        "deposits": ["100000", "", "80000"] + [""] * 12,
    },
    "transactions": {
        "client_id": ["C001", "C001", "C003", "C004"],
        "date": ["2024-01-25", "2024-02-03", "2024-03-10", "2024-03-12"],
        "amount": ["15000", "2500.75", "25000", "100"],
        "direction": ["in", "out", "out", "in"],
        "kind": ["payroll", "purchase", "transfer", "fee"],
        "external": ["false", "false", "true", "false"],
    },
    "holdings": {
        "client_id": ["C001", "C002", "C003"],
        "product_id": ["P1", "P2", "P1"],
        "product_type": ["wealth", "fund", "wealth"],
        "amount": ["50000", "200000", "30000"],
        "start_date": ["2023-06-01", "2022-01-15", "2023-09-01"],
        "end_date": ["", "", "2024-03-01"],
        "maturity_date": ["2024-06-01", "", "2024-03-01"],
    },
    "product_returns": {  # the same months as the balances
        "product_id": ["P1", "P1", "P1", "P2", "P2", "P2"],
        "month": ["2024-01", "2024-02", "2024-03", "2024-01", "2024-02", "2024-03"],
        "return": ["0.003", "-0.01", "0.004", "0.02", "-0.035", "0.01"],
    },
    "interactions": {
        "client_id": ["C001", "C002", "C004"],
        "rm_id": ["R01", "R01", "R03"],
        "date": ["2024-01-05", "2024-02-11", "2024-01-20"],
        "channel": ["call", "wechat", "visit"],
    },
    "assignments": {
        "client_id": ["C003", "C003"],
        "rm_id": ["R02", "R01"],
        "start_date": ["2021-03-30", "2023-06-01"],
        "end_date": ["2023-05-31", ""],
    },
    "rm_monthly": {  # up to the balances' last month (R03 left in 2024-02)
        "rm_id": ["R01", "R01", "R03", "R01"],
        "month": ["2024-01", "2024-02", "2024-01", "2024-03"],
        "target_attainment": ["0.95", "1.1", "0.6", "1.0"],
        "bonus": ["5000", "", "0", "4000"],
        "overtime_hours": ["12", "20.5", "30", "10"],
        "leave_days": ["0", "1", "3", "0"],
        "training_hours": ["4", "0", "", "2"],
        "engagement_score": ["4.2", "3.8", "2", ""],
        "manager_changed": ["false", "false", "true", "false"],
        "promoted": ["false", "true", "false", "false"],
    },
    "campaigns": {
        "client_id": ["C001", "", "C004"],
        "rm_id": ["", "R03", ""],
        "campaign_id": ["K1", "K2", "K1"],
        "date": ["2024-02-01", "2024-01-15", "2024-02-01"],
        "group": ["treatment", "treatment", "control"],
        "action": ["maturity_call", "retention_bonus", "maturity_call"],
    },
}


@pytest.fixture
def raw_bank() -> dict[str, pd.DataFrame]:
    """A small valid bank as raw text frames (a fresh copy per test, free to mutate)."""
    return {name: pd.DataFrame(cols, dtype=object) for name, cols in _BANK.items()}


@pytest.fixture
def write_csv_bank(tmp_path) -> Callable[..., os.PathLike[str]]:
    """Write raw text frames as one CSV per table; returns the directory."""

    def write(frames: dict[str, pd.DataFrame], name: str = "bank", **to_csv) -> os.PathLike[str]:
        directory = tmp_path / name
        directory.mkdir()
        for table, frame in frames.items():
            frame.to_csv(directory / f"{table}.csv", index=False, **to_csv)
        return directory

    return write


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path):
    """An empty store at the current schema, on SQLite and on PostgreSQL."""
    from attrition.store import open_store, upgrade_store

    url = (
        f"sqlite:///{tmp_path / 'attrition.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    upgrade_store(url)
    engine = open_store(url)
    yield engine
    engine.dispose()
