"""SHAP attributions for any ``survival`` model at a horizon, and ranked drivers.

Knows nothing about banks: it explains P(event by ``horizon``) of a fitted model in
terms of the model's own input features. Wording (labels, values rendered in English
or Chinese) is the caller's, from its feature catalogue.

>>> explainer = make_explainer(model, background=train_rows.sample(200), horizon=3)
>>> explanation = explainer(rows)            # a RiskExplanation
>>> explanation.top_drivers(k=3)             # entity, rank, feature, value, contribution
>>> explanation.global_importance()          # mean |contribution| per feature

Which explainer a model gets (:func:`make_explainer`):

==========================  =====================================  =========
model                       method                                 additive
==========================  =====================================  =========
``coxph``                   linear, exact (:mod:`explain.exact`)   exact
``xgb_cox``                 XGBoost TreeSHAP, exact                exact
``logistic_hazard``         expected gradients (:mod:`.gradient`)  rescaled
``gru_hazard``              expected gradients, per month          rescaled
anything else               permutation SHAP (:mod:`.agnostic`)    exact
==========================  =====================================  =========

"Exact" methods are checked at run time: base value + contributions must reproduce
the model's ``log(-log S(horizon))`` (raise :class:`AdditivityError` otherwise).
"""

from __future__ import annotations

import importlib
from typing import Any

from explain.base import AdditivityError, RiskExplainer
from explain.explanation import RiskExplanation

__all__ = [
    "AdditivityError",
    "RiskExplainer",
    "RiskExplanation",
    "explainer_class",
    "make_explainer",
]

# model class ("module:QualName") -> explainer class, looked up along the model's MRO
EXPLAINERS: dict[str, str] = {
    "survival.cox:CoxPHSurvival": "explain.exact:LinearRiskExplainer",
    "survival.boosting:GradientBoostedCoxSurvival": "explain.exact:TreeRiskExplainer",
    "survival.logistic_hazard:LogisticHazardSurvival": "explain.gradient:GradientRiskExplainer",
    "survival.sequence_hazard:GRUHazardSurvival": (
        "explain.gradient:SequenceGradientRiskExplainer"
    ),
}
FALLBACK = "explain.agnostic:PermutationRiskExplainer"


def explainer_class(model: Any) -> type[RiskExplainer]:
    """The explainer class for ``model`` (the permutation fallback when none is listed)."""
    target = FALLBACK
    for cls in type(model).__mro__:
        key = f"{cls.__module__}:{cls.__qualname__}"
        if key in EXPLAINERS:
            target = EXPLAINERS[key]
            break
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def make_explainer(model: Any, background: Any, *, horizon: float, **options: Any) -> RiskExplainer:
    """An explainer of P(event by ``horizon``) for a fitted ``model``.

    Parameters
    ----------
    model : fitted survival model
    background : DataFrame or SequenceFrame
        Typical rows (a sample of the training rows, a few hundred at most): what the
        base value averages over and what features are "compared with".
    horizon : float
        Within the model's follow-up (``model.max_duration_``).
    **options
        ``check_additivity``, ``tolerance``, ``model_version``, and per method
        ``nsamples``, ``max_background``, ``max_evals``, ``seed``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        For an unfitted model.
    survival.base.SurvivalDataError
        For a horizon outside the model's follow-up.
    """
    from sklearn.utils.validation import check_is_fitted

    from survival.auto import AutoSurvival
    from survival.base import check_horizons

    check_is_fitted(model)
    check_horizons(horizon, model.max_duration_)
    if isinstance(model, AutoSurvival):
        model = model.model_  # what it chose: a Cox model or trees get their exact explainer
    return explainer_class(model)(model, background, horizon=horizon, **options)
