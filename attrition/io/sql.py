"""SQL databases through SQLAlchemy: raw reads and one-transaction writes.

PostgreSQL through psycopg uses ``COPY`` both ways (fast, and it keeps each
timestamp's wall-clock time); other databases use plain queries and ``executemany``.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.csv as pa_csv
import sqlalchemy as sa

from attrition.errors import SourceError
from attrition.io.files import format_codes, is_midnight, read_csv, to_arrow
from attrition.io.source import describe_source, is_url

log = logging.getLogger(__name__)

_SQL_CHUNK_ROWS = 50_000
_COPY_BATCH_ROWS = 100_000


def _scrub(message: str, url: str) -> str:
    password = sa.make_url(url).password if is_url(url) else None
    text = message.strip().splitlines()[0] if message.strip() else message
    return text.replace(str(password), "***") if password else text


def make_engine(url: str, *, for_write: bool = False, **options: Any) -> sa.Engine:
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
        engine = sa.create_engine(parsed, **options)
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
        # a transaction that reads then writes asks for the write lock at once
        # (execution option sqlite_begin="IMMEDIATE"): two deferred ones that both read
        # could not both upgrade, and SQLite fails one with "database is locked"
        mode = conn.get_execution_options().get("sqlite_begin", "")
        if mode not in ("", "IMMEDIATE", "EXCLUSIVE"):
            raise ValueError(f"sqlite_begin must be IMMEDIATE or EXCLUSIVE, got {mode!r}")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


@contextlib.contextmanager
def database_errors(engine: sa.Engine, url: str, doing: str) -> Iterator[None]:
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


def read_sql(url: str, names: Iterable[str]) -> dict[str, pd.DataFrame]:
    engine = make_engine(url)
    with database_errors(engine, url, "read"), engine.connect() as conn:
        inspector = sa.inspect(conn)
        present = set(inspector.get_table_names()) | set(inspector.get_view_names())
        return {name: read_sql_table(conn, name) for name in names if name in present}


def read_sql_table(conn: sa.Connection, name: str) -> pd.DataFrame:
    quoted = conn.dialect.identifier_preparer.quote(name)
    if _is_psycopg(conn.engine):
        return _read_pg_copy(conn, quoted)
    # A plain text query, not a reflected Table: SQLAlchemy's type processors would
    # raise on a malformed date instead of letting validation report it.
    return pd.read_sql_query(sa.text(f"SELECT * FROM {quoted}"), conn)


def fetch_frame(conn: sa.Connection, query: sa.Select) -> pd.DataFrame:
    """The rows of ``query`` as a frame, fetched with the driver's own cursor.

    For large reads of plain columns (text, numbers): SQLAlchemy's per-row result
    handling costs a third of a million-row read, and pandas' ``read_sql`` goes
    through it. Values come as the driver gives them, as with ``read_sql``; columns
    whose values SQLAlchemy would convert (dates, JSON) belong in a plain query.
    """
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params: Any = compiled.construct_params()
    if compiled.positiontup is not None:  # a driver taking "?" parameters (SQLite)
        params = tuple(params[name] for name in compiled.positiontup)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(compiled.string, params)
        names = [d[0] for d in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=names, coerce_float=True)
    finally:
        cursor.close()


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
        return read_csv(stream, encoding=dbapi.info.encoding, label=f"table {quoted}")


def _sql_type(values: pd.Series) -> sa.types.TypeEngine[Any]:
    dtype = values.dtype
    if isinstance(dtype, pd.PeriodDtype):
        return sa.Text()
    if isinstance(dtype, pd.DatetimeTZDtype):
        return sa.DateTime(timezone=True)
    if pd.api.types.is_datetime64_dtype(dtype):
        return sa.Date() if is_midnight(values) else sa.DateTime()
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
        codes, labels = format_codes(values, fmt)
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


def write_sql(data: Mapping[str, pd.DataFrame], url: str, if_exists: str) -> None:
    shown = describe_source(url)
    engine = make_engine(url, for_write=True)
    # One transaction: all tables or none.
    with database_errors(engine, url, "write to"), engine.begin() as conn:
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


def insert_frame(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """Bulk-insert ``frame`` into an existing ``table`` inside the caller's transaction:
    ``COPY`` on PostgreSQL through psycopg, the driver's ``executemany`` elsewhere.
    ``frame`` holds every column of the table (missing values as NaN or None)."""
    frame = frame[[c.name for c in table.columns]]
    _insert(conn, table, frame, {c.name: c.type for c in table.columns})


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
    arrow = to_arrow(frame, table.name)
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


def settle_after_bulk_load(engine: sa.Engine, tables: Sequence[str]) -> None:
    """On PostgreSQL, ``VACUUM (ANALYZE)`` tables just filled in bulk, as PostgreSQL's
    guide to populating a database asks: the planner gets statistics for the new rows
    at once instead of whenever autovacuum comes by, and the rows their visibility
    hints, which the first read of each page would otherwise write back. Only pages
    not yet vacuumed are visited (3 s after a 1M-client run). Elsewhere nothing is
    needed. A role that does not own the
    tables is skipped with PostgreSQL's warning; a failure is logged, never raised:
    what was loaded stays as it is."""
    if engine.dialect.name != "postgresql":
        return
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {', '.join(tables)}")
    except sa.exc.DBAPIError as exc:
        log.warning("tables not vacuumed after a bulk load: %s", str(exc).splitlines()[0])
