"""A slow reference implementation of the feature catalogue, for equality tests.

Written independently of the feature engine (``attrition.features``): only from the
data contract (``shared/DATA_CONTRACT.md``: what a month-end row means, open/close
and hire/exit dates, assignments with start/end dates), the catalogue
(``clients.yaml`` / ``rms.yaml``: source, primitive, window, peers) and the
docstrings that define the primitives (``primitives.py``) and the panel sources (the
builders registered in ``attrition.features``); never their bodies. No engine code is
imported or copied: no panels, no month grid, no vectorisation.

Everything is plain Python over one entity at a time. For an as-of month ``M`` and
an entity, the entity's rows dated on or before the last day of ``M`` are gathered
and the value is computed with loops; static dates after that day (a ``closed_date``,
``exit_date`` or ``end_date``) count as not yet happened. It is meant for a small bank
(a few hundred clients); it is slow on purpose, so that it is easy to read and check.

Conventions (the contract's and the catalogue's):

- Months are integers (``year * 12 + month - 1``); a window of ``w`` months at ``M``
  covers ``M - w + 1 .. M``. Missing months are skipped; a window with no data gives
  NaN. A month without a balance row means "no data", not zero; a month without a
  transaction, contact or ended holding is a real zero.
- Population: clients opened by the month-end, not closed by it, with a balance row
  that month; RMs hired by the month-end and not exited by it.
- Owner of a client at a month-end: the assignment that started on or before it and
  had not ended by it (the later start wins an overlap); without an ``assignments``
  table, ``clients.rm_id`` from ``open_date``.
- An RM's book at a month-end: the active clients (opened, not closed) it owns.
- Peers (``peer_ratio``): the entities of the same group in the population at the
  as-of (the segment's clients, the branch's employed RMs).
- "Months since" looks back over all the data, not from some first month of a grid.

Entry point: :func:`reference_features` (index = entity ids, columns = the names).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

NAN = float("nan")
CAPACITY = 300.0  # clients an RM can serve (rm_workload, workload: divide_by 300)
PAYDAY_DAYS = 5  # payday outflow: external outflow 0-5 days after a payroll credit

Row = dict[str, Any]
Series = Callable[[int], float]  # month -> value (NaN = no data)


# --- months and plain values ---------------------------------------------------------


def month_of(value: Any) -> int:
    """Month number of a date, a Period or a ``YYYY-MM`` string."""
    if isinstance(value, str):
        value = pd.Period(value, freq="M")
    return value.year * 12 + value.month - 1


@functools.cache
def month_end(month: int) -> dt.date:
    """Last day of month number ``month``."""
    year, m0 = divmod(month, 12)
    return dt.date(year, m0 + 1, calendar.monthrange(year, m0 + 1)[1])


def isnan(x: float) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _plain(value: Any) -> Any:
    """A table cell as a plain Python value (None for a missing cell)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Period):
        return month_of(value)
    if isinstance(value, pd.Timestamp):
        return value.date()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _rows(frame: pd.DataFrame) -> list[Row]:
    return [{k: _plain(v) for k, v in rec.items()} for rec in frame.to_dict("records")]


def _num(value: Any) -> float:
    return NAN if value is None else float(value)


def _div(num: float, den: float) -> float:
    if isnan(num) or isnan(den) or den == 0:
        return NAN
    return num / den


# --- primitives, on a month -> value function --------------------------------------


def window(month: int, w: int) -> range:
    return range(month - w + 1, month + 1)


def present(f: Series, months: Iterable[int]) -> list[tuple[int, float]]:
    out = []
    for k in months:
        v = f(k)
        if not isnan(v):
            out.append((k, v))
    return out


def p_sum(f: Series, month: int, w: int) -> float:
    vals = [v for _, v in present(f, window(month, w))]
    return sum(vals) if vals else NAN


def p_mean(f: Series, month: int, w: int) -> float:
    vals = [v for _, v in present(f, window(month, w))]
    return sum(vals) / len(vals) if vals else NAN


