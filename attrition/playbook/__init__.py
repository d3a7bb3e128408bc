"""The retention playbook: tiers, and the actions that drivers call for (en and zh).

Read from YAML (``attrition/configs/playbook.yaml`` ships with the product; a bank
edits its own copy, no code needed) and validated with every problem listed at once:
unknown keys, features the catalogue does not have for that entity, duplicate rule
ids, thresholds out of order, effects outside [0, 1], a rule whose direction
contradicts its feature or its value test.

- :meth:`Playbook.tiers_of` turns risks and values at risk into ``high`` /
  ``medium`` / ``low`` (:mod:`attrition.playbook.tiers`: by risk, by value at risk,
  or the higher of the two; thresholds or top shares, over the list or per branch).
- :meth:`Playbook.actions` turns one entity's drivers (and their values) into its
  suggested actions: the rules whose feature is a driver raising the risk and whose
  value test passes, most urgent first; when none fires, the tier's default action.
  In the low tier only strong drivers fire rules (automated care otherwise).
"""

from __future__ import annotations

import operator
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError

from attrition.config import SHIPPED_CONFIGS, format_validation_errors, read_yaml
from attrition.errors import ConfigError
from attrition.features import feature_catalogue
from attrition.playbook.tiers import LEVELS, Level, TierConfig, TierRule, tier_problems
from attrition.playbook.tiers import Frozen as _Frozen

DEFAULT_PLAYBOOK = SHIPPED_CONFIGS / "playbook.yaml"
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
    # whether the remote RM team can carry it out by phone (a joint visit or the new
    # RM's welcome cannot be handed to it)
    remote: bool = True


class Rule(Action):
    """An action for an entity whose drivers include ``feature`` and pass ``when``.

    ``direction`` is what the action's words assume of the value: ``up`` (high: "leave
    has been rising", "matures next month") or ``down`` (low: "bonus below peers",
    "after the fund losses"). It must agree with the catalogue's risk direction of the
    feature, and ``when`` must test the value on that side (``>``/``>=`` for up,
    ``<``/``<=`` for down), so a rule never fires on a value its words contradict.
    """

    entity: Entity
    feature: str
    direction: Literal["up", "down"]
    when: Condition
    # in the low tier: the value that makes the driver strong on its own (e.g. a
    # quarter of the AUM maturing next month), whatever the model's contribution
    strong_when: Condition | None = None
    # client rules only: fires only for a client whose AUM is at most this (the remote
    # team serves mass-affluent clients, never the branch's largest)
    max_aum: float | None = Field(None, gt=0.0)


class RemoteTeamConfig(_Frozen):
    """The remote RM team (by phone or WeChat): the contacts it makes in a week, and
    the largest AUM it serves (mass-affluent clients, DOMAIN.md)."""

    capacity: int = Field(200, ge=0)
    max_aum: float = Field(500_000, gt=0.0)


class BranchHeadConfig(_Frozen):
    """What a branch head takes on each week from the RMs' overflow: the largest
    clients and the in-person actions, ``capacity`` per branch (reassigned to an RM
    with room, or a call of their own)."""

    capacity: int = Field(10, ge=0)


class ContactPlanConfig(_Frozen):
    """Meaningful contacts an RM can make in a week: ``capacity`` for everyone,
    ``by_grade`` (``rms.grade``) and ``by_rm`` (RM id, wins over the grade) to differ;
    and the remote team that takes what the RMs cannot."""

    capacity: int = Field(25, ge=0)
    by_grade: dict[str, int] = Field(default_factory=dict)
    by_rm: dict[str, int] = Field(default_factory=dict)
    remote_team: RemoteTeamConfig = Field(default_factory=RemoteTeamConfig)
    branch_head: BranchHeadConfig = Field(default_factory=BranchHeadConfig)

    def capacities(self, rms: pd.DataFrame) -> pd.Series:
        """Weekly capacity per RM id (``rms`` has ``rm_id`` and optionally ``grade``)."""
        ids = rms["rm_id"].astype(str).to_numpy()
        grade = rms["grade"] if "grade" in rms.columns else pd.Series(None, index=rms.index)
        by_grade = grade.map(self.by_grade).to_numpy(dtype=float, na_value=np.nan)
        cap = pd.Series(np.where(np.isnan(by_grade), self.capacity, by_grade), index=ids)
        by_rm = pd.Series(self.by_rm, dtype=float).reindex(ids).to_numpy()
        return cap.where(np.isnan(by_rm), by_rm).astype(int)


