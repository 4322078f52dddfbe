"""Speed and memory of the full model, side by side with plain per-agent Mesa baselines, in one run.

    .venv/bin/python benchmarks/bench_model.py                 # 10^4, 10^5, 10^6 people
    .venv/bin/python benchmarks/bench_model.py --sizes 10000 100000 --years 2
    .venv/bin/python benchmarks/bench_model.py --sizes 1000000 --no-pilot-too   # with and without the pilot

Reports person-weeks simulated per second of the full model (every mechanism on) and of two baselines
written the usual Mesa way, one ``Person.step`` per agent called through ``shuffle_do``:

- "same stage rules": the model's core stage dynamics for one person at a time: the barriers of the next
  stage felt through the person's own modifiers (trauma load, life security, medication burden,
  diagnosis), the gate they make, support from the person's ties, competing progress and setback, and
  crises from the person's own hazard that throw them back a stage. No hospital, network dynamics, peer
  workforce or loops: the full model does all of those on top.
- "minimal": the same stage moves with a fixed random gate per person and a crisis risk by stage only,
  which is as little as a per-agent step can do and still be the stage dynamics.

Up to --baseline-max people, the full model and the baselines run interleaved, a simulated year of the full
model then two weeks of each baseline, so that the machine's drifts in speed hit them alike. Larger runs (the
10^6-person, 10-year one) are timed alone in a fresh process, so their peak memory (max RSS) is their own.
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


class SameRulesPerson(mesa.Agent):
    """One person with scalar state, applying the model's stage rules to itself each week."""

    def __init__(self, model, stage: int, trauma_load: float, life_security: float, medication: float,
                 schizophrenia: bool, ties: tuple[int, int, int, int]):
        super().__init__(model)
        self.stage = stage
        self.trauma_load = trauma_load
        self.life_security = life_security
        self.medication = medication
        self.schizophrenia = schizophrenia
        self.family, self.professional, self.peer, self.community = ties

    def progress_hazard(self) -> float:
        """Weekly hazard of moving up a stage: rate x support from the person's ties x gate of the barriers."""
        m = self.model
        stage, trauma, security, medication = self.stage, self.trauma_load, self.life_security, self.medication
        # Barriers felt: 1 - (1 - system level) ** the person's modifier (barriers.py); in the community
        # choice_unavailable and authority_slope are at their system level.
        keep, system = m.keep, m.system
        stigma = m.stigma if self.schizophrenia else 1.0
        compassion = 1 - keep["lack_of_compassion"] ** (1 + m.trauma_amplifier * trauma)
        exclusion = 1 - keep["social_exclusion"] ** ((0.5 + m.exclusion_pressure) * stigma)
        if stage == 0:  # entry to safety
            felt = (compassion, 1 - keep["life_insecurity"] ** (2 * (1 - security)))
        elif stage == 1:  # entry to control
            felt = (system["choice_unavailable"], system["authority_slope"],
                    1 - keep["disempowerment"] ** (medication + 0.5))
        else:  # entry to reunion
            felt = (1 - keep["devalued_life"] ** stigma,
                    (1 - m.peer_availability * keep["peers_unavailable"]) / (self.peer + 1), exclusion)
        gate = 1.0
        for level in felt:
            gate *= 1 - m.barrier_strength * level
        gate **= 1 / len(felt)
        quality = 1 - 0.5 * (compassion + system["authority_slope"])
        interactions = (self.family * m.family_weight * (1 - m.shame_pressure)
                        + self.professional * m.professional_weight * m.professional_capacity * quality
                        + self.peer * m.peer_weight + self.community * m.community_weight * (1 - exclusion))
        return m.rates[stage] * (1 - math.exp(-interactions)) * gate

    def crisis_hazard(self) -> float:
        """Weekly crisis hazard from the person's stage, trauma load, medication burden and life security."""
        m = self.model
        return (m.crisis_rate[self.stage] * (1 + m.trauma_effect * self.trauma_load)
                * (1 + m.medication_effect * self.medication) * (1 + m.insecurity_effect * (1 - self.life_security)))

    def step(self) -> None:
        m = self.model
        rng = m.random
        stage = self.stage
        if rng.random() < 1 - math.exp(-self.crisis_hazard()):
            self.stage = max(0, stage - 1)
            return
        h_up = self.progress_hazard() if stage < 3 else 0.0
        h_down = m.setback if stage > 0 else 0.0
        total = h_up + h_down
        if total <= 0:
            return
        p_any = 1 - math.exp(-total)
        u = rng.random()
        if u < p_any * h_up / total:
            self.stage += 1
        elif u < p_any:
            self.stage -= 1


