"""The API tests' scoring run: two clients and two RMs in two branches."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attrition.results import ScoringResult


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
