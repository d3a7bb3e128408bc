"""RM panels from ``rm_monthly`` (HR and performance, one row per RM and month)."""

from __future__ import annotations

import numpy as np

from attrition.features.context import PanelContext
from attrition.features.grid import month_ordinals
from attrition.features.panels import carry_forward, scatter_max, scatter_value
from attrition.features.registry import register

MEASURES = ("target_attainment", "bonus", "overtime_hours", "leave_days", "training_hours")
ENGAGEMENT_CARRY_MONTHS = 12


@register(
    "rm",
    *MEASURES,
    "engagement_score",
    "manager_changed",
    "months_since_promotion",
    tables=("rm_monthly", "rms"),
)
def hr(ctx: PanelContext) -> dict[str, np.ndarray]:
    """Monthly HR measures as reported; the engagement score carried forward up to 12
    months (surveys are sparse); manager changes as 0/1; months since the last
    promotion, or since hire when none is on record."""
    hm = ctx.table("rm_monthly")
    shape = ctx.shape("rm")
    rows = ctx.codes("rm", hm["rm_id"])
    ords = month_ordinals(hm["month"])
    cols = ctx.grid.col(ords)

    def panel(col: str) -> np.ndarray:
        return scatter_value(
            rows, cols, hm[col].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan), shape
        )

    out = {m: panel(m) for m in MEASURES if m in hm.columns}
    if "engagement_score" in hm.columns:
        out["engagement_score"] = carry_forward(
            panel("engagement_score"), limit=ENGAGEMENT_CARRY_MONTHS
        )
    if "manager_changed" in hm.columns:
        out["manager_changed"] = panel("manager_changed")
    if "promoted" in hm.columns:
        promoted = hm["promoted"].to_numpy(dtype=bool, na_value=False)
        # Promotions before the grid still date the last one: fold them into column 0.
        last = scatter_max(
            rows[promoted], np.maximum(cols[promoted], 0), ords[promoted].astype(float), shape
        )
        last = np.fmax.accumulate(last, axis=1)
        hired = month_ordinals(ctx.table("rms")["hire_date"]).astype(float)
        since = np.fmax(last, hired[:, None])
        out["months_since_promotion"] = ctx.grid.ordinals[None, :] - since
        out["months_since_promotion"][out["months_since_promotion"] < 0] = np.nan
    return out
