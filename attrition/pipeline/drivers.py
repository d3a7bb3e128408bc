"""Drivers in plain words: explanations joined with the feature catalogue (en and zh).

``explain`` says which features raise a row's risk and by how much; this module says
it the way a branch head reads it ("AUM down 38% over 3 months" / "近3个月资产下降
38%"), from the catalogue's labels and value templates. Nothing here hard-codes the
wording of a feature. Flat-table models have no catalogue: their drivers carry the
column name as the label and ``name: value`` as the text.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from attrition.features import feature_info
from attrition.results import plain
from explain import RiskExplanation
from explain.gradient import HISTORY

# model-structure inputs that are not something anyone can act on
NOT_DRIVERS = frozenset({HISTORY})


def _words(entity: str | None, feature: str, value: Any) -> dict[str, str]:
    info = None
    if entity is not None:
        try:
            info = feature_info(entity, feature)
        except KeyError:
            info = None
    if info is None:
        shown = "no data" if value is None else value
        return {
            "label_en": feature,
            "label_zh": feature,
            "text_en": f"{feature}: {shown}",
            "text_zh": f"{feature}：{'无数据' if value is None else value}",
        }
    return {
        "label_en": info.label("en"),
        "label_zh": info.label("zh"),
        "text_en": info.render(value, "en"),
        "text_zh": info.render(value, "zh"),
    }


# contributions below this (0.01 percentage point of risk) are noise nobody acts on
MIN_CONTRIBUTION = 1e-4


def drivers_table(
    explanation: RiskExplanation,
    entity: str | None,
    *,
    k: int = 5,
    min_contribution: float = MIN_CONTRIBUTION,
) -> pd.DataFrame:
    """The ``k`` features that raise each row's risk most, with their wording.

    Parameters
    ----------
    explanation : explain.RiskExplanation
    entity : {"client", "rm"} or None
        Whose catalogue to read (None for flat-table models).
    k : int
    min_contribution : float
        Drivers adding less risk than this are left out.

    Returns
    -------
    DataFrame
        One row per (entity row, rank), indexed like the explanation; columns
        ``row`` (position in the explanation), ``rank``, ``feature``, ``value``,
        ``contribution`` (risk points at the explanation's horizon), ``direction``,
        ``label_en``, ``label_zh``, ``text_en``, ``text_zh``.
    """
    keep = [j for j, f in enumerate(explanation.feature_names) if f not in NOT_DRIVERS]
    if len(keep) < len(explanation.feature_names):
        names = tuple(explanation.feature_names[j] for j in keep)
        from dataclasses import replace

        explanation = replace(
            explanation,
            values=explanation.values[:, keep],
            log_values=explanation.log_values[:, keep],
            feature_names=names,
        )
    top = explanation.top_drivers(k=k, direction="up").drop(columns=["log_contribution"])
    top = top[top["contribution"] >= min_contribution]
    # object dtype: a missing value must stay None (JSON null), not become NaN
    top["value"] = pd.Series([plain(v) for v in top["value"]], index=top.index, dtype=object)
    words = [_words(entity, f, v) for f, v in zip(top["feature"], top["value"], strict=True)]
    # (named columns: a row set with no driver above the floor still has them)
    wording = pd.DataFrame(words, index=top.index, columns=list(_words(None, "", None)))
    return pd.concat([top, wording], axis=1)
