"""The true monthly hazards of the synthetic bank.

Both hazards for month ``t`` are functions of what the bank's tables show up to the end
of month ``t - 1`` (balances, transactions, holdings, product returns, contacts, the
RM's book and HR records). Latent states (a client's dissatisfaction, an RM's
disengagement) drive those observables but never enter a hazard directly, so an
oracle that knows these formulas is a fair ceiling for a model that reads the tables.
A regime change (:mod:`attrition.synthetic.regime`) adds a term of its own to the
client hazard, which no table announces (the model meets it only through its effects).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    # annotations only: config imports regime, which imports SEGMENTS from here
    from attrition.synthetic.config import MechanismStrengths

# Segment labels as a bank might use them, with base log-odds shifts and mean AUM.
SEGMENTS = (
    "mass",
    "mass_affluent",
    "affluent",
    "private",
    "young_professional",
    "young_entrepreneur",
    "retiree",
    "second_generation",
    "payroll_employee",
    "small_business_owner",
    "expatriate",
    "senior_executive",
)
SEGMENT_LOGIT = np.array([0.25, 0.1, 0.0, -0.3, 0.35, 0.5, -0.5, 0.45, 0.2, 0.3, 0.6, -0.1])
SEGMENT_LOG_AUM = np.log(
    np.array([60e3, 250e3, 900e3, 8e6, 80e3, 1.5e6, 400e3, 3e6, 90e3, 1.2e6, 600e3, 2e6])
)
SEGMENT_WEIGHTS = np.array([30, 18, 10, 2, 8, 4, 9, 2, 10, 4, 1, 2], dtype=float)
SEGMENT_WEIGHTS /= SEGMENT_WEIGHTS.sum()

CLIENT_INTERCEPT = -6.3
RM_INTERCEPT = -6.0
RM_INVOLUNTARY_INTERCEPT = -5.6


def expit(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class ClientObservables:
    """What the tables show about each client at the end of the previous month."""

    segment: np.ndarray  # int codes into SEGMENTS
    age: np.ndarray  # years, from clients.birth_year
    is_payroll: np.ndarray  # bool
    ext_out_level: np.ndarray  # mean external transfer-out / AUM over the last 3 months
    ext_out_run: np.ndarray  # consecutive months (0-3) the external transfer-out ratio rose
    payday_ratio: np.ndarray  # mean share of salary moved out within 5 days of payday, 3 months
    maturity_next: np.ndarray  # a wealth product matures this month (known from holdings)
    contacted_last: np.ndarray  # the RM contacted the client last month
    nav_loss: np.ndarray  # -(3-month return of held funds) x fund share, floored at 0
    contact_gap: np.ndarray  # months since the last RM contact
    months_since_rm_left: np.ndarray  # months since the client's RM resigned (inf if never)
    rm_overload: np.ndarray  # the owner's book size / capacity


@dataclass
class RMObservables:
    """What the tables show about each RM at the end of the previous month."""

    overload: np.ndarray  # book size / capacity
    engagement_drop: np.ndarray  # mean engagement of months -6..-4 minus months -3..-1
    leave_rise: np.ndarray  # mean leave days of the last 3 months minus the 3 before
    bonus_gap: np.ndarray  # 1 - bonus / branch median bonus (3-month means), floored at 0
    target_shortfall: np.ndarray  # 0.9 - target attainment (3-month mean), floored at 0
    tenure_months: np.ndarray
    manager_changed_6m: np.ndarray  # bool
    promoted_12m: np.ndarray  # bool
    book_lost_share_6m: np.ndarray  # share of the book that flowed out in the last 6 months
    peer_exits_6m: np.ndarray  # voluntary exits of other RMs in the branch, last 6 months


def client_logit(o: ClientObservables, s: MechanismStrengths) -> np.ndarray:
    """Log-odds of a client moving most assets out this month."""
    age = o.age
    life_stage = np.where(age < 30, 0.25, 0.0) + np.where(age >= 62, -0.3, 0.0)
    recent_rm_exit = np.where(
        np.isfinite(o.months_since_rm_left) & (o.months_since_rm_left < 9),
        np.exp(-np.nan_to_num(o.months_since_rm_left, posinf=99.0) / 3.0),
        0.0,
    )
    z = (
        CLIENT_INTERCEPT
        + s.segment * (SEGMENT_LOGIT[o.segment] + life_stage)
        + s.precursors * (0.45 * o.ext_out_run + 12.0 * np.minimum(o.ext_out_level, 0.12))
        + s.payday_outflow * 2.2 * np.where(o.is_payroll, o.payday_ratio, 0.0)
        + s.maturity * 1.3 * o.maturity_next * (1.0 - 0.75 * o.contacted_last)
        + s.nav_drawdown * 9.0 * np.minimum(o.nav_loss, 0.25)
        + s.contact_gap * 0.14 * np.clip(o.contact_gap - 2.0, 0.0, 10.0)
        + s.rm_departure * 2.0 * recent_rm_exit
        + s.rm_overload * 0.45 * np.clip(o.rm_overload - 1.0, 0.0, 2.0)
    )
    return z


def rm_logit(o: RMObservables, s: MechanismStrengths) -> np.ndarray:
    """Log-odds of an RM resigning (voluntary exit) this month."""
    t = o.tenure_months
    z = (
        RM_INTERCEPT
        + s.rm_overload * 0.9 * np.clip(o.overload - 1.0, 0.0, 2.0)
        + s.precursors
        * (1.6 * np.clip(o.engagement_drop, 0.0, 2.0) + 0.3 * np.clip(o.leave_rise, 0.0, 5.0))
        + s.hr_factors
        * (
            1.8 * np.minimum(o.bonus_gap, 0.8)
            + 2.0 * np.minimum(o.target_shortfall, 0.6)
            + 0.6 * (t < 18)
            + 0.3 * (t > 96)
            + 0.6 * o.manager_changed_6m
            - 0.8 * o.promoted_12m
        )
        + s.book_outflow * 4.0 * np.minimum(o.book_lost_share_6m, 0.5)
        + s.peer_exits * 0.22 * np.minimum(o.peer_exits_6m, 5)
    )
    return z


def rm_involuntary_logit(o: RMObservables) -> np.ndarray:
    """Log-odds of an involuntary exit (a competing risk that censors resignation)."""
    return RM_INVOLUNTARY_INTERCEPT + 3.0 * np.minimum(o.target_shortfall, 0.6)
