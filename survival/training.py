"""The training loop shared by the discrete-time hazard networks.

:class:`~survival.logistic_hazard.LogisticHazardSurvival` and
:class:`~survival.sequence_hazard.GRUHazardSurvival` differ only in their network and
in how a batch of rows becomes logits; both train the same way:

- Adam with L2 weight decay, gradient-norm clipping;
- an epoch visits the training rows in an order drawn from a ``torch.Generator``
  seeded by the caller (the global RNG, used for initialisation and dropout, is the
  caller's to fork), in equal-sized batches;
- early stopping on the mean validation negative log-likelihood
  (:func:`survival.losses.nll_logistic_hazard`), keeping the best epoch's weights.

The caller wraps :func:`train_hazard_net` in ``torch.random.fork_rng`` and seeds it, so
two fits with one seed on one device are identical.
"""

from __future__ import annotations

import io
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
from torch import nn

from survival.base import (
    INT_POS,
    REAL_NONNEG,
    REAL_POS,
    SEED,
    Interval,
    InvalidParameterError,
    Options,
)
from survival.losses import _nll_per_row

log = logging.getLogger(__name__)


def is_widths(value: Any) -> bool:
    """A tuple or list of positive ints (hidden layer widths; empty is allowed)."""
    return isinstance(value, tuple | list) and all(
        isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in value
    )


#: Hyperparameter constraints every hazard net trained by :func:`train_hazard_net` shares.
TRAINING_CONSTRAINTS: dict[str, list[Any]] = {
    "dropout": [Interval(Real, 0.0, 1.0, "left")],
    "n_intervals": [INT_POS],
    "scheme": [Options(("quantiles", "equidistant"))],
    "learning_rate": [REAL_POS],
    "weight_decay": [REAL_NONNEG],
    "batch_size": [INT_POS],
    "max_epochs": [INT_POS],
    "patience": [INT_POS, None],
    "validation_fraction": [Interval(Real, 0.0, 0.5, "both")],
    "seed": SEED,
    "verbose": [Options((True, False))],
}

# rows per forward pass when scoring the validation set
VALIDATION_CHUNK = 65_536

# logits of a batch of rows, given the network and the rows' positions (a device tensor)
BatchLogits = Callable[[nn.Module, torch.Tensor], torch.Tensor]


def is_device(value: Any) -> bool:
    """Whether ``value`` is a valid ``device`` parameter."""
    return isinstance(value, str) and re.fullmatch(r"cpu|auto|cuda(:\d+)?", value) is not None


