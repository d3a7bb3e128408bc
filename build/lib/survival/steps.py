"""Step functions (Kaplan-Meier curves, Breslow baselines) evaluated at any time."""

from __future__ import annotations

import numpy as np


def step_function_at(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Right-continuous step function defined by (times, values) evaluated at ``at``.

    Before the first time the value is 1 (survival) — callers pass ``values`` already
    starting from the first jump.
    """
    idx = np.searchsorted(times, at, side="right") - 1
    out = np.where(idx >= 0, values[np.clip(idx, 0, len(values) - 1)], 1.0)
    return out
