"""How good is the product on a bank other than its own? The gap to the oracle, per kind
of bank, and learning curves over bank size.

The synthetic generator is run with knobs a real bank differs in (mechanism strengths,
a regime change in the last year, a shorter history, fewer transaction kinds), several
seeds each. On every bank the shipped ``client_outflow`` config is trained exactly as
``attrition train`` does (its landmarks, split, RM-risk coupling and model; the
``compare`` models are left out for time) and its holdout is scored by three things:

- **naive**: the 3-month AUM drop (``-aum_change_3m``), what a branch would sort by
  without a model;
- **model**: the registered model's risk (the fit measured on the holdout);
- **oracle**: the generator's true hazards (``bench/_oracle.py``). At 1 month it is the
  true ceiling; at 3 months it also knows the path of the next two months, so no
  model can reach it.

Reported per kind of bank: time-dependent AUC at 1 and 3 months (mean ± sd over seeds),
the gap model → oracle, and the share of the way from naive to oracle the model covers.
Then the same for the default bank at 5k to 50k clients (the learning curve).

Usage: python bench/bench_banks.py [--seeds 1,2] [--clients 20000]
       [--sizes 5000,10000,20000,50000] [--only default,regime]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _harness import header, table
from _oracle import Oracle

warnings.filterwarnings("ignore")

HORIZONS = (1.0, 3.0)


def variants() -> dict[str, Callable[[int, int], Any]]:
    """Kinds of bank: (clients, seed) -> GeneratorConfig."""
    from attrition.synthetic import GeneratorConfig, MechanismStrengths

    end = pd.Period(GeneratorConfig().end_month, "M")

    def make(**knobs: Any) -> Callable[[int, int], Any]:
        return lambda n, seed: GeneratorConfig(n_clients=n, seed=seed, **knobs)

    return {
        "default": make(),
        "RM mechanisms weak (x0.3)": make(
            strengths=MechanismStrengths(
                rm_overload=0.3, rm_departure=0.3, book_outflow=0.3, peer_exits=0.3
            )
        ),
        "money mechanisms strong (x2), precursors weak (x0.5)": make(
            strengths=MechanismStrengths(
                payday_outflow=2.0, maturity=2.0, nav_drawdown=2.0, precursors=0.5
            )
        ),
        "24 months of history": make(months=24),
        **_regime_variants(make, end),
    }


def _regime_variants(make: Callable[..., Any], end: pd.Period) -> dict[str, Any]:
    """A thinner transaction feed. (A regime change in the last year is measured by
    ``bench_deploy.py``: the holdout of ``attrition train`` ends 12 months before the
    data does, so it cannot see the last year.)"""
    return {
        "transactions: payroll and transfers only": make(transaction_kinds=("payroll", "transfer")),
    }


class _Naive:
    """Sort by the 3-month AUM drop: risk = -aum_change_3m (missing: no drop)."""

    def predict_survival(self, X: pd.DataFrame, horizons: list[float]) -> pd.DataFrame:
        drop = -X["aum_change_3m"].fillna(0.0).to_numpy(float)
        p = 1.0 / (1.0 + np.exp(-drop))  # any increasing map: AUC reads the order only
        s = np.tile(1.0 - 0.5 * p[:, None], (1, len(horizons)))
        return pd.DataFrame(s, index=X.index, columns=horizons)


def _one_bank(gen: Any, tmp: Path) -> dict[str, float]:
    from attrition.config import SHIPPED_CONFIGS, load_config
    from attrition.io import write_tables
    from attrition.pipeline.evaluate import holdout_metrics
    from attrition.pipeline.train import train
    from attrition.synthetic import generate_bank

    bank = generate_bank(config=gen)
    source = Path(tempfile.mkdtemp(dir=tmp)) / "bank"
    write_tables(bank.data.tables, source)
    config = load_config(SHIPPED_CONFIGS / "client_outflow.yaml").model_copy(
        update={"compare": (), "refit": False, "seed": gen.seed}
    )
    result = train(config, source=str(source), home=str(tmp / "home"))
    sets = result.sets
    ours = result.metrics[result.metrics["model"] == f"model:{config.model.type}"]
    out = {f"model@{h:g}": float(ours.set_index("horizon").loc[h, "auc"]) for h in HORIZONS}
    for label, scorer in (
        ("naive", _Naive()),
        ("oracle", Oracle(bank.truth["client_hazard"], "client_id")),
    ):
        m = holdout_metrics(scorer, sets.train, sets.test, sets.test, HORIZONS).set_index("horizon")
        out.update({f"{label}@{h:g}": float(m.loc[h, "auc"]) for h in HORIZONS})
    out["test rows"] = len(sets.test)
    return out


def _attempt(gen: Any, tmp: Path) -> dict[str, Any]:
    """One bank, or why the shipped config cannot train on it (said, not hidden)."""
    from attrition.errors import AttritionError

    try:
        return _one_bank(gen, tmp)
    except AttritionError as exc:
        return {"failed": str(exc)}


def _row(label: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    failed = [r["failed"] for r in runs if "failed" in r]
    runs = [r for r in runs if "failed" not in r]
    if not runs:
        return {"bank": label, "seeds": f"0 ({failed[0][:120]})"}
    frame = pd.DataFrame(runs)
    row: dict[str, Any] = {"bank": label, "seeds": len(runs)}
    for h in HORIZONS:
        for who in ("naive", "model", "oracle"):
            v = frame[f"{who}@{h:g}"]
            row[f"{who} AUC@{h:g}"] = f"{v.mean():.3f} ± {v.std(ddof=1) if len(v) > 1 else 0:.3f}"
        gap = frame[f"oracle@{h:g}"] - frame[f"model@{h:g}"]
        way = (frame[f"model@{h:g}"] - frame[f"naive@{h:g}"]) / (
            frame[f"oracle@{h:g}"] - frame[f"naive@{h:g}"]
        )
        row[f"gap@{h:g}"] = f"{gap.mean():.3f} ± {gap.std(ddof=1) if len(gap) > 1 else 0:.3f}"
        row[f"way@{h:g}"] = f"{way.mean():.0%}"
    return row


COLUMNS = [
    "bank",
    "seeds",
    *[f"{w} AUC@1" for w in ("naive", "model", "oracle")],
    "gap@1",
    "way@1",
    *[f"{w} AUC@3" for w in ("naive", "model", "oracle")],
    "gap@3",
    "way@3",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--clients", type=int, default=20_000)
    ap.add_argument("--sizes", default="5000,10000,20000,50000")
    ap.add_argument("--only", default="", help="substrings of the bank kinds to run")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    header("The shipped client model on banks it was not built on: gap to the oracle")
    kinds = {
        k: v
        for k, v in variants().items()
        if not args.only or any(o in k for o in args.only.split(","))
    }
    rows, curve = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for label, make in kinds.items():
            runs = []
            for seed in seeds:
                t0 = time.perf_counter()
                runs.append(_attempt(make(args.clients, seed), Path(tmp)))
                print(
                    f"{label}, seed {seed}: {runs[-1]} ({time.perf_counter() - t0:.0f}s)",
                    flush=True,
                )
            rows.append(_row(label, runs))
        for n in (int(s) for s in args.sizes.split(",") if s):
            runs = [
                _attempt(kinds.get("default", variants()["default"])(n, s), Path(tmp))
                for s in seeds
            ]
            curve.append(_row(f"default, {n:,} clients", runs))
            print(f"learning curve {n:,}: done", flush=True)
    print(
        f"\n## {args.clients:,} clients per bank; AUC on the holdout "
        f"(mean ± sd over seeds {args.seeds})\n"
    )
    table(rows, COLUMNS)
    print("## Learning curve: the default bank by size\n")
    table(curve, COLUMNS)


if __name__ == "__main__":
    main()
