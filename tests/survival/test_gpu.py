"""CUDA training gives the CPU's results within tolerance (run with ``pytest -m gpu``).

Deselected by default and skipped without CUDA: CI and most machines have none. On a
machine with a GPU: ``.venv/bin/pytest -m gpu tests/survival/test_gpu.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from survival.logistic_hazard import LogisticHazardSurvival
from survival.sequence_hazard import GRUHazardSurvival
from survival.sequences import SequenceFrame

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]
# no dropout: CPU and CUDA draw dropout masks from different generators
COMMON = {"dropout": 0.0, "max_epochs": 15, "n_intervals": 8, "seed": 0, "patience": None}


def _sequences(n: int = 2000, months: int = 8) -> SequenceFrame:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(n, months, 3)).astype(np.float32)
    mask = np.ones((n, months), dtype=bool)
    lin = values[:, -3:, 0].sum(axis=1) * 0.5
    t_event = rng.exponential(10.0 / np.exp(lin))
    t_cens = rng.uniform(2.0, 20.0, size=n)
    import pandas as pd

    index = pd.Index([f"g{i:05d}" for i in range(n)], name="id")
    labels = pd.DataFrame(
        {
            "duration": np.ceil(np.minimum(t_event, t_cens)),
            "event": (t_event <= t_cens).astype(int),
        },
        index=index,
    )
    return SequenceFrame(values, mask, index, ("a", "b", "c"), labels=labels)


def _close(cpu: np.ndarray, gpu: np.ndarray) -> None:
    assert np.abs(cpu - gpu).max() < 0.02
    assert np.corrcoef(cpu.ravel(), gpu.ravel())[0, 1] > 0.99


def test_the_gru_trains_to_the_same_predictions_on_cuda():
    seq = _sequences()
    cpu = GRUHazardSurvival(hidden_size=16, device="cpu", **COMMON).fit(seq)
    gpu = GRUHazardSurvival(hidden_size=16, device="cuda", **COMMON).fit(seq)
    assert gpu.device_.startswith("cuda")
    _close(
        cpu.predict_survival(seq, [3.0, 6.0]).to_numpy(),
        gpu.predict_survival(seq, [3.0, 6.0]).to_numpy(),
    )


def test_the_logistic_hazard_net_trains_to_the_same_predictions_on_cuda(frame_factory, tmp_path):
    df = frame_factory(2000, seed=2)
    params = {"hidden": (16,), **COMMON}
    cpu = LogisticHazardSurvival(device="cpu", **params).fit(df)
    gpu = LogisticHazardSurvival(device="cuda", **params).fit(df)
    X = df.drop(columns=["duration", "event"])
    _close(
        cpu.predict_survival(X, [3.0, 6.0]).to_numpy(),
        gpu.predict_survival(X, [3.0, 6.0]).to_numpy(),
    )
    # saved weights are CPU tensors (a CPU-only scorer can load them); here they go
    # back to the GPU and predict the same
    gpu.save(tmp_path / "m.pkl")
    loaded = LogisticHazardSurvival.load(tmp_path / "m.pkl")
    np.testing.assert_allclose(
        loaded.predict_survival(X, [3.0]).to_numpy(),
        gpu.predict_survival(X, [3.0]).to_numpy(),
        atol=1e-6,
    )