def p_change(f: Series, month: int, w: int, smooth: int = 1) -> float:
    now = p_mean(f, month, smooth)
    before = p_mean(f, month - w, smooth)
    if isnan(now) or isnan(before) or before <= 0:
        return NAN
    return now / before - 1


def p_diff(f: Series, month: int, w: int) -> float:
    return f(month) - f(month - w)  # NaN propagates


def p_slope(f: Series, month: int, w: int, normalise: bool = False) -> float:
    pts = present(f, window(month, w))
    if len(pts) < 2:
        return NAN
    xm = sum(x for x, _ in pts) / len(pts)
    ym = sum(y for _, y in pts) / len(pts)
    sxy = sum((x - xm) * (y - ym) for x, y in pts)
    sxx = sum((x - xm) ** 2 for x, _ in pts)
    slope = sxy / sxx
    if normalise:
        return _div(slope, sum(abs(y) for _, y in pts) / len(pts))
    return slope


def p_volatility(f: Series, month: int, w: int) -> float:
    """Std (ddof=1) of the month-on-month changes made in each of the ``w`` months.

    The change made in month ``k`` is ``x[k] / x[k - 1] - 1``, so 6 months of swings
    read the month-end before the window too, as ``change`` over 6 months does.
    """
    changes = []
    for k in window(month, w):
        prev, cur = f(k - 1), f(k)
        if not isnan(prev) and not isnan(cur) and prev > 0:
            changes.append(cur / prev - 1)
    return statistics.stdev(changes) if len(changes) >= 2 else NAN


def p_drawdown(f: Series, month: int, w: int) -> float:
    vals = [v for _, v in present(f, window(month, w))]
    if not vals:
        return NAN
    return _div(f(month), max(vals)) - 1


def p_recency(f: Series, month: int, first: int) -> float:
    for k in range(month, first - 1, -1):
        v = f(k)
        if not isnan(v) and v > 0:
            return float(month - k)
    return NAN


def p_compound(f: Series, month: int, w: int) -> float:
    if not present(f, window(month, w)):
        return NAN
    index = 1.0
    for k in window(month, w):
        r = f(k)
        index *= 1 + (0.0 if isnan(r) else r)
    return index - 1


def p_index_drawdown(f: Series, month: int, w: int) -> float:
    if not present(f, window(month, w)):
        return NAN
    index, peak = 1.0, 1.0  # the level before the window's first return counts
    for k in window(month, w):
        r = f(k)
        index *= 1 + (0.0 if isnan(r) else r)
        peak = max(peak, index)
    return index / peak - 1


def p_rolling_ratio(f: Series, g: Series, month: int, w: int) -> float:
    return _div(p_sum(f, month, w), p_sum(g, month, w))


def p_ratio_to(f: Series, g: Series, month: int, w: int = 1) -> float:
    return _div(p_sum(f, month, w), g(month))


def p_peer_ratio(own: float, peer_values: list[float]) -> float:
    vals = [v for v in peer_values if not isnan(v)]
    if isnan(own) or not vals:
        return NAN
    return _div(own, statistics.median(vals))


# --- the bank, rows grouped by entity ------------------------------------------------


