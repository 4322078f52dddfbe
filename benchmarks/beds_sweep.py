"""Why does the Japan baseline recover better with no beds? The beds-0 effect across its assumptions.

With ``levers.bed_capacity = 0`` every crisis that needs a bed is left to the community (``unmet_crises``), at
the assumed cost ``crisis.unmet_crisis_trauma`` to the person; with beds, an admission brings the hospital's
barriers (``barriers.hospital_amplifier``), coercive measures (``levers.coercion``) and long stays. This script
measures the share in reunion at year 10 with no beds minus the default, paired by seed:

1. across ``crisis.unmet_crisis_trauma`` (its assumed range [0, 2]), to show where the sign flips;
2. at the default, with each harm of a stay switched off in both arms, to show which of them makes the gain.

Every arm of a replicate shares its seed (common random numbers) and all arms are stepped in one batch.
Intervals are 95% t intervals over replicate pairs: Monte Carlo only.

    .venv/bin/python benchmarks/beds_sweep.py [--population 5000] [--replications 10] [--out CSV]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from model_diagnostics import BASELINE, scenario_of

from recoverysim.intervals import mean_interval
from recoverysim.seeds import replicate_seed
from recoverysim.simulation import simulate_together

NO_BEDS = {"levers.bed_capacity": 0.0}
#: Values of crisis.unmet_crisis_trauma across its assumed range [0, 2] (default 0.5).
UNMET_TRAUMA = (0.0, 0.5, 1.0, 1.5, 2.0)
#: Harms of a stay, each switched off in both arms (with and without beds).
HARMS = {
    "none switched off": {},
    "no coercive measures (levers.coercion = 0)": {"levers.coercion": 0.0},
    "no hospital barriers (barriers.hospital_amplifier = 0)": {"barriers.hospital_amplifier": 0.0},
    "no long-stay tail (hospital.long_stay_share = 0)": {"hospital.long_stay_share": 0.0},
    "no medication increase (crisis.medication_increase = 0)": {"crisis.medication_increase": 0.0},
}
OUTCOMES = {"share_reunion_end": ("share in reunion, year 10 (pp)", 100.0),
            "crises_per_1000_person_years": ("crises per 1,000 PY", 1.0),
            "deaths_per_1000_person_years": ("deaths per 1,000 PY", 1.0)}


def arms() -> dict[tuple[str, str, bool], dict]:
    """(group, setting, no beds) -> overrides of the baseline, for every arm of the sweep."""
    out = {}
    for u in UNMET_TRAUMA:
        for no_beds in (False, True):
            out[("unmet_crisis_trauma", f"{u:g}", no_beds)] = {
                "crisis.unmet_crisis_trauma": u, **(NO_BEDS if no_beds else {})}
    for label, harm in HARMS.items():
        for no_beds in (False, True):
            out[("harm of a stay", label, no_beds)] = {**harm, **(NO_BEDS if no_beds else {})}
    return out


def distinct_runs(plan: dict[tuple, dict], baseline) -> dict[frozenset, list[tuple]]:
    """Each distinct change to ``baseline`` -> the arms it serves (the baseline's own settings are in both groups).

    An override equal to the baseline's value is no change, so the arm at the default unmet-crisis cost and
    the arm with no harm switched off are one run.
    """
    runs: dict[frozenset, list[tuple]] = {}
    for key, overrides in plan.items():
        change = frozenset((name, value) for name, value in overrides.items() if baseline[name] != value)
        runs.setdefault(change, []).append(key)
    return runs


def paired_differences(population: int, replicates: int, seed: int) -> pd.DataFrame:
    """No beds minus default, per outcome and setting: mean and 95% t interval over replicate pairs."""
    runs = distinct_runs(arms(), scenario_of(BASELINE, {}, population))
    jobs = [(scenario_of(BASELINE, dict(overrides), population), replicate_seed(seed, r), r)
            for overrides in runs for r in range(replicates)]
    headlines = [run.headline for run in simulate_together(jobs)]
    values: dict[tuple, list[dict]] = {}
    for i, served in enumerate(runs.values()):
        for key in served:
            values[key] = headlines[i * replicates:(i + 1) * replicates]
    rows = []
    for (group, setting, no_beds), headlines in values.items():
        if no_beds:
            continue
        without = values[(group, setting, True)]
        row = {"group": group, "setting": setting}
        for metric, (label, scale) in OUTCOMES.items():
            default = np.array([h[metric] for h in headlines], float) * scale
            diff = np.array([h[metric] for h in without], float) * scale - default
            mean, low, high = mean_interval(diff)
            row[f"default: {label}"] = f"{default.mean():.3g}"
            row[f"no beds minus default: {label}"] = f"{mean:+.2f} [{low:+.2f}, {high:+.2f}]"
        unmet = np.mean([h["unmet_crises_per_1000_person_years"] for h in without])
        row["unmet crises per 1,000 PY, no beds"] = f"{unmet:.3g}"
        rows.append(row)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """Run the sweep and print (and optionally write) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=5000)
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--seed", type=int, default=None, help="root seed (default: the baseline's run.seed)")
    parser.add_argument("--out", type=Path, help="also write the table as CSV here")
    args = parser.parse_args(argv)
    seed = scenario_of(BASELINE, {}, args.population)["run.seed"] if args.seed is None else args.seed
    command = ".venv/bin/python benchmarks/beds_sweep.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    start = time.perf_counter()
    table = paired_differences(args.population, args.replications, seed)
    with pd.option_context("display.max_colwidth", 60, "display.width", 250):
        print(table.to_string(index=False))
    print(f"\n{args.population:,} people x 10 years after the spin-up, {args.replications} replicate pairs, common "
          f"random numbers; 95% t intervals over pairs (Monte Carlo only). {time.perf_counter() - start:.0f} s. "
          f"Command: {command.strip()}")
    if args.out:
        table.to_csv(args.out, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
