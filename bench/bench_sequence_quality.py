"""Sequence model quality: ``gru_hazard`` against the best tabular models and the oracle.

Issue 4's bar: on the synthetic bank the sequence model beats the best tabular model on
the 3-month C-index (Uno's C truncated at 3 months, with Harrell's C and AUC at 3
months beside it) for both targets, reported with the generator's oracle and with a
tabular model given the same history summarised.

Every model is fitted on the same landmark rows and scored on the same holdout as
``attrition train`` builds them (time-based holdout, entities never on both sides),
for several entity splits (mean ± sd):

- anchor: lifelines ``CoxPHFitter`` (penalised), as in ``bench_models.py``;
- ours, tabular: ``xgb_cox`` (the strongest tabular model in ``bench_models.py``) and
  ``logistic_hazard`` (the deep tabular anchor), on the as-of row;
- ours, tabular + history: ``xgb_cox`` on the as-of row plus the GRU's own input
  history summarised per feature (the values 1, 3 and 6 months earlier and the
  12-month mean, minimum, maximum and standard deviation);
- ours, sequence: ``gru_hazard`` with the parameters of
  ``attrition/configs/<target>_sequence.yaml``, early-stopped on held-out entities (the default)
  and on the latest training landmarks (``split.early_stopping: time``);
- oracle: the generator's true hazards (a ceiling: it also knows the observables after
  the as-of month).

Banks: client outflow on 20k clients and 36 months (the demo bank's shape); RM
resignation on a bank with enough RMs for a readable holdout (200k clients, 30 per RM,
about 6,700 RMs) and 48 months, so that every training landmark has a full 12-month
history.

Usage: python bench/bench_sequence_quality.py [--only client rm] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
from _harness import header, table
from bench_models import _aggregate, _Lifelines, _metrics, _Oracle

warnings.filterwarnings("ignore")
LAGS = (1, 3, 6)


def history_summary(seq: Any) -> pd.DataFrame:
    """The as-of row, the static columns and each feature's history summarised."""
    v = seq.values  # (n, months, F), NaN where no data
    names = list(seq.feature_names)
    parts = {name: v[:, -1, j] for j, name in enumerate(names)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN histories
        for j, name in enumerate(names):
            for lag in LAGS:
                if lag < v.shape[1]:
                    parts[f"{name}__lag{lag}"] = v[:, -1 - lag, j]
            parts[f"{name}__mean"] = np.nanmean(v[:, :, j], axis=1)
            parts[f"{name}__min"] = np.nanmin(v[:, :, j], axis=1)
            parts[f"{name}__max"] = np.nanmax(v[:, :, j], axis=1)
            parts[f"{name}__std"] = np.nanstd(v[:, :, j], axis=1)
    frame = pd.DataFrame(parts, index=seq.index)
    return frame.join(seq.static) if seq.static is not None else frame


class _XGBWithHistory:
    """``xgb_cox`` on :func:`history_summary` of the sequence input."""

    input_kind = "sequence"

    def __init__(self, seed: int) -> None:
        from survival.catalog import make_model

        self.model = make_model("xgb_cox", {"seed": seed})

    def fit(self, seq: Any, *, duration_col: str, event_col: str, **_: Any):
        frame = history_summary(seq).join(seq.labels[[duration_col, event_col]])
        self.model.fit(frame, duration_col=duration_col, event_col=event_col)
        return self

    def predict_survival(self, seq: Any, horizons: Any) -> pd.DataFrame:
        return self.model.predict_survival(history_summary(seq), horizons)


def _models(config: Any, seed: int, oracle: _Oracle) -> dict[str, tuple[Any, str]]:
    """Label -> (unfitted model, early stopping: "entity" or "time")."""
    from survival.catalog import make_model

    gru = {**config.model.params, "seed": seed}
    return {
        "anchor: lifelines CoxPHFitter": (_Lifelines(), "entity"),
        "tabular: xgb_cox": (make_model("xgb_cox", {"seed": seed}), "entity"),
        "tabular: logistic_hazard": (make_model("logistic_hazard", {"seed": seed}), "entity"),
        "tabular + history summary: xgb_cox": (_XGBWithHistory(seed), "entity"),
        "sequence: gru_hazard (configured)": (make_model("gru_hazard", gru), "entity"),
        "sequence: gru_hazard, time-based early stopping": (
            make_model("gru_hazard", gru),
            "time",
        ),
        "oracle: true hazard": (oracle, "entity"),
    }


def _run(sets: Any, horizons: tuple[float, ...], models: dict[str, tuple[Any, str]]):
    import inspect

    from attrition.pipeline.datasets import DURATION, EVENT

    rows = []
    for label, (model, stopping) in models.items():
        accepts = inspect.signature(model.fit).parameters
        kwargs: dict[str, Any] = {}
        if stopping == "time" and "times" in accepts:
            kwargs["times"] = sets.times
        elif "groups" in accepts:
            kwargs["groups"] = sets.groups
        data = sets.inputs("train", getattr(model, "input_kind", "table"))
        t0 = time.perf_counter()
        model.fit(data, duration_col=DURATION, event_col=EVENT, **kwargs)
        fit_s = time.perf_counter() - t0
        epochs = (
            f" ({model.best_epoch_}/{model.n_epochs_} epochs)"
            if hasattr(model, "best_epoch_")
            else ""
        )
        rows.append({"model": label, **_metrics(model, sets, horizons), "fit s": fit_s})
        print(f"  {label}: fitted in {fit_s:.1f}s{epochs}", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20_000)
    ap.add_argument("--rm-clients", type=int, default=200_000)
    ap.add_argument("--rm-book", type=int, default=30, help="mean clients per RM")
    ap.add_argument("--rm-months", type=int, default=48, help="months of the RM bank")
    ap.add_argument("--only", nargs="+", default=["client", "rm"], choices=["client", "rm"])
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--repeats", type=int, default=3, help="entity splits per target")
    args = ap.parse_args()

    import torch

    from attrition.config import SHIPPED_CONFIGS, load_config
    from attrition.pipeline.datasets import bank_sets, with_sequences
    from attrition.synthetic import GeneratorConfig, generate_bank

    torch.set_num_threads(2)
    header("Sequence model quality vs the best tabular models and the oracle")
    cases = {
        "client": (
            "client_outflow_sequence.yaml",
            "client_id",
            "client_hazard",
            GeneratorConfig(n_clients=args.clients, seed=args.seed),
        ),
        "rm": (
            "rm_resignation_sequence.yaml",
            "rm_id",
            "rm_hazard",
            GeneratorConfig(
                n_clients=args.rm_clients,
                seed=args.seed,
                months=args.rm_months,
                clients_per_rm=args.rm_book,
                rm_capacity=round(1.2 * args.rm_book),
            ),
        ),
    }
    for part in args.only:
        config_file, id_col, truth, gen = cases[part]
        base = load_config(SHIPPED_CONFIGS / config_file)
        t0 = time.perf_counter()
        bank = generate_bank(config=gen)
        print(
            f"synthetic bank: {gen.n_clients:,} clients, {len(bank.data['rms']):,} RMs, "
            f"{gen.months} months, bank seed {args.seed}, generated in "
            f"{time.perf_counter() - t0:.0f}s",
            flush=True,
        )
        oracle = _Oracle(bank.truth[truth], id_col)
        runs = []
        seeds = [args.seed + r for r in range(args.repeats)]
        for seed in seeds:
            config = base.model_copy(update={"seed": seed})
            sets = with_sequences(bank_sets(bank.data, config), bank.data, config)
            if seed == seeds[0]:
                print(
                    f"## {base.target} ({config_file}): {len(sets.train):,} training rows "
                    f"({int(sets.train['event'].sum()):,} events), {len(sets.test):,} test "
                    f"rows, {len(sets.feature_names)} features, "
                    f"{config.sequence.months}-month histories; mean ± sd over "
                    f"{len(seeds)} entity splits (seeds {seeds[0]}..{seeds[-1]})",
                    flush=True,
                )
            runs.append(_run(sets, base.horizons, _models(config, seed, oracle)))
        print()
        rows = _aggregate(runs)
        table(rows, list(rows[0]))
        print()


if __name__ == "__main__":
    main()
