"""What if a manager acted? One entity's risk with some actionable features changed.

The question starts from the inputs the entity was scored with (kept with the stored
run), sets the named features and the features the catalogue says move with them
(``actionable.moves``: a smaller book also lowers the workload and raises contacts per
client), and predicts again with the same model version. Only features the catalogue
marks ``actionable`` may be set, within the catalogue's bounds, and only features the
model reads: changing anything else would change nothing and look like an answer.

The answer holds the risk curve before and after (before equals the stored scores:
the same model on the same values), every feature that changed and why, and the top
drivers of the new state. Tiers are not recomputed: a tier is the entity's place in its
branch's list, which one changed entity does not move.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from attrition.errors import WhatIfError
from attrition.features.catalogue import CATALOGUE
from attrition.pipeline.score import explain_rows, risk_curve
from attrition.registry import ModelRecord


@dataclass(frozen=True)
class WhatIf:
    """``before`` and ``after``: risk_1m..risk_12m; ``changed``: feature, before, after,
    ``because`` (``set`` or the feature it moved with); ``drivers``: top drivers after
    (:data:`~attrition.results.DRIVER_COLUMNS`)."""

    before: pd.Series
    after: pd.Series
    changed: pd.DataFrame
    drivers: pd.DataFrame


def levers(entity: str, record: ModelRecord) -> list[str]:
    """The actionable features that ``record``'s model reads."""
    reads = set(record.metadata.get("feature_names", []))
    return [n for n, f in CATALOGUE[entity].items() if f.actionable and n in reads]


def _check(entity: str, record: ModelRecord, overrides: Mapping[str, float]) -> None:
    """Every problem with the overrides at once."""
    reads = set(record.metadata.get("feature_names", []))
    usable = levers(entity, record)
    problems: dict[str, str] = {}
    if not overrides:
        problems["overrides"] = f"name at least one feature; {record.ref} can change {usable}"
    for name, value in overrides.items():
        info = CATALOGUE[entity].get(name)
        if info is None or info.actionable is None:
            problems[name] = f"not an actionable {entity} feature; actionable here: {usable}"
        elif name not in reads:
            problems[name] = f"{record.ref} does not read it, so changing it changes nothing"
        elif not isinstance(value, int | float) or not math.isfinite(value):
            problems[name] = f"expected a number, got {value!r}"
        elif not info.actionable.min <= value <= info.actionable.max:
            lever = info.actionable
            problems[name] = f"expected a value from {lever.min:g} to {lever.max:g}, got {value:g}"
    if problems:
        raise WhatIfError(problems)


def _frame(entity: str, values: pd.Series, columns: list[str], entity_id: str) -> pd.DataFrame:
    """One model-input row with the dtypes scoring gave it (numbers as floats,
    categories as text)."""
    cats = {n for n, f in CATALOGUE[entity].items() if f.unit == "category"}
    row = {c: pd.Series([values.get(c)], dtype=object if c in cats else float) for c in columns}
    return pd.DataFrame(row).set_axis(pd.Index([entity_id]))


def _moved(
    entity: str, before: pd.DataFrame, overrides: Mapping[str, float]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The row after the overrides, and why each feature changed."""
    after = before.copy()
    because: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name, value in overrides.items():
        after[name] = float(value)
        because[name] = "set"
    for name, value in overrides.items():
        lever = CATALOGUE[entity][name].actionable
        old = float(before[name].iloc[0])
        for target, rule in lever.moves if lever else ():
            if target in overrides or target not in after.columns:
                continue  # set explicitly, or not read by this model
            if not old or math.isnan(old):
                problems[name] = f"{target} moves with it in proportion, which {old:g} cannot set"
                continue
            factor = float(value) / old
            after[target] = before[target] * (factor if rule == "scale" else 1 / factor)
            because[target] = name
    if problems:
        raise WhatIfError(problems)
    return after, because


def what_if(
    record: ModelRecord,
    entity: str,
    entity_id: str,
    inputs: pd.Series,
    overrides: Mapping[str, float],
    *,
    horizon: int,
    top_k: int = 5,
) -> WhatIf:
    """``entity_id``'s risk with ``overrides`` applied to its stored ``inputs``.

    Raises
    ------
    WhatIfError
        Every feature that is not actionable, not read by the model or out of the
        catalogue's bounds, at once.
    """
    _check(entity, record, overrides)
    model = record.load_model()
    columns = list(record.metadata["feature_names"])
    before = _frame(entity, inputs, columns, entity_id)
    after, because = _moved(entity, before, overrides)
    both = pd.concat([before, after])
    risks = risk_curve(model, both, pd.Index(["before", "after"]))
    tier = pd.Series(["high"], index=pd.Index([entity_id]))
    drivers = explain_rows(
        model, after, tier, entity, horizon, record.ref, top_k, 0, record.background()
    )
    names = list(because)
    changed = pd.DataFrame(
        {
            "feature": names,
            "before": [_value(before[n].iloc[0]) for n in names],
            "after": [_value(after[n].iloc[0]) for n in names],
            "because": [because[n] for n in names],
        }
    )
    return WhatIf(risks.loc["before"], risks.loc["after"], changed, drivers)


def _value(v: object) -> float | None:
    v = float(v)  # type: ignore[arg-type]
    return None if np.isnan(v) else v