class SameRulesModel(mesa.Model):
    """The model's core stage rules with one Mesa agent per person (people drawn as the full model draws them)."""

    def __init__(self, scenario, rng: int = 1):
        from recoverysim.barriers import BARRIER_NAMES, system_barriers
        from recoverysim.parameters import ROOTS, STAGES

        super().__init__(rng=rng)
        p = scenario.params
        roots = {r: getattr(p.roots, r) for r in ROOTS}
        self.system = dict(zip(BARRIER_NAMES, system_barriers(roots), strict=True))
        self.keep = {name: 1 - level for name, level in self.system.items()}
        b, w, c, r = p.barriers, p.network, p.crisis, p.recovery
        self.trauma_amplifier, self.stigma = b.trauma_amplifier, 1 + b.schizophrenia_stigma_amplifier
        self.exclusion_pressure, self.peer_availability = p.levers.social_exclusion, p.levers.peer_availability
        self.barrier_strength, self.shame_pressure = r.barrier_strength, roots["shame_pressure"]
        self.family_weight, self.professional_weight = w.family_weight, w.professional_weight
        self.peer_weight, self.community_weight = w.peer_weight, w.community_weight
        self.professional_capacity = min(1.0, w.professional_caseload * p.levers.professionals_per_1000 / 1000)
        self.rates = [r.progress_rate_safety / 52, r.progress_rate_control / 52, r.progress_rate_reunion / 52]
        self.setback = r.setback_rate / 52
        self.crisis_rate = [c.rate / 52 * c.stage_factor ** s for s in range(4)]
        self.trauma_effect, self.medication_effect = c.trauma_effect, c.medication_effect
        self.insecurity_effect = c.insecurity_effect
        pop = p.population
        shares = [getattr(pop, f"share_{s}") for s in STAGES]
        gen = self.rng
        k = pop.heterogeneity
        community_mean = w.community_ties_mean * (1 - roots["thin_networks"])
        for _ in range(pop.size):
            trauma = float(gen.random() < pop.share_trauma_history)
            SameRulesPerson(self, self.random.choices(range(4), weights=shares)[0], trauma,
                            float(gen.beta(pop.life_security_mean * k, (1 - pop.life_security_mean) * k)),
                            float(gen.beta(pop.medication_burden_mean * k, (1 - pop.medication_burden_mean) * k)),
                            bool(gen.random() < pop.share_schizophrenia),
                            (int(gen.poisson(pop.family_ties_mean)), 1, 0, int(gen.poisson(community_mean))))

    def step(self) -> None:
        self.agents.shuffle_do("step")


class BaselineModel(mesa.Model):
    """Minimal stage dynamics with one Mesa agent per person."""

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


def time_full(size: int, years: int, pilot_size: int | None = None) -> dict:
    from recoverysim.model import RecoveryModel
    from recoverysim.scenario import load_scenario

    overrides = {"population.size": size, "run.years": years}
    if pilot_size is not None:
        overrides["run.spin_up_pilot_size"] = pilot_size
    scenario = load_scenario(BASELINE, overrides)
    start = time.perf_counter()
    model = RecoveryModel(scenario, rng=1, materialise_agents=False)
    built = time.perf_counter()
    model.run()
    end = time.perf_counter()
    weeks = model.week
    label = "full" if pilot_size is None else f"full, pilot size {pilot_size:,}"
    return {"model": label, "people": size, "weeks": weeks, "setup_s": built - start, "run_s": end - built,
            "person_weeks_per_s": size * weeks / (end - built)}


BASELINES = {"mesa, same stage rules": SameRulesModel, "mesa, minimal": BaselineModel}


