"""Loop dominance: how much each feedback loop contributes to the headline outcomes, year by year.

Each replicate of the scenario is run once as it is and once with each loop switched off, on the same seed
(common random numbers), so the paired difference is that loop's doing and not chance. A loop's
contribution to an outcome in year y is the mean over replicates of (outcome with every loop as in the
scenario) minus (outcome with that loop off), with a paired 95% t interval. The loop with the largest
absolute contribution dominates that year; it is *clear* when its interval excludes zero.

Yearly outcomes follow the headline definitions (``metrics.headline``) restricted to one year's weeks: shares
and the peer workforce at the year's end, rates over the year's person-years.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from recoverysim.intervals import mean_interval
from recoverysim.outcomes import OUTCOMES
from recoverysim.parameters import DAYS_PER_WEEK, LOOPS, WEEKS_PER_YEAR
from recoverysim.seeds import replicate_seed
from recoverysim.simulation import batches, simulate_together

BASELINE = "as in the scenario"
#: Dominant loop of a year in which no loop changes the outcome at all.
NONE = "none"
#: Headline outcomes followed year by year: name -> (timeseries column(s), kind).
YEARLY: dict[str, tuple[tuple[str, ...], str]] = {
    "share_reunion_end": (("reunion",), "share at year end"),
    "share_discontinuity_end": (("discontinuity",), "share at year end"),
    "crises_per_1000_person_years": (("crises",), "per 1,000 person-years"),
    "admissions_per_1000_person_years": (("admissions_voluntary", "admissions_involuntary"),
                                         "per 1,000 person-years"),
    "coercive_episodes_per_1000_person_years": (("coercive_episodes",), "per 1,000 person-years"),
    "retraumatisations_per_1000_person_years": (("retraumatisations",), "per 1,000 person-years"),
    "bed_days_per_person_year": (("in_hospital",), "bed-days per person-year"),
    "peer_workers_per_1000_end": (("peer_workers",), "per 1,000 at year end"),
}


def yearly_outcomes(timeseries: pd.DataFrame, size: int) -> pd.DataFrame:
    """One replicate's yearly outcomes (rows: year 1..years; columns: ``YEARLY``) from its weekly table."""
    ts = timeseries.set_index("week")
    years = int(ts.index.max()) // WEEKS_PER_YEAR
    rows = []
    for year in range(1, years + 1):
        weeks = ts.loc[(year - 1) * WEEKS_PER_YEAR + 1: year * WEEKS_PER_YEAR]
        end = ts.loc[year * WEEKS_PER_YEAR]
        row = {"year": year}
        for name, (columns, kind) in YEARLY.items():
            if kind == "share at year end":
                row[name] = float(end[columns[0]]) / size
            elif kind == "per 1,000 at year end":
                row[name] = float(end[columns[0]]) * 1000 / size
            elif kind == "bed-days per person-year":
                row[name] = float(weeks[columns[0]].sum()) * DAYS_PER_WEEK / size
            else:  # a year of flows over `size` person-years
                row[name] = float(weeks[list(columns)].to_numpy().sum()) * 1000 / size
        rows.append(row)
    return pd.DataFrame(rows)


def variants(scenario) -> dict[str, object]:
    """The scenario as it is, and with each loop that it has on switched off."""
    out = {BASELINE: scenario}
    for loop in LOOPS:
        if scenario[f"loops.{loop}"]:
            out[f"{loop} off"] = scenario.with_overrides({f"loops.{loop}": False})
    return out


def run_paired(scenario, replications: int | None = None, seed: int | None = None) -> pd.DataFrame:
    """Yearly outcomes of every variant and replicate, paired on replicate seeds (long table).

    Columns: variant, replicate, year, then one per ``YEARLY`` outcome. Runs are stepped together in batches.
    """
    replications = replications or scenario.params.run.replications
    root = scenario.params.run.seed if seed is None else seed
    named = list(variants(scenario).items())
    jobs = [(name, s, replicate_seed(root, r), r) for name, s in named for r in range(replications)]
    frames = []
    for chunk in batches([job[1] for job in jobs]):
        results = simulate_together([jobs[i][1:] for i in chunk])
        for i, result in zip(chunk, results, strict=True):
            table = yearly_outcomes(result.timeseries, jobs[i][1].params.population.size)
            table.insert(0, "replicate", result.replicate)
            table.insert(0, "variant", jobs[i][0])
            frames.append(table)
    return pd.concat(frames, ignore_index=True)


def contributions(yearly: pd.DataFrame) -> pd.DataFrame:
    """Each loop's contribution (baseline minus loop off, paired by replicate) per outcome and year.

    Columns: loop, outcome, year, baseline, loop_off, contribution, ci_low, ci_high, replicates.
    """
    outcomes = [c for c in yearly.columns if c not in ("variant", "replicate", "year")]
    base = yearly[yearly["variant"] == BASELINE].set_index(["replicate", "year"]).sort_index()
    rows = []
    for variant in (v for v in yearly["variant"].unique() if v != BASELINE):
        off = yearly[yearly["variant"] == variant].set_index(["replicate", "year"]).sort_index()
        for outcome in outcomes:
            diff = (base[outcome] - off[outcome]).unstack("year")  # replicates x years, aligned on both
            mean, low, high = mean_interval(diff.to_numpy())
            for k, year in enumerate(diff.columns):
                rows.append({"loop": variant.removesuffix(" off"), "outcome": outcome, "year": int(year),
                             "baseline": base[outcome].xs(year, level="year").mean(),
                             "loop_off": off[outcome].xs(year, level="year").mean(),
                             "contribution": mean[k], "ci_low": low[k], "ci_high": high[k],
                             "replicates": diff.shape[0]})
    return pd.DataFrame(rows)


