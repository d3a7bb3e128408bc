"""How the latent states move at the end of a month: RM disengagement, client dissatisfaction.

Neither enters a hazard directly (see :mod:`attrition.synthetic.hazards`); they drive
what the tables show next month (engagement, leave, transfers, payday outflows), so a
model can only learn them through those records.
"""

from __future__ import annotations

import numpy as np

from attrition.synthetic.simulate.hr import HRMonth
from attrition.synthetic.simulate.state import BankState, Month


def move_disengagement(
    bank: BankState, month: Month, hr: HRMonth, rng: np.random.Generator
) -> None:
    """Overload, a bonus below the branch median and a new manager push disengagement up."""
    r, s, t = bank.rms, bank.strengths, month.t
    ra = hr.staff
    br = r.branch[ra]
    bonus = r.bonus[ra, t]
    median = np.zeros(bank.n_branches)
    for b in np.unique(br):
        median[b] = np.median(bonus[br == b])
    r.disengagement[ra] = (
        0.85 * r.disengagement[ra]
        + 0.3 * s.rm_overload * np.clip(hr.load - 1, 0, 2)
        + 0.5 * s.hr_factors * np.maximum(0, 1 - bonus / np.maximum(median[br], 1))
        + 0.3 * s.hr_factors * hr.manager_changed
        - 0.4 * hr.promoted
        + rng.normal(0, 0.18, len(ra))
    )


def move_dissatisfaction(bank: BankState, month: Month, rng: np.random.Generator) -> None:
    """Dissatisfaction drifts back to calm, pushed up by poor service and fund losses."""
    c, s, t = bank.clients, bank.strengths, month.t
    lv = month.clients[c.active[month.clients]]
    d = c.dissatisfaction
    gap = t - c.last_contact[lv]
    owner = c.owner[lv]
    load = month.owner_load(owner, no_owner=0.0)
    r1 = bank.fund_returns[c.fund_id[lv], t] * (c.funds[lv] > 0)
    d[lv] = (
        0.82 * d[lv]
        + 0.06 * s.contact_gap * np.clip(gap - 2, 0, 6)
        # clients without an RM fare like those of a half-overloaded one
        + 0.12 * s.rm_overload * np.where(owner >= 0, np.clip(load - 1, 0, 2), 0.5)
        + 1.5 * s.nav_drawdown * np.maximum(-r1, 0)
        - 0.15 * c.contacted[lv, t]
        + rng.normal(0, 0.22, len(lv))
    )
