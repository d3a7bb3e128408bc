"""Client panels from ``holdings`` and ``product_returns``.

A holding counts as *held* at a month-end when it started on or before that day and
has not ended by then (``end_date`` empty or later). It is held from its start month
up to the month before its end month, an interval, so the panels are built with
difference arrays instead of a row per holding and month. ``maturity_date`` is a
contractual date known when the holding is bought, so maturities in the coming
months may be read at an as-of.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition.features.context import PanelContext
from attrition.features.grid import NEVER, month_ordinals
from attrition.features.panels import expand_intervals, interval_sum, scatter_sum, scatter_value
from attrition.features.registry import MissingSourceError, register

MATURITY_HORIZONS = (1, 3, 6)


def _held(ctx: PanelContext) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Holdings view, client codes and the first/last grid column each one is held."""
    h = ctx.table("holdings")
    rows = ctx.codes("client", h["client_id"])
    first = ctx.grid.col(month_ordinals(h["start_date"]))
    end = month_ordinals(h["end_date"])
    last = np.where(end >= NEVER, ctx.grid.n - 1, ctx.grid.col(end) - 1)
    return h, rows, first, last


@register(
    "client",
    "product_count",
    "held_amount",
    "fund_share",
    "holdings_ended",
    *(f"maturing_amount_{k}m" for k in MATURITY_HORIZONS),
    *(f"maturing_count_{k}m" for k in MATURITY_HORIZONS),
    tables=("holdings",),
)
def holdings(ctx: PanelContext) -> dict[str, np.ndarray]:
    """Products held, amount held, fund share, holdings ended per month and the amount
    and count of held products maturing within the next 1, 3 and 6 months."""
    h, rows, first, last = _held(ctx)
    shape = ctx.shape("client")
    amount = h["amount"].to_numpy(dtype=np.float64, na_value=0.0)
    held = interval_sum(rows, first, last, amount, shape)
    fund = (h["product_type"] == "fund").to_numpy(dtype=bool, na_value=False)
    funds = interval_sum(rows[fund], first[fund], last[fund], amount[fund], shape)
    count = interval_sum(rows, first, last, None, shape)
    end = month_ordinals(h["end_date"])
    ended = end < NEVER
    with np.errstate(divide="ignore", invalid="ignore"):
        fund_share = np.where(held > 0, funds / np.where(held > 0, held, 1.0), np.nan)
    out = {
        "product_count": count,
        "held_amount": held,
        "fund_share": np.where(count > 0, fund_share, np.nan),
        "holdings_ended": scatter_sum(rows[ended], ctx.grid.col(end[ended]), None, shape),
    }
    if "maturity_date" in h.columns:
        mat = month_ordinals(h["maturity_date"])
        has = mat < NEVER
        mcol = ctx.grid.col(np.where(has, mat, 0))
        for k in MATURITY_HORIZONS:
            # Held at t and maturing in months t+1 .. t+k  <=>  t in [mat-k, mat-1].
            lo = np.maximum(first, mcol - k)[has]
            hi = np.minimum(last, mcol - 1)[has]
            out[f"maturing_amount_{k}m"] = interval_sum(rows[has], lo, hi, amount[has], shape)
            out[f"maturing_count_{k}m"] = interval_sum(rows[has], lo, hi, None, shape)
    return out


@register("client", "portfolio_return", tables=("holdings", "product_returns"))
def portfolio_return(ctx: PanelContext) -> dict[str, np.ndarray]:
    """Amount-weighted monthly return of the held products that report returns."""
    ret = ctx.table("product_returns")
    products = pd.Index(ret["product_id"].unique())
    if len(products) == 0:
        raise MissingSourceError("product_returns is empty")
    rpanel = scatter_value(
        products.get_indexer(ret["product_id"]),
        ctx.grid.col(month_ordinals(ret["month"])),
        ret["return"].to_numpy(dtype=np.float64, na_value=np.nan),
        (len(products), ctx.grid.n),
    )
    h, rows, first, last = _held(ctx)
    pcode = products.get_indexer(h["product_id"].astype(products.dtype))
    keep = (pcode >= 0) & (rows >= 0)
    item, col = expand_intervals(first[keep], last[keep], ctx.grid.n)
    r = rpanel[pcode[keep][item], col]
    ok = ~np.isnan(r)
    item, col, r = item[ok], col[ok], r[ok]
    amount = h["amount"].to_numpy(dtype=np.float64, na_value=0.0)[keep][item]
    crow = rows[keep][item]
    shape = ctx.shape("client")
    num = scatter_sum(crow, col, amount * r, shape)
    den = scatter_sum(crow, col, amount, shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"portfolio_return": np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)}
