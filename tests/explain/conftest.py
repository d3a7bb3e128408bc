"""Fitted models of every family on small data with a known hazard."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from survival.catalog import make_model
from survival.sequences import SequenceFrame


@pytest.fixture(autouse=True, scope="package")
def _one_thread():
    """Torch on one thread for every explain test (as ``one_torch_thread``, per package)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def known_hazard_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Log-hazard ``1.2 x1 - 0.6 x2 + 0.5 [group == 'b']``; ``noise`` has no effect."""
    rng = np.random.default_rng(seed)
    x1, x2, noise = rng.normal(size=(3, n))
    group = rng.choice(["a", "b", "c"], size=n)
    lin = 1.2 * x1 - 0.6 * x2 + 0.5 * (group == "b")
    t_event = rng.exponential(8.0 / np.exp(lin))
    t_cens = rng.uniform(2.0, 24.0, size=n)
    return pd.DataFrame(
        {
            "x1": x1,
            "x2": np.where(rng.random(n) < 0.05, np.nan, x2),
            "noise": noise,
            "group": pd.Categorical(group),
            "duration": np.ceil(np.minimum(t_event, t_cens)),
            "event": (t_event <= t_cens).astype(int),
        },
        index=pd.Index([f"e{i:04d}" for i in range(n)], name="entity_id"),
    )


@pytest.fixture(scope="package")
def frame() -> pd.DataFrame:
    return known_hazard_frame()


@pytest.fixture(scope="package")
def table(frame) -> pd.DataFrame:
    return frame.drop(columns=["duration", "event"])


FAMILIES = {
    "coxph": {"penalizer": 0.01},
    "xgb_cox": {"n_estimators": 80, "max_depth": 3, "seed": 0},
    "weibull_aft": {},
    "logistic_hazard": {"hidden": (16,), "max_epochs": 40, "n_intervals": 8, "seed": 0},
}


@pytest.fixture(scope="package")
def fitted(frame) -> dict:
    return {name: make_model(name, params).fit(frame) for name, params in FAMILIES.items()}


def rising_sequences(n: int = 500, months: int = 6, seed: int = 0) -> SequenceFrame:
    """Hazard up when ``usage`` rose over the last 3 months; ``calls`` has no effect."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, months, 2)).astype(np.float32)
    rising = rng.random(n) < 0.4
    last = values[:, -1, 0].copy()
    for k in (1, 2, 3):
        values[:, -1 - k, 0] = last - np.where(rising, 0.6, -0.6) * k
    mask = np.ones((n, months), dtype=bool)
    mask[: n // 5, :2] = False  # some shorter histories
    values[~mask] = np.nan
    segment = rng.choice(["retail", "premium"], size=n)
    lin = 1.8 * rising + 0.4 * (segment == "premium")
    t_event = rng.exponential(10.0 / np.exp(lin))
    t_cens = rng.uniform(3.0, 20.0, size=n)
    index = pd.Index([f"s{i:04d}" for i in range(n)], name="entity_id")
    return SequenceFrame(
        values,
        mask,
        index,
        ("usage", "calls"),
        static=pd.DataFrame({"segment": pd.Categorical(segment)}, index=index),
        labels=pd.DataFrame(
            {
                "duration": np.ceil(np.minimum(t_event, t_cens)),
                "event": (t_event <= t_cens).astype(int),
            },
            index=index,
        ),
    )


@pytest.fixture(scope="package")
def seq() -> SequenceFrame:
    return rising_sequences()


@pytest.fixture(scope="package")
def gru(seq):
    return make_model(
        "gru_hazard",
        {
            "hidden_size": 16,
            "static_hidden": (16,),
            "n_intervals": 8,
            "max_epochs": 25,
            "learning_rate": 3e-3,
            "seed": 0,
        },
    ).fit(seq)