class Playbook(_Frozen):
    """A validated playbook (see ``attrition/configs/playbook.yaml``)."""

    version: int = 1
    # the currency of the bank's money columns (one per source, DATA_CONTRACT.md),
    # shown beside every amount; empty: "data currency"
    currency: str = Field("", max_length=8)
    tiers: TierConfig
    contact_plan: ContactPlanConfig = ContactPlanConfig()
    defaults: dict[Entity, dict[Level, Action]]
    rules: tuple[Rule, ...] = ()
    # in the low tier, a rule fires only for a driver adding at least this much risk
    # at the tier horizon (0.02 = two percentage points)
    strong_driver: float = Field(0.02, ge=0.0, le=1.0)

    def tiers_of(
        self,
        entity: str,
        risk: pd.Series,
        value: pd.Series | None = None,
        branch: pd.Series | None = None,
    ) -> pd.Series:
        """``high`` / ``medium`` / ``low`` for each entity.

        Parameters
        ----------
        entity : {"client", "rm", "flat"}
        risk : Series
            P(event) at ``tiers.horizon``.
        value : Series, optional
            Value at risk (same index); a ``value`` cut ignores entities without one.
        branch : Series, optional
            Branch of each entity, for cuts ``per: branch``.
        """
        rule: TierRule = getattr(self.tiers, entity)
        levels = rule.levels(
            risk.to_numpy(dtype=float),
            None if value is None else value.to_numpy(dtype=float),
            None if branch is None else branch.astype(str).to_numpy(),
        )
        return pd.Series(LEVELS[levels], index=risk.index, name="tier")

    def describe_tiers(self, entity: str) -> str:
        """The tier rule in words, e.g. ``risk (threshold high 0.2, medium 0.08) or
        value at risk (top share per branch high 0.02, medium 0.1)``."""
        rule: TierRule = getattr(self.tiers, entity)
        parts = []
        for axis, cut in (("risk", rule.risk), ("value at risk", rule.value)):
            if cut is not None:
                how = "threshold" if cut.by == "threshold" else "top share"
                per = " per branch" if cut.per == "branch" else ""
                parts.append(f"{axis} ({how}{per} high {cut.high:g}, medium {cut.medium:g})")
        return " or ".join(parts)

    def action_ids(self, entity: str) -> list[str]:
        """Every action the playbook can suggest for ``entity``, defaults first."""
        ids = [a.id for a in self.defaults.get(entity, {}).values()]  # type: ignore[call-overload]
        ids += [r.id for r in self.rules if r.entity == entity]
        return list(dict.fromkeys(ids))

    def uses_value(self, entity: str) -> bool:
        """Whether the entity's tier depends on its value at risk."""
        return getattr(self.tiers, entity).value is not None

    def actions(
        self,
        entity: str,
        drivers: Iterable[Mapping[str, Any]],
        tier: str,
        *,
        aum: float | None = None,
        skip: frozenset[str] = frozenset(),
        limit: int = 3,
    ) -> list[dict[str, Any]]:
        """Suggested actions for one entity, most urgent first (at most ``limit``).

        A rule fires when its feature is a driver that raises the risk (contribution
        above 0) and the driver's value passes the rule's ``when``; a missing value
        never passes. In the low tier a rule fires only for a strong driver: a value
        passing the rule's ``strong_when`` (a quarter of the AUM maturing next month),
        or a contribution of at least ``strong_driver``; weaker signals stay with
        automated care.

        Parameters
        ----------
        entity : {"client", "rm"}
        drivers : iterable of mappings with ``feature``, ``value``, ``contribution``
            The entity's drivers (rows of a ``ScoringResult.drivers`` table).
        tier : {"high", "medium", "low"}
        aum : float, optional
            The client's AUM, for rules with ``max_aum`` (which never fire without it).
        skip : frozenset of str
            Features whose rules must not fire (e.g. a risk from a model too weak to
            act on).

        Returns
        -------
        list of dict
            ``id``, ``priority``, ``effect``, ``en``, ``zh`` and ``because`` (the
            driver feature that fired the rule; None for the tier's default). When no
            rule fires, the tier's default action alone.
        """
        fired: dict[str, tuple[tuple[int, float], dict[str, Any]]] = {}
        for d in drivers:
            contribution = float(d.get("contribution") or 0.0)
            if contribution <= 0.0 or d.get("feature") in skip:
                continue
            for rule in self.rules:
                if rule.entity != entity or rule.feature != d["feature"]:
                    continue
                if not rule.when.passes(d.get("value")):
                    continue
                if tier == "low" and not self._strong(rule, d.get("value"), contribution):
                    continue
                if rule.max_aum is not None and not (aum is not None and aum <= rule.max_aum):
                    continue  # also refuses a NaN AUM
                key = (rule.priority, -contribution)
                item = _action_dict(rule, because=rule.feature)
                # the same wording once, under its most urgent reason
                seen = fired.get(rule.en)
                if seen is None or key < seen[0]:
                    fired[rule.en] = (key, item)
        ordered = [item for _, item in sorted(fired.values(), key=lambda kv: kv[0])]
        if not ordered:
            ordered = [_action_dict(self.defaults[entity][tier], because=None)]
        return ordered[:limit]


    def _strong(self, rule: Rule, value: Any, contribution: float) -> bool:
        if rule.strong_when is not None and rule.strong_when.passes(value):
            return True
        return contribution >= self.strong_driver


