"""Reproduce the measurements of issue 12 on the Japan baseline (the "first failing test" before a rebuild).

Every variant of a replicate shares that replicate's seed (common random numbers), and all the 10-year variants
are stepped together in one batch. Intervals are 95% t intervals over replicates: Monte Carlo only, not
parameter or structural uncertainty.

    .venv/bin/python benchmarks/model_diagnostics.py [--population N] [--replications R] [--quick] [--out CSV]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recoverysim.calibration.validate import replicate_statistics
from recoverysim.codes import DISCONTINUITY, INVOLUNTARY
from recoverysim.hospital import beds
from recoverysim.intervals import mean_interval
from recoverysim.parameters import LOOPS, WEEKS_PER_YEAR
from recoverysim.scenario import load_scenario
from recoverysim.seeds import replicate_seed
from recoverysim.simulation import simulate_together

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
BASELINE = "japan_baseline"

#: The 10-year variants: name -> (scenario file, overrides).
VARIANTS = {
    "baseline": (BASELINE, {}),
    "coercion_trauma_off": (BASELINE, {"loops.coercion_trauma": False}),
    "beds_0": (BASELINE, {"levers.bed_capacity": 0.0}),
    "coercion_0": (BASELINE, {"levers.coercion": 0.0}),
    "coercion_1": (BASELINE, {"levers.coercion": 1.0}),
    "peer_availability_1": (BASELINE, {"levers.peer_availability": 1.0}),
    "crisis_advocacy": ("crisis_advocacy", {}),
    "trauma_informed_care": ("trauma_informed_care", {}),
    "community_based_system": ("community_based_system", {}),
    **{f"loop_{loop}_off": (BASELINE, {f"loops.{loop}": False}) for loop in LOOPS},
}
#: Headline outcomes read for each loop switched off (item 7 of the issue: every loop matters somewhere).
LOOP_OUTCOMES = ("share_reunion_end", "crises_per_1000_person_years", "coercive_episodes_per_1000_person_years",
                 "involuntary_share_of_admissions", "peer_workers_per_1000_end", "bed_occupancy")


# --- diagnostics of one replicate's weekly table (hand-checkable; tests/test_model_diagnostics.py) -----------


def beds_of(scenario) -> int:
    """Whole beds of a run, as the crisis pathway counts them (hospital.beds)."""
    return int(beds(scenario["levers.bed_capacity"], scenario["population.size"]))


def turned_away_share(ts: pd.DataFrame) -> float:
    """Share of crises that needed a bed and found none: bed_shortage / (admissions + bed_shortage)."""
    flows = ts[ts["week"] > 0]
    short = float(flows["bed_shortage"].sum())
    needed = float(flows["admissions_voluntary"].sum() + flows["admissions_involuntary"].sum()) + short
    return short / needed if needed else float("nan")


def full_week_share(ts: pd.DataFrame, beds: int) -> float:
    """Share of weeks ending with every bed occupied (NaN without beds)."""
    if beds <= 0:
        return float("nan")
    return float((ts.loc[ts["week"] > 0, "in_hospital"] >= beds).mean())


def mean_occupancy(ts: pd.DataFrame, beds: int, after_week: int = 0) -> float:
    """Mean share of beds occupied at the end of the weeks after ``after_week``."""
    if beds <= 0:
        return float("nan")
    return float(ts.loc[ts["week"] > after_week, "in_hospital"].mean() / beds)


def share_at_year(ts: pd.DataFrame, column: str, year: int, size: int) -> float:
    """``column`` (a stage count or peer_workers) at the end of ``year`` as a share of the population."""
    return float(ts.loc[ts["week"] == year * WEEKS_PER_YEAR, column].iloc[0]) / size


def involuntary_share(ts: pd.DataFrame, after_week: int) -> float:
    """Involuntary share of the admissions after ``after_week``."""
    flows = ts[ts["week"] > after_week]
    invol = float(flows["admissions_involuntary"].sum())
    total = invol + float(flows["admissions_voluntary"].sum())
    return invol / total if total else float("nan")


def in_stay_coercion_per_inpatient_week(ts: pd.DataFrame, after_week: int) -> float:
    """Coercive episodes started later in a stay per inpatient-week, after ``after_week``."""
    flows = ts[ts["week"] > after_week]
    return float(flows["coercive_episodes_in_stay"].sum()) / float(flows["in_hospital"].sum())


def stage_at_episode(stage_before: np.ndarray, crises: np.ndarray, response: np.ndarray,
                     coerced: np.ndarray) -> np.ndarray:
    """Stage of each coerced person when the episode begins, from their stage before the week.

    People coerced at admission this week have already had the crisis setback (involuntary admission to
    discontinuity, otherwise one stage down: crisis_pathway.setbacks); people coerced later in a stay have the
    stage they started the week with (stage moves come after the crisis pathway).
    """
    stage = stage_before[coerced].astype(np.int64)
    position = {int(p): k for k, p in enumerate(crises)}
    for j, person in enumerate(coerced):
        k = position.get(int(person))
        if k is not None:
            stage[j] = DISCONTINUITY if response[k] == INVOLUNTARY else max(stage[j] - 1, 0)
    return stage


@dataclass
class RetraumatisationTally:
    """Re-traumatisations of one run, and how many fell on people already in discontinuity."""

    events: int = 0
    before_week: int = 0  # in discontinuity at the start of the week
    at_episode: int = 0  # in discontinuity when the episode began (after the crisis setback)

    def share(self, which: str) -> float:
        """Share of events in discontinuity ``before_week`` or ``at_episode``."""
        return getattr(self, which) / self.events if self.events else float("nan")


def tally_retraumatisations(tally: RetraumatisationTally, stage_before: np.ndarray, crises: np.ndarray,
                            response: np.ndarray, coerced: np.ndarray, retraumatised: np.ndarray) -> None:
    """Add one week's re-traumatisations (person indices, all of one run) to ``tally``."""
    tally.events += retraumatised.size
    tally.before_week += int((stage_before[retraumatised] == DISCONTINUITY).sum())
    hit = np.isin(coerced, retraumatised)
    tally.at_episode += int((stage_at_episode(stage_before, crises, response, coerced[hit]) == DISCONTINUITY).sum())


