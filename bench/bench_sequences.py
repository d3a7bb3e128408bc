"""Sequence model speed: scoring throughput and training time of ``gru_hazard``.

Targets (issue 4): scoring at least 20,000 clients/s with hidden size 64 on this 2-core
CPU for 100k clients × 36 months, and training on 100k clients in under 10 minutes.
The same-run comparison is the tabular ``xgb_cox`` on the same rows (fit and predict).

Each case runs in a fresh process (peak memory is that process's maximum resident
set: bank, features, histories and model together).

Usage: python bench/bench_sequences.py [--clients 100000] [--max-epochs 20]
"""

from __future__ import annotations

import argparse

from _harness import header, run_case, table

CASE = """
import time
import numpy as np, torch
from attrition.config import parse_config
from attrition.pipeline.datasets import bank_sets, sequence_frame
from attrition.synthetic import generate_bank
from survival.catalog import make_model
torch.set_num_threads(2)
bank = generate_bank({n}, seed=1)
cfg = parse_config({{"name": "b", "target": "client_outflow", "seed": 1,
                    "model": {{"type": "gru_hazard"}}}})
t0 = time.perf_counter()
sets = bank_sets(bank.data, cfg)
t1 = time.perf_counter()
train_seq = sequence_frame(bank.data, cfg, sets.train, {months})
t2 = time.perf_counter()
gru = make_model("gru_hazard", {{"hidden_size": 64, "max_epochs": {epochs}, "patience": 3,
                                 "batch_size": 512, "seed": 1}})
gru.fit(train_seq, groups=sets.groups)
t3 = time.perf_counter()
# scoring: every client's full 36-month history at the last as-of month
last = bank.data.last_month
from attrition.features import build_features
t4 = time.perf_counter()
rows_now = build_features(bank.data, "client", [last])
seq = sequence_frame(bank.data, cfg, rows_now, 36)
t5 = time.perf_counter()
risk = gru.predict_risk(seq, 3)
t6 = time.perf_counter()
xgb = make_model("xgb_cox", {{"seed": 1}})
frame = sets.train[[*sets.feature_names, "duration", "event"]]
t7 = time.perf_counter()
xgb.fit(frame, groups=sets.groups)
t8 = time.perf_counter()
xgb.predict_risk(sets.test[sets.feature_names], 3)
t9 = time.perf_counter()
__result.update(
    train_rows=len(sets.train), features=len(train_seq.feature_names),
    landmark_s=t1 - t0, histories_s=t2 - t1, gru_fit_s=t3 - t2, gru_epochs=gru.n_epochs_,
    scored=len(seq), history_36m_s=t5 - t4, gru_score_s=t6 - t5,
    xgb_fit_s=t8 - t7, xgb_predict_s=t9 - t8, xgb_predict_rows=len(sets.test),
)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=100_000)
    ap.add_argument("--max-epochs", type=int, default=20)
    ap.add_argument("--months", type=int, default=12, help="history length for training")
    args = ap.parse_args()
    header("Sequence model speed (gru_hazard, hidden 64, CPU)")
    r = run_case(
        CASE.format(n=args.clients, epochs=args.max_epochs, months=args.months), timeout=3000
    )
    rows = [
        {
            "step": "landmark rows (features + labels)",
            "rows": r["train_rows"],
            "seconds": r["landmark_s"],
        },
        {
            "step": f"{args.months}-month histories of the training rows",
            "rows": r["train_rows"],
            "seconds": r["histories_s"],
        },
        {
            "step": f"GRU fit ({r['gru_epochs']} epochs, early stopping)",
            "rows": r["train_rows"],
            "seconds": r["gru_fit_s"],
        },
        {"step": "xgb_cox fit (same rows)", "rows": r["train_rows"], "seconds": r["xgb_fit_s"]},
        {
            "step": "36-month histories of every client (scoring input)",
            "rows": r["scored"],
            "seconds": r["history_36m_s"],
        },
        {
            "step": "GRU scoring, 36 months",
            "rows": r["scored"],
            "seconds": r["gru_score_s"],
            "entities/s": f"{r['scored'] / r['gru_score_s']:,.0f}",
        },
        {
            "step": "xgb_cox scoring",
            "rows": r["xgb_predict_rows"],
            "seconds": r["xgb_predict_s"],
            "entities/s": f"{r['xgb_predict_rows'] / r['xgb_predict_s']:,.0f}",
        },
    ]
    table(rows, ["step", "rows", "seconds", "entities/s"])
    print(f"Peak memory: {r['peak_rss_mb']:,.0f} MB; {r['features']} features per month.")


if __name__ == "__main__":
    main()
