"""Scoring a few posted entities of a bank as the bank-wide run scored them.

The posted tables (the data contract's shape) hold the entities' own records: their
rows in ``clients`` or ``rms``, the RMs their client rows name, balances,
transactions, holdings, contacts, assignments, HR months. The one feature engine
(:func:`attrition.features.build_features`) builds every feature from them, except
the features that depend on other entities of the bank (peer ratios, the client's
RM's book and flight risk, an RM's book and branch colleagues: see
:func:`attrition.pipeline.references.cross_entity_features`): those come from the
model inputs the stored run at the same as-of kept for the entity
(:mod:`attrition.store.inputs`), and the cut-offs of relative tiers and an RM's exposed
book AUM from the run's references (:mod:`attrition.pipeline.references`). So an
entity posted with the records the run read gets the run's features, risks, tier,
value at risk, drivers and actions; posting changed records changes what they feed,
and nothing else: a peer ratio stays the run's value (the bank's median is not
recomputed from one entity).

Refused (:class:`PostedError`, every problem at once): an entity the run did not score
while its model reads cross-entity features (they cannot be computed honestly from
a few records), and sequence models (their monthly panels hold the cross-entity
features month by month, which the run does not keep).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import pandas as pd

from attrition.contracts import BankData
from attrition.errors import AttritionError, Problem
from attrition.features import build_features
from attrition.pipeline.quality import model_warning
from attrition.pipeline.references import EXPOSED, cross_entity_features, tiers_from_cuts
from attrition.pipeline.score import (
    DEFAULT_MODELS,
    RM_RISK_FEATURE,
    score_entities,
    suggested_actions,
)
from attrition.playbook import Playbook
from attrition.registry import ModelRecord, ModelRegistry, RegistryError
from attrition.results import ScoringResult


class PostedError(AttritionError, ValueError):
    """Posted entities that cannot be scored as the run scored them; ``problems``
    names each."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in problems))


def weak_rm_model(home: str, playbook: Playbook) -> str | None:
    """The current RM model's reference when it is too weak to act on (as
    :func:`~attrition.pipeline.score.score_bank` finds it), else None."""
    try:
        record = ModelRegistry(home).get(DEFAULT_MODELS["rm"])
    except RegistryError:
        return None
    return record.ref if model_warning(record, playbook.tiers.horizon) else None


def score_posted(
    data: BankData,
    entity: str,
    as_of: pd.Period,
    record: ModelRecord,
    playbook: Playbook,
    references: pd.DataFrame,
    inputs: pd.DataFrame,
    *,
    weak_rm_model: str | None = None,
    top_k: int = 5,
) -> ScoringResult:
    """Score the ``entity`` rows of ``data`` at ``as_of`` with the run's ``references``
    (:func:`attrition.store.read_references`) and the model ``inputs`` it kept for these
    entities (:func:`attrition.store.inputs.read_inputs_of`); see the module docstring."""
    problems = []
    if getattr(record.load_model(), "input_kind", "table") == "sequence":
        problems.append(
            Problem(
                "request",
                "model",
                "model_kind",
                f"a table model: {record.ref} reads "
                "monthly sequences, which posted records cannot rebuild as the run did",
            )
        )
        raise PostedError(problems)
    features = build_features(data, entity, as_of)
    ids = features.index.astype(str)
    needed = [c for c in cross_entity_features(entity) if c in record.metadata["feature_names"]]
    unknown = [i for i in ids if i not in inputs.index]
    if needed and unknown:
        key = "client_id" if entity == "client" else "rm_id"
        problems.append(
            Problem(
                "clients" if entity == "client" else "rms",
                key,
                "not_in_run",
                f"{entity}s the stored run at {as_of} scored: {', '.join(needed)} depend on "
                "the whole bank and come from that run",
                count=len(unknown),
                examples=tuple(f"{key}={i!r}" for i in unknown[:5]),
            )
        )
        raise PostedError(problems)
    for column in needed:
        features[column] = inputs[column].reindex(ids).to_numpy(dtype=float)
    cut = partial(tiers_from_cuts, playbook, entity, references=references)
    scored = score_entities(
        data,
        entity,
        as_of,
        record,
        playbook,
        weak_rm_model=weak_rm_model if RM_RISK_FEATURE in needed else None,
        top_k=top_k,
        features=features,
        tiers=cut,
    )
    scores = scored.scores
    if entity == "rm":
        # an RM's value at risk is its risk × the book AUM the run found exposed
        rows = references[references["name"] == EXPOSED]
        exposed = pd.Series(rows["value"].to_numpy(), index=rows["id"]) if len(rows) else None
        h = playbook.tiers.horizon
        value = scores[f"risk_{h}m"] * (
            scores["id"].map(exposed) if exposed is not None else float("nan")
        )
        tier = cut(scores[f"risk_{h}m"], value, scores["branch_id"])
        scores = scores.assign(value_at_risk=value.to_numpy(), tier=tier.to_numpy())
        scored = replace(
            scored, scores=scores, actions=suggested_actions(playbook, "rm", scores, scored.drivers)
        )
    notes = list(dict.fromkeys(scores["model_warning"].dropna()))
    if scored.left_out:
        notes.append(
            f"{scored.left_out:,} posted clients are outside the outflow population at "
            f"{as_of} (too little AUM, or already below it): not scored"
        )
    return ScoringResult(scored.scores, scored.drivers, scored.actions, tuple(notes))
