"""Month-by-month simulation of a bank, vectorised over every client and RM.

The loop runs over months only (36 steps by default); within a month every operation
works on whole arrays. Its output is a :class:`Simulation` of integer-coded records
that :mod:`attrition.synthetic.tables` turns into contract tables.

Order of events within month ``t``:

1. hazards for ``t`` from what the tables showed at the end of ``t - 1``
   (:mod:`attrition.synthetic.hazards`);
2. RM exits; orphaned clients go to a replacement hire or to branch colleagues;
3. client outflow events (most assets moved out, or the relationship closed);
4. RM contacts (fewer when the RM is overloaded or disengaged; more before a
   maturity; a randomised maturity-call campaign);
5. money: salaries on paydays, salary moved out after payday, external transfers driven
   by each client's latent dissatisfaction, fund returns, maturities (reinvested or not),
   temporary dips that are not outflows;
6. HR records of the month; latent states move on; new clients open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from attrition.synthetic.config import GeneratorConfig
from attrition.synthetic.hazards import (
    SEGMENT_LOG_AUM,
    SEGMENT_WEIGHTS,
    SEGMENTS,
    ClientObservables,
    RMObservables,
    client_logit,
    expit,
    rm_involuntary_logit,
    rm_logit,
)

# Integer codes used in records; tables.py maps them back to contract values.
DIRECTIONS = ("in", "out")
KINDS = ("payroll", "transfer", "purchase", "redemption", "maturity", "fee", "other")
K_PAYROLL, K_TRANSFER, K_PURCHASE, K_REDEMPTION, K_MATURITY, K_FEE = range(6)
CHANNELS = ("visit", "call", "wechat", "sms", "email", "app", "other")
PT_WEALTH, PT_FUND, PT_INSURANCE = 1, 2, 3  # into contracts.PRODUCT_TYPES
N_FUNDS = 40
WEALTH_TERMS = np.array([3, 6, 12])


@dataclass
class Records:
    """Growing lists of per-month arrays, concatenated once at the end."""

    parts: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, **cols: np.ndarray) -> None:
        n = {len(np.atleast_1d(v)) for v in cols.values()}
        if len(n) != 1:
            raise RuntimeError(f"record columns of unequal length: {n}")
        for k, v in cols.items():
            self.parts.setdefault(k, []).append(np.atleast_1d(v))

    def done(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.parts.items()}


@dataclass
class Simulation:
    """Everything the tables and the truth folder are built from (integer-coded)."""

    config: GeneratorConfig
    month_start: np.ndarray  # datetime64[D], first day of each month
    clients: dict[str, np.ndarray]
    rms: dict[str, np.ndarray]
    n_branches: int
    balances: dict[str, np.ndarray]
    transactions: dict[str, np.ndarray]
    holdings: dict[str, np.ndarray]
    fund_returns: np.ndarray  # [N_FUNDS, months]
    contacts: dict[str, np.ndarray]
    assignments: dict[str, np.ndarray]
    rm_monthly: dict[str, np.ndarray]
    campaigns: dict[str, np.ndarray]
    client_truth: dict[str, np.ndarray]
    rm_truth: dict[str, np.ndarray]


def _month_starts(cfg: GeneratorConfig) -> np.ndarray:
    first = cfg.month_index[0]
    return np.array(
        [np.datetime64(str((first + k).start_time.date()), "D") for k in range(cfg.months + 1)]
    )


def _days_in(month_start: np.ndarray, t: int) -> int:
    return int((month_start[t + 1] - month_start[t]).astype(int))


def _nanmean_rows(a: np.ndarray, empty: float = 0.0) -> np.ndarray:
    """Row means ignoring NaN; rows with no value get ``empty`` (no warning)."""
    n = np.isfinite(a).sum(axis=1)
    total = np.nansum(a, axis=1)
    return np.where(n > 0, total / np.maximum(n, 1), empty)


def _window_mean(a: np.ndarray, rows: np.ndarray, a0: int, a1: int) -> np.ndarray:
    """Mean of months ``a0..a1-1`` (clipped at 0) for the given rows; NaN when empty."""
    a0, a1 = max(0, a0), max(0, a1)
    if a1 <= a0:
        return np.full(len(rows), np.nan)
    return _nanmean_rows(a[rows, a0:a1], empty=np.nan)


def _fund_returns(rng: np.random.Generator, months: int) -> np.ndarray:
    """Monthly fund returns: a market factor with two sell-offs, fund betas, noise."""
    market = rng.normal(0.006, 0.025, months)
    for start in (months // 4, (2 * months) // 3):
        market[start : start + 3] = rng.normal(-0.06, 0.02, min(3, months - start))
    beta = rng.uniform(0.3, 1.4, N_FUNDS)
    return beta[:, None] * market[None, :] + rng.normal(0, 0.012, (N_FUNDS, months))


def simulate(
    cfg: GeneratorConfig, progress: Callable[[int, int], None] | None = None
) -> Simulation:
    """Run the simulation described in the module docstring."""
    rng = np.random.default_rng(cfg.seed)
    s = cfg.strengths
    T = cfg.months
    ms = _month_starts(cfg)
    end_year = int(str(ms[T - 1])[:4])

    # ---------- RMs and branches ----------
    n_rm0 = max(2, round(cfg.n_clients / cfg.clients_per_rm))
    n_branches = max(1, round(n_rm0 / cfg.rms_per_branch))
    R = n_rm0 * 3 + 10  # room for replacement hires
    rm_branch = np.full(R, -1)
    rm_branch[:n_rm0] = (
        np.concatenate([np.arange(n_branches), rng.integers(0, n_branches, n_rm0 - n_branches)])
        if n_rm0 >= n_branches
        else rng.integers(0, n_branches, n_rm0)
    )
    rm_hire = np.full(R, np.datetime64("NaT"), dtype="datetime64[D]")
    tenure0 = rng.gamma(1.6, 30.0, n_rm0).astype(int) + 1  # months before the window
    rm_hire[:n_rm0] = ms[0] - (tenure0 * 30.44).astype(int) - rng.integers(0, 28, n_rm0)
    rm_active = np.zeros(R, bool)
    rm_active[:n_rm0] = True
    rm_exit = np.full(R, np.datetime64("NaT"), dtype="datetime64[D]")
    rm_exit_month = np.full(R, -1)
    rm_exit_type = np.zeros(R, np.int8)  # 0 none, 1 voluntary, 2 involuntary
    rm_grade = np.zeros(R, np.int8)
    rm_grade[:n_rm0] = np.clip(1 + tenure0 // 36 + rng.integers(-1, 2, n_rm0), 1, 5)
    rm_capacity = np.full(R, float(cfg.rm_capacity))
    rm_talent = rng.normal(1.0, 0.12, R)
    rm_base_bonus = rng.lognormal(np.log(9000), 0.25, R)
    rm_g = rng.normal(0, 0.3, R)  # latent disengagement
    rm_birth = end_year - rng.integers(24, 58, R)
    rm_gender = rng.integers(0, 2, R)
    rm_manager = rng.integers(0, 10_000, R)
    n_rm = n_rm0

    eng = np.full((R, T), np.nan)
    leave = np.full((R, T), np.nan)
    bonus = np.full((R, T), np.nan)
    target = np.full((R, T), np.nan)
    overtime = np.full((R, T), np.nan)
    mgr_changed = np.zeros((R, T), bool)
    promoted = np.zeros((R, T), bool)
    vol_exit_t = np.zeros((R, T), bool)
    book_events = np.zeros((R, T))  # clients of the RM with an outflow event that month
    book_size = np.zeros((R, T))

    # ---------- clients ----------
    n0 = cfg.n_clients
    n_new = rng.poisson(cfg.monthly_new_client_rate * n0, T)
    N = n0 + int(n_new.sum())
    seg = rng.choice(len(SEGMENTS), size=N, p=SEGMENT_WEIGHTS)
    birth = end_year - np.clip(
        rng.normal(45, 13, N)
        + np.where(seg == SEGMENTS.index("retiree"), 22, 0)
        - np.where(np.isin(seg, [4, 5, 7]), 15, 0),
        19,
        92,
    ).astype(int)
    age = (end_year - birth).astype(float)
    payroll = rng.random(N) < np.where(seg == SEGMENTS.index("payroll_employee"), 0.95, 0.2)
    payday = np.where(rng.random(N) < 0.5, 10, 20)
    salary = rng.lognormal(np.log(14_000), 0.45, N) * payroll
    risk_level = np.clip(rng.normal(3, 1, N).round(), 1, 5).astype(int)
    branch = rng.integers(0, n_branches, N)
    open_month = np.concatenate([-rng.integers(1, 150, n0), np.repeat(np.arange(T), n_new)])
    open_day = rng.integers(0, 28, N)
    active = np.zeros(N, bool)
    active[:n0] = True
    closed_month = np.full(N, -1)
    closed_day = np.zeros(N, int)

    # portfolio components
    aum0 = np.exp(SEGMENT_LOG_AUM[seg] + rng.normal(0, 0.9, N))
    shares = rng.dirichlet([3, 2, 1.5, 0.8], N)
    has_fund = rng.random(N) < 0.55
    has_wealth = rng.random(N) < 0.6
    has_ins = rng.random(N) < 0.25
    shares[:, 1] *= has_wealth
    shares[:, 2] *= has_fund
    shares[:, 3] *= has_ins
    shares /= shares.sum(1, keepdims=True)
    dep, wea, fun, ins = (aum0[:, None] * shares).T.copy()
    fund_id = rng.integers(0, N_FUNDS, N)
    ins_id = rng.integers(0, 2, N)
    base_x = rng.lognormal(np.log(0.012), 0.5, N)  # habitual external transfer-out ratio
    base_pay = np.where(rng.random(N) < 0.35, rng.uniform(0.5, 0.9, N), rng.uniform(0.0, 0.25, N))
    d = rng.normal(0, 0.35, N)  # latent dissatisfaction
    dip_back = np.zeros(N)  # money that left in a temporary dip and comes back

    # wealth product state
    w_term = rng.choice(WEALTH_TERMS, N)
    w_mat = np.where(has_wealth, rng.integers(0, 12, N) % w_term, -1)  # maturity month index
    w_start_date = np.full(N, np.datetime64("NaT"), dtype="datetime64[D]")
    w_day = rng.integers(0, 28, N)
    idx = np.flatnonzero(has_wealth)
    w_start_date[idx] = (
        np.array(
            [ms[0] + int((m - k) * 30.44) for m, k in zip(w_mat[idx], w_term[idx], strict=True)],
            dtype="datetime64[D]",
        )
        + w_day[idx]
        if len(idx)
        else w_start_date[idx]
    )
    w_amt = wea.copy()
    fund_start = np.where(has_fund, -rng.integers(1, 60, N), 0)
    f_amt = fun.copy()  # fund amount at purchase
    open_date = np.full(N, np.datetime64("NaT"), dtype="datetime64[D]")
    first = ms[0]
    open_date[:n0] = first + (open_month[:n0] * 30.44).astype(int) + open_day[:n0]
    for t in range(T):
        sel = open_month == t
        open_date[sel] = ms[t] + open_day[sel]
    # wealth and funds cannot start before the client opened
    w_start_date = np.maximum(w_start_date, open_date)

    def _fund_start_date(cl: np.ndarray) -> np.ndarray:
        fs = fund_start[cl]
        before = ms[0] + (np.minimum(fs, 0) * 30.44).astype(int)
        inside = ms[np.clip(fs, 0, T)]
        return np.maximum(np.where(fs < 0, before, inside), open_date[cl])

    fret = _fund_returns(rng, T)

    owner = np.full(N, -1)
    unassigned = (rng.random(N) < 0.04) & (seg == 0)

    def _pick_rm(branch_of: np.ndarray) -> np.ndarray:
        """A random active RM of each given branch (any active RM if the branch has none)."""
        out = np.full(len(branch_of), -1)
        act = np.flatnonzero(rm_active[:n_rm])
        if len(act) == 0:
            return out
        for b in np.unique(branch_of):
            pool = act[rm_branch[act] == b]
            if len(pool) == 0:
                pool = act
            sel = np.flatnonzero(branch_of == b)
            out[sel] = rng.choice(pool, len(sel))
        return out

    init = np.flatnonzero(active & ~unassigned)
    # uneven books: some RMs attract far more clients than others
    pull = rng.lognormal(0, 0.45, n_rm)
    for b in range(n_branches):
        pool = np.flatnonzero((rm_branch[:n_rm] == b) & rm_active[:n_rm])
        sel = init[branch[init] == b]
        if len(pool) and len(sel):
            owner[sel] = rng.choice(pool, len(sel), p=pull[pool] / pull[pool].sum())
    branch[owner >= 0] = rm_branch[owner[owner >= 0]]
    last_contact = np.where(active, -rng.integers(1, 8, N), -99)
    rm_left_month = np.full(N, -999)

    x_hist = np.zeros((N, T))
    pay_hist = np.full((N, T), np.nan)
    contacted = np.zeros((N, T), bool)
    ev_month = np.full(N, -1)  # latest outflow month

    recs = {k: Records() for k in ("bal", "txn", "con", "hold", "asg", "camp", "ctruth", "rtruth")}
    asg_start = np.maximum(open_date, rm_hire[np.maximum(owner, 0)])

    def close_assignment(cl: np.ndarray, when: np.ndarray) -> None:
        has_owner = owner[cl] >= 0
        if has_owner.any():
            cl = cl[has_owner]
            # a client can leave before a replacement RM's start date: end no earlier than start
            end = np.maximum(when[has_owner], asg_start[cl])
            recs["asg"].add(client=cl, rm=owner[cl], start=asg_start[cl], end=end)

    def hold(client, ptype, prod, amount, start, end, maturity) -> None:
        n = len(client)
        recs["hold"].add(
            client=client,
            ptype=np.full(n, ptype),
            prod=prod,
            amount=amount,
            start=start,
            end=end,
            maturity=maturity,
        )

    def txn(client, date, amount, direction, kind, external) -> None:
        n = len(client)
        ok = amount > 0.5
        if n and ok.any():
            recs["txn"].add(
                client=client[ok],
                date=date[ok],
                amount=np.round(amount[ok], 2),
                direction=np.full(n, direction)[ok],
                kind=np.full(n, kind)[ok],
                external=np.broadcast_to(external, n)[ok],
            )

    peer_exit_months: list[np.ndarray] = []  # per month, voluntary exits per branch

    for t in range(T):
        if progress:
            progress(t, T)
        ndays = _days_in(ms, t)
        act_idx = np.flatnonzero(active)
        book = np.bincount(owner[act_idx][owner[act_idx] >= 0], minlength=R).astype(float)
        book_size[:, t] = book
        ra = np.flatnonzero(rm_active[:n_rm])

        # ---- 1. hazards for month t from observables up to t-1 ----
        lo = max(0, t - 3)

        ci = act_idx
        if t > 0:
            x3 = _window_mean(x_hist, ci, lo, t)
            run = np.zeros(len(ci))
            alive = np.ones(len(ci), bool)
            for k in range(1, 4):
                if t - k - 1 < 0:
                    break
                up = x_hist[ci, t - k] > x_hist[ci, t - k - 1] * 1.05
                alive &= up
                run += alive
            p3 = _nanmean_rows(pay_hist[ci, lo:t])
            r3 = np.prod(1 + fret[fund_id[ci], lo:t], axis=1) - 1
            fshare = fun[ci] / np.maximum(dep[ci] + wea[ci] + fun[ci] + ins[ci], 1.0)
            contacted_last = contacted[ci, t - 1]
        else:
            x3 = base_x[ci]
            run = np.zeros(len(ci))
            p3 = base_pay[ci] * payroll[ci]
            r3 = np.zeros(len(ci))
            fshare = np.zeros(len(ci))
            contacted_last = np.zeros(len(ci), bool)
        own = owner[ci]
        load = np.where(own >= 0, book[np.maximum(own, 0)] / rm_capacity[np.maximum(own, 0)], 0.0)
        co = ClientObservables(
            segment=seg[ci],
            age=age[ci] - (T - 1 - t) / 12,
            is_payroll=payroll[ci],
            ext_out_level=x3,
            ext_out_run=run,
            payday_ratio=p3,
            maturity_next=(w_mat[ci] == t).astype(float),
            contacted_last=contacted_last.astype(float),
            nav_loss=np.maximum(-r3, 0) * fshare,
            contact_gap=(t - last_contact[ci]).astype(float),
            months_since_rm_left=np.where(
                rm_left_month[ci] > -999, t - rm_left_month[ci] - 1, np.inf
            ),
            rm_overload=load,
        )
        # clients opened this month have no history yet: no event in their first month
        h_client = np.where(open_month[ci] < t, expit(client_logit(co, s)), 0.0)

        # RM observables
        ro_idx = ra

        eng_drop = np.nan_to_num(
            _window_mean(eng, ro_idx, t - 6, t - 3) - _window_mean(eng, ro_idx, t - 3, t)
        )
        leave_rise = np.nan_to_num(
            _window_mean(leave, ro_idx, t - 3, t) - _window_mean(leave, ro_idx, t - 6, t - 3)
        )
        b3 = _window_mean(bonus, ro_idx, t - 3, t)
        tg3 = _window_mean(target, ro_idx, t - 3, t)
        br = rm_branch[ro_idx]
        med = np.full(n_branches, np.nan)
        if t > 0:
            for b in np.unique(br):
                vals = b3[br == b]
                med[b] = np.nanmedian(vals) if np.isfinite(vals).any() else np.nan
        bonus_gap = (
            np.nan_to_num(np.maximum(0, 1 - b3 / med[br])) if t > 0 else np.zeros(len(ro_idx))
        )
        lost6 = book_events[ro_idx, max(0, t - 6) : t].sum(1) / np.maximum(book[ro_idx], 1)
        peer = np.zeros(n_branches)
        for pe in peer_exit_months[-6:]:
            peer += pe
        ten = (ms[t] - rm_hire[ro_idx]).astype(int) / 30.44
        rmo = RMObservables(
            overload=book[ro_idx] / rm_capacity[ro_idx],
            engagement_drop=eng_drop,
            leave_rise=leave_rise,
            bonus_gap=bonus_gap,
            target_shortfall=np.nan_to_num(np.maximum(0, 0.9 - tg3)),
            tenure_months=ten,
            manager_changed_6m=mgr_changed[ro_idx, max(0, t - 6) : t].any(1),
            promoted_12m=promoted[ro_idx, max(0, t - 12) : t].any(1),
            book_lost_share_6m=lost6,
            peer_exits_6m=peer[br] - vol_exit_t[ro_idx, max(0, t - 6) : t].sum(1),
        )
        h_rm = expit(rm_logit(rmo, s))
        h_inv = expit(rm_involuntary_logit(rmo))

        # ---- 2. RM exits ----
        u = rng.random(len(ro_idx))
        vol = u < h_rm
        inv = (~vol) & (u < h_rm + h_inv)
        recs["rtruth"].add(
            rm=ro_idx,
            t=np.full(len(ro_idx), t),
            hazard=h_rm,
            event=vol,
            hazard_involuntary=h_inv,
            event_involuntary=inv,
        )
        leaving = ro_idx[vol | inv]
        exit_day = rng.integers(0, ndays, len(leaving))
        rm_exit[leaving] = ms[t] + exit_day
        rm_exit_month[leaving] = t
        rm_exit_type[leaving] = np.where(vol[vol | inv], 1, 2)
        rm_active[leaving] = False
        vol_exit_t[ro_idx[vol], t] = True
        peer_exit_months.append(np.bincount(rm_branch[ro_idx[vol]], minlength=n_branches))
        for r in leaving:
            orphans = ci[owner[ci] == r]
            when = rm_exit[r]
            # a replacement is hired most of the time; the rest of the book goes to colleagues
            new = -1
            if rng.random() < 0.95 and n_rm < R:
                new = n_rm
                n_rm += 1
                rm_branch[new] = rm_branch[r]
                rm_hire[new] = when + int(rng.integers(0, 20))
                rm_exit[new] = np.datetime64("NaT")
                rm_active[new] = True
                rm_grade[new] = 1
                rm_g[new] = rng.normal(0, 0.3)
            colleagues = np.flatnonzero(rm_active[:n_rm] & (rm_branch[:n_rm] == rm_branch[r]))
            colleagues = colleagues[colleagues != new]
            if len(orphans) == 0:
                continue
            to_new = rng.random(len(orphans)) < (0.5 if len(colleagues) else 1.0)
            if new < 0:
                to_new[:] = False
            target_rm = np.where(to_new, new, -1)
            rest = ~to_new
            if rest.any():
                pool = colleagues if len(colleagues) else np.flatnonzero(rm_active[:n_rm])
                target_rm[rest] = rng.choice(pool, int(rest.sum())) if len(pool) else -1
            when_c = np.where(to_new, rm_hire[new] if new >= 0 else when, when)
            close_assignment(orphans, when_c.astype("datetime64[D]"))
            owner[orphans] = target_rm
            asg_start[orphans] = when_c
            if rm_exit_type[r] == 1:
                rm_left_month[orphans] = t
                d[orphans] += 0.4 * s.rm_departure

        # ---- 3. client outflow events ----
        ev = rng.random(len(ci)) < h_client
        recs["ctruth"].add(client=ci, t=np.full(len(ci), t), hazard=h_client, event=ev)
        evi = ci[ev]
        ev_month[evi] = t
        eo = owner[evi]
        np.add.at(book_events, (eo[eo >= 0], np.full(int((eo >= 0).sum()), t)), 1)
        close = rng.random(len(evi)) < 0.3
        keep = np.where(close, 0.0, rng.uniform(0.03, 0.35, len(evi)))
        ev_day = rng.integers(0, ndays, len(evi))
        ev_date = ms[t] + ev_day
        before = dep[evi] + wea[evi] + fun[evi] + ins[evi]
        # redemptions of funds and early exit of wealth products, then the transfer out
        txn(evi, ev_date, fun[evi] * (1 - keep), 0, K_REDEMPTION, False)
        gone = before * (1 - keep)
        txn(evi, ev_date, gone, 1, K_TRANSFER, True)
        ended_w = evi[(wea[evi] > 0) & (keep < 0.2)]
        if len(ended_w):
            hold(
                ended_w,
                PT_WEALTH,
                w_term[ended_w],
                w_amt[ended_w],
                w_start_date[ended_w],
                ev_date[np.isin(evi, ended_w)],
                w_start_date[ended_w] + (w_term[ended_w] * 30.44).astype(int),
            )
            wea[ended_w] = 0.0
            w_mat[ended_w] = -1
        ended_f = evi[(fun[evi] > 0) & (keep < 0.2)]
        if len(ended_f):
            hold(
                ended_f,
                PT_FUND,
                fund_id[ended_f],
                f_amt[ended_f],
                _fund_start_date(ended_f),
                ev_date[np.isin(evi, ended_f)],
                np.full(len(ended_f), np.datetime64("NaT"), dtype="datetime64[D]"),
            )
            fun[ended_f] = 0.0
            fund_start[ended_f] = 10**6  # marks "no open fund holding"
        ins_end = evi[close & (ins[evi] > 0)]
        if len(ins_end):
            hold(
                ins_end,
                PT_INSURANCE,
                ins_id[ins_end],
                ins[ins_end],
                open_date[ins_end],
                ev_date[np.isin(evi, ins_end)],
                np.full(len(ins_end), np.datetime64("NaT"), dtype="datetime64[D]"),
            )
        dep[evi] *= keep
        wea[evi] *= keep
        fun[evi] *= keep
        ins[evi] *= np.where(close, 0.0, 1.0)
        d[evi] = rng.normal(0, 0.35, len(evi))  # the unhappy money has gone
        closers = evi[close]
        closed_month[closers] = t
        closed_day[closers] = ev_day[close]
        if len(closers):
            close_assignment(closers, (ms[t] + ev_day[close]).astype("datetime64[D]"))
            owner_c = owner[closers]
            owner[closers] = -1
            del owner_c

        # ---- 4. contacts ----
        ci_open = ci[closed_month[ci] != t]
        own = owner[ci_open]
        has = own >= 0
        lo_ = np.where(has, book[np.maximum(own, 0)] / rm_capacity[np.maximum(own, 0)], 1.0)
        p = np.where(has, 0.55 * np.minimum(1.0, 1.0 / np.maximum(lo_, 1e-9)) ** 1.3, 0.03)
        p *= np.where(has, np.exp(-0.5 * np.maximum(rm_g[np.maximum(own, 0)], 0)), 1.0)
        p *= np.where(np.isin(seg[ci_open], [2, 3, 7, 11]), 1.6, 1.0)
        # RMs see maturities coming and call ahead
        p = np.minimum(0.95, p + 0.25 * (w_mat[ci_open] == t + 1) * has)
        con = rng.random(len(ci_open)) < p
        # randomised maturity-call campaign: treatment always gets a call
        due = ci_open[(w_mat[ci_open] == t + 1) & has & (rng.random(len(ci_open)) < 0.1)]
        if len(due):
            treat = rng.random(len(due)) < 0.5
            cday = rng.integers(0, ndays, len(due))
            recs["camp"].add(client=due, date=ms[t] + cday, treat=treat)
            con[np.isin(ci_open, due[treat])] = True
        cc = ci_open[con]
        contacted[cc, t] = True
        last_contact[cc] = t
        ch = rng.choice(len(CHANNELS), len(cc), p=[0.12, 0.4, 0.3, 0.05, 0.03, 0.08, 0.02])
        recs["con"].add(
            client=cc,
            rm=np.maximum(owner[cc], -1),
            date=ms[t] + rng.integers(0, ndays, len(cc)),
            channel=ch,
        )

        # ---- 5. money ----
        live = ci[closed_month[ci] != t]
        aum_prev = dep[live] + wea[live] + fun[live] + ins[live]
        # salaries and the share moved out within days of payday
        pr = live[payroll[live]]
        pdate = ms[t] + (payday[pr] - 1)
        sal = salary[pr] * rng.lognormal(0, 0.05, len(pr))
        txn(pr, pdate, sal, 0, K_PAYROLL, False)
        frac = np.clip(
            base_pay[pr] + 0.25 * np.maximum(d[pr], 0) + rng.normal(0, 0.06, len(pr)), 0, 0.98
        )
        frac *= s.payday_outflow if s.payday_outflow < 1 else 1.0
        moved = sal * frac
        txn(pr, pdate + rng.integers(0, 5, len(pr)), moved, 1, K_TRANSFER, True)
        pay_hist[pr, t] = frac
        dep[pr] += (sal - moved) * 0.5  # half of what stays is spent (not an outflow of assets)
        # external transfers out driven by latent dissatisfaction (the precursor)
        x = np.minimum(
            base_x[live] * np.exp(0.9 * s.precursors * d[live] + rng.normal(0, 0.25, len(live))),
            0.09,
        )
        amt = x * aum_prev
        x_hist[live, t] = x
        txn(live, ms[t] + rng.integers(0, ndays, len(live)), amt, 1, K_TRANSFER, True)
        # habitual transfers in roughly balance habitual transfers out; unhappy clients bring less
        tin = live[rng.random(len(live)) < 0.6]
        tin_amt = (
            aum_prev[np.isin(live, tin)]
            * base_x[tin]
            / 0.6
            * np.exp(-0.3 * np.maximum(d[tin], 0) + rng.normal(0, 0.25, len(tin)) - 0.03)
        )
        txn(tin, ms[t] + rng.integers(0, ndays, len(tin)), tin_amt, 0, K_TRANSFER, True)
        dep[tin] += tin_amt
        take = np.minimum(amt, dep[live])
        dep[live] -= take
        rest = amt - take
        wea[live] = np.maximum(0, wea[live] - rest)
        # market
        fun[live] *= 1 + fret[fund_id[live], t]
        wea[live] *= 1.003
        dep[live] *= 1.001
        fee_c = live[(fun[live] > 0) & (t % 3 == 2)]
        txn(
            fee_c,
            ms[t] + ndays - 1 + np.zeros(len(fee_c), int),
            fun[fee_c] * 0.002,
            1,
            K_FEE,
            False,
        )
        # maturities: reinvest (more likely after a contact, less when unhappy) or not
        mt = live[w_mat[live] == t]
        if len(mt):
            mdate = w_start_date[mt] + (w_term[mt] * 30.44).astype(int)
            mdate = np.clip(mdate, ms[t], ms[t + 1] - 1)
            hold(mt, PT_WEALTH, w_term[mt], w_amt[mt], w_start_date[mt], mdate, mdate)
            txn(mt, mdate, wea[mt], 0, K_MATURITY, False)
            p_re = np.clip(0.62 + 0.3 * contacted[mt, t] - 0.15 * np.maximum(d[mt], 0), 0.05, 0.97)
            re = rng.random(len(mt)) < p_re
            rmt = mt[re]
            txn(rmt, mdate[re], wea[rmt], 1, K_PURCHASE, False)
            nre = mt[~re]
            dep[nre] += wea[nre]
            wea[nre] = 0.0
            w_mat[nre] = -1
            w_term[rmt] = rng.choice(WEALTH_TERMS, len(rmt))
            w_start_date[rmt] = mdate[re]
            w_mat[rmt] = t + w_term[rmt]
            w_amt[rmt] = wea[rmt]
            d[nre] += 0.15
        # temporary dips that are not outflows (a house deposit, a loan to family)
        dep[dip_back > 0] += dip_back[dip_back > 0]
        dip_back[:] = 0.0
        dp = live[rng.random(len(live)) < 0.015 * s.noise_dips]
        tot = dep[dp] + wea[dp] + fun[dp] + ins[dp]
        dip = np.minimum(tot * rng.uniform(0.2, 0.38, len(dp)), dep[dp])
        txn(dp, ms[t] + rng.integers(0, ndays, len(dp)), dip, 1, K_TRANSFER, True)
        dep[dp] -= dip
        dip_back[dp] = dip
        # balances of the month (closed clients show a zero month-end, then stop)
        cl = ci[closed_month[ci] == t]
        bal_c = np.concatenate([live, cl])
        recs["bal"].add(
            client=bal_c,
            t=np.full(len(bal_c), t),
            dep=dep[bal_c],
            wea=wea[bal_c],
            fun=fun[bal_c],
            ins=ins[bal_c],
        )
        active[cl] = False

        # ---- 6. HR records and latent states ----
        ra = np.flatnonzero(rm_active[:n_rm])
        load = book[ra] / rm_capacity[ra]
        tg = np.clip(
            rm_talent[ra] * (1 - 0.18 * np.maximum(load - 1, 0)) + rng.normal(0, 0.12, len(ra)),
            0.2,
            2.0,
        )
        target[ra, t] = tg.round(3)
        bonus[ra, t] = (
            rm_base_bonus[ra]
            * (0.5 + 0.5 * tg)
            * (1 + 0.1 * rm_grade[ra])
            * rng.lognormal(0, 0.08, len(ra))
        ).round(0)
        overtime[ra, t] = np.clip(
            12 + 30 * np.maximum(load - 0.8, 0) + rng.normal(0, 4, len(ra)), 0, None
        ).round(1)
        eng[ra, t] = np.clip(4.1 - 0.8 * rm_g[ra] + rng.normal(0, 0.15, len(ra)), 1, 5).round(2)
        leave[ra, t] = rng.poisson(1.0 + 1.2 * np.maximum(rm_g[ra], 0)).astype(float)
        mc = rng.random(len(ra)) < 0.02
        mgr_changed[ra[mc], t] = True
        rm_manager[ra[mc]] = rng.integers(0, 10_000, int(mc.sum()))
        pm = rng.random(len(ra)) < 0.008 * np.clip(rm_talent[ra], 0.5, 1.5)
        promoted[ra[pm], t] = True
        rm_grade[ra[pm]] = np.minimum(rm_grade[ra[pm]] + 1, 6)
        med_b = np.zeros(n_branches)
        for b in np.unique(rm_branch[ra]):
            med_b[b] = np.median(bonus[ra[rm_branch[ra] == b], t])
        rm_g[ra] = (
            0.85 * rm_g[ra]
            + 0.3 * s.rm_overload * np.clip(load - 1, 0, 2)
            + 0.5
            * s.hr_factors
            * np.maximum(0, 1 - bonus[ra, t] / np.maximum(med_b[rm_branch[ra]], 1))
            + 0.3 * s.hr_factors * mc
            - 0.4 * pm
            + rng.normal(0, 0.18, len(ra))
        )
        # client dissatisfaction drifts, pushed by the service the client gets
        lv = ci[active[ci]]
        gap = t - last_contact[lv]
        ow = owner[lv]
        r1 = fret[fund_id[lv], t] * (fun[lv] > 0)
        d[lv] = (
            0.82 * d[lv]
            + 0.06 * s.contact_gap * np.clip(gap - 2, 0, 6)
            + 0.12
            * s.rm_overload
            * np.where(
                ow >= 0,
                np.clip(book[np.maximum(ow, 0)] / rm_capacity[np.maximum(ow, 0)] - 1, 0, 2),
                0.5,
            )
            + 1.5 * s.nav_drawdown * np.maximum(-r1, 0)
            - 0.15 * contacted[lv, t]
            + rng.normal(0, 0.22, len(lv))
        )

        # new clients open this month
        nw = np.flatnonzero(open_month == t)
        if len(nw):
            active[nw] = True
            owner[nw] = _pick_rm(branch[nw])
            branch[nw[owner[nw] >= 0]] = rm_branch[owner[nw][owner[nw] >= 0]]
            asg_start[nw] = open_date[nw]
            last_contact[nw] = t
            contacted[nw, t] = True
            fund_start[nw] = np.where(fun[nw] > 0, t, 10**6)
            f_amt[nw] = fun[nw]
            w_mat[nw] = np.where(wea[nw] > 0, t + w_term[nw], -1)
            w_start_date[nw] = open_date[nw]
            w_amt[nw] = wea[nw]

    if progress:
        progress(T, T)

    # ---------- open holdings and assignments at the end of the window ----------
    nat = np.datetime64("NaT")
    opened = open_month < T
    still = np.flatnonzero(opened & (closed_month < 0) & (wea > 0) & (w_mat >= 0))
    hold(
        still,
        PT_WEALTH,
        w_term[still],
        w_amt[still],
        w_start_date[still],
        np.full(len(still), nat, dtype="datetime64[D]"),
        w_start_date[still] + (w_term[still] * 30.44).astype(int),
    )
    fo = np.flatnonzero(opened & (fund_start < 10**6) & (fun > 0))
    hold(
        fo,
        PT_FUND,
        fund_id[fo],
        f_amt[fo],
        _fund_start_date(fo),
        np.full(len(fo), nat, dtype="datetime64[D]"),
        np.full(len(fo), nat, dtype="datetime64[D]"),
    )
    io_ = np.flatnonzero(opened & (ins > 0) & (closed_month < 0))
    hold(
        io_,
        PT_INSURANCE,
        ins_id[io_],
        ins[io_],
        open_date[io_],
        np.full(len(io_), nat, dtype="datetime64[D]"),
        np.full(len(io_), nat, dtype="datetime64[D]"),
    )
    ao = np.flatnonzero(opened & (owner >= 0))
    recs["asg"].add(
        client=ao,
        rm=owner[ao],
        start=asg_start[ao],
        end=np.full(len(ao), nat, dtype="datetime64[D]"),
    )

    closed_date = np.full(N, nat, dtype="datetime64[D]")
    cm = closed_month >= 0
    closed_date[cm] = ms[closed_month[cm]] + closed_day[cm]
    clients = dict(
        n=np.int64(N),
        segment=seg,
        birth_year=birth,
        is_payroll=payroll,
        risk_level=risk_level,
        branch=branch,
        owner=owner,
        open_date=open_date,
        closed_date=closed_date,
        opened=opened,
    )
    rms = dict(
        n=np.int64(n_rm),
        branch=rm_branch[:n_rm],
        hire=rm_hire[:n_rm],
        exit=rm_exit[:n_rm],
        exit_type=rm_exit_type[:n_rm],
        grade=rm_grade[:n_rm],
        manager=rm_manager[:n_rm],
        birth_year=rm_birth[:n_rm],
        gender=rm_gender[:n_rm],
    )
    hr_mask = np.isfinite(target[:n_rm])
    rr, tt = np.nonzero(hr_mask)
    rm_monthly = dict(
        rm=rr,
        t=tt,
        target=target[rr, tt],
        bonus=bonus[rr, tt],
        overtime=overtime[rr, tt],
        leave=leave[rr, tt],
        training=np.round(rng.gamma(2, 3, len(rr)), 1),
        engagement=eng[rr, tt],
        manager_changed=mgr_changed[rr, tt],
        promoted=promoted[rr, tt],
    )
    return Simulation(
        config=cfg,
        month_start=ms,
        clients=clients,
        rms=rms,
        n_branches=n_branches,
        balances=recs["bal"].done(),
        transactions=recs["txn"].done(),
        holdings=recs["hold"].done(),
        fund_returns=fret,
        contacts=recs["con"].done(),
        assignments=recs["asg"].done(),
        rm_monthly=rm_monthly,
        campaigns=recs["camp"].done(),
        client_truth=recs["ctruth"].done(),
        rm_truth=recs["rtruth"].done(),
    )
