"""Client outflow events: most assets moved out, or the whole relationship closed.

An event redeems funds, ends wealth products early and transfers the money out; what
is left (3-35% of AUM, nothing for a closure) stays. Closed clients keep their row to
the month end, so the balances show a zero month-end before they disappear.
"""

from __future__ import annotations

import numpy as np

from attrition.synthetic.simulate.codes import (
    IN,
    K_REDEMPTION,
    K_TRANSFER,
    NO_FUND,
    NO_WEALTH,
    OUT,
    PT_FUND,
    PT_INSURANCE,
    PT_WEALTH,
)
from attrition.synthetic.simulate.state import BankState, Month

NAT = np.datetime64("NaT")


def record_outflows(
    bank: BankState, month: Month, h_client: np.ndarray, rng: np.random.Generator
) -> None:
    """Draw this month's outflow events from the true hazards and move the money out."""
    c, ledger = bank.clients, bank.ledger
    t, ci = month.t, month.clients
    dep, wea, fun, ins = c.deposits, c.wealth, c.funds, c.insurance
    ev = rng.random(len(ci)) < h_client
    ledger.client_truth.add(client=ci, t=np.full(len(ci), t), hazard=h_client, event=ev)
    evi = ci[ev]
    eo = c.owner[evi]
    np.add.at(bank.rms.book_events[:, t], eo[eo >= 0], 1)
    close = rng.random(len(evi)) < 0.3
    keep = np.where(close, 0.0, rng.uniform(0.03, 0.35, len(evi)))
    ev_day = rng.integers(0, month.days, len(evi))
    ev_date = month.start + ev_day
    before = c.aum(evi)
    # redemptions of funds and early exit of wealth products, then the transfer out
    ledger.add_transactions(evi, ev_date, fun[evi] * (1 - keep), IN, K_REDEMPTION, False)
    ledger.add_transactions(evi, ev_date, before * (1 - keep), OUT, K_TRANSFER, True)
    ended = (wea[evi] > 0) & (keep < 0.2)
    if ended.any():
        ended_w = evi[ended]
        start, term = c.wealth_start[ended_w], c.wealth_term[ended_w]
        ledger.add_holdings(
            ended_w,
            PT_WEALTH,
            term,
            c.wealth_amount[ended_w],
            start,
            ev_date[ended],
            start + (term * 30.44).astype(int),
        )
        wea[ended_w] = 0.0
        c.wealth_maturity[ended_w] = NO_WEALTH
    ended = (fun[evi] > 0) & (keep < 0.2)
    if ended.any():
        ended_f = evi[ended]
        ledger.add_holdings(
            ended_f,
            PT_FUND,
            c.fund_id[ended_f],
            c.fund_amount[ended_f],
            bank.fund_start_date(ended_f),
            ev_date[ended],
            np.full(len(ended_f), NAT, dtype="datetime64[D]"),
        )
        fun[ended_f] = 0.0
        c.fund_start[ended_f] = NO_FUND
    ended = close & (ins[evi] > 0)
    if ended.any():
        ins_end = evi[ended]
        ledger.add_holdings(
            ins_end,
            PT_INSURANCE,
            c.insurance_id[ins_end],
            ins[ins_end],
            c.open_date[ins_end],
            ev_date[ended],
            np.full(len(ins_end), NAT, dtype="datetime64[D]"),
        )
    dep[evi] *= keep
    wea[evi] *= keep
    fun[evi] *= keep
    ins[evi] *= np.where(close, 0.0, 1.0)  # insurance stays unless the client closes
    c.dissatisfaction[evi] = rng.normal(0, 0.35, len(evi))  # the unhappy money has gone
    closers = evi[close]
    c.closed_month[closers] = t
    c.closed_day[closers] = ev_day[close]
    if len(closers):
        bank.end_assignments(closers, ev_date[close])
        c.owner[closers] = -1
