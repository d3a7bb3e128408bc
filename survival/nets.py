"""Neural networks (``torch.nn.Module``) used by the sequence and deep survival models."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class MLP(nn.Module):
    """A multilayer perceptron: ``[Linear -> ReLU -> BatchNorm -> Dropout] * len(hidden)``
    followed by a linear output layer (pycox/torchtuples ``MLPVanilla`` ordering).

    Parameters
    ----------
    in_features : int
        Width of the input.
    out_features : int
        Width of the output (one logit per interval for a discrete-time hazard).
    hidden : sequence of int, default (64, 64)
        Width of each hidden layer; empty gives a linear model.
    dropout : float, default 0.1
        Dropout probability after each hidden layer (0 disables it).
    batch_norm : bool, default True
        Batch normalisation after each hidden activation.

    Shapes
    ------
    input (n, in_features) -> output (n, out_features).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        hidden: Sequence[int] = (64, 64),
        dropout: float = 0.1,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = int(in_features)
        for h in hidden:
            layers += [nn.Linear(width, int(h)), nn.ReLU()]
            if batch_norm:
                layers.append(nn.BatchNorm1d(int(h)))
            if dropout > 0:
                layers.append(nn.Dropout(float(dropout)))
            width = int(h)
        layers.append(nn.Linear(width, int(out_features)))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)
