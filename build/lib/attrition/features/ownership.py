"""Who owned each client at each month-end, and the client panels read from that RM.

Ownership comes from ``assignments``: an assignment owns the client at a month-end
when it started on or before that day and had not ended by then; when two overlap,
the later start wins. Without an ``assignments`` table, ``clients.rm_id`` owns the
client from its ``open_date`` (the contract's rule).
"""

from __future__ import annotations

import numpy as np

from attrition.features.context import PanelContext
from attrition.features.grid import NEVER, day_ordinals, month_ordinals
from attrition.features.panels import expand_intervals, shift, take_rows
from attrition.features.registry import register

DEPARTED_MONTHS = 6


def owner_codes(ctx: PanelContext) -> np.ndarray:
    """RM row position owning each client at each month-end, ``[clients × months]``, -1 = none."""
    return ctx.memo("owner", lambda: _owners(ctx))


def _owners(ctx: PanelContext) -> np.ndarray:
    n, m = ctx.shape("client")
    owner = np.full(n * m, -1, dtype=np.int64)
    if ctx.has("assignments"):
        a = ctx.table("assignments")
        start = a["start_date"]
        end = month_ordinals(a["end_date"])
        first = ctx.grid.col(month_ordinals(start))
        last = np.where(end >= NEVER, m - 1, ctx.grid.col(end) - 1)
        order = day_ordinals(start)
    else:
        a = ctx.table("clients")
        first = ctx.grid.col(month_ordinals(a["open_date"]))
        last = np.full(len(a), m - 1)
        order = np.zeros(len(a), dtype=np.int64)
    rows = ctx.codes("client", a["client_id"])
    rms = ctx.codes("rm", a["rm_id"])
    keep = (rows >= 0) & (rms >= 0)
    item, col = expand_intervals(first[keep], last[keep], m)
    flat = rows[keep][item] * m + col
    # Overlapping assignments: sort by cell, then start day, then row; the last one wins.
    seq = np.arange(len(item))
    idx = np.lexsort((seq, order[keep][item], flat))
    flat, item = flat[idx], item[idx]
    is_last = np.ones(len(flat), dtype=bool)
    is_last[:-1] = flat[1:] != flat[:-1]
    owner[flat[is_last]] = rms[keep][item[is_last]]
    return owner.reshape(n, m)


def active_clients(ctx: PanelContext) -> np.ndarray:
    """Bool ``[clients × months]``: opened by that month-end and not closed by it."""

    def make() -> np.ndarray:
        c = ctx.table("clients")
        t = ctx.grid.ordinals[None, :]
        act = month_ordinals(c["open_date"])[:, None] <= t
        if "closed_date" in c.columns:
            act &= month_ordinals(c["closed_date"])[:, None] > t
        return act

    return ctx.memo("active_clients", make)


def rm_exit_months(ctx: PanelContext) -> np.ndarray:
    """Exit month ordinal of each RM known at the grid's end (:data:`NEVER` if none)."""
    return month_ordinals(ctx.table("rms")["exit_date"])


@register(
    "client",
    "rm_tenure_months",
    "rm_book_size",
    "rm_departed",
    "rm_book_outflow_3m",
    tables=("clients", "rms", "monthly_balances"),
)
def client_rm(ctx: PanelContext) -> dict[str, np.ndarray]:
    """The owning RM's tenure, book size and book outflow; ``rm_departed`` is 1 when the
    current RM has left, or an RM who owned the client in the last 6 months left
    within those 6 months."""
    owner = owner_codes(ctx)
    t = ctx.grid.ordinals[None, :]
    exit_m = rm_exit_months(ctx)
    own_exit = np.where(owner >= 0, exit_m[np.maximum(owner, 0)], NEVER)
    departed = own_exit <= t
    for j in range(1, DEPARTED_MONTHS + 1):
        before = shift(own_exit, j, fill=NEVER)
        departed |= (before > t - DEPARTED_MONTHS) & (before <= t)
    return {
        "rm_tenure_months": take_rows(ctx.panel("rm", "tenure_months"), owner),
        "rm_book_size": take_rows(ctx.panel("rm", "book_size"), owner),
        "rm_departed": departed.astype(np.float64),
        "rm_book_outflow_3m": take_rows(ctx.panel("rm", "book_outflow_3m"), owner),
    }


@register("client", "reassigned", tables=("assignments",))
def reassignments(ctx: PanelContext) -> dict[str, np.ndarray]:
    """1 in a month when the client's owner at the previous month-end no longer owns it."""
    owner = owner_codes(ctx)
    before = shift(owner, 1, fill=-1)
    return {"reassigned": ((before >= 0) & (owner != before)).astype(np.float64)}
