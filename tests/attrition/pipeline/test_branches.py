"""The branch view adds up its clients' and RMs' scores."""

from __future__ import annotations

import numpy as np

from attrition.pipeline.branches import BRANCH_COLUMNS, branch_view


def test_branch_totals_add_up_to_the_scores(scores, scored_bank):
    view = branch_view(scores, scored_bank.data)
    assert list(view.columns) == BRANCH_COLUMNS
    assert view["branch_id"].is_unique
    clients = scores[scores["entity_type"] == "client"]
    rms = scores[scores["entity_type"] == "rm"]
    assert view["clients"].sum() == len(clients) and view["rms"].sum() == len(rms)
    np.testing.assert_allclose(view["client_value_at_risk"].sum(), clients["value_at_risk"].sum())
    np.testing.assert_allclose(view["rm_value_at_risk"].sum(), rms["value_at_risk"].sum())
    assert view["clients_high"].sum() == (clients["tier"] == "high").sum()
    assert view["client_value_at_risk"].is_monotonic_decreasing
    # one branch checked by hand
    table = scored_bank.data["clients"]
    first = view["branch_id"].iloc[0]
    ids = set(table.loc[table["branch_id"] == first, "client_id"])
    want = clients.loc[clients["id"].isin(ids), "value_at_risk"].sum()
    np.testing.assert_allclose(view["client_value_at_risk"].iloc[0], want)
