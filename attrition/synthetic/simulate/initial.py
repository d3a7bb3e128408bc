"""The bank at the start of the window: branches, RMs, clients, their portfolios and books.

Draws happen in a fixed order (RMs, clients, fund returns, books); the order is part
of what makes a seed reproduce a bank, so new draws belong at the end, not in between.
"""

from __future__ import annotations

import numpy as np

from attrition.synthetic.config import GeneratorConfig
from attrition.synthetic.hazards import SEGMENT_LOG_AUM, SEGMENT_WEIGHTS, SEGMENTS
from attrition.synthetic.regime import market_shock
from attrition.synthetic.simulate.codes import N_FUNDS, NEVER, NO_WEALTH, WEALTH_TERMS
from attrition.synthetic.simulate.state import BankState, Clients, RMs

NAT = np.datetime64("NaT")
YOUNG_SEGMENTS = [
    SEGMENTS.index(s) for s in ("young_professional", "young_entrepreneur", "second_generation")
]


def initial_bank(cfg: GeneratorConfig, rng: np.random.Generator) -> BankState:
    """The bank on the first day of the window."""
    ms = month_starts(cfg)
    end_year = int(str(ms[cfg.months - 1])[:4])
    rms, n_branches = initial_rms(cfg, rng, ms, end_year)
    clients = initial_clients(cfg, rng, ms, end_year, n_branches)
    returns = fund_returns(rng, cfg.months, shock=regime_market_shock(cfg))
    assign_initial_books(clients, rms, n_branches, rng)
    return BankState(
        config=cfg,
        month_start=ms,
        n_branches=n_branches,
        fund_returns=returns,
        rms=rms,
        clients=clients,
    )


def month_starts(cfg: GeneratorConfig) -> np.ndarray:
    """First day of each month of the window and of the month after it (datetime64[D])."""
    first = cfg.month_index[0]
    return np.array(
        [np.datetime64(str((first + k).start_time.date()), "D") for k in range(cfg.months + 1)]
    )


