"""What validate and features refuse or warn about: dates after the load date, months
far beyond the rest, text among numbers in a flat table, an as-of before the data."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from typer.testing import CliRunner

from attrition.cli import app
from attrition.contracts import FlatSpec
from attrition.coverage import month_coverage
from attrition.errors import ConfigError
from attrition.features import build_features
from attrition.validation import validate_flat, validate_tables

LOAD_DAY = dt.date(2024, 4, 15)  # the hand-made bank's balances run 2024-01..2024-03


def _add_row(raw: dict[str, pd.DataFrame], table: str, **values: str) -> None:
    frame = raw[table]
    row = {c: values.get(c, "") for c in frame.columns}
    raw[table] = pd.concat([frame, pd.DataFrame([row], dtype=object)], ignore_index=True)


def test_validating_a_balance_row_dated_after_the_load_date_names_it(raw_bank):
    _add_row(raw_bank, "monthly_balances", client_id="C002", month="2030-01", aum="5000")
    _add_row(raw_bank, "transactions", client_id="C001", date="2024-04-16", amount="10",
             direction="in", kind="other", external="false")  # fmt: skip
    _add_row(raw_bank, "monthly_balances", client_id="C001", month="2024-04", aum="1")

    report = validate_tables(raw_bank, today=LOAD_DAY)

    assert not report.ok and report.data is None  # nothing half-loaded
    found = {(p.table, p.column, p.rule): p for p in report.problems}
    assert set(found) == {
        ("monthly_balances", "month", "future_date"),
        ("transactions", "date", "future_date"),
    }  # the load month itself (2024-04) is allowed
    month = found["monthly_balances", "month", "future_date"]
    assert month.count == 1 and month.examples == ("client_id='C002', month='2030-01'",)
    assert "2024-04" in month.expected
    day = found["transactions", "date", "future_date"]
    assert "value '2024-04-16'" in day.examples[0] and "2024-04-15" in day.expected
    assert "2030-01" in report.render()


def test_validating_with_a_month_far_beyond_the_rest_warns_and_keeps_the_default_as_of(raw_bank):
    # five months after the rest, one row where a month typically holds five
    _add_row(raw_bank, "monthly_balances", client_id="C002", month="2024-09", aum="5000")

    report = validate_tables(raw_bank, today=dt.date(2024, 10, 1))

    assert report.ok
    (warning,) = [w for w in report.warnings if w.rule == "outlying_month"]
    assert (warning.table, warning.column, warning.count) == ("monthly_balances", "month", 1)
    assert warning.examples == ("client_id='C002', month='2024-09'",)
    assert "2024-09 holds 1 row" in warning.expected and "2024-01..2024-03" in warning.expected
    data = report.data
    assert str(data.last_month) == "2024-03" and str(data.latest_month) == "2024-09"
    with pytest.raises(ConfigError, match=r"2024-09 is after the last month .*2024-01\.\.2024-03"):
        data.check_as_of([pd.Period("2024-09", "M")])


@pytest.mark.parametrize(
    ("rows", "last", "outliers"),
    [
        pytest.param({"2024-01": 100, "2024-02": 100, "2024-03": 100}, "2024-03", [], id="even"),
        pytest.param({"2024-01": 100, "2024-02": 100, "2024-03": 9}, "2024-02",
                     [("2024-03", 9)], id="sparse-last-month"),
        pytest.param({"2024-01": 100, "2024-02": 100, "2024-03": 60}, "2024-03", [],
                     id="last-month-with-over-half-the-rows-is-kept"),
        pytest.param({"2024-01": 100, "2024-02": 100, "2024-03": 100, "2024-04": 30},
                     "2024-03", [("2024-04", 30)], id="partly-loaded-last-month"),
        pytest.param({"2024-01": 100, "2024-02": 100, "2024-03": 100,
                      "2024-04": 45, "2024-05": 20}, "2024-03", [("2024-04", 45), ("2024-05", 20)],
                     id="two-partly-loaded-months"),
        pytest.param({"2024-01": 10, "2024-02": 30, "2024-03": 100}, "2024-03", [],
                     id="a-growing-bank-is-covered"),
        pytest.param({"2024-01": 100, "2024-02": 100, "2024-06": 100}, "2024-02",
                     [("2024-06", 100)], id="after-a-gap"),
        pytest.param({"2024-01": 100, "2024-02": 100, "2024-04": 100}, "2024-04", [],
                     id="one-missing-month-is-no-gap"),
        pytest.param({"2024-01": 100, "2024-02": 100, "2026-01": 2, "2030-01": 1}, "2024-02",
                     [("2026-01", 2), ("2030-01", 1)], id="several"),
    ],
)  # fmt: skip
def test_the_data_covers_months_up_to_the_last_one_that_is_not_far_beyond_the_rest(
    rows, last, outliers
):
    months = pd.Series(pd.PeriodIndex([m for m, n in rows.items() for _ in range(n)], freq="M"))
    cov = month_coverage(months)
    assert str(cov.first) == "2024-01" and str(cov.last) == last
    assert [(str(m), n) for m, n in cov.outliers] == outliers


def test_training_on_a_flat_table_with_text_among_numbers_names_every_bad_value():
    frame = pd.DataFrame(
        {
            "customer": ["0001", "0002", "0003", "0004"],
            "tenure": ["12", "1.5", "30", "7"],
            "churned": ["1", "0", "1", "0"],
            "charges": ["29.85", "n/a", "56.95", "-"],
            "age": ["30", "41", "abc", "25"],
            "notes": ["a", "b", "c", "d"],  # text only: a text feature, as before
        },
        dtype=object,
    )
    typed, problems = validate_flat(frame, FlatSpec("customer", "tenure", "churned"))

    assert typed.empty
    assert [(p.column, p.rule, p.count) for p in problems] == [
        ("charges", "type", 2),
        ("age", "type", 1),
    ]
    assert problems[0].examples == ("customer='0002' (value 'n/a')", "customer='0004' (value '-')")
    assert problems[1].examples == ("customer='0003' (value 'abc')",)
    assert "data.categorical" in problems[0].expected


def test_scoring_a_flat_table_checks_the_columns_that_were_numbers_in_training():
    frame = pd.DataFrame({"customer": ["1", "2"], "age": ["old", "young"]}, dtype=object)
    spec = FlatSpec("customer", "tenure", "churned", features=("age",))

    _, as_training = validate_flat(frame, spec, outcomes=False)
    _, as_scoring = validate_flat(
        frame, FlatSpec(**{**spec.__dict__, "numeric": ("age",)}), outcomes=False
    )

    assert as_training == []  # text only, and nothing says it held numbers
    assert [(p.column, p.rule, p.count) for p in as_scoring] == [("age", "type", 2)]
    assert "trained on" in as_scoring[0].expected


def test_features_before_the_data_starts_are_refused_and_nothing_is_written(
    raw_bank, write_csv_bank, tmp_path
):
    source = write_csv_bank(raw_bank)
    out = tmp_path / "features.parquet"

    result = CliRunner().invoke(
        app, ["features", "--source", str(source), "--as-of", "2023-06", "--out", str(out)]
    )

    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "2023-06 is before the first month with balance data (2024-01)" in said
    assert "monthly_balances covers 2024-01..2024-03" in said
    assert not out.exists()


def test_features_in_the_data_range_are_built(raw_bank):
    data = validate_tables(raw_bank, today=LOAD_DAY).data
    assert len(build_features(data, "client", "2024-01")) > 0
    with pytest.raises(ConfigError, match="before the first month with balance data"):
        build_features(data, "rm", ["2023-12", "2024-02"])


def test_validating_a_bank_whose_last_month_is_partly_loaded_warns_and_scores_the_month_before(
    small_bank,
):
    from attrition.pipeline.score import default_as_of

    tables = dict(small_bank.data.tables)
    balances = tables["monthly_balances"]
    last = balances["month"].max()
    at_last = balances.index[balances["month"] == last]
    dropped = at_last[int(len(at_last) * 0.3) :]  # only 30% of the last month loaded
    tables["monthly_balances"] = balances.drop(dropped).reset_index(drop=True)

    report = validate_tables(tables, today=dt.date(2030, 1, 1))

    assert report.ok
    (warning,) = [w for w in report.warnings if w.rule == "outlying_month"]
    assert warning.table == "monthly_balances" and f"{last} holds" in warning.expected
    assert f"stop at {last - 1}" in warning.expected
    assert default_as_of(report.data) == last - 1


def _hr_cut_at(small_bank, months_short: int):
    """The small bank's tables with rm_monthly ending ``months_short`` months early."""
    tables = dict(small_bank.data.tables)
    hr = tables["rm_monthly"]
    end = small_bank.data.last_month - months_short
    tables["rm_monthly"] = hr[hr["month"] <= end].reset_index(drop=True)
    return tables, end


