"""The reports' charts as SVG markup (matplotlib), in the report's language.

Figures are made with matplotlib's object interface (no pyplot: no global figure
state in a process that renders many reports), text kept as SVG text (WeasyPrint sets
it in the report's own fonts, and it stays searchable in the PDF), and the style set
only for the duration of a chart (``rc_context`` restores it).
"""

from __future__ import annotations

import io
import math
import re

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from reports.config import Language
from reports.i18n import money, text

TIER_COLOURS = {"high": "#c0392b", "medium": "#e67e22", "low": "#7f8c8d"}
_STYLE = {
    "font.family": ["Noto Sans CJK SC", "DejaVu Sans"],
    "font.size": 8,
    "svg.fonttype": "none",
    "svg.hashsalt": "attrition",  # the same chart gives the same SVG (ids)
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
WIDTH, HEIGHT = 3.4, 2.2  # inches: two charts side by side on A4


def _svg(fig: Figure) -> str:
    # the tight box measured on Agg's text metrics: bbox_inches="tight" would draw the
    # whole figure twice (a fifth of a chart's time); the box agrees within half a point
    renderer = FigureCanvasAgg(fig).get_renderer()
    bbox = fig.get_tightbbox(renderer).padded(matplotlib.rcParams["savefig.pad_inches"])
    out = io.StringIO()
    fig.savefig(out, format="svg", bbox_inches=bbox, metadata={"Date": None})
    svg = out.getvalue()
    # inlined in the HTML: no XML prolog, and none of matplotlib's comments, which
    # quote the labels (bank data such as segment names) verbatim
    return _COMMENT.sub("", svg[svg.index("<svg") :])


def _empty(ax: object, lang: Language) -> None:
    ax.text(0.5, 0.5, text("no_data", lang), ha="center", va="center")  # type: ignore[attr-defined]
    ax.set_axis_off()  # type: ignore[attr-defined]


def risk_histogram(clients: pd.DataFrame, lang: Language) -> str:
    """How the branch's clients spread over the 3-month risk, stacked by tier."""
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(WIDTH, HEIGHT))
        ax = fig.subplots()
        risk = clients["risk_3m"].dropna().to_numpy(float)
        if risk.size == 0:
            _empty(ax, lang)
        else:
            top = max(0.05, math.ceil(risk.max() * 20) / 20)
            bins = np.linspace(0, top, 21)
            parts = [
                clients.loc[clients["tier"] == t, "risk_3m"].dropna().to_numpy(float)
                for t in ("low", "medium", "high")
            ]
            ax.hist(
                parts,
                bins=bins,
                stacked=True,
                # one outline per tier, not a bar per bin: the same picture in a
                # twentieth of the shapes for the PDF to draw
                histtype="stepfilled",
                color=[TIER_COLOURS[t] for t in ("low", "medium", "high")],
                label=[text(t, lang) for t in ("low", "medium", "high")],
            )
            ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
            ax.set_xlabel(text("risk_3m", lang))
            ax.set_ylabel(text("share_of_clients", lang))
            ax.legend(frameon=False)
        return _svg(fig)


def value_by_segment(clients: pd.DataFrame, lang: Language) -> str:
    """The branch's value at risk per segment, largest first, split by tier."""
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(WIDTH, HEIGHT))
        ax = fig.subplots()
        table = (
            clients.pivot_table(
                index="segment", columns="tier", values="value_at_risk", aggfunc="sum"
            )
            if not clients.empty
            else pd.DataFrame()
        )
        if table.empty or not np.isfinite(table.to_numpy(float)).any():
            _empty(ax, lang)
        else:
            table = table.reindex(columns=["high", "medium", "low"]).fillna(0.0)
            table = table.loc[table.sum(axis=1).sort_values().index]
            left = np.zeros(len(table))
            for tier in ("high", "medium", "low"):
                ax.barh(
                    table.index.astype(str),
                    table[tier],
                    left=left,
                    color=TIER_COLOURS[tier],
                    label=text(tier, lang),
                )
                left += table[tier].to_numpy()
            # money labels are wide: four at most, or they run into each other
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=4))
            ax.xaxis.set_major_formatter(
                matplotlib.ticker.FuncFormatter(lambda v, _p: money(v, lang))
            )
            ax.set_xlabel(text("value_at_risk", lang))
            ax.legend(frameon=False, fontsize=7)
        return _svg(fig)


