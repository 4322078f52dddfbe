"""Speed and memory of the full model, side by side with a plain per-agent Mesa baseline, in one run.

    .venv/bin/python benchmarks/bench_model.py                 # 10^4, 10^5, 10^6 people
    .venv/bin/python benchmarks/bench_model.py --sizes 10000 100000 --years 2

Reports person-weeks simulated per second of the full model (every mechanism on) and of the baseline:
the same core stage dynamics (progress gated by barriers, background setbacks, crises that throw people
back) written the usual Mesa way, one ``Person.step`` per agent called through ``shuffle_do``. The
10^6-person, 10-year run is timed in a fresh process, so its peak memory (max RSS) is its own.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import mesa

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "japan_baseline.toml"


class BaselinePerson(mesa.Agent):
    """One person with scalar state, stepping itself (the per-agent style the array model replaces)."""

    def __init__(self, model, stage: int, gates: tuple[float, float, float]):
        super().__init__(model)
        self.stage = stage
        self.gates = gates

    def step(self) -> None:
        m = self.model
        rng = m.random
        # Crisis: back one stage.
        if rng.random() < m.p_crisis[self.stage]:
            self.stage = max(0, self.stage - 1)
            return
        h_up = m.rates[self.stage] * (self.gates[self.stage] if self.stage < 3 else 0.0)
        h_down = m.setback if self.stage > 0 else 0.0
        total = h_up + h_down
        if total <= 0:
            return
        p_any = 1 - math.exp(-total)
        u = rng.random()
        if u < p_any * h_up / total:
            self.stage += 1
        elif u < p_any:
            self.stage -= 1


class BaselineModel(mesa.Model):
    """Core stage dynamics with one Mesa agent per person."""

    def __init__(self, scenario, rng: int = 1):
        super().__init__(rng=rng)
        p = scenario.params
        self.rates = [p.recovery.progress_rate_safety / 52, p.recovery.progress_rate_control / 52,
                      p.recovery.progress_rate_reunion / 52, 0.0]
        self.setback = p.recovery.setback_rate / 52
        self.p_crisis = [1 - math.exp(-p.crisis.rate / 52 * p.crisis.stage_factor ** s) for s in range(4)]
        shares = [p.population.share_discontinuity, p.population.share_safety, p.population.share_control,
                  p.population.share_reunion]
        for _ in range(p.population.size):
            stage = self.random.choices(range(4), weights=shares)[0]
            gates = tuple(self.random.uniform(0.2, 0.6) for _ in range(3))
            BaselinePerson(self, stage, gates)

    def step(self) -> None:
        self.agents.shuffle_do("step")


def time_full(size: int, years: int) -> dict:
    from recoverysim.model import RecoveryModel
    from recoverysim.scenario import load_scenario

    scenario = load_scenario(BASELINE, {"population.size": size, "run.years": years})
    start = time.perf_counter()
    model = RecoveryModel(scenario, rng=1, materialise_agents=False)
    built = time.perf_counter()
    model.run()
    end = time.perf_counter()
    weeks = model.week
    return {"model": "full", "people": size, "weeks": weeks, "setup_s": built - start, "run_s": end - built,
            "person_weeks_per_s": size * weeks / (end - built)}


def time_baseline(size: int, weeks: int) -> dict:
    from recoverysim.scenario import load_scenario

    scenario = load_scenario(BASELINE, {"population.size": size})
    start = time.perf_counter()
    model = BaselineModel(scenario)
    built = time.perf_counter()
    for _ in range(weeks):
        model.step()
    end = time.perf_counter()
    return {"model": "mesa per-agent baseline", "people": size, "weeks": weeks, "setup_s": built - start,
            "run_s": end - built, "person_weeks_per_s": size * weeks / (end - built)}


def isolated_full_run(size: int, years: int) -> dict:
    """Time a full run in a child process and report its peak resident memory."""
    code = (
        f"import json, resource, sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from bench_model import time_full\n"
        f"r = time_full({size}, {years})\n"
        "r['max_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps(r))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--years", type=int, default=10, help="horizon of the full-model runs")
    parser.add_argument("--baseline-weeks", type=int, default=20, help="weeks simulated by the baseline")
    parser.add_argument("--baseline-max", type=int, default=100_000, help="largest baseline population")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()

    rows = []
    for size in args.sizes:
        full = isolated_full_run(size, args.years)
        rows.append(full)
        if size <= args.baseline_max:
            base = time_baseline(size, args.baseline_weeks)
            rows.append(base)
            full["speedup_vs_baseline"] = full["person_weeks_per_s"] / base["person_weeks_per_s"]
    print(f"{'model':26s} {'people':>10s} {'weeks':>6s} {'setup s':>8s} {'run s':>8s} {'person-weeks/s':>15s}"
          f" {'max RSS MB':>10s} {'speed-up':>9s}")
    for r in rows:
        rss = f"{r['max_rss_mb']:10.0f}" if "max_rss_mb" in r else " " * 10
        speed = f"{r['speedup_vs_baseline']:8.1f}x" if "speedup_vs_baseline" in r else ""
        print(f"{r['model']:26s} {r['people']:10,d} {r['weeks']:6d} {r['setup_s']:8.2f} {r['run_s']:8.2f} "
              f"{r['person_weeks_per_s']:15,.0f} {rss} {speed}")
    big = [r for r in rows if r["model"] == "full" and r["people"] >= 1_000_000]
    for r in big:
        total = r["setup_s"] + r["run_s"]
        print(f"\n{r['people']:,} people x {r['weeks'] // 52} years: {total:.0f} s (target <= 120 s), "
              f"peak memory {r['max_rss_mb']:.0f} MB (target <= 2048 MB)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
