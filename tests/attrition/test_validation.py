"""Tests for attrition.validation: coercion to contract dtypes and every contract rule."""

from __future__ import annotations

import datetime as dt
import decimal
import zoneinfo
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from attrition.coercion import coerce_series
from attrition.contracts import PANDAS_DTYPES, TABLES, FlatSpec
from attrition.errors import Problem, SourceError
from attrition.io import validate_source
from attrition.validation import (
    ValidationReport,
    validate_flat,
    validate_tables,
)

Raw = dict[str, pd.DataFrame]
Mutation = Callable[[Raw], None]

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _find(report: ValidationReport, table: str, column: str | None, rule: str) -> Problem:
    hits = [p for p in report.problems if (p.table, p.column, p.rule) == (table, column, rule)]
    assert hits, f"no {table}.{column} [{rule}] in:\n{report.render()}"
    return hits[0]


# --------------------------------------------------------------------------- coercion


def _dates(*values: str | None) -> list[pd.Timestamp]:
    return [pd.NaT if v is None else pd.Timestamp(v) for v in values]


COERCE_OK = [
    pytest.param(
        pd.Series(["2024-03-01", "2024-03-01T10:00:00", " 2024-03-01 ", "", None], dtype=object),
        "date",
        _dates("2024-03-01", "2024-03-01", "2024-03-01", None, None),
        id="date-iso-strings-and-empties",
    ),
    pytest.param(
        pd.Series(["2024-03-01 23:30:00+08:00", "2024-03-01T00:15:00Z", "2024-03-01 01:00+08"]),
        "date",
        _dates("2024-03-01", "2024-03-01", "2024-03-01"),
        id="date-strings-with-offsets-keep-wall-clock-date",
    ),
    pytest.param(
        pd.Series(np.array(["2024-03-01T10:00", "NaT"], dtype="datetime64[s]")),
        "date",
        _dates("2024-03-01", None),
        id="date-datetime64-seconds",
    ),
    pytest.param(
        pd.Series(np.array(["2024-03-01T23:59:59.999"], dtype="datetime64[ms]")),
        "date",
        _dates("2024-03-01"),
        id="date-datetime64-milliseconds",
    ),
    pytest.param(
        pd.Series(pd.to_datetime(["2024-03-01 00:30"]).tz_localize(SHANGHAI)),
        "date",
        _dates("2024-03-01"),
        id="date-tz-aware-keeps-local-date-not-utc",
    ),
    pytest.param(
        pd.Series([dt.date(2024, 3, 1), None, dt.date(1990, 1, 31)], dtype=object),
        "date",
        _dates("2024-03-01", None, "1990-01-31"),
        id="date-python-date-objects",
    ),
    pytest.param(
        pd.Series(
            [
                dt.datetime(2024, 3, 1, 0, 30, tzinfo=SHANGHAI),
                dt.datetime(2024, 3, 2, 23, 0, tzinfo=dt.UTC),
            ],
            dtype=object,
        ),
        "date",
        _dates("2024-03-01", "2024-03-02"),
        id="date-objects-with-mixed-time-zones",
    ),
    pytest.param(
        pd.Series(["2024-03", "2024-3", "2024-03-31", "2024-03-01T08:00:00", ""]),
        "month",
        [pd.Period("2024-03", "M")] * 4 + [pd.NaT],
        id="month-strings-and-dates-inside-the-month",
    ),
    pytest.param(
        pd.Series(pd.to_datetime(["2024-03-31", "2024-04-01"]).tz_localize("UTC")),
        "month",
        [pd.Period("2024-03", "M"), pd.Period("2024-04", "M")],
        id="month-native-timestamps",
    ),
    pytest.param(
        pd.Series(pd.period_range("2024-01-15", periods=2, freq="D")),
        "month",
        [pd.Period("2024-01", "M")] * 2,
        id="month-daily-periods",
    ),
    pytest.param(
        pd.Series(["TRUE", "false", "True", "0", "1", "t", "F", " 1 "]),
        "bool",
        [True, False, True, False, True, True, False, True],
        id="bool-words-and-digits-any-case",
    ),
    pytest.param(pd.Series([1.0, 0.0, np.nan]), "bool", [True, False, pd.NA], id="bool-floats-0-1"),
    pytest.param(
        pd.Series([True, False, None], dtype=object),
        "bool",
        [True, False, pd.NA],
        id="bool-python-objects-with-missing",
    ),
    pytest.param(
        pd.Series(["1", "2.0", " 3 ", "", "1e3"]),
        "int",
        [1, 2, 3, pd.NA, 1000],
        id="int-whole-numbers-as-text",
    ),
    pytest.param(pd.Series([1.0, np.nan, -4.0]), "int", [1, pd.NA, -4], id="int-whole-floats"),
    pytest.param(
        pd.Series(["1.5", "-2", "1e3", " 4 ", ""]),
        "float",
        [1.5, -2.0, 1000.0, 4.0, np.nan],
        id="float-text",
    ),
    pytest.param(
        pd.Series([decimal.Decimal("12.50"), None], dtype=object),
        "float",
        [12.5, np.nan],
        id="float-sql-decimals",
    ),
    pytest.param(
        pd.Series(["000123", "", "C1", None], dtype=object),
        "str",
        ["000123", pd.NA, "C1", pd.NA],
        id="str-keeps-leading-zeros",
    ),
    pytest.param(pd.Series([123, 4560], dtype="int64"), "str", ["123", "4560"], id="str-int-ids"),
    pytest.param(pd.Series([123.0, np.nan]), "str", ["123", pd.NA], id="str-float-ids-with-gaps"),
]


