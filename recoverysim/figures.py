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


def panel_grid(panels: int, max_cols: int, panel_size: tuple[float, float], margin: float = 0.0, **kwargs):
    """A figure of ``panels`` small multiples, at most ``max_cols`` a row; the unused cells of the last row are off.

    ``panel_size`` is (width, height) of one panel in inches and ``margin`` extra width; returns (fig, axes) with
    ``axes`` two-dimensional.
    """
    cols = min(panels, max_cols)
    rows = -(-panels // cols)
    fig, axes = subplots(rows, cols, figsize=(panel_size[0] * cols + margin, panel_size[1] * rows), squeeze=False,
                         **kwargs)
    for ax in axes.flat[panels:]:
        ax.axis("off")
    return fig, axes


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
