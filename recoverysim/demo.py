"""``make demo``: the flagship comparison, the Japan baseline against every reform, both packages and all reforms.

Runs ``japan_baseline`` and nine reform scenarios on common random numbers at a size that finishes in a few
minutes on two cores, writes ``results/demo/`` (report.html, report.md, differences.csv, runs/, figures/)
and prints a short headline table. ``python -m recoverysim.demo --help`` lists the knobs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from recoverysim.errors import RecoverysimError
from recoverysim.parameters import command_default

BASE = "japan_baseline"
#: The posterior ensemble of the base, shipped with the project (recoverysim calibrate --method abc).
POSTERIOR = Path(__file__).resolve().parent.parent / "data" / "posterior" / "japan_baseline.json"
REFORM_SCENARIOS = ("trauma_informed_care", "crisis_advocacy", "community_network_care", "personalised_goals",
                    "inclusive_design", "open_community", "organisational_change", "social_cultural_change",
                    "all_reforms")
#: Headline outcomes printed to the terminal (the report has all of them).
SHOWN = ("share_reunion_end", "involuntary_share_of_admissions", "coercive_episodes_per_1000_person_years",
         "bed_days_per_person_year")
SHORT = {"share_reunion_end": "reunion at end", "involuntary_share_of_admissions": "involuntary share",
         "coercive_episodes_per_1000_person_years": "coercion /1000py", "bed_days_per_person_year": "bed-days /py"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options of the demo (defaults: the measured few-minute size)."""
    p = argparse.ArgumentParser(prog="python -m recoverysim.demo", description=__doc__)
    p.add_argument("--out", default="results/demo", help="results folder (default results/demo)")
    p.add_argument("--population", type=int, default=command_default("demo.population"),
                   help="people per scenario (default %(default)s)")
    p.add_argument("--years", type=int, default=command_default("demo.years"),
                   help="years simulated (default %(default)s)")
    p.add_argument("--replications", type=int, default=command_default("demo.replications"),
                   help="replicates per scenario (default %(default)s)")
    p.add_argument("--seed", type=int, default=None, help="root seed (default: the baseline's run.seed)")
    p.add_argument("--posterior", default=str(POSTERIOR),
                   help="posterior ensemble whose draws every scenario also runs (default: the shipped one)")
    p.add_argument("--draws", type=int, default=command_default("demo.draws"),
                   help="uncertainty draws per scenario (default %(default)s)")
    p.add_argument("--no-posterior", action="store_true",
                   help="chance-only intervals: no posterior draws, no reform-effect draws")
    p.add_argument("--workers", type=int, default=0, help="worker processes (default 0 = all CPUs)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def headline(comparison) -> str:
    """A compact table: one row per scenario, effect and interval for a few outcomes (uncertainty draws if run)."""
    from recoverysim.compare import fmt_diff
    from recoverysim.report_summary import effect_cells

    # The same effect and interval as the report's first screen: over the uncertainty draws if there are any.
    table = effect_cells(comparison).set_index(["scenario", "metric"])
    width = 26
    lines = [f"{'scenario vs ' + comparison.base.scenario.name:{width}s}"
             + "".join(f"{SHORT[m]:>34s}" for m in SHOWN)]
    for other in comparison.others:
        cells = []
        for m in SHOWN:
            r = table.loc[(other.scenario.name, m)]
            mark = "" if r.low <= 0 <= r.high else "*"
            cells.append(f"{fmt_diff(r.effect, m)} [{fmt_diff(r.low, m)}, {fmt_diff(r.high, m)}]{mark}".rjust(34))
        lines.append(f"{other.scenario.name:{width}s}" + "".join(cells))
    what = (f"95% uncertainty intervals over the draws ({comparison.uncertainty})" if comparison.effects is not None
            else "95% intervals (chance only)")
    lines.append(f"Paired differences (scenario minus baseline) with {what}; * = interval excludes 0. "
                 "pp = percentage points.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the demo comparison; returns an exit code."""
    from recoverysim.compare import compare_to_folder, default_workers, resolve_scenario
    from recoverysim.scenario import load_scenario

    args = parse_args(argv)
    try:
        overrides = {"population.size": args.population, "run.years": args.years}
        scenarios = [load_scenario(resolve_scenario(n), overrides) for n in (BASE, *REFORM_SCENARIOS)]
        workers = default_workers() if args.workers <= 0 else args.workers
        posterior = None
        if not args.no_posterior:
            from recoverysim.calibration.posterior import load_posterior

            posterior = load_posterior(args.posterior)
        draws = f", {args.draws} posterior draws" if posterior is not None else ""
        print(f"recoverysim demo: {BASE} vs {len(REFORM_SCENARIOS)} reform scenarios, {args.population:,} people, "
              f"{args.years} years, {args.replications} replicates{draws}, {workers} worker(s)", file=sys.stderr)
        start = time.perf_counter()
        out = Path(args.out)
        comparison = compare_to_folder(scenarios, out, args.replications, args.seed, progress=not args.quiet,
                                       workers=workers, command=["python", "-m", "recoverysim.demo", *(argv or [])],
                                       posterior=posterior, draws=args.draws if posterior is not None else None)
    except RecoverysimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(headline(comparison))
    print(f"\nFinished in {time.perf_counter() - start:.0f} s. Open the report: {out / 'report.html'}")
    print(f"(also {out / 'report.md'}, {out / 'differences.csv'}, {out / 'runs'}/<scenario>/)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
