"""Contract event labels on hand-made banks with known answers."""

from __future__ import annotations

import pandas as pd
import pytest

from attrition.contracts import PANDAS_DTYPES, TABLES, BankData
from attrition.errors import ConfigError
from attrition.labels import OutflowDefinition, client_outflow_labels, rm_resignation_labels


def _typed(name: str, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    return frame.astype({c: PANDAS_DTYPES[TABLES[name].column(c).dtype] for c in frame.columns})


def _bank(aums: dict[str, list[float]], closed: dict[str, str] | None = None) -> BankData:
    closed = closed or {}
    months = pd.period_range("2024-01", periods=max(len(v) for v in aums.values()), freq="M")
    balances = [
        {"client_id": cid, "month": str(months[i]), "aum": a}
        for cid, seq in aums.items()
        for i, a in enumerate(seq)
        if a is not None
    ]
    clients = [
        {
            "client_id": cid,
            "branch_id": "B1",
            "rm_id": "R1",
            "segment": "mass",
            "open_date": "2020-01-01",
            "closed_date": closed.get(cid),
        }
        for cid in aums
    ]
    rms = [
        {
            "rm_id": "R1",
            "branch_id": "B1",
            "hire_date": "2015-01-01",
            "exit_date": None,
            "exit_type": None,
        },
        {
            "rm_id": "R2",
            "branch_id": "B1",
            "hire_date": "2015-01-01",
            "exit_date": "2024-05-20",
            "exit_type": "voluntary",
        },
        {
            "rm_id": "R3",
            "branch_id": "B1",
            "hire_date": "2015-01-01",
            "exit_date": "2024-04-02",
            "exit_type": "involuntary",
        },
        {
            "rm_id": "R4",
            "branch_id": "B1",
            "hire_date": "2024-04-15",
            "exit_date": None,
            "exit_type": None,
        },
        {
            "rm_id": "R5",
            "branch_id": "B1",
            "hire_date": "2015-01-01",
            "exit_date": "2024-03-31",
            "exit_type": "voluntary",
        },
    ]
    return BankData(
        {
            "branches": _typed("branches", [{"branch_id": "B1", "name": "One"}]),
            "rms": _typed("rms", rms),
            "clients": _typed("clients", clients),
            "monthly_balances": _typed("monthly_balances", balances),
        }
    )


def test_outflow_event_is_first_month_at_or_below_half_the_reference():
    data = _bank({"001": [100e3, 100e3, 100e3, 60e3, 50e3, 20e3]})
    lab = client_outflow_labels(data, "2024-03").loc[("001", pd.Period("2024-03", "M"))]
    assert lab["event"] and lab["duration"] == 2
    assert lab["reference_aum"] == pytest.approx(100e3)
    assert lab["event_aum"] == pytest.approx(50e3)


def test_closed_date_counts_as_outflow_when_it_comes_first():
    data = _bank({"001": [100e3, 100e3, 100e3, 90e3, 90e3]}, closed={"001": "2024-04-15"})
    lab = client_outflow_labels(data, "2024-03").loc[("001", pd.Period("2024-03", "M"))]
    assert lab["event"] and lab["duration"] == 1


def test_no_event_is_censored_at_the_last_month_with_data():
    data = _bank({"001": [100e3, 100e3, 100e3, 90e3, None, 80e3, None]})
    lab = client_outflow_labels(data, "2024-03").loc[("001", pd.Period("2024-03", "M"))]
    assert not lab["event"] and lab["duration"] == 3


def test_clients_under_min_aum_or_without_later_data_are_out_of_the_population():
    data = _bank({"small": [5e3, 5e3, 5e3, 1e3], "gone": [100e3, 100e3, 100e3], "ok": [50e3] * 4})
    lab = client_outflow_labels(data, "2024-03")
    assert list(lab.index.get_level_values("client_id")) == ["ok"]


def test_outflow_definition_is_configurable():
    data = _bank({"001": [100e3, 100e3, 100e3, 75e3, 70e3]})
    default = client_outflow_labels(data, "2024-03")
    strict = client_outflow_labels(data, "2024-03", OutflowDefinition(drop=0.2))
    assert not default["event"].iloc[0]
    assert strict["event"].iloc[0] and strict["duration"].iloc[0] == 1


def test_several_as_of_months_stack_into_landmark_rows():
    data = _bank({"001": [100e3] * 8})
    lab = client_outflow_labels(data, ["2024-03", "2024-05"])
    assert list(lab["duration"]) == [5, 3]


def test_rm_labels_voluntary_is_event_involuntary_censors_and_population_is_employed():
    data = _bank({"001": [100e3] * 8})
    lab = rm_resignation_labels(data, "2024-03")
    got = {rid: (int(r.duration), bool(r.event)) for (rid, _), r in lab.iterrows()}
    # R4 hired after the as-of month; R5 left at the end of the as-of month
    assert got == {"R1": (5, False), "R2": (2, True), "R3": (1, False)}
    assert lab.loc[("R3", pd.Period("2024-03", "M")), "event_type"] == "involuntary"


@pytest.mark.parametrize(
    "bad, match",
    [
        pytest.param(dict(drop=1.5), "drop must be in", id="drop"),
        pytest.param(dict(reference_months=0), "reference_months", id="reference"),
        pytest.param(dict(min_aum=-1), "min_aum", id="min-aum"),
    ],
)
def test_outflow_definition_rejects_bad_values(bad, match):
    with pytest.raises(ConfigError, match=match):
        OutflowDefinition(**bad)


def test_as_of_that_is_not_a_month_is_rejected():
    with pytest.raises(ConfigError, match="not a month"):
        client_outflow_labels(_bank({"001": [1e5] * 4}), "March")


def test_a_client_already_below_the_threshold_at_the_as_of_is_not_at_risk():
    data = _bank({"001": [100e3, 100e3, 30e3, 30e3, 30e3], "002": [100e3] * 5})
    lab = client_outflow_labels(data, "2024-03")
    assert list(lab.index.get_level_values("client_id")) == ["002"]
