"""Panels from ``interactions``: contacts per client and per RM, days since the last one."""

from __future__ import annotations

import numpy as np

from attrition.features.context import PanelContext
from attrition.features.grid import day_ordinals, month_ordinals
from attrition.features.panels import scatter_max, scatter_sum
from attrition.features.registry import register, register_sums


@register("client", "contacts", "days_since_contact", tables=("interactions",))
def client_contacts(ctx: PanelContext) -> dict[str, np.ndarray]:
    """Contacts per month and days from the last contact to each month-end (NaN = none)."""
    it = ctx.table("interactions")
    shape = ctx.shape("client")
    rows = ctx.codes("client", it["client_id"])
    cols = ctx.grid.col(month_ordinals(it["date"]))
    days = day_ordinals(it["date"]).astype(np.float64)
    # Contacts before the grid still date the last contact: fold them into column 0.
    last = scatter_max(rows, np.maximum(cols, 0), days, shape)
    last = np.fmax.accumulate(last, axis=1)
    return {
        "contacts": scatter_sum(rows, cols, None, shape),
        "days_since_contact": ctx.grid.end_days[None, :] - last,
    }


@register_sums("rm", "rm_contacts", tables=("interactions",), finish=lambda sums: sums)
def rm_contacts(ctx: PanelContext) -> dict[str, np.ndarray]:
    """Contacts each RM made per month (a count: partitions' counts add up)."""
    it = ctx.table("interactions")
    rows = ctx.codes("rm", it["rm_id"])
    cols = ctx.grid.col(month_ordinals(it["date"]))
    return {"rm_contacts": scatter_sum(rows, cols, None, ctx.shape("rm"))}
