"""The sequence model's explainer: per feature, per month, and the static features."""

from __future__ import annotations

import numpy as np

from explain import make_explainer
from explain.gradient import HISTORY, horizon_weights

HORIZON = 6.0


def test_horizon_weights_reproduce_the_interpolated_survival(gru):
    from survival.discretize import interpolate_log_survival

    rng = np.random.default_rng(0)
    softplus = rng.uniform(0.0, 0.3, size=(5, gru.cuts_.size - 1))
    log_surv = np.zeros((5, gru.cuts_.size))
    log_surv[:, 1:] = -np.cumsum(softplus, axis=1)
    for h in (0.5, 3.0, HORIZON, gru.cuts_[-1]):
        want = interpolate_log_survival(gru.cuts_, log_surv, np.array([h]))[:, 0]
        np.testing.assert_allclose(-softplus @ horizon_weights(gru.cuts_, h), want, atol=1e-12)


def test_explaining_leaves_the_model_where_it_was(gru, seq):
    before = next(gru.net_.parameters())
    make_explainer(gru, seq.take(np.arange(50)), horizon=HORIZON)(seq.take(np.arange(5)))
    assert next(gru.net_.parameters()) is before


def test_sequence_contributions_add_up_by_month_and_find_the_trend(gru, seq):
    rows = seq.take(np.arange(60))
    explanation = make_explainer(gru, seq.take(np.arange(100, 300)), horizon=HORIZON)(rows)
    assert explanation.method == "sequence-gradient"
    assert explanation.feature_names == ("usage", "calls", "segment", HISTORY)
    risk = 1.0 - gru.predict_survival(rows, [HORIZON]).to_numpy()[:, 0]
    np.testing.assert_allclose(explanation.risk, risk, atol=1e-9)
    # the sum above holds by construction (the sampling residual is shared out): the
    # residual itself must be small next to how much the log output varies
    log_out = np.log(-np.log(1.0 - risk))
    assert 0 < np.abs(explanation.residuals).mean() < 0.2 * log_out.std()
    months = explanation.month_values
    assert months.shape == (60, seq.n_steps, 2)
    assert explanation.month_feature_names == ("usage", "calls")
    # a feature's months add up to its log contribution
    np.testing.assert_allclose(months.sum(axis=1), explanation.log_values[:, :2], atol=1e-9)
    # the hazard lives in usage's last months: that is where its contributions are
    importance = explanation.global_importance()
    assert importance.index[0] == "usage"
    assert importance["usage"] > 3 * importance["calls"]
    recent = np.abs(months[:, -4:, 0]).sum()
    assert recent > 0.7 * np.abs(months[:, :, 0]).sum()
    # the as-of month's values are what the drivers show
    np.testing.assert_array_equal(explanation.data["usage"], seq.values[:60, -1, 0])
    assert (explanation.data[HISTORY].iloc[:60] <= seq.n_steps).all()