def resolve_device(device: str, owner: str) -> torch.device:
    """The torch device for the ``device`` parameter (``"auto"`` prefers CUDA).

    Raises
    ------
    InvalidParameterError
        For ``"cuda"`` on a machine without CUDA (``owner`` names the estimator).
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidParameterError(
            f"{owner}: 'device' is {device!r} but CUDA is not available on "
            "this machine; use device='cpu' or device='auto'"
        )
    return torch.device(device)


def start_at_pooled_hazard(output: nn.Linear, idx: torch.Tensor, event: torch.Tensor) -> None:
    """Zero the output layer's weights and set its biases to the pooled (life-table)
    hazard logits, so training starts from the no-covariate model.

    From the default initialisation (every hazard 0.5) a network spends its first
    hundreds of steps learning the baseline while the hidden layers fit noise; on small
    data (a few steps per epoch) it then early-stops before the features matter.
    """
    m = output.out_features
    idx, event = idx.cpu(), event.cpu().double()
    deaths = torch.zeros(m, dtype=torch.float64).index_add_(0, idx, event)
    leaving = torch.bincount(idx, minlength=m).double()
    at_risk = leaving.flip(0).cumsum(0).flip(0)
    hazard = ((deaths + 0.5) / (at_risk + 1.0)).clamp(1e-6, 1 - 1e-6)  # shrunk: no 0 or 1
    with torch.no_grad():
        output.weight.zero_()
        output.bias.copy_(torch.logit(hazard).float())


@dataclass
class TrainingResult:
    """What :func:`train_hazard_net` learnt: the best network (eval mode) and the log."""

    net: nn.Module
    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int = 0


def mean_loss(
    net: nn.Module, logits_of: BatchLogits, idx: torch.Tensor, ev: torch.Tensor, rows: np.ndarray
) -> float:
    """Mean NLL per row over ``rows``, in eval mode, in large chunks."""
    net.eval()
    total = torch.zeros((), dtype=torch.float64, device=idx.device)
    with torch.inference_mode():
        for start in range(0, rows.size, VALIDATION_CHUNK):
            r = torch.from_numpy(rows[start : start + VALIDATION_CHUNK]).to(idx.device)
            total += _nll_per_row(logits_of(net, r), idx[r], ev[r]).sum()
    return float(total) / rows.size


def train_hazard_net(
    net: nn.Module,
    logits_of: BatchLogits,
    idx: torch.Tensor,
    ev: torch.Tensor,
    train: np.ndarray,
    val: np.ndarray,
    *,
    learning_rate: float,
    weight_decay: float,
    batch_size: int,
    max_epochs: int,
    patience: int | None,
    clip_grad_norm: float | None,
    seed: int,
    echo: bool = False,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> TrainingResult:
    """Train ``net`` (already on ``idx``'s device) with Adam and early stopping.

    Parameters
    ----------
    net : torch.nn.Module
    logits_of : callable ``(net, rows) -> Tensor (len(rows), m)``
        Logits of the rows at positions ``rows`` (a device tensor of int64).
    idx, ev : Tensor of shape (n,)
        Each row's interval index in ``0..m-1`` and event flag (float), on the device.
    train, val : ndarray of int64
        Row positions for gradient steps and for early stopping (``val`` may be empty:
        then every epoch is trained and the last weights are kept).
    learning_rate, weight_decay : float
        Adam's.
    batch_size : int
        Most rows per step; an epoch's batches are made equal-sized.
    max_epochs : int
    patience : int or None
        Epochs without a lower validation loss before stopping.
    clip_grad_norm : float or None
        Largest gradient norm (None: no clipping).
    seed : int
        Seeds the shuffling generator.
    echo : bool, default False
        Log one line per epoch (logger ``survival.training``, level INFO).
    on_epoch : callable, optional
        Called after every epoch with its history record plus ``seconds`` (since the
        start of training), e.g. to show progress.

    Returns
    -------
    TrainingResult
        ``history`` holds per epoch ``epoch`` (from 1), ``train_loss`` and ``val_loss``
        (None without validation rows); ``best_epoch`` is the epoch whose weights were
        kept.
    """
    device = idx.device
    optimiser = torch.optim.Adam(
        net.parameters(), lr=float(learning_rate), weight_decay=float(weight_decay)
    )
    train_t = torch.from_numpy(train).to(device)
    shuffler = torch.Generator().manual_seed(seed)
    n_batches = max(1, math.ceil(train.size / int(batch_size)))
    best_loss, best_epoch, best_state, waited = math.inf, 0, None, 0
    history: list[dict[str, Any]] = []
    started = time.perf_counter()
    for epoch in range(1, int(max_epochs) + 1):
        net.train()
        order = train_t[torch.randperm(train.size, generator=shuffler).to(device)]
        total = torch.zeros((), device=device)  # summed on the device: no sync per step
        for batch in torch.tensor_split(order, n_batches):
            optimiser.zero_grad(set_to_none=True)
            loss = _nll_per_row(logits_of(net, batch), idx[batch], ev[batch]).mean()
            loss.backward()
            if clip_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(net.parameters(), float(clip_grad_norm))
            optimiser.step()
            total += loss.detach() * batch.numel()
        train_loss = float(total) / train.size
        val_loss = mean_loss(net, logits_of, idx, ev, val) if val.size else None
        history.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss})
        if echo:
            shown = "-" if val_loss is None else f"{val_loss:.5f}"
            log.info("epoch %4d  train_loss %.5f  val_loss %s", epoch, train_loss, shown)
        if on_epoch is not None:
            on_epoch({**history[-1], "seconds": time.perf_counter() - started})
        if val_loss is None:
            continue
        if val_loss < best_loss:
            best_loss, best_epoch, waited = val_loss, epoch, 0
            best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
        else:
            waited += 1
            if patience is not None and waited >= int(patience):
                break
    if best_state is not None:
        net.load_state_dict(best_state)
    else:
        best_epoch = len(history)
    return TrainingResult(net=net.eval(), history=history, best_epoch=best_epoch)


def net_to_bytes(net: nn.Module) -> bytes:
    """A network's weights as bytes (on the CPU), for pickling a fitted model."""
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in net.state_dict().items()}, buffer)
    return buffer.getvalue()


def net_from_bytes(raw: bytes, net: nn.Module, device: str) -> nn.Module:
    """Load weights written by :func:`net_to_bytes` into ``net`` (built by the caller
    from its saved config), on ``device`` when it is CUDA and available, else the CPU."""
    weights = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    net.load_state_dict(weights)
    if str(device).startswith("cuda") and torch.cuda.is_available():
        net = net.to(device)
    return net.eval()