class Bank:
    """The contract tables as plain rows, grouped by the entity they belong to."""

    def __init__(self, data: Mapping[str, pd.DataFrame]) -> None:
        self.has = set(data)
        self.clients = {r["client_id"]: r for r in _rows(data["clients"])}
        self.rms = {r["rm_id"]: r for r in _rows(data["rms"])}
        self.balances: dict[str, dict[int, Row]] = defaultdict(dict)
        for r in _rows(data["monthly_balances"]):
            self.balances[r["client_id"]][r["month"]] = r
        self.tx: dict[str, list[Row]] = defaultdict(list)
        self.holdings: dict[str, list[Row]] = defaultdict(list)
        self.client_contacts: dict[str, list[Row]] = defaultdict(list)
        self.rm_contacts: dict[str, list[Row]] = defaultdict(list)
        self.assignments: dict[str, list[Row]] = defaultdict(list)
        self.hr: dict[str, dict[int, Row]] = defaultdict(dict)
        self.returns: dict[tuple[str, int], float] = {}
        for name, by, key in (
            ("transactions", self.tx, "client_id"),
            ("holdings", self.holdings, "client_id"),
            ("interactions", self.client_contacts, "client_id"),
            ("interactions", self.rm_contacts, "rm_id"),
            ("assignments", self.assignments, "client_id"),
        ):
            if name in data:
                for r in _rows(data[name]):
                    if "date" in r:
                        r["month"] = month_of(r["date"])
                    by[r[key]].append(r)
        if "rm_monthly" in data:
            for r in _rows(data["rm_monthly"]):
                self.hr[r["rm_id"]][r["month"]] = r
        if "product_returns" in data:
            for r in _rows(data["product_returns"]):
                self.returns[(r["product_id"], r["month"])] = _num(r["return"])
        # the earliest month of any dated row: "months since" looks back no further
        months = [k for rows in self.balances.values() for k in rows]
        months += [k for rows in self.hr.values() for k in rows]
        months += [t["month"] for rows in self.tx.values() for t in rows]
        months += [month_of(a["start_date"]) for rows in self.assignments.values() for a in rows]
        self.first_month = min(months)
        self._memo: dict[Any, Any] = {}

    def memo(self, key: Any, make: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    # --- who is where, when

    def client_active(self, c: str, month: int) -> bool:
        """Opened by the month-end and not closed by it."""
        row, end = self.clients[c], month_end(month)
        closed = row.get("closed_date")
        return row["open_date"] <= end and not (closed is not None and closed <= end)

    def rm_employed(self, r: str, month: int) -> bool:
        row, end = self.rms[r], month_end(month)
        return row["hire_date"] <= end and not (
            row["exit_date"] is not None and row["exit_date"] <= end
        )

    def owner(self, c: str, month: int) -> str | None:
        """The RM owning client ``c`` at the month-end (None = nobody)."""
        return self.memo(("owner", c, month), lambda: self._owner(c, month))

    def _owner(self, c: str, month: int) -> str | None:
        end = month_end(month)
        if "assignments" not in self.has:
            row = self.clients[c]
            return row["rm_id"] if row["open_date"] <= end else None
        in_force = [
            a
            for a in self.assignments.get(c, [])
            if a["start_date"] <= end and (a["end_date"] is None or a["end_date"] > end)
        ]
        if not in_force:
            return None
        latest = max(a["start_date"] for a in in_force)  # the later start wins an overlap
        return [a for a in in_force if a["start_date"] == latest][-1]["rm_id"]

    def books(self, month: int) -> dict[str, list[str]]:
        """Each RM's book at the month-end: the active clients it owns."""

        def make() -> dict[str, list[str]]:
            out: dict[str, list[str]] = defaultdict(list)
            for c in self.clients:
                if self.client_active(c, month):
                    r = self.owner(c, month)
                    if r is not None:
                        out[r].append(c)
            return out

        return self.memo(("books", month), make)

    def population(self, entity: str, month: int) -> list[str]:
        return self.memo(("population", entity, month), lambda: self._population(entity, month))

    def _population(self, entity: str, month: int) -> list[str]:
        if entity == "client":
            return [
                c
                for c in self.clients
                if self.client_active(c, month) and month in self.balances.get(c, {})
            ]
        return [r for r in self.rms if self.rm_employed(r, month)]

    # --- client monthly values (month -> value, NaN = no data)

    def aum(self, c: str, month: int) -> float:
        row = self.balances.get(c, {}).get(month)
        return NAN if row is None else _num(row["aum"])

    def share(self, c: str, month: int, component: str) -> float:
        row = self.balances.get(c, {}).get(month)
        if row is None:
            return NAN
        return _div(_num(row.get(component)), _num(row["aum"]))

    def aum_known(self, c: str, month: int) -> float:
        """Last known AUM at or before the month; 0 from the month the client closed."""
        closed = self.clients[c].get("closed_date")
        if closed is not None and month_of(closed) <= month:
            return 0.0
        rows = self.balances.get(c, {})
        for k in range(month, self.first_month - 1, -1):
            if k in rows:
                return _num(rows[k]["aum"])
        return NAN

    def flow(self, c: str, month: int, keep: Callable[[Row], bool]) -> float:
        """Sum of the client's transaction amounts in the month that ``keep`` selects."""
        end = month_end(month)
        return sum(
            t["amount"]
            for t in self.tx.get(c, [])
            if t["date"] <= end and t["month"] == month and keep(t)
        )

    def payday_out(self, c: str, month: int) -> float:
        """External outflow in the month made 0-5 days after a payroll credit."""
        end = month_end(month)
        credits = [t["date"] for t in self.tx.get(c, []) if is_payroll_in(t) and t["date"] <= end]
        total = 0.0
        for t in self.tx.get(c, []):
            if t["date"] > end or t["month"] != month or not is_external_out(t):
                continue
            if any(0 <= (t["date"] - p).days <= PAYDAY_DAYS for p in credits):
                total += t["amount"]
        return total

    def held(self, c: str, month: int) -> list[Row]:
        """Holdings started on or before the month-end and not ended by it."""
        end = month_end(month)
        return [
            h
            for h in self.holdings.get(c, [])
            if h["start_date"] <= end and (h["end_date"] is None or h["end_date"] > end)
        ]

    def holdings_ended(self, c: str, month: int) -> float:
        end = month_end(month)
        return float(
            sum(
                1
                for h in self.holdings.get(c, [])
                if h["end_date"] is not None
                and h["end_date"] <= end
                and month_of(h["end_date"]) == month
            )
        )

    def maturing(self, c: str, month: int, k: int) -> list[Row]:
        """Held products whose maturity date falls in the next ``k`` months."""
        return [
            h
            for h in self.held(c, month)
            if h.get("maturity_date") is not None
            and month < month_of(h["maturity_date"]) <= month + k
        ]

    def portfolio_return(self, c: str, month: int) -> float:
        """Amount-weighted return of the held products that report one that month."""
        num = den = 0.0
        for h in self.held(c, month):
            r = self.returns.get((h["product_id"], month))
            if r is not None and not isnan(r):
                num += h["amount"] * r
                den += h["amount"]
        return num / den if den > 0 else NAN

    def contacts(self, c: str, month: int) -> float:
        end = month_end(month)
        return float(
            sum(
                1
                for i in self.client_contacts.get(c, [])
                if i["date"] <= end and i["month"] == month
            )
        )

    def reassigned(self, c: str, month: int) -> float:
        """1 when the owner at the previous month-end no longer owns the client."""
        before = self.owner(c, month - 1)
        return float(before is not None and self.owner(c, month) != before)

    # --- RM monthly values

    def book_size(self, r: str, month: int) -> float:
        return float(len(self.books(month).get(r, [])))

    def book_aum(self, r: str, month: int) -> float:
        vals = [self.aum_known(c, month) for c in self.books(month).get(r, [])]
        return sum(v for v in vals if not isnan(v))

    def book_outflow_3m(self, r: str, month: int) -> float:
        """AUM the clients of the book 3 months ago lost since (drops only) over theirs."""
        lost = base = 0.0
        for c in self.books(month - 3).get(r, []):
            before, now = self.aum_known(c, month - 3), self.aum_known(c, month)
            if isnan(before):
                continue
            base += before
            lost += max(0.0, before - (0.0 if isnan(now) else now))
        return _div(lost, base)

    def book_lost_share_6m(self, r: str, month: int) -> float:
        """Share of the book 6 months ago that closed or lost half its AUM since.

        A client without a positive AUM then (no balance row yet, or 0) has no AUM
        to halve: it stays in the share, lost only if it closed.
        """
        owned = self.books(month - 6).get(r, [])
        if not owned:
            return NAN
        lost = 0
        for c in owned:
            before, now = self.aum_known(c, month - 6), self.aum_known(c, month)
            if not self.client_active(c, month) or (
                not isnan(before) and before > 0 and not isnan(now) and now <= 0.5 * before
            ):
                lost += 1
        return lost / len(owned)

    def hr_value(self, r: str, month: int, column: str) -> float:
        row = self.hr.get(r, {}).get(month)
        if row is None or row.get(column) is None:
            return NAN
        return float(row[column])

    def engagement(self, r: str, month: int) -> float:
        """The latest survey score, carried forward up to 12 months."""
        for k in range(month, month - 13, -1):
            v = self.hr_value(r, k, "engagement_score")
            if not isnan(v):
                return v
        return NAN

    def peer_exits(self, r: str, month: int) -> float:
        """Voluntary exits of the other RMs of the branch in the month."""
        end, branch = month_end(month), self.rms[r]["branch_id"]
        return float(
            sum(
                1
                for o, row in self.rms.items()
                if o != r
                and row["branch_id"] == branch
                and row["exit_type"] == "voluntary"
                and row["exit_date"] is not None
                and row["exit_date"] <= end
                and month_of(row["exit_date"]) == month
            )
        )

    def rm_contact_count(self, r: str, month: int) -> float:
        end = month_end(month)
        return float(
            sum(1 for i in self.rm_contacts.get(r, []) if i["date"] <= end and i["month"] == month)
        )


def is_external_out(t: Row) -> bool:
    return t["direction"] == "out" and bool(t["external"])


def is_external_in(t: Row) -> bool:
    return t["direction"] == "in" and bool(t["external"])


def is_payroll_in(t: Row) -> bool:
    return t["kind"] == "payroll" and t["direction"] == "in"


def is_redemption(t: Row) -> bool:
    return t["kind"] == "redemption"


def months_since(date: dt.date | None, month: int) -> float:
    """Whole months from the date's month to ``month`` (NaN before it or without one)."""
    if date is None or month_of(date) > month:
        return NAN
    return float(month - month_of(date))


# --- client features -----------------------------------------------------------------


def _client_rm_departed(b: Bank, c: str, m: int) -> float:
    """1 when the current RM has left, or an RM who owned the client in the last 6
    months (at any day of them) left within those 6 months."""
    end, start = month_end(m), month_end(m - 6)  # the window is (start, end]
    current = b.owner(c, m)
    if current is not None:
        exit_ = b.rms[current]["exit_date"]
        if exit_ is not None and exit_ <= end:
            return 1.0
    if "assignments" in b.has:
        owners = {
            a["rm_id"]
            for a in b.assignments.get(c, [])
            if a["start_date"] <= end and (a["end_date"] is None or a["end_date"] > start)
        }
    else:
        owners = {current} - {None}
    for r in owners:
        exit_ = b.rms[r]["exit_date"] if r in b.rms else None
        if exit_ is not None and start < exit_ <= end:
            return 1.0
    return 0.0


def _owner_value(b: Bank, c: str, m: int, f: Callable[[str, int], float]) -> float:
    r = b.owner(c, m)
    return NAN if r is None or r not in b.rms else f(r, m)


def _client_features(rm_risk: pd.Series | None) -> dict[str, Callable[[Bank, str, int], Any]]:
    def ext_out(b: Bank, c: str) -> Series:
        return lambda k: b.flow(c, k, is_external_out)

    def ext_in(b: Bank, c: str) -> Series:
        return lambda k: b.flow(c, k, is_external_in)

    def payroll(b: Bank, c: str) -> Series:
        return lambda k: b.flow(c, k, is_payroll_in)

    def aum(b: Bank, c: str) -> Series:
        return lambda k: b.aum(c, k)

    def ret(b: Bank, c: str) -> Series:
        return lambda k: b.portfolio_return(c, k)

    def owner_risk(b: Bank, c: str, m: int) -> float:
        r = b.owner(c, m)
        if rm_risk is None or r is None or r not in rm_risk.index:
            return NAN
        return float(rm_risk[r])

    def maturing_amount(b: Bank, c: str, m: int, k: int) -> float:
        return sum(h["amount"] for h in b.maturing(c, m, k))

    def fund_share(b: Bank, c: str, m: int) -> float:
        held = b.held(c, m)
        total = sum(h["amount"] for h in held)
        return _div(sum(h["amount"] for h in held if h["product_type"] == "fund"), total)

    def aum_vs_segment(b: Bank, c: str, m: int) -> float:
        seg = b.clients[c]["segment"]
        if seg is None:
            return NAN
        peers = [b.aum(o, m) for o in b.population("client", m) if b.clients[o]["segment"] == seg]
        return p_peer_ratio(b.aum(c, m), peers)

    def profile(col: str) -> Callable[[Bank, str, int], float]:
        return lambda b, c, m: _num(b.clients[c].get(col))

    return {
        # profile
        "tenure_months": lambda b, c, m: months_since(b.clients[c]["open_date"], m),
        "age": lambda b, c, m: (
            NAN
            if b.clients[c].get("birth_year") is None
            else float(m // 12 - b.clients[c]["birth_year"])
        ),
        "is_payroll": profile("is_payroll"),
        "risk_level": profile("risk_level"),
        "segment": lambda b, c, m: b.clients[c]["segment"],
        # balances
        "aum": lambda b, c, m: b.aum(c, m),
        "aum_change_1m": lambda b, c, m: p_change(aum(b, c), m, 1),
        "aum_change_3m": lambda b, c, m: p_change(aum(b, c), m, 3),
        "aum_change_6m": lambda b, c, m: p_change(aum(b, c), m, 6),
        "aum_change_12m": lambda b, c, m: p_change(aum(b, c), m, 12),
        "aum_trend_6m": lambda b, c, m: p_slope(aum(b, c), m, 6, normalise=True),
        "aum_volatility_6m": lambda b, c, m: p_volatility(aum(b, c), m, 6),
        "aum_drawdown_12m": lambda b, c, m: p_drawdown(aum(b, c), m, 12),
        "aum_vs_segment": aum_vs_segment,
        "deposits_share": lambda b, c, m: b.share(c, m, "deposits"),
        "wealth_share": lambda b, c, m: b.share(c, m, "wealth"),
        "funds_share": lambda b, c, m: b.share(c, m, "funds"),
        "insurance_share": lambda b, c, m: b.share(c, m, "insurance"),
        "deposits_share_change_3m": lambda b, c, m: p_diff(
            lambda k: b.share(c, k, "deposits"), m, 3
        ),
        # transactions
        "external_out_3m": lambda b, c, m: p_sum(ext_out(b, c), m, 3),
        "external_in_3m": lambda b, c, m: p_sum(ext_in(b, c), m, 3),
        "external_out_share_1m": lambda b, c, m: p_ratio_to(ext_out(b, c), aum(b, c), m, 1),
        "external_out_share_3m": lambda b, c, m: p_ratio_to(ext_out(b, c), aum(b, c), m, 3),
        "net_external_flow_3m": lambda b, c, m: p_ratio_to(
            lambda k: ext_in(b, c)(k) - ext_out(b, c)(k), aum(b, c), m, 3
        ),
        "redemptions_share_3m": lambda b, c, m: p_ratio_to(
            lambda k: b.flow(c, k, is_redemption), aum(b, c), m, 3
        ),
        # payday
        "payroll_in_3m": lambda b, c, m: p_sum(payroll(b, c), m, 3),
        "payroll_change_3m": lambda b, c, m: p_change(payroll(b, c), m, 3, smooth=3),
        "months_since_payroll": lambda b, c, m: p_recency(payroll(b, c), m, b.first_month),
        "payday_outflow_ratio_3m": lambda b, c, m: p_rolling_ratio(
            lambda k: b.payday_out(c, k), payroll(b, c), m, 3
        ),
        # holdings
        "product_count": lambda b, c, m: float(len(b.held(c, m))),
        "fund_share": fund_share,
        "holdings_ended_3m": lambda b, c, m: p_sum(lambda k: b.holdings_ended(c, k), m, 3),
        # maturities
        "maturing_share_1m": lambda b, c, m: _div(maturing_amount(b, c, m, 1), b.aum(c, m)),
        "maturing_share_3m": lambda b, c, m: _div(maturing_amount(b, c, m, 3), b.aum(c, m)),
        "maturing_count_1m": lambda b, c, m: float(len(b.maturing(c, m, 1))),
        "maturing_count_3m": lambda b, c, m: float(len(b.maturing(c, m, 3))),
        # nav
        "nav_return_3m": lambda b, c, m: p_compound(ret(b, c), m, 3),
        "nav_drawdown_6m": lambda b, c, m: p_index_drawdown(ret(b, c), m, 6),
        # contacts
        "days_since_contact": lambda b, c, m: _days_since_contact(b, c, m),
        "contacts_3m": lambda b, c, m: p_sum(lambda k: b.contacts(c, k), m, 3),
        "contacts_6m": lambda b, c, m: p_sum(lambda k: b.contacts(c, k), m, 6),
        # the client's RM
        "rm_tenure_months": lambda b, c, m: _owner_value(
            b, c, m, lambda r, k: months_since(b.rms[r]["hire_date"], k)
        ),
        "rm_workload": lambda b, c, m: _owner_value(b, c, m, b.book_size) / CAPACITY,
        "rm_departed": _client_rm_departed,
        "rm_book_outflow_3m": lambda b, c, m: _owner_value(b, c, m, b.book_outflow_3m),
        "rm_flight_risk": owner_risk,
        # reassignment
        "months_since_reassignment": lambda b, c, m: p_recency(
            lambda k: b.reassigned(c, k), m, b.first_month + 1
        ),
        "reassignments_12m": lambda b, c, m: p_sum(lambda k: b.reassigned(c, k), m, 12),
    }


def _days_since_contact(b: Bank, c: str, m: int) -> float:
    end = month_end(m)
    dates = [i["date"] for i in b.client_contacts.get(c, []) if i["date"] <= end]
    return float((end - max(dates)).days) if dates else NAN


# --- RM features ---------------------------------------------------------------------


def _rm_features() -> dict[str, Callable[[Bank, str, int], Any]]:
    def hr(b: Bank, r: str, col: str) -> Series:
        return lambda k: b.hr_value(r, k, col)

    def book_aum(b: Bank, r: str) -> Series:
        return lambda k: b.book_aum(r, k)

    def bonus_vs_branch(b: Bank, r: str, m: int) -> float:
        branch = b.rms[r]["branch_id"]
        if branch is None:
            return NAN
        peers = [
            p_mean(hr(b, o, "bonus"), m, 12)
            for o in b.population("rm", m)
            if b.rms[o]["branch_id"] == branch
        ]
        return p_peer_ratio(p_mean(hr(b, r, "bonus"), m, 12), peers)

    def months_since_promotion(b: Bank, r: str, m: int) -> float:
        for k in range(m, b.first_month - 1, -1):
            if b.hr_value(r, k, "promoted") > 0:
                return float(m - k)
        return months_since(b.rms[r]["hire_date"], m)

    return {
        "tenure_months": lambda b, r, m: months_since(b.rms[r]["hire_date"], m),
        # book
        "book_size": lambda b, r, m: b.book_size(r, m),
        "workload": lambda b, r, m: b.book_size(r, m) / CAPACITY,
        "book_aum": lambda b, r, m: b.book_aum(r, m),
        "book_aum_change_3m": lambda b, r, m: p_change(book_aum(b, r), m, 3),
        "book_aum_change_6m": lambda b, r, m: p_change(book_aum(b, r), m, 6),
        "book_outflow_3m": lambda b, r, m: b.book_outflow_3m(r, m),
        "book_lost_share_6m": lambda b, r, m: b.book_lost_share_6m(r, m),
        # peers
        "peer_exits_6m": lambda b, r, m: p_sum(lambda k: b.peer_exits(r, k), m, 6),
        # contacts
        "contacts_per_client_3m": lambda b, r, m: p_ratio_to(
            lambda k: b.rm_contact_count(r, k), lambda k: b.book_size(r, k), m, 3
        ),
        # hr
        "target_attainment_3m": lambda b, r, m: p_mean(hr(b, r, "target_attainment"), m, 3),
        "target_attainment_trend_6m": lambda b, r, m: p_slope(hr(b, r, "target_attainment"), m, 6),
        "bonus_vs_branch": bonus_vs_branch,
        "overtime_hours_3m": lambda b, r, m: p_mean(hr(b, r, "overtime_hours"), m, 3),
        "overtime_trend_6m": lambda b, r, m: p_slope(hr(b, r, "overtime_hours"), m, 6),
        "engagement_score": lambda b, r, m: b.engagement(r, m),
        "engagement_change_12m": lambda b, r, m: p_diff(lambda k: b.engagement(r, k), m, 12),
        "leave_days_1m": lambda b, r, m: p_sum(hr(b, r, "leave_days"), m, 1),
        "leave_days_6m": lambda b, r, m: p_sum(hr(b, r, "leave_days"), m, 6),
        "leave_days_trend_6m": lambda b, r, m: p_slope(hr(b, r, "leave_days"), m, 6),
        "training_hours_6m": lambda b, r, m: p_sum(hr(b, r, "training_hours"), m, 6),
        "manager_changes_6m": lambda b, r, m: p_sum(hr(b, r, "manager_changed"), m, 6),
        "months_since_promotion": months_since_promotion,
    }


CLIENT_FEATURES = tuple(_client_features(None))
RM_FEATURES = tuple(_rm_features())
CATEGORY_FEATURES = frozenset({("client", "segment")})


def reference_features(
    data: Mapping[str, pd.DataFrame] | Bank,
    entity: str,
    as_of: str | pd.Period,
    names: Iterable[str],
    *,
    rm_risk: pd.Series | None = None,
) -> pd.DataFrame:
    """Features ``names`` of every ``entity`` in the population at ``as_of``.

    Parameters
    ----------
    data : BankData (or any mapping of contract tables), or a :class:`Bank` built
        from one (to reuse its grouping across calls).
    entity : ``"client"`` or ``"rm"``.
    as_of : the as-of month (``"YYYY-MM"`` or a monthly Period).
    names : feature names of the shipped catalogue (see ``CLIENT_FEATURES``,
        ``RM_FEATURES``).
    rm_risk : flight risk per RM id, for the client feature ``rm_flight_risk``.

    Returns
    -------
    pandas.DataFrame indexed by the entity id (``client_id`` / ``rm_id``), one column
    per name: floats (NaN = not computable), strings for categories.
    """
    bank = data if isinstance(data, Bank) else Bank(data)
    m = month_of(pd.Period(as_of, freq="M"))
    table = _client_features(rm_risk) if entity == "client" else _rm_features()
    names = list(names)
    unknown = [n for n in names if n not in table]
    if unknown:
        raise KeyError(f"no reference for {entity} features {unknown}")
    ids = bank.population(entity, m)
    columns = {n: [table[n](bank, e, m) for e in ids] for n in names}
    index = pd.Index(ids, dtype="string", name="client_id" if entity == "client" else "rm_id")
    return pd.DataFrame(columns, index=index)
