"""What scoring returns: scores with scalar columns, and long tables of drivers and actions.

Data crosses module boundaries as these typed frames; JSON is made only at the edges:
:meth:`ScoringResult.to_export` writes the file layout (one row per entity, drivers
and actions as JSON lists) and :meth:`ScoringResult.from_export` reads it back.

``scores`` (one row per entity, RMs first): :data:`SCORE_COLUMNS`. Clients fill
``rm_id`` (the owning RM at the as-of), ``branch_id``, ``segment`` and ``aum``; RMs fill
``branch_id``, ``grade``, ``book_size`` and ``book_aum``; the other population's
columns are empty. A flat-table model's scores have ``risk_<h>`` columns in the
table's own unit instead of ``risk_1m`` .. ``risk_12m``.

``drivers`` (:data:`DRIVER_COLUMNS`): one row per entity and rank (1 = the feature
adding most risk). ``actions`` (:data:`ACTION_COLUMNS`): one row per entity and rank
(1 = most urgent). ``inputs``: per population, the feature values the model read (one
row per scored id, the model's columns), kept with a stored run so that a what-if
question starts from exactly what was scored; tabular models only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

MONTHS = tuple(range(1, 13))
RISK_COLUMNS = [f"risk_{m}m" for m in MONTHS]
KEY = ["id", "entity_type"]
SCORE_COLUMNS = [
    "id",
    "entity_type",
    "as_of",
    "model",
    "model_version",
    *RISK_COLUMNS,
    "tier",
    "value_at_risk",
    "model_warning",
    "model_warning_zh",
    "branch_id",
    "rm_id",
    "segment",
    "aum",
    "grade",
    "book_size",
    "book_aum",
]
DRIVER_COLUMNS = [
    *KEY,
    "rank",
    "feature",
    "value",
    "contribution",
    "direction",
    "label_en",
    "label_zh",
    "text_en",
    "text_zh",
]
ACTION_COLUMNS = [
    *KEY,
    "rank",
    "action_id",
    "priority",
    "effect",
    "en",
    "zh",
    "because",
    "remote",
]
# the export's JSON items: drivers and actions as their tables hold them, less the key
_DRIVER_ITEM = DRIVER_COLUMNS[3:]
_ACTION_ITEM = {"action_id": "id", **{c: c for c in ACTION_COLUMNS[4:]}}


def empty_drivers() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in DRIVER_COLUMNS})


def empty_actions() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ACTION_COLUMNS})


def plain(value: Any) -> Any:
    """A JSON-ready scalar: numpy numbers as Python ones, NaN and missing as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def number(value: Any) -> float | None:
    """A float, or None for a missing value."""
    value = plain(value)
    return None if value is None else float(value)


