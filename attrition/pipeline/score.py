"""Scoring a bank at an as-of month: risks, tiers, value at risk, drivers and actions.

One row per entity (the output contract later issues build on)::

    id, entity_type, as_of, model, model_version,
    risk_1m .. risk_12m, tier, value_at_risk, drivers (JSON), actions (JSON)

- RMs are scored first; their flight risk at the playbook's horizon is passed to the
  client features (``rm_flight_risk``), which a client model trained with it uses.
- ``risk_Nm`` is P(event within N months); months beyond the model's training
  follow-up are left empty rather than extrapolated.
- ``tier`` and ``value_at_risk`` use the risk at the playbook's horizon
  (``tiers.horizon``, 3 months by default). Client value at risk = risk × AUM at the
  as-of. RM value at risk = P(resign) × the AUM of the RM's book expected to leave
  *because* the RM leaves: for each client of the book, the client model's risk with
  "the RM left last month" minus the risk as things are, times the client's AUM; the
  client model learnt that effect from the departures in the bank's own history.
  Without a client model the RM value at risk is empty.
- ``drivers`` are the top features raising the risk (SHAP at the playbook horizon,
  against a seeded sample of the scored population as background), worded in English
  and Chinese; ``actions`` come from the playbook.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from attrition.contracts import BankData
from attrition.errors import ConfigError
from attrition.features import CATALOGUE_VERSION, build_features
from attrition.pipeline.datasets import sequence_frame
from attrition.pipeline.drivers import drivers_json
from attrition.playbook import Playbook, load_playbook
from attrition.registry import ModelRecord, ModelRegistry
from explain import make_explainer
from explain.base import background_sample

MONTHS = tuple(range(1, 13))
RISK_COLUMNS = [f"risk_{m}m" for m in MONTHS]
SCORE_COLUMNS = [
    "id",
    "entity_type",
    "as_of",
    "model",
    "model_version",
    *RISK_COLUMNS,
    "tier",
    "value_at_risk",
    "drivers",
    "actions",
]
DEFAULT_MODELS = {"rm": "rm_resignation", "client": "client_outflow"}
BACKGROUND_ROWS = 200
# above this many rows, a model explained by permutation SHAP gets drivers for its high
# and medium tiers only (bench_explain: the exact explainers take seconds for 100k)
SLOW_EXPLAIN_LIMIT = 5_000
RM_RISK_FEATURE = "rm_flight_risk"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class ScoredEntities:
    """The score rows of one population, and what RM value at risk needs from it."""

    scores: pd.DataFrame
    features: pd.DataFrame  # every feature of the rows scored at the as-of (not only the model's)
    model: Any
    record: ModelRecord
    inputs: Any  # what the model read (a frame or a SequenceFrame)


def _model_inputs(data: BankData, record: ModelRecord, model: Any, X: pd.DataFrame) -> Any:
    if getattr(model, "input_kind", "table") != "sequence":
        return X
    config = record.config
    return sequence_frame(data, config, X, config.sequence.months)


def _risks(model: Any, inputs: Any, index: pd.Index) -> pd.DataFrame:
    usable = [m for m in MONTHS if m <= model.max_duration_]
    surv = model.predict_survival(inputs, usable).to_numpy()
    out = pd.DataFrame(np.nan, index=index, columns=RISK_COLUMNS)
    out[[f"risk_{m}m" for m in usable]] = 1.0 - surv
    return out


def _drivers(
    model: Any,
    inputs: Any,
    tier: pd.Series,
    entity: str | None,
    horizon: float,
    ref: str,
    top_k: int,
    seed: int,
) -> pd.Series:
    """Worded top drivers of every row. A model that only the permutation fallback can
    explain (hundreds of model calls a row) is explained for the high and medium tiers
    only once the population passes :data:`SLOW_EXPLAIN_LIMIT`; the rest get ``[]``."""
    explainer = make_explainer(
        model, background_sample(inputs, BACKGROUND_ROWS, seed), horizon=horizon, model_version=ref
    )
    rows = np.arange(len(inputs))
    if explainer.method == "permutation" and len(inputs) > SLOW_EXPLAIN_LIMIT:
        rows = np.flatnonzero(tier.to_numpy() != "low")
    out = pd.Series("[]", index=tier.index, name="drivers")
    if len(rows):
        part = inputs.iloc[rows] if isinstance(inputs, pd.DataFrame) else inputs.take(rows)
        out.iloc[rows] = drivers_json(explainer(part), entity, k=top_k).to_numpy()
    return out


def score_entities(
    data: BankData,
    entity: str,
    as_of: pd.Period,
    record: ModelRecord,
    playbook: Playbook,
    *,
    rm_risk: pd.Series | None = None,
    top_k: int = 5,
    seed: int = 0,
) -> ScoredEntities:
    """Score one population with a registered model (see the module docstring)."""
    if record.metadata.get("entity") != entity:
        raise ConfigError(
            f"model {record.ref} predicts {record.metadata.get('target')!r}, not a {entity} "
            "target; pick it with --model for the right population"
        )
    model = record.load_model()
    trained_on = set(record.metadata.get("feature_names", []))
    # sequence models read numeric monthly panels only, never the hook feature
    reads_rm_risk = getattr(model, "input_kind", "table") != "sequence"
    if RM_RISK_FEATURE in trained_on and reads_rm_risk and rm_risk is None:
        raise ConfigError(
            f"model {record.ref} reads the RMs' flight risk ({RM_RISK_FEATURE}); score the RMs "
            "too (--target both)"
        )
    features = build_features(data, entity, [as_of], rm_risk=rm_risk)
    record.check_features(list(features.columns), CATALOGUE_VERSION)
    X = features[list(record.metadata["feature_names"])]
    inputs = _model_inputs(data, record, model, X)
    risks = _risks(model, inputs, X.index)
    horizon = playbook.tiers.horizon
    at_h = risks[f"risk_{horizon}m"]
    if at_h.isna().all() and len(at_h):
        raise ConfigError(
            f"the playbook's tiers.horizon ({horizon} months) is beyond what {record.ref} "
            f"was trained to predict ({model.max_duration_:g} months)"
        )
    tier = playbook.tiers_of(entity, at_h)
    drivers = _drivers(model, inputs, tier, entity, horizon, record.ref, top_k, seed)
    actions = [
        json.dumps(playbook.actions(entity, json.loads(d), t), ensure_ascii=False)
        for d, t in zip(drivers, tier, strict=True)
    ]
    if entity == "client":  # AUM is a feature the engine always builds, used or not
        value = at_h * features["aum"].fillna(0.0)
    else:
        value = pd.Series(np.nan, index=X.index)  # RMs: filled by rm_value_at_risk
    ids = X.index.get_level_values(0).astype(str)
    scores = pd.DataFrame(
        {
            "id": ids,
            "entity_type": entity,
            "as_of": str(as_of),
            "model": record.name,
            "model_version": record.version,
            **{c: risks[c].to_numpy() for c in RISK_COLUMNS},
            "tier": tier.to_numpy(),
            "value_at_risk": value.to_numpy(),
            "drivers": drivers.to_numpy(),
            "actions": actions,
        }
    )
    return ScoredEntities(scores, features, model, record, inputs)


def _coupling_horizon(record: ModelRecord) -> int | None:
    """The horizon of the RM risk a client model was trained with (None: without)."""
    config = record.config
    return None if config.rm_risk is None else config.rm_risk.horizon


def client_owners(data: BankData, as_of: pd.Period) -> pd.Series:
    """The RM owning each client at the end of ``as_of`` (contract ownership rule)."""
    end = as_of.to_timestamp(how="end").normalize()
    if "assignments" in data.tables:
        a = data["assignments"]
        live = a[(a["start_date"] <= end) & (a["end_date"].isna() | (a["end_date"] > end))]
        live = live.sort_values("start_date", kind="stable")
        return live.groupby("client_id")["rm_id"].last().astype(str)
    c = data["clients"]
    return c.set_index("client_id")["rm_id"].astype(str)


def rm_value_at_risk(
    data: BankData,
    as_of: pd.Period,
    rms: ScoredEntities,
    clients: ScoredEntities,
    horizon: int,
) -> pd.Series:
    """P(RM resigns) × the book AUM expected to leave because the RM leaves, per RM id."""
    X = clients.features
    model = clients.model
    unknown = pd.Series(np.nan, index=rms.scores["id"].to_numpy())
    if "rm_departed" not in set(clients.record.metadata.get("feature_names", [])):
        return unknown  # a client model that never saw departures cannot say
    if getattr(model, "input_kind", "table") == "sequence":
        # its inputs are rebuilt from the tables, so a what-if on the as-of row would not
        # reach it: say "unknown" rather than a false zero
        return unknown
    departed = X.assign(rm_departed=1.0)
    if RM_RISK_FEATURE in departed.columns:
        # once the RM has left, training rows had no flight risk for them (not in the
        # RM population): the what-if must look like that too
        departed[RM_RISK_FEATURE] = np.nan
    inputs = _model_inputs(data, clients.record, model, departed)
    if_gone = 1.0 - model.predict_survival(inputs, [horizon]).to_numpy()[:, 0]
    now = 1.0 - model.predict_survival(clients.inputs, [horizon]).to_numpy()[:, 0]
    uplift = np.clip(if_gone - now, 0.0, None) * X["aum"].fillna(0.0).to_numpy()
    ids = X.index.get_level_values(0).astype(str)
    owner = client_owners(data, as_of).reindex(ids).to_numpy()
    exposed = pd.Series(uplift).groupby(owner).sum()
    rm_ids = rms.scores["id"].to_numpy()
    risk = rms.scores.set_index("id")[f"risk_{horizon}m"]
    return risk.reindex(rm_ids) * exposed.reindex(rm_ids).fillna(0.0)


def score_bank(
    data: BankData,
    as_of: str | pd.Period | None = None,
    *,
    home: str | os.PathLike[str],
    entities: tuple[str, ...] = ("rm", "client"),
    models: dict[str, str] | None = None,
    playbook: Playbook | None = None,
    top_k: int = 5,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Score RMs, then clients, with the registry's current models.

    Parameters
    ----------
    data : BankData
    as_of : month, default the last month of the data
    home : the ``$ATTRITION_HOME`` holding ``models/``
    entities : which populations (RMs are always scored before clients)
    models : entity -> registry reference (``NAME`` or ``NAME@VERSION``); defaults
        ``rm_resignation`` and ``client_outflow``
    playbook : default the shipped ``attrition/configs/playbook.yaml``

    Returns
    -------
    DataFrame with :data:`SCORE_COLUMNS`, RMs first.
    """
    say = progress or (lambda _m: None)
    month = data.last_month if as_of is None else pd.Period(as_of, freq="M")
    if month > data.last_month:
        raise ConfigError(f"as-of {month} is after the data's last month {data.last_month}")
    book = playbook or load_playbook()
    refs = {**DEFAULT_MODELS, **(models or {})}
    registry = ModelRegistry(home)
    scored: dict[str, ScoredEntities] = {}
    rm_risk = None
    for entity in ("rm", "client"):
        if entity not in entities:
            continue
        record = registry.get(refs[entity])
        say(f"Scoring {entity}s with {record.ref}")
        scored[entity] = score_entities(
            data, entity, month, record, book, rm_risk=rm_risk, top_k=top_k
        )
        if entity == "rm" and "client" in entities:
            horizon = _coupling_horizon(registry.get(refs["client"])) or book.tiers.horizon
            s = scored["rm"].scores
            rm_risk = pd.Series(s[f"risk_{horizon}m"].to_numpy(), index=s["id"].to_numpy())
    if "rm" in scored and "client" in scored:
        say("RM value at risk from their books")
        var = rm_value_at_risk(data, month, scored["rm"], scored["client"], book.tiers.horizon)
        scored["rm"].scores["value_at_risk"] = var.to_numpy()
    frames = [scored[e].scores for e in ("rm", "client") if e in scored]
    return pd.concat(frames, ignore_index=True)[SCORE_COLUMNS]


