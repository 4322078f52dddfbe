"""The first screen of the comparison report: a plain-language summary a decision-maker can read.

It shows, per scenario and key outcome, the base level, the effect, its interval (the uncertainty interval over
draws when the comparison has uncertainty draws, otherwise the chance-only interval, and says which) and the
probability of benefit; then differences by subgroup (gender, diagnosis) with intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recoverysim.intervals import CONFIDENCE, mean_interval
from recoverysim.outcomes import OUTCOMES, fmt_diff, fmt_value, label, verdict

#: Outcomes of the first screen, in reading order. The restricted mean time replaces the median time to
#: reunion, which is censored at the horizon whenever fewer than half of the people get there.
SUMMARY_OUTCOMES = ("share_reunion_end", "restricted_mean_years_to_reunion", "share_discontinuity_end",
                    "crises_per_1000_person_years", "admissions_per_1000_person_years",
                    "involuntary_share_of_admissions", "coercive_episodes_per_1000_person_years",
                    "bed_days_per_person_year")
#: Subgroups shown on the first page (simulation._subgroups records these and trauma history).
SUBGROUPS = ("gender", "diagnosis")
SUBGROUP_STAGE = "reunion"


def human(name: str) -> str:
    """A scenario or reform name for readers: ``trauma_informed_care`` -> ``Trauma informed care``."""
    return name.replace("_", " ").strip().capitalize()


def effect_cells(comparison) -> pd.DataFrame:
    """Per scenario and outcome: effect, interval, which interval it is, probability of benefit, reading."""
    diff = comparison.differences.set_index(["scenario", "metric"])
    drawn = comparison.effects.set_index(["scenario", "metric"]) if comparison.effects is not None else None
    rows = []
    for other in comparison.others:
        name = other.scenario.name
        for metric in OUTCOMES:
            d = diff.loc[(name, metric)]
            if drawn is not None:
                u = drawn.loc[(name, metric)]
                effect, low, high, p = u.difference_over_draws, u.uncertainty_low, u.uncertainty_high, \
                    u.probability_of_benefit
                interval = f"95% uncertainty interval ({comparison.uncertainty})"
            else:
                effect, low, high, p = d.difference, d.ci_low, d.ci_high, np.nan
                interval = "95% interval of the mean, chance only"
            rows.append({"scenario": name, "metric": metric, "base": d.base_mean, "effect": effect, "low": low,
                         "high": high, "interval": interval, "probability_of_benefit": p,
                         "reading": verdict(metric, low, high)})
    return pd.DataFrame(rows)


def level_text(value: float, metric: str, horizon: float) -> str:
    """A level in words; a Kaplan-Meier median at the horizon is censored, so it is said to be not reached."""
    if metric == "median_years_to_reunion" and value >= horizon - 1e-9:
        return f"not reached within {horizon:g} years"
    return fmt_value(value, metric)


def _cell(row) -> str:
    text = f"{fmt_diff(row.effect, row.metric)} [{fmt_diff(row.low, row.metric)}, {fmt_diff(row.high, row.metric)}]"
    if np.isfinite(row.probability_of_benefit):
        text += f"; P(benefit) {row.probability_of_benefit:.2f}"
    return text


def plain_summary(comparison, cells: pd.DataFrame) -> list[str]:
    """One sentence per scenario: what it improves, what it worsens, with the interval that was computed."""
    base = human(comparison.base.scenario.name)
    items = []
    for other in comparison.others:
        name = other.scenario.name
        mine = cells[(cells["scenario"] == name) & cells["metric"].isin(SUMMARY_OUTCOMES)]
        parts = {"better": [], "worse": []}
        for row in mine.itertuples():
            if row.reading in parts:
                chance = (f", probability of benefit {row.probability_of_benefit:.0%}"
                          if np.isfinite(row.probability_of_benefit) else "")
                parts[row.reading].append(f"{label(row.metric).lower()} {fmt_diff(row.effect, row.metric)} "
                                          f"({fmt_diff(row.low, row.metric)} to {fmt_diff(row.high, row.metric)}"
                                          f"{chance})")
        text = f"{human(name)}, compared with {base}: "
        text += ("better on " + "; ".join(parts["better"])) if parts["better"] else "no clear improvement"
        text += (". Worse on " + "; ".join(parts["worse"])) if parts["worse"] else ""
        items.append(text + ".")
    return items


def subgroup_differences(comparison, stage: str = SUBGROUP_STAGE) -> pd.DataFrame:
    """Paired difference in the end share in ``stage`` by subgroup level, with its 95% interval over replicates."""
    base = comparison.base.subgroups
    base = base[(base["stage"] == stage) & base["subgroup"].isin(SUBGROUPS)]
    key = ["replicate", "subgroup", "level"]
    rows = []
    for other in comparison.others:
        theirs = other.subgroups
        theirs = theirs[(theirs["stage"] == stage) & theirs["subgroup"].isin(SUBGROUPS)]
        pairs = base.merge(theirs, on=key, suffixes=("_base", "_scenario"))
        for (subgroup, level), g in pairs.groupby(["subgroup", "level"], sort=False):
            d = (g["share_end_scenario"] - g["share_end_base"]).to_numpy(float)
            d = d[np.isfinite(d)]
            mean, low, high = mean_interval(d, CONFIDENCE)
            rows.append({"scenario": other.scenario.name, "subgroup": subgroup, "level": level,
                         "people": float(g["people_base"].mean()), "base_share": float(g["share_end_base"].mean()),
                         "difference": mean, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=["scenario", "subgroup", "level", "people", "base_share", "difference",
                                       "ci_low", "ci_high"])


def summary_blocks(comparison) -> list[tuple]:
    """Report blocks of the first screen (see recoverysim.report.build_blocks for the block kinds)."""
    cells = effect_cells(comparison)
    base = comparison.base.scenario
    horizon = float(base["run.years"])
    names = [o.scenario.name for o in comparison.others]
    interval = cells["interval"].iloc[0] if len(cells) else ""
    table = []
    for metric in SUMMARY_OUTCOMES:
        outcome = OUTCOMES[metric]
        better = {"higher": "higher is better", "lower": "lower is better"}.get(outcome.better, "")
        unit = "percentage points for differences" if outcome.unit == "share" else outcome.unit
        row = [f"{label(metric)} ({unit}{'; ' + better if better else ''})",
               level_text(float(comparison.base.headlines[metric].mean()), metric, horizon)]
        for name in names:
            row.append(_cell(cells[(cells["scenario"] == name) & (cells["metric"] == metric)].iloc[0]))
        table.append(row)
    blocks: list[tuple] = [
        ("h2", "Summary for decision-makers"),
        ("p", f"What each scenario changes compared with {human(base.name)} over {horizon:g} years, for "
              f"{base['population.size']:,} simulated people in contact with mental health services. Each effect "
              f"is the scenario minus the base; the brackets give the {interval}. "
              + ("The probability of benefit is the share of uncertainty draws in which the scenario did better."
                 if comparison.effects is not None else
                 "These intervals do not include uncertainty about parameter values or reform strengths: run "
                 "compare with --posterior FILE --draws K for that.")),
        ("ul", plain_summary(comparison, cells)),
        ("table", "summary", ["Outcome", f"Level now ({human(base.name)})", *map(human, names)], table),
    ]
    blocks += _cost_blocks(comparison, cells)
    sub = subgroup_differences(comparison)
    if not sub.empty:
        blocks += [
            ("h3", "Who gains: share in reunion at the end, by subgroup"),
            ("p", "Paired difference in each subgroup's share in reunion at the end (percentage points), with the "
                  "95% interval of the mean over replicates (chance only). Subgroups are small, so their intervals "
                  "are wider than the whole population's."),
            ("table", "subgroups", ["Scenario", "Subgroup", "People (mean)", "Base share", "Difference",
                                    "95% interval"],
             [[human(r.scenario), f"{r.subgroup}: {r.level}", f"{r.people:,.0f}", f"{100 * r.base_share:.1f}%",
               f"{100 * r.difference:+.1f} pp", f"[{100 * r.ci_low:+.1f}, {100 * r.ci_high:+.1f}] pp"]
              for r in sub.itertuples()]),
        ]
    return blocks


#: What one unit of each cost-effectiveness effect is, for readers (cost_effectiveness.EFFECTS).
EFFECT_WORDS = {"reunion": "additional person in reunion", "coercive_episodes_averted": "coercive episode averted",
                "bed_days_averted": "bed-day avoided"}
STATUS_WORDS = {"dominant": "saves money and does better", "dominated": "costs more and does worse",
                "no effect": "no difference in effect"}


def _yen(v: float) -> str:
    return "n/a" if not np.isfinite(v) else f"{v:+,.0f} yen"


def _cost_blocks(comparison, cells: pd.DataFrame) -> list[tuple]:
    """Net cost per person-year and cost per unit of each effect (computed by compare.write_comparison)."""
    table = comparison.cost_effectiveness
    if table is None or table.empty:
        return []
    rows = []
    for other in comparison.others:
        name = other.scenario.name
        cost = cells[(cells["scenario"] == name) & (cells["metric"] == "cost_per_person_year")].iloc[0]
        row = [human(name), f"{_yen(cost.effect)} [{_yen(cost.low)}, {_yen(cost.high)}]"]
        for effect in EFFECT_WORDS:
            r = table[(table["scenario"] == name) & (table["effect"] == effect)]
            if r.empty:
                row.append("-")
                continue
            r = r.iloc[0]
            if r.status in ("ratio", "cheaper, less effective") and np.isfinite(r.cost_per_unit):
                text = f"{r.cost_per_unit:,.0f} yen"
                row.append(text if r.status == "ratio" else f"saves {text} per unit given up")
            else:
                row.append(STATUS_WORDS.get(r.status, str(r.status)))
        rows.append(row)
    return [
        ("h3", "Costs"),
        ("p", "Discounted cost per person-year, scenario minus base (all services and the reforms' programmes; "
              "docs/costs.md), and the cost per unit of each effect: the mean difference in cost divided by the "
              "mean difference in effect, or a word where that ratio means nothing. The acceptability curves "
              "(ceac.png) show how the chance of being cost-effective depends on what a unit is worth."),
        ("table", "costs", ["Scenario", "Net cost per person-year", *(f"per {w}" for w in EFFECT_WORDS.values())],
         rows),
    ]