@dataclass(frozen=True)
class ScoringResult:
    """One scoring run: ``scores``, ``drivers``, ``actions``, plain-language ``notes``
    (weak models, entities left out and why) and the model ``inputs`` by population."""

    scores: pd.DataFrame
    drivers: pd.DataFrame = field(default_factory=empty_drivers)
    actions: pd.DataFrame = field(default_factory=empty_actions)
    notes: tuple[str, ...] = ()
    inputs: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    # what a bank run keeps for POST /v1/score (attrition.pipeline.references): long
    # rows entity_type, id, name, value; None for results that have none
    references: pd.DataFrame | None = None

    def of(self, entity: str) -> ScoringResult:
        """The rows of one population (``client``, ``rm`` or ``flat``)."""
        return ScoringResult(
            self.scores[self.scores["entity_type"] == entity].reset_index(drop=True),
            self.drivers[self.drivers["entity_type"] == entity].reset_index(drop=True),
            self.actions[self.actions["entity_type"] == entity].reset_index(drop=True),
            self.notes,
            {e: x for e, x in self.inputs.items() if e == entity},
        )

    def first_actions(self) -> pd.DataFrame:
        """Each entity's most urgent action, indexed by (``id``, ``entity_type``)."""
        first = self.actions[self.actions["rank"] == 1]
        return first.set_index(KEY)

    def items(self, table: str, entity_id: str, entity_type: str) -> list[dict[str, Any]]:
        """One entity's drivers or actions as plain dicts, in rank order."""
        frame = self.drivers if table == "drivers" else self.actions
        rows = frame[(frame["id"] == entity_id) & (frame["entity_type"] == entity_type)]
        return _items(rows.sort_values("rank"), table)

    def to_export(self) -> pd.DataFrame:
        """The file layout: the scores with ``drivers`` and ``actions`` as JSON lists
        (rank order) after the scalar columns."""
        out = self.scores.copy()
        key = pd.MultiIndex.from_frame(out[KEY].astype(str))
        for table, frame in (("drivers", self.drivers), ("actions", self.actions)):
            lists = _json_lists(frame, table)
            out[table] = lists.reindex(key).fillna("[]").to_numpy()
        return out

    @classmethod
    def from_export(cls, frame: pd.DataFrame) -> ScoringResult:
        """Read back :meth:`to_export` (the JSON is parsed here, at the edge)."""
        scores = frame.drop(columns=[c for c in ("drivers", "actions") if c in frame.columns])
        if "model_warning" in scores.columns and "model_warning_zh" not in scores.columns:
            # a file written before warnings were kept in Chinese too
            scores = scores.assign(model_warning_zh=None)
        parts: dict[str, pd.DataFrame] = {}
        for table, columns in (("drivers", DRIVER_COLUMNS), ("actions", ACTION_COLUMNS)):
            rows = []
            if table in frame.columns:
                for i, e, text in zip(frame["id"], frame["entity_type"], frame[table], strict=True):
                    for rank, item in enumerate(json.loads(text or "[]"), start=1):
                        if table == "actions":
                            item = {k: item.get(v) for k, v in _ACTION_ITEM.items()}
                        rows.append({"id": str(i), "entity_type": e, "rank": rank, **item})
            part = pd.DataFrame(rows, columns=columns) if rows else None
            parts[table] = part if part is not None else pd.DataFrame(columns=columns)
        notes = tuple(dict.fromkeys(scores["model_warning"].dropna())) if "model_warning" in (
            scores.columns
        ) else ()
        return cls(scores.reset_index(drop=True), parts["drivers"], parts["actions"], notes)


def _items(rows: pd.DataFrame, table: str) -> list[dict[str, Any]]:
    if table == "drivers":
        records = rows[_DRIVER_ITEM].to_dict("records")
    else:
        records = rows[list(_ACTION_ITEM)].rename(columns=_ACTION_ITEM).to_dict("records")
    return [{k: plain(v) for k, v in r.items()} for r in records]


def _json_lists(frame: pd.DataFrame, table: str) -> pd.Series:
    """Per (id, entity_type), its rows of ``frame`` as one JSON list in rank order."""
    if frame.empty:
        return pd.Series(dtype=object, index=pd.MultiIndex.from_arrays([[], []]))
    frame = frame.reset_index(drop=True).sort_values([*KEY, "rank"], kind="stable")
    keys = list(zip(frame["id"].astype(str), frame["entity_type"], strict=True))
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for k, item in zip(keys, _items(frame, table), strict=True):
        if table == "drivers" and isinstance(item.get("contribution"), float):
            item["contribution"] = round(item["contribution"], 4)
        out.setdefault(k, []).append(item)
    return pd.Series(
        [json.dumps(v, ensure_ascii=False) for v in out.values()],
        index=pd.MultiIndex.from_tuples(list(out)),
        dtype=object,
    )


def concat(results: Iterable[ScoringResult]) -> ScoringResult:
    """Several populations' results as one (in the given order)."""
    results = list(results)
    notes = tuple(dict.fromkeys(n for r in results for n in r.notes))
    if not results:
        return ScoringResult(pd.DataFrame(columns=SCORE_COLUMNS), notes=notes)
    return ScoringResult(
        pd.concat([r.scores for r in results], ignore_index=True),
        pd.concat([r.drivers for r in results], ignore_index=True),
        pd.concat([r.actions for r in results], ignore_index=True),
        notes,
        {e: x for r in results for e, x in r.inputs.items()},
    )
