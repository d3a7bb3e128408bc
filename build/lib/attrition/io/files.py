"""Directories of CSV and Parquet files: raw reads and atomic writes (via Arrow)."""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from attrition.errors import SourceError
from attrition.io.outputs import remove_stale_temps, swap_into_place, temp_path, write_atomic

# Every column as text, and only a truly empty cell is missing: "NA" or "null" may be
# a real segment label or id, and "000123" must keep its zeros.
_CSV_OPTIONS: dict[str, Any] = {
    "dtype": str,
    "keep_default_na": False,
    "na_values": [""],
}


def table_file(directory: Path, name: str) -> Path | None:
    csv, parquet = directory / f"{name}.csv", directory / f"{name}.parquet"
    if csv.is_file() and parquet.is_file():
        raise SourceError(
            f"table {name!r} is in both {csv} and {parquet}; keep only one of the two files"
        )
    if csv.is_file():
        return csv
    return parquet if parquet.is_file() else None


def read_directory(directory: Path, names: Iterable[str]) -> dict[str, pd.DataFrame]:
    if not directory.exists():
        raise SourceError(f"source directory {directory} does not exist")
    if not directory.is_dir():
        raise SourceError(
            f"source {directory} is a file; a source is a directory of <table>.csv or "
            "<table>.parquet files or a SQLAlchemy URL (use flat-table mode for one file)"
        )
    # Resolve every file first so that an ambiguous table fails before any slow read.
    files = {name: path for name in names if (path := table_file(directory, name))}
    return {name: read_file(path) for name, path in files.items()}


def read_file(path: Path) -> pd.DataFrame:
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return _read_parquet(path)
    if re.search(r"\.(csv|txt)(\.(gz|bz2|zip|xz|zst))?$", name):
        return read_csv(path)
    raise SourceError(f"cannot read {path}: expected a .csv or .parquet file")


def read_csv(
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


def format_codes(values: pd.Series, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """Codes and formatted distinct values: formatting millions of cells one by one is slow."""
    codes, uniques = pd.factorize(values)
    return codes, np.asarray(pd.Index(uniques).strftime(fmt), dtype=object)


def is_midnight(values: pd.Series) -> bool:
    return bool((values.dt.normalize() == values)[values.notna()].all())


def _arrow_column(values: pd.Series) -> pa.Array:
    dtype = values.dtype
    if isinstance(dtype, pd.PeriodDtype):
        codes, labels = format_codes(values, "%Y-%m")
        indices = pa.array(codes, mask=codes < 0, type=pa.int32())
        return pa.DictionaryArray.from_arrays(
            indices, pa.array(labels, pa.string())
        ).dictionary_decode()
    if pd.api.types.is_datetime64_dtype(dtype) and is_midnight(values):
        return pa.array(values.to_numpy().astype("datetime64[D]"), from_pandas=True)
    array = pa.array(values, from_pandas=True)
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


def to_arrow(frame: pd.DataFrame, name: str) -> pa.Table:
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


def write_table_files(data: Mapping[str, pd.DataFrame], folder: Path, fmt: str) -> None:
    """One ``<table>.<fmt>`` file per frame in an existing folder (not atomic by itself)."""
    for name, frame in data.items():
        table = to_arrow(frame, name)
        path = folder / f"{name}.{fmt}"
        if fmt == "parquet":
            pq.write_table(table, path)
        else:
            pa_csv.write_csv(table, path)


def write_directory(data: Mapping[str, pd.DataFrame], dest: Path, fmt: str, if_exists: str) -> None:
    if dest.exists():
        if not dest.is_dir():
            raise SourceError(f"destination {dest} exists and is not a directory")
        if if_exists == "fail" and any(dest.iterdir()):
            raise SourceError(
                f"destination {dest} already exists and is not empty; "
                "pass if_exists='replace' to overwrite it"
            )
    dest.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(dest)
    tmp = temp_path(dest)
    tmp.mkdir()
    try:
        write_table_files(data, tmp, fmt)
        swap_into_place(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write one frame as a Parquet file atomically: a hidden temp file beside it,
    renamed into place, so a reader sees the old file or the new one, never half."""
    return write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))
