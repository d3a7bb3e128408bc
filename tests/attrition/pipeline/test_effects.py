"""Action effects measured from randomised campaigns (treatment vs control outflow)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats.contingency import relative_risk

from attrition.labels import client_outflow_labels
from attrition.pipeline.effects import EFFECT_COLUMNS, measured_effects


def test_the_maturity_call_campaign_is_measured_by_hand(scored_bank):
    data = scored_bank.data
    effects = measured_effects(data, min_per_group=10)
    assert list(effects.columns) == EFFECT_COLUMNS
    row = effects.set_index("action").loc["maturity_call"]
    c = data["campaigns"]
    as_of = pd.PeriodIndex(pd.to_datetime(c["date"]), freq="M") - 1
    labels = client_outflow_labels(data, sorted(set(as_of)))
    lab = labels.reindex(pd.MultiIndex.from_arrays([c["client_id"].astype(str), as_of]))
    left = (lab["event"].astype("boolean").fillna(False) & (lab["duration"] <= 3)).to_numpy()
    # a client counts when followed 3 months, or when they left within them
    known = lab["event"].notna().to_numpy() & (left | (lab["duration"] >= 3).to_numpy())
    control = (c["group"] == "control").to_numpy() & known
    assert row["n_control"] == control.sum()
    np.testing.assert_allclose(row["rate_control"], left[control].mean())
    treated = (c["group"] == "treatment").to_numpy() & known
    assert row["n_treatment"] == treated.sum()
    np.testing.assert_allclose(row["rate_treatment"], left[treated].mean())
    # the effect is one minus the relative risk, its interval scipy's (log method)
    rr = relative_risk(
        int(left[treated].sum()), int(treated.sum()), int(left[control].sum()), int(control.sum())
    )
    ci = rr.confidence_interval(0.95)
    np.testing.assert_allclose(row["effect"], np.clip(1 - rr.relative_risk, 0, 1))
    np.testing.assert_allclose(
        [row["effect_low"], row["effect_high"]], [1 - ci.high, 1 - ci.low], rtol=1e-3
    )
    events = row["rate_control"] * row["n_control"]
    assert row["usable"] == bool(
        row["n_treatment"] >= 10
        and row["n_control"] >= 10
        and events >= 10
        and row["rate_treatment"] > 0
    )
    strict = measured_effects(data, min_per_group=10, min_control_events=10_000)
    assert not strict["usable"].any()


def test_planning_a_past_month_uses_only_campaigns_followed_up_by_then(scored_bank):
    data = scored_bank.data
    month = pd.PeriodIndex(pd.to_datetime(data["campaigns"]["date"]), freq="M")
    cut = month.min() + 6
    early = measured_effects(data, min_per_group=1, before=cut).set_index("action")
    everything = measured_effects(data, min_per_group=1).set_index("action")
    allowed = ((month - 1) + 3 <= cut).sum()
    assert (
        early.loc["maturity_call", "n_treatment"] + early.loc["maturity_call", "n_control"]
        <= allowed
    )
    assert early.loc["maturity_call", "n_control"] < everything.loc["maturity_call", "n_control"]


def test_no_campaigns_no_effects(scored_bank):
    from dataclasses import replace

    data = scored_bank.data
    tables = {k: v for k, v in data.tables.items() if k != "campaigns"}
    without = replace(data, tables=tables)
    assert "campaigns" not in without
    assert measured_effects(without).empty
