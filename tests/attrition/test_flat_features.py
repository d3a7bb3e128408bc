"""A data scientist's own table: dates and identifiers refused as features (all at
once), constant and empty columns dropped and named, text columns used as categories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attrition.checks.flat_features import screen_flat_features
from attrition.contracts import FlatSpec
from attrition.errors import DataContractError
from attrition.validation import validate_flat

SPEC = FlatSpec(id="customer_id", duration="tenure", event="churned", categorical=("plan",))
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _table(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "tenure": rng.integers(1, 72, n).astype(float),
            "churned": rng.integers(0, 2, n),
            "monthly_charges": rng.normal(70, 20, n).round(2),
            "plan": rng.choice(["basic", "plus", "premium"], n),
            "contract": rng.choice(["month-to-month", "one year", "two year"], n),
            "signup_month": rng.choice(MONTHS, n),  # a category, not a date
            "signup_date": start.strftime("%Y-%m-%d"),
            "email": [f"user{i}@example.com" for i in range(n)],
            "country": "CN",
            "notes": [None] * n,
        }
    )


def _config(path, model: str, **data) -> dict:
    """A flat-table training config for the churn table at ``path``."""
    columns = {"id": "customer_id", "duration": "tenure", "event": "churned"}
    return {
        "name": "churn",
        "target": "flat",
        "data": {"path": str(path), **columns, **data},
        "horizons": [6, 12, 24],
        "model": {"type": model},
    }


def test_dates_and_identifiers_are_refused_the_rest_screened(tmp_path):
    typed, problems = validate_flat(_table(), SPEC, table_name="churn")
    assert problems == []
    screen, refused = screen_flat_features(typed, SPEC, table_name="churn")
    assert {(p.column, p.rule) for p in refused} == {
        ("signup_date", "not_a_feature"),
        ("email", "not_a_feature"),
    }
    date = next(p for p in refused if p.column == "signup_date")
    assert "derive one from it" in date.expected and date.examples  # its values shown
    assert screen.features == ["monthly_charges", "plan", "contract", "signup_month"]
    assert screen.categorical == ["plan", "contract", "signup_month"]
    assert screen.detected == ["contract", "signup_month"]  # text not listed as categorical
    assert screen.constant == ["country"] and screen.empty == ["notes"]
    said = " ".join(screen.lines())
    for name in ("contract", "signup_month", "country", "notes"):
        assert name in said


@pytest.mark.parametrize(
    "values",
    [
        ["2024-03-31 12:00:00"] * 10 + ["2024-04-01"] * 10,
        [f"{d}/03/2024" for d in range(1, 21)],
    ],
)
def test_written_dates_are_dates_and_numbers_or_month_names_are_not(values):
    n = len(values)
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "tenure": 1.0,
            "churned": 1,
            "when": values,
            "score": np.arange(n, dtype=float) * 1.5,  # unique numbers: a feature
            "month": (MONTHS * 2)[:n],
            # one value repeated (a second spell of one person): still an identifier
            "spell": [f"S{i}" for i in range(n - 1)] + ["S0"],
            # text with repeats (60% distinct): a category, however many
            "office": [f"O{i}" for i in range(n - 8)] + ["O0"] * 8,
        }
    )
    typed, _ = validate_flat(frame, FlatSpec("customer_id", "tenure", "churned"))
    screen, refused = screen_flat_features(typed, FlatSpec("customer_id", "tenure", "churned"))
    assert [p.column for p in refused] == ["when", "spell"]
    assert screen.features == ["score", "month", "office"]


def test_training_on_such_a_table_names_every_refused_column(tmp_path):
    from attrition.config import TrainConfig
    from attrition.pipeline.datasets import load_sets

    path = tmp_path / "churn.csv"
    _table().to_csv(path, index=False)
    raw = _config(path, "coxph", categorical=["plan"])
    with pytest.raises(DataContractError) as err:
        load_sets(TrainConfig.model_validate(raw))
    message = str(err.value)
    assert "signup_date" in message and "email" in message
    keep = ["monthly_charges", "plan", "contract", "signup_month", "country", "notes"]
    raw["data"]["features"] = keep
    sets = load_sets(TrainConfig.model_validate(raw))
    assert sets.feature_names == ["monthly_charges", "plan", "contract", "signup_month"]
    assert isinstance(sets.train["contract"].dtype, pd.CategoricalDtype)


def test_a_table_trained_with_auto_says_and_stores_what_it_did(tmp_path):
    from attrition.config import TrainConfig
    from attrition.pipeline.train import train

    path = tmp_path / "churn.csv"
    _table(400, seed=3).drop(columns=["signup_date", "email"]).to_csv(path, index=False)
    config = TrainConfig.model_validate(_config(path, "auto"))
    said: list[str] = []
    result = train(config, home=str(tmp_path / "home"), progress=said.append)
    meta = result.record.metadata
    assert meta["auto_choice"].startswith("chose ") and meta["auto_choice"] in " ".join(said)
    families = {row["family"] for row in meta["auto_tried"]}
    assert {"coxph", "weibull_aft", "xgb_cox"} <= families
    assert "dropped (one value in every row): country" in meta["notes"]
    assert any("text columns used as categories: plan, contract" in s for s in said)
    # the registered model scores the table it was trained on
    from survival.catalog import model_class

    assert isinstance(result.record.load_model(), model_class("auto"))
