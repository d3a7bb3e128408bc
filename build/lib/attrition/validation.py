"""Check raw tables against the data contract and turn them into typed frames.

Raw columns are first coerced by :mod:`attrition.coercion`; a value that is present
but does not parse is a problem (rule ``"type"``). Then comes **validation** of every
contract rule, reporting all broken rules at once as :class:`~attrition.errors.Problem`
records, each with a count and up to five example row keys. PII values (names,
e-mails) and protected attributes never appear in messages: examples name rows by
their key columns only.

Rule names used in problems: ``required_table``, ``empty_table``, ``required_column``,
``duplicate_column``, ``type``, ``not_null``, ``allowed_values``, ``not_negative``,
``positive``, ``range``, ``duplicate_key``, ``foreign_key``, ``exit_pair``,
``date_order``, ``campaign_target``, and from :mod:`attrition.checks.timeline`
``future_date`` (an observation dated after the load date) and the warnings
``outlying_month`` (trailing months far beyond the rest) and ``ends_early`` (a monthly
table the features read ends before the balances).

Everything is vectorised: a bank of millions of rows validates in seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from attrition.checks.flat import check_flat_numbers, numeric_columns
from attrition.checks.timeline import check_table_ends, check_timeline
from attrition.coercion import (
    OUT_OF_RANGE_HINT,
    coerce_series,
    coerce_str,
    parse_numbers,
    plain_values,
)
from attrition.contracts import (
    TABLES,
    BankData,
    Column,
    FlatSpec,
    Table,
)
from attrition.errors import Problem

__all__ = [
    "MAX_EXAMPLES",
    "ValidationReport",
    "validate_flat",
    "validate_tables",
]

MAX_EXAMPLES = 5


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class ValidationReport:
    """Everything :func:`validate_tables` found, and the typed data when nothing is wrong.

    Attributes
    ----------
    problems : tuple of Problem
        Broken contract rules; any problem makes the source unusable.
    warnings : tuple of Problem
        Suspicious but usable data, e.g. optional-table rows whose client is unknown
        (those rows are dropped from :attr:`data`).
    row_counts : dict of str to int
        Rows read per table present in the source.
    missing_tables : tuple of str
        Optional contract tables absent from the source.
    missing_feature_groups : tuple of str
        Feature groups that are skipped because their table is missing.
    data : BankData or None
        Typed frames (contract dtypes, contract column order, extra columns dropped)
        when :attr:`ok`; otherwise ``None``.
    source : str
        The source as shown to people (passwords masked).
    """

    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    row_counts: dict[str, int] = field(default_factory=dict)
    missing_tables: tuple[str, ...] = ()
    missing_feature_groups: tuple[str, ...] = ()
    data: BankData | None = None
    source: str = ""

    @property
    def ok(self) -> bool:
        """True when no contract rule is broken (warnings allowed)."""
        return not self.problems

    def render(self) -> str:
        """Plain-language text for people: every problem on its own line, or a summary.

        Returns
        -------
        str
            When there are problems: one line per problem with table, column, count,
            up to five example rows and what was expected. Otherwise: rows per table
            and which optional tables (and so which feature groups) are missing.
            Warnings follow in both cases.
        """
        where = f" in {self.source}" if self.source else ""
        lines: list[str] = []
        if self.problems:
            n = len(self.problems)
            lines.append(f"{n} data contract problem{'s' if n != 1 else ''}{where}:")
            lines.extend(f"  - {p}" for p in self.problems)
            lines.append("Nothing was loaded. Fix the rows above and run validate again.")
        else:
            lines.append(f"The data{where} follows the data contract.")
            if self.row_counts:
                lines.append("Rows per table:")
                width = max(len(t) for t in self.row_counts)
                lines.extend(f"  {t:<{width}}  {n:>12,}" for t, n in self.row_counts.items())
            if self.missing_tables:
                lines.append("Optional tables missing: " + ", ".join(self.missing_tables))
                lines.append("Feature groups skipped: " + ", ".join(self.missing_feature_groups))
            else:
                lines.append("All optional tables are present.")
        if self.warnings:
            n = len(self.warnings)
            lines.append(f"{n} warning{'s' if n != 1 else ''}:")
            lines.extend(f"  - {w}" for w in self.warnings)
        return "\n".join(lines)


# --------------------------------------------------------------------------- checks


def _show(value: object) -> str:
    if isinstance(value, pd.Period):
        text = str(value)
    elif isinstance(value, pd.Timestamp | dt.date):
        text = value.strftime("%Y-%m-%d") if not pd.isna(value) else ""
    else:
        text = str(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return repr(text)


def _absent(value: object) -> bool:
    try:
        return bool(pd.isna(value)) or value == ""
    except (TypeError, ValueError):
        return False


class _TableCheck:
    """Checks for one table; accumulates problems and the typed columns."""

    def __init__(self, table: Table, raw: pd.DataFrame) -> None:
        self.table = table
        self.raw = raw
        self.n = len(raw)
        self.name = table.name
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.typed: dict[str, pd.Series] = {}
        self.bad: dict[str, np.ndarray] = {}
        self.dropped = np.zeros(self.n, dtype=bool)
        self.columns = {str(c): i for i, c in enumerate(raw.columns)}
        self.id_columns = tuple(c for c in table.id_columns if c in self.columns)

    # -- example rows -----------------------------------------------------------------

    def _key_value(self, col: str, pos: int) -> object:
        if col in self.typed and not pd.isna(self.typed[col].iat[pos]):
            return self.typed[col].iat[pos]
        return self.raw.iat[pos, self.columns[col]]

    def labels(self, positions: Iterable[int], value_col: str | None = None) -> tuple[str, ...]:
        out = []
        for pos in positions:
            pos = int(pos)
            parts, gap = [], False
            for col in self.id_columns:
                value = self._key_value(col, pos)
                if _absent(value):
                    gap = True
                    parts.append(f"{col}=<empty>")
                else:
                    parts.append(f"{col}={_show(value)}")
            text = ", ".join(parts)
            shown = ""
            if value_col is not None:
                shown = f"value {_show(self.raw.iat[pos, self.columns[value_col]])}"
            if gap or not self.table.key:
                inner = "; ".join(t for t in (text, shown) if t)
                text = f"row {pos + 1} ({inner})" if inner else f"row {pos + 1}"
            elif shown:
                text += f" ({shown})"
            out.append(text)
        return tuple(out)

    def add(
        self,
        column: str | None,
        rule: str,
        expected: str,
        mask: np.ndarray,
        *,
        value_col: str | None = None,
        warn: bool = False,
        positions: np.ndarray | None = None,
    ) -> int:
        """Record a problem for the rows in ``mask``; ``value_col`` shows the raw value."""
        count = int(np.count_nonzero(mask))
        if not count:
            return 0
        if value_col is not None:
            col = self.table.column(value_col)
            if col.pii or col.protected:
                value_col = None  # never echo personal data into logs or reports
        first = np.flatnonzero(mask)[:MAX_EXAMPLES] if positions is None else positions
        problem = Problem(self.name, column, rule, expected, count, self.labels(first, value_col))
        (self.warnings if warn else self.problems).append(problem)
        return count

    # -- rules ------------------------------------------------------------------------

    def check_columns(self) -> None:
        dup = pd.Index([str(c) for c in self.raw.columns])
        for name in dup[dup.duplicated()].unique():
            self.problems.append(
                Problem(self.name, name, "duplicate_column", "each column name once")
            )
        lowered = {c.strip().lower(): c for c in self.columns}
        for name in self.table.required_columns:
            if name in self.columns:
                continue
            near = lowered.get(name)
            hint = f" (found {near!r}: rename it to {name!r})" if near else ""
            self.problems.append(
                Problem(self.name, name, "required_column", f"a column named {name!r}{hint}")
            )

    def coerce(self) -> None:
        for col in self.table.columns:
            if col.name not in self.columns:
                continue
            raw = self.raw.iloc[:, self.columns[col.name]]
            if isinstance(raw, pd.DataFrame):  # duplicate column names, reported already
                continue
            typed, bad = coerce_series(raw.reset_index(drop=True), col.dtype)
            self.typed[col.name] = typed
            self.bad[col.name] = bad.to_numpy()
            expected = col.expected + (OUT_OF_RANGE_HINT if col.dtype == "date" else "")
            self.add(col.name, "type", expected, self.bad[col.name], value_col=col.name)

    def is_missing(self, name: str) -> np.ndarray:
        """Empty cells (not unparseable ones, which are reported as type problems)."""
        return self.typed[name].isna().to_numpy() & ~self.bad[name]

    def check_values(self) -> None:
        for col in self.table.columns:
            if col.name not in self.typed:
                continue
            values = self.typed[col.name]
            if not col.nullable:
                self.add(
                    col.name,
                    "not_null",
                    f"{col.expected} in every row (this column may not be empty)",
                    self.is_missing(col.name),
                )
            if col.allowed is not None:
                self._check_allowed(col, values)
            if col.low is not None or col.high is not None:
                self._check_bounds(col, values)

    def _check_allowed(self, col: Column, values: pd.Series) -> None:
        outside = (values.notna() & ~values.isin(col.allowed)).to_numpy()
        if not outside.any():
            return
        expected = col.expected
        if not (col.pii or col.protected):
            found = pd.unique(values[outside])[:MAX_EXAMPLES]
            expected += "; found " + ", ".join(_show(v) for v in found)
        self.add(col.name, "allowed_values", expected, outside, value_col=col.name)

    def _check_bounds(self, col: Column, values: pd.Series) -> None:
        num = values.to_numpy(dtype="float64", na_value=np.nan)
        with np.errstate(invalid="ignore"):
            low_bad = np.zeros(len(num), dtype=bool)
            if col.low is not None:
                low_bad = num <= col.low if col.low_open else num < col.low
            high_bad = num > col.high if col.high is not None else np.zeros(len(num), bool)
        if col.low == 0 and col.high is None:
            rule, words = ("positive", "> 0") if col.low_open else ("not_negative", ">= 0")
        else:
            rule = "range"
            words = f"between {col.low:g} and {col.high:g}"
            if col.low is None:
                words = f"<= {col.high:g}"
            elif col.high is None:
                words = f"{'>' if col.low_open else '>='} {col.low:g}"
        self.add(col.name, rule, f"a number {words}", low_bad | high_bad, value_col=col.name)

    def check_key(self) -> None:
        key = self.table.key
        if not key or any(c not in self.typed for c in key):
            return
        complete = np.ones(self.n, dtype=bool)
        combined = np.zeros(self.n, dtype=np.int64)
        for col in key:
            # Factorised integer codes make duplicate detection fast on millions of rows.
            codes, uniques = pd.factorize(self.typed[col])
            complete &= codes >= 0
            combined = combined * (len(uniques) + 1) + (codes + 1)
        codes = pd.Series(np.where(complete, combined, -1 - np.arange(self.n)))
        dup = codes.duplicated(keep=False).to_numpy()
        if not dup.any():
            return
        firsts = np.flatnonzero(dup & ~codes.duplicated(keep="first").to_numpy())
        self.add(
            None,
            "duplicate_key",
            f"one row per {', '.join(key)}",
            dup,
            positions=firsts[:MAX_EXAMPLES],
        )

    def check_order(self, early: str, late: str, *, warn: bool = False) -> None:
        if early not in self.typed or late not in self.typed:
            return
        before = (self.typed[late] < self.typed[early]).fillna(False).to_numpy()
        expected = f"{late} on or after {early}"
        if not warn:
            self.add(late, "date_order", expected, before)
            return
        ignored = expected + "; these rows will be ignored"
        if self.add(late, "date_order", ignored, before, warn=True):
            self.dropped |= before


def _check_rms(check: _TableCheck) -> None:
    if "exit_date" in check.typed and "exit_type" in check.typed:
        date_set = check.typed["exit_date"].notna().to_numpy() | check.bad["exit_date"]
        type_set = check.typed["exit_type"].notna().to_numpy() | check.bad["exit_type"]
        check.add(
            "exit_type",
            "exit_pair",
            "exit_type set whenever exit_date is set (voluntary or involuntary)",
            date_set & ~type_set,
        )
        check.add(
            "exit_date",
            "exit_pair",
            "exit_date set whenever exit_type is set (empty while employed)",
            type_set & ~date_set,
        )
    check.check_order("hire_date", "exit_date")


def _check_campaigns(check: _TableCheck) -> None:
    present = [c for c in ("client_id", "rm_id") if c in check.typed]
    if not present:
        check.problems.append(
            Problem(
                check.name,
                "client_id",
                "required_column",
                "a column named 'client_id' or 'rm_id' (or both)",
            )
        )
        return
    n_set = sum(check.typed[c].notna().to_numpy().astype(int) for c in present)
    check.add(
        "client_id" if "client_id" in present else "rm_id",
        "campaign_target",
        "exactly one of client_id and rm_id in each row",
        n_set != 1,
    )


_CROSS_CHECKS: dict[str, Callable[[_TableCheck], None]] = {
    "rms": _check_rms,
    "clients": lambda c: c.check_order("open_date", "closed_date"),
    "holdings": lambda c: c.check_order("start_date", "end_date"),
    # Not a contract rule, so only a warning: an assignment that ends before it starts
    # owned nothing, and dropping it changes no ownership.
    "assignments": lambda c: c.check_order("start_date", "end_date", warn=True),
    "campaigns": _check_campaigns,
}


def _check_foreign_keys(checks: Mapping[str, _TableCheck]) -> None:
    for check in checks.values():
        for fk in check.table.foreign_keys:
            ref = checks.get(fk.ref_table)
            if ref is None or fk.column not in check.typed or fk.ref_column not in ref.typed:
                continue  # a missing table or column is reported on its own
            values = check.typed[fk.column]
            known = ref.typed[fk.ref_column].dropna().unique()
            orphan = (values.notna() & ~values.isin(known)).to_numpy()
            expected = f"a {fk.ref_column} that exists in {fk.ref_table}"
            if fk.strict:
                check.add(fk.column, "foreign_key", expected, orphan, value_col=fk.column)
            elif check.add(
                fk.column,
                "foreign_key",
                expected + "; these rows will be ignored",
                orphan,
                value_col=fk.column,
                warn=True,
            ):
                check.dropped |= orphan


def _typed_frame(check: _TableCheck) -> pd.DataFrame:
    cols = {c.name: check.typed[c.name] for c in check.table.columns if c.name in check.typed}
    frame = pd.DataFrame(cols, index=pd.RangeIndex(check.n))
    if check.dropped.any():
        frame = frame.loc[~check.dropped].reset_index(drop=True)
    return frame


def validate_tables(
    raw: Mapping[str, pd.DataFrame], *, source: str = "", today: dt.date | None = None
) -> ValidationReport:
    """Check raw tables against every contract rule and type them when they pass.

    Parameters
    ----------
    raw : mapping of str to pandas.DataFrame
        Frames by table name, as read by :func:`attrition.io.read_tables` (or typed
        frames, which pass through unchanged). Names that are not contract tables are
        ignored; a ``None`` value counts as an absent table.
    source : str, optional
        Where the tables came from, for messages (mask passwords before passing it).
    today : date, optional
        The load date (default: today, from the clock). Observations dated after it
        are problems.

    Returns
    -------
    ValidationReport
        All problems and warnings at once; ``report.data`` holds the typed
        :class:`~attrition.contracts.BankData` when ``report.ok``. Rows of optional
        tables whose (non-strict) foreign key is unknown are warned about and dropped
        from ``report.data``.
    """
    load_date = dt.date.today() if today is None else today
    checks: dict[str, _TableCheck] = {}
    problems: list[Problem] = []
    missing: list[str] = []
    row_counts: dict[str, int] = {}
    for name, table in TABLES.items():
        frame = raw.get(name)
        if frame is None:
            if table.required:
                problems.append(
                    Problem(
                        name,
                        None,
                        "required_table",
                        f"a table named {name!r} ({name}.csv or {name}.parquet in a "
                        "directory, or an SQL table)",
                    )
                )
            else:
                missing.append(name)
            continue
        check = _TableCheck(table, frame)
        checks[name] = check
        row_counts[name] = check.n
        if check.n == 0:
            (check.problems if table.required else check.warnings).append(
                Problem(
                    name,
                    None,
                    "empty_table",
                    "at least one row"
                    + ("" if table.required else " (its feature groups will have no data)"),
                )
            )
        check.check_columns()
        check.coerce()
        check.check_values()
        check.check_key()
        if name in _CROSS_CHECKS:
            _CROSS_CHECKS[name](check)
        check_timeline(check, load_date)
    _check_foreign_keys(checks)
    check_table_ends(checks)
    problems += [p for c in checks.values() for p in c.problems]
    found_warnings = tuple(w for c in checks.values() for w in c.warnings)
    data = None
    if not problems:
        data = BankData({n: _typed_frame(c) for n, c in checks.items()}, source=source)
    return ValidationReport(
        problems=tuple(problems),
        warnings=found_warnings,
        row_counts=row_counts,
        missing_tables=tuple(missing),
        missing_feature_groups=tuple(g for t in missing for g in TABLES[t].feature_groups),
        data=data,
        source=source,
    )


# --------------------------------------------------------------------------- flat


def validate_flat(
    frame: pd.DataFrame, spec: FlatSpec, *, table_name: str = "flat", outcomes: bool = True
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check and type a flat table (one row per entity) for flat-table mode.

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw table, e.g. from :func:`attrition.io.read_flat_table`.
    spec : FlatSpec
        Which columns are the id, the duration, the event and the features.
        ``spec.features=None`` means every other column.
    table_name : str, optional
        Name used in problems.
    outcomes : bool, default True
        False for rows to score: the duration and event columns are neither needed
        nor read.

    Returns
    -------
    typed : pandas.DataFrame
        Columns id (``string``), duration (``float64``), event (``int64``, 0/1; both
        left out when ``outcomes`` is False), then
        the features: ``spec.categorical`` ones and non-numeric text ones as
        ``string``, the rest ``float64`` (bools become 0/1). Missing feature values are
        kept. Index is a fresh ``RangeIndex``. Empty when there are problems.
    problems : list of Problem
        Every broken rule (missing column, duplicate or empty id, non-numeric or
        non-positive duration, event not 0/1 or bool, text in a feature column that
        must hold numbers: see :mod:`attrition.checks.flat`); empty when the table is
        usable.
    """
    raw = frame.reset_index(drop=True)
    columns = [Column(spec.id, "str")]
    if outcomes:
        columns += [Column(spec.duration, "float"), Column(spec.event, "bool")]
    reserved = {spec.id, spec.duration, spec.event}
    features = (
        tuple(str(c) for c in raw.columns if str(c) not in reserved)
        if spec.features is None
        else tuple(spec.features)
    )
    named = dict.fromkeys([*features, *spec.categorical])
    columns += numeric_columns((n for n in named if n not in reserved), spec.categorical)
    table = Table(table_name, tuple(columns), required=True, key=(spec.id,))
    check = _TableCheck(table, raw)
    if check.n == 0:
        check.problems.append(Problem(table_name, None, "empty_table", "at least one row"))
    check.check_columns()
    for name in named:
        if name not in check.columns:
            check.problems.append(
                Problem(
                    table_name,
                    name,
                    "required_column",
                    f"a feature column named {name!r} (named in the flat-table config)",
                )
            )
    if spec.id in check.columns:
        typed, bad = coerce_series(raw[spec.id], "str")
        check.typed[spec.id], check.bad[spec.id] = typed, bad.to_numpy()
        check.add(spec.id, "not_null", "an id in every row", check.is_missing(spec.id))
        check.check_key()
    if outcomes and spec.duration in check.columns:
        typed, bad = coerce_series(raw[spec.duration], "float")
        check.typed[spec.duration], check.bad[spec.duration] = typed, bad.to_numpy()
        check.add(
            spec.duration,
            "type",
            "a number (duration > 0)",
            bad.to_numpy(),
            value_col=spec.duration,
        )
        check.add(
            spec.duration, "not_null", "a duration in every row", check.is_missing(spec.duration)
        )
        check.add(
            spec.duration,
            "positive",
            "a duration > 0 (drop same-day exits or add a small offset)",
            (typed <= 0).fillna(False).to_numpy(),
            value_col=spec.duration,
        )
    if outcomes and spec.event in check.columns:
        typed, bad = coerce_series(raw[spec.event], "bool")
        check.typed[spec.event], check.bad[spec.event] = typed, bad.to_numpy()
        check.add(
            spec.event,
            "allowed_values",
            "0/1, true/false or a bool",
            bad.to_numpy(),
            value_col=spec.event,
        )
        check.add(spec.event, "not_null", "0 or 1 in every row", check.is_missing(spec.event))
    present = [n for n in named if n not in reserved and n in check.columns]
    check_flat_numbers(check, raw, present, categorical=spec.categorical, numeric=spec.numeric)
    if check.problems:
        return pd.DataFrame(), check.problems
    out = {spec.id: check.typed[spec.id]}
    if outcomes:
        out[spec.duration] = check.typed[spec.duration]
        out[spec.event] = check.typed[spec.event].astype("int64")
    for name in named:
        if name in reserved:
            continue
        out[name] = _flat_feature(raw[name], categorical=name in spec.categorical)
    return pd.DataFrame(out), []


def _flat_feature(values: pd.Series, *, categorical: bool) -> pd.Series:
    """A feature as float64 when every present value is numeric, else as text."""
    if not categorical:
        if pd.api.types.is_bool_dtype(values.dtype):
            return values.astype("float64")
        num, bad = parse_numbers(plain_values(values))
        if not bad.any():
            return num.astype("float64")
    text, _ = coerce_str(plain_values(values))
    return text
