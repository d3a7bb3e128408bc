"""Coercion of raw columns to the contract dtypes.

Raw columns come from :mod:`attrition.io` (CSV text, Parquet or SQL natives) and leave
with the dtypes of :data:`attrition.contracts.PANDAS_DTYPES`, accepting every form the
contract lists: ISO strings or native dates of any unit and time zone, months as
``YYYY-MM`` or any date inside the month, bools as native, ``0/1``, ``true/false`` or
``t/f`` in any case. A value that is present but does not parse is flagged in the
returned mask; it never silently becomes missing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from attrition.contracts import PANDAS_DTYPES, DType

__all__ = ["OUT_OF_RANGE_HINT", "coerce_series", "coerce_str", "parse_numbers", "plain_values"]

# datetime64[ns] is the contract's date dtype; it cannot hold dates outside this range
# (banks often write 9999-12-31 for "open-ended"), so such dates are reported, not clipped.
_MIN_TS = pd.Timestamp.min.ceil("D")
_MAX_TS = pd.Timestamp.max.floor("D")
OUT_OF_RANGE_HINT = (
    f"; dates before {_MIN_TS:%Y-%m-%d} or after {_MAX_TS:%Y-%m-%d} (such as 9999-12-31) "
    "are not supported: leave the cell empty for 'no date'"
)

_ISO_DATE = re.compile(
    r"^\s*(\d{4}-\d{1,2}-\d{1,2})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?\s*$"
)
_ISO_MONTH = re.compile(r"^\s*(\d{4}-\d{1,2})\s*$")

_TRUE_FALSE = {
    "true": True,
    "false": False,
    "t": True,
    "f": False,
    "1": True,
    "0": False,
    "1.0": True,
    "0.0": False,
}
# Common spellings looked up before lower-casing, which costs a pass over the column.
_BOOL_FAST: dict[object, bool] = {
    **_TRUE_FALSE,
    "True": True,
    "False": False,
    "TRUE": True,
    "FALSE": False,
    True: True,
    False: False,
}


# --------------------------------------------------------------------------- coercion


def coerce_series(raw: pd.Series, dtype: DType) -> tuple[pd.Series, pd.Series]:
    """Coerce one raw column to its contract dtype.

    Parameters
    ----------
    raw : pandas.Series
        Values as read from a source: text, numbers, bools, native dates/timestamps
        (any unit, naive or time-zone aware), periods, or a mix. ``NaN``/``None``/
        ``NA`` and the empty string are missing.
    dtype : {"str", "date", "month", "float", "int", "bool"}
        The contract type (:data:`attrition.contracts.PANDAS_DTYPES` gives the result
        dtype).

    Returns
    -------
    typed : pandas.Series
        Same index and length as ``raw``, with dtype ``PANDAS_DTYPES[dtype]``. Missing
        and unparseable values are missing here.
    bad : pandas.Series of bool
        True where a value was present but could not be parsed as ``dtype``.

    Raises
    ------
    KeyError
        If ``dtype`` is not a contract type.
    """
    values = raw.reset_index(drop=True)
    if values.dtype != PANDAS_DTYPES[dtype]:  # typed frames skip the unwrapping copy
        values = plain_values(values)
    typed, bad = _COERCERS[dtype](values)
    typed = typed.astype(PANDAS_DTYPES[dtype])
    typed.index = raw.index
    return typed, pd.Series(bad, index=raw.index, dtype=bool)


def plain_values(s: pd.Series) -> pd.Series:
    """Unwrap extension dtypes whose values the coercers read as plain numpy/object."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return plain_values(pd.Series(np.asarray(s, dtype=object), index=s.index))
    if isinstance(dtype, pd.ArrowDtype):
        # date_as_object=False keeps Arrow dates as datetime64 instead of Python objects.
        converted = s.array.__arrow_array__().to_pandas(date_as_object=False)
        converted.index = s.index
        return plain_values(converted)
    if isinstance(dtype, pd.StringDtype):
        return pd.Series(s.to_numpy(dtype=object, na_value=np.nan), index=s.index)
    if isinstance(dtype, pd.SparseDtype):
        return plain_values(s.sparse.to_dense())
    return s


def _missing(s: pd.Series) -> np.ndarray:
    miss = s.isna().to_numpy()
    if s.dtype == object:
        miss |= (s == "").to_numpy()
    return miss


