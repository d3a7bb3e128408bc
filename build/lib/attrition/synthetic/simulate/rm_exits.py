"""RMs leaving: who leaves this month, who replaces them, and where their clients go.

An orphaned book goes partly to a replacement hire (when there is one) and partly to
colleagues of the same branch; the clients of an RM who resigned carry that in their
dissatisfaction and their ``rm_left_month`` (a hazard term) for months after.
"""

from __future__ import annotations

import numpy as np

from attrition.synthetic.simulate.state import BankState, Month

VOLUNTARY, INVOLUNTARY = 1, 2  # RMs.exit_type


def record_rm_exits(
    bank: BankState,
    month: Month,
    h_rm: np.ndarray,
    h_inv: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Draw this month's exits of the staff (competing risks), then hand their books on."""
    r = bank.rms
    t, ra = month.t, month.staff
    u = rng.random(len(ra))
    vol = u < h_rm
    inv = (~vol) & (u < h_rm + h_inv)
    bank.ledger.rm_truth.add(
        rm=ra,
        t=np.full(len(ra), t),
        hazard=h_rm,
        event=vol,
        hazard_involuntary=h_inv,
        event_involuntary=inv,
    )
    leaves = vol | inv
    leaving = ra[leaves]
    r.exit[leaving] = month.random_dates(len(leaving), rng)
    r.exit_type[leaving] = np.where(vol[leaves], VOLUNTARY, INVOLUNTARY)
    r.active[leaving] = False
    r.resigned[ra[vol], t] = True
    r.peer_exits.append(np.bincount(r.branch[ra[vol]], minlength=bank.n_branches))
    for leaver in leaving:
        new = replacement_hire(bank, leaver, rng)
        reassign_book(bank, month, leaver, new, rng)


def replacement_hire(bank: BankState, leaver: int, rng: np.random.Generator) -> int:
    """Slot of the RM hired to replace ``leaver`` (most leavers are replaced), or -1."""
    r = bank.rms
    replaced = rng.random() < 0.95
    if not replaced or r.n == len(r.active):
        return -1
    new = r.n
    r.n += 1
    r.branch[new] = r.branch[leaver]
    r.hire[new] = r.exit[leaver] + int(rng.integers(0, 20))
    r.active[new] = True
    r.grade[new] = 1
    r.disengagement[new] = rng.normal(0, 0.3)
    return new


def reassign_book(
    bank: BankState, month: Month, leaver: int, new: int, rng: np.random.Generator
) -> None:
    """Give the leaver's clients to the replacement ``new`` (-1: none) and to colleagues."""
    r, c = bank.rms, bank.clients
    ci = month.clients
    orphans = ci[c.owner[ci] == leaver]
    if len(orphans) == 0:
        return
    when = r.exit[leaver]
    colleagues = np.flatnonzero(r.active[: r.n] & (r.branch[: r.n] == r.branch[leaver]))
    colleagues = colleagues[colleagues != new]
    # about half go to the replacement; all of them when the branch has nobody else
    to_new = rng.random(len(orphans)) < (0.5 if len(colleagues) else 1.0)
    if new < 0:
        to_new[:] = False
    target_rm = np.where(to_new, new, -1)
    rest = ~to_new
    if rest.any():
        pool = colleagues if len(colleagues) else np.flatnonzero(r.active[: r.n])
        target_rm[rest] = rng.choice(pool, int(rest.sum())) if len(pool) else -1
    # the replacement takes over on their hire date, colleagues on the day the RM left
    when_c = np.where(to_new, r.hire[new] if new >= 0 else when, when)
    bank.end_assignments(orphans, when_c)
    c.owner[orphans] = target_rm
    c.assigned[orphans] = when_c
    if r.exit_type[leaver] == VOLUNTARY:
        c.rm_left_month[orphans] = month.t
        c.dissatisfaction[orphans] += 0.4 * bank.strengths.rm_departure
