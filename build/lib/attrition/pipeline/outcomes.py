"""What the models learn from: the target's labels at landmark months, seen honestly.

Shared by the training sets (:mod:`attrition.pipeline.datasets`) and the cross-fitted
RM risk (:mod:`attrition.pipeline.coupling`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition.config import TrainConfig
from attrition.contracts import BankData
from attrition.labels import OutflowDefinition, client_outflow_labels, rm_resignation_labels

DURATION, EVENT, VALUE = "duration", "event", "value_at_risk"


def target_labels(data: BankData, config: TrainConfig, as_of: list[pd.Period]) -> pd.DataFrame:
    """``duration``, ``event`` and ``value_at_risk`` of the config's target at ``as_of``."""
    if config.target == "client_outflow":
        o = config.outflow
        lab = client_outflow_labels(
            data, as_of, OutflowDefinition(o.drop, o.reference_months, o.min_aum)
        )
        return lab.assign(**{VALUE: lab["event_aum"]})[[DURATION, EVENT, VALUE]]
    lab = rm_resignation_labels(data, as_of)
    return lab.assign(**{VALUE: 1.0})[[DURATION, EVENT, VALUE]]


def outcomes_seen_before(frame: pd.DataFrame, first_test: pd.Period) -> pd.DataFrame:
    """Training rows with outcomes censored at the first test as-of month: a training
    row may not reveal what happens in the test period."""
    cut = np.array([first_test.ordinal - p.ordinal for p in frame.index.get_level_values("as_of")])
    late = frame[DURATION].to_numpy() > cut
    return frame.assign(
        **{
            DURATION: np.minimum(frame[DURATION].to_numpy(), cut),
            EVENT: frame[EVENT].to_numpy() & ~late,
        }
    )