@pytest.mark.parametrize(("raw", "dtype", "expected"), COERCE_OK)
def test_coerce_series_accepts_every_contract_form(raw, dtype, expected):
    typed, bad = coerce_series(raw, dtype)
    assert typed.dtype == PANDAS_DTYPES[dtype]
    assert not bad.any()
    pd.testing.assert_series_equal(
        typed, pd.Series(expected, dtype=PANDAS_DTYPES[dtype]), check_names=False
    )


COERCE_BAD = [
    pytest.param(["2024-02-30", "01/03/2024", "yesterday", "2024-03-01"], "date", id="date"),
    pytest.param(["9999-12-31", "", "", "2024-03-01"], "date", id="date-9999-out-of-range"),
    pytest.param(["2024-13", "March", "2024-03-32", "2024-03"], "month", id="month"),
    pytest.param(["yes", "2", "on", "true"], "bool", id="bool"),
    pytest.param(["2.5", "abc", "1,000", "7"], "int", id="int"),
    pytest.param(["1,234.5", "inf", "NaN", "4.5"], "float", id="float"),
]


@pytest.mark.parametrize(("values", "dtype"), COERCE_BAD)
def test_coerce_series_flags_unparseable_values_instead_of_hiding_them(values, dtype):
    raw = pd.Series(values, dtype=object)
    typed, bad = coerce_series(raw, dtype)
    present = raw != ""
    np.testing.assert_array_equal(bad.to_numpy()[:-1], present.to_numpy()[:-1])
    assert not bad.iloc[-1]
    assert typed.iloc[:-1].isna().all()
    assert typed.iloc[-1] is not pd.NA and not pd.isna(typed.iloc[-1])


@pytest.mark.parametrize(
    ("raw", "dtype"),
    [
        pytest.param(pd.Series([20240301, 1]), "date", id="integers-are-not-dates"),
        pytest.param(
            pd.Series(np.array(["9999-12-31"], dtype="datetime64[us]")),
            "date",
            id="native-date-beyond-2262",
        ),
        pytest.param(pd.Series([0.5, 2.0]), "bool", id="floats-other-than-0-1"),
        pytest.param(pd.Series([True, False]), "float", id="bools-are-not-numbers"),
    ],
)
def test_coerce_series_flags_native_values_of_the_wrong_kind(raw, dtype):
    _, bad = coerce_series(raw, dtype)
    assert bad.all()


