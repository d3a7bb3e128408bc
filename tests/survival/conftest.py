"""Fixtures for the generic survival models: small frames with a known hazard."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_survival_frame(n: int = 300, *, seed: int = 0, effect: float = 1.0) -> pd.DataFrame:
    """Exponential times with log-hazard ``effect * (x1 - 0.5 x2) + 0.4 [group == 'b']``,
    independent censoring, a categorical column and some missing values."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    group = rng.choice(["a", "b", "c"], size=n)
    lin = effect * (x1 - 0.5 * x2) + 0.4 * (group == "b")
    t_event = rng.exponential(10.0 / np.exp(lin))
    t_cens = rng.uniform(2.0, 30.0, size=n)
    duration = np.ceil(np.minimum(t_event, t_cens))  # whole months: many ties
    x2_obs = np.where(rng.random(n) < 0.05, np.nan, x2)
    return pd.DataFrame(
        {
            "x1": x1,
            "x2": x2_obs,
            "group": pd.Categorical(group),
            "duration": duration,
            "event": (t_event <= t_cens).astype(int),
        },
        index=pd.Index([f"id{i:04d}" for i in range(n)], name="entity_id"),
    )


@pytest.fixture
def survival_frame() -> pd.DataFrame:
    return make_survival_frame()


@pytest.fixture(scope="session")
def frame_factory():
    """The :func:`make_survival_frame` factory, for tests that need several frames."""
    return make_survival_frame
