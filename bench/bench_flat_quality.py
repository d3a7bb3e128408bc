"""Flat tables no one tuned to: ``auto`` against the usual anchors, on the same folds.

Every public right-censored data set with one row per subject and at least 400 rows that
ships with lifelines or scikit-survival (read offline from the installed packages):

- scikit-survival: WHAS500, GBSG2, FLCHAIN (without ``chapter``, the cause of death,
  known only for those who died: a leak; and without its 3 rows followed for 0 days,
  which the data contract refuses), AIDS;
- lifelines: Rossi, kidney transplant, democracy durations (``dd``: text columns, and
  ``leaderspellreg``, one value per row, which the product's screen refuses).

Left out, and why: lifelines ``lymph_node`` (the GBSG2 patients again), ``recur``
(recurrent events, several rows per subject), ``diabetes`` (interval-censored),
``canadian_senators`` (its one predictive column, ``reason``, is the outcome; the rest
are names and dates); veterans and the others have fewer than 400 rows.

Each data set goes through the product's column screen (``attrition.checks``), as
``attrition train`` with ``configs/flat.yaml`` does; the same 5 stratified folds
(seed 0) are used for every model. Anchors, at the settings their documentation
starts from (no tuning here either):

- lifelines ``CoxPHFitter()`` and ``WeibullAFTFitter()`` (defaults: no penalty);
- scikit-survival ``GradientBoostingSurvivalAnalysis()`` (defaults) and
  ``RandomSurvivalForest(n_estimators=100, min_samples_split=10, min_samples_leaf=15)``
  (its user guide's settings), ``n_jobs=2``;
- XGBoost ``survival:cox`` with ordinary settings (300 rounds, learning rate 0.05,
  depth 3, subsample and column sample 0.8, no early stopping), curves from Breslow.

The anchors read the same one-hot encoded, median-imputed features (``TabularEncoder``).
Metrics on each held-out fold: Harrell's C and Uno's C of the risk at the middle
horizon (the median event time of the whole table), and the integrated Brier score over
15 horizons from the 10th to the 80th percentile of event times. A model that fails on
a fold is shown as failed, not dropped silently.

``--speed`` times instead: ``auto`` and GBSA fitted on each whole table, alternately,
median of 3 (one run for FLCHAIN doubled by resampling, where GBSA's fit time, which
grows with the square of the rows, is what it would be on a mid-size table). Run it on
an idle machine: the fold times above share the machine with the other models.

Usage: python bench/bench_flat_quality.py [--only rossi,gbsg2] [--folds 5] [--speed]
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from _harness import header, table

from attrition.pipeline.datasets import DURATION, EVENT, VALUE

warnings.filterwarnings("ignore")


# --------------------------------------------------------------------------- data sets


def _sksurv(name: str, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    import sksurv.datasets as ds

    X, y = getattr(ds, f"load_{name}")()
    event_field, time_field = y.dtype.names
    df = X.drop(columns=list(drop)).assign(
        **{DURATION: y[time_field].astype(float), EVENT: y[event_field].astype(bool)}
    )
    return df[df[DURATION] > 0]  # the contract's durations are positive


def _lifelines(name: str, duration: str, event: str) -> pd.DataFrame:
    import lifelines.datasets as ds

    df = getattr(ds, f"load_{name}")()
    return df.drop(columns=[duration, event]).assign(
        **{DURATION: df[duration].astype(float), EVENT: df[event].astype(bool)}
    )


DATASETS: dict[str, Callable[[], pd.DataFrame]] = {
    "rossi": lambda: _lifelines("rossi", "week", "arrest"),
    "whas500": lambda: _sksurv("whas500"),
    "gbsg2": lambda: _sksurv("gbsg2"),
    "aids": lambda: _sksurv("aids"),
    "kidney_transplant": lambda: _lifelines("kidney_transplant", "time", "death"),
    "dd": lambda: _lifelines("dd", "duration", "observed"),
    "flchain": lambda: _sksurv("flchain", drop=("chapter",)),
}


def _screened(raw: pd.DataFrame, name: str) -> tuple[pd.DataFrame, list[str]]:
    """The table as the product trains on it: the screen's features, text as categories;
    refused columns (dates, ids) are left out, as a user would after reading the error."""
    from attrition.checks.flat_features import screen_flat_features
    from attrition.contracts import FlatSpec

    frame = raw.reset_index(drop=True).rename_axis("row").reset_index()
    spec = FlatSpec(id="row", duration=DURATION, event=EVENT)
    screen, problems = screen_flat_features(frame, spec, table_name=name)
    refused = sorted({p.column for p in problems if p.column})
    if refused:
        spec = FlatSpec(
            id="row",
            duration=DURATION,
            event=EVENT,
            features=tuple(c for c in raw.columns if c not in {*refused, DURATION, EVENT}),
        )
        screen, problems = screen_flat_features(frame, spec, table_name=name)
        assert not problems, problems
    df = frame.set_index("row")[screen.features].assign(
        **{DURATION: frame[DURATION].to_numpy(float), EVENT: frame[EVENT].to_numpy(bool)}
    )
    for c in screen.categorical:
        df[c] = df[c].astype(str).astype("category")
    return df.assign(**{VALUE: 1.0}), refused


# --------------------------------------------------------------------------- anchors


class _Encoded:
    """An anchor on the one-hot encoded, median-imputed features."""

    standardize = True
    drop_first = False  # an unpenalised model needs a reference level per category

    def fit(self, df: pd.DataFrame, *, duration_col: str, event_col: str) -> _Encoded:
        from survival.encoding import TabularEncoder

        X = df.drop(columns=[duration_col, event_col, VALUE], errors="ignore")
        self.enc = TabularEncoder(standardize=self.standardize).fit(X)
        Z = self.enc.transform(X)
        keep = Z.std(ddof=0).to_numpy() > 0
        if self.drop_first:
            seen: set[str] = set()
            for j, (name, source) in enumerate(
                zip(Z.columns, self.enc.output_sources(), strict=True)
            ):
                if keep[j] and "=" in name and source not in seen:
                    seen.add(source)
                    keep[j] = False
        self.cols = list(Z.columns[keep])
        self._fit(Z[self.cols], df[duration_col].to_numpy(float), df[event_col].to_numpy(bool))
        return self

    def _encoded(self, X: pd.DataFrame) -> pd.DataFrame:
        return self.enc.transform(X.drop(columns=[DURATION, EVENT, VALUE], errors="ignore"))[
            self.cols
        ]

    def _fit(self, Z: pd.DataFrame, t: np.ndarray, e: np.ndarray) -> None:
        raise NotImplementedError


class _LifelinesAnchor(_Encoded):
    drop_first = True

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def _fit(self, Z: pd.DataFrame, t: np.ndarray, e: np.ndarray) -> None:
        from lifelines import CoxPHFitter, WeibullAFTFitter

        fitter = CoxPHFitter() if self.kind == "cox" else WeibullAFTFitter()
        self.model = fitter.fit(Z.assign(T=t, E=e), "T", "E")

    def predict_survival(self, X: pd.DataFrame, horizons: list[float]) -> pd.DataFrame:
        s = self.model.predict_survival_function(self._encoded(X), times=horizons).T.to_numpy()
        return pd.DataFrame(s, index=X.index, columns=horizons)


class _SksurvAnchor(_Encoded):
    standardize = False

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def _fit(self, Z: pd.DataFrame, t: np.ndarray, e: np.ndarray) -> None:
        from sksurv.ensemble import GradientBoostingSurvivalAnalysis, RandomSurvivalForest
        from sksurv.util import Surv

        if self.kind == "gbsa":
            model = GradientBoostingSurvivalAnalysis(random_state=0)
        else:
            model = RandomSurvivalForest(
                n_estimators=100,
                min_samples_split=10,
                min_samples_leaf=15,
                n_jobs=2,
                random_state=0,
            )
        self.model = model.fit(Z.to_numpy(), Surv.from_arrays(e, t))

    def predict_survival(self, X: pd.DataFrame, horizons: list[float]) -> pd.DataFrame:
        fns = self.model.predict_survival_function(self._encoded(X).to_numpy())
        s = np.array([[fn(np.clip(h, fn.x[0], fn.x[-1])) for h in horizons] for fn in fns])
        return pd.DataFrame(s, index=X.index, columns=horizons)


class _XGBoostCox(_Encoded):
    """XGBoost's Cox objective at ordinary settings, Breslow's baseline for the curves."""

    standardize = False

    def _fit(self, Z: pd.DataFrame, t: np.ndarray, e: np.ndarray) -> None:
        import xgboost as xgb

        from survival.partial_likelihood import breslow_cumulative_hazard

        params = {
            "objective": "survival:cox",
            "eta": 0.05,
            "max_depth": 3,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
            "seed": 0,
            "nthread": 2,
        }
        label = np.where(e, t, -t)  # XGBoost's Cox label: negative for censored rows
        self.booster = xgb.train(params, xgb.DMatrix(Z.to_numpy(), label=label), 300)
        f = self.booster.predict(xgb.DMatrix(Z.to_numpy()), output_margin=True)
        self.times, self.cumhaz = breslow_cumulative_hazard(t, e, f)

    def predict_survival(self, X: pd.DataFrame, horizons: list[float]) -> pd.DataFrame:
        import xgboost as xgb

        f = self.booster.predict(xgb.DMatrix(self._encoded(X).to_numpy()), output_margin=True)
        idx = np.searchsorted(self.times, horizons, side="right") - 1
        H0 = np.where(idx >= 0, self.cumhaz[np.maximum(idx, 0)], 0.0)
        s = np.exp(-np.outer(np.exp(f), H0))
        return pd.DataFrame(s, index=X.index, columns=horizons)


def _models(categorical: list[str]) -> dict[str, Callable[[], Any]]:
    from survival.auto import AutoSurvival

    return {
        "auto (ours)": lambda: AutoSurvival(),
        "lifelines Cox": lambda: _LifelinesAnchor("cox"),
        "lifelines Weibull AFT": lambda: _LifelinesAnchor("weibull"),
        "sksurv GBSA": lambda: _SksurvAnchor("gbsa"),
        "sksurv RSF": lambda: _SksurvAnchor("rsf"),
        "XGBoost Cox (ordinary)": lambda: _XGBoostCox(),
    }


# --------------------------------------------------------------------------- measuring


def _fold_metrics(
    model: Any, train: pd.DataFrame, test: pd.DataFrame, grid: list[float], mid: float
):
    from attrition.pipeline.evaluate import holdout_metrics

    m = holdout_metrics(model, train, test, test, tuple(grid)).set_index("horizon")
    return {
        "harrell": float(m.loc[mid, "c_harrell"]),
        "uno": float(m.loc[mid, "c_uno"]),
        "ibs": float(m["ibs"].iloc[0]),
    }


def _measure(name: str, df: pd.DataFrame, n_folds: int) -> tuple[list[dict], Counter]:
    from sklearn.model_selection import StratifiedKFold

    t, e = df[DURATION].to_numpy(), df[EVENT].to_numpy()
    events = np.sort(t[e])
    mid = float(np.quantile(events, 0.5, method="lower"))
    grid = sorted({*np.quantile(events, np.linspace(0.1, 0.8, 15), method="lower"), mid})
    grid = [float(h) for h in grid]
    folds = list(StratifiedKFold(n_folds, shuffle=True, random_state=0).split(df, e))
    categorical = [c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)]
    rows, choices = [], Counter()
    for label, make in _models(categorical).items():
        scores, fit_s, failed = [], [], []
        for k, (tr, te) in enumerate(folds):
            train, test = df.iloc[tr], df.iloc[te]
            model = make()
            t0 = time.perf_counter()
            try:
                model.fit(train, duration_col=DURATION, event_col=EVENT)
                fit_s.append(time.perf_counter() - t0)
                scores.append(_fold_metrics(model, train, test, grid, mid))
            except Exception as exc:  # an anchor that cannot fit this table is reported
                failed.append(f"fold {k}: {type(exc).__name__}: {str(exc)[:80]}")
                continue
            if hasattr(model, "choice_"):
                choices[model.choice_.split(":")[0].removeprefix("chose ")] += 1
        row: dict[str, Any] = {"data": name, "model": label, "folds": len(scores)}
        for key in ("harrell", "uno", "ibs"):
            vals = np.array([s[key] for s in scores])
            row[f"{key}_folds"] = vals if len(scores) == n_folds else None
            row[key] = vals.mean() if len(vals) else np.nan
            row[f"{key}_sd"] = vals.std(ddof=1) if len(vals) > 1 else np.nan
        row["fit_s"] = float(np.mean(fit_s)) if fit_s else np.nan
        row["failed"] = "; ".join(failed)
        rows.append(row)
        print(
            f"  {name} / {label}: {row['harrell']:.3f} in {row['fit_s']:.2f}s per fold", flush=True
        )
    return rows, choices


COMPARED = {"harrell": "Harrell C", "uno": "Uno C", "ibs": "IBS"}


def _against_best(auto: dict, anchors: list[dict], key: str) -> str:
    """auto minus the best anchor (C: higher is better; IBS: lower), ± the standard
    error of the per-fold paired difference, and whether that is within noise."""
    sign = -1.0 if key == "ibs" else 1.0
    best = max(anchors, key=lambda r: sign * r[key])
    diff = auto[f"{key}_folds"] - best[f"{key}_folds"]
    mean, se = diff.mean(), diff.std(ddof=1) / np.sqrt(len(diff))
    verdict = (
        "at or above" if sign * mean >= 0 else "within 2 SE" if -sign * mean <= 2 * se else "BELOW"
    )
    return f"{mean:+.3f} ± {se:.3f} vs {best['model']}: {verdict}"


def _pm(mean: float, sd: float) -> str:
    return "failed" if np.isnan(mean) else f"{mean:.3f} ± {sd:.3f}"


def _speed(names: list[str]) -> None:
    """Whole-table fit seconds of auto and GBSA (see the module doc)."""
    from survival.auto import AutoSurvival

    header("Flat tables: auto vs GBSA fit time on the whole table (median of 3)")
    tables = [(name, _screened(DATASETS[name](), name)[0], 3) for name in names]
    if "flchain" in names:
        df = tables[names.index("flchain")][1]
        doubled = df.sample(2 * len(df), replace=True, random_state=0).reset_index(drop=True)
        tables.append(("flchain ×2 (resampled)", doubled, 1))
    rows = []
    for name, df, repeats in tables:
        seconds: dict[str, list[float]] = {"auto": [], "gbsa": []}
        for _ in range(repeats):
            for label, make in (("auto", AutoSurvival), ("gbsa", lambda: _SksurvAnchor("gbsa"))):
                t0 = time.perf_counter()
                make().fit(df, duration_col=DURATION, event_col=EVENT)
                seconds[label].append(time.perf_counter() - t0)
        auto_s, gbsa_s = np.median(seconds["auto"]), np.median(seconds["gbsa"])
        rows.append(
            {
                "data": name,
                "rows": len(df),
                "auto fit s": auto_s,
                "GBSA fit s": gbsa_s,
                "GBSA / auto": f"{gbsa_s / auto_s:.1f}x",
            }
        )
        print(f"  {name}: auto {auto_s:.2f}s, GBSA {gbsa_s:.2f}s", flush=True)
    table(rows, ["data", "rows", "auto fit s", "GBSA fit s", "GBSA / auto"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="", help="comma-separated data sets (default: all)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--speed", action="store_true", help="time auto and GBSA fits only")
    args = ap.parse_args()
    names = [n for n in DATASETS if not args.only or n in args.only.split(",")]
    if args.speed:
        _speed(names)
        return
    header("Flat tables: auto vs the anchors (same folds, mean ± sd over folds)")
    summary, detail = [], []
    for name in names:
        df, refused = _screened(DATASETS[name](), name)
        n_ev = int(df[EVENT].sum())
        print(
            f"{name}: {len(df):,} rows, {n_ev:,} events, {df.shape[1] - 3} features"
            + (f"; refused by the screen: {', '.join(refused)}" if refused else ""),
            flush=True,
        )
        rows, choices = _measure(name, df, args.folds)
        for r in rows:
            detail.append(
                {
                    "data": name,
                    "model": r["model"],
                    "Harrell C": _pm(r["harrell"], r["harrell_sd"]),
                    "Uno C": _pm(r["uno"], r["uno_sd"]),
                    "IBS": _pm(r["ibs"], r["ibs_sd"]),
                    "fit s": r["fit_s"],
                    "failed": r["failed"],
                }
            )
        auto, anchors = rows[0], [r for r in rows[1:] if r["harrell_folds"] is not None]
        gbsa = next(r for r in rows if r["model"] == "sksurv GBSA")
        summary.append(
            {
                "data": name,
                "rows": len(df),
                "events": n_ev,
                **{label: _against_best(auto, anchors, key) for key, label in COMPARED.items()},
                "GBSA fit / auto fit": f"{gbsa['fit_s'] / auto['fit_s']:.1f}x",
                "auto chose": ", ".join(f"{c} ×{n}" for c, n in choices.most_common()),
            }
        )
    print("\n## Every model\n")
    table(detail, ["data", "model", "Harrell C", "Uno C", "IBS", "fit s", "failed"])
    print(
        "## auto minus the best anchor, ± the standard error of the paired per-fold "
        "difference (C: above 0 is better; IBS: below 0 is better)\n"
    )
    table(
        summary,
        [
            "data",
            "rows",
            "events",
            *COMPARED.values(),
            "GBSA fit / auto fit",
            "auto chose",
        ],
    )


if __name__ == "__main__":
    main()
