"""Discrete-time logistic-hazard network (pycox ``LogisticHazard``, the deep tabular anchor).

The recipe of Gensheimer & Narasimhan (2019) and Kvamme & Borgan (2019):

1. the follow-up is cut into intervals (:class:`~survival.discretize.DurationGrid`);
   an event is placed in the interval containing it, a censored duration counts as
   surviving only the intervals that ended by the time it was lost;
2. an MLP (:class:`~survival.nets.MLP`) maps the encoded features to one logit per
   interval, the hazard ``h_j(x) = sigmoid(logit_j)`` = P(event in interval ``j`` |
   survived to its start);
3. training minimises the discrete-time negative log-likelihood
   (:func:`~survival.losses.nll_logistic_hazard`) with Adam, gradient clipping and early
   stopping on a validation split;
4. survival at the cuts is ``S(c_j | x) = prod_{k<=j} (1 - h_k(x))``.

Design choices:

- **Interpolation.** Between cut points the hazard is taken as constant (pycox's
  ``"const_hazard"``): ``log S`` is linear in time inside an interval, so curves are
  continuous and pass exactly through the discrete model's values at the cuts.
  Horizons on the grid (integer months on a monthly grid) are unaffected. After the
  last cut (the last event time, or the longest duration) no event was observed and
  S stays flat up to ``max_duration_``.
- **No output for index 0.** pycox gives the degenerate grid "interval" ``{0}`` an
  output of its own, whose hazard multiplies every curve. Durations are > 0 here, so
  that hazard is 0 by construction: the network has one output per real interval,
  S(0) = 1 exactly, and rows censored before the first cut (no completed interval,
  likelihood 1) are left out of the loss.
- **Start from the life table.** The output layer starts with zero weights and biases
  equal to the pooled hazard logits of the training rows, so the first step already
  predicts the Kaplan-Meier-like baseline and training spends itself on the features.
  From pycox's default start (every hazard 0.5) the loss was still falling from the
  baseline after 100 epochs on the Rossi data (432 rows, 2 steps an epoch).
- **No batch normalisation by default.** Inputs are already standardised; with it the
  held-out C-index on Rossi (5-fold cross-fit) fell by about 0.03 and was no better on
  synthetic data of 600 to 3,000 rows.
- **Determinism.** ``seed`` drives weight initialisation and dropout (inside
  ``torch.random.fork_rng``, so the caller's RNG is untouched), shuffling (a
  ``torch.Generator``) and the validation split; deterministic algorithms are switched
  on during ``fit`` and restored after. Two fits on one device are identical; CPU and
  CUDA fits differ by float rounding grown over training.
- **Ties.** Monthly data with many ties are handled natively (a discrete-time model).
- **Speed.** Training is overhead-bound for a small MLP (about 1.5 ms a step on one
  CPU core, 0.5 to 0.7 s an epoch for 100k rows at ``batch_size=256``); on a GPU raise
  ``batch_size`` (4096: 0.1 s an epoch on an H100). Prediction runs in chunks of 65k
  rows under ``torch.inference_mode`` (100k rows × 40 features in about 0.2 s).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from survival.base import (
    DURATION,
    EVENT,
    Check,
    Options,
    SurvivalDataError,
    SurvivalMixin,
    check_feature_frame,
    check_horizons,
    outcomes_before,
    split_survival_frame,
    survival_frame,
    validate_params,
    validation_split,
)
from survival.discretize import DurationGrid, interpolate_log_survival
from survival.encoding import TabularEncoder
from survival.nets import MLP
from survival.training import (
    TRAINING_CONSTRAINTS,
    is_device,
    is_widths,
    net_from_bytes,
    net_to_bytes,
    resolve_device,
    start_at_pooled_hazard,
    train_hazard_net,
)

# rows per forward pass when predicting or scoring the validation set
_PREDICT_CHUNK = 65_536
_CLIP_NORM = 5.0


def _is_names(value: Any) -> bool:
    return isinstance(value, tuple | list) and all(isinstance(v, str) for v in value)


class LogisticHazardSurvival(SurvivalMixin, BaseEstimator):
    """Discrete-time logistic-hazard MLP (see the module docstring).

    Parameters
    ----------
    hidden : tuple of int, default (64, 64)
        Hidden layer widths; ``()`` gives a linear logistic-hazard model.
    dropout : float in [0, 1), default 0.1
    n_intervals : int, default 20
        Most intervals of the time grid (fewer when the data have fewer distinct event
        times: those times are then the grid).
    scheme : {"quantiles", "equidistant"}, default "quantiles"
        How the grid is cut (:class:`~survival.discretize.DurationGrid`).
    learning_rate : float, default 1e-3
        Adam's step size.
    weight_decay : float, default 1e-4
        Adam's L2 penalty on all weights.
    batch_size : int, default 256
        Rows per gradient step; the batches of an epoch are made equal-sized (so batch
        normalisation never sees a lone row unless ``batch_size`` is 1).
    max_epochs : int, default 100
    patience : int or None, default 10
        Epochs without a lower validation loss before stopping; None trains for
        ``max_epochs``. The weights of the best validation epoch are kept either way.
    validation_fraction : float in [0, 0.5], default 0.2
        Share of rows (of groups, when ``groups`` is passed to ``fit``) held out for
        early stopping; 0 trains on all rows for ``max_epochs`` and keeps the last
        weights (as does a frame of fewer than 10 rows or groups).
    batch_norm : bool, default False
        Batch normalisation after each hidden layer (pycox's examples use it; off by
        default, see the module docstring).
    seed : int or None, default 0
        Seeds weight initialisation, dropout, shuffling and the validation split: two
        fits with one seed on one device give identical predictions. None draws one.
    device : {"cpu", "cuda", "cuda:<i>", "auto"}, default "cpu"
        Where to train; "auto" uses CUDA when available. A saved model always loads,
        onto the CPU when CUDA is missing.
    categorical : tuple of str
        Extra columns to one-hot encode although numeric.
    verbose : bool, default False
        Print the losses after every epoch.

    Attributes
    ----------
    net_ : survival.nets.MLP
        The trained network (eval mode), one logit per interval of ``cuts_``.
    grid_ : survival.discretize.DurationGrid
    cuts_ : ndarray of shape (m + 1,)
        Cut points, ``cuts_[0] == 0``; interval ``j`` is ``(cuts_[j-1], cuts_[j]]``.
    history_ : list of dict
        Per epoch: ``epoch`` (from 1), ``train_loss``, ``val_loss`` (None without a
        validation set). Losses are mean negative log-likelihoods per row.
    n_epochs_ : int
        Epochs trained.
    best_epoch_ : int
        Epoch whose weights were kept.
    encoder_ : survival.encoding.TabularEncoder
    feature_names_in_ : ndarray
    max_duration_ : float
        Longest training duration; horizons beyond it are refused.
    device_ : str
        Device the model was trained on.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **TRAINING_CONSTRAINTS,
        "hidden": [Check(is_widths, "a tuple of positive ints (() for a linear model)")],
        "batch_norm": [Options((True, False))],
        "device": [Check(is_device, "one of 'cpu', 'cuda', 'cuda:<index>', 'auto'")],
        "categorical": [Check(_is_names, "a tuple of column names")],
    }

    def __init__(
        self,
        hidden: Sequence[int] = (64, 64),
        *,
        dropout: float = 0.1,
        n_intervals: int = 20,
        scheme: str = "quantiles",
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-4,
        batch_size: int = 256,
        max_epochs: int = 100,
        patience: int | None = 10,
        validation_fraction: float = 0.2,
        batch_norm: bool = False,
        seed: int | None = 0,
        device: str = "cpu",
        categorical: tuple[str, ...] = (),
        verbose: bool = False,
    ) -> None:
        self.hidden = hidden
        self.dropout = dropout
        self.n_intervals = n_intervals
        self.scheme = scheme
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.batch_norm = batch_norm
        self.seed = seed
        self.device = device
        self.categorical = categorical
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

    def fit(
        self,
        df: pd.DataFrame,
        *,
        duration_col: str = DURATION,
        event_col: str = EVENT,
        groups: np.ndarray | pd.Series | None = None,
        times: np.ndarray | pd.Series | None = None,
    ) -> LogisticHazardSurvival:
        """Fit on ``df``: every column but ``duration_col``/``event_col`` is a feature.

        Parameters
        ----------
        df : DataFrame
            Features, durations (> 0) and events (0/1).
        duration_col, event_col : str
        groups : array-like of shape (len(df),), optional
            Entity ids (e.g. when one client appears at several as-of dates): the
            validation split keeps each group wholly on one side.
        times : array-like of shape (len(df),), optional
            When each row's follow-up starts, in the durations' unit (e.g. landmark
            months as integers). Given, early stopping validates on the rows at the
            latest times, with the earlier rows' outcomes censored where that period
            starts (:func:`~survival.base.validation_split`); ``groups`` is then unused.

        Returns
        -------
        self

        Raises
        ------
        InvalidParameterError
            For a hyperparameter outside its constraints, or ``device="cuda"`` without
            CUDA.
        SurvivalDataError
            For bad durations, events or features (infinite values), or ``groups`` of
            the wrong length.
        """
        validate_params(self)
        device = resolve_device(self.device, "LogisticHazardSurvival")
        X, t, e = split_survival_frame(df, duration_col, event_col)
        if groups is not None and len(groups) != len(t):
            raise SurvivalDataError(
                f"groups has {len(groups)} values for {len(t)} rows; pass one group id per row"
            )
        seed = int(self.seed) if self.seed is not None else int(np.random.SeedSequence().entropy)
        seed %= 2**63
        self.duration_col_, self.event_col_ = duration_col, event_col
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.encoder_ = TabularEncoder(categorical=tuple(self.categorical)).fit(X)
        # a writable copy: torch.from_numpy warns on the read-only views pandas may return
        Z = self.encoder_.transform(X).to_numpy(dtype=np.float32, copy=True)
        self.grid_ = DurationGrid(self.n_intervals, scheme=self.scheme).fit(t, e)
        self.cuts_ = self.grid_.cuts_
        train, val = validation_split(
            len(t), groups, fraction=float(self.validation_fraction), seed=seed, times=times
        )
        if times is not None:
            idx, ev = self.grid_.transform(*outcomes_before(t, e, times, val))
        else:
            idx, ev = self.grid_.transform(t, e)
        # rows censored before the first cut completed no interval: likelihood 1
        train, val = train[idx[train] > 0], val[idx[val] > 0]
        if val.size == 0:
            train = np.flatnonzero(idx > 0)
        if self.batch_norm and min(train.size, int(self.batch_size)) < 2:
            raise SurvivalDataError(
                f"batch normalisation needs batches of at least 2 rows, but batch_size is "
                f"{self.batch_size!r} and {train.size} training row(s) survive past the first "
                f"cut ({self.cuts_[1]:g}); raise batch_size, add data or set batch_norm=False"
            )
        self.net_config_ = {
            "in_features": Z.shape[1],
            "out_features": self.grid_.n_intervals_,
            "hidden": tuple(int(h) for h in self.hidden),
            "dropout": float(self.dropout),
            "batch_norm": bool(self.batch_norm),
        }
        data = (
            torch.from_numpy(Z).to(device),
            torch.from_numpy(idx - 1).to(device),  # the net has no output for index 0
            torch.from_numpy(ev.astype(np.float32)).to(device),
        )
        cuda = [device.index or 0] if device.type == "cuda" else []
        deterministic = torch.are_deterministic_algorithms_enabled()
        warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
        try:
            torch.use_deterministic_algorithms(True, warn_only=device.type != "cpu")
            with torch.random.fork_rng(devices=cuda):  # leaves the caller's RNG alone
                torch.manual_seed(seed)
                self.net_ = self._train(data, train, val, device, seed)
        finally:
            torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        self.device_ = str(device)
        self.max_duration_ = float(t.max())
        return self

    def _train(
        self,
        data: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
        train: np.ndarray,
        val: np.ndarray,
        device: torch.device,
        seed: int,
    ) -> MLP:
        """Adam with clipping and early stopping; returns the best network, in eval mode."""
        Z, idx, ev = data
        cfg = self.net_config_
        net = MLP(
            cfg["in_features"],
            cfg["out_features"],
            hidden=cfg["hidden"],
            dropout=cfg["dropout"],
            batch_norm=cfg["batch_norm"],
        )
        train_t = torch.from_numpy(train).to(device)
        start_at_pooled_hazard(net.layers[-1], idx[train_t], ev[train_t])
        result = train_hazard_net(
            net.to(device),
            lambda net, rows: net(Z[rows]),
            idx,
            ev,
            train,
            val,
            learning_rate=float(self.learning_rate),
            weight_decay=float(self.weight_decay),
            batch_size=int(self.batch_size),
            max_epochs=int(self.max_epochs),
            patience=self.patience,
            clip_grad_norm=_CLIP_NORM,
            seed=seed,
            echo=bool(self.verbose),
        )
        self.history_: list[dict[str, Any]] = result.history
        self.n_epochs_ = len(result.history)
        self.best_epoch_ = result.best_epoch
        return result.net

    # ------------------------------------------------------------------ predict

    def _logits(self, X: pd.DataFrame) -> np.ndarray:
        Z = self.encoder_.transform(check_feature_frame(X, self.feature_names_in_))
        Z = Z.to_numpy(dtype=np.float32, copy=True)  # writable, as torch.from_numpy wants
        device = next(self.net_.parameters()).device
        out = np.empty((Z.shape[0], self.net_config_["out_features"]), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, Z.shape[0], _PREDICT_CHUNK):
                chunk = torch.from_numpy(Z[start : start + _PREDICT_CHUNK]).to(device)
                out[start : start + chunk.shape[0]] = self.net_(chunk).cpu().numpy()
        return out

    def predict_hazard(self, X: pd.DataFrame) -> pd.DataFrame:
        """Hazard of each grid interval, P(event in it | survived to its start).

        Returns
        -------
        DataFrame of shape (len(X), m)
            Rows = ``X.index``; columns = each interval's right end ``cuts_[1:]``
            (named ``"interval_end"``).
        """
        check_is_fitted(self)
        h = expit(self._logits(X).astype(np.float64))
        return pd.DataFrame(h, index=X.index, columns=pd.Index(self.cuts_[1:], name="interval_end"))

    def predict_survival(self, X: pd.DataFrame, horizons: float | Iterable[float]) -> pd.DataFrame:
        """S(h | x), rows = ``X.index``, columns = horizons (named ``"horizon"``).

        ``S(cuts_[j]) = prod_{k<=j} (1 - h_k)``, with constant hazard inside each
        interval for horizons between cuts (see the module docstring).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        SurvivalDataError
            For horizons ≤ 0 or beyond ``max_duration_``, missing feature columns, or
            infinite feature values.
        """
        check_is_fitted(self)
        h = check_horizons(horizons, self.max_duration_)
        logits = self._logits(X).astype(np.float64)
        log_surv = np.zeros((logits.shape[0], logits.shape[1] + 1))
        np.cumsum(-np.logaddexp(0.0, logits), axis=1, out=log_surv[:, 1:])  # log(1 - h)
        log_s = interpolate_log_survival(self.cuts_, log_surv, h)
        return survival_frame(np.exp(log_s), X.index, h)

    # ------------------------------------------------------------------ pickling

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        if isinstance(state.get("net_"), torch.nn.Module):
            state["net_"] = net_to_bytes(state["net_"])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        raw = state.get("net_")
        if isinstance(raw, bytes | bytearray):
            cfg = state["net_config_"]
            net = MLP(
                cfg["in_features"],
                cfg["out_features"],
                hidden=cfg["hidden"],
                dropout=cfg["dropout"],
                batch_norm=cfg["batch_norm"],
            )
            state = {**state, "net_": net_from_bytes(raw, net, state.get("device_", "cpu"))}
        super().__setstate__(state)
