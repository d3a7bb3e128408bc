"""Tests for attrition.io: raw reads, typed loads and atomic writes (files, SQLite, PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

import attrition.io.sql
from attrition.contracts import PANDAS_DTYPES, TABLES, BankData, FlatSpec
from attrition.errors import ConfigError, DataContractError, DataQualityWarning, SourceError
from attrition.io import (
    describe_source,
    load_bank,
    load_flat,
    read_flat_table,
    read_tables,
    validate_source,
    write_tables,
)
from attrition.validation import validate_tables


@pytest.fixture
def bank(raw_bank) -> BankData:
    """The hand-made bank, typed."""
    data = validate_tables(raw_bank, source="hand-made").data
    assert data is not None
    return data


def _assert_same_bank(got: BankData, want: BankData) -> None:
    assert set(got) == set(want)
    for name in want:
        for column in got[name].columns:
            assert got[name][column].dtype == PANDAS_DTYPES[TABLES[name].column(column).dtype]
        pd.testing.assert_frame_equal(got[name], want[name], check_exact=True, obj=name)


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _unserialisable(frame: pd.DataFrame) -> pd.DataFrame:
    bad = frame.copy()
    bad["payload"] = pd.Series([{"a": 1}, 2.5, "x"] * len(bad), dtype=object)[: len(bad)]
    return bad


def _sqlite(tmp_path: Path, name: str = "bank.db") -> str:
    return f"sqlite:///{tmp_path / name}"


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_directory_round_trip_is_exact(bank, tmp_path, fmt):
    write_tables(bank, tmp_path / "out", format=fmt)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{name}.{fmt}" for name in bank
    )
    _assert_same_bank(load_bank(tmp_path / "out"), bank)


def test_sqlite_round_trip_is_exact(bank, tmp_path):
    url = _sqlite(tmp_path)
    write_tables(bank, url)
    _assert_same_bank(load_bank(url), bank)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        columns = {c["name"]: c["type"] for c in sa.inspect(conn).get_columns("rms")}
        months = conn.exec_driver_sql("SELECT DISTINCT month FROM monthly_balances").scalars()
        assert sorted(months) == ["2024-01", "2024-02", "2024-03"]
    engine.dispose()
    assert isinstance(columns["hire_date"], sa.Date)
    assert isinstance(columns["rm_id"], sa.Text)


@pytest.mark.postgres
def test_postgres_round_trip_is_exact_and_typed(bank, pg_url):
    write_tables(bank, pg_url)
    _assert_same_bank(load_bank(pg_url), bank)
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        types = {
            (row.table_name, row.column_name): row.data_type
            for row in conn.exec_driver_sql(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public'"
            )
        }
    engine.dispose()
    assert types[("rms", "hire_date")] == "date"
    assert types[("monthly_balances", "month")] == "text"
    assert types[("transactions", "external")] == "boolean"
    assert types[("clients", "client_id")] == "text"
    assert types[("monthly_balances", "aum")] == "double precision"


@pytest.mark.postgres
def test_postgres_round_trip_without_copy_uses_the_generic_sql_path(bank, pg_url, monkeypatch):
    # Any other driver (e.g. psycopg2, a bank's own dialect) takes the plain SQLAlchemy
    # insert and row-fetch path, which sees native dates, bools and decimals.
    monkeypatch.setattr(attrition.io.sql, "_is_psycopg", lambda engine: False)
    write_tables(bank, pg_url)
    _assert_same_bank(load_bank(pg_url), bank)


@pytest.mark.postgres
def test_postgres_timestamptz_keeps_the_wall_clock_date(raw_bank, pg_url):
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("SET TIME ZONE 'Asia/Shanghai'")
        conn.exec_driver_sql(
            "CREATE TABLE transactions (client_id text, date timestamptz, amount numeric, "
            "direction text, kind text, external boolean)"
        )
        conn.exec_driver_sql(
            "INSERT INTO transactions VALUES ('C001', '2024-03-01 00:30+08', 12.50, 'in', "
            "'fee', true)"
        )
    engine.dispose()
    raw = read_tables(pg_url + "?options=-ctimezone%3DAsia/Shanghai")
    report = validate_tables({**raw_bank, "transactions": raw["transactions"]})
    assert report.ok, report.render()
    assert report.data is not None
    tx = report.data["transactions"]
    assert tx["date"].tolist() == [pd.Timestamp("2024-03-01")]
    assert tx["amount"].tolist() == [12.5]
    assert tx["external"].tolist() == [True]


def test_csv_is_written_as_the_contract_spells_it(bank, tmp_path):
    write_tables(bank, tmp_path / "out", format="csv")
    rms = (tmp_path / "out" / "rms.csv").read_text(encoding="utf-8").splitlines()
    assert rms[2].split(",")[2:5] == ["2018-06-01", "2023-05-31", '"voluntary"']
    assert rms[1].split(",")[3:5] == ["", ""]  # missing dates and text are empty cells
    balances = (tmp_path / "out" / "monthly_balances.csv").read_text().splitlines()
    assert balances[1].startswith('"C001","2024-01",120000.5,')
    tx = (tmp_path / "out" / "transactions.csv").read_text().splitlines()
    assert tx[1].endswith(",false")


# --------------------------------------------------------------------------- tolerant reads


def test_csv_with_byte_order_mark_and_leading_zero_ids(raw_bank, write_csv_bank):
    raw_bank["clients"].loc[0, "client_id"] = "000123"
    raw_bank["monthly_balances"].loc[0:2, "client_id"] = "000123"
    raw_bank["transactions"].loc[0:1, "client_id"] = "000123"
    raw_bank["holdings"].loc[0, "client_id"] = "000123"
    raw_bank["interactions"].loc[0, "client_id"] = "000123"
    raw_bank["campaigns"].loc[0, "client_id"] = "000123"
    directory = write_csv_bank(raw_bank, encoding="utf-8-sig")
    assert (Path(directory) / "clients.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    data = load_bank(directory)
    assert data["clients"].columns[0] == "client_id"
    assert data["clients"]["client_id"].iloc[0] == "000123"
    assert (data["monthly_balances"]["client_id"].iloc[:3] == "000123").all()


def test_csv_text_na_and_null_are_values_not_missing(raw_bank, write_csv_bank):
    raw_bank["clients"].loc[0, "segment"] = "NA"
    raw_bank["clients"].loc[1, "segment"] = "null"
    data = load_bank(write_csv_bank(raw_bank))
    assert data["clients"]["segment"].tolist()[:2] == ["NA", "null"]


def test_csv_bools_and_months_in_other_spellings(raw_bank, write_csv_bank):
    raw_bank["transactions"]["external"] = ["TRUE", "0", "False", "1"]
    raw_bank["monthly_balances"]["month"] = ["2024-01-31", "2024-02-29", "2024-03-31"] * 5
    data = load_bank(write_csv_bank(raw_bank))
    assert data["transactions"]["external"].tolist() == [True, False, False, True]
    assert data["monthly_balances"]["month"].astype(str).tolist()[:3] == [
        "2024-01",
        "2024-02",
        "2024-03",
    ]


def test_parquet_native_types_tz_aware_timestamps_and_int_ids(raw_bank, write_csv_bank):
    for name in ("holdings", "interactions", "assignments", "campaigns"):
        del raw_bank[name]
    directory = Path(write_csv_bank(raw_bank))
    for name in ("transactions", "rms", "monthly_balances"):
        (directory / f"{name}.csv").unlink()
    # timestamps in Shanghai time, microsecond unit: 00:30 local is still the day before in UTC
    tx = pa.table(
        {
            "client_id": pa.array([1, 1, 3, 4], pa.int32()),
            "date": pa.array(
                pd.to_datetime(
                    ["2024-01-25 00:30", "2024-02-03 12:00", "2024-03-10 23:59", "2024-03-12"],
                    format="ISO8601",
                )
                .tz_localize("Asia/Shanghai")
                .as_unit("us"),
                pa.timestamp("us", tz="Asia/Shanghai"),
            ),
            "amount": [15000.0, 2500.75, 25000.0, 100.0],
            "direction": ["in", "out", "out", "in"],
            "kind": ["payroll", "purchase", "transfer", "fee"],
            "external": [False, False, True, False],
        }
    )
    pq.write_table(tx, directory / "transactions.parquet")
    rms = raw_bank["rms"].copy()
    rms["hire_date"] = pd.to_datetime(rms["hire_date"]).dt.date  # date32 in Parquet
    rms["birth_year"] = pd.array([1980, 1990, None], dtype="Int64")
    rms.to_parquet(directory / "rms.parquet")
    balances = raw_bank["monthly_balances"].copy()
    balances["client_id"] = balances["client_id"].str[1:].astype("int64")  # ids stored as ints
    balances["month"] = pd.to_datetime(balances["month"]).dt.date  # month as its first day
    balances["aum"] = balances["aum"].astype(float)
    balances.to_parquet(directory / "monthly_balances.parquet")
    raw_bank["clients"]["client_id"] = ["1", "2", "3", "4", "5"]
    raw_bank["clients"].to_csv(directory / "clients.csv", index=False)

    report = validate_source(directory)
    assert report.ok, report.render()
    assert report.warnings == ()
    assert report.data is not None
    assert report.data["transactions"]["client_id"].tolist() == ["1", "1", "3", "4"]
    assert report.data["transactions"]["date"].tolist() == list(
        pd.to_datetime(["2024-01-25", "2024-02-03", "2024-03-10", "2024-03-12"])
    )
    assert report.data["rms"]["hire_date"].iloc[1] == pd.Timestamp("2018-06-01")
    assert report.data["monthly_balances"]["client_id"].iloc[0] == "1"
    assert str(report.data["monthly_balances"]["month"].iloc[14]) == "2024-03"


def test_sqlite_with_text_dates_and_integer_bools(raw_bank, tmp_path):
    url = _sqlite(tmp_path)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for name, frame in raw_bank.items():
            frame.to_sql(name, conn, index=False)
        conn.exec_driver_sql("UPDATE transactions SET external = 1 WHERE kind = 'fee'")
        conn.exec_driver_sql("CREATE TABLE unrelated (x INTEGER)")
    engine.dispose()
    data = load_bank(url)
    assert data["transactions"]["external"].tolist() == [False, False, True, True]
    assert data["rms"]["hire_date"].iloc[0] == pd.Timestamp("2015-03-01")


def test_sqlite_bad_date_text_is_a_problem_not_a_crash(raw_bank, tmp_path):
    url = _sqlite(tmp_path)
    engine = sa.create_engine(url)
    raw_bank["rms"].loc[0, "hire_date"] = "31/02/2015"
    with engine.begin() as conn:
        # a declared DATE column holding text SQLAlchemy's own date type cannot parse
        conn.exec_driver_sql(
            "CREATE TABLE rms (rm_id TEXT, branch_id TEXT, hire_date DATE, exit_date DATE, "
            "exit_type TEXT)"
        )
        raw_bank["rms"] = raw_bank["rms"][
            ["rm_id", "branch_id", "hire_date", "exit_date", "exit_type"]
        ]
        for name, frame in raw_bank.items():
            frame.to_sql(name, conn, index=False, if_exists="append")
    engine.dispose()
    report = validate_source(url)
    assert [(p.table, p.column, p.rule) for p in report.problems] == [("rms", "hire_date", "type")]


# --------------------------------------------------------------------------- sources


def test_table_in_both_csv_and_parquet_names_both_files(raw_bank, write_csv_bank):
    directory = Path(write_csv_bank(raw_bank))
    raw_bank["clients"].to_parquet(directory / "clients.parquet")
    with pytest.raises(SourceError, match=r"clients\.csv and .*clients\.parquet"):
        read_tables(directory)


def test_missing_directory_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match=r"source directory .* does not exist"):
        read_tables(tmp_path / "nope")


def test_a_file_is_not_a_source(tmp_path):
    (tmp_path / "clients.csv").write_text("client_id\nC1\n")
    with pytest.raises(SourceError, match="is a file"):
        read_tables(tmp_path / "clients.csv")


def test_missing_sqlite_file_is_a_source_error_and_is_not_created(tmp_path):
    with pytest.raises(SourceError, match=r"SQLite database file .* does not exist"):
        read_tables(_sqlite(tmp_path, "missing.db"))
    assert not (tmp_path / "missing.db").exists()


def test_unreachable_database_error_masks_the_password():
    url = "postgresql+psycopg://bank:s3cr3t@127.0.0.1:1/warehouse"
    with pytest.raises(SourceError, match=r"cannot read postgresql\+psycopg://bank:\*\*\*@") as e:
        read_tables(url)
    assert "s3cr3t" not in str(e.value)


def test_describe_source_masks_passwords():
    assert describe_source("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"
    assert describe_source(Path("a") / "b") == os.path.join("a", "b")


def test_non_utf8_csv_says_how_to_fix_it(raw_bank, write_csv_bank):
    directory = Path(write_csv_bank(raw_bank))
    (directory / "branches.csv").write_bytes("branch_id,name\nB01,北区\n".encode("gbk"))
    with pytest.raises(SourceError, match=r"not UTF-8 text.*re-save it as UTF-8"):
        read_tables(directory)


def test_read_tables_ignores_unknown_tables_and_reads_only_requested_optional_ones(
    raw_bank, write_csv_bank
):
    directory = Path(write_csv_bank(raw_bank))
    (directory / "notes.csv").write_text("a\n1\n")
    assert set(read_tables(directory)) == set(TABLES)
    assert set(read_tables(directory, tables=["holdings"])) == {
        "branches",
        "rms",
        "clients",
        "monthly_balances",
        "holdings",
    }
    data = load_bank(directory, tables=["transactions"])
    assert "holdings" in data.missing_tables and "transactions" in data
    with pytest.raises(ConfigError, match=r"unknown table.*'notes'"):
        read_tables(directory, tables=["notes"])


def test_empty_csv_file_is_reported_by_validation(raw_bank, write_csv_bank):
    directory = Path(write_csv_bank(raw_bank))
    (directory / "branches.csv").write_text("")
    report = validate_source(directory)
    assert ("branches", None, "empty_table") in {
        (p.table, p.column, p.rule) for p in report.problems
    }


# --------------------------------------------------------------------------- load_bank


def test_corrupted_copy_reports_all_four_problems_at_once(raw_bank, bank, tmp_path):
    write_tables(bank, tmp_path / "good", format="csv")
    bad = tmp_path / "good"
    clients = pd.read_csv(bad / "clients.csv", dtype=str, keep_default_na=False)
    clients.loc[1, "rm_id"] = "R404"
    clients.to_csv(bad / "clients.csv", index=False)
    balances = pd.read_csv(bad / "monthly_balances.csv", dtype=str, keep_default_na=False)
    balances.loc[4, "aum"] = "-250"
    balances = pd.concat([balances, balances.iloc[[7]]], ignore_index=True)
    balances.to_csv(bad / "monthly_balances.csv", index=False)
    rms = pd.read_csv(bad / "rms.csv", dtype=str, keep_default_na=False)
    rms.loc[2, "hire_date"] = "last spring"
    rms.to_csv(bad / "rms.csv", index=False)

    report = validate_source(bad)
    found = {(p.table, p.column, p.rule): p for p in report.problems}
    assert set(found) == {
        ("clients", "rm_id", "foreign_key"),
        ("monthly_balances", "aum", "not_negative"),
        ("monthly_balances", None, "duplicate_key"),
        ("rms", "hire_date", "type"),
    }
    assert found[("clients", "rm_id", "foreign_key")].examples == (
        "client_id='C002' (value 'R404')",
    )
    assert found[("monthly_balances", None, "duplicate_key")].examples == (
        "client_id='C003', month='2024-02'",
    )
    with pytest.raises(DataContractError, match="4 data contract problem") as e:
        load_bank(bad)
    message = str(e.value)
    for text in ("R404", "-250", "client_id='C003', month='2024-02'", "last spring"):
        assert text in message
    assert len(e.value.problems) == 4


def test_load_bank_warns_once_and_drops_rows_of_unknown_clients(raw_bank, write_csv_bank):
    raw_bank["transactions"].loc[0, "client_id"] = "C999"
    with pytest.warns(DataQualityWarning, match=r"(?s)1 data quality warning.*C999.*ignored"):
        data = load_bank(write_csv_bank(raw_bank))
    assert len(data["transactions"]) == 3


# --------------------------------------------------------------------------- atomic writes


def test_write_refuses_to_overwrite_by_default(bank, tmp_path):
    write_tables(bank, tmp_path / "out")
    before = _snapshot(tmp_path / "out")
    with pytest.raises(SourceError, match=r"already exists.*if_exists='replace'"):
        write_tables(bank, tmp_path / "out")
    assert _snapshot(tmp_path / "out") == before


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_failed_directory_write_leaves_the_destination_untouched(bank, tmp_path, fmt):
    dest = tmp_path / "out"
    write_tables(bank, dest, format=fmt)
    before = _snapshot(dest)
    broken = dict(bank.tables)
    broken["transactions"] = _unserialisable(bank["transactions"])  # written after 4 tables
    with pytest.raises(SourceError, match="cannot write column 'payload' of table 'transactions'"):
        write_tables(broken, dest, format=fmt, if_exists="replace")
    assert _snapshot(dest) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temp dirs left


def test_failed_first_write_creates_nothing(bank, tmp_path):
    with pytest.raises(SourceError, match="cannot write column"):
        write_tables({"clients": _unserialisable(bank["clients"])}, tmp_path / "new")
    assert list(tmp_path.iterdir()) == []


def test_replace_swaps_the_whole_directory(bank, tmp_path):
    dest = tmp_path / "out"
    write_tables(bank, dest, format="csv")
    write_tables({"branches": bank["branches"]}, dest, format="parquet", if_exists="replace")
    assert [p.name for p in dest.iterdir()] == ["branches.parquet"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_failed_sqlite_write_rolls_back_every_table(bank, tmp_path):
    url = _sqlite(tmp_path)
    write_tables(bank, url)
    changed = dict(bank.tables)
    changed["branches"] = bank["branches"].iloc[:1]
    changed["rms"] = _unserialisable(bank["rms"])
    with pytest.raises(SourceError, match="cannot write"):
        write_tables(changed, url, if_exists="replace")
    _assert_same_bank(load_bank(url), bank)


def test_failed_sqlite_write_into_a_new_database_leaves_no_tables(bank, tmp_path):
    url = _sqlite(tmp_path)
    broken = {"branches": bank["branches"], "rms": _unserialisable(bank["rms"])}
    with pytest.raises(SourceError, match="cannot write"):
        write_tables(broken, url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == []
    engine.dispose()


def test_sql_write_refuses_existing_tables_by_default(bank, tmp_path):
    url = _sqlite(tmp_path)
    write_tables({"branches": bank["branches"]}, url)
    with pytest.raises(SourceError, match=r"table.* branches already exist"):
        write_tables(bank, url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == ["branches"]
    engine.dispose()


@pytest.mark.postgres
def test_failed_postgres_write_rolls_back_every_table(bank, pg_url):
    write_tables(bank, pg_url)
    changed = dict(bank.tables)
    changed["branches"] = bank["branches"].iloc[:1]
    changed["clients"] = _unserialisable(bank["clients"])
    with pytest.raises(SourceError, match="cannot write column 'payload' of table 'clients'"):
        write_tables(changed, pg_url, if_exists="replace")
    _assert_same_bank(load_bank(pg_url), bank)
    write_tables(changed | {"clients": bank["clients"]}, pg_url, if_exists="replace")
    assert len(read_tables(pg_url)["branches"]) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"format": "xlsx"}, "format='xlsx' is not allowed", id="format"),
        pytest.param({"if_exists": "append"}, "if_exists='append' is not allowed", id="if-exists"),
    ],
)
def test_write_rejects_unknown_options(bank, tmp_path, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        write_tables(bank, tmp_path / "out", **kwargs)


def test_write_rejects_table_names_that_are_not_plain_identifiers(bank, tmp_path):
    with pytest.raises(ConfigError, match=r"table name\(s\) '../evil' are not allowed"):
        write_tables({"../evil": bank["branches"]}, tmp_path / "out")


def test_write_keeps_large_and_missing_values(tmp_path):
    frame = pd.DataFrame(
        {
            "id": pd.array(["a", None, "c"], dtype="string"),
            "when": pd.to_datetime(["2024-01-01", None, "2262-04-11"]),
            "at": pd.to_datetime(["2024-01-01 10:30", None, "2024-01-02"], format="ISO8601"),
            "month": pd.array([pd.Period("2024-01", "M"), pd.NaT, pd.NaT], dtype="period[M]"),
            "flag": pd.array([True, None, False], dtype="boolean"),
            "n": pd.array([2**62, None, -1], dtype="Int64"),
            "x": [0.1 + 0.2, np.nan, 1e300],
        }
    )
    url = _sqlite(tmp_path)
    write_tables({"things": frame}, url)
    write_tables({"things": frame}, tmp_path / "dir", format="csv")
    for raw in (read_flat_table(url, table="things"), read_flat_table(tmp_path / "dir/things.csv")):
        assert raw["id"].isna().tolist() == [False, True, False]
        assert str(raw["when"].iloc[2])[:10] == "2262-04-11"
        assert str(raw["at"].iloc[0]).startswith("2024-01-01 10:30")
        assert str(raw["month"].iloc[0]) == "2024-01" and pd.isna(raw["month"].iloc[1])
        assert int(raw["n"].iloc[0]) == 2**62
        assert float(raw["x"].iloc[0]) == 0.1 + 0.2


# --------------------------------------------------------------------------- flat tables


def _churn() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["7590-VHVEG", "5575-GNVDE", "3668-QPYBK"],
            "tenure": [1, 34, 2],
            "Churn": [True, False, True],
            "TotalCharges": ["29.85", "1889.5", " "],
        }
    )


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_read_flat_table_from_a_file(tmp_path, suffix):
    path = tmp_path / f"churn.{suffix}"
    getattr(_churn(), f"to_{suffix}")(path, index=False)
    raw = read_flat_table(path)
    assert list(raw.columns) == ["id", "tenure", "Churn", "TotalCharges"]
    typed = load_flat(path, FlatSpec("id", "tenure", "Churn"))
    assert typed["Churn"].tolist() == [1, 0, 1]
    assert typed["TotalCharges"].iloc[:2].tolist() == [29.85, 1889.5]


def test_read_flat_table_from_sql_and_directory(tmp_path):
    url = _sqlite(tmp_path)
    write_tables({"churn": _churn()}, url)
    write_tables({"churn": _churn()}, tmp_path / "dir", format="csv")
    for source in (url, tmp_path / "dir"):
        raw = read_flat_table(source, table="churn")
        assert raw["id"].tolist() == _churn()["id"].tolist()


@pytest.mark.parametrize(
    ("source", "table", "error", "message"),
    [
        pytest.param("sqlite:///{tmp}/bank.db", None, ConfigError, "needs a table name",
                     id="url-without-table"),
        pytest.param("sqlite:///{tmp}/bank.db", "nope", SourceError, "table 'nope' does not exist",
                     id="url-unknown-table"),
        pytest.param("{tmp}/missing.csv", None, SourceError, "does not exist", id="missing-file"),
        pytest.param("{tmp}", None, ConfigError, "needs table=", id="directory-without-table"),
        pytest.param("{tmp}", "nope", SourceError, r"no nope\.csv or nope\.parquet",
                     id="directory-unknown-table"),
        pytest.param("{tmp}/bank.db", None, SourceError, "expected a .csv or .parquet",
                     id="unknown-file-type"),
    ],
)  # fmt: skip
def test_read_flat_table_errors(bank, tmp_path, source, table, error, message):
    write_tables({"branches": bank["branches"]}, _sqlite(tmp_path))
    with pytest.raises(error, match=message):
        read_flat_table(source.format(tmp=tmp_path), table=table)


def test_load_flat_raises_with_every_problem(tmp_path):
    frame = _churn()
    frame.loc[0, "tenure"] = 0
    frame.loc[1, "id"] = frame.loc[2, "id"]
    frame.to_csv(tmp_path / "churn.csv", index=False)
    with pytest.raises(DataContractError, match="2 data contract problem") as e:
        load_flat(tmp_path / "churn.csv", FlatSpec("id", "tenure", "Churn"))
    assert {p.rule for p in e.value.problems} == {"positive", "duplicate_key"}
