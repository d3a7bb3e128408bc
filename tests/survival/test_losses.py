"""The logistic-hazard likelihood against hand-computed values and pycox's formula."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from survival.losses import NLLLogisticHazardLoss, nll_logistic_hazard


def _pycox_formula(logits: np.ndarray, idx: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Per-row loss written out: BCE-with-logits summed over intervals 0..idx, with
    target 1 only at idx and only for an event (pycox ``nll_logistic_hazard``)."""
    out = np.zeros(len(idx))
    for i in range(len(idx)):
        for k in range(idx[i] + 1):
            x = float(logits[i, k])
            y = float(event[i]) if k == idx[i] else 0.0
            p = 1.0 / (1.0 + math.exp(-x))
            out[i] -= y * math.log(p) + (1.0 - y) * math.log(1.0 - p)
    return out


def _tensors(logits, idx, event):
    return (
        torch.tensor(logits, dtype=torch.float64),
        torch.tensor(idx, dtype=torch.int64),
        torch.tensor(event, dtype=torch.float64),
    )


def test_loss_equals_the_hand_computed_likelihood_on_a_tiny_example():
    # row 0: hazards (1/2, 1/2, 1/2), event in interval 1 -> -log(1/2 * 1/2) = 2 log 2
    # row 1: hazards (3/4, 1/4, 1/2), censored after interval 2
    #        -> -log(1/4 * 3/4 * 1/2) = log(32/3)
    logits, idx, event = _tensors(
        [[0.0, 0.0, 0.0], [math.log(3.0), -math.log(3.0), 0.0]], [1, 2], [1.0, 0.0]
    )
    expected = np.array([2 * math.log(2.0), math.log(32.0 / 3.0)])
    per_row = nll_logistic_hazard(logits, idx, event, reduction="none")
    np.testing.assert_allclose(per_row.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(nll_logistic_hazard(logits, idx, event).item(), expected.mean())
    np.testing.assert_allclose(
        nll_logistic_hazard(logits, idx, event, reduction="sum").item(), expected.sum()
    )


def test_loss_equals_the_pycox_formula_on_random_inputs():
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=2.0, size=(40, 7))
    idx = rng.integers(0, 7, size=40)
    event = rng.random(40) < 0.5
    got = nll_logistic_hazard(*_tensors(logits, idx, event), reduction="none")
    np.testing.assert_allclose(got.numpy(), _pycox_formula(logits, idx, event), rtol=1e-10)


def test_module_wrapper_matches_the_function_and_accepts_bool_events():
    rng = np.random.default_rng(1)
    logits = torch.tensor(rng.normal(size=(10, 4)), dtype=torch.float32)
    idx = torch.tensor(rng.integers(0, 4, size=10))
    event = torch.tensor(rng.random(10) < 0.5)
    expected = nll_logistic_hazard(logits, idx, event.float(), reduction="sum")
    got = NLLLogisticHazardLoss(reduction="sum")(logits, idx, event)
    torch.testing.assert_close(got, expected)


def test_loss_and_gradient_stay_finite_for_extreme_logits():
    logits = torch.tensor([[80.0, -80.0, 80.0], [-80.0, 80.0, -80.0]], requires_grad=True)
    loss = nll_logistic_hazard(logits, torch.tensor([2, 1]), torch.tensor([1.0, 0.0]))
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(logits.grad).all()
    # intervals after a row's index carry no gradient
    assert logits.grad[1, 2] == 0


@pytest.mark.parametrize(
    ("logits", "idx", "event", "reduction", "match"),
    [
        pytest.param((3, 4), [0, 1, 4], [1, 0, 1], "mean", "idx must lie in 0..3", id="idx-high"),
        pytest.param((3, 4), [0, -1, 2], [1, 0, 1], "mean", "idx must lie in 0..3", id="idx-neg"),
        pytest.param((3, 4), [0, 1], [1, 0], "mean", "must have shape \\(3,\\)", id="short"),
        pytest.param((4,), [0], [1], "mean", "logits must be 2-D", id="1-d"),
        pytest.param((3, 4), [0, 1, 2], [1, 0, 1], "max", "reduction must be", id="reduction"),
    ],
)
def test_bad_inputs_are_rejected(logits, idx, event, reduction, match):
    with pytest.raises(ValueError, match=match):
        nll_logistic_hazard(
            torch.zeros(logits), torch.tensor(idx), torch.tensor(event), reduction=reduction
        )


def test_module_rejects_an_unknown_reduction():
    with pytest.raises(ValueError, match="reduction must be one of"):
        NLLLogisticHazardLoss(reduction="avg")
