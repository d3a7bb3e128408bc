"""Model quality: every model vs the anchors and the oracle, on the same folds.

For each data set (a synthetic bank for client outflow and for RM resignation, and the
public Rossi data in flat-table mode) the script builds the training and holdout sets
exactly as ``attrition train`` does, fits each of our models and the anchors of
shared/QUALITY.md on the same rows, and scores all of them on the same holdout:
Harrell's and Uno's C-index, time-dependent AUC at 3 and 6 months, integrated Brier
score, calibration error (ECE) at 3 months, fit and predict seconds.

Anchors run here, in the same process: lifelines ``CoxPHFitter`` (penalised) used
directly, scikit-survival ``RandomSurvivalForest`` (on at most 20,000 training rows:
its memory grows with rows × distinct times) and the generator's oracle: the true
monthly hazards in ``truth/``, turned into P(event within h) = 1 - prod(1 - hazard).
The oracle uses the realised hazard path, so beyond one month it knows the future
observables and is a ceiling rather than an attainable score. It predicts the
generator's events; the labels follow the contract's definition, which agrees with
them for about 97% of clients (tests/attrition/test_synthetic.py), so a model can
match the oracle on client outflow by also learning the rest.

The RM bank has fewer clients per RM (60 by default, capacity scaled to match) so that
its RM population (about 2,000) is large enough for a holdout worth reading.

Usage: python bench/bench_models.py [--clients 20000] [--seed 11] [--skip-rsf]
"""

from __future__ import annotations

import argparse
import inspect
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
from _harness import header, table
from _oracle import Oracle

warnings.filterwarnings("ignore")

OURS = {
    "coxph": {},
    "weibull_aft": {},
    "xgb_cox": {},
    "logistic_hazard": {},
    "ensemble": {"members": [{"type": "xgb_cox"}, {"type": "logistic_hazard"}]},
}


def _config(target: str, seed: int, **extra: Any):
    from attrition.config import parse_config

    raw = {
        "name": f"bench_{target}",
        "target": target,
        "seed": seed,
        "model": {"type": "coxph"},
        **extra,
    }
    return parse_config(raw)


def _metrics(model: Any, sets: Any, horizons: tuple[float, ...]) -> dict[str, float]:
    from attrition.pipeline.evaluate import holdout_metrics

    kind = getattr(model, "input_kind", "table")
    m = holdout_metrics(model, sets.train, sets.test, sets.inputs("test", kind), horizons)
    by_h = m.set_index("horizon")
    hs = sorted(by_h.index)
    # bank targets are read at 3 and 6 months; a flat table at its first two horizons
    a, b = (3.0, 6.0) if 3.0 in hs and 6.0 in hs else (hs[0], hs[min(1, len(hs) - 1)])
    return {
        f"C Harrell (risk@{a:g})": by_h.loc[a, "c_harrell"],
        f"C Uno @{a:g}": by_h.loc[a, "c_uno"],
        f"AUC @{a:g}": by_h.loc[a, "auc"],
        f"AUC @{b:g}": by_h.loc[b, "auc"],
        "IBS": by_h["ibs"].iloc[0],
        f"ECE @{a:g}": by_h.loc[a, "ece"],
        f"top10% captured @{a:g}": by_h.loc[a, "captured_top10"],
        "predict s": by_h["predict_s"].iloc[0],
    }


class _Lifelines:
    """lifelines CoxPHFitter used directly, on the same one-hot/imputed features."""

    def __init__(self, penalizer: float = 0.1) -> None:
        self.penalizer = penalizer

    def fit(self, df: pd.DataFrame, *, duration_col: str, event_col: str, **_: Any):
        from lifelines import CoxPHFitter

        from survival.encoding import TabularEncoder

        X = df.drop(columns=[duration_col, event_col])
        self.enc = TabularEncoder().fit(X)
        Z = self.enc.transform(X)
        self.cols = list(Z.columns[Z.std(ddof=0).to_numpy() > 0])
        frame = Z[self.cols].assign(T=df[duration_col].to_numpy(), E=df[event_col].to_numpy())
        self.cph = CoxPHFitter(penalizer=self.penalizer).fit(frame, "T", "E")
        return self

    def predict_survival(self, X: pd.DataFrame, horizons: list[float]) -> pd.DataFrame:
        Z = self.enc.transform(X)[self.cols]
        s = self.cph.predict_survival_function(Z, times=horizons).T.to_numpy()
        return pd.DataFrame(s, index=X.index, columns=horizons)


class _RSF:
    """scikit-survival RandomSurvivalForest on at most ``max_rows`` training rows."""

    def __init__(self, seed: int, max_rows: int = 20_000) -> None:
        self.seed, self.max_rows = seed, max_rows

    def fit(self, df: pd.DataFrame, *, duration_col: str, event_col: str, **_: Any):
        from sksurv.ensemble import RandomSurvivalForest
        from sksurv.util import Surv

        from survival.encoding import TabularEncoder

        if len(df) > self.max_rows:
            df = df.sample(self.max_rows, random_state=self.seed)
        X = df.drop(columns=[duration_col, event_col])
        self.enc = TabularEncoder(standardize=False).fit(X)
        y = Surv.from_arrays(df[event_col].to_numpy(bool), df[duration_col].to_numpy(float))
        self.rsf = RandomSurvivalForest(
            n_estimators=100,
            min_samples_leaf=20,
            max_features="sqrt",
            n_jobs=2,
            random_state=self.seed,
            low_memory=False,
        )
        self.rsf.fit(self.enc.transform(X).to_numpy(), y)
        return self

    def predict_survival(self, X: pd.DataFrame, horizons: list[float]) -> pd.DataFrame:
        fns = self.rsf.predict_survival_function(self.enc.transform(X).to_numpy())
        s = np.array([[fn(min(h, fn.x[-1])) for h in horizons] for fn in fns])
        return pd.DataFrame(s, index=X.index, columns=horizons)


