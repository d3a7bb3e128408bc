"""RM features on hand-made banks with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from attrition.features import build_features


def rm(rid: str, branch: str = "B1", hire: str = "2020-01-01", **kw: object) -> dict[str, object]:
    return {"rm_id": rid, "branch_id": branch, "hire_date": hire, **kw}


def client(cid: str, rm_id: str) -> dict[str, object]:
    return {
        "client_id": cid,
        "branch_id": "B1",
        "rm_id": rm_id,
        "segment": "mass",
        "open_date": "2020-01-01",
    }


def hr_rows(rid: str, months: list[str], **values: object) -> list[dict[str, object]]:
    return [{"rm_id": rid, "month": m, **values} for m in months]


MONTHS = [f"2024-{m:02d}" for m in range(1, 7)]


def test_rm_population_is_hired_and_not_exited_by_the_month_end(make_bank, balance_rows):
    rms = [
        rm("R1"),
        rm("R2", exit_date="2024-03-15", exit_type="voluntary"),
        rm("R3", hire="2024-04-01"),
    ]
    bank = make_bank(rms=rms, monthly_balances=balance_rows("C1", "2024-01", [1] * 6))
    assert list(build_features(bank, "rm", "2024-02").index) == ["R1", "R2"]
    assert list(build_features(bank, "rm", "2024-04").index) == ["R1", "R3"]
    X = build_features(bank, "rm", "2024-02")
    assert X.index.name == "rm_id"
    assert X.loc["R1", "tenure_months"] == 49


def test_book_size_workload_and_lost_share(make_bank, balance_rows):
    clients = [client("C1", "R1"), client("C2", "R1"), client("C3", "R1"), client("C4", "R2")]
    balances = (
        balance_rows("C1", "2024-01", [100] * 7)
        + balance_rows("C2", "2024-01", [100, 100, 100, 100, 100, 100, 50])
        + balance_rows("C3", "2024-01", [100] * 7)
        + balance_rows("C4", "2024-01", [100] * 7)
    )
    bank = make_bank(rms=[rm("R1"), rm("R2")], clients=clients, monthly_balances=balances)
    X = build_features(bank, "rm", "2024-07")
    assert X.loc["R1", "book_size"] == 3
    assert X.loc["R1", "workload"] == pytest.approx(3 / 300)
    assert X.loc["R1", "book_aum"] == 250
    assert X.loc["R1", "book_aum_change_3m"] == pytest.approx(250 / 300 - 1)
    assert X.loc["R1", "book_outflow_3m"] == pytest.approx(50 / 300)
    assert X.loc["R1", "book_lost_share_6m"] == pytest.approx(1 / 3)
    assert X.loc["R2", "book_lost_share_6m"] == 0


def test_lost_share_counts_the_book_clients_without_a_baseline_aum(make_bank, balance_rows):
    # All four are R1's book at the 2024-01 month-end; C2 and C3 opened that month and
    # have no balance row until 2024-02 (no AUM baseline). C3 closed in 2024-05: lost.
    # C2 is still open: it cannot have halved an AUM it had not shown, so it counts as
    # kept. C4 had 0 AUM then (nothing to halve) and is still open: kept as well.
    late = {"open_date": "2024-01-20"}
    clients = [
        client("C1", "R1"),
        client("C2", "R1") | late,
        client("C3", "R1") | late | {"closed_date": "2024-05-10"},
        client("C4", "R1"),
    ]
    balances = (
        balance_rows("C1", "2024-01", [100] * 7)
        + balance_rows("C2", "2024-02", [100] * 6)
        + balance_rows("C3", "2024-02", [100, 100, 100, 0])
        + balance_rows("C4", "2024-01", [0] * 7)
    )
    bank = make_bank(rms=[rm("R1")], clients=clients, monthly_balances=balances)
    X = build_features(bank, "rm", "2024-07")
    assert X.loc["R1", "book_size"] == 3
    assert X.loc["R1", "book_lost_share_6m"] == pytest.approx(1 / 4)


def test_peer_exits_count_voluntary_exits_of_branch_colleagues_only(make_bank, balance_rows):
    rms = [
        rm("R1", exit_date="2024-02-10", exit_type="voluntary"),
        rm("R2", exit_date="2024-03-10", exit_type="involuntary"),
        rm("R3"),
        rm("R4", branch="B2"),
        rm("R5", exit_date="2024-09-01", exit_type="voluntary"),  # after the as-of
    ]
    bank = make_bank(
        branches=[{"branch_id": "B1", "name": "a"}, {"branch_id": "B2", "name": "b"}],
        rms=rms,
        monthly_balances=balance_rows("C1", "2024-01", [1] * 9),
    )
    X = build_features(bank, "rm", "2024-06")
    assert X.loc["R3", "peer_exits_6m"] == 1
    assert X.loc["R4", "peer_exits_6m"] == 0
    assert X.loc["R5", "peer_exits_6m"] == 1
    X = build_features(bank, "rm", "2024-09")
    assert X.loc["R3", "peer_exits_6m"] == 1  # R5 in September; R1 (February) is too old


def test_hr_features(make_bank, balance_rows):
    rms = [rm("R1", hire="2019-06-01"), rm("R2"), rm("R3")]
    hr = (
        hr_rows(
            "R1",
            MONTHS,
            bonus=1_000.0,
            target_attainment=1.0,
            overtime_hours=10.0,
            leave_days=1.0,
            training_hours=2.0,
            manager_changed=False,
            promoted=False,
        )
        + hr_rows("R2", MONTHS, bonus=3_000.0, promoted=False, manager_changed=False)
        + hr_rows("R3", MONTHS, bonus=2_000.0, promoted=False, manager_changed=False)
    )
    hr[2]["promoted"] = True  # R1 promoted 2024-03
    hr[4]["manager_changed"] = True  # R1 manager changed 2024-05
    hr[5]["target_attainment"] = 0.4  # R1 missed target in June
    for i, month in enumerate(MONTHS):
        hr[i]["engagement_score"] = 4.0 if month <= "2024-02" else None
        hr[i]["overtime_hours"] = 10.0 + 5 * i
    bank = make_bank(
        rms=rms, monthly_balances=balance_rows("C1", "2024-01", [1] * 6), rm_monthly=hr
    )
    X = build_features(bank, "rm", "2024-06")
    assert X.loc["R1", "bonus_vs_branch"] == pytest.approx(0.5)
    assert X.loc["R2", "bonus_vs_branch"] == pytest.approx(1.5)
    assert X.loc["R1", "months_since_promotion"] == 3
    assert X.loc["R2", "months_since_promotion"] == 53  # never promoted: since hire
    assert X.loc["R1", "manager_changes_6m"] == 1
    assert X.loc["R1", "target_attainment_3m"] == pytest.approx(0.8)
    assert X.loc["R1", "overtime_hours_3m"] == pytest.approx(30.0)
    assert X.loc["R1", "overtime_trend_6m"] == pytest.approx(5.0)
    assert X.loc["R1", "engagement_score"] == 4.0
    assert X.loc["R1", "leave_days_6m"] == 6
    assert np.isnan(X.loc["R2", "engagement_score"])


def test_contacts_per_book_client(make_bank, balance_rows):
    clients = [client("C1", "R1"), client("C2", "R1")]
    contacts = [
        {"client_id": c, "rm_id": "R1", "date": d, "channel": "visit"}
        for c, d in (("C1", "2024-02-03"), ("C2", "2024-03-03"), ("C2", "2024-03-09"))
    ]
    bank = make_bank(
        rms=[rm("R1")],
        clients=clients,
        interactions=contacts,
        monthly_balances=balance_rows("C1", "2024-01", [1] * 3)
        + balance_rows("C2", "2024-01", [1] * 3),
    )
    X = build_features(bank, "rm", "2024-03")
    assert X.loc["R1", "contacts_per_client_3m"] == pytest.approx(1.5)


def test_protected_attributes_are_never_features(random_bank):
    X = build_features(random_bank(3), "rm", "2023-03")
    assert not {"birth_year", "gender", "age", "name", "email"} & set(X.columns)
