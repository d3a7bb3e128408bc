"""A regime change inside the window: a bank whose last year does not look like its past.

A model is trained on history and scored on what comes next, so the test that matters
for a real bank is whether it still ranks clients well after the world changed. Two
breaks that Chinese wealth management has lived through are modelled:

- ``sell_off``: a market sell-off (2015, 2018, 2022). Every fund's NAV falls sharply
  in one month and recovers slowly, so the existing NAV-drawdown mechanism fires
  across the bank; on top of that clients panic, and the outflow hazard of every
  client is raised for a few months, fading.
- ``new_product``: a competitor's product launches (Yu'e Bao pulling idle deposits
  out of banks in 2013 is the classic case). From that month on, the outflow hazard of
  the clients it appeals to (chosen segments, or clients holding a lot of idle
  cash in deposits) rises, building up over a few months. No table records the
  launch: the feature engine sees it only through its effects.

Both effects are added to the true hazard, so the truth tables (and an oracle reading
them) include them. The crash month's panic and the launch are news that no table shows
by the end of the previous month, which is the point: the model meets a change it has
not seen, while the oracle knows it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from attrition.synthetic.hazards import SEGMENTS

REGIME_KINDS = ("sell_off", "new_product")

# sell_off, at strength 1. The shock is a log return of the market factor, so each
# fund moves by its own beta and a large strength can never push a NAV below zero.
SELL_OFF_FALL = -0.2  # crash month: about -18% for a fund with beta 1
SELL_OFF_RECOVERY = 0.025  # added in each of the months after the crash ...
SELL_OFF_RECOVERY_MONTHS = 6  # ... for half a year: three quarters of the fall made good
PANIC_LOGIT = 0.8  # outflow log-odds added in the crash month (odds x2.2)
PANIC_MONTHS = 4  # months the panic lasts, the crash month included
PANIC_DECAY = 1.5  # e-folding time of the panic, months

# new_product, at strength 1.
NEW_PRODUCT_LOGIT = 0.8  # outflow log-odds added to targeted clients once fully launched
NEW_PRODUCT_RAMP = 3  # months until the product's pull is full (word spreads)


@dataclass(frozen=True)
class Regime:
    """A break in the bank's world at ``month`` (``YYYY-MM``, inside the window).

    Parameters
    ----------
    kind : ``"sell_off"`` or ``"new_product"`` (see the module docstring).
    month : the month the sell-off starts or the product launches.
    strength : scales every effect of the regime (the NAV fall and recovery, the panic,
        the product's pull); 1.0 is as documented above, 0.0 gives the same bank as no
        regime.
    segments : ``new_product`` only: segments (of ``hazards.SEGMENTS``) the product
        targets; every client of them is pulled.
    idle_cash_above : ``new_product`` only: clients with at least this much in deposits
        at the end of the previous month (what ``monthly_balances.deposits`` shows) are
        pulled too; ``None`` targets by segment only. The default is about the top
        fifth of clients of the default bank.
    """

    kind: str
    month: str
    strength: float = 1.0
    segments: tuple[str, ...] = ()
    idle_cash_above: float | None = 500_000.0

    def __post_init__(self) -> None:
        problems = []
        if self.kind not in REGIME_KINDS:
            problems.append(f"kind must be one of {', '.join(REGIME_KINDS)}; got {self.kind!r}")
        try:
            pd.Period(self.month, freq="M")
        except (ValueError, TypeError):
            problems.append(f"month must be YYYY-MM, got {self.month!r}")
        if not self.strength >= 0:
            problems.append(f"strength must be >= 0, got {self.strength!r}")
        if isinstance(self.segments, str):
            problems.append(f"segments must be a tuple of segment names, got {self.segments!r}")
        else:
            # a list would make the frozen config unhashable; keep a tuple
            object.__setattr__(self, "segments", tuple(self.segments))
            unknown = [s for s in self.segments if s not in SEGMENTS]
            if unknown:
                problems.append(
                    f"segments has unknown segments {unknown}; allowed: {', '.join(SEGMENTS)}"
                )
        if self.idle_cash_above is not None and not self.idle_cash_above >= 0:
            problems.append(f"idle_cash_above must be >= 0 or None, got {self.idle_cash_above!r}")
        if self.kind == "new_product" and not self.segments and self.idle_cash_above is None:
            problems.append(
                "a new_product regime needs a target: segments, idle_cash_above, or both"
            )
        if problems:
            raise ValueError("Invalid Regime: " + "; ".join(problems))

    def start(self, months: pd.PeriodIndex) -> int:
        """Position of ``month`` in the window ``months`` (GeneratorConfig checks it is in)."""
        return int(pd.Period(self.month, freq="M").ordinal - months[0].ordinal)


def market_shock(regime: Regime, t0: int, months: int) -> np.ndarray:
    """Log return added to the market factor in each month of the window (zeros: none).

    Only a sell-off moves the market: the crash in month ``t0``, then a slow partial
    recovery (the months after stay below where the funds stood before).
    """
    shock = np.zeros(months)
    if regime.kind == "sell_off":
        shock[t0] = SELL_OFF_FALL * regime.strength
        shock[t0 + 1 : t0 + 1 + SELL_OFF_RECOVERY_MONTHS] = SELL_OFF_RECOVERY * regime.strength
    return shock


def client_regime_logit(
    regime: Regime, t0: int, t: int, segment: np.ndarray, deposits: np.ndarray
) -> np.ndarray | None:
    """Outflow log-odds the regime adds in month ``t`` for each client; ``None``: nothing.

    ``segment`` holds the clients' segment codes and ``deposits`` their deposits at the
    end of month ``t - 1``.
    """
    k = t - t0  # months since the break
    if k < 0:
        return None
    if regime.kind == "sell_off":
        if k >= PANIC_MONTHS:
            return None
        # panic hits everyone: fear of further losses, not anything a client holds
        return np.full(len(segment), regime.strength * PANIC_LOGIT * np.exp(-k / PANIC_DECAY))
    target = np.isin(segment, [SEGMENTS.index(s) for s in regime.segments])
    if regime.idle_cash_above is not None:
        target |= deposits >= regime.idle_cash_above
    pull = regime.strength * NEW_PRODUCT_LOGIT * min(1.0, (k + 1) / NEW_PRODUCT_RAMP)
    return np.where(target, pull, 0.0)