def dominance(contrib: pd.DataFrame) -> pd.DataFrame:
    """Per outcome and year: the loop with the largest absolute contribution, and whether it is clear."""
    rows = []
    for (outcome, year), group in contrib.groupby(["outcome", "year"], sort=False):
        top = group.loc[group["contribution"].abs().idxmax()]
        total = group["contribution"].abs().sum()
        rows.append({"outcome": outcome, "year": int(year), "dominant_loop": top["loop"] if total else NONE,
                     "contribution": top["contribution"],
                     "share_of_loop_effects": abs(top["contribution"]) / total if total else np.nan,
                     "clear": bool(top["ci_low"] > 0 or top["ci_high"] < 0)})
    return pd.DataFrame(rows)


def summary_text(dom: pd.DataFrame) -> str:
    """One line per outcome: which loop dominates in which years ('?': its interval includes zero)."""
    lines = []
    for outcome, group in dom.groupby("outcome", sort=False):
        spans, start = [], None
        g = group.sort_values("year").reset_index(drop=True)
        for k, row in g.iterrows():
            if start is None:
                start = k
            last = k == len(g) - 1
            if last or g.loc[k + 1, "dominant_loop"] != row["dominant_loop"]:
                years = g.loc[start:k]
                first, end = int(years["year"].iloc[0]), int(years["year"].iloc[-1])
                text = f"{'year' if first == end else 'years'} {first}{'' if first == end else f'-{end}'} "
                unclear = [str(y) for y in years.loc[~years["clear"], "year"]]
                if len(unclear) == len(years):
                    text += f"{row['dominant_loop']}?"
                else:
                    text += row["dominant_loop"] + (f" (not clear in {', '.join(unclear)})" if unclear else "")
                spans.append(text)
                start = None
        lines.append(f"{outcome:42s} " + "; ".join(spans))
    return "\n".join(lines)


def dominance_figure(contrib: pd.DataFrame, dom: pd.DataFrame, path: Path) -> Path:
    """One panel per outcome: each loop's contribution by year (band: 95% interval); dots: the dominant loop."""
    from recoverysim.figures import save_figure, subplots
    from recoverysim.loop_diagram import LOOP_COLOURS, loop_name

    outcomes = list(dict.fromkeys(contrib["outcome"]))
    ncol = 4
    nrow = -(-len(outcomes) // ncol)
    fig, axes = subplots(nrow, ncol, figsize=(4.4 * ncol, 3.3 * nrow), squeeze=False, sharex=True)
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        scale = 100 if OUTCOMES[outcome].unit == "share" else 1
        for loop, sub in contrib[contrib["outcome"] == outcome].groupby("loop", sort=False):
            colour = LOOP_COLOURS[loop]
            ax.plot(sub["year"], scale * sub["contribution"], color=colour, marker="o", ms=3,
                    label=f"{loop_name(loop)} {loop}")
            ax.fill_between(sub["year"], scale * sub["ci_low"], scale * sub["ci_high"], color=colour, alpha=0.15,
                            lw=0)
        top = dom[dom["outcome"] == outcome]
        ymax = ax.get_ylim()[1]
        for row in top[top["dominant_loop"] != NONE].itertuples():
            ax.scatter([row.year], [ymax], s=40, marker="s", clip_on=False, color=LOOP_COLOURS[row.dominant_loop],
                       alpha=1.0 if row.clear else 0.3)
        ax.axhline(0, color="#555555", lw=0.8, ls="--")
        unit = "percentage points" if scale == 100 else YEARLY[outcome][1]
        ax.set_title(f"{outcome}\n({unit})", fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(outcomes):]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel("year")
    axes.flat[0].legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(0, 0.93))
    fig.suptitle("Each loop's contribution (outcome with the loop minus without it, paired runs; bands: 95% intervals "
                 "over replicate pairs, Monte Carlo only); squares on top: the dominant loop each year (faint: not "
                 "clear)", fontsize=10)
    return save_figure(fig, path, dpi=110)


def write_dominance(scenario, out: Path, command: list[str] | None = None,
                    replications: int | None = None, force: bool = False) -> dict:
    """Run the paired runs and write contributions.csv, dominance.csv, yearly.csv, the figure and a manifest.

    The output folder is checked (and its temporary sibling made) before anything is simulated.
    """
    from recoverysim.results import atomic_directory, manifest, write_manifest

    replications = replications or scenario.params.run.replications
    start = time.perf_counter()
    with atomic_directory(Path(out), force) as tmp:
        yearly = run_paired(scenario, replications)
        contrib = contributions(yearly)
        dom = dominance(contrib)
        seeds = [replicate_seed(scenario.params.run.seed, r) for r in range(replications)]
        yearly.to_csv(tmp / "yearly.csv", index=False)
        contrib.to_csv(tmp / "contributions.csv", index=False)
        dom.to_csv(tmp / "dominance.csv", index=False)
        dominance_figure(contrib, dom, tmp / "loop_dominance.png")
        write_manifest(tmp, "loop_dominance", {
            **manifest(scenario, seeds, time.perf_counter() - start, command, replications=replications),
            "variants": list(variants(scenario)),
            "intervals": "95% t-intervals of the paired differences over replicates: Monte Carlo uncertainty only"})
    out = Path(out)
    return {"summary": summary_text(dom), "contributions": out / "contributions.csv",
            "dominance": out / "dominance.csv", "yearly": out / "yearly.csv", "figure": out / "loop_dominance.png",
            "manifest": out / "manifest.json"}
