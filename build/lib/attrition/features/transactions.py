"""Client panels from ``transactions``: monthly flows and the payday outflow.

The payday outflow is money sent to another institution within
:data:`PAYDAY_WINDOW_DAYS` days after a payroll credit (paydays are usually the 10th
or 20th). It is booked in the month the money left, so a month's panel never reads a
later transaction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition.features.context import PanelContext
from attrition.features.grid import day_ordinals, month_ordinals
from attrition.features.panels import scatter_sum
from attrition.features.registry import register

PAYDAY_WINDOW_DAYS = 5


def _is(col: pd.Series, value: str) -> np.ndarray:
    return (col == value).to_numpy(dtype=bool, na_value=False)


@register(
    "client",
    "external_out",
    "external_in",
    "net_external_in",
    "payroll_in",
    "redemptions",
    "payday_out",
    tables=("transactions",),
)
def transactions(ctx: PanelContext) -> dict[str, np.ndarray]:
    """Monthly sums: external out/in, their difference, payroll credits, redemptions,
    and the external outflow that follows a payroll credit within 5 days."""
    tx = ctx.table("transactions")
    shape = ctx.shape("client")
    rows = ctx.codes("client", tx["client_id"])
    cols = ctx.grid.col(month_ordinals(tx["date"]))
    amount = tx["amount"].to_numpy(dtype=np.float64, na_value=0.0)
    out_ = _is(tx["direction"], "out")
    in_ = _is(tx["direction"], "in")
    external = tx["external"].to_numpy(dtype=bool, na_value=False)
    kind = tx["kind"]
    payroll = in_ & _is(kind, "payroll")

    def monthly(sel: np.ndarray) -> np.ndarray:
        return scatter_sum(rows[sel], cols[sel], amount[sel], shape)

    ext_out = monthly(out_ & external)
    ext_in = monthly(in_ & external)
    days = day_ordinals(tx["date"])
    after_pay = _after_payroll(rows, days, payroll, out_ & external & (rows >= 0))
    return {
        "external_out": ext_out,
        "external_in": ext_in,
        "net_external_in": ext_in - ext_out,
        "payroll_in": monthly(payroll),
        "redemptions": monthly(_is(kind, "redemption")),
        "payday_out": monthly(after_pay),
    }


def _after_payroll(
    rows: np.ndarray, days: np.ndarray, payroll: np.ndarray, outflow: np.ndarray
) -> np.ndarray:
    """Mask of outflows made 0–5 days after the same client's latest payroll credit."""
    result = np.zeros(len(rows), dtype=bool)
    pay = payroll & (rows >= 0)
    if not pay.any() or not outflow.any():
        return result
    lo = min(days[pay].min(), days[outflow].min())
    span = max(days[pay].max(), days[outflow].max()) - lo + PAYDAY_WINDOW_DAYS + 1
    pay_key = np.sort(rows[pay] * span + (days[pay] - lo))
    out_key = rows[outflow] * span + (days[outflow] - lo)
    pos = np.searchsorted(pay_key, out_key, side="right") - 1
    gap = out_key - pay_key[np.maximum(pos, 0)]
    # The key spaces clients `span` days apart, so a gap within the window is the same client.
    result[outflow] = (pos >= 0) & (gap >= 0) & (gap <= PAYDAY_WINDOW_DAYS)
    return result