def test_validating_a_bank_whose_hr_data_stops_months_early_warns(small_bank):
    tables, end = _hr_cut_at(small_bank, 9)

    report = validate_tables(tables, today=dt.date(2030, 1, 1))

    assert report.ok
    (warning,) = [w for w in report.warnings if w.rule == "ends_early"]
    assert (warning.table, warning.column) == ("rm_monthly", "month")
    last = small_bank.data.last_month
    assert f"months up to {last}, the last month of monthly_balances" in warning.expected
    assert f"..{end}, 9 months short" in warning.expected
    assert f"RMs cannot be scored, nor their features built, at an as-of after {end}" in (
        warning.expected
    )


def test_rm_features_after_the_hr_data_ends_are_refused_with_its_range(small_bank):
    tables, end = _hr_cut_at(small_bank, 9)
    data = validate_tables(tables, today=dt.date(2030, 1, 1)).data
    last = data.last_month

    with pytest.raises(ConfigError) as refused:
        build_features(data, "rm", [end, last])
    said = str(refused.value)
    assert f"as-of {last} is after the last month of rm_monthly ({end})" in said
    assert f"pick a month from {data.first_month} to {end}" in said
    with pytest.raises(ConfigError, match=f"after the last month of rm_monthly \\({end}\\)"):
        data.check_as_of([last], entities=("rm", "client"))

    assert len(build_features(data, "rm", end)) > 0  # up to its last month, RMs are built
    assert len(build_features(data, "client", last)) > 0  # clients do not read rm_monthly
    data.check_as_of([last], entities=("client",))


def test_features_for_rms_after_the_hr_data_ends_from_the_cli_exit_1_and_write_nothing(
    small_bank, tmp_path
):
    from attrition.io import write_tables

    tables, end = _hr_cut_at(small_bank, 9)
    write_tables(tables, tmp_path / "bank")
    out = tmp_path / "rm_features.parquet"
    last = small_bank.data.last_month

    result = CliRunner().invoke(
        app,
        ["features", "--source", str(tmp_path / "bank"), "--as-of", str(last), "--entity", "rm",
         "--out", str(out)],
    )  # fmt: skip

    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert f"as-of {last} is after the last month of rm_monthly ({end})" in said
    assert "Traceback" not in result.output
    assert not out.exists()
    # the data-quality warning of loading comes first, as a plain line
    assert said.startswith("Warning: 1 data quality warning(s) in")
    assert "rm_monthly.month [ends_early]" in said
    assert "DataQualityWarning" not in said and "load_bank(source)" not in said
