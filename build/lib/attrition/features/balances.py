"""Client panels from ``monthly_balances``: AUM and the shares of its breakdown."""

from __future__ import annotations

import numpy as np

from attrition.features.context import PanelContext
from attrition.features.grid import month_ordinals
from attrition.features.panels import carry_forward, scatter_value
from attrition.features.registry import register

COMPONENTS = ("deposits", "wealth", "funds", "insurance")


@register(
    "client",
    "aum",
    "aum_known",
    *(f"{c}_share" for c in COMPONENTS),
    tables=("monthly_balances",),
)
def balances(ctx: PanelContext) -> dict[str, np.ndarray]:
    """``aum`` (NaN = no row that month), ``aum_known`` (last AUM carried forward, 0
    after the client closed) and ``<component>_share`` = component / AUM."""
    b = ctx.table("monthly_balances")
    shape = ctx.shape("client")
    rows = ctx.codes("client", b["client_id"])
    cols = ctx.grid.col(month_ordinals(b["month"]))
    aum = scatter_value(rows, cols, b["aum"].to_numpy(dtype=np.float64, na_value=np.nan), shape)
    out = {"aum": aum, "aum_known": _known_aum(ctx, aum)}
    for comp in COMPONENTS:
        if comp in b.columns:
            v = scatter_value(
                rows, cols, b[comp].to_numpy(dtype=np.float64, na_value=np.nan), shape
            )
            with np.errstate(divide="ignore", invalid="ignore"):
                out[f"{comp}_share"] = np.where(aum > 0, v / np.where(aum > 0, aum, 1.0), np.nan)
    return out


def _known_aum(ctx: PanelContext, aum: np.ndarray) -> np.ndarray:
    """AUM with gaps filled by the last known month, and 0 from the month a client closed."""
    known = carry_forward(aum)
    clients = ctx.table("clients")
    if "closed_date" in clients.columns:
        closed = ctx.grid.col(month_ordinals(clients["closed_date"]))
        known[np.arange(ctx.grid.n)[None, :] >= closed[:, None]] = 0.0
    return known
