"""Event labels from the data contract's definitions: durations and censoring per as-of.

Client asset outflow (defaults): reference = mean ``aum`` over the 3 month-ends ending
at the as-of month; the event is the first later month-end whose ``aum`` is at most
``(1 - drop) x reference``, or the month of ``closed_date``, whichever comes first.
Clients whose reference is under ``min_aum`` are not in the population. Censored at
the last month with data. A client whose as-of month-end ``aum`` is already at or
below the threshold has moved the money out by the as-of date: it is not at risk and
not in the population (otherwise the next month would count as a new "event" that has
in fact already happened).

RM resignation: ``exit_type = voluntary`` at ``exit_date``; an involuntary exit
censors at its month and is reported in ``event_type`` as a competing risk.

Durations are whole months after the as-of month (1 = the month right after it).
Several as-of dates stack into one frame (landmarking) indexed by (id, as_of).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from attrition.contracts import OUTFLOW_DROP, OUTFLOW_MIN_AUM, OUTFLOW_REFERENCE_MONTHS, BankData
from attrition.errors import ConfigError

MonthLike = str | pd.Period
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class OutflowDefinition:
    """The client outflow event; every field is configurable (see module docstring)."""

    drop: float = OUTFLOW_DROP
    reference_months: int = OUTFLOW_REFERENCE_MONTHS
    min_aum: float = OUTFLOW_MIN_AUM

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.drop < 1:
            problems.append(f"drop must be in (0, 1), got {self.drop!r}")
        if self.reference_months < 1:
            problems.append(f"reference_months must be >= 1, got {self.reference_months!r}")
        if self.min_aum < 0:
            problems.append(f"min_aum must be >= 0, got {self.min_aum!r}")
        if problems:
            raise ConfigError("Invalid outflow definition: " + "; ".join(problems))


def as_months(as_of: MonthLike | Iterable[MonthLike]) -> list[pd.Period]:
    """Normalise one or many as-of months to a sorted list of unique ``Period[M]``."""
    items = [as_of] if isinstance(as_of, str | pd.Period) else list(as_of)
    if not items:
        raise ConfigError("as_of must name at least one month (YYYY-MM)")
    out = []
    for item in items:
        if isinstance(item, pd.Period):
            out.append(item.asfreq("M"))
            continue
        if not (isinstance(item, str) and _MONTH.fullmatch(item.strip())):
            raise ConfigError(f"as_of {item!r} is not a month; expected YYYY-MM")
        out.append(pd.Period(item.strip(), freq="M"))
    return sorted(set(out))


def _month_end(p: pd.Period) -> pd.Timestamp:
    return p.to_timestamp(how="end").normalize()


def _outflow_at_risk(
    t: int,
    month_ord: np.ndarray,
    codes: np.ndarray,
    aum: np.ndarray,
    n: int,
    opened: np.ndarray,
    closed_ord: np.ndarray,
    d: OutflowDefinition,
) -> tuple[np.ndarray, np.ndarray]:
    """Who can still have an outflow after month ordinal ``t`` (the population test of
    the module docstring, without the need for data after ``t``): a mask over the
    client codes and their reference AUM."""
    ref_rows = (month_ord <= t) & (month_ord > t - d.reference_months)
    ref_sum = np.bincount(codes[ref_rows], weights=aum[ref_rows], minlength=n)
    ref_cnt = np.bincount(codes[ref_rows], minlength=n)
    now = month_ord == t
    has_now = np.zeros(n, bool)
    has_now[codes[now]] = True
    aum_now = np.full(n, np.nan)
    aum_now[codes[now]] = aum[now]
    with np.errstate(invalid="ignore", divide="ignore"):
        ref = ref_sum / ref_cnt
    month_end = np.datetime64(_month_end(pd.Period(ordinal=t, freq="M")))
    at_risk = (
        has_now
        & (ref >= d.min_aum)
        # already at or below the threshold at the as-of: the outflow has happened
        & (aum_now > (1 - d.drop) * ref)
        & (opened <= month_end)
        & (closed_ord > t)
    )
    return at_risk, ref


def _client_arrays(data: BankData):  # type: ignore[no-untyped-def]
    bal = data["monthly_balances"]
    clients = data["clients"].set_index("client_id")
    month_ord = bal["month"].array.asi8
    codes, uniq = pd.factorize(bal["client_id"], sort=False)
    aum = bal["aum"].to_numpy(dtype=float)
    closed = (
        clients["closed_date"]
        if "closed_date" in clients
        else pd.Series(pd.NaT, index=clients.index)
    )
    closed_ord = pd.PeriodIndex(closed.reindex(uniq).to_numpy(), freq="M").asi8.astype(float)
    closed_ord[pd.isna(closed.reindex(uniq)).to_numpy()] = np.inf
    opened = clients["open_date"].reindex(uniq).to_numpy()
    return bal, month_ord, codes, uniq, aum, closed_ord, opened


def outflow_population(
    data: BankData, as_of: MonthLike, definition: OutflowDefinition | None = None
) -> pd.Index:
    """The clients who can still have an outflow after ``as_of``: the population a
    client model is trained on and the only clients worth scoring (a client under
    ``min_aum``, or already below the outflow threshold, has no money left to keep).

    Unlike :func:`client_outflow_labels` it needs no data after ``as_of``.
    """
    d = definition or OutflowDefinition()
    (p,) = as_months(as_of)
    bal, month_ord, codes, uniq, aum, closed_ord, opened = _client_arrays(data)
    at_risk, _ = _outflow_at_risk(
        p.ordinal, month_ord, codes, aum, len(uniq), opened, closed_ord, d
    )
    return pd.Index(uniq[at_risk], name="client_id").astype(bal["client_id"].dtype)


def client_outflow_labels(
    data: BankData,
    as_of: MonthLike | Iterable[MonthLike],
    definition: OutflowDefinition | None = None,
) -> pd.DataFrame:
    """Outflow labels for every client in the population at each as-of month.

    Returns
    -------
    DataFrame indexed by (``client_id``, ``as_of``) with ``duration`` (int months > 0),
    ``event`` (bool), ``reference_aum`` (float) and ``event_aum`` (the AUM that
    left: reference minus the AUM at the event month-end; 0 when censored). Clients
    with no month of data after the as-of are dropped (nothing to observe).
    """
    d = definition or OutflowDefinition()
    bal, month_ord, codes, uniq, aum, closed_ord, opened = _client_arrays(data)
    n = len(uniq)
    last_ord = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last_ord, codes, month_ord)

    frames = []
    for p in as_months(as_of):
        t = p.ordinal
        at_risk, ref = _outflow_at_risk(t, month_ord, codes, aum, n, opened, closed_ord, d)
        in_pop = at_risk & (last_ord > t)
        later = (month_ord > t) & in_pop[codes]
        hit = later & (aum <= (1 - d.drop) * ref[codes])
        first_hit = np.full(n, np.inf)
        np.minimum.at(first_hit, codes[hit], month_ord[hit].astype(float))
        event_ord = np.minimum(first_hit, closed_ord)
        event = np.isfinite(event_ord) & in_pop
        end_ord = np.where(event, event_ord, last_ord)
        idx = np.flatnonzero(in_pop)
        aum_at = pd.Series(aum[hit], index=pd.MultiIndex.from_arrays([codes[hit], month_ord[hit]]))
        aum_at = aum_at[~aum_at.index.duplicated()]
        ev_aum = np.zeros(len(idx))
        ev_sel = event[idx] & np.isfinite(first_hit[idx]) & (first_hit[idx] <= closed_ord[idx])
        if ev_sel.any():
            keys = pd.MultiIndex.from_arrays([idx[ev_sel], first_hit[idx][ev_sel].astype(np.int64)])
            ev_aum[ev_sel] = ref[idx][ev_sel] - aum_at.reindex(keys).to_numpy()
        closed_first = event[idx] & ~ev_sel
        ev_aum[closed_first] = ref[idx][closed_first]
        frames.append(
            pd.DataFrame(
                {
                    "client_id": uniq[idx],
                    "as_of": pd.PeriodIndex.from_ordinals(np.full(len(idx), t), freq="M"),
                    "duration": (end_ord[idx] - t).astype(np.int64),
                    "event": event[idx],
                    "reference_aum": ref[idx],
                    "event_aum": np.maximum(ev_aum, 0.0),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out["client_id"] = out["client_id"].astype(bal["client_id"].dtype)
    return out.set_index(["client_id", "as_of"]).sort_index()


def rm_resignation_labels(
    data: BankData, as_of: MonthLike | Iterable[MonthLike], *, last_month: MonthLike | None = None
) -> pd.DataFrame:
    """Resignation labels for every RM employed at the end of each as-of month.

    Parameters
    ----------
    last_month : month the data runs to (default: the last month of ``monthly_balances``
        or ``rm_monthly``, whichever is later); RMs still employed are censored there.

    Returns
    -------
    DataFrame indexed by (``rm_id``, ``as_of``) with ``duration`` (int months > 0),
    ``event`` (bool, voluntary exit) and ``event_type`` (``"voluntary"``,
    ``"involuntary"`` or missing when still employed).
    """
    rms = data["rms"]
    if last_month is None:
        ends = [data.last_month]
        if "rm_monthly" in data:
            ends.append(data["rm_monthly"]["month"].max())
        last = max(ends).ordinal
    else:
        last = pd.Period(last_month, freq="M").ordinal
    hire = rms["hire_date"].to_numpy()
    exit_date = rms["exit_date"]
    exit_ord = pd.PeriodIndex(exit_date.to_numpy(), freq="M").asi8.astype(float)
    exit_ord[exit_date.isna().to_numpy()] = np.inf
    etype = rms["exit_type"].astype(object).where(rms["exit_type"].notna(), None).to_numpy()
    frames = []
    for p in as_months(as_of):
        t = p.ordinal
        if t >= last:
            continue
        in_pop = (hire <= np.datetime64(_month_end(p))) & (exit_ord > t)
        idx = np.flatnonzero(in_pop)
        exited = np.isfinite(exit_ord[idx]) & (exit_ord[idx] <= last)
        end = np.where(exited, exit_ord[idx], last)
        frames.append(
            pd.DataFrame(
                {
                    "rm_id": rms["rm_id"].to_numpy()[idx],
                    "as_of": pd.PeriodIndex.from_ordinals(np.full(len(idx), t), freq="M"),
                    "duration": (end - t).astype(np.int64),
                    "event": exited & (etype[idx] == "voluntary"),
                    "event_type": np.where(exited, etype[idx], None),
                }
            )
        )
    if not frames:
        end = pd.Period(ordinal=last, freq="M")
        raise ConfigError(
            f"every as-of month is at or after the end of the data ({end}); "
            "choose earlier as-of months"
        )
    out = pd.concat(frames, ignore_index=True)
    out["rm_id"] = out["rm_id"].astype(rms["rm_id"].dtype)
    out["event_type"] = out["event_type"].astype(pd.StringDtype())
    return out.set_index(["rm_id", "as_of"]).sort_index()
