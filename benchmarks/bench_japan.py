"""All of Japan at 1:1: the Japan baseline with one simulated person per service user, timed in a fresh process.

The issue's target: about 4.2 million people in contact with mental health services (MHLW Patient Survey 2017:
4.193 million) for 20 years, in at most 5 minutes and 4 GB on 2 cores. The run includes the scenario's spin-up
(``run.spin_up_years``) unless ``--spin-up`` says otherwise, and reports both parts.

    .venv/bin/python benchmarks/bench_japan.py [--population 4193000] [--years 20] [--spin-up YEARS] [--pilot-size N]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from recoverysim.model import RecoveryModel
from recoverysim.parameters import WEEKS_PER_YEAR
from recoverysim.scenario import load_scenario
from recoverysim.spin_up import pilot_applies

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "japan_baseline.toml"


def main(argv: list[str] | None = None) -> int:
    """Run the Japan baseline once at the given size and print wall time, weeks per second and peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=4_193_000)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--spin-up", type=int, default=None, help="spin-up years (default: the scenario's)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pilot-size", type=int, default=None,
                        help="run.spin_up_pilot_size (default: the scenario's; 5000000 turns the pilot off)")
    args = parser.parse_args(argv)
    overrides = {"population.size": args.population, "run.years": args.years}
    if args.spin_up is not None:
        overrides["run.spin_up_years"] = args.spin_up
    if args.pilot_size is not None:
        overrides["run.spin_up_pilot_size"] = args.pilot_size
    scenario = load_scenario(BASELINE, overrides)
    start = time.perf_counter()
    model = RecoveryModel(scenario, rng=args.seed, materialise_agents=False, record_barrier_means=False)
    spun = time.perf_counter()
    model.run()
    done = time.perf_counter()
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    spin_weeks = model.spin_up_weeks  # stepped at full size, after any pilot (recoverysim/spin_up.py)
    run = scenario.params.run
    pilot = (f"a pilot of {run.spin_up_pilot_size:,} people for {run.spin_up_years - spin_weeks // WEEKS_PER_YEAR} "
             "years, then " if pilot_applies(model.params) else "")
    print(f"japan_baseline, {args.population:,} people: spin-up ({pilot}{spin_weeks // WEEKS_PER_YEAR} years at "
          f"full size) in {spun - start:.1f} s (creation included), then {args.years} years in {done - spun:.1f} s; "
          f"total {done - start:.1f} s ({(done - start) / 60:.1f} min); "
          f"{args.population * model.weeks / (done - spun) / 1e6:.2f} million person-weeks/s after the spin-up; "
          f"peak resident memory {peak_gb:.2f} GB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
