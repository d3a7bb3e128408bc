"""What a bank-wide scoring run knows that a few posted entities cannot: the run's
cross-entity reference values, kept with the run so that ``POST /v1/score`` gives a
posted entity what the run gave it.

Each scored entity's **cross-entity features** (:func:`cross_entity_features`: peer
ratios, the client's RM's book and flight risk, an RM's book and branch colleagues)
depend on the whole bank, so a handful of posted records cannot recompute them; the
run keeps them among each entity's model inputs (:mod:`attrition.store.inputs`).
Besides those, two kinds of rows (:data:`REFERENCE_COLUMNS`: ``entity_type``, ``id``,
``name``, ``value``):

- the **cut-offs of relative tiers**: a ``top_share`` cut (e.g. a branch's top 2% of
  values at risk) ranks an entity among the whole list; the run keeps, per group
  (``branch:<id>`` or ``all``), the lowest risk or value that reached each level, and
  a posted entity at or above it reaches that level (:func:`tiers_from_cuts`).
- each RM's **exposed book AUM** (``exposed_aum``): the book AUM expected to leave
  because the RM leaves (:func:`attrition.pipeline.score.book_exposure`), which the
  client model gives over the whole book; an RM's value at risk = risk × it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition.features import default_spec
from attrition.playbook import Playbook
from attrition.playbook.tiers import LEVELS

REFERENCE_COLUMNS = ["entity_type", "id", "name", "value"]
# panels built from other entities' rows: a client's RM's book and flight risk; an
# RM's book of clients and branch colleagues
_CROSS_SOURCES = {
    "client": frozenset({"rm_book_size", "rm_book_outflow_3m", "rm_risk"}),
    "rm": frozenset(
        {"book_size", "book_aum", "book_outflow_3m", "book_lost_share_6m", "peer_exits"}
    ),
}
EXPOSED = "exposed_aum"
_CUT = "tier_cut"


def cross_entity_features(entity: str) -> tuple[str, ...]:
    """The features of ``entity`` whose value depends on other entities' rows."""
    sources = _CROSS_SOURCES[entity]
    return tuple(
        f.name
        for f in default_spec(entity).features
        if f.primitive == "peer_ratio" or f.source in sources or f.denominator in sources
    )


def empty_references() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=float if c == "value" else object) for c in REFERENCE_COLUMNS}
    )


def exposure_references(exposed: pd.Series) -> pd.DataFrame:
    """Each RM's exposed book AUM (index: RM id)."""
    return pd.DataFrame(
        {
            "entity_type": "rm",
            "id": exposed.index.astype(str),
            "name": EXPOSED,
            "value": exposed.to_numpy(dtype=float),
        }
    )


def _group_keys(per: str, branch: pd.Series) -> np.ndarray:
    if per == "branch":
        return ("branch:" + branch.astype(str)).to_numpy()
    return np.full(len(branch), "all", dtype=object)


def tier_cut_references(playbook: Playbook, entity: str, scores: pd.DataFrame) -> pd.DataFrame:
    """Per top-share cut of ``entity``'s tier rule, the lowest value reaching each level
    in each group of the run's scores."""
    rule = getattr(playbook.tiers, entity)
    horizon = playbook.tiers.horizon
    rows = []
    for axis, cut, column in (
        ("risk", rule.risk, f"risk_{horizon}m"),
        ("value", rule.value, "value_at_risk"),
    ):
        if cut is None or cut.by != "top_share" or scores.empty:
            continue
        x = scores[column].to_numpy(dtype=float)
        groups = _group_keys(cut.per, scores["branch_id"])
        levels = cut.levels(x, scores["branch_id"].astype(str).to_numpy())
        frame = pd.DataFrame({"x": x, "g": groups, "level": levels})
        for level in (1, 2):
            reached = frame[frame["level"] >= level].groupby("g")["x"].min()
            rows += [
                {"entity_type": entity, "id": g, "name": f"{_CUT}:{axis}:{level}", "value": v}
                for g, v in reached.items()
            ]
    return pd.DataFrame(rows, columns=REFERENCE_COLUMNS) if rows else empty_references()


def tiers_from_cuts(
    playbook: Playbook,
    entity: str,
    risk: pd.Series,
    value: pd.Series,
    branch: pd.Series,
    references: pd.DataFrame,
) -> pd.Series:
    """Tiers of posted entities: threshold cuts as the playbook says, top-share cuts
    against the run's cut-offs of the entity's group (no cut-off: that level is not
    reached, as when its group had nobody there)."""
    rule = getattr(playbook.tiers, entity)
    cuts = references[references["name"].str.startswith(_CUT + ":")]
    lookup = {(i, n): v for i, n, v in zip(cuts["id"], cuts["name"], cuts["value"], strict=True)}
    out = np.zeros(len(risk), dtype=int)
    for axis, cut, x in (("risk", rule.risk, risk), ("value", rule.value, value)):
        if cut is None:
            continue
        values = x.to_numpy(dtype=float)
        if cut.by == "threshold":
            out = np.maximum(out, cut.levels(values))
            continue
        valid = np.isfinite(values) & (values > 0)
        groups = _group_keys(cut.per, branch)
        for level in (1, 2):
            floor = np.array([lookup.get((g, f"{_CUT}:{axis}:{level}"), np.inf) for g in groups])
            out = np.maximum(out, np.where(valid & (values >= floor), level, 0))
    return pd.Series(LEVELS[out], index=risk.index, name="tier")
