"""Losses for discrete-time survival networks: pure functions on tensors, thin modules.

The logistic-hazard likelihood (Gensheimer & Narasimhan 2019; Kvamme & Borgan 2019,
pycox ``models/loss.py``). With ``h_k = sigmoid(logits[:, k])`` the hazard of
interval ``k`` and a row's interval index ``j`` (see :mod:`survival.discretize`):

- an event in interval ``j`` has likelihood ``h_j * prod_{k<j} (1 - h_k)``;
- a row censored after interval ``j`` has likelihood ``prod_{k<=j} (1 - h_k)``.

Both are a sum of binary cross-entropies over intervals ``0..j`` with target 1 only
at ``j`` and only for an event (pycox's formulation). Since ``-log(1 - h) =
softplus(logit)`` and ``-log h = softplus(logit) - logit``, it is computed as
``sum_{k<=j} softplus(logits[:, k]) - event * logits[:, j]``, stable for any logit.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.functional import softplus

_REDUCTIONS = ("mean", "sum", "none")


def nll_logistic_hazard(
    logits: torch.Tensor,
    idx: torch.Tensor,
    event: torch.Tensor,
    reduction: str = "mean",
) -> torch.Tensor:
    """Negative log-likelihood of the logistic-hazard model.

    Parameters
    ----------
    logits : Tensor of shape (n, m)
        One logit per row and interval; the hazard is ``sigmoid(logits)``.
    idx : Tensor of int, shape (n,)
        Each row's interval index, in ``0..m-1``.
    event : Tensor of shape (n,)
        1/True if the row's event happened in interval ``idx``, 0/False if it was
        censored after surviving it.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the per-row loss, shape (n,).

    Returns
    -------
    Tensor
        A scalar, or shape (n,) for ``reduction="none"``.

    Raises
    ------
    ValueError
        For mismatched shapes, an index outside ``0..m-1`` or an unknown reduction.
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    if logits.dim() != 2:
        raise ValueError(f"logits must be 2-D (rows, intervals), got shape {tuple(logits.shape)}")
    n, m = logits.shape
    if idx.shape != (n,) or event.shape != (n,):
        raise ValueError(
            f"idx and event must have shape ({n},) to match logits {tuple(logits.shape)}, "
            f"got {tuple(idx.shape)} and {tuple(event.shape)}"
        )
    if n and (int(idx.min()) < 0 or int(idx.max()) >= m):
        raise ValueError(
            f"idx must lie in 0..{m - 1} (one logit per interval), got values in "
            f"{int(idx.min())}..{int(idx.max())}; the network has too few outputs for the grid"
        )
    loss = _nll_per_row(logits, idx, event)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _nll_per_row(logits: torch.Tensor, idx: torch.Tensor, event: torch.Tensor) -> torch.Tensor:
    """Per-row loss without input checks (no host-device synchronisation, for training
    loops whose indices are valid by construction)."""
    # BCE(x, 0) = softplus(x) and BCE(x, 1) = softplus(x) - x, so the sum over
    # intervals 0..idx is the masked sum of softplus minus x at idx for an event
    col = idx.long().view(-1, 1)
    upto = torch.arange(logits.shape[1], device=logits.device)[None, :] <= col
    survived = (softplus(logits) * upto).sum(1)
    return survived - event.to(logits.dtype) * logits.gather(1, col).view(-1)


class NLLLogisticHazardLoss(nn.Module):
    """:func:`nll_logistic_hazard` as a module: ``loss(logits, idx, event)``.

    Parameters
    ----------
    reduction : {"mean", "sum", "none"}, default "mean"
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def forward(self, logits: torch.Tensor, idx: torch.Tensor, event: torch.Tensor) -> torch.Tensor:
        return nll_logistic_hazard(logits, idx, event, reduction=self.reduction)