@given(st.dates(min_value=dt.date(1700, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_coerce_date_reads_every_iso_form_of_a_date(day):
    forms = pd.Series(
        [day.isoformat(), f"{day.isoformat()}T13:45:00", f"{day.isoformat()} 23:59:59+08:00"]
    )
    typed, bad = coerce_series(forms, "date")
    assert not bad.any()
    assert (typed == pd.Timestamp(day)).all()
    month, bad = coerce_series(forms, "month")
    assert not bad.any()
    assert (month == pd.Period(day, "M")).all()


@given(
    st.sampled_from(["true", "false", "t", "f"]).flatmap(
        lambda word: st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
            lambda upper: "".join(c.upper() if u else c for c, u in zip(word, upper, strict=True))
        )
    )
)
def test_coerce_bool_ignores_case(word):
    typed, bad = coerce_series(pd.Series([word]), "bool")
    assert not bad.any()
    assert typed.iloc[0] == word.lower().startswith("t")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_coerce_float_round_trips_text_exactly(value):
    typed, bad = coerce_series(pd.Series([repr(value)], dtype=object), "float")
    assert not bad.any()
    assert typed.iloc[0] == value


@given(st.integers(min_value=-(2**53), max_value=2**53))
def test_coerce_int_reads_text_integers(value):
    typed, bad = coerce_series(pd.Series([str(value)], dtype=object), "int")
    assert not bad.any()
    assert typed.iloc[0] == value


# --------------------------------------------------------------------------- tables


def test_valid_bank_passes_and_comes_back_typed(raw_bank):
    raw_bank["clients"]["bank_internal_flag"] = "x"  # unknown extra column
    del raw_bank["rms"]["birth_year"]  # optional column left out
    report = validate_tables(raw_bank, source="hand-made")
    assert report.ok, report.render()
    assert report.problems == ()
    assert report.warnings == ()
    assert report.missing_tables == ()
    data = report.data
    assert data is not None
    assert data.source == "hand-made"
    assert set(data) == set(TABLES)
    for name, frame in data.items():
        table = TABLES[name]
        assert list(frame.columns) == [c for c in table.column_names if c in frame.columns]
        for column in frame.columns:
            assert frame[column].dtype == PANDAS_DTYPES[table.column(column).dtype], column
    assert "bank_internal_flag" not in data["clients"].columns
    assert "birth_year" not in data["rms"].columns
    assert data["clients"]["rm_id"].isna().sum() == 1  # empty rm_id = unassigned, allowed
    assert data["monthly_balances"]["month"].max() == pd.Period("2024-03", "M")


def test_missing_optional_tables_are_reported_as_skipped_feature_groups(raw_bank):
    for name in ("transactions", "holdings", "rm_monthly"):
        del raw_bank[name]
    report = validate_tables(raw_bank)
    assert report.ok
    assert report.missing_tables == ("transactions", "holdings", "rm_monthly")
    assert report.missing_feature_groups == (
        "transactions",
        "payday",
        "holdings",
        "maturities",
        "hr",
    )
    assert report.data is not None
    assert report.data.missing_tables == report.missing_tables
    text = report.render()
    assert "Optional tables missing: transactions, holdings, rm_monthly" in text
    assert "Feature groups skipped: transactions, payday, holdings, maturities, hr" in text
    assert "monthly_balances" in text and "15" in text


def _set(table: str, column: str, row: int, value: str) -> Mutation:
    def mutate(raw: Raw) -> None:
        raw[table].loc[row, column] = value

    return mutate


def _drop_table(table: str) -> Mutation:
    return lambda raw: raw.pop(table)


def _empty(table: str) -> Mutation:
    def mutate(raw: Raw) -> None:
        raw[table] = raw[table].iloc[0:0]

    return mutate


def _drop_column(table: str, *columns: str) -> Mutation:
    def mutate(raw: Raw) -> None:
        raw[table] = raw[table].drop(columns=list(columns))

    return mutate


def _duplicate_row(table: str, row: int, **changes: str) -> Mutation:
    def mutate(raw: Raw) -> None:
        copy = raw[table].iloc[[row]].assign(**changes)
        raw[table] = pd.concat([raw[table], copy], ignore_index=True)

    return mutate


def _both(*mutations: Mutation) -> Mutation:
    def mutate(raw: Raw) -> None:
        for m in mutations:
            m(raw)

    return mutate


RULES = [
    # tables and columns
    pytest.param(_drop_table("branches"), "branches", None, "required_table", 0,
                 id="table-missing"),
    pytest.param(_empty("rms"), "rms", None, "empty_table", 0, id="required-table-empty"),
    pytest.param(
        _drop_column("monthly_balances", "aum"),
        "monthly_balances", "aum", "required_column", 0, id="column-missing",
    ),
    pytest.param(
        _drop_column("campaigns", "client_id", "rm_id"),
        "campaigns", "client_id", "required_column", 0, id="campaign-target-columns-missing",
    ),
    # types
    pytest.param(_set("rms", "hire_date", 0, "yesterday"), "rms", "hire_date", "type", 1,
                 id="date-not-a-date"),
    pytest.param(_set("holdings", "end_date", 0, "9999-12-31"), "holdings", "end_date", "type", 1,
                 id="date-out-of-range"),
    pytest.param(_set("monthly_balances", "month", 4, "2024-13"), "monthly_balances", "month",
                 "type", 1, id="month-not-a-month"),
    pytest.param(_set("monthly_balances", "aum", 2, "12abc"), "monthly_balances", "aum", "type", 1,
                 id="float-not-a-number"),
    pytest.param(_set("clients", "risk_level", 0, "2.5"), "clients", "risk_level", "type", 1,
                 id="int-not-whole"),
    pytest.param(_set("transactions", "external", 0, "maybe"), "transactions", "external", "type",
                 1, id="bool-not-a-bool"),
    # empties
    pytest.param(_set("clients", "segment", 1, ""), "clients", "segment", "not_null", 1,
                 id="empty-segment"),
    pytest.param(_set("transactions", "amount", 0, ""), "transactions", "amount", "not_null", 1,
                 id="empty-amount"),
    pytest.param(_set("rms", "hire_date", 2, ""), "rms", "hire_date", "not_null", 1,
                 id="empty-hire-date"),
    # allowed values
    pytest.param(_both(_set("rms", "exit_type", 1, "quit"), _set("rms", "exit_type", 2, "Fired")),
                 "rms", "exit_type", "allowed_values", 2, id="exit-type"),
    pytest.param(_set("transactions", "direction", 0, "sideways"), "transactions", "direction",
                 "allowed_values", 1, id="direction"),
    pytest.param(_set("transactions", "kind", 1, "gift"), "transactions", "kind",
                 "allowed_values", 1, id="kind"),
    pytest.param(_set("holdings", "product_type", 0, "crypto"), "holdings", "product_type",
                 "allowed_values", 1, id="product-type"),
    pytest.param(_set("interactions", "channel", 0, "pigeon"), "interactions", "channel",
                 "allowed_values", 1, id="channel"),
    pytest.param(_set("campaigns", "group", 0, "placebo"), "campaigns", "group",
                 "allowed_values", 1, id="campaign-group"),
    # numeric bounds
    pytest.param(_set("monthly_balances", "aum", 0, "-1"), "monthly_balances", "aum",
                 "not_negative", 1, id="negative-aum"),
    pytest.param(_set("monthly_balances", "deposits", 0, "-5"), "monthly_balances", "deposits",
                 "not_negative", 1, id="negative-deposits"),
    pytest.param(_set("transactions", "amount", 0, "0"), "transactions", "amount", "positive", 1,
                 id="zero-transaction"),
    pytest.param(_set("holdings", "amount", 1, "-0.01"), "holdings", "amount", "not_negative", 1,
                 id="negative-holding"),
    pytest.param(_set("clients", "risk_level", 0, "6"), "clients", "risk_level", "range", 1,
                 id="risk-level-above-5"),
    pytest.param(_set("clients", "risk_level", 1, "0"), "clients", "risk_level", "range", 1,
                 id="risk-level-below-1"),
    pytest.param(_set("rm_monthly", "engagement_score", 0, "0.5"), "rm_monthly",
                 "engagement_score", "range", 1, id="engagement-below-1"),
    pytest.param(_set("rm_monthly", "overtime_hours", 0, "-1"), "rm_monthly", "overtime_hours",
                 "not_negative", 1, id="negative-overtime"),
    pytest.param(_set("rm_monthly", "leave_days", 1, "-1"), "rm_monthly", "leave_days",
                 "not_negative", 1, id="negative-leave"),
    pytest.param(_set("rm_monthly", "training_hours", 0, "-2"), "rm_monthly", "training_hours",
                 "not_negative", 1, id="negative-training"),
    # unique keys
    pytest.param(_duplicate_row("monthly_balances", 0, aum="1"), "monthly_balances", None,
                 "duplicate_key", 2, id="month-with-two-rows"),
    pytest.param(_duplicate_row("monthly_balances", 0, month="2024-01-31"), "monthly_balances",
                 None, "duplicate_key", 2, id="same-month-written-as-a-date"),
    pytest.param(_duplicate_row("branches", 1, name="South 2"), "branches", None,
                 "duplicate_key", 2, id="duplicate-branch"),
    pytest.param(_duplicate_row("rm_monthly", 2), "rm_monthly", None, "duplicate_key", 2,
                 id="duplicate-rm-month"),
    pytest.param(_duplicate_row("product_returns", 3), "product_returns", None, "duplicate_key",
                 2, id="duplicate-product-month"),
    # foreign keys
    pytest.param(_set("clients", "rm_id", 0, "R404"), "clients", "rm_id", "foreign_key", 1,
                 id="client-rm-unknown"),
    pytest.param(_set("clients", "branch_id", 0, "B99"), "clients", "branch_id", "foreign_key",
                 1, id="client-branch-unknown"),
    pytest.param(_set("rms", "branch_id", 0, "B99"), "rms", "branch_id", "foreign_key", 1,
                 id="rm-branch-unknown"),
    pytest.param(_set("monthly_balances", "client_id", 0, "C999"), "monthly_balances",
                 "client_id", "foreign_key", 1, id="balance-client-unknown"),
    # cross-column rules
    pytest.param(_set("rms", "exit_date", 0, "2024-01-31"), "rms", "exit_type", "exit_pair", 1,
                 id="exit-date-without-type"),
    pytest.param(_set("rms", "exit_type", 0, "voluntary"), "rms", "exit_date", "exit_pair", 1,
                 id="exit-type-without-date"),
    pytest.param(_set("rms", "exit_date", 1, "2018-05-31"), "rms", "exit_date", "date_order", 1,
                 id="exit-before-hire"),
    pytest.param(_set("holdings", "end_date", 2, "2023-08-31"), "holdings", "end_date",
                 "date_order", 1, id="holding-ends-before-start"),
    pytest.param(_set("clients", "closed_date", 2, "2021-03-29"), "clients", "closed_date",
                 "date_order", 1, id="closed-before-open"),
    pytest.param(_set("campaigns", "rm_id", 0, "R01"), "campaigns", "client_id",
                 "campaign_target", 1, id="campaign-both-targets"),
    pytest.param(_set("campaigns", "client_id", 2, ""), "campaigns", "client_id",
                 "campaign_target", 1, id="campaign-no-target"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "table", "column", "rule", "count"), RULES)
def test_each_contract_rule_reports_its_problem(raw_bank, mutate, table, column, rule, count):
    mutate(raw_bank)
    report = validate_tables(raw_bank)
    assert not report.ok
    assert report.data is None
    problem = _find(report, table, column, rule)
    assert problem.count == count
    assert 1 <= len(problem.examples) <= min(count, 5) or count == 0
    assert problem.expected
    assert f"[{rule}]" in report.render()


def test_problems_from_broken_rules_do_not_bleed_into_other_rules(raw_bank):
    _set("monthly_balances", "aum", 0, "-1")(raw_bank)
    report = validate_tables(raw_bank)
    assert [(p.table, p.column, p.rule) for p in report.problems] == [
        ("monthly_balances", "aum", "not_negative")
    ]


def test_all_problems_are_reported_at_once(raw_bank):
    _set("rms", "exit_type", 1, "quit")(raw_bank)
    _set("clients", "open_date", 0, "not a date")(raw_bank)
    _set("monthly_balances", "aum", 0, "-1")(raw_bank)
    _drop_column("transactions", "kind")(raw_bank)
    report = validate_tables(raw_bank)
    assert {(p.table, p.rule) for p in report.problems} == {
        ("rms", "allowed_values"),
        ("clients", "type"),
        ("monthly_balances", "not_negative"),
        ("transactions", "required_column"),
    }
    lines = report.render().splitlines()
    assert lines[0] == "4 data contract problems:"
    assert sum(line.startswith("  - ") for line in lines) == 4


def test_examples_name_rows_by_key_and_count_every_offending_row(raw_bank):
    balances = raw_bank["monthly_balances"]
    balances.loc[:, "aum"] = "-1"
    raw_bank["transactions"].loc[1, "amount"] = "-3"
    report = validate_tables(raw_bank)
    aum = _find(report, "monthly_balances", "aum", "not_negative")
    assert aum.count == 15
    assert aum.examples == (
        "client_id='C001', month='2024-01' (value '-1')",
        "client_id='C001', month='2024-02' (value '-1')",
        "client_id='C001', month='2024-03' (value '-1')",
        "client_id='C002', month='2024-01' (value '-1')",
        "client_id='C002', month='2024-02' (value '-1')",
    )
    # transactions have no key: the 1-based data row number leads
    amount = _find(report, "transactions", "amount", "positive")
    assert amount.examples == ("row 2 (client_id='C001'; value '-3')",)
    assert "expected a number > 0" in str(amount)


def test_duplicate_key_examples_list_each_key_once(raw_bank):
    _duplicate_row("monthly_balances", 0)(raw_bank)
    _duplicate_row("monthly_balances", 0)(raw_bank)
    problem = _find(validate_tables(raw_bank), "monthly_balances", None, "duplicate_key")
    assert problem.count == 3
    assert problem.examples == ("client_id='C001', month='2024-01'",)
    assert problem.expected == "one row per client_id, month"


def test_empty_key_is_shown_with_its_row_number(raw_bank):
    raw_bank["clients"].loc[3, "client_id"] = ""
    problem = _find(validate_tables(raw_bank), "clients", "client_id", "not_null")
    assert problem.examples == ("row 4 (client_id=<empty>)",)


def test_allowed_values_problem_says_what_was_found(raw_bank):
    _set("rms", "exit_type", 1, "Voluntary")(raw_bank)
    problem = _find(validate_tables(raw_bank), "rms", "exit_type", "allowed_values")
    assert problem.expected == "one of 'voluntary', 'involuntary'; found 'Voluntary'"


def test_date_type_problem_explains_the_far_future_sentinel(raw_bank):
    _set("holdings", "end_date", 0, "9999-12-31")(raw_bank)
    problem = _find(validate_tables(raw_bank), "holdings", "end_date", "type")
    assert "9999-12-31" in problem.expected
    assert "leave the cell empty" in problem.expected


def test_case_mismatched_column_gets_a_rename_hint(raw_bank):
    raw_bank["clients"] = raw_bank["clients"].rename(columns={"segment": "Segment"})
    problem = _find(validate_tables(raw_bank), "clients", "segment", "required_column")
    assert "found 'Segment'" in problem.expected


def test_personal_data_never_appears_in_problems(raw_bank):
    # a duplicate RM (whose row holds a name and an e-mail) and a bad protected value
    _duplicate_row("rms", 0)(raw_bank)
    _set("rms", "birth_year", 1, "19x0")(raw_bank)
    _set("clients", "rm_id", 0, "R404")(raw_bank)
    report = validate_tables(raw_bank)
    text = report.render() + "".join(str(p) for p in report.problems)
    birth = _find(report, "rms", "birth_year", "type")
    assert birth.examples == ("rm_id='R02'",)
    for secret in ("Wang Fang", "wang.fang", "19x0", "Chen Jie"):
        assert secret not in text


def test_optional_table_rows_with_unknown_ids_are_warned_about_and_dropped(raw_bank):
    _set("transactions", "client_id", 2, "C999")(raw_bank)
    _set("interactions", "rm_id", 0, "R404")(raw_bank)
    report = validate_tables(raw_bank)
    assert report.ok
    assert [(w.table, w.column, w.rule, w.count) for w in report.warnings] == [
        ("transactions", "client_id", "foreign_key", 1),
        ("interactions", "rm_id", "foreign_key", 1),
    ]
    assert "will be ignored" in report.warnings[0].expected
    assert report.data is not None
    assert len(report.data["transactions"]) == 3
    assert "C999" not in set(report.data["transactions"]["client_id"])
    assert list(report.data["transactions"].index) == [0, 1, 2]
    assert "2 warnings:" in report.render()


def test_assignment_ending_before_it_starts_is_warned_about_and_dropped(raw_bank):
    _set("assignments", "end_date", 0, "2020-01-01")(raw_bank)
    report = validate_tables(raw_bank)
    assert report.ok
    assert [(w.table, w.column, w.rule, w.count) for w in report.warnings] == [
        ("assignments", "end_date", "date_order", 1)
    ]
    assert report.data is not None
    assert report.data["assignments"]["rm_id"].tolist() == ["R01"]


def test_empty_optional_table_is_a_warning_not_a_problem(raw_bank):
    _empty("campaigns")(raw_bank)
    report = validate_tables(raw_bank)
    assert report.ok
    assert [(w.table, w.rule) for w in report.warnings] == [("campaigns", "empty_table")]


def test_typed_frames_validate_unchanged(raw_bank):
    data = validate_tables(raw_bank).data
    assert data is not None
    again = validate_tables(data.tables)
    assert again.ok
    assert again.data is not None
    for name, frame in data.items():
        pd.testing.assert_frame_equal(again.data[name], frame, check_exact=True)


def test_render_of_a_valid_source_summarises_rows_per_table(raw_bank):
    text = validate_tables(raw_bank, source="bank/").render()
    assert text.splitlines()[0] == "The data in bank/ follows the data contract."
    assert "  monthly_balances  " in text
    assert "All optional tables are present." in text


def test_validate_source_lets_an_unreadable_source_raise(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        validate_source(tmp_path / "nowhere")


def test_validate_source_reads_and_checks_a_directory(raw_bank, write_csv_bank):
    raw_bank["clients"].loc[0, "rm_id"] = "R404"
    report = validate_source(write_csv_bank(raw_bank))
    assert [(p.table, p.column, p.rule) for p in report.problems] == [
        ("clients", "rm_id", "foreign_key")
    ]
    assert report.source.endswith("bank")


# --------------------------------------------------------------------------- flat table


def _flat() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer": ["0001", "0002", "0003", "0004"],
            "tenure": ["12", "1.5", "30", "7"],
            "churned": ["1", "0", "true", "False"],
            "charges": ["29.85", " ", "56.95", "42.3"],
            "contract": ["monthly", "yearly", "", "monthly"],
            "notes": ["a", "b", "c", "d"],
        },
        dtype=object,
    )


SPEC = FlatSpec(id="customer", duration="tenure", event="churned", features=("charges", "notes"),
                categorical=("contract",))  # fmt: skip


def test_validate_flat_types_a_good_table():
    typed, problems = validate_flat(_flat(), SPEC)
    assert problems == []
    assert list(typed.columns) == ["customer", "tenure", "churned", "charges", "notes", "contract"]
    assert typed["customer"].tolist() == ["0001", "0002", "0003", "0004"]
    assert typed["tenure"].dtype == "float64"
    assert typed["churned"].tolist() == [1, 0, 1, 0]
    assert typed["churned"].dtype == "int64"
    assert typed["charges"].dtype == "float64"
    assert np.isnan(typed["charges"].iloc[1])  # a blank cell is missing, not a problem
    assert typed["contract"].dtype == pd.StringDtype()
    assert typed["contract"].isna().tolist() == [False, False, True, False]
    assert typed["notes"].dtype == pd.StringDtype()


def test_validate_flat_takes_every_other_column_as_a_feature_by_default():
    typed, problems = validate_flat(_flat(), FlatSpec("customer", "tenure", "churned"))
    assert problems == []
    assert list(typed.columns) == [
        "customer", "tenure", "churned", "charges", "contract", "notes",
    ]  # fmt: skip


def _flat_with(column: str, row: int, value: object) -> pd.DataFrame:
    frame = _flat()
    frame.loc[row, column] = value
    return frame


FLAT_RULES = [
    pytest.param(_flat().drop(columns="customer"), "customer", "required_column", 0,
                 id="id-column-missing"),
    pytest.param(_flat_with("customer", 1, "0001"), None, "duplicate_key", 2, id="duplicate-id"),
    pytest.param(_flat_with("customer", 2, ""), "customer", "not_null", 1, id="empty-id"),
    pytest.param(_flat_with("tenure", 0, "0"), "tenure", "positive", 1, id="zero-duration"),
    pytest.param(_flat_with("tenure", 3, "-2"), "tenure", "positive", 1, id="negative-duration"),
    pytest.param(_flat_with("tenure", 1, "ten"), "tenure", "type", 1, id="duration-not-numeric"),
    pytest.param(_flat_with("tenure", 1, ""), "tenure", "not_null", 1, id="duration-empty"),
    pytest.param(_flat_with("churned", 0, "2"), "churned", "allowed_values", 1,
                 id="event-not-0-1"),
    pytest.param(_flat_with("churned", 2, "yes"), "churned", "allowed_values", 1,
                 id="event-yes"),
    pytest.param(_flat().drop(columns="notes"), "notes", "required_column", 0,
                 id="feature-missing"),
    pytest.param(_flat().drop(columns="contract"), "contract", "required_column", 0,
                 id="categorical-missing"),
    pytest.param(_flat().iloc[0:0], None, "empty_table", 0, id="no-rows"),
]  # fmt: skip


@pytest.mark.parametrize(("frame", "column", "rule", "count"), FLAT_RULES)
def test_validate_flat_reports_each_rule(frame, column, rule, count):
    typed, problems = validate_flat(frame, SPEC, table_name="churn")
    assert typed.empty
    hits = [p for p in problems if (p.table, p.column, p.rule) == ("churn", column, rule)]
    assert len(hits) == 1, problems
    assert hits[0].count == count


def test_validate_flat_examples_use_the_id_column():
    _, problems = validate_flat(_flat_with("tenure", 1, "0"), SPEC)
    assert problems[0].examples == ("customer='0002' (value '0')",)
