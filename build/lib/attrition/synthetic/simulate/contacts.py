"""RM contacts of the month, and the randomised maturity-call campaign.

Overloaded or disengaged RMs call less; RMs call ahead of a wealth product's maturity;
a random tenth of the clients with a maturity next month enter a campaign whose
treatment group always gets a call, so the call's effect on reinvestment can be measured.
"""

from __future__ import annotations

import numpy as np

from attrition.synthetic.hazards import SEGMENTS
from attrition.synthetic.simulate.codes import CHANNEL_WEIGHTS, CHANNELS
from attrition.synthetic.simulate.state import BankState, Month

# segments an RM gives more attention to
COURTED_SEGMENTS = [
    SEGMENTS.index(s) for s in ("affluent", "private", "second_generation", "senior_executive")
]


def record_contacts(bank: BankState, month: Month, rng: np.random.Generator) -> None:
    """Draw who the RMs contact this month (and the campaign), and record the contacts."""
    c, ledger = bank.clients, bank.ledger
    t, ci = month.t, month.clients
    ci_open = ci[c.closed_month[ci] != t]
    own = c.owner[ci_open]
    has = own >= 0
    load = month.owner_load(own, no_owner=1.0)
    disengagement = bank.rms.disengagement[np.maximum(own, 0)]
    p = np.where(has, 0.55 * np.minimum(1.0, 1.0 / np.maximum(load, 1e-9)) ** 1.3, 0.03)
    p *= np.where(has, np.exp(-0.5 * np.maximum(disengagement, 0)), 1.0)
    p *= np.where(np.isin(c.segment[ci_open], COURTED_SEGMENTS), 1.6, 1.0)
    # RMs see maturities coming and call ahead
    maturing = c.wealth_maturity[ci_open] == t + 1
    p = np.minimum(0.95, p + 0.25 * maturing * has)
    con = rng.random(len(ci_open)) < p
    in_campaign = maturing & has & (rng.random(len(ci_open)) < 0.1)
    due = ci_open[in_campaign]
    if len(due):
        treat = rng.random(len(due)) < 0.5
        ledger.campaigns.add(client=due, date=month.random_dates(len(due), rng), treat=treat)
        con[np.flatnonzero(in_campaign)[treat]] = True
    cc = ci_open[con]
    c.contacted[cc, t] = True
    c.last_contact[cc] = t
    ch = rng.choice(len(CHANNELS), len(cc), p=CHANNEL_WEIGHTS)
    ledger.contacts.add(
        client=cc,
        rm=c.owner[cc],
        date=month.random_dates(len(cc), rng),
        channel=ch,
    )
