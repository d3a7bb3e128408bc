"""Model types by name, so a YAML ``model: {type: ..., params: ...}`` picks a class.

Modules are imported only when their model is asked for (PyTorch takes seconds to
import and a Cox model does not need it).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from typing import Any

MODEL_TYPES: dict[str, str] = {
    "coxph": "survival.cox:CoxPHSurvival",
    "weibull_aft": "survival.weibull:WeibullAFTSurvival",
    "xgb_cox": "survival.boosting:GradientBoostedCoxSurvival",
    "logistic_hazard": "survival.logistic_hazard:LogisticHazardSurvival",
    "gru_hazard": "survival.sequence_hazard:GRUHazardSurvival",
    "ensemble": "survival.ensemble:EnsembleSurvival",
    "auto": "survival.auto:AutoSurvival",
}


class UnknownModelError(ValueError):
    """A model type or parameter that does not exist."""


def model_class(name: str) -> type:
    """The estimator class registered as ``name``."""
    if name not in MODEL_TYPES:
        raise UnknownModelError(
            f"unknown model type {name!r}; allowed: {', '.join(sorted(MODEL_TYPES))}"
        )
    module, _, cls = MODEL_TYPES[name].partition(":")
    return getattr(importlib.import_module(module), cls)


def make_model(name: str, params: Mapping[str, Any] | None = None) -> Any:
    """Build an unfitted model from its type name and keyword parameters.

    An ensemble takes ``members: [{type: ..., params: {...}}, ...]`` and optional
    ``weights``. Unknown parameter names raise :class:`UnknownModelError` listing the
    allowed ones (values are checked by the model's ``fit``).
    """
    cls = model_class(name)
    params = dict(params or {})
    if name == "ensemble":
        members = params.pop("members", None)
        if not members:
            raise UnknownModelError("an ensemble needs members: [{type: ..., params: ...}, ...]")
        built = []
        for i, m in enumerate(members):
            if not isinstance(m, Mapping) or "type" not in m:
                raise UnknownModelError(f"ensemble member {i} needs a 'type' key, got {m!r}")
            if m["type"] == "ensemble":
                raise UnknownModelError("an ensemble cannot contain another ensemble")
            built.append(make_model(m["type"], m.get("params")))
        params["members"] = built
    allowed = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise UnknownModelError(
            f"model {name!r} has no parameter(s) {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(allowed)}"
        )
    for key, value in params.items():
        if isinstance(value, list):  # YAML lists become tuples, as the estimators expect
            params[key] = tuple(value) if key != "members" else value
    return cls(**params)
