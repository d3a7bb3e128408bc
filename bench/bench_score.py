"""Scoring speed: a 100k-client bank scored, explained and given actions.

Target (issue 5): 100k clients scored, explained and given actions in under 3
minutes. The models are the shipped configs (``rm_resignation.yaml``: penalised Cox;
``client_outflow.yaml``: ``xgb_cox`` with the RM flight risk), trained first on the
same bank (not timed in the target). Timed: ``score_bank`` end to end (RM features
and scores, client features with the RM risk, risks at 12 horizons, SHAP drivers
worded in English and Chinese, playbook tiers and actions, RM value at risk from the
client model) and the weekly contact plan. Same run, the obvious alternative: the
bare model predictions (``predict_survival`` on prebuilt features), to show what the
drivers and actions cost on top.

Usage: python bench/bench_score.py [--clients 100000]
"""

from __future__ import annotations

import argparse

from _harness import header, run_case, table

CASE = """
import time, tempfile
from pathlib import Path
from attrition.config import SHIPPED_CONFIGS, load_config
from attrition.features import build_features
from attrition.io import load_bank, write_tables
from attrition.pipeline.plan import contact_plan
from attrition.pipeline.score import score_bank
from attrition.pipeline.train import train
from attrition.playbook import load_playbook
from attrition.registry import ModelRegistry
from attrition.synthetic import generate_bank

work = Path(tempfile.mkdtemp())
bank = generate_bank({n}, seed=5)
write_tables(bank.data.tables, work / "bank")
data = load_bank(str(work / "bank"))
t0 = time.perf_counter()
for name in ("rm_resignation", "client_outflow"):
    train(load_config(SHIPPED_CONFIGS / f"{{name}}.yaml"), source=str(work / "bank"),
          home=str(work))
t1 = time.perf_counter()
scores = score_bank(data, home=work)
t2 = time.perf_counter()
plan = contact_plan(scores, data, load_playbook())
t3 = time.perf_counter()
# the bare alternative: features, then predictions only
registry = ModelRegistry(work)
rm_model = registry.get("rm_resignation").load_model()
client_model = registry.get("client_outflow").load_model()
t4 = time.perf_counter()
rm_x = build_features(data, "rm", [data.last_month])
rm_risk = rm_model.predict_risk(rm_x[list(rm_model.feature_names_in_)], 3)
rm_risk.index = rm_risk.index.get_level_values(0).astype(str)
cx = build_features(data, "client", [data.last_month], rm_risk=rm_risk)
client_model.predict_survival(cx[list(client_model.feature_names_in_)], list(range(1, 13)))
t5 = time.perf_counter()
__result.update(
    clients=int((scores.scores["entity_type"] == "client").sum()),
    rms=int((scores.scores["entity_type"] == "rm").sum()),
    train_s=t1 - t0, score_s=t2 - t1, plan_s=t3 - t2, bare_s=t5 - t4,
    contacts=int((~plan["assignee"].isin(["remote_team", "branch_head", "waiting"])).sum()),
    overflow=int(plan["assignee"].isin(["remote_team", "branch_head", "waiting"]).sum()),
)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=100_000)
    args = ap.parse_args()
    header("Scoring speed (attrition score + plan)")
    r = run_case(CASE.format(n=args.clients), timeout=3000)
    rows = [
        {"step": "train both models (not in the target)", "seconds": r["train_s"]},
        {
            "step": f"score_bank: {r['rms']:,} RMs + {r['clients']:,} clients, drivers, actions",
            "seconds": r["score_s"],
        },
        {
            "step": f"contact plan ({r['contacts']:,} RM contacts, {r['overflow']:,} overflow)",
            "seconds": r["plan_s"],
        },
        {"step": "bare alternative: features + predictions only", "seconds": r["bare_s"]},
    ]
    table(rows, ["step", "seconds"])
    print(
        f"Scored, explained and given actions: {r['score_s']:.0f} s for "
        f"{r['clients']:,} clients and {r['rms']:,} RMs (target < 180 s); "
        f"{r['score_s'] / r['bare_s']:.1f}x the bare predictions. Peak memory "
        f"{r['peak_rss_mb']:,.0f} MB."
    )


if __name__ == "__main__":
    main()
