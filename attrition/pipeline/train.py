"""``attrition train``: build landmark sets, fit every model, compare, register the chosen one.

The models tried are the Cox PH baseline (always), the configured ``model`` and every
entry of ``compare``; the configured ``model`` is the one registered. All are fitted on
the same training rows and scored on the same holdout, with the same seed. Then (config
``refit``, the default) the chosen model is fitted again on every row, the newest
landmarks and the test entities included, and that fit is registered, with the measured
one kept beside it (``holdout_model.pkl``) for re-evaluation.
"""

from __future__ import annotations

import hashlib
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from attrition.config import TrainConfig, attrition_home, config_to_yaml
from attrition.errors import ConfigError
from attrition.pipeline.datasets import (
    DURATION,
    EVENT,
    SurvivalSets,
    build_sets,
    load_source,
    refit_sets,
)
from attrition.pipeline.evaluate import holdout_metrics
from attrition.registry import ModelRecord, ModelRegistry
from explain.base import background_sample
from survival.catalog import UnknownModelError, make_model

BASELINE = "coxph"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced: the registered model and the comparison table."""

    record: ModelRecord
    metrics: pd.DataFrame  # one row per model and horizon
    sets: SurvivalSets


def resolve_models(config: TrainConfig) -> dict[str, Any]:
    """Unfitted models by label: ``baseline:coxph``, ``model:<type>``, ``compare:<type>``.

    Raises ConfigError naming the config key when a type or parameter is unknown, before
    any data is read.
    """
    entries = [("baseline", BASELINE, {}), ("model", config.model.type, config.model.params)]
    entries += [(f"compare[{i}]", m.type, m.params) for i, m in enumerate(config.compare)]
    models: dict[str, Any] = {}
    for key, kind, params in entries:
        params = dict(params)
        if "seed" in inspect.signature(_class_init(kind, key)).parameters:
            params.setdefault("seed", config.seed)
        try:
            model = make_model(kind, params)
        except UnknownModelError as exc:
            raise ConfigError(f"{key}: {exc}") from None
        label = f"{key.split('[')[0]}:{kind}"
        while label in models:
            label += "'"
        models[label] = model
    return models


def flat_feature_kinds(sets: SurvivalSets) -> dict[str, Any]:
    """What scoring checks a flat table against: the features that were numbers in
    training (``numeric_features``) and the categories each other feature had there
    (``feature_categories``; missing values left out)."""
    numeric: list[str] = []
    categories: dict[str, list[str]] = {}
    for c in sets.feature_names:
        col = sets.train[c]
        if pd.api.types.is_numeric_dtype(col.dtype):
            numeric.append(c)
        else:
            categories[c] = sorted(set(col.dropna().astype(str)) - {"<NA>", "nan"})
    return {"numeric_features": numeric, "feature_categories": categories}


def describe_landmarks(sets: SurvivalSets) -> str:
    """The landmark months of a run, in words (empty for a flat table)."""
    if not sets.train_as_of:
        return ""
    n = len(sets.train_as_of) + len(sets.test_as_of)
    return (
        f"{n} landmarks: training {', '.join(sets.train_as_of)}; test {', '.join(sets.test_as_of)}"
    )


def _class_init(kind: str, key: str) -> Any:
    from survival.catalog import model_class

    try:
        return model_class(kind).__init__
    except UnknownModelError as exc:
        raise ConfigError(f"{key}.type: {exc}") from None


def data_fingerprint(sets: SurvivalSets) -> str:
    """A hash of the training rows (features and labels) the model saw."""
    h = pd.util.hash_pandas_object(sets.train.reset_index(), index=False).to_numpy()
    return hashlib.sha256(h.tobytes()).hexdigest()[:16]


def _fit(model: Any, sets: SurvivalSets, early_stopping: str = "entity") -> Any:
    data = sets.inputs("train", model.input_kind)
    kwargs = {}
    accepts = inspect.signature(model.fit).parameters
    if "groups" in accepts:
        kwargs["groups"] = sets.groups
    if early_stopping == "time" and "times" in accepts and sets.times is not None:
        kwargs["times"] = sets.times  # validate on the latest landmarks
    return model.fit(data, duration_col=DURATION, event_col=EVENT, **kwargs)


def training_background(sets: SurvivalSets, kind: str, seed: int) -> Any:
    """The rows a model's explanations compare against: a seeded sample of its training
    inputs, without the outcomes (saved with the model)."""
    if kind == "sequence":
        return replace(background_sample(sets.train_seq, seed=seed), labels=None)
    return background_sample(sets.train[sets.feature_names], seed=seed)


def _auto_choice(model: object) -> dict[str, object]:
    """An ``auto`` model's choice and every candidate's inner-fold score, for the
    registry (empty for other models)."""
    if not hasattr(model, "choice_"):
        return {}
    tried = model.tried_  # type: ignore[attr-defined]
    rows = [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
        for r in tried.to_dict("records")
    ]
    return {"auto_choice": model.choice_, "auto_tried": rows}  # type: ignore[attr-defined]


def _refit_metadata(refit: SurvivalSets | None) -> dict[str, object]:
    """What the registered model learnt from, when it was refitted after the holdout:
    the metrics stored beside it are those of the fit on the training rows alone."""
    if refit is None:
        return {"refit": False}
    return {
        "refit": True,
        "refit_as_of": refit.train_as_of,
        "n_refit": len(refit.train),
        "events_refit": int(np.sum(refit.train[EVENT])),
        "metrics_of": "the fit on the training rows, measured on the holdout before the refit",
    }


def train(
    config: TrainConfig,
    *,
    source: str | None = None,
    home: str | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Run a training config end to end and register its model (see module docstring)."""
    say = progress or (lambda _msg: None)
    config = config.with_source(source)
    models = resolve_models(config)
    registry = ModelRegistry(home or attrition_home())
    registry.check_writable(config.name)  # before the minutes of training
    say("Loading data and building landmark sets")
    needs_sequences = any(m.input_kind == "sequence" for m in models.values())
    if needs_sequences and config.target == "flat":
        raise ConfigError("sequence models need monthly histories; target 'flat' has none")
    source = load_source(config)
    sets = build_sets(source, config, sequences=needs_sequences)
    say(
        f"{len(sets.train):,} training rows, {len(sets.test):,} test rows, "
        f"{len(sets.feature_names)} features"
        + (f"; {describe_landmarks(sets)}" if sets.train_as_of else "")
    )
    for note in sets.notes:
        say(note)
    tables, fitted = [], {}
    for label, model in models.items():
        say(f"Fitting {label}")
        t0 = time.perf_counter()
        fitted[label] = _fit(model, sets, config.split.early_stopping)
        fit_s = time.perf_counter() - t0
        if hasattr(fitted[label], "choice_"):  # auto: what it tried, and why it chose
            say(f"{label}: {fitted[label].choice_}")
        m = holdout_metrics(
            fitted[label],
            sets.train,
            sets.test,
            sets.inputs("test", model.input_kind),
            config.horizons,
            top=config.top_share,
        )
        tables.append(m.assign(model=label, fit_s=fit_s))
    metrics = pd.concat(tables, ignore_index=True)
    metrics = metrics[["model", *[c for c in metrics.columns if c != "model"]]]
    chosen = next(label for label in models if label.startswith("model:"))
    registered, refit = fitted[chosen], None
    if config.refit:
        # the holdout has been measured: now learn from every row, the newest included
        refit = refit_sets(source, config, sets, sequences=fitted[chosen].input_kind == "sequence")
        say(
            f"Refitting {chosen} on every row: {len(refit.train):,} rows"
            + (f", landmarks {', '.join(refit.train_as_of)}" if refit.train_as_of else "")
        )
        registered = _fit(clone(models[chosen]), refit, config.split.early_stopping)
        if hasattr(registered, "choice_"):
            say(f"{chosen} (refit): {registered.choice_}")
    seen = refit or sets
    record = registry.register(
        config.name,
        model=registered,
        config_yaml=config_to_yaml(config),
        metadata={
            "target": config.target,
            "entity": config.entity,
            "model_type": config.model.type,
            "model_label": chosen,
            "horizons": list(config.horizons),
            "feature_names": sets.feature_names,
            "catalogue_version": sets.catalogue_version,
            "train_as_of": sets.train_as_of,
            "test_as_of": sets.test_as_of,
            "n_train": len(sets.train),
            "n_test": len(sets.test),
            "events_train": int(np.sum(sets.train[EVENT])),
            "data_fingerprint": data_fingerprint(seen),
            "seed": config.seed,
            **(flat_feature_kinds(sets) if config.target == "flat" else {}),
            "notes": sets.notes,
            **_auto_choice(registered),
            **_refit_metadata(refit),
        },
        metrics=metrics,
        background=training_background(seen, registered.input_kind, config.seed),
        holdout_model=fitted[chosen] if refit is not None else None,
    )
    say(f"Registered {record.ref} at {record.path}")
    return TrainResult(record=record, metrics=metrics, sets=sets)