def time_side_by_side(size: int, years: int, baseline_weeks_per_year: int) -> list[dict]:
    """The full model and both baselines, interleaved year by year so that drifts in machine speed hit all alike.

    Each simulated year of the full model is followed by ``baseline_weeks_per_year`` weeks of each baseline;
    every row reports its own total person-weeks over its own total time.
    """
    from recoverysim.model import RecoveryModel
    from recoverysim.scenario import load_scenario

    scenario = load_scenario(BASELINE, {"population.size": size, "run.years": years})
    rows = {}
    start = time.perf_counter()
    full = RecoveryModel(scenario, rng=1, materialise_agents=False)
    rows["full"] = {"model": "full", "people": size, "weeks": 0, "setup_s": time.perf_counter() - start,
                    "run_s": 0.0}
    baselines = {}
    for name, cls in BASELINES.items():
        start = time.perf_counter()
        baselines[name] = cls(scenario)
        rows[name] = {"model": name, "people": size, "weeks": 0, "setup_s": time.perf_counter() - start,
                      "run_s": 0.0}
    for _ in range(years):
        start = time.perf_counter()
        for _ in range(52):
            full.step()
        rows["full"]["run_s"] += time.perf_counter() - start
        rows["full"]["weeks"] += 52
        for name, model in baselines.items():
            start = time.perf_counter()
            for _ in range(baseline_weeks_per_year):
                model.step()
            rows[name]["run_s"] += time.perf_counter() - start
            rows[name]["weeks"] += baseline_weeks_per_year
    for row in rows.values():
        row["person_weeks_per_s"] = size * row["weeks"] / row["run_s"]
    for name in BASELINES:
        rows[name]["speedup_of_full"] = rows["full"]["person_weeks_per_s"] / rows[name]["person_weeks_per_s"]
    return list(rows.values())


def isolated_full_run(size: int, years: int, pilot_size: int | None = None) -> dict:
    """Time a full run in a child process and report its peak resident memory."""
    code = (
        f"import json, resource, sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from bench_model import time_full\n"
        f"r = time_full({size}, {years}, {pilot_size!r})\n"
        "r['max_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps(r))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--years", type=int, default=10, help="horizon of the full-model runs")
    parser.add_argument("--baseline-weeks", type=int, default=2,
                        help="weeks of each baseline after each simulated year of the full model")
    parser.add_argument("--baseline-max", type=int, default=100_000,
                        help="largest population run side by side with the baselines (larger ones run alone)")
    parser.add_argument("--no-pilot-too", action="store_true",
                        help="also time each large run with the spin-up at full size (run.spin_up_pilot_size 5000000), "
                             "after the run with the scenario's pilot")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()

    rows = []
    for size in args.sizes:
        if size <= args.baseline_max:
            rows.extend(time_side_by_side(size, args.years, args.baseline_weeks))
        else:
            rows.append(isolated_full_run(size, args.years))
            if args.no_pilot_too:
                rows.append(isolated_full_run(size, args.years, 5_000_000))
    print(f"{'model':26s} {'people':>10s} {'weeks':>6s} {'setup s':>8s} {'run s':>8s} {'person-weeks/s':>15s}"
          f" {'max RSS MB':>10s} {'full model is':>14s}")
    for r in rows:
        rss = f"{r['max_rss_mb']:10.0f}" if "max_rss_mb" in r else " " * 10
        speed = f"{r['speedup_of_full']:8.1f}x this" if "speedup_of_full" in r else ""
        print(f"{r['model']:26s} {r['people']:10,d} {r['weeks']:6d} {r['setup_s']:8.2f} {r['run_s']:8.2f} "
              f"{r['person_weeks_per_s']:15,.0f} {rss} {speed}")
    for r in rows:
        if r["people"] == 100_000 and "speedup_of_full" in r:
            print(f"\nat 100,000 people the full model is {r['speedup_of_full']:.1f}x the {r['model']} baseline"
                  " (target >= 50x)", end="")
    print()
    big = [r for r in rows if r["model"].startswith("full") and r["people"] >= 1_000_000]
    for r in big:
        total = r["setup_s"] + r["run_s"]
        print(f"\n{r['model']}: {r['people']:,} people x {r['weeks'] // 52} years, spin-up included: {total:.0f} s "
              "(target <= 120 s), "
              f"peak memory {r['max_rss_mb']:.0f} MB (target <= 2048 MB)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