# --- running the variants ---------------------------------------------------------------------------------


def scenario_of(name: str, overrides: dict, population: int, years: int | None = None):
    """A shipped scenario with the variant's overrides, at this population size (and horizon)."""
    values = {"population.size": population, **overrides}
    if years is not None:
        values["run.years"] = years
    return load_scenario(SCENARIOS / f"{name}.toml").with_overrides(values)


class RetraumatisationWatcher:
    """An ``on_step`` hook: reads the stage before each week and the week's re-traumatisations per run."""

    def __init__(self, runs: list[int]):
        self.tallies = {run: RetraumatisationTally() for run in runs}
        self._stage_before: np.ndarray | None = None

    def __call__(self, model) -> None:
        before = model.initial_stage if self._stage_before is None else self._stage_before
        c = model.week_events.crisis
        for run, tally in self.tallies.items():
            mine = model.people_of(run)
            in_run = [a[(a >= mine.start) & (a < mine.stop)] for a in (c.crises, c.coerced, c.retraumatised)]
            response = c.response[(c.crises >= mine.start) & (c.crises < mine.stop)]
            tally_retraumatisations(tally, before, in_run[0], response, in_run[1], in_run[2])
        self._stage_before = model.population.stage.copy()


def run_variants(population: int, replicates: int, root_seed: int):
    """All 10-year variants x replicates in one batch; results[variant] is a list over replicates."""
    jobs, names = [], []
    for name, (file, overrides) in VARIANTS.items():
        scenario = scenario_of(file, overrides, population)
        for r in range(replicates):
            jobs.append((scenario, replicate_seed(root_seed, r), r))
            names.append(name)
    watcher = RetraumatisationWatcher([k for k, n in enumerate(names) if n == "baseline"])
    runs = simulate_together(jobs, on_step=watcher)
    results: dict[str, list] = {n: [] for n in VARIANTS}
    for name, run in zip(names, runs, strict=True):
        results[name].append(run)
    scenarios = {name: scenario_of(file, overrides, population) for name, (file, overrides) in VARIANTS.items()}
    return results, scenarios, list(watcher.tallies.values())


def interval(values) -> str:
    """``mean [low, high]`` over replicates, with 3 significant digits."""
    mean, low, high = mean_interval(np.asarray(values, float))
    return f"{mean:.3g} [{low:.3g}, {high:.3g}]"


def percent(values) -> str:
    """The same for shares, in percent."""
    mean, low, high = mean_interval(100 * np.asarray(values, float))
    return f"{mean:.1f}% [{low:.1f}, {high:.1f}]"


def drift_rows(population: int, replicates: int, root_seed: int, years: int) -> list[tuple[str, str, str, str]]:
    """The no-reform drift of the baseline over ``years``: reunion share and peer workforce."""
    scenario = scenario_of(BASELINE, {}, population, years)
    runs = simulate_together([(scenario, replicate_seed(root_seed, r), r) for r in range(replicates)])
    setting = f"japan_baseline, {population:,} people, {years} years"
    rows = []
    for year in (y for y in (0, 10, 20, 50) if y <= years):
        issue = {0: "15%", 10: "20%", 20: "30%", 50: "44%"}[year]
        rows.append((f"share in reunion, year {year}", issue,
                     percent([share_at_year(r.timeseries, "reunion", year, population) for r in runs]), setting))
    for year, issue in ((0, "0.8"), (years, "24 (year 50)")):
        rows.append((f"peer workers per 1,000, year {year}", issue,
                     interval([1000 * share_at_year(r.timeseries, "peer_workers", year, population) for r in runs]),
                     setting))
    return rows


