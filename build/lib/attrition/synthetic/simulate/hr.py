"""HR records of the month for every employed RM: target, bonus, overtime, engagement, leave.

Load (book size over capacity) lowers target attainment and raises overtime;
disengagement lowers the engagement score and raises leave. Manager changes and
promotions happen at random, promotions more often to talented RMs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attrition.synthetic.simulate.state import BankState, Month


@dataclass(frozen=True)
class HRMonth:
    """What the month's HR records hand on to the RMs' disengagement."""

    staff: np.ndarray  # RMs employed after this month's exits
    load: np.ndarray  # their book size / capacity at the start of the month
    manager_changed: np.ndarray  # bool per staff member
    promoted: np.ndarray  # bool per staff member


def record_hr_month(bank: BankState, month: Month, rng: np.random.Generator) -> HRMonth:
    """Write the HR records of ``month`` for every RM employed after its exits."""
    r, t = bank.rms, month.t
    ra = r.employed()
    n = len(ra)
    load = month.book[ra] / month.capacity
    tg = np.clip(
        r.talent[ra] * (1 - 0.18 * np.maximum(load - 1, 0)) + rng.normal(0, 0.12, n),
        0.2,
        2.0,
    )
    r.target[ra, t] = tg.round(3)
    r.bonus[ra, t] = (
        r.base_bonus[ra] * (0.5 + 0.5 * tg) * (1 + 0.1 * r.grade[ra]) * rng.lognormal(0, 0.08, n)
    ).round(0)
    r.overtime[ra, t] = np.clip(
        12 + 30 * np.maximum(load - 0.8, 0) + rng.normal(0, 4, n), 0, None
    ).round(1)
    g = r.disengagement[ra]
    r.engagement[ra, t] = np.clip(4.1 - 0.8 * g + rng.normal(0, 0.15, n), 1, 5).round(2)
    r.leave[ra, t] = rng.poisson(1.0 + 1.2 * np.maximum(g, 0)).astype(float)
    mc = rng.random(n) < 0.02
    r.manager_changed[ra[mc], t] = True
    r.manager[ra[mc]] = rng.integers(0, 10_000, int(mc.sum()))
    pm = rng.random(n) < 0.008 * np.clip(r.talent[ra], 0.5, 1.5)
    r.promoted[ra[pm], t] = True
    r.grade[ra[pm]] = np.minimum(r.grade[ra[pm]] + 1, 6)
    return HRMonth(staff=ra, load=load, manager_changed=mc, promoted=pm)
