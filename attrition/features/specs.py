"""Declarative feature specs: which primitive over which panel, and how to describe it.

A :class:`PopulationSpec` holds everything that differs between clients and RMs (the
entity table, its id, the dates that bound membership, the activity that must be
present at the as-of, the peer groups) plus its list of :class:`FeatureSpec`. The
default specs ship as ``clients.yaml`` and ``rms.yaml`` beside this module; a caller
may pass its own :class:`PopulationSpec` (see :func:`load_spec`).

Feature kinds, by ``primitive``:

- a name from :data:`~attrition.features.primitives.PRIMITIVES`: a numeric feature,
  that primitive applied to the ``source`` panel;
- ``category``: the ``source`` column of the entity table, as a pandas category;
- ``hook``: a value the caller passes in (e.g. ``rm_risk``), skipped when absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from attrition.errors import ConfigError
from attrition.features.primitives import PRIMITIVES

UNITS = (
    "ratio",
    "months",
    "days",
    "years",
    "hours",
    "count",
    "currency",
    "score",
    "flag",
    "category",
)
RISK_DIRECTIONS = ("up", "down", "none")
SPECIAL_PRIMITIVES = ("category", "hook")
ENTITIES = ("client", "rm")
SPEC_FILES = {"client": "clients.yaml", "rm": "rms.yaml"}

_FEATURE_KEYS = {
    "name",
    "source",
    "primitive",
    "window",
    "denominator",
    "peers",
    "params",
    "unit",
    "group",
    "risk",
    "en",
    "zh",
    "en_value",
    "zh_value",
    "actionable",
}
_LEVER_KEYS = {"min", "max", "moves"}
LEVER_MOVES = ("scale", "inverse")
_POPULATION_KEYS = {
    "version",
    "entity",
    "table",
    "id",
    "start",
    "end",
    "presence",
    "peers",
    "features",
}


@dataclass(frozen=True)
class Lever:
    """How a manager can move an actionable feature (the what-if endpoints use it).

    Attributes
    ----------
    min, max : float
        The values a what-if may set.
    moves : tuple of (feature, rule) pairs
        Features computed from this one that move with it: ``scale`` (in proportion,
        e.g. workload with book size) or ``inverse`` (e.g. contacts per client when
        the book shrinks).
    """

    min: float
    max: float
    moves: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FeatureSpec:
    """One feature: how it is computed and how it is described.

    Attributes
    ----------
    name : str
        Column name in :func:`~attrition.features.build_features` output.
    source : str
        Panel it reads (a registered source), or the entity-table column for ``category``.
    primitive : str
        Primitive name, ``"category"`` or ``"hook"``.
    unit, group, risk_direction : str
        Catalogue facts: unit of the value, feature group (source family), and which
        direction of the value means more risk (``up``, ``down``, ``none``).
    label_en, label_zh : str
        Plain-language names.
    template_en, template_zh : str
        The same with the value, as ``str.format`` templates with a ``{value}`` field.
    window : int or None
        Trailing window in months, for primitives that take one.
    denominator : str or None
        Second panel, for ratio primitives.
    peers : str or None
        Peer grouping (a key of :attr:`PopulationSpec.peer_groups`), for ``peer_ratio``.
    params : tuple of (str, value) pairs
        Further keyword arguments of the primitive.
    actionable : Lever or None
        Set when a manager's action can change the feature (a contact this week, a
        backup RM, a smaller book): what-if questions may override it.
    """

    name: str
    source: str
    primitive: str
    unit: str
    group: str
    risk_direction: str
    label_en: str
    label_zh: str
    template_en: str
    template_zh: str
    window: int | None = None
    denominator: str | None = None
    peers: str | None = None
    params: tuple[tuple[str, Any], ...] = ()
    actionable: Lever | None = None

    @property
    def kind(self) -> Literal["numeric", "category", "hook"]:
        """``numeric``, ``category`` or ``hook``."""
        if self.primitive in SPECIAL_PRIMITIVES:
            return self.primitive  # type: ignore[return-value]
        return "numeric"


@dataclass(frozen=True)
class PopulationSpec:
    """Everything the engine needs to know about one population, as data.

    Attributes
    ----------
    entity : {"client", "rm"}
    table : str
        Entity table (``clients`` or ``rms``).
    id_col : str
        Its id column, also the output index name.
    start_col, end_col : str
        Dates bounding membership: in the population at an as-of when
        ``start <= month-end`` and not ``end <= month-end``.
    presence : str or None
        A panel that must have a value at the as-of (clients need a balance row).
    peer_groups : tuple of (name, column) pairs
        Peer groupings by an entity-table column, e.g. ``("segment", "segment")``.
    features : tuple of FeatureSpec
    version : str
    """

    entity: Literal["client", "rm"]
    table: str
    id_col: str
    start_col: str
    end_col: str
    presence: str | None
    peer_groups: tuple[tuple[str, str], ...]
    features: tuple[FeatureSpec, ...] = field(default=())
    version: str = "1"

    @property
    def names(self) -> tuple[str, ...]:
        """Feature names in spec order."""
        return tuple(f.name for f in self.features)

    def feature(self, name: str) -> FeatureSpec:
        """The spec of feature ``name``."""
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(f"no feature {name!r} in the {self.entity} spec")

    def peer_column(self, peers: str) -> str:
        """Entity-table column that defines peer grouping ``peers``."""
        return dict(self.peer_groups)[peers]


def _fail(where: str, msg: str) -> ConfigError:
    return ConfigError(f"feature spec {where}: {msg}")


def _feature(raw: Mapping[str, Any], peer_names: set[str], where: str) -> FeatureSpec:
    if not isinstance(raw, Mapping):
        raise _fail(where, f"each feature must be a mapping, got {raw!r}")
    unknown = set(raw) - _FEATURE_KEYS
    if unknown:
        raise _fail(where, f"unknown keys {sorted(unknown)}; allowed: {sorted(_FEATURE_KEYS)}")
    missing = {"name", "source", "primitive", "unit", "group", "risk", "en", "zh"} - set(raw)
    if missing:
        raise _fail(where, f"missing keys {sorted(missing)}")
    name, prim = str(raw["name"]), str(raw["primitive"])
    where = f"{where} ({name!r})"
    if prim not in PRIMITIVES and prim not in SPECIAL_PRIMITIVES:
        known = sorted([*PRIMITIVES, *SPECIAL_PRIMITIVES])
        raise _fail(where, f"primitive {prim!r} is unknown; expected one of {known}")
    if raw["unit"] not in UNITS:
        raise _fail(where, f"unit {raw['unit']!r} is not one of {list(UNITS)}")
    if raw["risk"] not in RISK_DIRECTIONS:
        raise _fail(where, f"risk {raw['risk']!r} is not one of {list(RISK_DIRECTIONS)}")
    params = dict(raw.get("params") or {})
    if prim in PRIMITIVES:
        p = PRIMITIVES[prim]
        if p.needs_window and not isinstance(raw.get("window"), int):
            raise _fail(where, f"primitive {prim!r} needs an integer 'window' (months)")
        if "window" in raw and (not isinstance(raw["window"], int) or raw["window"] < 1):
            raise _fail(
                where, f"window must be a whole number of months ≥ 1, got {raw['window']!r}"
            )
        if p.needs_den and not raw.get("denominator"):
            raise _fail(where, f"primitive {prim!r} needs a 'denominator' panel")
        if p.needs_groups and raw.get("peers") not in peer_names:
            raise _fail(where, f"primitive {prim!r} needs 'peers', one of {sorted(peer_names)}")
        bad = set(params) - set(p.params)
        if bad:
            raise _fail(
                where, f"params {sorted(bad)} not taken by {prim!r}; it takes {list(p.params)}"
            )
    elif prim == "hook" and set(params) - {"via"}:
        raise _fail(where, "a hook takes only params {via: owner|self}")
    elif prim == "category" and params:
        raise _fail(where, "a category feature takes no params")
    for key in ("en_value", "zh_value"):
        if key in raw and "{value" not in str(raw[key]):
            raise _fail(where, f"{key} must hold a '{{value}}' placeholder, got {raw[key]!r}")
    return FeatureSpec(
        name=name,
        source=str(raw["source"]),
        primitive=prim,
        unit=str(raw["unit"]),
        group=str(raw["group"]),
        risk_direction=str(raw["risk"]),
        label_en=str(raw["en"]),
        label_zh=str(raw["zh"]),
        template_en=str(raw.get("en_value", raw["en"] + ": {value}")),
        template_zh=str(raw.get("zh_value", raw["zh"] + "：{value}")),
        window=raw.get("window"),
        denominator=raw.get("denominator"),
        peers=raw.get("peers"),
        params=tuple(sorted(params.items())),
        actionable=_lever(raw.get("actionable"), prim, where),
    )


def _lever(raw: Any, primitive: str, where: str) -> Lever | None:
    if raw is None:
        return None
    if primitive in SPECIAL_PRIMITIVES and primitive != "hook":
        raise _fail(where, "only numeric features can be actionable")
    if not isinstance(raw, Mapping) or set(raw) - _LEVER_KEYS or not {"min", "max"} <= set(raw):
        raise _fail(
            where, f"actionable must be a mapping with min, max and optionally moves, got {raw!r}"
        )
    low, high = raw["min"], raw["max"]
    if not all(isinstance(v, int | float) for v in (low, high)) or not low < high:
        raise _fail(where, f"actionable min and max must be numbers with min < max, got {raw!r}")
    moves = dict(raw.get("moves") or {})
    bad = {k: v for k, v in moves.items() if v not in LEVER_MOVES}
    if bad:
        raise _fail(where, f"actionable moves {bad}: each rule must be one of {list(LEVER_MOVES)}")
    return Lever(float(low), float(high), tuple(sorted(moves.items())))


def parse_spec(raw: Mapping[str, Any], *, where: str = "<mapping>") -> PopulationSpec:
    """Build a :class:`PopulationSpec` from a parsed YAML mapping.

    Raises
    ------
    ConfigError
        Unknown or missing keys, unknown primitive, unit or risk direction, a missing
        window/denominator/peers, or duplicate feature names.
    """
    if not isinstance(raw, Mapping):
        raise _fail(where, f"expected a mapping at the top, got {type(raw).__name__}")
    unknown = set(raw) - _POPULATION_KEYS
    if unknown:
        raise _fail(where, f"unknown keys {sorted(unknown)}; allowed: {sorted(_POPULATION_KEYS)}")
    if raw.get("entity") not in ENTITIES:
        raise _fail(where, f"entity {raw.get('entity')!r} is not one of {list(ENTITIES)}")
    peers = dict(raw.get("peers") or {})
    features = tuple(
        _feature(f, set(peers), f"{where} feature #{i}")
        for i, f in enumerate(raw.get("features") or [])
    )
    names = [f.name for f in features]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise _fail(where, f"duplicate feature names {dupes}")
    for f in features:
        unknown_moves = [
            m for m, _ in (f.actionable.moves if f.actionable else ()) if m not in names
        ]
        if unknown_moves:
            raise _fail(where, f"feature {f.name!r} moves unknown features {unknown_moves}")
    return PopulationSpec(
        entity=raw["entity"],
        table=str(raw["table"]),
        id_col=str(raw["id"]),
        start_col=str(raw["start"]),
        end_col=str(raw["end"]),
        presence=raw.get("presence"),
        peer_groups=tuple(peers.items()),
        features=features,
        version=str(raw.get("version", "1")),
    )


def load_spec(path: str | Path) -> PopulationSpec:
    """Read a population spec from a YAML file (same layout as the shipped ones)."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read feature spec {str(path)!r}: {exc}") from exc
    return parse_spec(raw, where=str(path))


def spec_text(entity: str) -> str:
    """Text of the shipped YAML spec for ``entity``."""
    return resources.files("attrition.features").joinpath(SPEC_FILES[entity]).read_text("utf-8")


@cache
def default_spec(entity: str) -> PopulationSpec:
    """The shipped spec for ``entity`` (``"client"`` or ``"rm"``)."""
    if entity not in ENTITIES:
        raise ConfigError(f"entity {entity!r} is not one of {list(ENTITIES)}")
    return parse_spec(yaml.safe_load(spec_text(entity)), where=SPEC_FILES[entity])