def ten_year_rows(population: int, replicates: int, root_seed: int) -> list[tuple[str, str, str, str]]:
    """Every 10-year diagnostic of the issue."""
    results, scenarios, tallies = run_variants(population, replicates, root_seed)
    base, sc = results["baseline"], scenarios["baseline"]
    setting = f"{population:,} people, 10 years"
    h = {name: (lambda metric, runs=runs: [r.headline[metric] for r in runs]) for name, runs in results.items()}
    beds = beds_of(sc)
    rows = [
        ("weeks with every bed full (baseline)", "100%", percent([full_week_share(r.timeseries, beds) for r in base]),
         f"japan_baseline, {beds} beds, {setting}"),
        ("mean bed occupancy (baseline)", "100%", percent([mean_occupancy(r.timeseries, beds) for r in base]),
         f"japan_baseline, {setting}"),
        ("crises needing a bed turned away (baseline)", "~30%", percent([turned_away_share(r.timeseries)
                                                                        for r in base]),
         f"japan_baseline, {setting}"),
    ]
    coercive = "coercive_episodes_per_1000_person_years"
    rows += [("coercive episodes per 1,000 PY, coercion_trauma on", "394", interval(h["baseline"](coercive)),
              f"japan_baseline, {setting}"),
             ("coercive episodes per 1,000 PY, coercion_trauma off", "393",
              interval(h["coercion_trauma_off"](coercive)), f"loops.coercion_trauma=false, {setting}")]
    reunion = "share_reunion_end"
    for label, variant, issue in (("levers.bed_capacity=0", "beds_0", "higher than default"),
                                  ("levers.coercion=0", "coercion_0", ""), ("levers.coercion=1", "coercion_1", "")):
        rows.append((f"share in reunion at year 10, {label}", issue, percent(h[variant](reunion)),
                     f"{label}, {setting}"))
    rows.append(("share in reunion at year 10, default", "", percent(h["baseline"](reunion)), setting))
    differences = {
        "beds 0 minus default": np.subtract(h["beds_0"](reunion), h["baseline"](reunion)),
        "coercion 0 minus coercion 1": np.subtract(h["coercion_0"](reunion), h["coercion_1"](reunion)),
    }
    for label, diff in differences.items():
        rows.append((f"reunion share difference (pp), {label}", "< 1 pp" if "coercion" in label else "> 0",
                     interval(100 * diff), f"paired by seed, {setting}"))
    rows += [("re-traumatisations on people in discontinuity when the episode began", "92%",
              percent([t.share("at_episode") for t in tallies]), f"japan_baseline, {setting}"),
             ("re-traumatisations on people in discontinuity at the start of that week", "92%",
              percent([t.share("before_week") for t in tallies]), f"japan_baseline, {setting}")]
    rows += reform_rows(results, scenarios, setting)
    rows.append(("peer workers per 1,000 at year 10, levers.peer_availability=1", "0.17",
                 interval(h["peer_availability_1"]("peer_workers_per_1000_end")),
                 f"levers.peer_availability=1, {setting}"))
    rows.append(("peer workers per 1,000 at year 10, baseline", "",
                 interval(h["baseline"]("peer_workers_per_1000_end")), f"japan_baseline, {setting}"))
    rows.append(("japan_baseline: restraint per million per day (for scale)", "",
                 interval(h["baseline"]("restraint_per_million_per_day")), f"japan_baseline, {setting}"))
    rows += community_rows(results["community_based_system"], scenarios["community_based_system"], replicates,
                           setting)
    rows += loop_rows(h, setting)
    return rows


def loop_rows(h, setting: str) -> list[tuple[str, str, str, str]]:
    """Each loop switched off minus the baseline, paired by seed, on the outcomes of ``LOOP_OUTCOMES``."""
    rows = []
    for loop in LOOPS:
        for metric in LOOP_OUTCOMES:
            diff = np.subtract(h[f"loop_{loop}_off"](metric), h["baseline"](metric))
            scale = 100 if metric in ("share_reunion_end", "involuntary_share_of_admissions", "bed_occupancy") else 1
            unit = " (pp)" if scale == 100 else ""
            rows.append((f"loops.{loop}=false minus baseline: {metric}{unit}", "visible for some outcome",
                         interval(scale * diff), f"paired by seed, {setting}"))
    return rows


