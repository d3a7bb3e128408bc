"""The simulated bank between two months: every RM's and client's arrays, changed in place.

Arrays are indexed by RM slot or client number. RM slots beyond ``RMs.n`` are room for
replacement hires; clients who open later in the window already have a row, with
``open_month`` saying when they join.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from attrition.synthetic.config import GeneratorConfig, MechanismStrengths
from attrition.synthetic.simulate.records import Ledger


@dataclass
class RMs:
    """Every RM slot: the first ``n`` have been hired."""

    n: int
    branch: np.ndarray  # branch index; -1 for a slot nobody holds yet
    hire: np.ndarray  # datetime64[D]
    exit: np.ndarray  # datetime64[D]; NaT while employed
    exit_type: np.ndarray  # 0 none, 1 voluntary, 2 involuntary
    active: np.ndarray  # employed now
    grade: np.ndarray
    talent: np.ndarray  # drives target attainment
    base_bonus: np.ndarray
    disengagement: np.ndarray  # latent: shows in engagement, leave and contacts
    birth_year: np.ndarray
    gender: np.ndarray
    manager: np.ndarray  # an opaque code; a new code is a manager change
    # HR history [slot, month]; NaN (False) in months the slot had no employed RM
    engagement: np.ndarray
    leave: np.ndarray
    bonus: np.ndarray
    target: np.ndarray
    overtime: np.ndarray
    manager_changed: np.ndarray
    promoted: np.ndarray
    resigned: np.ndarray  # a voluntary exit that month
    book_events: np.ndarray  # clients of the RM with an outflow event that month
    peer_exits: list[np.ndarray] = field(default_factory=list)  # per month: resignations by branch

    def employed(self) -> np.ndarray:
        """Slots of the RMs employed now."""
        return np.flatnonzero(self.active[: self.n])


@dataclass
class Clients:
    """Every client of the window, including those who open later (see ``open_month``)."""

    segment: np.ndarray  # int codes into hazards.SEGMENTS
    birth_year: np.ndarray
    age: np.ndarray  # years, at the end of the window
    is_payroll: np.ndarray
    payday: np.ndarray  # day of the month the salary arrives
    salary: np.ndarray  # 0 for clients without payroll
    risk_level: np.ndarray
    branch: np.ndarray
    open_month: np.ndarray  # month index; negative: opened before the window
    open_date: np.ndarray  # datetime64[D]
    active: np.ndarray  # at the bank now
    closed_month: np.ndarray  # -1 while open
    closed_day: np.ndarray
    # portfolio now
    deposits: np.ndarray
    wealth: np.ndarray
    funds: np.ndarray
    insurance: np.ndarray
    fund_id: np.ndarray
    insurance_id: np.ndarray
    fund_start: np.ndarray  # month bought (negative: before the window); codes.NO_FUND: none
    fund_amount: np.ndarray  # at purchase
    wealth_term: np.ndarray  # months
    wealth_maturity: np.ndarray  # month index; codes.NO_WEALTH: none
    wealth_start: np.ndarray  # datetime64[D]
    wealth_amount: np.ndarray  # at purchase
    # behaviour
    base_transfer: np.ndarray  # habitual external transfer-out / AUM per month
    base_payday: np.ndarray  # habitual share of salary moved out after payday
    dissatisfaction: np.ndarray  # latent: shows in transfers, payday outflows, reinvestment
    dip_back: np.ndarray  # money out in a temporary dip, back next month
    # relationship
    owner: np.ndarray  # RM slot; -1 for none
    assigned: np.ndarray  # datetime64[D], start of the current assignment
    last_contact: np.ndarray  # month index
    rm_left_month: np.ndarray  # month the client's RM resigned; codes.NEVER
    # history [client, month]
    transfer_out: np.ndarray  # external transfer-out / AUM
    payday_out: np.ndarray  # share of salary moved out after payday; NaN: no payroll
    contacted: np.ndarray

    def aum(self, idx: np.ndarray) -> np.ndarray:
        return self.deposits[idx] + self.wealth[idx] + self.funds[idx] + self.insurance[idx]


@dataclass(frozen=True)
class Month:
    """What the steps of month ``t`` share: its calendar and the bank at its start."""

    t: int
    start: np.datetime64  # first day
    days: int
    clients: np.ndarray  # clients at the bank at the start of the month
    staff: np.ndarray  # RMs employed at the start of the month
    book: np.ndarray  # clients per RM slot at the start of the month (float)
    capacity: float  # clients an RM can serve well

    def owner_load(self, owner: np.ndarray, *, no_owner: float) -> np.ndarray:
        """Book size / capacity of each client's RM; ``no_owner`` where there is none."""
        rm = np.maximum(owner, 0)
        return np.where(owner >= 0, self.book[rm] / self.capacity, no_owner)

    def random_dates(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` dates drawn uniformly from the month's days."""
        return self.start + rng.integers(0, self.days, n)


@dataclass
class BankState:
    """The whole simulated bank; every step of a month reads and changes it."""

    config: GeneratorConfig
    month_start: np.ndarray  # datetime64[D], first day of each month and of the month after
    n_branches: int
    fund_returns: np.ndarray  # [N_FUNDS, months]
    rms: RMs
    clients: Clients
    ledger: Ledger = field(default_factory=Ledger)

    @property
    def strengths(self) -> MechanismStrengths:
        return self.config.strengths

    def month(self, t: int) -> Month:
        """Month ``t`` as it starts (before anything of month ``t`` happens)."""
        ms = self.month_start
        c = self.clients
        present = np.flatnonzero(c.active)
        owners = c.owner[present]
        book = np.bincount(owners[owners >= 0], minlength=len(self.rms.active)).astype(float)
        return Month(
            t=t,
            start=ms[t],
            days=int((ms[t + 1] - ms[t]).astype(int)),
            clients=present,
            staff=self.rms.employed(),
            book=book,
            capacity=float(self.config.rm_capacity),
        )

    def fund_start_date(self, cl: np.ndarray) -> np.ndarray:
        """Purchase date of each client's fund holding (never before the client opened)."""
        ms, months = self.month_start, self.config.months
        fs = self.clients.fund_start[cl]
        before = ms[0] + (np.minimum(fs, 0) * 30.44).astype(int)
        inside = ms[np.clip(fs, 0, months)]
        return np.maximum(np.where(fs < 0, before, inside), self.clients.open_date[cl])

    def end_assignments(self, cl: np.ndarray, when: np.ndarray) -> None:
        """Record the current assignment of each client (those with an RM) as ending ``when``."""
        c = self.clients
        has_owner = c.owner[cl] >= 0
        if has_owner.any():
            cl = cl[has_owner]
            # a client can leave before a replacement RM's start date: end no earlier than start
            end = np.maximum(when[has_owner], c.assigned[cl])
            self.ledger.assignments.add(client=cl, rm=c.owner[cl], start=c.assigned[cl], end=end)
