"""Who owned each client at each month-end, and the client panels read from that RM.

Ownership comes from ``assignments``: an assignment owns the client at a month-end
when it started on or before that day and had not ended by then; when two overlap,
the later start wins. Without an ``assignments`` table, ``clients.rm_id`` owns the
client from its ``open_date`` (the contract's rule).

A client's owner can only change in a month in which one of its assignments starts
or ends, so the rule is evaluated at those *change months* alone, however far before
the grid they lie, and held in between. That reads a reassignment dated before the
grid's first month as any other (``months_since_reassignment``), as contacts and
promotions before the grid still date the last one.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from attrition.features.context import PanelContext
from attrition.features.grid import NEVER, day_ordinals, month_ordinals
from attrition.features.panels import expand_intervals, scatter_max, scatter_sum, shift, take_rows
from attrition.features.registry import register

DEPARTED_MONTHS = 6


class Changes(NamedTuple):
    """Each client's change months, sorted by client then month, and the owner from then.

    ``before`` is the owner at the previous month-end (-1 = none).
    """

    rows: np.ndarray
    months: np.ndarray
    owner: np.ndarray
    before: np.ndarray


def owner_codes(ctx: PanelContext) -> np.ndarray:
    """RM row position owning each client at each month-end, ``[clients × months]``, -1 = none."""
    return ctx.memo("owner", lambda: _owner_panel(ctx))


def _assignments(ctx: PanelContext) -> tuple[np.ndarray, ...]:
    """Client row, RM row, start and end month, start day of every usable assignment."""
    if ctx.has("assignments"):
        a = ctx.table("assignments")
        start = month_ordinals(a["start_date"])
        end = month_ordinals(a["end_date"])
        order = day_ordinals(a["start_date"])
    else:
        a = ctx.table("clients")
        start = month_ordinals(a["open_date"])
        end = np.full(len(a), NEVER, dtype=np.int64)
        order = np.zeros(len(a), dtype=np.int64)
    rows = ctx.codes("client", a["client_id"])
    rms = ctx.codes("rm", a["rm_id"])
    keep = (rows >= 0) & (rms >= 0) & (start < NEVER)
    return rows[keep], rms[keep], start[keep], end[keep], order[keep]


def owner_changes(ctx: PanelContext) -> Changes:
    """The owner at every month an assignment of the client starts or ends (memoised)."""

    def make() -> Changes:
        rows, rms, start, end, order = _assignments(ctx)
        ended = end < NEVER
        r = np.concatenate([rows, rows[ended]])
        t = np.concatenate([start, end[ended]])
        # The cut already dropped later starts and blanked later ends; months after
        # the grid's end must not be read in any case.
        r, t = r[t <= ctx.grid.stop], t[t <= ctx.grid.stop]
        idx = np.lexsort((t, r))
        r, t = r[idx], t[idx]
        new = np.ones(len(r), dtype=bool)
        new[1:] = (r[1:] != r[:-1]) | (t[1:] != t[:-1])
        r, t = r[new], t[new]
        owner = _owner_at(r, t, rows, rms, start, end, order)
        first = np.ones(len(r), dtype=bool)
        first[1:] = r[1:] != r[:-1]
        # Between change months the owner holds, so the owner at the month-end before
        # a change month is the one from the client's previous change month.
        before = np.full(len(r), -1, dtype=np.int64)
        before[1:] = owner[:-1]
        before[first] = -1
        return Changes(r, t, owner, before)

    return ctx.memo("owner_changes", make)


def _owner_at(
    q_rows: np.ndarray,
    q_months: np.ndarray,
    rows: np.ndarray,
    rms: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    order: np.ndarray,
) -> np.ndarray:
    """RM row owning client ``q_rows[i]`` at the end of month ``q_months[i]`` (-1 = none).

    Each query is paired with every assignment of its client (a handful), so the
    work is the sum over clients of queries × assignments, with no loop.
    """
    srt = np.argsort(rows, kind="stable")
    lo = np.searchsorted(rows[srt], q_rows, side="left")
    hi = np.searchsorted(rows[srt], q_rows, side="right")
    q, pos = expand_intervals(lo, hi - 1, len(srt))
    j = srt[pos]
    live = (start[j] <= q_months[q]) & (end[j] > q_months[q])
    q, j = q[live], j[live]
    # Overlapping assignments: the later start day wins, then the later row.
    idx = np.lexsort((j, order[j], q))
    q, j = q[idx], j[idx]
    last = np.ones(len(q), dtype=bool)
    last[:-1] = q[1:] != q[:-1]
    out = np.full(len(q_rows), -1, dtype=np.int64)
    out[q[last]] = rms[j[last]]
    return out


def _owner_panel(ctx: PanelContext) -> np.ndarray:
    n, m = ctx.shape("client")
    ch = owner_changes(ctx)
    # Changes before the grid fold into column 0; of those landing in one cell the
    # latest (the last in month order) holds at that month-end.
    cols = np.maximum(ctx.grid.col(ch.months), 0)
    last = np.ones(len(cols), dtype=bool)
    last[:-1] = (ch.rows[1:] != ch.rows[:-1]) | (cols[1:] != cols[:-1])
    at = np.full((n, m), -1, dtype=np.int64)
    at[ch.rows[last], cols[last]] = np.flatnonzero(last)
    # Change positions grow with the month within a client, so a running maximum
    # along the row is the client's latest change at or before each month-end.
    at = np.maximum.accumulate(at, axis=1)
    return np.where(at >= 0, ch.owner[np.maximum(at, 0)], -1)


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


@register("client", "reassigned", "months_since_reassignment", tables=("assignments",))
def reassignments(ctx: PanelContext) -> dict[str, np.ndarray]:
    """``reassigned``: 1 in a month when the client's owner at the previous month-end no
    longer owns it; ``months_since_reassignment``: months since the last such month,
    before the grid too (NaN = never)."""
    ch = owner_changes(ctx)
    moved = (ch.before >= 0) & (ch.owner != ch.before)
    rows, months = ch.rows[moved], ch.months[moved]
    shape = ctx.shape("client")
    cols = ctx.grid.col(months)
    last = scatter_max(rows, np.maximum(cols, 0), months.astype(np.float64), shape)
    last = np.fmax.accumulate(last, axis=1)
    return {
        "reassigned": scatter_sum(rows, cols, None, shape),
        "months_since_reassignment": ctx.grid.ordinals[None, :] - last,
    }
