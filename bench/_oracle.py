"""The synthetic bank's oracle: P(event within h) from the generator's true hazards.

Shared by the benchmarks that measure a model's gap to the truth. The oracle uses the
realised hazard path, so beyond one month it knows the future observables: the
1-month oracle is the true ceiling, later horizons a ceiling that no model can reach.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


class Oracle:
    """P(event within h) from the generator's true monthly hazards."""

    def __init__(self, truth: pd.DataFrame, id_col: str) -> None:
        t = truth.assign(m=truth["month"].array.asi8)
        self.h = t.set_index([id_col, "m"])["hazard"]

    def fit(self, df: pd.DataFrame, **_: Any):
        return self

    def predict_survival(self, X: pd.DataFrame, horizons: list[float]) -> pd.DataFrame:
        ids = X.index.get_level_values(0).astype(str)
        as_of = X.index.get_level_values("as_of").asi8
        out = np.ones((len(X), len(horizons)))
        surv = np.ones(len(X))
        last = np.zeros(len(X))
        k_prev = 0
        for j, h in enumerate(horizons):
            for k in range(k_prev + 1, int(h) + 1):
                key = pd.MultiIndex.from_arrays([ids, as_of + k])
                haz = self.h.reindex(key).to_numpy()
                # after the event the entity has no truth rows: the hazard it would have
                # faced is carried forward (a zero would make early leavers look safe)
                haz = np.where(np.isnan(haz), last, haz)
                last = haz
                surv *= 1 - haz
            k_prev = int(h)
            out[:, j] = surv
        return pd.DataFrame(out, index=X.index, columns=horizons)
