"""Scoring a bank at an as-of month: risks, tiers, value at risk, drivers and actions.

Returns a :class:`~attrition.results.ScoringResult`: scores with scalar
columns (risks, tier, value at risk, the model's warning, and what places the entity:
branch, owner, segment, AUM; grade and book for RMs), and long tables of drivers and
actions. JSON is made only at the edges (``ScoringResult.to_export`` for the Parquet
file; the README documents it as "Scores file").

- Clients are scored only inside the outflow population of the client model's
  config (AUM at least ``outflow.min_aum`` and not already below the outflow
  threshold): the others have no money left to keep. How many were left out is in the
  result's ``notes``, with the warnings of weak models
  (:mod:`attrition.pipeline.quality`; also in ``model_warning``).

- RMs are scored first; their flight risk at the playbook's horizon is passed to the
  client features (``rm_flight_risk``), which a client model trained with it uses.
- ``risk_Nm`` is P(event within N months); months beyond the model's training
  follow-up are left empty rather than extrapolated.
- ``tier`` and ``value_at_risk`` use the risk at the playbook's horizon
  (``tiers.horizon``, 3 months by default); the playbook tiers by risk, by value at
  risk (e.g. the top share of each branch) or by the higher of the two. Client value
  at risk = risk × AUM at the as-of. RM value at risk = P(resign) × the AUM of the
  RM's book expected to leave *because* the RM leaves: for each client of the book,
  the client model's risk with "the RM left last month" minus the risk as things are,
  times the client's AUM; the client model learnt that effect from the departures
  in the bank's own history. Without a client model the RM value at risk is empty.
- ``drivers`` are the top features raising the risk (SHAP at the playbook horizon,
  against a seeded sample of the scored population as background), worded in English
  and Chinese; ``actions`` come from the playbook.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from attrition.contracts import BankData
from attrition.errors import ConfigError
from attrition.features import CATALOGUE_VERSION, build_features
from attrition.features.catalogue import CATALOGUE
from attrition.labels import OutflowDefinition, outflow_population
from attrition.pipeline.datasets import sequence_frame
from attrition.pipeline.drivers import drivers_table
from attrition.pipeline.quality import LANGUAGES, inherited_warning, model_warning
from attrition.pipeline.references import (
    exposure_references,
    tier_cut_references,
)
from attrition.playbook import Playbook, load_playbook
from attrition.registry import ModelRecord, ModelRegistry
from attrition.results import (
    ACTION_COLUMNS,
    DRIVER_COLUMNS,
    MONTHS,
    RISK_COLUMNS,
    SCORE_COLUMNS,
    ScoringResult,
    concat,
    empty_actions,
    empty_drivers,
)
from explain import make_explainer
from explain.base import background_sample

DEFAULT_MODELS = {"rm": "rm_resignation", "client": "client_outflow"}
# above this many rows, a model explained by permutation SHAP gets drivers for its high
# and medium tiers only (bench_explain: the exact explainers take seconds for 100k)
SLOW_EXPLAIN_LIMIT = 5_000
RM_RISK_FEATURE = "rm_flight_risk"
Progress = Callable[[str], None]
Tiers = Callable[[pd.Series, pd.Series, pd.Series], pd.Series]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoredEntities:
    """The scores, drivers and actions of one population, and what RM value at risk
    needs from it."""

    scores: pd.DataFrame
    drivers: pd.DataFrame
    actions: pd.DataFrame
    features: pd.DataFrame  # every feature of the rows scored at the as-of (not only the model's)
    model: Any
    record: ModelRecord
    inputs: Any  # what the model read (a frame or a SequenceFrame)
    left_out: int = 0  # entities with data at the as-of that are outside the event population


def _model_inputs(data: BankData, record: ModelRecord, model: Any, X: pd.DataFrame) -> Any:
    if getattr(model, "input_kind", "table") != "sequence":
        return X
    config = record.config
    return sequence_frame(data, config, X, config.sequence.months)


def risk_curve(model: Any, inputs: Any, index: pd.Index) -> pd.DataFrame:
    """P(event within 1..12 months) per row; empty beyond the model's follow-up."""
    usable = [m for m in MONTHS if m <= model.max_duration_]
    surv = model.predict_survival(inputs, usable).to_numpy()
    out = pd.DataFrame(np.nan, index=index, columns=RISK_COLUMNS)
    out[[f"risk_{m}m" for m in usable]] = 1.0 - surv
    return out


