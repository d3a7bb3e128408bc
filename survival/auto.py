"""``auto``: the model for a table no one has tuned to, chosen on the training rows alone.

A data scientist with a churn or HR-attrition table should not need a grid search to
beat plain baselines. :class:`AutoSurvival` tries, on inner folds of the training rows
only (the test split never chooses):

- penalised Cox at a grid of penalizers (the penalty is what a small table needs, and
  how much depends on the table);
- a Weibull AFT model (a smooth baseline: better calibrated far out when events are
  few);
- gradient-boosted Cox (``xgb_cox``, early stopping on its own split of each fold: the
  interactions and thresholds a linear model misses, on larger tables);

then the best of each family and a stack of them (curves averaged with weights chosen
on the same inner folds; kept only when it ranks clearly better than the best single
model). It keeps whatever ranks best by Harrell's C at the median event time of the
training rows, refits it on every training row, and says what it tried
(:attr:`AutoSurvival.tried_`) and why it chose (:attr:`AutoSurvival.choice_`).
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import KFold
from sklearn.utils.validation import check_is_fitted

from survival.base import (
    DURATION,
    EVENT,
    SEED,
    Check,
    SurvivalMixin,
    check_horizons,
    split_survival_frame,
    validate_params,
)
from survival.boosting import GradientBoostedCoxSurvival
from survival.cox import CoxPHSurvival
from survival.ensemble import EnsembleSurvival
from survival.metrics import concordance_index_harrell
from survival.weibull import WeibullAFTSurvival

PENALIZERS = (0.001, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
STACK_STEP = 0.1  # stack weights on a grid of tenths (a simplex: no optimiser to tune)
# a stack is kept only when it ranks better than the best single model by this much:
# on a tie the simpler model wins (a few thousandths is inner-fold noise)
STACK_MARGIN = 0.002


def default_candidates(categorical: tuple[str, ...] = ()) -> dict[str, list[Any]]:
    """The families tried and their settings (one entry per candidate)."""
    return {
        "coxph": [CoxPHSurvival(penalizer=p, categorical=categorical) for p in PENALIZERS],
        "weibull_aft": [WeibullAFTSurvival(categorical=categorical)],
        "xgb_cox": [GradientBoostedCoxSurvival(categorical=categorical)],
    }


def _positive_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and value >= 2


class AutoSurvival(SurvivalMixin, BaseEstimator):
    """Chooses among penalised Cox, Weibull AFT, boosted Cox and their stack by inner
    cross-validation on the training rows (see the module doc).

    Parameters
    ----------
    inner_folds : int, default 3
        Folds of the training rows the candidates are compared on.
    stack : bool, default True
        Also try the best of each family stacked (weights on the inner folds).
    categorical : tuple of str
        Extra columns every candidate one-hot encodes although numeric.
    seed : int or None, default 0

    Attributes
    ----------
    model_ : the chosen model, refitted on every training row
    choice_ : str
        What was chosen and why, in a sentence.
    tried_ : pandas.DataFrame
        One row per candidate: ``family``, ``params``, ``c_mean``, ``c_sd`` (inner
        folds), ``error`` (why a candidate that could not be fitted was left out).
    horizon_ : float
        The horizon the candidates were ranked at (the training events' median time).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "inner_folds": [Check(_positive_int, "an integer >= 2")],
        "stack": [Check(lambda v: isinstance(v, bool), "True or False")],
        "seed": SEED,
    }

    def __init__(
        self,
        inner_folds: int = 3,
        *,
        stack: bool = True,
        categorical: tuple[str, ...] = (),
        seed: int | None = 0,
    ) -> None:
        self.inner_folds = inner_folds
        self.stack = stack
        self.categorical = categorical
        self.seed = seed

    def fit(
        self,
        df: pd.DataFrame,
        *,
        duration_col: str = DURATION,
        event_col: str = EVENT,
        groups: np.ndarray | None = None,
    ) -> AutoSurvival:
        """Compare the candidates on inner folds of ``df``, refit the best on all of it.

        ``groups``: the entity of each row (a bank's landmark rows: one client at several
        as-of months); all rows of an entity fall in one inner fold, so no candidate is
        scored on an entity it was fitted on.
        """
        validate_params(self)
        X, t, e = split_survival_frame(df, duration_col, event_col)
        self.duration_col_, self.event_col_ = duration_col, event_col
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.horizon_ = float(np.median(t[e])) if e.any() else float(np.median(t))
        folds = self._folds(len(df), groups)
        rows, curves = [], {}
        for family, models in default_candidates(tuple(self.categorical)).items():
            for model in models:
                params = _shown_params(model)
                row = {"family": family, "params": params, "model": model, "error": None}
                try:
                    scores, oof = self._cross_validate(model, df, t, e, folds, groups)
                except Exception as exc:
                    # a table can break one family (a Cox fit that does not converge):
                    # it is left out and said why, the others still compete
                    row.update(c_mean=np.nan, c_sd=np.nan, error=f"{type(exc).__name__}: {exc}")
                else:
                    row.update(c_mean=float(np.mean(scores)), c_sd=float(np.std(scores)))
                    curves[(family, params)] = oof
                rows.append(row)
        tried = pd.DataFrame(rows)
        usable = tried[tried["c_mean"].notna()]
        if usable.empty:
            raise ValueError(
                "AutoSurvival: no candidate could be fitted: "
                + "; ".join(f"{r.family} ({r.params}): {r.error}" for r in tried.itertuples())
            )
        best = usable.loc[usable.groupby("family", sort=False)["c_mean"].idxmax()]
        winner = usable.loc[usable["c_mean"].idxmax()]
        chosen, why = winner["model"], f"{winner['family']} ({winner['params']})"
        score = float(winner["c_mean"])
        if self.stack and len(best) > 1:
            weights, stacked = self._stack_weights(best, curves, t, e, folds)
            tried = pd.concat(
                [tried, pd.DataFrame([{**stacked, "error": None}])], ignore_index=True
            )
            if stacked["c_mean"] > score + STACK_MARGIN:
                members = [clone(m) for m in best["model"]]
                keep = weights > 0
                chosen = EnsembleSurvival(
                    [m for m, k in zip(members, keep, strict=True) if k],
                    weights=weights[keep].tolist(),
                )
                why, score = f"a stack ({stacked['params']})", float(stacked["c_mean"])
        self.model_ = clone(chosen).fit(
            df, duration_col=duration_col, event_col=event_col, **_grouped(chosen, groups)
        )
        self.max_duration_ = float(self.model_.max_duration_)
        self.tried_ = tried.drop(columns="model").reset_index(drop=True)
        self.choice_ = (
            f"chose {why}: Harrell's C {score:.3f} at {self.horizon_:g} on "
            f"{self.inner_folds} inner folds of the training rows, the best of "
            f"{len(self.tried_)} tried"
        )
        return self

    def _folds(self, n: int, groups: np.ndarray | None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Seeded inner folds of the rows, or of the entities when ``groups`` is given."""
        if groups is None:
            split = KFold(self.inner_folds, shuffle=True, random_state=self.seed)
            return list(split.split(np.arange(n)))
        entities, row_entity = np.unique(np.asarray(groups), return_inverse=True)
        if len(entities) < self.inner_folds:
            raise ValueError(
                f"AutoSurvival: {len(entities)} entities for {self.inner_folds} inner folds"
            )
        fold_of = np.random.default_rng(self.seed).permutation(len(entities)) % self.inner_folds
        rows = fold_of[row_entity]
        return [
            (np.flatnonzero(rows != k), np.flatnonzero(rows == k)) for k in range(self.inner_folds)
        ]

    def _cross_validate(
        self,
        model: Any,
        df: pd.DataFrame,
        t: np.ndarray,
        e: np.ndarray,
        folds: list[tuple[np.ndarray, np.ndarray]],
        groups: np.ndarray | None = None,
    ) -> tuple[list[float], np.ndarray]:
        """Inner-fold C-indices, and each row's out-of-fold survival at the horizon."""
        oof = np.full(len(df), np.nan)
        scores = []
        for train, val in folds:
            part = None if groups is None else np.asarray(groups)[train]
            fitted = clone(model).fit(
                df.iloc[train],
                duration_col=self.duration_col_,
                event_col=self.event_col_,
                **_grouped(model, part),
            )
            h = min(self.horizon_, fitted.max_duration_)
            s = fitted.predict_survival(df.iloc[val], [h]).to_numpy()[:, 0]
            oof[val] = s
            scores.append(concordance_index_harrell(t[val], e[val], 1.0 - s)[0])
        return scores, oof

    def _stack_weights(
        self,
        best: pd.DataFrame,
        curves: dict[tuple[str, str], np.ndarray],
        t: np.ndarray,
        e: np.ndarray,
        folds: list[tuple[np.ndarray, np.ndarray]],
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Weights on a grid of tenths over the families' best out-of-fold curves: the
        mix with the best mean inner-fold C (ties: the fewest members, then the first)."""
        pairs = zip(best["family"], best["params"], strict=True)
        S = np.column_stack([curves[pair] for pair in pairs])
        steps = round(1 / STACK_STEP)
        found: tuple[float, int, np.ndarray] | None = None
        for combo in itertools.product(range(steps + 1), repeat=S.shape[1]):
            if sum(combo) != steps or max(combo) == steps:
                continue  # weights sum to 1; a single model is tried already
            w = np.asarray(combo, float) / steps
            mixed = S @ w
            c = float(
                np.mean(
                    [concordance_index_harrell(t[v], e[v], 1.0 - mixed[v])[0] for _, v in folds]
                )
            )
            members = int((w > 0).sum())
            if found is None or (c, -members) > (found[0], -found[1]):
                found = (c, members, w)
        assert found is not None  # two or more families always give a mix
        c, _, w = found
        shown = ", ".join(f"{f} {x:.1f}" for f, x in zip(best["family"], w, strict=True) if x > 0)
        return w, {"family": "stack", "params": shown, "c_mean": c, "c_sd": np.nan}

    def predict_survival(self, X: pd.DataFrame, horizons: float | Iterable[float]) -> pd.DataFrame:
        """The chosen model's S(h | x)."""
        check_is_fitted(self)
        h = check_horizons(horizons, self.max_duration_)
        return self.model_.predict_survival(X, h)


def _grouped(model: Any, groups: np.ndarray | None) -> dict[str, Any]:
    """``groups`` for a model whose fit takes them (boosted Cox holds out whole entities
    to stop early; a stack hands them to its members), nothing for the others."""
    params = inspect.signature(model.fit).parameters
    takes = "groups" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
    return {"groups": groups} if groups is not None and takes else {}


def _shown_params(model: Any) -> str:
    """The parameters that tell candidates of one family apart."""
    if isinstance(model, CoxPHSurvival):
        return f"penalizer {model.penalizer:g}"
    if isinstance(model, GradientBoostedCoxSurvival):
        return f"depth {model.max_depth}, early stopping"
    return "defaults"


__all__: Sequence[str] = ("AutoSurvival", "default_candidates")
