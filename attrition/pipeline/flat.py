"""Scoring a flat table (one row per entity, no bank tables) with a flat-mode model.

The same output layout as :mod:`attrition.pipeline.score`, in the table's own time
unit; the table is validated as for training, and categories never seen in training
are named.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pandas as pd

from attrition.contracts import FlatSpec
from attrition.errors import ConfigError, DataContractError
from attrition.pipeline.quality import model_warning
from attrition.pipeline.score import explain_rows
from attrition.playbook import Playbook
from attrition.registry import ModelRecord
from attrition.results import ScoringResult
from attrition.validation import validate_flat

log = logging.getLogger(__name__)


def flat_scoring_spec(record: ModelRecord) -> FlatSpec:
    """How to read a table to score with a flat-table model: its training config's
    columns, the features it was trained on, and those that held numbers in training."""
    return replace(
        record.config.data.flat_spec(),
        features=tuple(record.metadata["feature_names"]),
        numeric=tuple(record.metadata.get("numeric_features", ())),
    )


def unseen_categories(frame: pd.DataFrame, record: ModelRecord) -> dict[str, list[str]]:
    """Per categorical feature, the values of ``frame`` the model never saw in training
    (empty for models registered before training recorded its categories)."""
    seen = record.metadata.get("feature_categories") or {}
    out = {}
    for column, known in seen.items():
        if column in frame.columns:
            new = sorted(set(frame[column].dropna().astype(str)) - set(known))
            if new:
                out[column] = new
    return out


def score_flat(
    frame: pd.DataFrame, record: ModelRecord, playbook: Playbook, *, top_k: int = 5, seed: int = 0
) -> ScoringResult:
    """Score a flat table (one row per entity) with a flat-mode model.

    Like :func:`attrition.pipeline.score.score_bank` but in the table's own time unit: one column
    ``risk_<h>`` per horizon of the model's config (e.g. ``risk_13`` for 13 weeks)
    instead of ``risk_1m .. risk_12m``; ``entity_type`` is ``"flat"``; the tier is by
    the playbook's ``tiers.flat`` rule at the middle horizon; there is no value at risk
    (no AUM) and no action (the playbook speaks of clients and RMs); drivers carry the
    column names.

    Parameters
    ----------
    frame : DataFrame
        The table from :func:`attrition.io.load_flat` (``outcomes=False`` for rows
        without durations; read it with :func:`flat_scoring_spec`), holding the id and
        every feature the model was trained on. It is validated as for training, and
        a feature that held numbers in training must hold numbers here: every other
        value is named (:class:`~attrition.errors.DataContractError`). Categories never
        seen in training are scored as unknown and logged as a warning
        (:func:`unseen_categories`).
    """
    config = record.config
    if config.target != "flat":
        raise ConfigError(f"model {record.ref} is a {config.target} model, not a flat-table one")
    model = record.load_model()
    d = config.data
    features = list(record.metadata["feature_names"])
    missing = [c for c in (d.id, *features) if c not in frame.columns]
    if missing:
        raise ConfigError(f"the table to score has no column(s) {missing}; {record.ref} needs them")
    frame, problems = validate_flat(
        frame, flat_scoring_spec(record), table_name="the table to score", outcomes=False
    )
    if problems:
        raise DataContractError(problems)
    for column, values in unseen_categories(frame, record).items():
        log.info(  # the caller says it (the CLI prints unseen_categories)
            "%s: %s holds categories %s never seen in training (scored as unknown)",
            record.ref,
            column,
            values[:10],
        )
    X = frame.set_index(frame[d.id].astype(str).rename(d.id))[features].copy()
    for c in d.categorical:
        X[c] = X[c].astype(str).astype("category")
    horizons = [h for h in config.horizons if h <= model.max_duration_]
    surv = model.predict_survival(X, horizons).to_numpy()
    middle = horizons[len(horizons) // 2]
    at_h = pd.Series(1.0 - surv[:, horizons.index(middle)], index=X.index)
    tier = playbook.tiers_of("flat", at_h)
    drivers = explain_rows(
        model, X, tier, None, middle, record.ref, top_k, seed, record.background()
    )
    risks = {f"risk_{h:g}": 1.0 - surv[:, j] for j, h in enumerate(horizons)}
    warning = model_warning(record, middle)
    scores = pd.DataFrame(
        {
            "id": X.index.to_numpy(),
            "entity_type": "flat",
            "as_of": None,
            "model": record.name,
            "model_version": record.version,
            **risks,
            "tier": tier.to_numpy(),
            "value_at_risk": np.nan,
            "model_warning": warning,
            "model_warning_zh": model_warning(record, middle, "zh"),
        }
    )
    return ScoringResult(scores, drivers, notes=(warning,) if warning else ())