def reform_rows(results, scenarios, setting: str) -> list[tuple[str, str, str, str]]:
    """Crisis advocacy's involuntary share and trauma-informed care's coercion ratio once fully ramped up.

    Beside each, what the proximal effect alone would give (coverage x effect on those reached, nothing else
    changing): the measured value differs by what the mechanisms add (mistrust, trauma, who is admitted).
    """
    def proximal_ratio(reform) -> float:  # the share covered gets the effect, the rest is unchanged
        return 1 - reform.coverage * (1 - reform.effect)

    rows = []
    full = {}
    for name in ("crisis_advocacy", "trauma_informed_care"):
        reform = scenarios[name].reforms[0]
        full[name] = (reform, int((reform.start_year + reform.ramp_years) * WEEKS_PER_YEAR))
    reform, after = full["crisis_advocacy"]
    base = [involuntary_share(r.timeseries, after) for r in results["baseline"]]
    proximal = float(np.mean(base)) * proximal_ratio(reform)
    rows.append(("involuntary share of admissions after the ramp, baseline", "0.60 (formula 0.600)",
                 interval(base), f"japan_baseline, years {after // WEEKS_PER_YEAR}-10, {setting}"))
    rows.append(("involuntary share of admissions after the ramp, crisis_advocacy",
                 f"0.40 (formula 0.400); proximal effect alone {proximal:.3f}",
                 interval([involuntary_share(r.timeseries, after) for r in results["crisis_advocacy"]]),
                 f"crisis_advocacy, coverage {reform.coverage:g} x RR {reform.effect:g}, years "
                 f"{after // WEEKS_PER_YEAR}-10, {setting}"))
    reform, after = full["trauma_informed_care"]
    per_week = {name: [in_stay_coercion_per_inpatient_week(r.timeseries, after) for r in results[name]]
                for name in ("trauma_informed_care", "baseline")}
    ratio = np.divide(per_week["trauma_informed_care"], per_week["baseline"])
    rows.append(("in-stay coercion per inpatient-week, trauma_informed_care / baseline",
                 f"x0.625 (formula); proximal effect alone x{proximal_ratio(reform):.3f}",
                 interval(ratio), f"paired by seed, coverage {reform.coverage:g} x rate ratio {reform.effect:g}, "
                 f"years {after // WEEKS_PER_YEAR}-10, {setting}"))
    return rows


def community_rows(runs, scenario, replicates: int, setting: str) -> list[tuple[str, str, str, str]]:
    """Length of stay, bed occupancy and restraint of ``community_based_system``."""
    stats = [s["metrics"] for s in replicate_statistics(scenario, range(replicates), curves=False)]
    beds = beds_of(scenario)
    where = f"community_based_system, {setting}"
    return [
        ("community_based_system: length of stay, MHLW formula (days)", "95",
         interval([s["alos_mhlw_days"] for s in stats]), where),
        ("community_based_system: mean length of completed stays (days)", "",
         interval([r.headline["mean_length_of_stay_days"] for r in runs]), where),
        ("community_based_system: mean bed occupancy", "~50%",
         percent([mean_occupancy(r.timeseries, beds) for r in runs]), f"{beds} beds, {where}"),
        ("community_based_system: restraint per million per day", "~100x Australia",
         interval([r.headline["restraint_per_million_per_day"] for r in runs]), where),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the diagnostics and print (and optionally write) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=5000)
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--drift-population", type=int, default=None,
                        help="people in the 50-year drift run (default: --population)")
    parser.add_argument("--drift-years", type=int, default=50)
    parser.add_argument("--seed", type=int, default=None, help="root seed (default: the baseline's run.seed)")
    parser.add_argument("--quick", action="store_true", help="1,000 people, 2 replicates, drift 500 people")
    parser.add_argument("--out", type=Path, help="also write the table as CSV here")
    args = parser.parse_args(argv)
    if args.quick:
        args.population, args.replications, args.drift_population = 1000, 2, 500
    seed = load_scenario(SCENARIOS / f"{BASELINE}.toml")["run.seed"] if args.seed is None else args.seed
    command = ".venv/bin/python benchmarks/model_diagnostics.py " + shlex.join(argv if argv is not None
                                                                               else sys.argv[1:])
    start = time.perf_counter()
    rows = drift_rows(args.drift_population or args.population, args.replications, seed, args.drift_years)
    rows += ten_year_rows(args.population, args.replications, seed)
    table = pd.DataFrame(rows, columns=["quantity", "issue", "measured", "setting"])
    table["command"] = command.strip()
    with pd.option_context("display.max_colwidth", 90, "display.width", 250):
        print(table.drop(columns="command").to_string(index=False))
    print(f"\n{args.replications} replicates, common random numbers; intervals: 95% t over replicates (Monte Carlo "
          f"only). {time.perf_counter() - start:.0f} s. Command: {command.strip()}")
    if args.out:
        table.to_csv(args.out, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