def _strip_retry(s: pd.Series, need: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """The values still unparsed, as stripped text, plus which of them are blank."""
    sub = s[need].astype(str).str.strip()
    return sub, (sub == "").to_numpy()


def _object_kind(s: pd.Series) -> str:
    return pd.api.types.infer_dtype(s, skipna=True)


def _is_str_array(s: pd.Series) -> np.ndarray:
    # Only reached for columns mixing text with other Python objects (rare).
    return np.fromiter((isinstance(v, str) for v in s.to_numpy()), dtype=bool, count=len(s))


def coerce_str(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    bad = np.zeros(len(s), dtype=bool)
    if pd.api.types.is_float_dtype(s.dtype) or (
        s.dtype == object and _object_kind(s) in ("floating", "mixed-integer-float")
    ):
        # A float id column (e.g. integer ids with gaps) must read "123", not "123.0".
        num = pd.to_numeric(s, errors="coerce")
        # Beyond 2**53 a float no longer holds an exact integer: keep its text as is.
        whole = (np.isfinite(num) & (num == np.round(num)) & (num.abs() < 2**53)).to_numpy()
        text = pd.Series(s.to_numpy(dtype=object), index=s.index)
        text[whole] = num[whole].astype("int64").astype(str).to_numpy()
        out = text.astype(pd.StringDtype())
    elif s.dtype == object and _object_kind(s) == "bytes":
        out = s.str.decode("utf-8", errors="replace").astype(pd.StringDtype())
    else:
        out = s.astype(pd.StringDtype())
    out = out.mask((out == "").fillna(False).to_numpy())
    return out, bad


def _to_naive_wallclock(v: object) -> object:
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None)
    if isinstance(v, pd.Timestamp):
        return v.tz_localize(None) if v.tzinfo is not None else v
    return v


def _datetimes_to_dates(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Native datetime64 (any unit, any tz) to midnight datetime64[ns]; flags out-of-range."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_localize(None)  # keeps the wall-clock time, which is what the bank wrote
    s = s.dt.normalize()
    oob = ((s < _MIN_TS) | (s > _MAX_TS)).to_numpy()
    if oob.any():
        s = s.mask(oob)
    return s.astype("datetime64[ns]"), oob


def _date_strings(s: pd.Series, present: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """Parse ISO date (or date-time) strings to dates; present values that fail are bad."""
    out = pd.to_datetime(s.where(present), format="%Y-%m-%d", errors="coerce")
    need = present & out.isna().to_numpy()
    bad = np.zeros(len(s), dtype=bool)
    if need.any():
        sub, blank = _strip_retry(s, need)
        day = sub.str.extract(_ISO_DATE, expand=False)
        parsed = pd.to_datetime(day, format="%Y-%m-%d", errors="coerce")
        idx = np.flatnonzero(need)
        out.iloc[idx] = parsed.to_numpy()
        bad[idx] = parsed.isna().to_numpy() & ~blank
    return out, bad


def _date_objects(s: pd.Series, present: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """Parse Python date/datetime/Timestamp objects, keeping each one's wall-clock date."""
    with warnings.catch_warnings():
        # Mixed time zones warn (or raise, depending on the pandas version); both mean
        # "fall back to converting each value to its own wall-clock time".
        warnings.simplefilter("error")
        try:
            out = pd.to_datetime(s.where(present))
        except (ValueError, TypeError, FutureWarning, OverflowError):
            out = None
    if out is None or not pd.api.types.is_datetime64_any_dtype(out.dtype):
        naive = s.where(present).map(_to_naive_wallclock, na_action="ignore")
        out = pd.to_datetime(naive, errors="coerce")
    out, oob = _datetimes_to_dates(out)
    return out, (present & out.isna().to_numpy()) | oob


def _coerce_date(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return _datetimes_to_dates(s)
    if isinstance(s.dtype, pd.PeriodDtype):
        return s.dt.to_timestamp(how="start").astype("datetime64[ns]"), np.zeros(len(s), bool)
    missing = _missing(s)
    present = ~missing
    if s.dtype != object:
        # Numbers are not dates (no spreadsheet serials): every present value is bad.
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]"), present
    kind = _object_kind(s)
    if kind in ("string", "empty"):
        out, bad = _date_strings(s, present)
        out, oob = _datetimes_to_dates(out)
        return out, bad | oob
    if kind in ("date", "datetime", "datetime64"):
        return _date_objects(s, present)
    if kind == "period":
        out = pd.Series(
            [np.nan if pd.isna(v) else v.start_time for v in s], index=s.index, dtype=object
        )
        return _date_objects(out, present)
    is_str = _is_str_array(s)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    bad = np.zeros(len(s), dtype=bool)
    if is_str.any():
        sd, sb = _date_strings(s[is_str], present[is_str])
        sd, soob = _datetimes_to_dates(sd)
        out[is_str] = sd.to_numpy()
        bad[is_str] = sb | soob
    rest = ~is_str
    if rest.any():
        od, ob = _date_objects(s[rest], present[rest])
        out[rest] = od.to_numpy()
        bad[rest] = ob
    return out, bad


def _coerce_month(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if isinstance(s.dtype, pd.PeriodDtype):
        return s.dt.asfreq("M"), np.zeros(len(s), dtype=bool)
    if s.dtype == object and _object_kind(s) in ("string", "empty"):
        present = ~_missing(s)
        first = pd.to_datetime(s.where(present), format="%Y-%m", errors="coerce")
        need = present & first.isna().to_numpy()
        bad = np.zeros(len(s), dtype=bool)
        if need.any():
            sub, blank = _strip_retry(s, need)
            month = sub.str.extract(_ISO_MONTH, expand=False)
            parsed = pd.to_datetime(month, format="%Y-%m", errors="coerce")
            # Anything that is not YYYY-MM may still be a date inside the month.
            as_date, date_bad = _date_strings(sub, parsed.isna().to_numpy() & ~blank)
            parsed = parsed.fillna(as_date)
            idx = np.flatnonzero(need)
            first.iloc[idx] = parsed.to_numpy()
            bad[idx] = date_bad
        days, oob = _datetimes_to_dates(first)
        return days.dt.to_period("M"), bad | oob
    if s.dtype == object and _object_kind(s) == "period":
        present = ~_missing(s)
        out = pd.Series(pd.NaT, index=s.index, dtype=PANDAS_DTYPES["month"])
        ok = present & np.fromiter(
            (isinstance(v, pd.Period) for v in s.to_numpy()), dtype=bool, count=len(s)
        )
        out[ok] = pd.PeriodIndex(list(s[ok]), freq="M").asfreq("M")
        return out, present & ~ok
    days, bad = _coerce_date(s)
    return days.dt.to_period("M"), bad


def _parse_floats(s: pd.Series) -> pd.Series:
    """Text to float64, NaN where unparseable, exact to the last bit.

    ``pd.to_numeric`` rounds about one value in seven differently from Python's
    ``float`` (so a CSV round trip would change the data); ``astype`` is exact but
    stops at the first bad value, so it is retried on the values ``to_numeric`` accepts.
    """
    try:
        return s.astype("float64")
    except (ValueError, TypeError):
        loose = pd.to_numeric(s, errors="coerce").astype("float64")
        good = loose.notna().to_numpy()
        # Exotic objects that astype refuses keep to_numeric's (nearly exact) values.
        with contextlib.suppress(ValueError, TypeError):
            loose[good] = s[good].astype("float64").to_numpy()
        return loose


def parse_numbers(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse to float64; present values that are not finite numbers are bad."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return pd.Series(np.nan, index=s.index), ~s.isna().to_numpy()
    if pd.api.types.is_numeric_dtype(s.dtype):
        num = pd.Series(s.to_numpy(dtype="float64", na_value=np.nan), index=s.index)
        present = ~np.isnan(num.to_numpy())
    else:
        present = ~_missing(s)
        if s.dtype == object and _object_kind(s) == "boolean":
            return pd.Series(np.nan, index=s.index), present
        num = _parse_floats(s.where(present))
        need = present & num.isna().to_numpy()
        if need.any():
            sub, blank = _strip_retry(s, need)
            num.iloc[np.flatnonzero(need)] = _parse_floats(sub.where(~blank)).to_numpy()
            present[np.flatnonzero(need)[blank]] = False
    values = num.to_numpy()
    bad = present & ~np.isfinite(values)
    if bad.any():
        num = num.mask(bad)
    return num, bad


def _coerce_float(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    return parse_numbers(s)


def _coerce_int(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_integer_dtype(s.dtype):
        return s.astype("Int64"), np.zeros(len(s), dtype=bool)
    num, bad = parse_numbers(s)
    values = num.to_numpy()
    fraction = ~np.isnan(values) & (values != np.round(values))
    bad = bad | fraction
    return num.mask(fraction).astype("Int64"), bad


def _coerce_bool(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean"), np.zeros(len(s), dtype=bool)
    if pd.api.types.is_numeric_dtype(s.dtype):
        num = pd.Series(s.to_numpy(dtype="float64", na_value=np.nan), index=s.index)
        bad = (num.notna() & ~num.isin([0.0, 1.0])).to_numpy()
        return num.mask(bad).astype("boolean"), bad
    present = ~_missing(s)
    out = s.where(present).map(_BOOL_FAST)
    need = present & out.isna().to_numpy()
    bad = np.zeros(len(s), dtype=bool)
    if need.any():
        sub, blank = _strip_retry(s, need)
        mapped = sub.str.lower().map(_TRUE_FALSE)
        out.iloc[np.flatnonzero(need)] = mapped.to_numpy()
        bad[np.flatnonzero(need)] = mapped.isna().to_numpy() & ~blank
    return out.astype("boolean"), bad


_COERCERS: dict[str, Callable[[pd.Series], tuple[pd.Series, np.ndarray]]] = {
    "str": coerce_str,
    "date": _coerce_date,
    "month": _coerce_month,
    "float": _coerce_float,
    "int": _coerce_int,
    "bool": _coerce_bool,
}
