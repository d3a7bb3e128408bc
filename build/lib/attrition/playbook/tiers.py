"""Tiers: how a population is cut into high, medium and low, by risk, by value at risk
or by the higher of the two (the playbook's ``tiers`` section)."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator


class Frozen(BaseModel):
    """Playbook sections: immutable, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Level = Literal["high", "medium", "low"]
LEVELS = np.array(["low", "medium", "high"])  # by level: 0, 1, 2


class TierCut(Frozen):
    """One way of cutting a list into tiers.

    ``by: threshold``: a value ≥ ``high`` is high, ≥ ``medium`` medium. ``by:
    top_share``: the largest ``high`` share of the list is high, the next up to the
    ``medium`` share medium (rounded up, so a small branch still has its top entity),
    counted within each ``per`` group: the whole list (``all``) or each ``branch``.
    Missing and non-positive values are never tiered up by a cut.
    """

    by: Literal["threshold", "top_share"] = "threshold"
    high: float = Field(gt=0.0)
    medium: float = Field(gt=0.0)
    per: Literal["all", "branch"] = "all"

    def levels(self, x: np.ndarray, group: np.ndarray | None = None) -> np.ndarray:
        """0 (low), 1 (medium) or 2 (high) for each value of ``x``."""
        x = np.asarray(x, dtype=float)
        valid = np.isfinite(x) & (x > 0)
        if self.by == "threshold":
            high, medium = valid & (x >= self.high), valid & (x >= self.medium)
        else:
            keys = group if self.per == "branch" and group is not None else np.zeros(len(x))
            frame = pd.DataFrame({"x": np.where(valid, x, np.nan), "g": keys})
            by_group = frame.groupby("g", sort=False, dropna=False)["x"]
            rank = by_group.rank(ascending=False, method="first").to_numpy()
            n = by_group.transform("count").to_numpy()
            # 1e-9: 0.6 × 5 is 3.0000000000000004 in floating point, and means 3
            high = valid & (rank <= np.ceil(self.high * n - 1e-9))
            medium = valid & (rank <= np.ceil(self.medium * n - 1e-9))
        return np.where(high, 2, np.where(medium, 1, 0))


class TierRule(Frozen):
    """How one population is tiered: by ``risk`` (P(event) at the tier horizon), by
    ``value`` (value at risk, in the data's currency), or by both, when an entity takes
    the higher of its two tiers (a matrix: a large sum at modest risk and a high risk
    on a small sum both reach the RM).

    The version-1 form ``{method: threshold|top_share, high, medium}`` still reads, as
    a ``risk`` cut.
    """

    risk: TierCut | None = None
    value: TierCut | None = None

    @model_validator(mode="before")
    @classmethod
    def _version_1(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and "method" in raw:
            raw = dict(raw)
            return {"risk": {"by": raw.pop("method"), **raw}}
        return raw

    def levels(
        self, risk: np.ndarray, value: np.ndarray | None, group: np.ndarray | None
    ) -> np.ndarray:
        """0/1/2 per entity: the higher of the risk and the value tier."""
        out = np.zeros(len(risk), dtype=int)
        if self.risk is not None:
            out = np.maximum(out, self.risk.levels(risk, group))
        if self.value is not None and value is not None:
            out = np.maximum(out, self.value.levels(value, group))
        return out


class TierConfig(Frozen):
    """``horizon``: the month (1-12) whose risk sets the tier and the value at risk."""

    horizon: int = Field(3, ge=1, le=12)
    client: TierRule
    rm: TierRule
    # flat-table models (no playbook actions): the riskiest 10% high, the next 20% medium
    flat: TierRule = TierRule(risk=TierCut(by="top_share", high=0.1, medium=0.3))


def tier_problems(entity: str, rule: TierRule) -> list[str]:
    """What is wrong with one population's tier rule (key paths under ``tiers``)."""
    if rule.risk is None and rule.value is None:
        return [f"tiers.{entity}: give a risk cut, a value cut or both"]
    problems = []
    for axis, cut in (("risk", rule.risk), ("value", rule.value)):
        if cut is None:
            continue
        where = f"tiers.{entity}.{axis}"
        if cut.by == "threshold" and cut.medium > cut.high:
            problems.append(
                f"{where}: expected high ≥ medium, got high={cut.high:g}, medium={cut.medium:g}"
            )
        if cut.by == "top_share" and cut.medium < cut.high:
            problems.append(
                f"{where}: expected medium ≥ high (shares), got high={cut.high:g}, "
                f"medium={cut.medium:g}"
            )
        if (cut.by == "top_share" or axis == "risk") and max(cut.high, cut.medium) > 1:
            what = "shares" if cut.by == "top_share" else "risks"
            problems.append(
                f"{where}: {what} are at most 1, got high={cut.high:g}, medium={cut.medium:g}"
            )
    return problems
