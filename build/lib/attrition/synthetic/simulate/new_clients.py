"""Clients who open during the window: they join at the end of their opening month.

Opening last in the month means a new client has no hazard, balance or event in the
month it opens; its products start on the opening date.
"""

from __future__ import annotations

import numpy as np

from attrition.synthetic.simulate.codes import NO_FUND, NO_WEALTH
from attrition.synthetic.simulate.state import BankState


def open_new_clients(bank: BankState, t: int, rng: np.random.Generator) -> None:
    """Open the clients whose ``open_month`` is ``t`` and give each an RM of their branch."""
    c = bank.clients
    nw = np.flatnonzero(c.open_month == t)
    if len(nw) == 0:
        return
    c.active[nw] = True
    c.owner[nw] = random_branch_rm(bank, c.branch[nw], rng)
    # a client whose branch has no RM goes to another branch's RM, and to that branch
    served = nw[c.owner[nw] >= 0]
    c.branch[served] = bank.rms.branch[c.owner[served]]
    c.assigned[nw] = c.open_date[nw]
    c.last_contact[nw] = t
    c.contacted[nw, t] = True
    c.fund_start[nw] = np.where(c.funds[nw] > 0, t, NO_FUND)
    c.fund_amount[nw] = c.funds[nw]
    c.wealth_maturity[nw] = np.where(c.wealth[nw] > 0, t + c.wealth_term[nw], NO_WEALTH)
    c.wealth_start[nw] = c.open_date[nw]
    c.wealth_amount[nw] = c.wealth[nw]


def random_branch_rm(
    bank: BankState, branch_of: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A random employed RM of each given branch (any employed RM if the branch has none).

    -1 for every client when nobody is employed.
    """
    out = np.full(len(branch_of), -1)
    act = bank.rms.employed()
    if len(act) == 0:
        return out
    for b in np.unique(branch_of):
        pool = act[bank.rms.branch[act] == b]
        if len(pool) == 0:
            pool = act
        sel = np.flatnonzero(branch_of == b)
        out[sel] = rng.choice(pool, len(sel))
    return out
