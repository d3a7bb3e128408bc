"""A generated bank as it stood at the end of a month: what a bank would have loaded."""

from __future__ import annotations

import pandas as pd
import pytest

from attrition.synthetic import GeneratorConfig, generate_bank
from attrition.synthetic.loaded import as_loaded_at
from attrition.validation import validate_tables

CUT = pd.Period("2026-06", "M")


@pytest.fixture(scope="module")
def bank():
    # 60 clients per RM: enough RMs for some to leave after the cut
    return generate_bank(config=GeneratorConfig(n_clients=2400, seed=5, clients_per_rm=60))


@pytest.fixture(scope="module")
def loaded(bank):
    return as_loaded_at(bank.data, CUT)


def test_the_loaded_bank_is_a_valid_bank_ending_at_the_cut(loaded):
    report = validate_tables(loaded.tables)
    assert report.ok, [str(p) for p in report.problems][:5]
    assert loaded.last_month == CUT
    end = CUT.to_timestamp(how="end")
    for name, column in (("transactions", "date"), ("interactions", "date")):
        assert (loaded[name][column] <= end).all()
    assert (loaded["monthly_balances"]["month"] <= CUT).all()


def test_what_happened_after_the_cut_is_not_known(bank, loaded):
    end = CUT.to_timestamp(how="end")
    rms, full = loaded["rms"].set_index("rm_id"), bank.data["rms"].set_index("rm_id")
    left_later = full.index[full["exit_date"] > end]
    assert len(left_later) > 0  # the bank had RMs leave after the cut...
    # ...who were still employed as far as the loaded bank knows
    assert rms.loc[left_later, "exit_date"].isna().all()
    assert rms.loc[left_later, "exit_type"].isna().all()
    left_before = full.index[full["exit_date"] <= end]
    pd.testing.assert_series_equal(
        rms.loc[left_before, "exit_date"], full.loc[left_before, "exit_date"]
    )
    # nobody opened after the cut; the rest are all there
    clients = bank.data["clients"]
    opened = clients["open_date"] <= end
    assert sorted(loaded["clients"]["client_id"]) == sorted(clients.loc[opened, "client_id"])


def test_each_client_has_the_rm_assigned_at_the_cut(bank, loaded):
    end = CUT.to_timestamp(how="end")
    a = bank.data["assignments"]
    at_cut = a[(a["start_date"] <= end) & (a["end_date"].isna() | (a["end_date"] > end))]
    want = at_cut.drop_duplicates("client_id", keep="last").set_index("client_id")["rm_id"]
    got = loaded["clients"].set_index("client_id")["rm_id"].reindex(want.index)
    differ = want.index[got.astype(str).to_numpy() != want.astype(str).to_numpy()]
    assert len(differ) == 0, list(differ[:5])
    # a loaded client without an open assignment has no RM
    unassigned = loaded["clients"].set_index("client_id").index.difference(want.index)
    assert loaded["clients"].set_index("client_id").loc[unassigned, "rm_id"].isna().all()
    # the full bank's clients table shows today's RM, which differs for some
    now = bank.data["clients"].set_index("client_id")["rm_id"].reindex(want.index)
    assert (now.astype(str) != want.astype(str)).any()


@pytest.mark.parametrize(
    ("month", "said"),
    [("June", "must be YYYY-MM, got 'June'"), ("2030-01", "outside the data's months")],
)
def test_a_month_that_is_not_in_the_data_is_refused(bank, month, said):
    with pytest.raises(ValueError, match=said):
        as_loaded_at(bank.data, month)
