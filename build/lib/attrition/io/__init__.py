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

import os
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal, cast

import pandas as pd
import sqlalchemy as sa

from attrition.contracts import OPTIONAL_TABLES, REQUIRED_TABLES, TABLES, BankData, FlatSpec
from attrition.errors import (
    ConfigError,
    DataContractError,
    DataQualityWarning,
    SourceError,
)
from attrition.io.files import (
    read_directory,
    read_file,
    table_file,
    write_directory,
    write_parquet,
)
from attrition.io.source import describe_source, is_url
from attrition.io.sql import database_errors, make_engine, read_sql, read_sql_table, write_sql
from attrition.validation import ValidationReport, validate_flat, validate_tables

__all__ = [
    "describe_source",
    "is_url",
    "load_bank",
    "load_flat",
    "read_flat_table",
    "read_tables",
    "validate_source",
    "write_parquet",
    "write_tables",
]

_SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
        return read_sql(str(source), names)
    return read_directory(Path(source), names)


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
        engine = make_engine(url)
        with database_errors(engine, url, "read"), engine.connect() as conn:
            inspector = sa.inspect(conn)
            names = set(inspector.get_table_names()) | set(inspector.get_view_names())
            if table not in names:
                raise SourceError(f"table {table!r} does not exist in {shown}")
            return read_sql_table(conn, table)
    path = Path(path_or_url)
    if path.is_dir():
        if not table:
            raise ConfigError(f"flat-table mode on directory {path} needs table=...")
        found = table_file(path, table)
        if found is None:
            raise SourceError(f"no {table}.csv or {table}.parquet in {path}")
        path = found
    if not path.is_file():
        raise SourceError(f"flat table file {path} does not exist")
    return read_file(path)


def load_flat(
    path_or_url: str | os.PathLike[str],
    spec: FlatSpec,
    *,
    table: str | None = None,
    outcomes: bool = True,
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
    outcomes : bool, default True
        False for rows to score (no duration or event columns needed).

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
    typed, problems = validate_flat(
        raw, spec, table_name=table or Path(str(path_or_url)).stem, outcomes=outcomes
    )
    if problems:
        raise DataContractError(problems, source=describe_source(path_or_url))
    return typed


def validate_source(
    source: str | os.PathLike[str], *, tables: Iterable[str] | None = None
) -> ValidationReport:
    """Read a source with :func:`read_tables` and validate it (nothing is raised for bad rows).

    Parameters
    ----------
    source : str or path-like
        A directory of ``<table>.csv``/``<table>.parquet`` files or a SQLAlchemy URL.
    tables : iterable of str, optional
        Optional tables to read (all by default); required tables are always read.

    Returns
    -------
    ValidationReport

    Raises
    ------
    attrition.errors.SourceError
        If the source cannot be read at all (missing directory, unreachable database,
        a table present both as CSV and Parquet). This propagates rather than becoming
        a report problem: there is no table or column to point at, and callers need to
        tell "fix your rows" from "fix your path or URL".
    """
    raw = read_tables(source, tables=tables)
    return validate_tables(raw, source=describe_source(source))


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
        write_sql(data, str(dest), if_exists)
    else:
        write_directory(data, Path(dest), format, if_exists)
