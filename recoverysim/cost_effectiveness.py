"""Cost-effectiveness of a comparison: net cost, cost per unit of effect, and the acceptability curve.

Everything is computed from paired differences, one per replicate (or, when the comparison has uncertainty
draws, one per draw, ``Comparison.uncertain``, whose intervals are then the 2.5-97.5% spread of the draws):
replicate (draw) r of a scenario minus replicate (draw) r of the base, on common random numbers. Costs are
the runs' discounted totals (``cost_total``, recoverysim.costs). The effects, each counted so that more is
better:

- ``reunion``: additional people in reunion at the end (share_reunion_end x people);
- ``coercive_episodes_averted``: seclusion and restraint episodes over the run, base minus scenario, discounted;
- ``bed_days_averted``: psychiatric bed-days over the run, base minus scenario, discounted.

The cost per unit of effect is mean difference in cost / mean difference in effect (a ratio of means, not a mean
of ratios), reported only when it means something (:func:`icer`). The acceptability curve gives, at each
willingness to pay (WTP, yen per unit of effect), the share of pairs whose net monetary benefit
NMB = WTP x effect difference - cost difference is positive (docs/costs.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from recoverysim.costs import costs_of, discounted
from recoverysim.intervals import CONFIDENCE, mean_interval, spread_interval
from recoverysim.parameters import DAYS_PER_WEEK

#: The effects costed, with their unit (each counted so that more is better).
EFFECTS = {
    "reunion": "additional people in reunion at the end",
    "coercive_episodes_averted": "coercive episodes averted (discounted)",
    "bed_days_averted": "psychiatric bed-days avoided (discounted)",
}
#: One unit of each effect, for the axis of willingness to pay.
EFFECT_UNIT = {"reunion": "person in reunion", "coercive_episodes_averted": "coercive episode averted",
               "bed_days_averted": "bed-day avoided"}
CE_COLUMNS = ["scenario", "effect", "pairs", "net_cost", "net_cost_low", "net_cost_high", "effect_difference",
              "effect_low", "effect_high", "cost_per_unit", "status"]
CEAC_COLUMNS = ["scenario", "effect", "wtp", "probability_cost_effective", "mean_net_benefit"]
#: Points of the default willingness-to-pay grid.
WTP_POINTS = 41


# --- the statistics, on arrays of paired differences ---------------------------------------------------------


def icer(delta_cost: float, delta_effect: float) -> tuple[float, str]:
    """(cost per unit of effect, status) from mean paired differences (effect: more is better).

    Status: "ratio" (more effect at more cost: the ratio is the price of a unit), "dominant" (at least as much
    effect for less cost, or more effect at no extra cost: no ratio needed), "dominated" (less effect, at
    least as much cost), "cheaper, less effective" (the ratio is the saving per unit given up), "no effect"
    (no difference in effect: no ratio), "undefined" (a NaN difference).
    """
    c, e = float(delta_cost), float(delta_effect)
    if not (np.isfinite(c) and np.isfinite(e)):
        return np.nan, "undefined"
    if e == 0:
        return np.nan, "no effect"
    if e > 0 and c <= 0:
        return np.nan, "dominant"
    if e < 0 and c >= 0:
        return np.nan, "dominated"
    return c / e, "ratio" if e > 0 else "cheaper, less effective"


def ceac(delta_cost: Sequence[float], delta_effect: Sequence[float], wtp: Sequence[float]) -> pd.DataFrame:
    """Cost-effectiveness acceptability curve from paired differences (one pair per replicate or draw).

    Returns one row per willingness to pay: ``probability_cost_effective`` is the share of pairs with
    NMB = wtp x delta_effect - delta_cost > 0, and ``mean_net_benefit`` their mean NMB. Pairs with a NaN are
    dropped.
    """
    c, e = np.asarray(delta_cost, float), np.asarray(delta_effect, float)
    if c.shape != e.shape:
        raise ValueError(f"delta_cost and delta_effect differ in length: {c.size} and {e.size}")
    ok = np.isfinite(c) & np.isfinite(e)
    c, e = c[ok], e[ok]
    w = np.asarray(wtp, float)
    nmb = w[:, None] * e[None, :] - c[None, :]
    n = max(c.size, 1)
    return pd.DataFrame({"wtp": w, "probability_cost_effective": (nmb > 0).sum(axis=1) / n if c.size else np.nan,
                         "mean_net_benefit": nmb.mean(axis=1) if c.size else np.nan})


def wtp_grid(delta_cost: Sequence[float], delta_effect: Sequence[float], points: int = WTP_POINTS) -> np.ndarray:
    """0 to a willingness to pay that spans the pairs' own cost per unit (four times the largest central one)."""
    c, e = np.abs(np.asarray(delta_cost, float)), np.abs(np.asarray(delta_effect, float))
    ok = np.isfinite(c) & np.isfinite(e) & (e > 0)
    ratios = c[ok] / e[ok]
    top = 4 * float(np.median(ratios)) if ratios.size else 0.0
    if not np.isfinite(top) or top <= 0:
        top = 1.0
    return np.linspace(0.0, top, points)


# --- from a comparison ------------------------------------------------------------------------------------


