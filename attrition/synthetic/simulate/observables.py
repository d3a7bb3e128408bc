"""What the tables show at the end of the previous month: the inputs of the true hazards.

Only histories up to month ``t - 1`` are read here, so the hazards of month ``t`` never
see the month they describe (the same point-in-time rule the feature code follows).
"""

from __future__ import annotations

import numpy as np

from attrition.synthetic.hazards import ClientObservables, RMObservables
from attrition.synthetic.regime import client_regime_logit
from attrition.synthetic.simulate.codes import NEVER
from attrition.synthetic.simulate.state import BankState, Month


def client_observables(bank: BankState, month: Month) -> ClientObservables:
    """Observables of every client at the bank at the start of ``month``."""
    c = bank.clients
    t, ci = month.t, month.clients
    lo = max(0, t - 3)
    if t > 0:
        x3 = window_mean(c.transfer_out, ci, lo, t)
        run = rising_run(c.transfer_out, ci, t)
        p3 = nanmean_rows(c.payday_out[ci, lo:t])
        r3 = np.prod(1 + bank.fund_returns[c.fund_id[ci], lo:t], axis=1) - 1
        fshare = c.funds[ci] / np.maximum(c.aum(ci), 1.0)
        contacted_last = c.contacted[ci, t - 1]
    else:
        # no history inside the window yet: the habits the clients came with
        x3 = c.base_transfer[ci]
        run = np.zeros(len(ci))
        p3 = c.base_payday[ci] * c.is_payroll[ci]
        r3 = np.zeros(len(ci))
        fshare = np.zeros(len(ci))
        contacted_last = np.zeros(len(ci), bool)
    rm_left = c.rm_left_month[ci]
    return ClientObservables(
        segment=c.segment[ci],
        age=c.age[ci] - (bank.config.months - 1 - t) / 12,
        is_payroll=c.is_payroll[ci],
        ext_out_level=x3,
        ext_out_run=run,
        payday_ratio=p3,
        maturity_next=(c.wealth_maturity[ci] == t).astype(float),
        contacted_last=contacted_last.astype(float),
        nav_loss=np.maximum(-r3, 0) * fshare,
        contact_gap=(t - c.last_contact[ci]).astype(float),
        months_since_rm_left=np.where(rm_left > NEVER, t - rm_left - 1, np.inf),
        rm_overload=month.owner_load(c.owner[ci], no_owner=0.0),
    )


def regime_logit(bank: BankState, month: Month) -> np.ndarray | None:
    """Outflow log-odds the config's regime adds this month (``None``: nothing to add).

    Segments and deposits are read at the start of the month, that is as the previous
    month-end's balances show them.
    """
    regime = bank.config.regime
    if regime is None:
        return None
    c, ci = bank.clients, month.clients
    t0 = regime.start(bank.config.month_index)
    return client_regime_logit(regime, t0, month.t, c.segment[ci], c.deposits[ci])


def rm_observables(bank: BankState, month: Month) -> RMObservables:
    """Observables of every RM employed at the start of ``month``."""
    r = bank.rms
    t, ra, book = month.t, month.staff, month.book
    eng_drop = np.nan_to_num(
        window_mean(r.engagement, ra, t - 6, t - 3) - window_mean(r.engagement, ra, t - 3, t)
    )
    leave_rise = np.nan_to_num(
        window_mean(r.leave, ra, t - 3, t) - window_mean(r.leave, ra, t - 6, t - 3)
    )
    b3 = window_mean(r.bonus, ra, t - 3, t)
    tg3 = window_mean(r.target, ra, t - 3, t)
    br = r.branch[ra]
    if t > 0:
        med = branch_nanmedian(b3, br, bank.n_branches)
        bonus_gap = np.nan_to_num(np.maximum(0, 1 - b3 / med[br]))
    else:
        bonus_gap = np.zeros(len(ra))
    peer = np.zeros(bank.n_branches)
    for pe in r.peer_exits[-6:]:
        peer += pe
    since6, since12 = max(0, t - 6), max(0, t - 12)
    return RMObservables(
        overload=book[ra] / month.capacity,
        engagement_drop=eng_drop,
        leave_rise=leave_rise,
        bonus_gap=bonus_gap,
        target_shortfall=np.nan_to_num(np.maximum(0, 0.9 - tg3)),
        tenure_months=(month.start - r.hire[ra]).astype(int) / 30.44,
        manager_changed_6m=r.manager_changed[ra, since6:t].any(1),
        promoted_12m=r.promoted[ra, since12:t].any(1),
        book_lost_share_6m=r.book_events[ra, since6:t].sum(1) / np.maximum(book[ra], 1),
        # the RM's own resignation is not a peer's
        peer_exits_6m=peer[br] - r.resigned[ra, since6:t].sum(1),
    )


def nanmean_rows(a: np.ndarray, empty: float = 0.0) -> np.ndarray:
    """Row means ignoring NaN; rows with no value get ``empty`` (no warning)."""
    n = np.isfinite(a).sum(axis=1)
    total = np.nansum(a, axis=1)
    return np.where(n > 0, total / np.maximum(n, 1), empty)


def window_mean(a: np.ndarray, rows: np.ndarray, a0: int, a1: int) -> np.ndarray:
    """Mean of months ``a0..a1-1`` (clipped at 0) for the given rows; NaN when empty."""
    a0, a1 = max(0, a0), max(0, a1)
    if a1 <= a0:
        return np.full(len(rows), np.nan)
    return nanmean_rows(a[rows, a0:a1], empty=np.nan)


def rising_run(a: np.ndarray, rows: np.ndarray, t: int) -> np.ndarray:
    """Consecutive months (0-3) up to ``t - 1`` in which ``a`` rose by more than 5%."""
    run = np.zeros(len(rows))
    alive = np.ones(len(rows), bool)
    for k in range(1, 4):
        if t - k - 1 < 0:
            break
        up = a[rows, t - k] > a[rows, t - k - 1] * 1.05
        alive &= up
        run += alive
    return run


def branch_nanmedian(values: np.ndarray, branch: np.ndarray, n_branches: int) -> np.ndarray:
    """Median of ``values`` per branch, ignoring NaN; NaN for branches without a value."""
    med = np.full(n_branches, np.nan)
    for b in np.unique(branch):
        vals = values[branch == b]
        med[b] = np.nanmedian(vals) if np.isfinite(vals).any() else np.nan
    return med