def explain_rows(
    model: Any,
    inputs: Any,
    tier: pd.Series,
    entity: str | None,
    horizon: float,
    ref: str,
    top_k: int,
    seed: int,
    background: Any = None,
) -> pd.DataFrame:
    """Worded top drivers of every row (:data:`DRIVER_COLUMNS`; ``id`` from ``tier``'s
    index, ``entity_type`` ``flat`` when ``entity`` is None).

    ``background`` is the model's own (saved at training, so an entity explained alone
    gets the drivers it gets in a bank-wide run); a model registered without one is
    explained against a seeded sample of the rows scored. A model that only the
    permutation fallback can explain (hundreds of model calls a row) is explained for
    the high and medium tiers only once the population passes
    :data:`SLOW_EXPLAIN_LIMIT`; the rest get no drivers."""
    if background is None:
        background = background_sample(inputs, seed=seed)
    explainer = make_explainer(model, background, horizon=horizon, model_version=ref)
    rows = np.arange(len(inputs))
    if explainer.method == "permutation" and len(inputs) > SLOW_EXPLAIN_LIMIT:
        rows = np.flatnonzero(tier.to_numpy() != "low")
    if not len(rows):
        return empty_drivers()
    part = inputs.iloc[rows] if isinstance(inputs, pd.DataFrame) else inputs.take(rows)
    table = drivers_table(explainer(part), entity, k=top_k)
    ids = np.asarray(tier.index.get_level_values(0).astype(str))[rows]
    out = table.assign(id=ids[table["row"].to_numpy()], entity_type=entity or "flat")
    return out[DRIVER_COLUMNS].reset_index(drop=True)


def score_entities(
    data: BankData,
    entity: str,
    as_of: pd.Period,
    record: ModelRecord,
    playbook: Playbook,
    *,
    rm_risk: pd.Series | None = None,
    weak_rm_model: str | None = None,
    top_k: int = 5,
    seed: int = 0,
    features: pd.DataFrame | None = None,
    tiers: Tiers | None = None,
) -> ScoredEntities:
    """Score one population with a registered model (see the module docstring).

    ``weak_rm_model``: the reference of the RM model behind ``rm_risk`` when
    :func:`~attrition.pipeline.quality.model_warning` finds it weak; then no action
    rests on the client's ``rm_flight_risk`` and the client rows say so.
    ``features`` and ``tiers`` are for posted entities (:mod:`attrition.pipeline.posted`):
    the features already built (with the run's cross-entity values), and the tiers
    from (risk at the horizon, value at risk, branch) instead of ranking this population.
    """
    if record.metadata.get("entity") != entity:
        raise ConfigError(
            f"model {record.ref} predicts {record.metadata.get('target')!r}, not a {entity} "
            "target; pick it with --model for the right population"
        )
    model = record.load_model()
    trained_on = set(record.metadata.get("feature_names", []))
    # sequence models read numeric monthly panels only, never the hook feature
    reads_rm_risk = getattr(model, "input_kind", "table") != "sequence"
    given = features is not None and RM_RISK_FEATURE in features.columns
    if RM_RISK_FEATURE in trained_on and reads_rm_risk and rm_risk is None and not given:
        raise ConfigError(
            f"model {record.ref} reads the RMs' flight risk ({RM_RISK_FEATURE}); score the RMs "
            "too (--target both)"
        )
    if features is None:
        features = build_features(data, entity, [as_of], rm_risk=rm_risk)
    record.check_features(list(features.columns), CATALOGUE_VERSION)
    left_out = 0
    if entity == "client":
        # a client under the AUM floor, or whose money has already left, cannot have the
        # event: no risk, tier or action means anything for them (the model never saw one)
        o = record.config.outflow
        population = outflow_population(
            data, as_of, OutflowDefinition(o.drop, o.reference_months, o.min_aum)
        )
        inside = features.index.get_level_values(0).isin(population)
        left_out = int((~inside).sum())
        features = features[inside]
    X = features[list(record.metadata["feature_names"])]
    inputs = _model_inputs(data, record, model, X)
    risks = risk_curve(model, inputs, X.index)
    horizon = playbook.tiers.horizon
    at_h = risks[f"risk_{horizon}m"]
    if at_h.isna().all() and len(at_h):
        raise ConfigError(
            f"the playbook's tiers.horizon ({horizon} months) is beyond what {record.ref} "
            f"was trained to predict ({model.max_duration_:g} months)"
        )
    ids = X.index.get_level_values(0).astype(str)
    # clients: AUM is a feature the engine always builds, used or not; RMs: filled
    # by score_bank from book_exposure once the clients are scored
    nan = pd.Series(np.nan, index=X.index)
    value = at_h * features["aum"] if entity == "client" else nan
    branch = entity_branches(data, entity, ids)
    tier = (tiers or partial(playbook.tiers_of, entity))(
        at_h, value, pd.Series(branch, index=X.index)
    )
    tier.index = ids
    drivers = explain_rows(
        model, inputs, tier, entity, horizon, record.ref, top_k, seed, record.background()
    )
    # in English and Chinese, as every text a manager reads
    warning = {lang: model_warning(record, horizon, lang) for lang in LANGUAGES}
    skip: frozenset[str] = frozenset()
    if weak_rm_model and RM_RISK_FEATURE in X.columns:
        skip = frozenset({RM_RISK_FEATURE})
        info = CATALOGUE[entity][RM_RISK_FEATURE]
        label = {"en": info.label_en, "zh": info.label_zh}
        warning = {
            lang: inherited_warning(text, record.ref, label[lang], weak_rm_model, lang)
            for lang, text in warning.items()
        }
    if warning["en"]:  # returned as data (model_warning, notes): the caller says it
        log.info("%s", warning["en"])
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
            "model_warning": warning["en"],
            "model_warning_zh": warning["zh"],
            **_context(data, entity, as_of, ids, features),
        }
    )
    actions = suggested_actions(
        playbook,
        entity,
        scores,
        drivers,
        scores.set_index("id")["aum"] if entity == "client" else None,
        skip=skip,
    )
    return ScoredEntities(
        scores[SCORE_COLUMNS], drivers, actions, features, model, record, inputs, left_out
    )


