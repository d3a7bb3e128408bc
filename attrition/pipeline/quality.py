"""Is a model good enough to act on? The holdout's verdict, in plain words.

A model whose holdout ranking is near chance, or whose holdout had too few events to
measure anything, still produces tidy tiers and actions; a branch head or HR cannot
tell. Training and scoring both ask :func:`weakness` and say its answer (the config's
``quality`` section sets the bar; the RM config says how small a bank is too small).
"""

from __future__ import annotations

import math

import pandas as pd

from attrition.config import QualityConfig
from attrition.registry import ModelRecord

# the verdict in each language a report or the API speaks; the same facts in each
TEXT = {
    "no_metrics": {
        "en": "no holdout metrics were stored with the model, so its quality is unknown",
        "zh": "模型未保存留出集指标，质量未知",
    },
    "few_events": {
        "en": "its holdout had only {events} events (fewer than {bar}): too few to tell a "
        "good ranking from luck",
        "zh": "其留出集仅有{events}个事件（少于{bar}个）：不足以区分真实的排序能力与运气",
    },
    "unmeasured": {"en": "could not be measured", "zh": "无法计算"},
    "measured": {"en": "was {c:.3f}", "zh": "为{c:.3f}"},
    "weak_c": {
        "en": "its holdout C-index at horizon {h:g} {shown} (0.5 is chance, the bar is "
        "{bar:g}): its ranking is too weak to act on",
        "zh": "其留出集在第{h:g}期的C指数{shown}（0.5为随机水平，门槛为{bar:g}）："
        "排序能力太弱，不足以据此行动",
    },
    "and": {"en": "; ", "zh": "；"},
    "advice": {
        "en": "train on more history or a larger population before acting on it",
        "zh": "请用更长的历史或更大的群体重新训练后再据此行动",
    },
    "weak_model": {"en": "{ref} is a weak model: {why}", "zh": "{ref}为弱模型：{why}"},
    "inherited": {
        "en": "its input '{feature}' comes from {ref}, a weak model, so no action rests on it",
        "zh": "其输入“{feature}”来自弱模型{ref}，不据此建议任何行动",
    },
    "of_model": {"en": "{ref}: {why}", "zh": "{ref}：{why}"},
}
LANGUAGES = ("en", "zh")


def _say(key: str, lang: str, **values: object) -> str:
    return TEXT[key][lang].format(**values)


def weakness(
    metrics: pd.DataFrame,
    quality: QualityConfig,
    *,
    model: str | None = None,
    horizon: float | None = None,
    lang: str = "en",
) -> str | None:
    """Why the holdout says not to trust a model (in ``lang``: en or zh), or None
    when it passes.

    Parameters
    ----------
    metrics : DataFrame
        Holdout metrics (``attrition train`` / ``metrics.csv``): ``horizon``,
        ``c_harrell``, ``events_test`` and, for several models, ``model``.
    quality : QualityConfig
    model : str, optional
        The row label of the model judged (``model:...``); all rows when None.
    horizon : float, optional
        The horizon whose C-index counts (the nearest evaluated one); by default the
        middle one.
    lang : {"en", "zh"}
    """
    if model is not None and "model" in metrics.columns:
        metrics = metrics[metrics["model"] == model]
    if metrics.empty:
        return _say("no_metrics", lang)
    reasons = []
    events = int(metrics["events_test"].iloc[0])
    if events < quality.min_holdout_events:
        reasons.append(_say("few_events", lang, events=events, bar=quality.min_holdout_events))
    hs = metrics["horizon"].to_numpy(dtype=float)
    if horizon is None:
        row = metrics.iloc[len(metrics) // 2]
    else:
        row = metrics.iloc[int(abs(hs - horizon).argmin())]
    c = float(row["c_harrell"])
    if math.isnan(c) or c < quality.min_c_index:
        shown = _say("unmeasured", lang) if math.isnan(c) else _say("measured", lang, c=c)
        reasons.append(
            _say("weak_c", lang, h=float(row["horizon"]), shown=shown, bar=quality.min_c_index)
        )
    if not reasons:
        return None
    return _say("and", lang).join([*reasons, _say("advice", lang)])


def model_warning(record: ModelRecord, horizon: float, lang: str = "en") -> str | None:
    """:func:`weakness` of a registered model, worded with its reference."""
    why = weakness(
        record.metrics,
        record.config.quality,
        model=record.metadata.get("model_label"),
        horizon=horizon,
        lang=lang,
    )
    return None if why is None else _say("weak_model", lang, ref=record.ref, why=why)


def inherited_warning(
    own: str | None, ref: str, feature: str, weak_input: str, lang: str = "en"
) -> str:
    """A model's warning with one more reason: an input of it (``feature``, its label
    in ``lang``) comes from the weak model ``weak_input``, so no action rests on it."""
    inherited = _say("inherited", lang, feature=feature, ref=weak_input)
    if own:
        return own + _say("and", lang) + inherited
    return _say("of_model", lang, ref=ref, why=inherited)
