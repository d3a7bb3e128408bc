"""Calibration of the shipped bank models: ECE at 3 months on the holdout, per bank.

Trains the shipped ``client_outflow`` and ``rm_resignation`` configs with
``attrition.pipeline.train`` (every model each config compares, on the same rows) on the
demo's synthetic bank (generator defaults: 20,000 clients, seed 0) and on banks of other
generator seeds, and prints each model's expected calibration error at 3 months on the
holdout (the gap between predicted and Kaplan–Meier observed risk, weighted over risk
deciles), with Harrell's C and the holdout's events for scale. The bar (shared/QUALITY.md,
issue 16): 0.02. The demo's bank has about 80 RMs and a handful of held-out
resignations, too few to read a calibration from, so the RM config is also trained on a
bank built for RMs (100,000 clients, 60 per RM: about 2,600 RMs, as ``bench_models.py``
does).

Usage: python bench/bench_calibration.py [--seeds 0,1] [--clients 20000]
       [--rm-clients 100000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

from _harness import header, table

warnings.filterwarnings("ignore")

BAR = 0.02
CONFIGS = ("client_outflow", "rm_resignation")


def _trained(name: str, kind: str, seed: int, source: Path, home: Path) -> list[dict]:
    from attrition.config import SHIPPED_CONFIGS, load_config
    from attrition.pipeline.train import train

    config = load_config(SHIPPED_CONFIGS / f"{name}.yaml").model_copy(
        update={"refit": False}  # the holdout is measured before any refit
    )
    t0 = time.perf_counter()
    result = train(config, source=str(source), home=str(home))
    print(
        f"{kind} bank, seed {seed}, {name}: trained in {time.perf_counter() - t0:.0f}s", flush=True
    )
    at3 = result.metrics[result.metrics["horizon"] == 3.0]
    return [
        {
            "bank": f"{kind}, seed {seed}",
            "config": name,
            "model": r.model,
            "holdout events ≤ 3 months": int(r.events_by_horizon),
            "Harrell C": float(r.c_harrell),
            "ECE @3": float(r.ece),
            f"over {BAR}": "yes" if r.ece > BAR else "",
        }
        for r in at3.itertuples()
    ]


def main() -> None:
    from attrition.io import write_tables
    from attrition.synthetic import GeneratorConfig, generate_bank

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="0,1", help="generator seeds (0 is the demo's bank)")
    ap.add_argument("--clients", type=int, default=GeneratorConfig().n_clients)
    ap.add_argument("--rm-clients", type=int, default=100_000)
    args = ap.parse_args()
    header("Calibration of the shipped bank models (ECE at 3 months, holdout)")
    rows = []
    banks = [
        ("demo-sized", CONFIGS, {"n_clients": args.clients}),
        (
            "RM-rich",
            ("rm_resignation",),
            {"n_clients": args.rm_clients, "clients_per_rm": 60, "rm_capacity": 72},
        ),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for seed in (int(s) for s in args.seeds.split(",")):
            for kind, names, knobs in banks:
                bank = generate_bank(config=GeneratorConfig(seed=seed, **knobs))
                source = Path(tmp) / f"{kind}{seed}"
                write_tables(bank.data.tables, source)
                for name in names:
                    rows += _trained(name, kind, seed, source, Path(tmp) / "home")
    print()
    table(rows, list(rows[0]))


if __name__ == "__main__":
    main()
