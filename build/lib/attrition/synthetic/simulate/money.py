"""Money of the month: salaries, transfers, the market, maturities, dips, month-end balances.

Latent dissatisfaction shows here first: more salary moved out after payday, more
external transfers out, fewer transfers in, and maturities not reinvested. Temporary
dips (a house deposit, a loan to family) move money out and back without being outflows.
"""

from __future__ import annotations

import numpy as np

from attrition.synthetic.simulate.codes import (
    IN,
    K_FEE,
    K_MATURITY,
    K_PAYROLL,
    K_PURCHASE,
    K_TRANSFER,
    NO_WEALTH,
    OUT,
    PT_WEALTH,
    WEALTH_TERMS,
)
from attrition.synthetic.simulate.state import BankState, Month


def record_money(bank: BankState, month: Month, rng: np.random.Generator) -> None:
    """Move the money of every client still at the bank and record the month-end balances."""
    c = bank.clients
    ci = month.clients
    live = ci[c.closed_month[ci] != month.t]
    aum_prev = c.aum(live)
    pay_salaries(bank, month, live, rng)
    move_transfers(bank, month, live, aum_prev, rng)
    apply_market(bank, month, live)
    settle_maturities(bank, month, live, rng)
    make_dips(bank, month, live, rng)
    record_balances(bank, month, live)


def pay_salaries(bank: BankState, month: Month, live: np.ndarray, rng: np.random.Generator) -> None:
    """Salaries on payday, and the share the client moves out within days of it."""
    c, ledger, s = bank.clients, bank.ledger, bank.strengths
    pr = live[c.is_payroll[live]]
    pdate = month.start + (c.payday[pr] - 1)
    sal = c.salary[pr] * rng.lognormal(0, 0.05, len(pr))
    ledger.add_transactions(pr, pdate, sal, IN, K_PAYROLL, False)
    frac = np.clip(
        c.base_payday[pr]
        + 0.25 * np.maximum(c.dissatisfaction[pr], 0)
        + rng.normal(0, 0.06, len(pr)),
        0,
        0.98,
    )
    # a weaker mechanism moves less salary out; a stronger one acts through the hazard only
    frac *= min(s.payday_outflow, 1.0)
    moved = sal * frac
    ledger.add_transactions(pr, pdate + rng.integers(0, 5, len(pr)), moved, OUT, K_TRANSFER, True)
    c.payday_out[pr, month.t] = frac
    c.deposits[pr] += (sal - moved) * 0.5  # half of what stays is spent (not an outflow of assets)


def move_transfers(
    bank: BankState,
    month: Month,
    live: np.ndarray,
    aum_prev: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """External transfers out (the precursor of an outflow) and habitual transfers in."""
    c, ledger, s = bank.clients, bank.ledger, bank.strengths
    dep, wea, d = c.deposits, c.wealth, c.dissatisfaction
    x = np.minimum(
        c.base_transfer[live]
        * np.exp(0.9 * s.precursors * d[live] + rng.normal(0, 0.25, len(live))),
        0.09,
    )
    amt = x * aum_prev
    c.transfer_out[live, month.t] = x
    ledger.add_transactions(live, month.random_dates(len(live), rng), amt, OUT, K_TRANSFER, True)
    # habitual transfers in roughly balance habitual transfers out; unhappy clients bring less
    brings = rng.random(len(live)) < 0.6
    tin = live[brings]
    tin_amt = (
        aum_prev[brings]
        * c.base_transfer[tin]
        / 0.6
        * np.exp(-0.3 * np.maximum(d[tin], 0) + rng.normal(0, 0.25, len(tin)) - 0.03)
    )
    ledger.add_transactions(tin, month.random_dates(len(tin), rng), tin_amt, IN, K_TRANSFER, True)
    dep[tin] += tin_amt
    # the money out comes from deposits first, then from wealth products
    take = np.minimum(amt, dep[live])
    dep[live] -= take
    wea[live] = np.maximum(0, wea[live] - (amt - take))


def apply_market(bank: BankState, month: Month, live: np.ndarray) -> None:
    """Fund returns and interest of the month; a fund fee at each quarter end."""
    c, t = bank.clients, month.t
    fun = c.funds
    fun[live] *= 1 + bank.fund_returns[c.fund_id[live], t]
    c.wealth[live] *= 1.003
    c.deposits[live] *= 1.001
    fee_c = live[(fun[live] > 0) & (t % 3 == 2)]
    bank.ledger.add_transactions(
        fee_c,
        np.full(len(fee_c), month.start + month.days - 1),
        fun[fee_c] * 0.002,
        OUT,
        K_FEE,
        False,
    )


def settle_maturities(
    bank: BankState, month: Month, live: np.ndarray, rng: np.random.Generator
) -> None:
    """Wealth products maturing this month: reinvested (likelier after a contact) or not."""
    c, ledger, t = bank.clients, bank.ledger, month.t
    dep, wea, d = c.deposits, c.wealth, c.dissatisfaction
    w_term, w_mat, w_start = c.wealth_term, c.wealth_maturity, c.wealth_start
    mt = live[w_mat[live] == t]
    if len(mt) == 0:
        return
    ms = bank.month_start
    mdate = w_start[mt] + (w_term[mt] * 30.44).astype(int)
    mdate = np.clip(mdate, ms[t], ms[t + 1] - 1)
    ledger.add_holdings(mt, PT_WEALTH, w_term[mt], c.wealth_amount[mt], w_start[mt], mdate, mdate)
    ledger.add_transactions(mt, mdate, wea[mt], IN, K_MATURITY, False)
    p_re = np.clip(0.62 + 0.3 * c.contacted[mt, t] - 0.15 * np.maximum(d[mt], 0), 0.05, 0.97)
    re = rng.random(len(mt)) < p_re
    rmt = mt[re]
    ledger.add_transactions(rmt, mdate[re], wea[rmt], OUT, K_PURCHASE, False)
    nre = mt[~re]
    dep[nre] += wea[nre]
    wea[nre] = 0.0
    w_mat[nre] = NO_WEALTH
    w_term[rmt] = rng.choice(WEALTH_TERMS, len(rmt))
    w_start[rmt] = mdate[re]
    w_mat[rmt] = t + w_term[rmt]
    c.wealth_amount[rmt] = wea[rmt]
    d[nre] += 0.15


def make_dips(bank: BankState, month: Month, live: np.ndarray, rng: np.random.Generator) -> None:
    """Last month's dips come back; a few clients start a new one (not an outflow)."""
    c, s = bank.clients, bank.strengths
    dep, back = c.deposits, c.dip_back
    dep[back > 0] += back[back > 0]
    back[:] = 0.0
    dp = live[rng.random(len(live)) < 0.015 * s.noise_dips]
    dip = np.minimum(c.aum(dp) * rng.uniform(0.2, 0.38, len(dp)), dep[dp])
    bank.ledger.add_transactions(dp, month.random_dates(len(dp), rng), dip, OUT, K_TRANSFER, True)
    dep[dp] -= dip
    back[dp] = dip


def record_balances(bank: BankState, month: Month, live: np.ndarray) -> None:
    """Month-end balances; clients who closed this month show a zero month-end, then leave."""
    c, ci = bank.clients, month.clients
    cl = ci[c.closed_month[ci] == month.t]
    bal_c = np.concatenate([live, cl])
    bank.ledger.balances.add(
        client=bal_c,
        t=np.full(len(bal_c), month.t),
        dep=c.deposits[bal_c],
        wea=c.wealth[bal_c],
        fun=c.funds[bal_c],
        ins=c.insurance[bal_c],
    )
    c.active[cl] = False
