"""A seeded, realistic bank-wide client scoring run for the store and API benchmarks.

The frames have the layout scoring returns (:mod:`attrition.results`): one score row
per client, five drivers and two actions each. The wording is the product's own: driver
labels and texts are rendered from the shipped feature catalogue (English and Chinese)
and actions come from the shipped playbook, so the text lengths are the real ones.
Built with numpy takes from small tables of distinct strings, so a million clients
(five million drivers) take seconds and little memory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition.features.catalogue import CATALOGUE
from attrition.playbook import load_playbook
from attrition.results import ScoringResult

AS_OF = "2026-09"
SEGMENTS = np.array(["mass", "affluent", "high_net_worth", "private"], dtype=object)
CLIENTS_PER_RM = 200
RMS_PER_BRANCH = 25
# distinct values (and so texts) drawn per feature: enough for varied, realistic rows
VALUES_PER_FEATURE = 64


def client_ids(n: int) -> np.ndarray:
    """The ids the run holds: 8 digits with leading zeros, as the synthetic bank's."""
    return np.char.zfill(np.arange(n).astype(str), 8).astype(object)


def _feature_value(unit: str, rng: np.random.Generator, size: int) -> np.ndarray:
    if unit == "currency":
        return rng.lognormal(12.5, 1.2, size).round(0)
    if unit in ("months", "days", "years", "count"):
        return rng.integers(0, 240, size).astype(float)
    if unit == "flag":
        return rng.integers(0, 2, size).astype(float)
    return rng.normal(0.0, 0.3, size).round(4)  # ratios and scores


def _driver_tables(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per (feature, value index): the feature, its value and its worded label and text."""
    infos = list(CATALOGUE["client"].values())
    cols: dict[str, list] = {
        k: []
        for k in ("feature", "value", "direction", "label_en", "label_zh", "text_en", "text_zh")
    }
    for info in infos:
        if info.unit == "category":
            values: list = list(rng.choice(SEGMENTS, VALUES_PER_FEATURE))
        else:
            values = [float(v) for v in _feature_value(info.unit, rng, VALUES_PER_FEATURE)]
        for v in values:
            cols["feature"].append(info.name)
            cols["value"].append(v)
            cols["direction"].append("down" if info.risk_direction == "down" else "up")
            cols["label_en"].append(info.label_en)
            cols["label_zh"].append(info.label_zh)
            cols["text_en"].append(info.render(v, "en"))
            cols["text_zh"].append(info.render(v, "zh"))
    return {k: np.array(v, dtype=object) for k, v in cols.items()}


def synthetic_run(n_clients: int, *, seed: int = 14) -> ScoringResult:
    """``n_clients`` clients' scores, five drivers and two actions each (seeded)."""
    rng = np.random.default_rng(seed)
    n = n_clients
    ids = client_ids(n)
    n_rms = max(1, n // CLIENTS_PER_RM)
    n_branches = max(1, n_rms // RMS_PER_BRANCH)
    rm = rng.integers(0, n_rms, n)
    rm_ids = np.char.add("RM", np.char.zfill(np.arange(n_rms).astype(str), 5)).astype(object)
    branch_ids = np.char.add("B", np.char.zfill(np.arange(n_branches).astype(str), 3))
    # a monthly hazard per client: a risk curve rising with the horizon
    hazard = rng.lognormal(-4.2, 0.9, n)
    risks = {f"risk_{m}m": 1.0 - np.exp(-hazard * m) for m in range(1, 13)}
    aum = rng.lognormal(13.0, 1.4, n).round(2)
    risk_3m = risks["risk_3m"]
    tier = np.where(risk_3m >= 0.20, "high", np.where(risk_3m >= 0.08, "medium", "low"))
    scores = pd.DataFrame(
        {
            "id": ids,
            "entity_type": "client",
            "as_of": AS_OF,
            "model": "client_outflow",
            "model_version": 3,
            **risks,
            "tier": tier.astype(object),
            "value_at_risk": (aum * risk_3m).round(2),
            "model_warning": None,
            "model_warning_zh": None,
            "branch_id": branch_ids.astype(object)[rm % n_branches],
            "rm_id": rm_ids[rm],
            "segment": SEGMENTS[rng.integers(0, len(SEGMENTS), n)],
            "aum": aum,
            "grade": None,
            "book_size": np.nan,
            "book_aum": np.nan,
        }
    )
    table = _driver_tables(rng)
    n_features = len(table["feature"]) // VALUES_PER_FEATURE
    # five distinct features per client: a random start and a stride coprime to the count
    start = rng.integers(0, n_features, n)
    step = 7 if n_features % 7 else 5
    feature = (start[:, None] + step * np.arange(5)[None, :]) % n_features
    pick = (feature * VALUES_PER_FEATURE + rng.integers(0, VALUES_PER_FEATURE, (n, 5))).ravel()
    contribution = np.sort(rng.exponential(0.02, (n, 5)), axis=1)[:, ::-1].ravel().round(6)
    drivers = pd.DataFrame(
        {
            "id": np.repeat(ids, 5),
            "entity_type": "client",
            "rank": np.tile(np.arange(1, 6), n),
            **{c: table[c][pick] for c in ("feature", "value")},
            "contribution": contribution,
            **{
                c: table[c][pick]
                for c in ("direction", "label_en", "label_zh", "text_en", "text_zh")
            },
        }
    )
    book = load_playbook()
    # rank 1: a playbook rule resting on a driver; rank 2: the tier's default action
    menu = [r for r in book.rules if r.entity == "client"]
    tiers = ("high", "medium", "low")
    menu += [book.defaults["client"][t] for t in tiers]
    rule = rng.integers(0, len(menu) - len(tiers), n)
    default = len(menu) - len(tiers) + np.select([tier == t for t in tiers], [0, 1, 2])
    pick = np.empty(2 * n, dtype=np.int64)
    pick[0::2], pick[1::2] = rule, default

    def column(attr: str, dtype: object = object) -> np.ndarray:
        return np.array([getattr(a, attr, None) for a in menu], dtype=dtype)[pick]

    actions = pd.DataFrame(
        {
            "id": np.repeat(ids, 2),
            "entity_type": "client",
            "rank": np.tile([1, 2], n),
            "action_id": column("id"),
            "priority": column("priority", np.int64),
            "effect": column("effect", np.float64),
            "en": column("en"),
            "zh": column("zh"),
            "because": column("feature"),
            "remote": column("remote", bool),
        }
    )
    return ScoringResult(scores, drivers, actions)