def _run(sets: Any, horizons: tuple[float, ...], models: dict[str, Any]) -> list[dict]:
    from attrition.pipeline.datasets import DURATION, EVENT

    rows = []
    for label, model in models.items():
        takes_groups = "groups" in inspect.signature(model.fit).parameters
        kwargs = {"groups": sets.groups} if takes_groups else {}
        data = sets.inputs("train", getattr(model, "input_kind", "table"))
        t0 = time.perf_counter()
        model.fit(data, duration_col=DURATION, event_col=EVENT, **kwargs)
        fit_s = time.perf_counter() - t0
        rows.append({"model": label, **_metrics(model, sets, horizons), "fit s": fit_s})
        print(f"  {label}: fitted in {fit_s:.1f}s", flush=True)
    return rows


def _aggregate(runs: list[list[dict]]) -> list[dict]:
    """Mean ± sd over repeats, per model and metric."""
    out = []
    for i, first in enumerate(runs[0]):
        row: dict[str, Any] = {"model": first["model"]}
        for key in first:
            if key == "model":
                continue
            vals = np.array([run[i][key] for run in runs], dtype=float)
            if key.endswith(" s"):
                row[key] = float(np.nanmean(vals))
            elif len(vals) > 1:
                row[key] = f"{np.nanmean(vals):.3f} ± {np.nanstd(vals, ddof=1):.3f}"
            else:
                row[key] = float(vals[0])
        out.append(row)
    return out


def _section(
    title: str, make_sets: Any, horizons: tuple[float, ...], seeds: list[int], make_models: Any
) -> None:
    runs = []
    for seed in seeds:
        sets = make_sets(seed)
        if seed == seeds[0]:
            print(
                f"## {title}: {len(sets.train):,} training rows "
                f"({int(sets.train['event'].sum()):,} events), {len(sets.test):,} test rows, "
                f"{len(sets.feature_names)} features; mean ± sd over {len(seeds)} entity "
                f"splits (seeds {seeds[0]}..{seeds[-1]})",
                flush=True,
            )
        runs.append(_run(sets, horizons, make_models(seed)))
    print()
    rows = _aggregate(runs)
    table(rows, list(rows[0]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20_000)
    ap.add_argument(
        "--rm-clients",
        type=int,
        default=100_000,
        help="clients of the bank used for RM resignation (it needs many RMs)",
    )
    ap.add_argument(
        "--rm-book",
        type=int,
        default=60,
        help="mean clients per RM in the RM bank (capacity scales with it), so that the "
        "RM population is large enough to evaluate",
    )
    ap.add_argument(
        "--only", nargs="+", default=["client", "rm", "flat"], choices=["client", "rm", "flat"]
    )
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--repeats", type=int, default=3, help="entity splits per bank target")
    ap.add_argument("--flat-repeats", type=int, default=10, help="splits of the Rossi data")
    ap.add_argument("--skip-rsf", action="store_true")
    args = ap.parse_args()

    from attrition.config import SHIPPED_CONFIGS, load_config
    from attrition.pipeline.datasets import bank_sets, load_sets
    from attrition.synthetic import GeneratorConfig, generate_bank
    from survival.catalog import make_model

    def models_for(seed: int, oracle: Any = None) -> dict[str, Any]:
        out: dict[str, Any] = {"anchor: lifelines CoxPHFitter": _Lifelines()}
        if not args.skip_rsf:
            out["anchor: sksurv RandomSurvivalForest"] = _RSF(seed)
        for name, params in OURS.items():
            p = dict(params)
            if name in ("xgb_cox", "logistic_hazard"):
                p["seed"] = seed
            out[f"ours: {name}"] = make_model(name, p)
        if oracle is not None:
            out["oracle: true hazard"] = oracle
        return out

    header("Model quality vs anchors and oracle (attrition train's folds)")
    seeds = [args.seed + r for r in range(args.repeats)]
    for part, target, id_col, truth, gen in (
        (
            "client",
            "client_outflow",
            "client_id",
            "client_hazard",
            GeneratorConfig(n_clients=args.clients, seed=args.seed),
        ),
        (
            "rm",
            "rm_resignation",
            "rm_id",
            "rm_hazard",
            GeneratorConfig(
                n_clients=args.rm_clients,
                seed=args.seed,
                clients_per_rm=args.rm_book,
                rm_capacity=round(1.2 * args.rm_book),
            ),
        ),
    ):
        if part not in args.only:
            continue
        t0 = time.perf_counter()
        bank = generate_bank(config=gen)
        print(
            f"synthetic bank: {gen.n_clients:,} clients, {len(bank.data['rms']):,} RMs "
            f"({gen.clients_per_rm} clients per RM, capacity {gen.rm_capacity}), bank seed "
            f"{args.seed}, generated in {time.perf_counter() - t0:.0f}s",
            flush=True,
        )
        oracle = Oracle(bank.truth[truth], id_col)
        _section(
            target,
            lambda seed, b=bank, t=target: bank_sets(b.data, _config(t, seed)),
            _config(target, args.seed).horizons,
            seeds,
            lambda seed, o=oracle: models_for(seed, o),
        )

    if "flat" not in args.only:
        return
    flat = load_config(SHIPPED_CONFIGS / "flat_rossi.yaml")
    _section(
        "flat: Rossi recidivism",
        lambda seed: load_sets(flat.model_copy(update={"seed": seed})),
        flat.horizons,
        [args.seed + r for r in range(args.flat_repeats)],
        models_for,
    )


if __name__ == "__main__":
    main()
