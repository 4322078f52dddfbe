"""Figures from the tidy indices and convergence tables (PNG files, one per output and kind)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from recoverysim.figures import save_figure, subplots


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def plot_all(indices: pd.DataFrame, conv: pd.DataFrame | None, folder: str | Path) -> list[Path]:
    """Write every figure that fits the method into ``folder``; returns the files written.

    Morris: mu*-sigma scatter. Sobol: S1/ST bars with confidence intervals. FAST: S1/ST bars.
    Morris and Sobol also get a convergence plot (index vs model runs on growing sample prefixes).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for (method, output), df in indices.groupby(["method", "output"], sort=False):
        if df["value"].isna().all():
            continue
        if method == "morris":
            written.append(morris_scatter(df, folder / f"morris_{_slug(output)}.png"))
        else:
            written.append(index_bars(df, folder / f"{method}_{_slug(output)}.png"))
        if conv is not None and len(conv):
            sub = conv[(conv["method"] == method) & (conv["output"] == output)]
            if len(sub):
                written.append(convergence_plot(sub, folder / f"convergence_{method}_{_slug(output)}.png"))
    return written


def morris_scatter(df: pd.DataFrame, path: Path) -> Path:
    """Morris screening plot: mu* (with its interval) against sigma, one labelled point per parameter."""
    wide = df.pivot(index="parameter", columns="index", values="value")
    ci = df[df["index"] == "mu_star"].set_index("parameter")
    err = np.vstack([wide["mu_star"] - ci["ci_low"].reindex(wide.index),
                     ci["ci_high"].reindex(wide.index) - wide["mu_star"]])
    fig, ax = subplots(figsize=(7, 5.5))
    ax.errorbar(wide["mu_star"], wide["sigma"], xerr=np.clip(err, 0, None), fmt="o", ms=4, alpha=0.8,
                ecolor="0.6", elinewidth=0.8, capsize=2)
    top = wide["mu_star"].rank(ascending=False) <= 12  # label the leading parameters only, to stay legible
    for name, row in wide[top].iterrows():
        ax.annotate(name, (row["mu_star"], row["sigma"]), fontsize=7, xytext=(3, 3),
                    textcoords="offset points")
    lim = np.nanmax([wide["mu_star"].max(), wide["sigma"].max()]) * 1.05
    ax.plot([0, lim], [0, lim], ls=":", color="0.5", lw=0.8, label="sigma = mu*")
    ax.set_xlabel("mu* (mean absolute elementary effect)")
    ax.set_ylabel("sigma (spread: non-linearity / interactions)")
    ax.set_title(f"Morris screening: {df['output'].iloc[0]}")
    ax.legend(loc="upper left", fontsize=8)
    return save_figure(fig, path, dpi=120)


def index_bars(df: pd.DataFrame, path: Path) -> Path:
    """Grouped horizontal bars of S1 and ST per parameter with confidence-interval whiskers."""
    keys = [k for k in ("S1", "ST") if k in set(df["index"])]
    order = (df[df["index"] == keys[-1]].set_index("parameter")["value"].sort_values().index.tolist())
    fig, ax = subplots(figsize=(7.5, 1.2 + 0.32 * len(order)))
    height = 0.8 / len(keys)
    pos = np.arange(len(order))
    for k, key in enumerate(keys):
        sub = df[df["index"] == key].set_index("parameter").reindex(order)
        err = np.vstack([sub["value"] - sub["ci_low"], sub["ci_high"] - sub["value"]])
        ax.barh(pos + (k - (len(keys) - 1) / 2) * height, sub["value"], height=height, label=key,
                xerr=np.nan_to_num(np.clip(err, 0, None)), error_kw={"elinewidth": 0.8, "capsize": 2})
    ax.set_yticks(pos, order, fontsize=7)
    ax.axvline(0, color="0.3", lw=0.6)
    ax.set_xlabel("sensitivity index (95% bootstrap interval)" if df["method"].iloc[0] == "sobol"
                  else "sensitivity index (bootstrap interval, indicative for FAST)")
    ax.set_title(f"{df['method'].iloc[0].upper()}: {df['output'].iloc[0]}")
    ax.legend(loc="lower right", fontsize=8)
    return save_figure(fig, path, dpi=120)


def convergence_plot(conv: pd.DataFrame, path: Path, top: int = 8) -> Path:
    """The leading index (ST or mu*) of the top parameters against model runs, with interval bands."""
    key = "ST" if conv["method"].iloc[0] == "sobol" else "mu_star"
    sub = conv[conv["index"] == key]
    final = sub[sub["runs"] == sub["runs"].max()].set_index("parameter")["value"]
    leaders = final.sort_values(ascending=False).index[:top]
    fig, ax = subplots(figsize=(7, 4.5))
    for name in leaders:
        line = sub[sub["parameter"] == name].sort_values("runs")
        (h,) = ax.plot(line["runs"], line["value"], marker="o", ms=3, lw=1.2, label=name)
        ax.fill_between(line["runs"], line["ci_low"], line["ci_high"], color=h.get_color(), alpha=0.12)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("model runs in the prefix of the sample")
    ax.set_ylabel(key)
    ax.set_title(f"Convergence of {key}: {conv['output'].iloc[0]}")
    ax.legend(fontsize=7, loc="best")
    return save_figure(fig, path, dpi=120)
