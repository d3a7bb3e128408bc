"""The retention playbook: tiers, and the actions that drivers call for (en and zh).

Read from YAML (``configs/playbook.yaml`` ships with the product; a bank edits its own
copy, no code needed) and validated with every problem listed at once: unknown keys,
features the catalogue does not have for that entity, duplicate rule ids, thresholds
out of order, effects outside [0, 1].

- :meth:`Playbook.tiers` turns risks into ``high`` / ``medium`` / ``low`` by thresholds
  or by top share of the list.
- :meth:`Playbook.actions` turns one entity's drivers (and their values) into its
  suggested actions: the rules whose feature is a driver and whose value test passes,
  most urgent first; when none fires, the tier's default action. The low tier always
  gets its default (automated care for clients): no RM time goes to it.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from attrition.config import format_validation_errors, read_yaml
from attrition.errors import ConfigError
from attrition.features import feature_catalogue

DEFAULT_PLAYBOOK = Path(__file__).resolve().parent / "configs" / "playbook.yaml"
Entity = Literal["client", "rm"]
TIERS = ("high", "medium", "low")

_OPS = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Frozen):
    """A test on the driver's value; a missing value never passes."""

    op: Literal[">", ">=", "<", "<=", "==", "!=", "any"] = "any"
    value: float | str | None = None

    def passes(self, value: Any) -> bool:
        if self.op == "any":
            return True
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return False
        try:
            return bool(_OPS[self.op](value, self.value))
        except TypeError:
            return False


class Action(_Frozen):
    """What to do: ``priority`` 1 is most urgent; ``effect`` is the expected share of
    the value at risk the action keeps."""

    id: str = Field(min_length=1)
    priority: int = Field(ge=1, le=9)
    effect: float = Field(ge=0.0, le=1.0)
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)


class Rule(Action):
    """An action for an entity whose top drivers include ``feature`` (and pass ``when``)."""

    entity: Entity
    feature: str
    when: Condition = Condition()


class TierRule(_Frozen):
    """``threshold``: risk ≥ ``high`` is high, ≥ ``medium`` medium. ``top_share``: the
    riskiest ``high`` share of the list is high, the next up to ``medium`` medium."""

    method: Literal["threshold", "top_share"] = "threshold"
    high: float = Field(gt=0.0, le=1.0)
    medium: float = Field(gt=0.0, le=1.0)


class TierConfig(_Frozen):
    """``horizon``: the month (1-12) whose risk sets the tier and the value at risk."""

    horizon: int = Field(3, ge=1, le=12)
    client: TierRule
    rm: TierRule
    # flat-table models (no playbook actions): the riskiest 10% high, the next 20% medium
    flat: TierRule = TierRule(method="top_share", high=0.1, medium=0.3)


class ContactPlanConfig(_Frozen):
    """Meaningful contacts an RM can make in a week: ``capacity`` for everyone,
    ``by_grade`` (``rms.grade``) and ``by_rm`` (RM id, wins over the grade) to differ."""

    capacity: int = Field(25, ge=0)
    by_grade: dict[str, int] = {}
    by_rm: dict[str, int] = {}

    def capacities(self, rms: pd.DataFrame) -> pd.Series:
        """Weekly capacity per RM id (``rms`` has ``rm_id`` and optionally ``grade``)."""
        ids = rms["rm_id"].astype(str).to_numpy()
        grade = rms["grade"] if "grade" in rms.columns else pd.Series(None, index=rms.index)
        by_grade = grade.map(self.by_grade).to_numpy(dtype=float, na_value=np.nan)
        cap = pd.Series(np.where(np.isnan(by_grade), self.capacity, by_grade), index=ids)
        by_rm = pd.Series(self.by_rm, dtype=float).reindex(ids).to_numpy()
        return cap.where(np.isnan(by_rm), by_rm).astype(int)


