"""Client features on hand-made banks with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attrition.features import build_features

RMS = [
    {"rm_id": "R1", "branch_id": "B1", "hire_date": "2015-01-01"},
    {"rm_id": "R2", "branch_id": "B1", "hire_date": "2020-01-01"},
]


def client(cid: str, rm: str = "R1", **kw: object) -> dict[str, object]:
    return {
        "client_id": cid,
        "branch_id": "B1",
        "rm_id": rm,
        "segment": "mass",
        "open_date": "2020-01-01",
        **kw,
    }


def test_aum_change_over_three_months_of_a_halving_is_minus_half(make_bank, balance_rows):
    bank = make_bank(monthly_balances=balance_rows("C1", "2024-01", [100, 100, 100, 50]))
    X = build_features(bank, "client", "2024-04")
    assert X.loc["C1", "aum_change_3m"] == pytest.approx(-0.5)
    assert X.loc["C1", "aum_change_1m"] == pytest.approx(-0.5)
    assert X.loc["C1", "aum_drawdown_12m"] == pytest.approx(-0.5)
    assert X.loc["C1", "aum"] == 50


def test_population_needs_an_open_client_with_a_balance_row_that_month(make_bank, balance_rows):
    clients = [
        client("C1"),
        client("C2", closed_date="2024-02-10"),
        client("C3"),
        client("C4", open_date="2024-03-05"),
    ]
    rows = (
        balance_rows("C1", "2024-01", [1, 1, 1])
        + balance_rows("C2", "2024-01", [1, 1, 1])
        + balance_rows("C3", "2024-01", [1, 1, None])
        + balance_rows("C4", "2024-03", [1])
    )
    bank = make_bank(clients=clients, monthly_balances=rows)
    assert list(build_features(bank, "client", "2024-03").index) == ["C1", "C4"]
    assert list(build_features(bank, "client", "2024-01").index) == ["C1", "C2", "C3"]


def test_payday_outflow_ratio_counts_external_outflow_within_five_days_of_payroll(
    make_bank, balance_rows
):
    def tx(cid, day, amount, direction, kind="transfer", external=True):
        return {
            "client_id": cid,
            "date": day,
            "amount": amount,
            "direction": direction,
            "kind": kind,
            "external": external,
        }

    transactions = [
        tx("C1", "2024-03-10", 10_000, "in", "payroll"),
        tx("C1", "2024-03-12", 3_000, "out"),  # 2 days after: counts
        tx("C1", "2024-03-11", 1_000, "out", external=False),  # stays in the bank
        tx("C1", "2024-03-18", 2_000, "out"),  # 8 days after: no
        tx("C1", "2024-03-20", 10_000, "in", "payroll"),
        tx("C1", "2024-03-25", 4_000, "out"),  # 5 days after: counts
        tx("C1", "2024-03-26", 500, "out"),  # 6 days after: no
        tx("C2", "2024-03-01", 5_000, "in", "payroll"),
        tx("C2", "2024-03-12", 900, "out"),  # 2 days after C1's payday, 11 after its own
    ]
    bank = make_bank(
        clients=[client("C1", is_payroll=True), client("C2", is_payroll=True)],
        monthly_balances=balance_rows("C1", "2024-01", [1e5] * 3)
        + balance_rows("C2", "2024-01", [1e5] * 3),
        transactions=transactions,
    )
    X = build_features(bank, "client", "2024-03")
    assert X.loc["C1", "payday_outflow_ratio_3m"] == pytest.approx(7_000 / 20_000)
    assert X.loc["C2", "payday_outflow_ratio_3m"] == 0.0
    assert X.loc["C1", "payroll_in_3m"] == 20_000
    assert X.loc["C1", "external_out_3m"] == 3_000 + 2_000 + 4_000 + 500
    assert X.loc["C1", "external_out_share_3m"] == pytest.approx(9_500 / 1e5)
    assert X.loc["C1", "months_since_payroll"] == 0
    assert X.loc["C1", "is_payroll"] == 1.0


def test_maturities_count_only_holdings_held_at_the_as_of_month_end(make_bank, balance_rows):
    def h(pid, amount, start, maturity, end=None, kind="wealth"):
        return {
            "client_id": "C1",
            "product_id": pid,
            "product_type": kind,
            "amount": amount,
            "start_date": start,
            "end_date": end,
            "maturity_date": maturity,
        }

    holdings = [
        h("H1", 10_000, "2023-06-01", "2024-04-15", kind="fund"),  # next month
        h("H2", 20_000, "2023-01-01", "2024-06-10"),  # in 3 months
        h("H3", 40_000, "2023-01-01", "2024-07-01"),  # in 4 months: no
        h("H4", 5_000, "2023-01-01", "2024-04-01", end="2024-02-15"),  # ended: no
        h("H5", 7_000, "2024-04-02", "2024-05-01"),  # bought later: no
        h("H6", 3_000, "2023-01-01", "2024-05-20", end="2024-05-20"),  # ends later: held
        h("H7", 1_000, "2023-01-01", "2024-03-20"),  # matured already: no
    ]
    bank = make_bank(monthly_balances=balance_rows("C1", "2024-01", [1e5] * 5), holdings=holdings)
    X = build_features(bank, "client", "2024-03")
    assert X.loc["C1", "maturing_share_1m"] == pytest.approx(0.10)
    assert X.loc["C1", "maturing_count_1m"] == 1
    assert X.loc["C1", "maturing_share_3m"] == pytest.approx(0.33)
    assert X.loc["C1", "maturing_count_3m"] == 3
    assert X.loc["C1", "product_count"] == 5  # H1, H2, H3, H6, H7
    assert X.loc["C1", "holdings_ended_3m"] == 1  # H4 in February
    assert X.loc["C1", "fund_share"] == pytest.approx(10_000 / 74_000)


def test_nav_return_weights_held_products_by_amount(make_bank, balance_rows):
    holdings = [
        {
            "client_id": "C1",
            "product_id": "F1",
            "product_type": "fund",
            "amount": 3_000,
            "start_date": "2023-01-01",
        },
        {
            "client_id": "C1",
            "product_id": "F2",
            "product_type": "fund",
            "amount": 1_000,
            "start_date": "2023-01-01",
        },
    ]
    returns = [
        {"product_id": "F1", "month": "2024-03", "return": 0.10},
        {"product_id": "F2", "month": "2024-03", "return": -0.10},
        {"product_id": "F1", "month": "2024-04", "return": -0.50},
    ]
    bank = make_bank(
        monthly_balances=balance_rows("C1", "2024-01", [1e5] * 4),
        holdings=holdings,
        product_returns=returns,
    )
    X = build_features(bank, "client", "2024-03")
    assert X.loc["C1", "nav_return_3m"] == pytest.approx(0.05)
    assert X.loc["C1", "nav_drawdown_6m"] == pytest.approx(0.0)
    X = build_features(bank, "client", "2024-04")
    assert X.loc["C1", "nav_return_3m"] == pytest.approx(1.05 * 0.5 - 1)
    assert X.loc["C1", "nav_drawdown_6m"] == pytest.approx(-0.5)


def test_contacts_and_days_since_the_last_one(make_bank, balance_rows):
    contacts = [
        {"client_id": "C1", "rm_id": "R1", "date": d, "channel": "call"}
        for d in ("2023-06-01", "2024-01-05", "2024-03-21", "2024-04-02")
    ]
    bank = make_bank(
        rms=RMS, monthly_balances=balance_rows("C1", "2024-01", [1e5] * 4), interactions=contacts
    )
    X = build_features(bank, "client", "2024-03")
    assert X.loc["C1", "days_since_contact"] == 10
    assert X.loc["C1", "contacts_3m"] == 2
    X = build_features(bank, "client", "2024-01")
    assert X.loc["C1", "days_since_contact"] == 26
    # A contact before the first balance month still dates the last contact.
    rows = [c for c in contacts if c["date"] == "2023-06-01"]
    bank = make_bank(
        rms=RMS, monthly_balances=balance_rows("C1", "2024-01", [1e5]), interactions=rows
    )
    X = build_features(bank, "client", "2024-01")
    assert (
        X.loc["C1", "days_since_contact"]
        == (pd.Timestamp("2024-01-31") - pd.Timestamp("2023-06-01")).days
    )
    assert X.loc["C1", "contacts_3m"] == 0


def test_ownership_comes_from_assignments_and_falls_back_to_clients_rm_id(make_bank, balance_rows):
    assignments = [
        {"client_id": "C1", "rm_id": "R1", "start_date": "2023-01-01", "end_date": "2024-02-10"},
        {"client_id": "C1", "rm_id": "R2", "start_date": "2024-02-10"},
        {"client_id": "C2", "rm_id": "R2", "start_date": "2024-03-31"},  # last day counts
        {"client_id": "C3", "rm_id": "R2", "start_date": "2024-04-01"},  # too late
    ]
    balances = [r for c in ("C1", "C2", "C3") for r in balance_rows(c, "2023-12", [1e5] * 4)]
    clients = [client("C1"), client("C2"), client("C3")]
    with_a = make_bank(rms=RMS, clients=clients, monthly_balances=balances, assignments=assignments)
    X = build_features(with_a, "client", "2024-03")
    # R2 was hired 2020-01: 50 months by 2024-03; R1 (2015-01): 110.
    assert X.loc["C1", "rm_tenure_months"] == 50
    assert X.loc["C2", "rm_tenure_months"] == 50
    assert np.isnan(X.loc["C3", "rm_tenure_months"])
    assert X.loc["C1", "months_since_reassignment"] == 1
    assert np.isnan(X.loc["C2", "months_since_reassignment"])
    assert X.loc["C1", "rm_workload"] == pytest.approx(2 / 300)
    Xj = build_features(with_a, "client", "2024-01")
    assert Xj.loc["C1", "rm_tenure_months"] == 108

    without = make_bank(rms=RMS, clients=clients, monthly_balances=balances)
    X = build_features(without, "client", "2024-03")
    assert (X["rm_tenure_months"] == 110).all()
    assert X.loc["C1", "rm_workload"] == pytest.approx(3 / 300)
    assert "months_since_reassignment" not in X.columns


def test_reassignments_before_and_at_the_first_balance_month_are_seen(make_bank, balance_rows):
    # Balances (the grid) start in 2024-01. C1 changed RM in 2022-12, before the grid;
    # C2 in 2024-01, the grid's first month (the month-end before it is off the grid).
    assignments = [
        {"client_id": "C1", "rm_id": "R1", "start_date": "2020-01-01", "end_date": "2022-12-15"},
        {"client_id": "C1", "rm_id": "R2", "start_date": "2022-12-15"},
        {"client_id": "C2", "rm_id": "R1", "start_date": "2023-06-01", "end_date": "2024-01-05"},
        {"client_id": "C2", "rm_id": "R2", "start_date": "2024-01-05"},
        {"client_id": "C3", "rm_id": "R1", "start_date": "2021-03-01"},
    ]
    balances = [r for c in ("C1", "C2", "C3") for r in balance_rows(c, "2024-01", [1e5] * 3)]
    clients = [client("C1"), client("C2"), client("C3")]
    bank = make_bank(rms=RMS, clients=clients, monthly_balances=balances, assignments=assignments)
    X = build_features(bank, "client", "2024-03")
    assert X.loc["C1", "months_since_reassignment"] == 15
    assert X.loc["C2", "months_since_reassignment"] == 2
    assert np.isnan(X.loc["C3", "months_since_reassignment"])
    # C2's change counts in its first month although the month-end before is off the grid
    assert X["reassignments_12m"].to_dict() == {"C1": 0, "C2": 1, "C3": 0}
    first = build_features(bank, "client", "2024-01")
    assert first.loc["C2", "months_since_reassignment"] == 0
    assert first.loc["C1", "months_since_reassignment"] == 13


def test_rm_departed_flags_a_recent_previous_owner_exit_and_a_gone_current_rm(
    make_bank, balance_rows
):
    rms = [
        {
            "rm_id": "R1",
            "branch_id": "B1",
            "hire_date": "2015-01-01",
            "exit_date": "2024-01-20",
            "exit_type": "voluntary",
        },
        {"rm_id": "R2", "branch_id": "B1", "hire_date": "2020-01-01"},
        {
            "rm_id": "R3",
            "branch_id": "B1",
            "hire_date": "2020-01-01",
            "exit_date": "2024-05-10",
            "exit_type": "voluntary",
        },
    ]
    assignments = [
        {"client_id": "C1", "rm_id": "R1", "start_date": "2022-01-01", "end_date": "2023-12-15"},
        {"client_id": "C1", "rm_id": "R2", "start_date": "2023-12-15"},
        {"client_id": "C2", "rm_id": "R3", "start_date": "2022-01-01"},
    ]
    balances = [r for c in ("C1", "C2") for r in balance_rows(c, "2023-10", [1e5] * 11)]
    bank = make_bank(
        rms=rms,
        clients=[client("C1"), client("C2", rm="R3")],
        monthly_balances=balances,
        assignments=assignments,
    )
    X = build_features(bank, "client", ["2023-12", "2024-03", "2024-05", "2024-08"])
    flag = X["rm_departed"].unstack("as_of")
    assert flag.loc["C1"].tolist() == [0.0, 1.0, 1.0, 0.0]
    assert flag.loc["C2"].tolist() == [0.0, 0.0, 1.0, 1.0]


def test_rm_book_outflow_follows_the_clients_owned_three_months_ago(make_bank, balance_rows):
    balances = balance_rows("C1", "2024-01", [100, 100, 100, 40]) + balance_rows(
        "C2", "2024-01", [300, 300, 300, 600]
    )
    bank = make_bank(rms=RMS, clients=[client("C1"), client("C2")], monthly_balances=balances)
    X = build_features(bank, "client", "2024-04")
    # C1 lost 60 of the book's 400; C2's gain is not netted.
    assert X.loc["C1", "rm_book_outflow_3m"] == pytest.approx(60 / 400)


def test_rm_risk_hook_joins_the_owner_s_score(make_bank, balance_rows):
    bank = make_bank(
        rms=RMS,
        clients=[client("C1"), client("C2", rm="R2")],
        monthly_balances=balance_rows("C1", "2024-01", [1]) + balance_rows("C2", "2024-01", [1]),
    )
    X = build_features(bank, "client", "2024-01")
    assert "rm_flight_risk" not in X.columns
    risk = pd.Series({"R1": 0.2, "R2": 0.7})
    X = build_features(bank, "client", "2024-01", rm_risk=risk)
    assert X["rm_flight_risk"].tolist() == [0.2, 0.7]
    by_month = pd.Series([0.9], index=pd.MultiIndex.from_tuples([("R1", pd.Period("2024-01"))]))
    X = build_features(bank, "client", ["2024-01"], rm_risk=by_month)
    assert X["rm_flight_risk"].iloc[0] == 0.9 and np.isnan(X["rm_flight_risk"].iloc[1])


def test_profile_and_peer_features(make_bank, balance_rows):
    clients = [
        client("C1", birth_year=1980, risk_level=3),
        client("C2"),
        client("C3"),
        client("C4", segment="private"),
    ]
    aums = {"C1": 100, "C2": 200, "C3": 400, "C4": 50}
    balances = [r for c, v in aums.items() for r in balance_rows(c, "2024-01", [v])]
    X = build_features(make_bank(clients=clients, monthly_balances=balances), "client", "2024-01")
    assert X.loc["C1", "tenure_months"] == 48
    assert X.loc["C1", "age"] == 44
    assert X.loc["C1", "risk_level"] == 3
    assert X["aum_vs_segment"].tolist() == [0.5, 1.0, 2.0, 1.0]
    assert X["segment"].dtype == "category"
    assert list(X["segment"].cat.categories) == ["mass", "private"]
