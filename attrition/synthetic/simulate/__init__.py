"""Month-by-month simulation of a bank, vectorised over every client and RM.

The loop runs over months only (36 steps by default); within a month every operation
works on whole arrays of a :class:`~attrition.synthetic.simulate.state.BankState`. Its
output is a :class:`Simulation` of integer-coded records that
:mod:`attrition.synthetic.tables` turns into contract tables.

Order of events within month ``t`` (one module each):

1. hazards for ``t`` from what the tables showed at the end of ``t - 1``
   (:mod:`.observables`, formulas in :mod:`attrition.synthetic.hazards`), plus the
   effect of a regime change if the config has one (:mod:`attrition.synthetic.regime`);
2. RM exits; orphaned clients go to a replacement hire or to branch colleagues
   (:mod:`.rm_exits`);
3. client outflow events: most assets moved out, or the relationship closed
   (:mod:`.outflows`);
4. RM contacts: fewer when the RM is overloaded or disengaged, more before a
   maturity; a randomised maturity-call campaign (:mod:`.contacts`);
5. money: salaries on paydays, salary moved out after payday, external transfers driven
   by each client's latent dissatisfaction, fund returns, maturities (reinvested or not),
   temporary dips that are not outflows, month-end balances (:mod:`.money`);
6. HR records of the month (:mod:`.hr`); latent states move on (:mod:`.latent`); new
   clients open (:mod:`.new_clients`).

Everything is drawn from one generator, in this order, so the same seed gives the same
bank; a change that adds, drops or reorders a draw changes every bank after it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from attrition.synthetic.config import GeneratorConfig
from attrition.synthetic.hazards import client_logit, expit, rm_involuntary_logit, rm_logit
from attrition.synthetic.simulate.assembly import Simulation, to_simulation
from attrition.synthetic.simulate.codes import CHANNELS, DIRECTIONS, KINDS, N_FUNDS
from attrition.synthetic.simulate.contacts import record_contacts
from attrition.synthetic.simulate.hr import record_hr_month
from attrition.synthetic.simulate.initial import initial_bank
from attrition.synthetic.simulate.latent import move_disengagement, move_dissatisfaction
from attrition.synthetic.simulate.money import record_money
from attrition.synthetic.simulate.new_clients import open_new_clients
from attrition.synthetic.simulate.observables import (
    client_observables,
    regime_logit,
    rm_observables,
)
from attrition.synthetic.simulate.outflows import record_outflows
from attrition.synthetic.simulate.rm_exits import record_rm_exits

__all__ = ["CHANNELS", "DIRECTIONS", "KINDS", "N_FUNDS", "Simulation", "simulate"]


def simulate(
    cfg: GeneratorConfig, progress: Callable[[int, int], None] | None = None
) -> Simulation:
    """Run the simulation described in the module docstring.

    ``progress(month_done, months)`` is called before each month and once at the end.
    """
    rng = np.random.default_rng(cfg.seed)
    s = cfg.strengths
    T = cfg.months
    bank = initial_bank(cfg, rng)
    for t in range(T):
        if progress:
            progress(t, T)
        month = bank.month(t)
        z_client = client_logit(client_observables(bank, month), s)
        shift = regime_logit(bank, month)
        if shift is not None:  # without a regime, the very same arithmetic as before
            z_client = z_client + shift
        h_client = expit(z_client)
        rmo = rm_observables(bank, month)
        h_rm, h_inv = expit(rm_logit(rmo, s)), expit(rm_involuntary_logit(rmo))
        record_rm_exits(bank, month, h_rm, h_inv, rng)
        record_outflows(bank, month, h_client, rng)
        record_contacts(bank, month, rng)
        record_money(bank, month, rng)
        hr = record_hr_month(bank, month, rng)
        move_disengagement(bank, month, hr, rng)
        move_dissatisfaction(bank, month, rng)
        open_new_clients(bank, t, rng)
    if progress:
        progress(T, T)
    return to_simulation(bank, rng)
