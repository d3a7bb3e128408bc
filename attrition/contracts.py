"""The data contract as data: every table, column, type, allowed value and key.

The loader (:mod:`attrition.io`), the validator (:mod:`attrition.validation`), the
synthetic bank (:mod:`attrition.synthetic`) and the feature engine all read these
definitions, so the contract is written down exactly once. See
``shared/DATA_CONTRACT.md`` for the prose version.

Typed frames use these pandas dtypes:

========  ======================================================
``str``   ``string`` (IDs stay strings: ``"000123"`` keeps its zeros)
``date``  ``datetime64[ns]``, naive, normalised to midnight
``month`` ``period[M]``
``float`` ``float64``
``int``   ``Int64`` (nullable)
``bool``  ``boolean`` (nullable)
========  ======================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from attrition.coverage import MonthCoverage, check_table_end, month_coverage
from attrition.errors import ConfigError

DType = Literal["str", "date", "month", "float", "int", "bool"]

PANDAS_DTYPES: dict[str, object] = {
    "str": pd.StringDtype(),
    "date": "datetime64[ns]",
    "month": pd.PeriodDtype("M"),
    "float": "float64",
    "int": "Int64",
    "bool": "boolean",
}

EXIT_TYPES = ("voluntary", "involuntary")
TRANSACTION_DIRECTIONS = ("in", "out")
TRANSACTION_KINDS = ("payroll", "transfer", "purchase", "redemption", "maturity", "fee", "other")
PRODUCT_TYPES = ("deposit", "wealth", "fund", "insurance", "other")
CHANNELS = ("visit", "call", "wechat", "sms", "email", "app", "other")
CAMPAIGN_GROUPS = ("treatment", "control")

# Event definitions (defaults; configurable through LabelSpec).
OUTFLOW_DROP = 0.5
OUTFLOW_REFERENCE_MONTHS = 3
OUTFLOW_MIN_AUM = 10_000.0
DEFAULT_HORIZONS = (1, 3, 6, 12)

CLIENT = "client"
RM = "rm"


@dataclass(frozen=True)
class Column:
    """One column of a contract table.

    ``optional`` columns may be absent from the table; ``nullable`` columns may hold
    empty cells. ``low``/``high`` bound numeric values (``low_open`` makes the lower
    bound strict, as for ``amount > 0``).
    """

    name: str
    dtype: DType
    optional: bool = False
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    low: float | None = None
    low_open: bool = False
    high: float | None = None
    pii: bool = False
    protected: bool = False

    @property
    def expected(self) -> str:
        """What a valid value looks like, in plain words (used in error messages)."""
        words = {
            "str": "text",
            "date": "a date (YYYY-MM-DD)",
            "month": "a month (YYYY-MM)",
            "float": "a number",
            "int": "a whole number",
            "bool": "true/false or 0/1",
        }[self.dtype]
        if self.allowed is not None:
            words = "one of " + ", ".join(repr(a) for a in self.allowed)
        return words


@dataclass(frozen=True)
class ForeignKey:
    """``column`` must name an existing ``ref_table.ref_column`` (empty allowed if nullable).

    ``strict`` keys are contract rules (a violation is an error); the others only
    warn that the rows will be ignored, since the contract does not require them.
    """

    column: str
    ref_table: str
    ref_column: str
    strict: bool = True


@dataclass(frozen=True)
class Table:
    """One contract table: its columns, unique key and foreign keys."""

    name: str
    columns: tuple[Column, ...]
    required: bool
    key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    feature_groups: tuple[str, ...] = ()
    description: str = ""

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not c.optional)

    @property
    def id_columns(self) -> tuple[str, ...]:
        """Columns that identify a row in messages: the key, else the leading id columns."""
        if self.key:
            return self.key
        return tuple(c.name for c in self.columns if c.name.endswith("_id"))[:2]


def _c(name: str, dtype: DType, **kw: object) -> Column:
    return Column(name, dtype, **kw)  # type: ignore[arg-type]


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "branches",
            (
                _c("branch_id", "str"),
                _c("name", "str"),
                _c("region", "str", optional=True, nullable=True),
                _c("head_email", "str", optional=True, nullable=True, pii=True),
            ),
            required=True,
            key=("branch_id",),
            description="Branches; head_email receives the branch report.",
        ),
        Table(
            "rms",
            (
                _c("rm_id", "str"),
                _c("branch_id", "str"),
                _c("hire_date", "date"),
                _c("exit_date", "date", nullable=True),
                _c("exit_type", "str", nullable=True, allowed=EXIT_TYPES),
                _c("grade", "str", optional=True, nullable=True),
                _c("manager_id", "str", optional=True, nullable=True),
                _c("name", "str", optional=True, nullable=True, pii=True),
                _c("email", "str", optional=True, nullable=True, pii=True),
                _c("birth_year", "int", optional=True, nullable=True, protected=True),
                _c("gender", "str", optional=True, nullable=True, protected=True),
            ),
            required=True,
            key=("rm_id",),
            foreign_keys=(ForeignKey("branch_id", "branches", "branch_id"),),
            description="Relationship managers; a voluntary exit is the resignation event.",
        ),
        Table(
            "clients",
            (
                _c("client_id", "str"),
                _c("branch_id", "str"),
                _c("rm_id", "str", nullable=True),
                _c("segment", "str"),
                _c("open_date", "date"),
                _c("closed_date", "date", optional=True, nullable=True),
                _c("is_payroll", "bool", optional=True, nullable=True),
                _c("risk_level", "int", optional=True, nullable=True, low=1, high=5),
                _c("birth_year", "int", optional=True, nullable=True),
                _c("name", "str", optional=True, nullable=True, pii=True),
            ),
            required=True,
            key=("client_id",),
            foreign_keys=(
                ForeignKey("branch_id", "branches", "branch_id"),
                ForeignKey("rm_id", "rms", "rm_id"),
            ),
            description="Clients; closing the relationship counts as an outflow event.",
        ),
        Table(
            "monthly_balances",
            (
                _c("client_id", "str"),
                _c("month", "month"),
                _c("aum", "float", low=0),
                _c("deposits", "float", optional=True, nullable=True, low=0),
                _c("wealth", "float", optional=True, nullable=True, low=0),
                _c("funds", "float", optional=True, nullable=True, low=0),
                _c("insurance", "float", optional=True, nullable=True, low=0),
            ),
            required=True,
            key=("client_id", "month"),
            foreign_keys=(ForeignKey("client_id", "clients", "client_id"),),
            feature_groups=("balances",),
            description="One row per client and month-end; a missing month means no data.",
        ),
        Table(
            "transactions",
            (
                _c("client_id", "str"),
                _c("date", "date"),
                _c("amount", "float", low=0, low_open=True),
                _c("direction", "str", allowed=TRANSACTION_DIRECTIONS),
                _c("kind", "str", allowed=TRANSACTION_KINDS),
                _c("external", "bool"),
            ),
            required=False,
            foreign_keys=(ForeignKey("client_id", "clients", "client_id", strict=False),),
            feature_groups=("transactions", "payday"),
        ),
        Table(
            "holdings",
            (
                _c("client_id", "str"),
                _c("product_id", "str"),
                _c("product_type", "str", allowed=PRODUCT_TYPES),
                _c("amount", "float", low=0),
                _c("start_date", "date"),
                _c("end_date", "date", nullable=True),
                _c("maturity_date", "date", optional=True, nullable=True),
            ),
            required=False,
            foreign_keys=(ForeignKey("client_id", "clients", "client_id", strict=False),),
            feature_groups=("holdings", "maturities"),
        ),
        Table(
            "product_returns",
            (
                _c("product_id", "str"),
                _c("month", "month"),
                _c("return", "float"),
            ),
            required=False,
            key=("product_id", "month"),
            feature_groups=("nav",),
        ),
        Table(
            "interactions",
            (
                _c("client_id", "str"),
                _c("rm_id", "str"),
                _c("date", "date"),
                _c("channel", "str", allowed=CHANNELS),
            ),
            required=False,
            foreign_keys=(
                ForeignKey("client_id", "clients", "client_id", strict=False),
                ForeignKey("rm_id", "rms", "rm_id", strict=False),
            ),
            feature_groups=("contacts",),
        ),
        Table(
            "assignments",
            (
                _c("client_id", "str"),
                _c("rm_id", "str"),
                _c("start_date", "date"),
                _c("end_date", "date", nullable=True),
            ),
            required=False,
            foreign_keys=(
                ForeignKey("client_id", "clients", "client_id", strict=False),
                ForeignKey("rm_id", "rms", "rm_id", strict=False),
            ),
            feature_groups=("reassignment",),
            description="Who owned the client when; without it clients.rm_id owns since open_date.",
        ),
        Table(
            "rm_monthly",
            (
                _c("rm_id", "str"),
                _c("month", "month"),
                _c("target_attainment", "float", nullable=True),
                _c("bonus", "float", nullable=True),
                _c("overtime_hours", "float", nullable=True, low=0),
                _c("leave_days", "float", nullable=True, low=0),
                _c("training_hours", "float", nullable=True, low=0),
                _c("engagement_score", "float", optional=True, nullable=True, low=1, high=5),
                _c("manager_changed", "bool", nullable=True),
                _c("promoted", "bool", nullable=True),
            ),
            required=False,
            key=("rm_id", "month"),
            foreign_keys=(ForeignKey("rm_id", "rms", "rm_id", strict=False),),
            feature_groups=("hr",),
        ),
        Table(
            "campaigns",
            (
                _c("client_id", "str", optional=True, nullable=True),
                _c("rm_id", "str", optional=True, nullable=True),
                _c("campaign_id", "str"),
                _c("date", "date"),
                _c("group", "str", allowed=CAMPAIGN_GROUPS),
                _c("action", "str"),
            ),
            required=False,
            feature_groups=("campaigns",),
        ),
    )
}

# Monthly tables each population's features read at the as-of, besides monthly_balances:
# when one is present, an as-of after its last month is outside that population's range.
ENTITY_MONTHLY_TABLES: dict[str, tuple[str, ...]] = {RM: ("rm_monthly",), CLIENT: ()}

REQUIRED_TABLES = tuple(name for name, t in TABLES.items() if t.required)
OPTIONAL_TABLES = tuple(name for name, t in TABLES.items() if not t.required)


@dataclass(frozen=True)
class FlatSpec:
    """Flat-table mode: which columns of one table are the id, duration and event."""

    id: str
    duration: str
    event: str
    features: tuple[str, ...] | None = None
    categorical: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()  # features that must be numbers (numeric at training)


@dataclass
class BankData(Mapping[str, pd.DataFrame]):
    """A validated source: typed frames by table name; absent optional tables are missing.

    Behaves as a read-only mapping (``data["clients"]``, ``"holdings" in data``).
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    source: str = ""

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self.tables:
            if name in TABLES:
                raise KeyError(
                    f"optional table {name!r} is not in this source ({self.source or 'memory'})"
                )
            raise KeyError(f"{name!r} is not a contract table; known: {', '.join(TABLES)}")
        return self.tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    @property
    def missing_tables(self) -> tuple[str, ...]:
        return tuple(t for t in OPTIONAL_TABLES if t not in self.tables)

    @property
    def missing_feature_groups(self) -> tuple[str, ...]:
        return tuple(g for t in self.missing_tables for g in TABLES[t].feature_groups)

    @property
    def coverage(self) -> MonthCoverage | None:
        """The months ``monthly_balances`` covers properly (None when it is empty).

        This is the data's range: the months a feature can be computed for. See
        :mod:`attrition.coverage` for the rule that leaves out sparse or
        far-off trailing months.
        """
        return month_coverage(self.tables["monthly_balances"]["month"])

    @property
    def first_month(self) -> pd.Period:
        """The first month-end with balance data."""
        return self.tables["monthly_balances"]["month"].min()

    @property
    def last_month(self) -> pd.Period:
        """The last month-end the balance data covers properly: the default as-of.

        The latest month with balance rows, unless the trailing months are far beyond
        the rest (a tiny fraction of a typical month's rows, or after a gap of months;
        :mod:`attrition.coverage`); then the month before them.
        """
        cov = self.coverage
        return self.tables["monthly_balances"]["month"].max() if cov is None else cov.last

    @property
    def latest_month(self) -> pd.Period:
        """The latest month-end with any balance row (``last_month`` or after it)."""
        return self.tables["monthly_balances"]["month"].max()

    def table_coverage(self, name: str) -> MonthCoverage | None:
        """The months a monthly table (``month`` column) covers properly; None when the
        table is absent or empty."""
        frame = self.tables.get(name)
        if frame is None or "month" not in frame.columns:
            return None
        return month_coverage(frame["month"])

    def check_as_of(
        self,
        months: Iterable[pd.Period],
        *,
        what: str = "as-of",
        entities: Iterable[str] = (),
    ) -> None:
        """Refuse months outside the data's range (:attr:`first_month`..:attr:`last_month`).

        For each of ``entities`` (``"client"``, ``"rm"``) the range also ends at the last
        month of every monthly table its features read (:data:`ENTITY_MONTHLY_TABLES`:
        ``rm_monthly`` for RMs) when that table is present and has rows.

        Raises
        ------
        ConfigError
            Naming the months refused and the range, with why trailing months are not
            in it when that is the reason.
        """
        tables = {t for e in entities for t in ENTITY_MONTHLY_TABLES.get(e, ())}
        coverages = {t: self.table_coverage(t) for t in ("monthly_balances", *sorted(tables))}
        check_months(coverages, months, what=what, entities=entities)


def check_months(
    coverages: Mapping[str, MonthCoverage | None],
    months: Iterable[pd.Period],
    *,
    what: str = "as-of",
    entities: Iterable[str] = (),
) -> None:
    """:meth:`BankData.check_as_of` given each monthly table's coverage (None: absent
    or empty), for callers that hold only month counts (a partitioned or Spark run)."""
    cov = coverages.get("monthly_balances")
    if cov is None:
        raise ConfigError("monthly_balances is empty; features need at least one month of balances")
    months = list(months)
    cov.check(months, what=what)
    for entity in dict.fromkeys(entities):
        for table in ENTITY_MONTHLY_TABLES.get(entity, ()):
            check_table_end(coverages.get(table), table, entity, months, cov, what)