class Playbook(_Frozen):
    """A validated playbook (see ``configs/playbook.yaml``)."""

    version: int = 1
    tiers: TierConfig
    contact_plan: ContactPlanConfig = ContactPlanConfig()
    defaults: dict[Entity, dict[Literal["high", "medium", "low"], Action]]
    rules: tuple[Rule, ...] = ()

    def tiers_of(self, entity: str, risk: pd.Series) -> pd.Series:
        """``high`` / ``medium`` / ``low`` for each risk (at ``tiers.horizon``)."""
        rule: TierRule = getattr(self.tiers, entity)
        r = risk.to_numpy(dtype=float)
        if rule.method == "threshold":
            high, medium = r >= rule.high, r >= rule.medium
        else:  # rank by risk: the top `high` share, then up to the top `medium` share
            rank = pd.Series(r).rank(ascending=False, method="first").to_numpy()
            n = max(len(r), 1)
            high, medium = rank <= rule.high * n, rank <= rule.medium * n
        tier = np.where(high, "high", np.where(medium, "medium", "low"))
        return pd.Series(tier, index=risk.index, name="tier")

    def actions(
        self, entity: str, drivers: Iterable[Mapping[str, Any]], tier: str, *, limit: int = 3
    ) -> list[dict[str, Any]]:
        """Suggested actions for one entity, most urgent first (at most ``limit``).

        Parameters
        ----------
        entity : {"client", "rm"}
        drivers : iterable of mappings with ``feature``, ``value``, ``contribution``
            The entity's drivers that raise its risk (e.g. ``drivers_json`` items).
        tier : {"high", "medium", "low"}

        Returns
        -------
        list of dict
            ``id``, ``priority``, ``effect``, ``en``, ``zh`` and ``because`` (the
            driver feature that fired the rule; None for the tier's default).
        """
        if tier == "low":  # automated care: no RM time, whatever the drivers
            return [_action_dict(self.defaults[entity]["low"], because=None)]
        fired: dict[str, tuple[tuple[int, float], dict[str, Any]]] = {}
        for d in drivers:
            for rule in self.rules:
                if rule.entity != entity or rule.feature != d["feature"]:
                    continue
                if not rule.when.passes(d.get("value")):
                    continue
                key = (rule.priority, -float(d.get("contribution", 0.0)))
                item = _action_dict(rule, because=rule.feature)
                # the same wording once, under its most urgent reason
                seen = fired.get(rule.en)
                if seen is None or key < seen[0]:
                    fired[rule.en] = (key, item)
        ordered = [item for _, item in sorted(fired.values(), key=lambda kv: kv[0])]
        if not ordered:
            ordered = [_action_dict(self.defaults[entity][tier], because=None)]
        return ordered[:limit]


def _action_dict(action: Action, *, because: str | None) -> dict[str, Any]:
    return {
        "id": action.id,
        "priority": action.priority,
        "effect": action.effect,
        "en": action.en,
        "zh": action.zh,
        "because": because,
    }


def _semantic_problems(book: Playbook) -> list[str]:
    problems = []
    catalogue = feature_catalogue()
    plan = book.contact_plan
    for where, caps in (("by_grade", plan.by_grade), ("by_rm", plan.by_rm)):
        bad = {k: v for k, v in caps.items() if not isinstance(v, int) or v < 0}
        if bad:
            problems.append(
                f"contact_plan.{where}: capacities must be whole numbers ≥ 0, got {bad}"
            )
    for entity in ("client", "rm"):
        tier: TierRule = getattr(book.tiers, entity)
        if tier.medium > tier.high if tier.method == "threshold" else tier.medium < tier.high:
            order = "high ≥ medium" if tier.method == "threshold" else "medium ≥ high"
            problems.append(
                f"tiers.{entity}: expected {order}, got high={tier.high}, medium={tier.medium}"
            )
        missing = [t for t in TIERS if t not in book.defaults.get(entity, {})]
        if missing:
            problems.append(f"defaults.{entity}: no default action for tier(s) {missing}")
    seen: dict[str, int] = {}
    for i, rule in enumerate(book.rules):
        if rule.id in seen:
            problems.append(
                f"rules.{i} ({rule.id}): duplicate id, first used by rules.{seen[rule.id]}"
            )
        seen.setdefault(rule.id, i)
        if (rule.entity, rule.feature) not in catalogue.index:
            known = sorted(catalogue.loc[rule.entity].index)
            problems.append(
                f"rules.{i} ({rule.id}): {rule.entity} has no feature {rule.feature!r}; "
                f"known: {', '.join(known)}"
            )
        if rule.when.op != "any" and rule.when.value is None:
            problems.append(f"rules.{i} ({rule.id}): when.op {rule.when.op!r} needs a value")
    return problems


def parse_playbook(raw: Any, *, where: str = "<mapping>") -> Playbook:
    """Validate a mapping (e.g. parsed YAML) into a :class:`Playbook`.

    Raises
    ------
    ConfigError
        Listing every problem: the key path and what was expected.
    """
    if not isinstance(raw, dict):
        raise ConfigError(f"invalid playbook {where}: expected a mapping, got {type(raw).__name__}")
    try:
        book = Playbook.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_errors(exc, where, what="playbook")) from None
    problems = _semantic_problems(book)
    if problems:
        raise ConfigError(f"invalid playbook {where}:\n" + "\n".join(f"  - {p}" for p in problems))
    return book


def load_playbook(path: str | os.PathLike[str] | None = None) -> Playbook:
    """Read and validate a playbook YAML (the shipped ``configs/playbook.yaml`` by default)."""
    path = Path(path) if path is not None else DEFAULT_PLAYBOOK
    return parse_playbook(read_yaml(path, what="playbook"), where=str(path))