def _action_dict(action: Action, *, because: str | None) -> dict[str, Any]:
    return {
        "id": action.id,
        "priority": action.priority,
        "effect": action.effect,
        "en": action.en,
        "zh": action.zh,
        "because": because,
        "remote": action.remote,
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
    for entity in ("client", "rm", "flat"):
        problems += tier_problems(entity, getattr(book.tiers, entity))
    for entity in ("client", "rm"):
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
        else:
            problems += _direction_problems(
                f"rules.{i} ({rule.id})", rule, catalogue.loc[(rule.entity, rule.feature)]
            )
        if rule.when.op != "any" and rule.when.value is None:
            problems.append(f"rules.{i} ({rule.id}): when.op {rule.when.op!r} needs a value")
        if rule.max_aum is not None and rule.entity != "client":
            problems.append(f"rules.{i} ({rule.id}): max_aum is for client rules (RMs have no AUM)")
    return problems


_SIDE = {"up": (">", ">="), "down": ("<", "<=")}


def _direction_problems(where: str, rule: Rule, info: pd.Series) -> list[str]:
    """A rule's words, its direction, the catalogue and its ``when`` must agree."""
    problems = []
    risk = info["risk_direction"]
    if risk in _SIDE and rule.direction != risk:
        problems.append(
            f"{where}: direction {rule.direction!r}, but a {'higher' if risk == 'up' else 'lower'}"
            f" {rule.feature} is what raises the risk (catalogue risk direction {risk!r})"
        )
    strong = rule.strong_when
    if strong is not None and (strong.op not in _SIDE[rule.direction] or strong.value is None):
        problems.append(
            f"{where}: strong_when needs op one of {list(_SIDE[rule.direction])} and a value "
            f"(direction {rule.direction!r}), got {strong.op!r} {strong.value!r}"
        )
    if rule.when.op not in _SIDE[rule.direction]:
        problems.append(
            f"{where}: direction {rule.direction!r} needs when.op one of "
            f"{list(_SIDE[rule.direction])} with the value the action's words assume, "
            f"got {rule.when.op!r}"
        )
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
    """Read and validate a playbook YAML (by default the shipped one, ``DEFAULT_PLAYBOOK``)."""
    path = Path(path) if path is not None else DEFAULT_PLAYBOOK
    return parse_playbook(read_yaml(path, what="playbook"), where=str(path))
