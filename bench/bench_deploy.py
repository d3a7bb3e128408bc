"""Scored at the data's last month, checked against the months after: does the refit on
the newest landmarks pay?

A bank is generated four months longer than it is loaded: ``as_loaded_at`` cuts its
tables at the end of month M (what the bank would have had on that day), the shipped
RM and client configs are trained on the cut bank and ``score_bank`` scores every client
at M, as a bank running the product would. The months after M (kept aside) give each
client's outcome: time-dependent AUC at 1 and 3 months of

- **naive**: the 3-month AUM drop at M;
- **no refit**: the registered model is the fit measured on the holdout (``refit:
  false``; its newest training landmark is M - 12 - 3 or older);
- **refit**: the shipped default, refitted on every landmark up to M - 1;
- **oracle**: the generator's true hazards after M (the 1-month figure is the ceiling).

Usage: python bench/bench_deploy.py [--seeds 1,2] [--clients 20000] [--regime]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _harness import header, table
from _oracle import Oracle

warnings.filterwarnings("ignore")

HORIZONS = (1.0, 3.0)
AFTER = 4  # months generated beyond the load date (the 3-month AUC needs follow-up past 3)


def _auc(risk: pd.Series, labels: pd.DataFrame, h: float) -> float:
    from survival.metrics import cumulative_dynamic_auc

    t = labels["duration"].to_numpy(float)
    e = labels["event"].to_numpy(bool)
    return float(cumulative_dynamic_auc(t, e, t, e, risk.to_numpy(float), np.asarray([h]))[0][0])


def _scores(source: Path, loaded: Any, home: Path, refit: bool) -> pd.DataFrame:
    """Train both shipped configs on the loaded bank, score its clients at its last month."""
    from attrition.config import SHIPPED_CONFIGS, load_config
    from attrition.pipeline.score import score_bank
    from attrition.pipeline.train import train

    for name in ("rm_resignation", "client_outflow"):
        config = load_config(SHIPPED_CONFIGS / f"{name}.yaml").model_copy(
            update={"compare": (), "refit": refit}
        )
        train(config, source=str(source), home=str(home))
    scores = score_bank(loaded, home=home, top_k=1).scores
    return scores[scores["entity_type"] == "client"].set_index("id")


def _one_bank(n: int, seed: int, regime: bool, tmp: Path) -> dict[str, float]:
    from attrition.features import build_features
    from attrition.io import write_tables
    from attrition.labels import client_outflow_labels
    from attrition.synthetic import GeneratorConfig, Regime, as_loaded_at, generate_bank

    base = GeneratorConfig()
    cut = pd.Period(base.end_month, "M")
    knobs: dict[str, Any] = {"regime": Regime("sell_off", str(cut - 8))} if regime else {}
    full = generate_bank(
        config=GeneratorConfig(
            n_clients=n, seed=seed, months=base.months + AFTER, end_month=str(cut + AFTER), **knobs
        )
    )
    loaded = as_loaded_at(full.data, cut)
    source = Path(tempfile.mkdtemp(dir=tmp)) / "bank"
    write_tables(loaded.tables, source)
    labels = client_outflow_labels(full.data, [cut])
    labels.index = labels.index.get_level_values(0).astype(str)
    risks: dict[str, dict[float, pd.Series]] = {}
    for label, refit in (("no refit", False), ("refit", True)):
        s = _scores(source, loaded, Path(tempfile.mkdtemp(dir=tmp)), refit)
        risks[label] = {h: s[f"risk_{int(h)}m"] for h in HORIZONS}
    ids = labels.index.intersection(risks["refit"][1.0].index)
    X = build_features(loaded, "client", [cut])
    drop = -X["aum_change_3m"].fillna(0.0)
    drop.index = X.index.get_level_values(0).astype(str)
    risks["naive"] = {h: drop for h in HORIZONS}
    keyed = X.iloc[:0].reindex(
        pd.MultiIndex.from_arrays([ids, [cut] * len(ids)], names=["client_id", "as_of"])
    )
    oracle = 1.0 - Oracle(full.truth["client_hazard"], "client_id").predict_survival(
        keyed, list(HORIZONS)
    )
    oracle.index = ids
    risks["oracle"] = {h: oracle[h] for h in HORIZONS}
    out: dict[str, float] = {"clients": len(ids)}
    for label, by_h in risks.items():
        for h in HORIZONS:
            out[f"{label}@{h:g}"] = _auc(by_h[h].reindex(ids), labels.loc[ids], h)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--clients", type=int, default=20_000)
    ap.add_argument(
        "--regime", action="store_true", help="also a bank with a sell-off 8 months before"
    )
    args = ap.parse_args()
    header("Scored at the last month, checked against the 3 months after")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for regime in (False, True) if args.regime else (False,):
            runs = []
            for seed in (int(s) for s in args.seeds.split(",")):
                t0 = time.perf_counter()
                runs.append(_one_bank(args.clients, seed, regime, Path(tmp)))
                kind = " (sell-off)" if regime else ""
                took = time.perf_counter() - t0
                print(f"seed {seed}{kind}: {took:.0f}s {runs[-1]}", flush=True)
            frame = pd.DataFrame(runs)
            for who in ("naive", "no refit", "refit", "oracle"):
                row: dict[str, Any] = {
                    "bank": "sell-off 8 months before" if regime else "default",
                    "scored by": who,
                }
                for h in HORIZONS:
                    v = frame[f"{who}@{h:g}"]
                    row[f"AUC@{h:g}"] = f"{v.mean():.3f} ± {v.std(ddof=1) if len(v) > 1 else 0:.3f}"
                rows.append(row)
    print(f"\n## {args.clients:,} clients, seeds {args.seeds}: mean ± sd over seeds\n")
    table(rows, ["bank", "scored by", "AUC@1", "AUC@3"])


if __name__ == "__main__":
    main()
