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


def step_inputs(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``[value or 0, was missing, month has data]`` per step: (n, T, F) -> (n, T, 2F+1)."""
    m = mask.unsqueeze(-1)
    missing = torch.isnan(values) & m
    filled = torch.nan_to_num(values, nan=0.0) * m
    return torch.cat([filled, missing.to(values.dtype), m.to(values.dtype)], dim=2)


class SequenceHazardNet(nn.Module):
    """Sequence encoder + static features -> MLP head -> one logit per interval.

    Parameters
    ----------
    n_features : int
        Sequence features F (0: static features only, no encoder).
    n_static : int
        Encoded static features.
    out_features : int
        Grid intervals.
    hidden_size, num_layers : int
        Encoder width and depth.
    encoder : {"gru", "transformer"}
    head_hidden : sequence of int
        Hidden widths of the MLP head.
    dropout : float
    max_steps : int
        Longest sequence the transformer's positional embedding covers.

    Shapes
    ------
    values (n, T, F) standardised, NaN allowed; mask (n, T) bool; static (n, n_static)
    -> logits (n, out_features).
    """

    def __init__(
        self,
        n_features: int,
        n_static: int,
        out_features: int,
        *,
        hidden_size: int = 64,
        num_layers: int = 1,
        encoder: str = "gru",
        head_hidden: Sequence[int] = (32,),
        dropout: float = 0.1,
        max_steps: int = 1,
    ) -> None:
        super().__init__()
        self.kind = encoder if n_features > 0 else "none"
        n_in = 2 * n_features + 1
        if self.kind == "gru":
            self.rnn = nn.GRU(
                n_in,
                hidden_size,
                num_layers,
                batch_first=True,
                dropout=dropout if num_layers > 1 else 0.0,
            )
        elif self.kind == "transformer":
            heads = next(h for h in (4, 2, 1) if hidden_size % h == 0)
            self.project = nn.Linear(n_in, hidden_size)
            self.position = nn.Embedding(max(1, max_steps), hidden_size)
            layer = nn.TransformerEncoderLayer(
                hidden_size,
                heads,
                dim_feedforward=2 * hidden_size,
                dropout=dropout,
                batch_first=True,
            )
            self.transformer = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        width = (hidden_size if self.kind != "none" else 0) + n_static
        self.head = MLP(width, out_features, hidden=head_hidden, dropout=dropout, batch_norm=False)

    def forward(
        self, values: torch.Tensor, mask: torch.Tensor, static: torch.Tensor
    ) -> torch.Tensor:
        return self.forward_steps(step_inputs(values, mask), static)

    def forward_steps(self, steps: torch.Tensor, static: torch.Tensor) -> torch.Tensor:
        """Logits from prepared step inputs (:func:`step_inputs`): a differentiable
        entry point for gradient attributions (NaN-free inputs)."""
        parts = []
        if self.kind == "gru":
            _, h = self.rnn(steps)
            parts.append(h[-1])  # left padding: the last step is the latest month
        elif self.kind == "transformer":
            n_steps = steps.shape[1]
            back = torch.arange(n_steps - 1, -1, -1, device=steps.device)  # months ago
            z = self.project(steps) + self.position(back)[None]
            causal = nn.Transformer.generate_square_subsequent_mask(n_steps, device=steps.device)
            # no key-padding mask: a row with no history would attend to nothing (NaN);
            # padded steps carry a zero "has data" input the attention can learn from
            z = self.transformer(z, mask=causal, is_causal=True)
            parts.append(z[:, -1])
        parts.append(static)
        return self.head(torch.cat(parts, dim=1))
