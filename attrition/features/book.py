"""RM panels about the RM's book of clients and their branch peers.

A book is the set of active clients an RM owns at a month-end (see
:mod:`.ownership`). Outflow measures follow the clients owned *k* months ago, so a
reassignment out of the book does not look like an outflow and one into it does not
hide one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition.features.context import PanelContext
from attrition.features.grid import NEVER, month_ordinals
from attrition.features.ownership import active_clients, owner_codes
from attrition.features.panels import scatter_sum, shift
from attrition.features.registry import register, register_sums

OUTFLOW_MONTHS = 3
LOST_MONTHS = 6
LOST_DROP = 0.5


def _by_owner(ctx: PanelContext, owner: np.ndarray, sel: np.ndarray, w: np.ndarray | None):
    rows, cols = np.nonzero(sel)
    weights = None if w is None else w[rows, cols]
    return scatter_sum(owner[rows, cols], cols, weights, ctx.shape("rm"))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _book_panels(s: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Book panels from the per-RM totals of :func:`book`."""
    return {
        "book_size": s["size"],
        "book_aum": np.where(s["size"] > 0, s["aum"], np.nan),
        "book_outflow_3m": _ratio(s["outflow"], s["outflow_base"]),
        "book_lost_share_6m": _ratio(s["lost"], s["lost_base"]),
    }


@register_sums(
    "rm",
    "book_size",
    "book_aum",
    "book_outflow_3m",
    "book_lost_share_6m",
    tables=("clients", "rms", "monthly_balances"),
    finish=_book_panels,
)
def book(ctx: PanelContext) -> dict[str, np.ndarray]:
    """Book size and AUM; the share of the book's AUM lost over 3 months (per client
    drops, gains not netted); the share of clients owned 6 months ago who closed or
    lost at least half their AUM since. Returned as per-RM sums over the clients of
    ``ctx`` (see :func:`~attrition.features.registry.register_sums`)."""
    owner = owner_codes(ctx)
    active = active_clients(ctx)
    aum = ctx.panel("client", "aum_known")
    owned = (owner >= 0) & active
    out = {
        "size": _by_owner(ctx, owner, owned, None),
        "aum": _by_owner(ctx, owner, owned, np.nan_to_num(aum)),
    }

    # AUM outflow: the clients of the book 3 months ago with a positive AUM then.
    own_k = shift(owner, OUTFLOW_MONTHS, fill=-1)
    base = shift(aum, OUTFLOW_MONTHS)
    sel = (own_k >= 0) & shift(active, OUTFLOW_MONTHS, fill=False) & (base > 0)
    now = np.nan_to_num(aum)
    out["outflow"] = _by_owner(ctx, own_k, sel, np.maximum(base - now, 0.0))
    out["outflow_base"] = _by_owner(ctx, own_k, sel, base)
    # Lost share: the whole book 6 months ago, baseline or not. A client with no AUM
    # then (opened that month, first balance row later) or an AUM of 0 cannot have
    # lost half of it, so it counts in the denominator as kept unless it closed;
    # closing counts as lost whatever the baseline (with one, the 0 AUM that
    # ``aum_known`` holds from the closing month already meets the halving test).
    own_k = shift(owner, LOST_MONTHS, fill=-1)
    base = shift(aum, LOST_MONTHS)
    book_then = (own_k >= 0) & shift(active, LOST_MONTHS, fill=False)
    halved = (base > 0) & (now <= (1.0 - LOST_DROP) * np.nan_to_num(base))
    out["lost"] = _by_owner(ctx, own_k, book_then & (~active | halved), None)
    out["lost_base"] = _by_owner(ctx, own_k, book_then, None)
    return out


@register("rm", "peer_exits", tables=("rms",))
def peer_exits(ctx: PanelContext) -> dict[str, np.ndarray]:
    """Voluntary exits of other RMs of the same branch, per month."""
    r = ctx.table("rms")
    branch, _ = pd.factorize(r["branch_id"], use_na_sentinel=True)
    exit_m = month_ordinals(r["exit_date"])
    vol = (r["exit_type"] == "voluntary").to_numpy(dtype=bool, na_value=False) & (exit_m < NEVER)
    vol &= branch >= 0
    cols = ctx.grid.col(exit_m)
    n_branches = int(branch.max()) + 1 if len(branch) else 1
    per_branch = scatter_sum(branch[vol], cols[vol], None, (n_branches, ctx.grid.n))
    own = scatter_sum(np.flatnonzero(vol), cols[vol], None, ctx.shape("rm"))
    theirs = np.where(branch[:, None] >= 0, per_branch[np.maximum(branch, 0)], 0.0)
    return {"peer_exits": theirs - own}
