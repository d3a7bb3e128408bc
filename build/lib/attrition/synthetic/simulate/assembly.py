"""The simulation's result: records closed at the end of the window, in one integer-coded bundle.

Holdings and assignments still open on the last day are written with no end date;
:mod:`attrition.synthetic.tables` turns the bundle into contract tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attrition.synthetic.config import GeneratorConfig
from attrition.synthetic.simulate.codes import NO_FUND, PT_FUND, PT_INSURANCE, PT_WEALTH
from attrition.synthetic.simulate.state import BankState

NAT = np.datetime64("NaT")


@dataclass
class Simulation:
    """Everything the tables and the truth folder are built from (integer-coded)."""

    config: GeneratorConfig
    month_start: np.ndarray  # datetime64[D], first day of each month
    clients: dict[str, np.ndarray]
    rms: dict[str, np.ndarray]
    n_branches: int
    balances: dict[str, np.ndarray]
    transactions: dict[str, np.ndarray]
    holdings: dict[str, np.ndarray]
    fund_returns: np.ndarray  # [N_FUNDS, months]
    contacts: dict[str, np.ndarray]
    assignments: dict[str, np.ndarray]
    rm_monthly: dict[str, np.ndarray]
    campaigns: dict[str, np.ndarray]
    client_truth: dict[str, np.ndarray]
    rm_truth: dict[str, np.ndarray]


def to_simulation(bank: BankState, rng: np.random.Generator) -> Simulation:
    """The result of a simulated window (records what is still open at its end)."""
    opened = bank.clients.open_month < bank.config.months
    record_open_holdings(bank, opened)
    ledger = bank.ledger
    return Simulation(
        config=bank.config,
        month_start=bank.month_start,
        clients=client_records(bank, opened),
        rms=rm_records(bank),
        n_branches=bank.n_branches,
        balances=ledger.balances.done(),
        transactions=ledger.transactions.done(),
        holdings=ledger.holdings.done(),
        fund_returns=bank.fund_returns,
        contacts=ledger.contacts.done(),
        assignments=ledger.assignments.done(),
        rm_monthly=rm_monthly_records(bank, rng),
        campaigns=ledger.campaigns.done(),
        client_truth=ledger.client_truth.done(),
        rm_truth=ledger.rm_truth.done(),
    )


def record_open_holdings(bank: BankState, opened: np.ndarray) -> None:
    """Record the holdings and assignments still open at the end of the window."""
    c, ledger = bank.clients, bank.ledger
    still_open = c.closed_month < 0
    w = np.flatnonzero(opened & still_open & (c.wealth > 0) & (c.wealth_maturity >= 0))
    start, term = c.wealth_start[w], c.wealth_term[w]
    ledger.add_holdings(
        w,
        PT_WEALTH,
        term,
        c.wealth_amount[w],
        start,
        _no_dates(len(w)),
        start + (term * 30.44).astype(int),
    )
    f = np.flatnonzero(opened & (c.fund_start < NO_FUND) & (c.funds > 0))
    ledger.add_holdings(
        f,
        PT_FUND,
        c.fund_id[f],
        c.fund_amount[f],
        bank.fund_start_date(f),
        _no_dates(len(f)),
        _no_dates(len(f)),
    )
    i = np.flatnonzero(opened & (c.insurance > 0) & still_open)
    ledger.add_holdings(
        i,
        PT_INSURANCE,
        c.insurance_id[i],
        c.insurance[i],
        c.open_date[i],
        _no_dates(len(i)),
        _no_dates(len(i)),
    )
    a = np.flatnonzero(opened & (c.owner >= 0))
    ledger.assignments.add(client=a, rm=c.owner[a], start=c.assigned[a], end=_no_dates(len(a)))


def client_records(bank: BankState, opened: np.ndarray) -> dict[str, np.ndarray]:
    """One entry per client; ``opened`` marks those who had opened by the end of the window."""
    c = bank.clients
    closed_date = np.full(len(c.owner), NAT, dtype="datetime64[D]")
    cm = c.closed_month >= 0
    closed_date[cm] = bank.month_start[c.closed_month[cm]] + c.closed_day[cm]
    return dict(
        n=np.int64(len(c.owner)),
        segment=c.segment,
        birth_year=c.birth_year,
        is_payroll=c.is_payroll,
        risk_level=c.risk_level,
        branch=c.branch,
        owner=c.owner,
        open_date=c.open_date,
        closed_date=closed_date,
        opened=opened,
    )


def rm_records(bank: BankState) -> dict[str, np.ndarray]:
    """One entry per RM ever hired."""
    r = bank.rms
    n = r.n
    return dict(
        n=np.int64(n),
        branch=r.branch[:n],
        hire=r.hire[:n],
        exit=r.exit[:n],
        exit_type=r.exit_type[:n],
        grade=r.grade[:n],
        manager=r.manager[:n],
        birth_year=r.birth_year[:n],
        gender=r.gender[:n],
    )


def rm_monthly_records(bank: BankState, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One entry per RM and month employed; training hours are drawn here, last of all."""
    r = bank.rms
    rr, tt = np.nonzero(np.isfinite(r.target[: r.n]))
    return dict(
        rm=rr,
        t=tt,
        target=r.target[rr, tt],
        bonus=r.bonus[rr, tt],
        overtime=r.overtime[rr, tt],
        leave=r.leave[rr, tt],
        training=np.round(rng.gamma(2, 3, len(rr)), 1),
        engagement=r.engagement[rr, tt],
        manager_changed=r.manager_changed[rr, tt],
        promoted=r.promoted[rr, tt],
    )


def _no_dates(n: int) -> np.ndarray:
    return np.full(n, NAT, dtype="datetime64[D]")