def replicate_effects(results) -> pd.DataFrame:
    """Per replicate of ``results`` (a ``simulation.Results``): its discounted total cost and raw effects."""
    scenario = results.scenario
    rate = costs_of(scenario).discount_rate
    size = scenario["population.size"]
    rows = []
    for run, (_, h) in zip(results.runs, results.headlines.iterrows(), strict=True):
        flows = run.timeseries.iloc[1:]
        rows.append({"replicate": run.replicate, "cost": h["cost_total"],
                     "reunion": h["share_reunion_end"] * size,
                     "coercive_episodes": discounted(flows["coercive_episodes"].to_numpy(), rate),
                     "bed_days": discounted(flows["in_hospital"].to_numpy() * DAYS_PER_WEEK, rate)})
    return pd.DataFrame(rows)


def paired_differences(base, other) -> pd.DataFrame:
    """Per replicate pair: ``cost`` (other - base) and each effect of :data:`EFFECTS` (more is better)."""
    b, o = replicate_effects(base), replicate_effects(other)
    if list(b["replicate"]) != list(o["replicate"]):
        raise ValueError("the base and the scenario were not run on the same replicates")
    return pd.DataFrame({"replicate": b["replicate"], "cost": o["cost"] - b["cost"],
                         "reunion": o["reunion"] - b["reunion"],
                         "coercive_episodes_averted": b["coercive_episodes"] - o["coercive_episodes"],
                         "bed_days_averted": b["bed_days"] - o["bed_days"]})


def _pairs(comparison):
    """(base, others) to take the pairs from: the uncertainty draws if the comparison has them."""
    if comparison.uncertain:
        return comparison.uncertain[0], comparison.uncertain[1:]
    return comparison.base, comparison.others


def _interval(values: np.ndarray, drawn: bool, confidence: float) -> tuple[float, float, float]:
    """Mean and interval: over uncertainty draws their spread, over replicates the t interval of the mean."""
    return spread_interval(values, confidence) if drawn else mean_interval(values, confidence)


def cost_effectiveness_table(comparison, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Net cost and cost per unit of each effect, per scenario against the base (``CE_COLUMNS``)."""
    base, others = _pairs(comparison)
    drawn = bool(comparison.uncertain)
    rows = []
    for other in others:
        d = paired_differences(base, other)
        cost, c_lo, c_hi = _interval(d["cost"].to_numpy(float), drawn, confidence)
        for effect in EFFECTS:
            e, e_lo, e_hi = _interval(d[effect].to_numpy(float), drawn, confidence)
            ratio, status = icer(cost, e)
            rows.append((other.scenario.name, effect, len(d), cost, c_lo, c_hi, e, e_lo, e_hi, ratio, status))
    return pd.DataFrame(rows, columns=CE_COLUMNS)


def ceac_table(comparison, wtp: dict[str, Sequence[float]] | None = None) -> pd.DataFrame:
    """The acceptability curve of each scenario and effect (``CEAC_COLUMNS``); ``wtp`` grids by effect.

    By default every scenario shares one grid per effect: the widest of the scenarios' own (:func:`wtp_grid`).
    """
    base, others = _pairs(comparison)
    diffs = [(other.scenario.name, paired_differences(base, other)) for other in others]
    grids = {effect: (wtp or {}).get(effect) for effect in EFFECTS}
    for effect, grid in grids.items():
        if grid is None and diffs:
            grids[effect] = max((wtp_grid(d["cost"], d[effect]) for _, d in diffs), key=lambda g: g[-1])
    frames = []
    for name, d in diffs:
        for effect in EFFECTS:
            curve = ceac(d["cost"], d[effect], grids[effect])
            curve.insert(0, "effect", effect)
            curve.insert(0, "scenario", name)
            frames.append(curve)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CEAC_COLUMNS)


def plot_ceac(curves: pd.DataFrame, path: Path) -> None:
    """The acceptability curves as one PNG, a panel per effect, a line per scenario (outside pyplot)."""
    from matplotlib.ticker import EngFormatter

    from recoverysim.figures import save_figure, subplots

    effects = [e for e in EFFECTS if e in set(curves["effect"])]
    fig, axes = subplots(1, max(len(effects), 1), figsize=(4.2 * max(len(effects), 1), 3.4), squeeze=False)
    for ax, effect in zip(axes[0], effects, strict=False):
        part = curves[curves["effect"] == effect]
        for name, line in part.groupby("scenario", sort=False):
            ax.plot(line["wtp"], line["probability_cost_effective"], label=name)
        ax.set_ylim(-0.02, 1.02)
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))  # 250M, 20k: no offset text over the label
        ax.set_xlabel(f"willingness to pay, yen per {EFFECT_UNIT[effect]}", fontsize=8)
        ax.set_ylabel("probability cost-effective")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    save_figure(fig, path, dpi=120)


def write_cost_effectiveness(comparison, folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write cost_effectiveness.csv, ceac.csv and figures/ceac.png into ``folder``; returns both tables.

    The one call for ``compare.write_comparison``: ``write_cost_effectiveness(comparison, folder)``.
    """
    folder = Path(folder)
    table, curves = cost_effectiveness_table(comparison), ceac_table(comparison)
    table.to_csv(folder / "cost_effectiveness.csv", index=False, float_format="%.6g")
    curves.to_csv(folder / "ceac.csv", index=False, float_format="%.6g")
    (folder / "figures").mkdir(exist_ok=True)
    plot_ceac(curves, folder / "figures" / "ceac.png")
    return table, curves