def _tabular_inputs(scored: ScoredEntities) -> dict[str, pd.DataFrame]:
    """The model's inputs by id, for a tabular model (a what-if starts from them)."""
    if not isinstance(scored.inputs, pd.DataFrame) or scored.scores.empty:
        return {}
    x = scored.inputs
    return {scored.record.metadata["entity"]: x.set_axis(x.index.get_level_values(0).astype(str))}


def _context(
    data: BankData, entity: str, as_of: pd.Period, ids: pd.Index, features: pd.DataFrame
) -> dict[str, Any]:
    """The scalar columns that place each entity: branch and owner, segment, AUM for
    clients; branch, grade and book for RMs (:data:`SCORE_COLUMNS`)."""
    empty = np.full(len(ids), None, dtype=object)
    nan = np.full(len(ids), np.nan)
    out: dict[str, Any] = {c: empty for c in ("rm_id", "segment", "grade")}
    out.update({c: nan for c in ("aum", "book_size", "book_aum")})
    out["branch_id"] = entity_branches(data, entity, ids)
    if entity == "client":
        clients = data["clients"].set_index(data["clients"]["client_id"].astype(str))
        out["rm_id"] = client_owners(data, as_of).reindex(ids).to_numpy(dtype=object)
        out["segment"] = clients["segment"].astype(str).reindex(ids).to_numpy(dtype=object)
        out["aum"] = features["aum"].to_numpy(dtype=float)
    else:
        rms = data["rms"].set_index(data["rms"]["rm_id"].astype(str))
        if "grade" in rms.columns:
            out["grade"] = rms["grade"].reindex(ids).to_numpy(dtype=object)
        for column in ("book_size", "book_aum"):
            if column in features.columns:
                out[column] = features[column].to_numpy(dtype=float)
    return out


def entity_branches(data: BankData, entity: str, ids: pd.Index) -> np.ndarray:
    """The branch of each client (``clients.branch_id``) or RM (``rms.branch_id``)."""
    table, key = ("clients", "client_id") if entity == "client" else ("rms", "rm_id")
    frame = data[table]
    branch = frame.set_index(frame[key].astype(str))["branch_id"].astype(str)
    return branch.reindex(ids).to_numpy()


