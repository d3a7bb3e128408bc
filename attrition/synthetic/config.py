"""Knobs of the synthetic bank: sizes, calendar and the strength of every mechanism."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import pandas as pd

from attrition.contracts import TRANSACTION_KINDS
from attrition.synthetic.regime import Regime


@dataclass(frozen=True)
class MechanismStrengths:
    """Multipliers on each mechanism of DOMAIN.md (1.0 = default, 0.0 = switched off).

    Each multiplies one coefficient of the true hazard (or the process that feeds it),
    so a benchmark can ask, for instance, how much of the client risk comes through
    the RM: set ``rm_departure=0`` and ``rm_overload=0``.
    """

    rm_overload: float = 1.0  # book size vs capacity -> RM disengagement and resignation
    rm_departure: float = 1.0  # RM resigns -> their clients' outflow hazard for months
    payday_outflow: float = 1.0  # salary moved out after payday -> outflow hazard
    maturity: float = 1.0  # wealth product maturing -> outflow hazard that month
    nav_drawdown: float = 1.0  # held funds losing value -> outflow hazard
    contact_gap: float = 1.0  # months since the RM last contacted the client
    segment: float = 1.0  # segment and life-stage differences in base hazard
    precursors: float = 1.0  # external-transfer trend (clients), engagement/leave trend (RMs)
    hr_factors: float = 1.0  # bonus vs peers, target attainment, tenure, manager change
    book_outflow: float = 1.0  # RM losing their book -> RM resignation
    peer_exits: float = 1.0  # colleagues resigning in the branch -> RM resignation
    noise_dips: float = 1.0  # temporary AUM dips that are not outflows

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not value >= 0:
                raise ValueError(f"MechanismStrengths.{f.name} must be >= 0, got {value!r}")


@dataclass(frozen=True)
class GeneratorConfig:
    """Everything that shapes a synthetic bank. Same config + same seed = same bank.

    Parameters
    ----------
    n_clients : clients at the start of the window (new clients join each month).
    seed : seed of the single random generator everything is drawn from.
    months : length of the observed window in months (36 by default).
    end_month : last month-end of the window, ``YYYY-MM``.
    clients_per_rm : mean book size at the start; books vary around it.
    rm_capacity : clients an RM can serve well; books above it overload the RM.
    rms_per_branch : mean RMs per branch.
    monthly_new_client_rate : new clients per month as a share of ``n_clients``.
    strengths : multipliers of each mechanism.
    regime : a break in the bank's world inside the window (a market sell-off, a
        competitor's product), so that the months a model is tested on differ from
        those it learnt from, as they do at a real bank; ``None``: no break. See
        :class:`~attrition.synthetic.regime.Regime`.
    transaction_kinds : the transaction kinds (of the contract's) the bank records;
        the others are left out of the transactions table. Real banks differ in what
        their systems book (many export transfers and payroll but not fund purchases
        or fees), and features built on the missing kinds go blind. The money still
        moves, so balances, holdings and the truth are those of the full bank.
        ``None``: every kind.
    """

    n_clients: int = 20_000
    seed: int = 0
    months: int = 36
    end_month: str = "2026-09"
    clients_per_rm: int = 250
    rm_capacity: int = 300
    rms_per_branch: int = 10
    monthly_new_client_rate: float = 0.008
    strengths: MechanismStrengths = field(default_factory=MechanismStrengths)
    regime: Regime | None = None
    transaction_kinds: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.n_clients < 50:
            problems.append(f"n_clients must be >= 50, got {self.n_clients!r}")
        if self.months < 6:
            problems.append(f"months must be >= 6, got {self.months!r}")
        if self.clients_per_rm < 5:
            problems.append(f"clients_per_rm must be >= 5, got {self.clients_per_rm!r}")
        if self.rm_capacity < 1:
            problems.append(f"rm_capacity must be >= 1, got {self.rm_capacity!r}")
        try:
            pd.Period(self.end_month, freq="M")
        except (ValueError, TypeError):
            problems.append(f"end_month must be YYYY-MM, got {self.end_month!r}")
        else:
            problems += self._regime_problems()
        problems += self._kind_problems()
        if problems:
            raise ValueError("Invalid GeneratorConfig: " + "; ".join(problems))

    def _regime_problems(self) -> list[str]:
        if self.regime is None:
            return []
        if not isinstance(self.regime, Regime):
            return [f"regime must be a Regime or None, got {type(self.regime).__name__}"]
        window = self.month_index
        if pd.Period(self.regime.month, freq="M") not in window:
            return [
                f"regime.month must lie inside the window {window[0]}..{window[-1]}, "
                f"got {self.regime.month!r}"
            ]
        return []

    def _kind_problems(self) -> list[str]:
        kinds = self.transaction_kinds
        if kinds is None:
            return []
        allowed = ", ".join(TRANSACTION_KINDS)
        if isinstance(kinds, str) or not all(isinstance(k, str) for k in kinds):
            return [f"transaction_kinds must be a tuple of kind names ({allowed}), got {kinds!r}"]
        # a list would make the frozen config unhashable; keep a tuple
        object.__setattr__(self, "transaction_kinds", tuple(kinds))
        unknown = [k for k in kinds if k not in TRANSACTION_KINDS]
        if unknown:
            return [f"transaction_kinds has unknown kinds {unknown}; allowed: {allowed}"]
        if not kinds:
            return [f"transaction_kinds must name at least one kind ({allowed}) or be None"]
        return []

    @property
    def month_index(self) -> pd.PeriodIndex:
        end = pd.Period(self.end_month, freq="M")
        return pd.period_range(end - (self.months - 1), end, freq="M")
