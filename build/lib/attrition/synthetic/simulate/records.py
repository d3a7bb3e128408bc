"""What the simulation writes down month by month, kept as growing lists of arrays.

Appending one array per month and concatenating once at the end is what keeps a
36-month, 20,000-client bank fast: no per-row Python objects, no repeated copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Records:
    """Growing lists of per-month arrays, concatenated once at the end."""

    parts: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, **cols: np.ndarray) -> None:
        n = {len(np.atleast_1d(v)) for v in cols.values()}
        if len(n) != 1:
            raise RuntimeError(f"record columns of unequal length: {n}")
        for k, v in cols.items():
            self.parts.setdefault(k, []).append(np.atleast_1d(v))

    def done(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.parts.items()}


@dataclass
class Ledger:
    """One :class:`Records` per table (or truth frame) the simulation feeds."""

    balances: Records = field(default_factory=Records)
    transactions: Records = field(default_factory=Records)
    contacts: Records = field(default_factory=Records)
    holdings: Records = field(default_factory=Records)
    assignments: Records = field(default_factory=Records)
    campaigns: Records = field(default_factory=Records)
    client_truth: Records = field(default_factory=Records)
    rm_truth: Records = field(default_factory=Records)

    def add_transactions(
        self,
        client: np.ndarray,
        date: np.ndarray,
        amount: np.ndarray,
        direction: int,
        kind: int,
        external: bool,
    ) -> None:
        # amounts that round to nothing are not transactions a bank would book
        n = len(client)
        ok = amount > 0.5
        if n and ok.any():
            self.transactions.add(
                client=client[ok],
                date=date[ok],
                amount=np.round(amount[ok], 2),
                direction=np.full(n, direction)[ok],
                kind=np.full(n, kind)[ok],
                external=np.broadcast_to(external, n)[ok],
            )

    def add_holdings(
        self,
        client: np.ndarray,
        ptype: int,
        prod: np.ndarray,
        amount: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        maturity: np.ndarray,
    ) -> None:
        self.holdings.add(
            client=client,
            ptype=np.full(len(client), ptype),
            prod=prod,
            amount=amount,
            start=start,
            end=end,
            maturity=maturity,
        )
