"""Expected-gradients attributions (shap's ``GradientExplainer``) for the PyTorch nets.

Both hazard nets end in one logit per interval of their duration grid, and
``log S(h) = -Σ_j c_j softplus(logit_j)`` with weights ``c_j`` fixed by the horizon
(:func:`horizon_weights`), so the explained output ``log(-log S(h))`` is a
differentiable function of the network's inputs. Expected gradients average the
gradient along paths from background rows to the explained row; their sum matches the
output gap only in expectation (a sampling error that shrinks with ``nsamples``), so
these explainers are not checked for exact additivity and their risk-scale values are
rescaled to add up exactly (:func:`~explain.explanation.to_risk_scale`).

- :class:`GradientRiskExplainer` (``logistic_hazard``): inputs are the encoded
  features; contributions are summed back to the features.
- :class:`SequenceGradientRiskExplainer` (``gru_hazard``): inputs are every month's
  values, "was missing" flags and "has data" flag plus the static features; a month's
  value and missing flag count for its feature, the "has data" flags for the pseudo
  feature ``history_months``; contributions are kept per month (``month_values``) and
  summed over the months per feature.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from explain.base import RiskExplainer, background_sample, sum_by_source
from explain.explanation import RiskExplanation
from survival.base import check_feature_frame
from survival.discretize import interpolate_log_survival

HISTORY = "history_months"


def horizon_weights(cuts: np.ndarray, horizon: float) -> np.ndarray:
    """``c`` with ``log S(horizon) = -Σ_j c_j softplus(logit_j)`` on the grid ``cuts``."""
    m = cuts.size - 1
    basis = np.zeros((m, m + 1))
    basis[:, 1:] = -np.tril(np.ones((m, m))).T  # row j: the log-survival of s = e_j
    return -interpolate_log_survival(cuts, basis, np.array([float(horizon)]))[:, 0]


class _LogCumHazard(nn.Module):
    """Wraps a hazard net: inputs -> ``log(-log S(horizon))``, shape (n, 1)."""

    def __init__(self, forward: Any, weights: np.ndarray, modules: list[nn.Module]) -> None:
        super().__init__()
        self.parts = nn.ModuleList(modules)
        self._forward = forward
        self.register_buffer("c", torch.as_tensor(weights, dtype=torch.float32))

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        logits = self._forward(*inputs)
        cumhaz = (nn.functional.softplus(logits) * self.c).sum(dim=1, keepdim=True)
        return torch.log(cumhaz.clamp_min(1e-30))


def _shap_values(
    module: nn.Module,
    background: list[torch.Tensor],
    inputs: list[torch.Tensor],
    nsamples: int,
    seed: int,
    batch: int,
) -> list[np.ndarray]:
    import shap

    explainer = shap.GradientExplainer(module, background, batch_size=batch)
    out = explainer.shap_values(inputs, nsamples=nsamples, rseed=seed)
    out = out if isinstance(out, list) else [out]
    return [
        np.asarray(a)[..., 0] if np.asarray(a).ndim > t.ndim else np.asarray(a)
        for a, t in zip(out, inputs, strict=True)
    ]


class _SampledExplainer(RiskExplainer):
    """Expected gradients: ``nsamples`` gradient samples per row (default
    ``default_nsamples``), a background of at most ``max_background`` rows, ``seed``."""

    exact: ClassVar[bool] = False
    default_nsamples: ClassVar[int] = 100

    def __init__(
        self,
        *args: Any,
        nsamples: int | None = None,
        max_background: int = 100,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.nsamples = nsamples or self.default_nsamples
        self.max_background, self.seed = max_background, seed


class GradientRiskExplainer(_SampledExplainer):
    """Expected gradients for :class:`~survival.logistic_hazard.LogisticHazardSurvival`.

    Extra parameters: ``nsamples`` (gradient samples per row, default 100),
    ``max_background`` (default 100 rows) and ``seed``.
    """

    method: ClassVar[str] = "gradient"

    def _encoded(self, X: pd.DataFrame) -> torch.Tensor:
        raw = check_feature_frame(X, self.model.feature_names_in_)
        Z = self.model.encoder_.transform(raw).to_numpy(dtype=np.float32, copy=True)
        return torch.from_numpy(Z)

    def _attribute(self, X: pd.DataFrame):
        model = self.model
        names = list(model.feature_names_in_)
        net = copy.deepcopy(model.net_).cpu().eval()  # the caller's model stays where it is
        module = _LogCumHazard(net, horizon_weights(model.cuts_, self.horizon), [net])
        bg = background_sample(self.background, self.max_background, self.seed)
        zb, zx = self._encoded(bg), self._encoded(X)
        (sv,) = _shap_values(module, [zb], [zx], self.nsamples, self.seed, 256)
        with torch.no_grad():
            base = float(module(zb).mean())
        values = sum_by_source(sv, model.encoder_.output_sources(), names)
        raw = check_feature_frame(X, model.feature_names_in_)
        return values, np.full(len(X), base), raw, names


class SequenceGradientRiskExplainer(_SampledExplainer):
    """Expected gradients for :class:`~survival.sequence_hazard.GRUHazardSurvival`,
    per feature and per month. Parameters as :class:`GradientRiskExplainer`."""

    method: ClassVar[str] = "sequence-gradient"
    default_nsamples: ClassVar[int] = 50  # a GRU pass over 12 months costs more

    def _attribute(self, seq: Any):
        return self._attribute_by_month(seq)[:4]

    def _attribute_by_month(self, seq: Any):
        model = self.model
        net = copy.deepcopy(model.net_).cpu().eval()  # the caller's model stays where it is
        module = _LogCumHazard(net.forward_steps, horizon_weights(model.cuts_, self.horizon), [net])
        bg = background_sample(self.background, self.max_background, self.seed)
        sb, xb, _ = model.network_inputs(bg)
        sx, xx, raw = model.network_inputs(seq)
        steps_sv, static_sv = _shap_values(
            module, [sb, xb], [sx, xx], self.nsamples, self.seed, 256
        )
        with torch.no_grad():
            base = float(module(sb, xb).mean())
        seq_names = list(model.feature_names_in_)
        F = len(seq_names)
        # per month: a feature's value and its "was missing" flag; "has data" is history
        by_month = steps_sv[:, :, :F] + steps_sv[:, :, F : 2 * F] if F else steps_sv[:, :, :0]
        history = steps_sv[:, :, 2 * F].sum(axis=1) if F else np.zeros(len(seq))
        static_names = list(model.static_names_in_)
        if model.static_encoder_ is not None:
            static_values = sum_by_source(
                static_sv, model.static_encoder_.output_sources(), static_names
            )
        else:
            static_values = np.zeros((len(seq), 0))
        names = [*seq_names, *static_names, HISTORY]
        values = np.column_stack([by_month.sum(axis=1), static_values, history])
        last = pd.DataFrame(
            raw[:, -1] if F else np.zeros((len(seq), 0)), index=seq.index, columns=seq_names
        )
        parts = [last]
        if static_names:
            parts.append(seq.static[static_names].set_axis(seq.index))
        months = seq.mask[:, -raw.shape[1] :].sum(axis=1) if F else 0
        parts.append(pd.DataFrame({HISTORY: months}, index=seq.index))
        data = pd.concat(parts, axis=1)
        return values, np.full(len(seq), base), data, names, by_month

    def __call__(self, seq: Any) -> RiskExplanation:
        *attributed, by_month = self._attribute_by_month(seq)
        explanation = self._finish(seq, *attributed)
        return replace(
            explanation,
            month_values=months_adding_up(by_month, explanation.log_values[:, : by_month.shape[2]]),
            month_feature_names=tuple(self.model.feature_names_in_),
        )


def months_adding_up(by_month: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Per-month contributions scaled so each feature's months sum to its total (the
    residual shared out as for the feature; a feature with no raw contribution gets its
    total spread evenly over the months)."""
    raw = by_month.sum(axis=1)
    safe = np.where(raw != 0, raw, 1.0)
    ratio = np.where(raw != 0, totals / safe, 1.0)
    even = np.where(raw != 0, 0.0, totals) / max(by_month.shape[1], 1)
    return by_month * ratio[:, None, :] + even[:, None, :]