def score_flat(
    frame: pd.DataFrame, record: ModelRecord, playbook: Playbook, *, top_k: int = 5, seed: int = 0
) -> pd.DataFrame:
    """Score a flat table (one row per entity) with a flat-mode model.

    Like :func:`score_bank` but in the table's own time unit: one column
    ``risk_<h>`` per horizon of the model's config (e.g. ``risk_13`` for 13 weeks)
    instead of ``risk_1m .. risk_12m``; ``entity_type`` is ``"flat"``; the tier is by
    the playbook's ``tiers.flat`` rule at the middle horizon; there is no value at risk
    (no AUM) and no action (the playbook speaks of clients and RMs); drivers carry the
    column names.

    Parameters
    ----------
    frame : DataFrame
        The typed table from :func:`attrition.io.load_flat` (``outcomes=False`` for rows
        without durations), holding the id and every feature the model was trained on.
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
    X = frame.set_index(frame[d.id].astype(str).rename(d.id))[features].copy()
    for c in d.categorical:
        X[c] = X[c].astype(str).astype("category")
    horizons = [h for h in config.horizons if h <= model.max_duration_]
    surv = model.predict_survival(X, horizons).to_numpy()
    middle = horizons[len(horizons) // 2]
    at_h = pd.Series(1.0 - surv[:, horizons.index(middle)], index=X.index)
    drivers = _drivers(
        model, X, playbook.tiers_of("flat", at_h), None, middle, record.ref, top_k, seed
    )
    risks = {f"risk_{h:g}": 1.0 - surv[:, j] for j, h in enumerate(horizons)}
    return pd.DataFrame(
        {
            "id": X.index.to_numpy(),
            "entity_type": "flat",
            "as_of": None,
            "model": record.name,
            "model_version": record.version,
            **risks,
            "tier": playbook.tiers_of("flat", at_h).to_numpy(),
            "value_at_risk": np.nan,
            "drivers": drivers.to_numpy(),
            "actions": "[]",
        }
    )