def suggested_actions(
    playbook: Playbook,
    entity: str,
    scores: pd.DataFrame,
    drivers: pd.DataFrame,
    aum: pd.Series | None = None,
    *,
    skip: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """The playbook's actions of every scored entity (:data:`ACTION_COLUMNS`), from its
    drivers, tier and (clients) AUM; ``skip``: features no action may rest on."""
    by_id = {
        i: part[["feature", "value", "contribution"]].to_dict("records")
        for i, part in drivers.groupby("id", sort=False)
    }
    rows = []
    for i, tier in zip(scores["id"], scores["tier"], strict=True):
        a = None if aum is None else float(aum.get(i, np.nan))
        chosen = playbook.actions(entity, by_id.get(i, []), tier, aum=a, skip=skip)
        for rank, item in enumerate(chosen, start=1):
            rows.append(
                {
                    "id": i,
                    "entity_type": entity,
                    "rank": rank,
                    "action_id": item["id"],
                    **{k: item[k] for k in ("priority", "effect", "en", "zh", "because")},
                    "remote": item["remote"],
                }
            )
    return pd.DataFrame(rows, columns=ACTION_COLUMNS) if rows else empty_actions()


def tier_by_value(scored: ScoredEntities, playbook: Playbook) -> ScoredEntities:
    """RMs re-tiered (and their actions re-chosen) once their value at risk is known,
    for a playbook whose RM tiers use it."""
    s = scored.scores
    if not playbook.uses_value("rm") or s.empty:
        return scored
    horizon = playbook.tiers.horizon
    tier = playbook.tiers_of("rm", s[f"risk_{horizon}m"], s["value_at_risk"], s["branch_id"])
    s = s.assign(tier=tier.to_numpy())
    return replace(scored, scores=s, actions=suggested_actions(playbook, "rm", s, scored.drivers))


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


def book_exposure(
    data: BankData,
    as_of: pd.Period,
    rms: ScoredEntities,
    clients: ScoredEntities,
    horizon: int,
) -> pd.Series:
    """The book AUM expected to leave because the RM leaves, per RM id (NaN: unknown);
    an RM's value at risk is P(resign) × this."""
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
    return exposed.reindex(rm_ids).fillna(0.0)


def default_as_of(data: BankData) -> pd.Period:
    """The as-of ``score`` uses when none is given: the last month the balance data
    covers properly (:attr:`BankData.last_month`). That is the latest month with
    balance rows unless the trailing months are far beyond the rest (a tiny fraction of
    a typical month's rows, or after a gap of months); then it is the month before them,
    never silently a sparse outlier month, and the choice is logged with why."""
    month = data.last_month
    cov = data.coverage
    if cov is not None and cov.outliers:
        log.info("scoring as of %s, not %s: %s", month, cov.latest, cov.why())
    return month


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
) -> ScoringResult:
    """Score RMs, then clients, with the registry's current models.

    Parameters
    ----------
    data : BankData
    as_of : month, default :func:`default_as_of`: the last month the data covers
        properly. An as-of outside the data's range (before its first or after its
        last month of balances) is refused with that range, for RMs and clients alike.
    home : the ``$ATTRITION_HOME`` holding ``models/``
    entities : which populations (RMs are always scored before clients)
    models : entity -> registry reference (``NAME`` or ``NAME@VERSION``); defaults
        ``rm_resignation`` and ``client_outflow``
    playbook : default the shipped ``attrition/configs/playbook.yaml``

    Returns
    -------
    ScoringResult
        ``scores`` (:data:`SCORE_COLUMNS`, RMs first), ``drivers``, ``actions`` and
        ``notes`` (:mod:`attrition.results`).
    """
    say = progress or (lambda _m: None)
    month = default_as_of(data) if as_of is None else pd.Period(as_of, freq="M")
    data.check_as_of([month], entities=entities)
    book = playbook or load_playbook()
    refs = {**DEFAULT_MODELS, **(models or {})}
    registry = ModelRegistry(home)
    scored: dict[str, ScoredEntities] = {}
    references: list[pd.DataFrame] = []
    rm_risk = None
    for entity in ("rm", "client"):
        if entity not in entities:
            continue
        record = registry.get(refs[entity])
        say(f"Scoring {entity}s with {record.ref}")
        weak_rm = None
        if rm_risk is not None and scored["rm"].scores["model_warning"].notna().any():
            weak_rm = scored["rm"].record.ref
        scored[entity] = score_entities(
            data,
            entity,
            month,
            record,
            book,
            rm_risk=rm_risk,
            weak_rm_model=weak_rm,
            top_k=top_k,
        )
        if entity == "rm" and "client" in entities:
            horizon = _coupling_horizon(registry.get(refs["client"])) or book.tiers.horizon
            s = scored["rm"].scores
            rm_risk = pd.Series(s[f"risk_{horizon}m"].to_numpy(), index=s["id"].to_numpy())
    if "rm" in scored and "client" in scored:
        say("RM value at risk from their books")
        h = book.tiers.horizon
        exposed = book_exposure(data, month, scored["rm"], scored["client"], h)
        references.append(exposure_references(exposed))
        rms = scored["rm"]
        var = rms.scores[f"risk_{h}m"].to_numpy() * exposed.to_numpy()
        rms = replace(rms, scores=rms.scores.assign(value_at_risk=var))
        scored["rm"] = tier_by_value(rms, book)
    parts = [scored[e] for e in ("rm", "client") if e in scored]
    notes = [w for p in parts for w in dict.fromkeys(p.scores["model_warning"].dropna())]
    if "client" in scored and scored["client"].left_out:
        n = scored["client"].left_out
        o = scored["client"].record.config.outflow
        notes.append(
            f"{n:,} clients with data at {month} are outside the outflow population (mean "
            f"AUM over {o.reference_months} months under {o.min_aum:,.0f}, or already "
            f"{o.drop:.0%} below it) and were not scored: no money left to keep"
        )
        log.info("%s", notes[-1])
    result = concat(
        ScoringResult(p.scores, p.drivers, p.actions, inputs=_tabular_inputs(p)) for p in parts
    )
    for p in parts:  # what a posted entity needs from this run (POST /v1/score)
        entity = p.record.metadata["entity"]
        references.append(tier_cut_references(book, entity, p.scores))
    return replace(
        result,
        notes=tuple(dict.fromkeys(notes)),
        references=pd.concat(references, ignore_index=True),
    )
