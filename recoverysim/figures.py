"""Figures for run folders. The model never imports this module.

Figures are drawn on ``matplotlib.figure.Figure`` objects, never through pyplot: the library leaves the
user's backend alone (a notebook keeps showing figures) and no global figure list grows in long batch runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from recoverysim.parameters import STAGES, WEEKS_PER_YEAR


def subplots(nrows: int = 1, ncols: int = 1, figsize: tuple[float, float] | None = None, **kwargs):
    """A new ``Figure`` and its axes, like ``pyplot.subplots`` but outside pyplot's state."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def save_figure(fig, path: Path, dpi: int = 100) -> Path:
    """Lay out and write a figure."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    return path


STAGE_COLOURS = {"discontinuity": "#b2182b", "safety": "#ef8a62", "control": "#67a9cf", "reunion": "#2166ac"}


def median_band(ax, by_week, colour: str, label: str, step: bool = False) -> None:
    """Median over replicates with a 5-95% band, against years (``by_week``: a grouped-by-week series)."""
    years = np.asarray(by_week.median().index) / WEEKS_PER_YEAR
    if step:
        ax.step(years, by_week.median().to_numpy(), where="post", color=colour, label=label)
    else:
        ax.plot(years, by_week.median().to_numpy(), color=colour, label=label)
    ax.fill_between(years, by_week.quantile(0.05).to_numpy(), by_week.quantile(0.95).to_numpy(),
                    step="post" if step else None, color=colour, alpha=0.2, linewidth=0)


def draw_stage_occupancy(ax, timeseries: pd.DataFrame) -> None:
    """Share in each stage over time on ``ax``."""
    size = timeseries[list(STAGES)].sum(axis=1)
    for stage in STAGES:
        median_band(ax, (timeseries[stage] / size).groupby(timeseries["week"]), STAGE_COLOURS[stage], stage)


def stage_occupancy(timeseries: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Share in each stage over time: median over replicates with a 5-95% band."""
    fig, ax = subplots(figsize=(8, 4.5))
    draw_stage_occupancy(ax, timeseries)
    return _save_share_plot(fig, ax, path, "share of people", title or "Stage occupancy")


def time_to_stage(survival: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Share not yet reaching each stage, among those who started below it (median and 5-95% band)."""
    fig, ax = subplots(figsize=(8, 4.5))
    for stage in STAGES[1:]:
        sub = survival[survival["stage"] == stage].groupby("week")["not_reached"]
        median_band(ax, sub, STAGE_COLOURS[stage], f"not yet {stage}", step=True)
    return _save_share_plot(fig, ax, path, "share not yet reached", title or "Time to each stage")


def _save_share_plot(fig, ax, path: Path, ylabel: str, title: str) -> Path:
    ax.set(xlabel="years", ylabel=ylabel, ylim=(0, 1), title=title)
    ax.legend(loc="upper right", frameon=False)
    ax.grid(alpha=0.3)
    return save_figure(fig, path, dpi=110)


def causal_loop_diagram(path: Path) -> Path:
    """Draw the causal-loop diagram from ``feedback_loops.CAUSAL_LINKS`` (the links the code uses)."""
    from recoverysim.feedback_loops import CAUSAL_LINKS, loop_polarity

    nodes = list(dict.fromkeys(n for link in CAUSAL_LINKS for n in (link.cause, link.effect)))
    angle = np.linspace(0, 2 * np.pi, len(nodes), endpoint=False)
    pos = {n: (np.cos(a), np.sin(a)) for n, a in zip(nodes, angle, strict=True)}
    colours = {"peer_role_models": "#1b9e77", "peer_burnout": "#d95f02", "stigma_visibility": "#7570b3",
               "coercion_trauma": "#e7298a", None: "#999999"}
    fig, ax = subplots(figsize=(10, 10))
    for link in CAUSAL_LINKS:
        (x0, y0), (x1, y1) = pos[link.cause], pos[link.effect]
        ax.annotate("", xy=(x1 * 0.93, y1 * 0.93), xytext=(x0 * 0.93, y0 * 0.93),
                    arrowprops=dict(arrowstyle="->", color=colours[link.loop], lw=1.5,
                                    connectionstyle="arc3,rad=0.15"))
        ax.text((x0 + x1) / 2 * 0.9, (y0 + y1) / 2 * 0.9, "+" if link.sign > 0 else "−",
                color=colours[link.loop], fontsize=12, ha="center", va="center")
    for n, (x, y) in pos.items():
        ax.text(x, y, n, ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round", fc="white", ec="#444444"))
    for i, (loop, colour) in enumerate((k, v) for k, v in colours.items() if k):
        kind = "reinforcing" if loop_polarity(loop) > 0 else "balancing"
        ax.text(-1.25, -1.2 - 0.07 * i, f"{loop} ({kind})", color=colour, fontsize=10)
    ax.set_xlim(-1.35, 1.35)
    ax.set_ylim(-1.5, 1.25)
    ax.axis("off")
    ax.set_title("Causal-loop diagram of recoverysim (drawn from the model's declared links)")
    return save_figure(fig, path)