def trend(history: pd.DataFrame, lang: Language) -> str:
    """Value at risk per tier over the stored runs (one point per as-of month)."""
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(2 * WIDTH, HEIGHT))
        ax = fig.subplots()
        if history.empty:
            _empty(ax, lang)
        else:
            table = history.pivot_table(
                index="as_of", columns="tier", values="value_at_risk", aggfunc="sum"
            ).sort_index()
            months = table.index.astype(str).tolist()
            for tier in ("high", "medium", "low"):
                if tier in table.columns:
                    ax.plot(
                        months,
                        table[tier].fillna(0.0).to_numpy(),
                        marker="o",
                        color=TIER_COLOURS[tier],
                        label=text(tier, lang),
                    )
            ax.yaxis.set_major_formatter(
                matplotlib.ticker.FuncFormatter(lambda v, _p: money(v, lang))
            )
            ax.set_ylabel(text("value_at_risk", lang))
            ax.legend(frameon=False)
        return _svg(fig)


def workload(rms: pd.DataFrame, capacity: float | None, lang: Language) -> str:
    """Each RM's book size against their 3-month flight risk, by tier, with the
    capacity the catalogue's workload feature divides by."""
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(2 * WIDTH, HEIGHT * 1.2))
        ax = fig.subplots()
        shown = rms.dropna(subset=["book_size", "risk_3m"])
        if shown.empty:
            _empty(ax, lang)
        else:
            for tier in ("low", "medium", "high"):
                part = shown[shown["tier"] == tier]
                ax.scatter(
                    part["book_size"],
                    part["risk_3m"],
                    s=10,
                    color=TIER_COLOURS[tier],
                    label=text(tier, lang),
                    alpha=0.8,
                )
            if capacity:
                ax.axvline(capacity, color="#333", linestyle="--", linewidth=0.8)
                ax.annotate(
                    text("capacity", lang),
                    (capacity, 1.0),
                    xycoords=("data", "axes fraction"),
                    xytext=(3, -10),
                    textcoords="offset points",
                )
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
            ax.set_xlabel(text("book_size", lang))
            ax.set_ylabel(text("rm_risk_3m", lang))
            ax.legend(frameon=False)
        return _svg(fig)


def _observed(durations: np.ndarray, events: np.ndarray, horizon: float) -> float:
    """Kaplan–Meier P(event by ``horizon``) of a group (censoring-aware)."""
    from lifelines import KaplanMeierFitter

    km = KaplanMeierFitter().fit(durations, events)
    return float(1.0 - km.predict(horizon))


def calibration(
    risk: np.ndarray, durations: np.ndarray, events: np.ndarray, horizon: float, lang: Language
) -> str:
    """Predicted risk at ``horizon`` against the Kaplan–Meier observed risk, by decile
    of the prediction, with the diagonal a perfect model would follow."""
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(WIDTH, WIDTH))
        ax = fig.subplots()
        order = np.argsort(risk, kind="stable")
        predicted, observed = [], []
        for part in np.array_split(order, 10):
            if len(part):
                predicted.append(float(risk[part].mean()))
                observed.append(_observed(durations[part], events[part], horizon))
        top = max(max(predicted), max(observed)) * 1.05
        ax.plot([0, top], [0, top], color="#999", linestyle="--", linewidth=0.8)
        ax.plot(predicted, observed, marker="o", color=TIER_COLOURS["high"])
        ax.set_xlabel(text("predicted", lang, horizon=f"{horizon:g}"))
        ax.set_ylabel(text("observed", lang, horizon=f"{horizon:g}"))
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        return _svg(fig)


def km_by_group(
    groups: np.ndarray, durations: np.ndarray, events: np.ndarray, lang: Language
) -> str:
    """Kaplan–Meier curves of the share without the event, one per tier."""
    from lifelines import KaplanMeierFitter

    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(WIDTH * 1.3, WIDTH))
        ax = fig.subplots()
        for tier in ("high", "medium", "low"):
            mask = groups == tier
            if mask.sum() < 5:
                continue
            km = KaplanMeierFitter().fit(durations[mask], events[mask])
            curve = km.survival_function_.iloc[:, 0]
            ax.step(
                curve.index,
                curve.to_numpy(),
                where="post",
                color=TIER_COLOURS[tier],
                label=f"{text(tier, lang)} (n={int(mask.sum()):,})",
            )
        ax.set_xlabel(text("months", lang))
        ax.set_ylabel(text("without_event", lang))
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        ax.legend(frameon=False)
        return _svg(fig)
