"""The model card: what a registered model is, what it was trained on and how well it
did on its holdout, for data scientists and model-risk review.

From the registry: the config as run, the data window and fingerprint, the library
versions and the holdout metrics per horizon against the Cox baseline trained in the
same run. From the holdout rebuilt with the stored config (the same landmarks and
entity split, from the config's data source or another one): a calibration plot
(predicted risk against Kaplan–Meier observed risk by decile), Kaplan–Meier curves
by the playbook's tiers, and the global SHAP importance (mean absolute contribution
to the risk) over a sample of the holdout.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from attrition.errors import AttritionError
from reports import charts
from reports.config import Language

log = logging.getLogger(__name__)
METRICS = ("c_harrell", "c_uno", "auc", "brier", "ece", "captured_top10")
SHAP_ROWS = 300


@dataclass(frozen=True)
class MetricLine:
    horizon: str
    values: list[tuple[str, str, str, str]]  # metric, model, baseline, difference


@dataclass(frozen=True)
class ModelCard:
    ref: str
    language: Language
    test_as_of: str  # the holdout's last as-of month
    facts: list[tuple[str, str]]
    config_text: str
    metrics: list[MetricLine]
    warning: str | None
    holdout_note: str | None  # why the holdout views are missing, when they are
    importance: list[tuple[str, str, str]]  # feature, label, mean |contribution|
    charts: dict[str, str] = field(default_factory=dict)


def model_card(
    ref: str, *, home: str | Path, lang: Language = "en", source: str | None = None
) -> ModelCard:
    """The card of registered model ``ref`` (``NAME`` or ``NAME@VERSION``)."""
    from attrition.pipeline.quality import model_warning
    from attrition.registry import ModelRegistry

    record = ModelRegistry(home).get(ref)
    meta = record.metadata
    metrics = record.metrics
    config = record.config
    horizon = float(config.horizons[len(config.horizons) // 2])
    facts = [
        ("model", f"{record.ref} ({meta.get('model_type')})"),
        ("target", f"{meta.get('target')} ({meta.get('entity')})"),
        ("created", str(meta.get("created_at"))),
        ("train as-of", ", ".join(meta.get("train_as_of", []))),
        ("test as-of", ", ".join(meta.get("test_as_of", []))),
        ("rows", f"train {meta.get('n_train'):,}, test {meta.get('n_test'):,}"),
        ("events in training", f"{meta.get('events_train'):,}"),
        *_refit_facts(meta),
        ("data fingerprint", str(meta.get("data_fingerprint"))),
        ("catalogue", str(meta.get("catalogue_version"))),
        ("seed", str(meta.get("seed"))),
        ("libraries", ", ".join(f"{k} {v}" for k, v in meta.get("library_versions", {}).items())),
    ]
    card_charts: dict[str, str] = {}
    importance: list[tuple[str, str, str]] = []
    note = None
    try:
        holdout = _holdout(record, config, source, horizon)
    except (AttritionError, OSError) as exc:
        note = f"the holdout could not be rebuilt from {source or config.data.source}: {exc}"
        log.warning("model card %s: %s", record.ref, note)
    else:
        risk, durations, events, shap_frame = holdout
        card_charts["calibration"] = charts.calibration(risk, durations, events, horizon, lang)
        card_charts["tiers"] = charts.km_by_group(
            _tiers(record, risk, shap_frame), durations, events, lang
        )
        importance = _importance(record, shap_frame, horizon, lang)
    return ModelCard(
        ref=record.ref,
        language=lang,
        test_as_of=str((meta.get("test_as_of") or [""])[-1]),
        facts=facts,
        config_text=record.config_text,
        metrics=_metric_lines(metrics, meta.get("model_label", "")),
        warning=model_warning(record, horizon, lang),
        holdout_note=note,
        importance=importance,
        charts=card_charts,
    )


def _metric_lines(metrics: pd.DataFrame, label: str) -> list[MetricLine]:
    lines = []
    for h, rows in metrics.groupby("horizon", sort=True):
        mine = rows[rows["model"] == label]
        base = rows[rows["model"] == "baseline:coxph"]
        values = []
        for m in METRICS:
            a = float(mine[m].iloc[0]) if len(mine) and m in mine else np.nan
            b = float(base[m].iloc[0]) if len(base) and m in base else np.nan
            diff = round(a - b, 3) + 0.0  # no "-0.000"
            values.append((m, f"{a:.3f}", f"{b:.3f}", f"{diff:+.3f}"))
        lines.append(MetricLine(f"{h:g}", values))
    return lines


def _refit_facts(meta: dict) -> list[tuple[str, str]]:
    """What the registered model learnt from when it was refitted after the holdout
    (the metrics and charts below are of the measured fit)."""
    if not meta.get("refit"):
        return []
    as_of = meta.get("refit_as_of") or []
    rows = f"{meta.get('n_refit', 0):,} rows, {meta.get('events_refit', 0):,} events"
    return [
        (
            "refitted on",
            f"{rows}" + (f"; as of {as_of[0]} to {as_of[-1]}" if as_of else "; every row"),
        ),
        ("measured", "the metrics and charts are of the fit before the refit"),
    ]


def _holdout(record, config, source, horizon):  # type: ignore[no-untyped-def]
    """The holdout's predicted risk at ``horizon``, durations, events and inputs."""
    from attrition.pipeline.datasets import load_sets

    config = config.with_source(source)
    model = record.load_holdout_model()  # the fit that never saw the holdout
    sets = load_sets(config, sequences=model.input_kind == "sequence")
    record.check_features(sets.feature_names, sets.catalogue_version)
    X = sets.inputs("test", model.input_kind)
    risk = np.asarray(model.predict_risk(X, horizon), dtype=float)
    return risk, sets.test["duration"].to_numpy(float), sets.test["event"].to_numpy(bool), X


def _tiers(record, risk: np.ndarray, X) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The playbook's tiers on the holdout (value at risk from the AUM feature)."""
    from attrition.playbook import load_playbook

    entity = record.metadata.get("entity", "client")
    r = pd.Series(risk)
    value = None
    if entity == "client" and isinstance(X, pd.DataFrame) and "aum" in X.columns:
        value = r * X["aum"].to_numpy(float)
    return load_playbook().tiers_of(entity, r, value).to_numpy()


def _importance(record, X, horizon: float, lang: Language) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """Mean absolute SHAP contribution to the risk at ``horizon`` per feature over a
    seeded sample of the holdout, largest first."""
    from attrition.features.catalogue import feature_info
    from explain import make_explainer
    from explain.base import background_sample

    if not isinstance(X, pd.DataFrame):
        return []
    sample = X.sample(min(SHAP_ROWS, len(X)), random_state=0)
    background = record.background()  # the one saved at training, as scoring uses
    if background is None:
        background = background_sample(X)
    explanation = make_explainer(record.load_model(), background, horizon=horizon)(sample)
    mean = np.abs(explanation.values).mean(axis=0)
    order = np.argsort(-mean)[:15]
    entity = record.metadata.get("entity", "client")
    out = []
    for i in order:
        name = explanation.feature_names[i]
        try:
            label = getattr(feature_info(entity, name), f"label_{lang}")
        except (KeyError, AttritionError):
            label = name
        out.append((name, label, f"{100 * mean[i]:.2f}"))
    return out
