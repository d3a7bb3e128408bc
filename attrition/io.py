"""Read and write sources: directories of CSV/Parquet files and SQL databases.

This module owns getting tables in and out, never their meaning:

* :func:`read_tables` and :func:`read_flat_table` do a *raw* read (CSV as text,
  Parquet and SQL as their native types); :mod:`attrition.validation` coerces and
  checks them.
* :func:`load_bank` and :func:`load_flat` read, validate and return typed data, or
  raise :class:`~attrition.errors.DataContractError` listing every problem.
* :func:`write_tables` writes typed frames atomically: a directory is built beside the
  destination and renamed into place; a database is written in one transaction.

A *source* is a directory holding ``<table>.csv`` or ``<table>.parquet`` per contract
table, or a SQLAlchemy URL (anything containing ``"://"``, e.g.
``sqlite:///bank.db`` or ``postgresql+psycopg://user@host/db``). URLs are shown with
their password masked in every message.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import re
import shutil
import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import sqlalchemy as sa

from attrition.contracts import OPTIONAL_TABLES, REQUIRED_TABLES, TABLES, BankData, FlatSpec
from attrition.errors import (
    ConfigError,
    DataContractError,
    DataQualityWarning,
    SourceError,
)
from attrition.validation import validate_flat, validate_tables

__all__ = [
    "describe_source",
    "is_url",
    "load_bank",
    "load_flat",
    "read_flat_table",
    "read_tables",
    "write_tables",
]

# Every column as text, and only a truly empty cell is missing: "NA" or "null" may be
# a real segment label or id, and "000123" must keep its zeros.
_CSV_OPTIONS: dict[str, Any] = {
    "dtype": str,
    "keep_default_na": False,
    "na_values": [""],
}
_SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SQL_CHUNK_ROWS = 50_000
_COPY_BATCH_ROWS = 100_000


# --------------------------------------------------------------------------- sources


def is_url(source: str | os.PathLike[str]) -> bool:
    """True when ``source`` is a SQLAlchemy URL rather than a path (it contains ``://``)."""
    return isinstance(source, str) and "://" in source


def describe_source(source: str | os.PathLike[str]) -> str:
    """The source as it may be shown to people and written to logs: passwords masked.

    Parameters
    ----------
    source : str or path-like
        A directory, a file or a SQLAlchemy URL.

    Returns
    -------
    str
    """
    if not is_url(source):
        return str(Path(source))
    try:
        return sa.make_url(str(source)).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        # An unparseable URL may still hold a password; show only its scheme.
        return str(source).split("://", 1)[0] + "://..."


def _resolve_tables(tables: Iterable[str] | None) -> tuple[str, ...]:
    """Required tables plus the requested optional ones, in contract order."""
    if tables is None:
        return tuple(TABLES)
    wanted = set(tables) if not isinstance(tables, str) else {tables}
    unknown = sorted(wanted - set(TABLES))
    if unknown:
        raise ConfigError(
            f"unknown table(s) {', '.join(map(repr, unknown))} in tables=; "
            f"optional tables are: {', '.join(OPTIONAL_TABLES)}"
        )
    return tuple(t for t in TABLES if t in REQUIRED_TABLES or t in wanted)


def read_tables(
    source: str | os.PathLike[str], *, tables: Iterable[str] | None = None
) -> dict[str, pd.DataFrame]:
    """Read every contract table a source holds, raw (no coercion, no checks).

    Parameters
    ----------
    source : str or path-like
        A directory holding ``<table>.csv`` or ``<table>.parquet`` per table, or a
        SQLAlchemy URL. CSV is read as text (UTF-8, an optional byte-order mark, only
        empty cells missing); Parquet and SQL keep their native types.
    tables : iterable of str, optional
        Optional tables to read; required tables are always read. All by default.

    Returns
    -------
    dict of str to pandas.DataFrame
        Frames by table name, only for contract tables the source holds (other
        tables and files are ignored); absent tables are absent from the dict.

    Raises
    ------
    attrition.errors.SourceError
        If the directory or database does not exist or cannot be reached, a file
        cannot be parsed, or a table exists both as CSV and Parquet.
    attrition.errors.ConfigError
        If ``tables`` names a table that is not in the contract.
    """
    names = _resolve_tables(tables)
    if is_url(source):
        return _read_sql(str(source), names)
    return _read_directory(Path(source), names)


def _table_file(directory: Path, name: str) -> Path | None:
    csv, parquet = directory / f"{name}.csv", directory / f"{name}.parquet"
    if csv.is_file() and parquet.is_file():
        raise SourceError(
            f"table {name!r} is in both {csv} and {parquet}; keep only one of the two files"
        )
    if csv.is_file():
        return csv
    return parquet if parquet.is_file() else None


def _read_directory(directory: Path, names: Iterable[str]) -> dict[str, pd.DataFrame]:
    if not directory.exists():
        raise SourceError(f"source directory {directory} does not exist")
    if not directory.is_dir():
        raise SourceError(
            f"source {directory} is a file; a source is a directory of <table>.csv or "
            "<table>.parquet files or a SQLAlchemy URL (use flat-table mode for one file)"
        )
    # Resolve every file first so that an ambiguous table fails before any slow read.
    files = {name: path for name in names if (path := _table_file(directory, name))}
    return {name: _read_file(path) for name, path in files.items()}


def _read_file(path: Path) -> pd.DataFrame:
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return _read_parquet(path)
    if re.search(r"\.(csv|txt)(\.(gz|bz2|zip|xz|zst))?$", name):
        return _read_csv(path)
    raise SourceError(f"cannot read {path}: expected a .csv or .parquet file")


def _read_csv(
    path: Path | io.BufferedIOBase, *, encoding: str = "utf-8-sig", label: str = ""
) -> pd.DataFrame:
    label = label or str(path)
    try:
        return pd.read_csv(path, encoding=encoding, **_CSV_OPTIONS)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()  # validation reports the missing columns and rows
    except UnicodeDecodeError as e:
        raise SourceError(
            f"{label} is not UTF-8 text ({e.reason} at byte {e.start}); "
            "re-save it as UTF-8 (e.g. from GBK)"
        ) from e
    except (pd.errors.ParserError, OSError) as e:
        raise SourceError(f"cannot read CSV {label}: {e}") from e


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as e:
        raise SourceError(f"cannot read Parquet file {path}: {e}") from e
    # Dates as datetime64 instead of one Python object per cell: much faster to check.
    return table.to_pandas(date_as_object=False)


# --------------------------------------------------------------------------- SQL


def _scrub(message: str, url: str) -> str:
    password = sa.make_url(url).password if is_url(url) else None
    text = message.strip().splitlines()[0] if message.strip() else message
    return text.replace(str(password), "***") if password else text


def _engine(url: str, *, for_write: bool = False) -> sa.Engine:
    shown = describe_source(url)
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as e:
        raise SourceError(f"{shown} is not a valid SQLAlchemy URL") from e
    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        db = Path(parsed.database)
        # Connecting would silently create an empty database file.
        if not for_write and not db.is_file():
            raise SourceError(f"SQLite database file {db} does not exist")
        if for_write and not db.parent.is_dir():
            raise SourceError(f"directory {db.parent} for SQLite database does not exist")
    try:
        engine = sa.create_engine(parsed)
    except (sa.exc.NoSuchModuleError, ImportError) as e:
        raise SourceError(
            f"no database driver for {shown} ({e}); install it, "
            "e.g. pip install 'attrition[postgres]'"
        ) from e
    if backend == "sqlite" and parsed.get_driver_name() == "pysqlite":
        _make_sqlite_ddl_transactional(engine)
    return engine


def _make_sqlite_ddl_transactional(engine: sa.Engine) -> None:
    # pysqlite opens transactions only before DML, so CREATE/DROP TABLE would commit on
    # their own and a failed write could leave tables behind (SQLAlchemy's documented
    # recipe: let SQLAlchemy emit BEGIN itself).
    @sa.event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN")


@contextlib.contextmanager
def _database_errors(engine: sa.Engine, url: str, doing: str) -> Iterator[None]:
    """Turn driver errors into SourceError with a plain message and no password."""
    try:
        yield
    except sa.exc.DBAPIError as e:
        raise SourceError(
            f"cannot {doing} {describe_source(url)}: {_scrub(str(e.orig), url)}"
        ) from e
    except engine.dialect.loaded_dbapi.Error as e:
        # Raised by the driver itself on the bulk paths (executemany, COPY).
        raise SourceError(f"cannot {doing} {describe_source(url)}: {_scrub(str(e), url)}") from e
    finally:
        engine.dispose()


def _is_psycopg(engine: sa.Engine) -> bool:
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"


def _read_sql(url: str, names: Iterable[str]) -> dict[str, pd.DataFrame]:
    engine = _engine(url)
    with _database_errors(engine, url, "read"), engine.connect() as conn:
        inspector = sa.inspect(conn)
        present = set(inspector.get_table_names()) | set(inspector.get_view_names())
        return {name: _read_sql_table(conn, name) for name in names if name in present}


def _read_sql_table(conn: sa.Connection, name: str) -> pd.DataFrame:
    quoted = conn.dialect.identifier_preparer.quote(name)
    if _is_psycopg(conn.engine):
        return _read_pg_copy(conn, quoted)
    # A plain text query, not a reflected Table: SQLAlchemy's type processors would
    # raise on a malformed date instead of letting validation report it.
    return pd.read_sql_query(sa.text(f"SELECT * FROM {quoted}"), conn)


class _CopyStream(io.RawIOBase):
    """A readable file over the blocks of a psycopg ``COPY ... TO STDOUT``."""

    def __init__(self, blocks: Iterator[memoryview | bytes]) -> None:
        self._blocks = blocks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not len(self._pending):
            # psycopg yields one block per row: join thousands at once so that the
            # parser reads large chunks (and Python is not called per row twice).
            self._pending = memoryview(b"".join(itertools.islice(self._blocks, 8192)))
            if not len(self._pending):
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _read_pg_copy(conn: sa.Connection, quoted: str) -> pd.DataFrame:
    # COPY streams text many times faster than row fetching, and its text keeps each
    # timestamp's wall-clock time (read_sql would convert time zones to UTC).
    dbapi = conn.connection.driver_connection
    sql = f"COPY (SELECT * FROM {quoted}) TO STDOUT WITH (FORMAT csv, HEADER true)"
    with dbapi.cursor() as cur, cur.copy(sql) as copy:
        stream = io.BufferedReader(_CopyStream(iter(copy)), buffer_size=1 << 20)
        return _read_csv(stream, encoding=dbapi.info.encoding, label=f"table {quoted}")


# --------------------------------------------------------------------------- flat


def read_flat_table(
    path_or_url: str | os.PathLike[str], *, table: str | None = None
) -> pd.DataFrame:
    """Read one table for flat-table mode, raw (same rules as :func:`read_tables`).

    Parameters
    ----------
    path_or_url : str or path-like
        A ``.csv`` (optionally compressed) or ``.parquet`` file, a directory holding
        ``<table>.csv``/``<table>.parquet``, or a SQLAlchemy URL.
    table : str, optional
        Table name; required for a URL or a directory.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    attrition.errors.SourceError
        If the file, directory, database or table does not exist or cannot be read.
    attrition.errors.ConfigError
        If a URL or directory is given without ``table``.
    """
    shown = describe_source(path_or_url)
    if is_url(path_or_url):
        if not table:
            raise ConfigError(f"flat-table mode on {shown} needs a table name (table=...)")
        url = str(path_or_url)
        engine = _engine(url)
        with _database_errors(engine, url, "read"), engine.connect() as conn:
            inspector = sa.inspect(conn)
            names = set(inspector.get_table_names()) | set(inspector.get_view_names())
            if table not in names:
                raise SourceError(f"table {table!r} does not exist in {shown}")
            return _read_sql_table(conn, table)
    path = Path(path_or_url)
    if path.is_dir():
        if not table:
            raise ConfigError(f"flat-table mode on directory {path} needs table=...")
        found = _table_file(path, table)
        if found is None:
            raise SourceError(f"no {table}.csv or {table}.parquet in {path}")
        path = found
    if not path.is_file():
        raise SourceError(f"flat table file {path} does not exist")
    return _read_file(path)


def load_flat(
    path_or_url: str | os.PathLike[str], spec: FlatSpec, *, table: str | None = None
) -> pd.DataFrame:
    """Read and validate a flat table; see :func:`attrition.validation.validate_flat`.

    Parameters
    ----------
    path_or_url : str or path-like
        As for :func:`read_flat_table`.
    spec : FlatSpec
        The id, duration, event and feature columns.
    table : str, optional
        Table name for a URL or directory.

    Returns
    -------
    pandas.DataFrame
        Typed flat table (see :func:`~attrition.validation.validate_flat`).

    Raises
    ------
    attrition.errors.DataContractError
        Listing every problem, if the table breaks a flat-table rule.
    attrition.errors.SourceError
        If it cannot be read at all.
    """
    raw = read_flat_table(path_or_url, table=table)
    typed, problems = validate_flat(raw, spec, table_name=table or Path(str(path_or_url)).stem)
    if problems:
        raise DataContractError(problems, source=describe_source(path_or_url))
    return typed


# --------------------------------------------------------------------------- load


def load_bank(source: str | os.PathLike[str], *, tables: Iterable[str] | None = None) -> BankData:
    """Read a source, validate it and return typed data.

    Parameters
    ----------
    source : str or path-like
        A directory of ``<table>.csv``/``<table>.parquet`` files or a SQLAlchemy URL.
    tables : iterable of str, optional
        Optional tables to load (all that exist by default); required tables are
        always loaded. Tables left out count as missing.

    Returns
    -------
    BankData
        Frames with exactly the contract dtypes (:data:`~attrition.contracts.PANDAS_DTYPES`)
        and contract columns (extras dropped, absent optional columns absent). Rows of
        optional tables that refer to an unknown client or RM are dropped, with one
        :class:`~attrition.errors.DataQualityWarning`.

    Raises
    ------
    attrition.errors.DataContractError
        Listing every problem, if any contract rule is broken. Nothing is loaded.
    attrition.errors.SourceError
        If the source cannot be read at all.
    attrition.errors.ConfigError
        If ``tables`` names a table that is not in the contract.
    """
    shown = describe_source(source)
    report = validate_tables(read_tables(source, tables=tables), source=shown)
    if not report.ok:
        raise DataContractError(report.problems, source=shown)
    if report.warnings:
        warnings.warn(
            f"{len(report.warnings)} data quality warning(s) in {shown}:\n"
            + "\n".join(f"  - {w}" for w in report.warnings),
            DataQualityWarning,
            stacklevel=2,
        )
    return cast(BankData, report.data)  # report.ok guarantees the typed data


# --------------------------------------------------------------------------- write


def write_tables(
    data: Mapping[str, pd.DataFrame],
    dest: str | os.PathLike[str],
    *,
    format: Literal["parquet", "csv"] = "parquet",
    if_exists: Literal["fail", "replace"] = "fail",
) -> None:
    """Write typed frames to a directory or database, atomically.

    Parameters
    ----------
    data : mapping of str to pandas.DataFrame
        Frames by table name (e.g. a :class:`~attrition.contracts.BankData`), with
        contract dtypes: months (``period[M]``) are written as ``YYYY-MM`` text,
        dates (``datetime64`` at midnight) as dates, ``boolean`` as booleans.
    dest : str or path-like
        A directory (one ``<table>.<format>`` file per table) or a SQLAlchemy URL.
    format : {"parquet", "csv"}, default "parquet"
        File format for a directory; ignored for a URL. CSV writes dates as
        ``YYYY-MM-DD`` and missing values as empty cells.
    if_exists : {"fail", "replace"}, default "fail"
        What to do when the directory exists and is not empty, or when one of the
        tables exists in the database. ``"replace"`` replaces the whole directory, or
        the named tables (other tables in the database are kept).

    Raises
    ------
    attrition.errors.SourceError
        If the destination exists (with ``if_exists="fail"``), cannot be written, or
        a frame cannot be serialised. Nothing is changed at the destination then.
    attrition.errors.ConfigError
        If ``format``, ``if_exists`` or a table name is not allowed.

    Notes
    -----
    A directory is written into a hidden sibling and renamed into place (on replace,
    the old directory is renamed away first and deleted last). A database is written in
    one transaction; PostgreSQL through psycopg uses ``COPY``.
    """
    if format not in ("parquet", "csv"):
        raise ConfigError(f"format={format!r} is not allowed; use 'parquet' or 'csv'")
    if if_exists not in ("fail", "replace"):
        raise ConfigError(f"if_exists={if_exists!r} is not allowed; use 'fail' or 'replace'")
    bad = [n for n in data if not _SAFE_NAME.match(str(n))]
    if bad:
        raise ConfigError(
            f"table name(s) {', '.join(map(repr, bad))} are not allowed; "
            "use letters, digits and underscores"
        )
    if is_url(dest):
        _write_sql(data, str(dest), if_exists)
    else:
        _write_directory(data, Path(dest), format, if_exists)


def _format_codes(values: pd.Series, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """Codes and formatted distinct values: formatting millions of cells one by one is slow."""
    codes, uniques = pd.factorize(values)
    return codes, np.asarray(pd.Index(uniques).strftime(fmt), dtype=object)


def _is_midnight(values: pd.Series) -> bool:
    return bool((values.dt.normalize() == values)[values.notna()].all())


def _arrow_column(values: pd.Series) -> pa.Array:
    dtype = values.dtype
    if isinstance(dtype, pd.PeriodDtype):
        codes, labels = _format_codes(values, "%Y-%m")
        indices = pa.array(codes, mask=codes < 0, type=pa.int32())
        return pa.DictionaryArray.from_arrays(
            indices, pa.array(labels, pa.string())
        ).dictionary_decode()
    if pd.api.types.is_datetime64_dtype(dtype) and _is_midnight(values):
        return pa.array(values.to_numpy().astype("datetime64[D]"), from_pandas=True)
    array = pa.array(values, from_pandas=True)
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


def _to_arrow(frame: pd.DataFrame, name: str) -> pa.Table:
    arrays = []
    for col in frame.columns:
        try:
            arrays.append(_arrow_column(frame[col]))
        except (pa.ArrowException, TypeError, ValueError) as e:
            raise SourceError(
                f"cannot write column {col!r} of table {name!r}: {e}; "
                "give it one type (text, number, date or bool)"
            ) from e
    return pa.Table.from_arrays(arrays, names=[str(c) for c in frame.columns])


def _write_directory(
    data: Mapping[str, pd.DataFrame], dest: Path, fmt: str, if_exists: str
) -> None:
    if dest.exists():
        if not dest.is_dir():
            raise SourceError(f"destination {dest} exists and is not a directory")
        if if_exists == "fail" and any(dest.iterdir()):
            raise SourceError(
                f"destination {dest} already exists and is not empty; "
                "pass if_exists='replace' to overwrite it"
            )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        for name, frame in data.items():
            table = _to_arrow(frame, name)
            path = tmp / f"{name}.{fmt}"
            if fmt == "parquet":
                pq.write_table(table, path)
            else:
                pa_csv.write_csv(table, path)
        _swap_into_place(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_into_place(tmp: Path, dest: Path) -> None:
    if not dest.exists():
        os.rename(tmp, dest)
        return
    old = dest.parent / f".{dest.name}.old-{uuid.uuid4().hex}"
    os.rename(dest, old)
    try:
        os.rename(tmp, dest)
    except BaseException:
        os.rename(old, dest)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _sql_type(values: pd.Series) -> sa.types.TypeEngine[Any]:
    dtype = values.dtype
    if isinstance(dtype, pd.PeriodDtype):
        return sa.Text()
    if isinstance(dtype, pd.DatetimeTZDtype):
        return sa.DateTime(timezone=True)
    if pd.api.types.is_datetime64_dtype(dtype):
        return sa.Date() if _is_midnight(values) else sa.DateTime()
    if pd.api.types.is_bool_dtype(dtype):
        return sa.Boolean()
    if pd.api.types.is_integer_dtype(dtype):
        return sa.BigInteger()
    if pd.api.types.is_float_dtype(dtype):
        return sa.Double()
    return sa.Text()


def _python_column(
    values: pd.Series, sql_type: sa.types.TypeEngine[Any], *, text_dates: bool
) -> list[Any]:
    """One column as Python objects (None for missing) for DBAPI executemany."""
    if isinstance(values.dtype, pd.PeriodDtype) or (
        text_dates and isinstance(sql_type, sa.Date | sa.DateTime)
    ):
        fmt = "%Y-%m" if isinstance(values.dtype, pd.PeriodDtype) else "%Y-%m-%d"
        if isinstance(sql_type, sa.DateTime):
            fmt = "%Y-%m-%d %H:%M:%S.%f"
        codes, labels = _format_codes(values, fmt)
        out = labels.take(codes) if len(labels) else np.full(len(codes), None, dtype=object)
        out[codes < 0] = None
        return out.tolist()
    if isinstance(sql_type, sa.Date):
        return values.dt.date.astype(object).where(values.notna(), None).tolist()
    if isinstance(sql_type, sa.DateTime):
        return (
            pd.Series(values.dt.to_pydatetime(), dtype=object)
            .where(values.notna().to_numpy(), None)
            .tolist()
        )
    return values.astype(object).where(values.notna(), None).tolist()


def _write_sql(data: Mapping[str, pd.DataFrame], url: str, if_exists: str) -> None:
    shown = describe_source(url)
    engine = _engine(url, for_write=True)
    # One transaction: all tables or none.
    with _database_errors(engine, url, "write to"), engine.begin() as conn:
        existing = set(sa.inspect(conn).get_table_names())
        clash = [name for name in data if name in existing]
        if clash and if_exists == "fail":
            raise SourceError(
                f"table(s) {', '.join(clash)} already exist in {shown}; "
                "pass if_exists='replace' to overwrite them"
            )
        metadata = sa.MetaData()
        for name, frame in data.items():
            types = {str(c): _sql_type(frame[c]) for c in frame.columns}
            table = sa.Table(name, metadata, *(sa.Column(c, t) for c, t in types.items()))
            if name in existing:
                conn.exec_driver_sql(f"DROP TABLE {conn.dialect.identifier_preparer.quote(name)}")
            table.create(conn)
            _insert(conn, table, frame, types)


def _insert(
    conn: sa.Connection,
    table: sa.Table,
    frame: pd.DataFrame,
    types: Mapping[str, sa.types.TypeEngine[Any]],
) -> None:
    if frame.empty:
        return
    if _is_psycopg(conn.engine):
        _copy_into_pg(conn, table, frame)
        return
    sqlite = conn.dialect.name == "sqlite"
    try:
        columns = [
            _python_column(frame[c], types[str(c)], text_dates=sqlite) for c in frame.columns
        ]
    except (TypeError, ValueError) as e:
        raise SourceError(f"cannot write table {table.name!r}: {e}") from e
    rows = zip(*columns, strict=True)
    if sqlite:
        # Straight to the driver: SQLAlchemy's per-row processing would dominate.
        preparer = conn.dialect.identifier_preparer
        sql = (
            f"INSERT INTO {preparer.quote(table.name)} "
            f"({', '.join(preparer.quote(str(c)) for c in frame.columns)}) "
            f"VALUES ({', '.join('?' * len(frame.columns))})"
        )
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.executemany(sql, rows)
        finally:
            cursor.close()
        return
    keys = [str(c) for c in frame.columns]
    while chunk := list(itertools.islice(rows, _SQL_CHUNK_ROWS)):
        conn.execute(table.insert(), [dict(zip(keys, row, strict=True)) for row in chunk])


def _copy_into_pg(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    arrow = _to_arrow(frame, table.name)
    preparer = conn.dialect.identifier_preparer
    sql = (
        f"COPY {preparer.quote(table.name)} "
        f"({', '.join(preparer.quote(c.name) for c in table.columns)}) "
        "FROM STDIN WITH (FORMAT csv)"
    )
    dbapi = conn.connection.driver_connection
    options = pa_csv.WriteOptions(include_header=False)
    with dbapi.cursor() as cur, cur.copy(sql) as copy:
        for batch in arrow.to_batches(max_chunksize=_COPY_BATCH_ROWS):
            buffer = io.BytesIO()
            pa_csv.write_csv(batch, buffer, write_options=options)
            copy.write(buffer.getvalue())
