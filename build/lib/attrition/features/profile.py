"""Panels from the static ``clients`` and ``rms`` tables: tenure, age and client profile.

Protected RM attributes (``rms.birth_year``, ``rms.gender``) are never read here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attrition.features.context import PanelContext
from attrition.features.grid import month_ordinals
from attrition.features.registry import register


def months_since(ctx: PanelContext, dates: pd.Series) -> np.ndarray:
    """Whole months from each date's month to each column (NaN before the date)."""
    start = month_ordinals(dates)
    out = (ctx.grid.ordinals[None, :] - start[:, None]).astype(np.float64)
    out[out < 0] = np.nan
    return out


def _broadcast(ctx: PanelContext, values: np.ndarray) -> np.ndarray:
    return np.repeat(values.astype(np.float64)[:, None], ctx.grid.n, axis=1)


@register("client", "tenure_months", "age", "is_payroll", "risk_level", tables=("clients",))
def client_profile(ctx: PanelContext) -> dict[str, np.ndarray]:
    """Months since opening, age in years, payroll flag and risk level (when present)."""
    c = ctx.table("clients")
    out = {"tenure_months": months_since(ctx, c["open_date"])}
    if "birth_year" in c.columns:
        year = 1970 + ctx.grid.ordinals // 12
        born = c["birth_year"].to_numpy(dtype=np.float64, na_value=np.nan)
        out["age"] = year[None, :] - born[:, None]
    if "is_payroll" in c.columns:
        out["is_payroll"] = _broadcast(
            ctx, c["is_payroll"].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
        )
    if "risk_level" in c.columns:
        out["risk_level"] = _broadcast(
            ctx, c["risk_level"].to_numpy(dtype=np.float64, na_value=np.nan)
        )
    return out


@register("rm", "tenure_months", tables=("rms",))
def rm_profile(ctx: PanelContext) -> dict[str, np.ndarray]:
    """Months since hire."""
    return {"tenure_months": months_since(ctx, ctx.table("rms")["hire_date"])}
