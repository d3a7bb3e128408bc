"""What retention actions really did: effects measured from the bank's own campaigns.

The ``campaigns`` table records randomised retention actions with control groups (e.g.
a maturity-call campaign). For each action, the clients' outflow within ``horizon``
months of the campaign month (the contract's outflow event, from the month before the
campaign) is compared between the treatment and the control group. The effect is the
relative reduction, ``1 - rate_treatment / rate_control``: the share of the expected
outflow the action prevents, which is what the playbook's ``effect`` estimates. A 95%
interval comes from the log relative risk's normal approximation.

An action's measured effect replaces the playbook estimate in the contact plan once
both groups hold at least ``min_per_group`` clients in the outflow population and the
control group had at least one outflow; otherwise the playbook's number stays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition.contracts import BankData
from attrition.labels import client_outflow_labels

EFFECT_COLUMNS = [
    "action",
    "n_treatment",
    "n_control",
    "rate_treatment",
    "rate_control",
    "effect",
    "effect_low",
    "effect_high",
    "usable",
]


def measured_effects(
    data: BankData,
    *,
    horizon: int = 3,
    min_per_group: int = 100,
    min_control_events: int = 10,
    before: pd.Period | None = None,
) -> pd.DataFrame:
    """One row per campaign action (empty without a ``campaigns`` table); see the
    module docstring.

    Only clients followed for the whole ``horizon`` (or who left within it) count, and
    with ``before`` only campaigns whose follow-up had ended by that month (planning
    a past month must not use what came after it). An effect is ``usable`` with at
    least ``min_per_group`` clients in each group, ``min_control_events`` outflows in
    the control group and one in the treatment group: fewer, and the ratio is noise.
    ``effect`` is clipped to [0, 1] (an action that made things worse counts as no
    effect); the interval is not clipped."""
    if "campaigns" not in data.tables or data["campaigns"]["client_id"].isna().all():
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    c = data["campaigns"].dropna(subset=["client_id"])
    as_of = pd.PeriodIndex(pd.to_datetime(c["date"]), freq="M") - 1
    if before is not None:
        done = np.asarray(as_of + horizon <= before)
        c, as_of = c[done], as_of[done]
        if c.empty:
            return pd.DataFrame(columns=EFFECT_COLUMNS)
    labels = client_outflow_labels(data, sorted(set(as_of)))
    key = pd.MultiIndex.from_arrays([c["client_id"].astype(str).to_numpy(), as_of])
    lab = labels.reindex(key)
    event = lab["event"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    left = event & (lab["duration"] <= horizon).to_numpy()
    # followed for the whole horizon, or left within it; a shorter follow-up is unknown
    known = lab["event"].notna().to_numpy() & (left | (lab["duration"] >= horizon).to_numpy())
    frame = pd.DataFrame(
        {"action": c["action"].to_numpy(), "group": c["group"].to_numpy(), "left": left}
    )[known]
    rows = []
    for action, g in frame.groupby("action"):
        t, k = g[g["group"] == "treatment"]["left"], g[g["group"] == "control"]["left"]
        nt, nc, et, ec = len(t), len(k), int(t.sum()), int(k.sum())
        rt = et / nt if nt else np.nan
        rc = ec / nc if nc else np.nan
        usable = nt >= min_per_group and nc >= min_per_group and ec >= min_control_events and et > 0
        low = high = effect = np.nan
        if nt and nc and ec > 0:
            effect = float(np.clip(1.0 - rt / rc, 0.0, 1.0))
            if et > 0:  # log relative risk interval
                se = np.sqrt(1 / et - 1 / nt + 1 / ec - 1 / nc)
                log_rr = np.log(rt / rc)
                low = 1.0 - np.exp(log_rr + 1.96 * se)
                high = 1.0 - np.exp(log_rr - 1.96 * se)
        rows.append([action, nt, nc, rt, rc, effect, low, high, usable])
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)