def initial_rms(
    cfg: GeneratorConfig, rng: np.random.Generator, ms: np.ndarray, end_year: int
) -> tuple[RMs, int]:
    """The RMs on the first day (with empty slots for replacement hires) and the branch count."""
    T = cfg.months
    n_rm0 = max(2, round(cfg.n_clients / cfg.clients_per_rm))
    n_branches = max(1, round(n_rm0 / cfg.rms_per_branch))
    R = n_rm0 * 3 + 10  # room for replacement hires
    branch = np.full(R, -1)
    # every branch has an RM (there are never fewer RMs than branches); the rest at random
    branch[:n_rm0] = np.concatenate(
        [np.arange(n_branches), rng.integers(0, n_branches, n_rm0 - n_branches)]
    )
    hire = np.full(R, NAT, dtype="datetime64[D]")
    tenure0 = rng.gamma(1.6, 30.0, n_rm0).astype(int) + 1  # months before the window
    hire[:n_rm0] = ms[0] - (tenure0 * 30.44).astype(int) - rng.integers(0, 28, n_rm0)
    grade = np.zeros(R, np.int8)
    grade[:n_rm0] = np.clip(1 + tenure0 // 36 + rng.integers(-1, 2, n_rm0), 1, 5)
    rms = RMs(
        n=n_rm0,
        branch=branch,
        hire=hire,
        exit=np.full(R, NAT, dtype="datetime64[D]"),
        exit_type=np.zeros(R, np.int8),
        active=np.arange(R) < n_rm0,
        grade=grade,
        talent=rng.normal(1.0, 0.12, R),
        base_bonus=rng.lognormal(np.log(9000), 0.25, R),
        disengagement=rng.normal(0, 0.3, R),
        birth_year=end_year - rng.integers(24, 58, R),
        gender=rng.integers(0, 2, R),
        manager=rng.integers(0, 10_000, R),
        engagement=np.full((R, T), np.nan),
        leave=np.full((R, T), np.nan),
        bonus=np.full((R, T), np.nan),
        target=np.full((R, T), np.nan),
        overtime=np.full((R, T), np.nan),
        manager_changed=np.zeros((R, T), bool),
        promoted=np.zeros((R, T), bool),
        resigned=np.zeros((R, T), bool),
        book_events=np.zeros((R, T)),
    )
    return rms, n_branches


def initial_clients(
    cfg: GeneratorConfig,
    rng: np.random.Generator,
    ms: np.ndarray,
    end_year: int,
    n_branches: int,
) -> Clients:
    """Clients at the start and those who will open during the window, without RMs yet."""
    T = cfg.months
    n0 = cfg.n_clients
    n_new = rng.poisson(cfg.monthly_new_client_rate * n0, T)
    N = n0 + int(n_new.sum())
    seg = rng.choice(len(SEGMENTS), size=N, p=SEGMENT_WEIGHTS)
    birth = end_year - np.clip(
        rng.normal(45, 13, N)
        + np.where(seg == SEGMENTS.index("retiree"), 22, 0)
        - np.where(np.isin(seg, YOUNG_SEGMENTS), 15, 0),
        19,
        92,
    ).astype(int)
    payroll = rng.random(N) < np.where(seg == SEGMENTS.index("payroll_employee"), 0.95, 0.2)
    payday = np.where(rng.random(N) < 0.5, 10, 20)
    salary = rng.lognormal(np.log(14_000), 0.45, N) * payroll
    risk_level = np.clip(rng.normal(3, 1, N).round(), 1, 5).astype(int)
    branch = rng.integers(0, n_branches, N)
    open_month = np.concatenate([-rng.integers(1, 150, n0), np.repeat(np.arange(T), n_new)])
    open_day = rng.integers(0, 28, N)
    opened_before = ms[0] + (open_month[:n0] * 30.44).astype(int)
    open_date = np.concatenate([opened_before, ms[open_month[n0:]]]) + open_day

    # portfolio: a segment-typical AUM split over the products the client holds
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
    insurance_id = rng.integers(0, 2, N)
    base_transfer = rng.lognormal(np.log(0.012), 0.5, N)
    # about a third of payroll clients habitually move most of their salary elsewhere
    base_payday = np.where(
        rng.random(N) < 0.35, rng.uniform(0.5, 0.9, N), rng.uniform(0.0, 0.25, N)
    )
    dissatisfaction = rng.normal(0, 0.35, N)

    # each wealth product's first maturity falls within one term of the start
    w_term = rng.choice(WEALTH_TERMS, N)
    w_mat = np.where(has_wealth, rng.integers(0, 12, N) % w_term, NO_WEALTH)
    w_start = np.full(N, NAT, dtype="datetime64[D]")
    w_day = rng.integers(0, 28, N)
    idx = np.flatnonzero(has_wealth)
    w_start[idx] = ms[0] + ((w_mat[idx] - w_term[idx]) * 30.44).astype(int) + w_day[idx]
    fund_start = np.where(has_fund, -rng.integers(1, 60, N), 0)

    return Clients(
        segment=seg,
        birth_year=birth,
        age=(end_year - birth).astype(float),
        is_payroll=payroll,
        payday=payday,
        salary=salary,
        risk_level=risk_level,
        branch=branch,
        open_month=open_month,
        open_date=open_date,
        active=np.arange(N) < n0,
        closed_month=np.full(N, -1),
        closed_day=np.zeros(N, int),
        deposits=dep,
        wealth=wea,
        funds=fun,
        insurance=ins,
        fund_id=fund_id,
        insurance_id=insurance_id,
        fund_start=fund_start,
        fund_amount=fun.copy(),
        wealth_term=w_term,
        wealth_maturity=w_mat,
        # products cannot start before the client opened
        wealth_start=np.maximum(w_start, open_date),
        wealth_amount=wea.copy(),
        base_transfer=base_transfer,
        base_payday=base_payday,
        dissatisfaction=dissatisfaction,
        dip_back=np.zeros(N),
        owner=np.full(N, -1),
        assigned=np.full(N, NAT, dtype="datetime64[D]"),
        last_contact=np.full(N, -99),
        rm_left_month=np.full(N, NEVER),
        transfer_out=np.zeros((N, T)),
        payday_out=np.full((N, T), np.nan),
        contacted=np.zeros((N, T), bool),
    )


def fund_returns(
    rng: np.random.Generator, months: int, shock: np.ndarray | None = None
) -> np.ndarray:
    """Monthly fund returns [fund, month]: a market factor with two sell-offs, betas, noise.

    ``shock`` (a log return of the market per month, from a sell-off regime) moves each
    fund by its beta on top of that; it adds no draw, so the rest of the bank is drawn
    exactly as without it.
    """
    market = rng.normal(0.006, 0.025, months)
    for start in (months // 4, (2 * months) // 3):
        market[start : start + 3] = rng.normal(-0.06, 0.02, min(3, months - start))
    beta = rng.uniform(0.3, 1.4, N_FUNDS)
    returns = beta[:, None] * market[None, :] + rng.normal(0, 0.012, (N_FUNDS, months))
    if shock is None or not shock.any():
        return returns
    return (1 + returns) * np.exp(beta[:, None] * shock[None, :]) - 1


def regime_market_shock(cfg: GeneratorConfig) -> np.ndarray | None:
    """The market's log-return shock of the config's regime (``None`` without a regime)."""
    if cfg.regime is None:
        return None
    return market_shock(cfg.regime, cfg.regime.start(cfg.month_index), cfg.months)


def assign_initial_books(c: Clients, rms: RMs, n_branches: int, rng: np.random.Generator) -> None:
    """Give the clients at the start an RM of their branch, and a last contact."""
    N = len(c.owner)
    n_rm = rms.n
    # a few mass clients have no RM at all
    unassigned = (rng.random(N) < 0.04) & (c.segment == SEGMENTS.index("mass"))
    init = np.flatnonzero(c.active & ~unassigned)
    # uneven books: some RMs attract far more clients than others
    pull = rng.lognormal(0, 0.45, n_rm)
    for b in range(n_branches):
        pool = np.flatnonzero((rms.branch[:n_rm] == b) & rms.active[:n_rm])
        sel = init[c.branch[init] == b]
        if len(pool) and len(sel):
            c.owner[sel] = rng.choice(pool, len(sel), p=pull[pool] / pull[pool].sum())
    c.last_contact = np.where(c.active, -rng.integers(1, 8, N), -99)
    c.assigned = np.maximum(c.open_date, rms.hire[np.maximum(c.owner, 0)])
