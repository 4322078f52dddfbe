"""The per-agent benchmark baseline applies the model's own stage rules (so the speed-up compares like with like)."""

from pathlib import Path

import numpy as np

from recoverysim.crisis_pathway import crisis_hazard
from recoverysim.model import RecoveryModel
from recoverysim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_same_rules_baseline_gives_the_model_hazards(benchmark_module):
    bench = benchmark_module("bench_model")
    path = ROOT / "scenarios" / "japan_baseline.toml"
    model = RecoveryModel(load_scenario(path, {"population.size": 2000, "run.spin_up_years": 0}), rng=3,
                         materialise_agents=False)
    pop, net = model.population, model.network
    h_up, _ = model.stage_hazards()
    crisis = crisis_hazard(pop, model.params.crisis, model.week)
    baseline = bench.SameRulesModel(load_scenario(path, {"population.size": 10}))
    baseline.shame_pressure = float(model.roots["shame_pressure"][0])  # with the stigma loop's week-0 adjustment
    people = np.flatnonzero(~pop.in_hospital & (pop.stage < 3))[:400]
    assert set(pop.stage[people]) == {0, 1, 2}
    for i in people:
        person = bench.SameRulesPerson(baseline, int(pop.stage[i]), float(pop.trauma_load[i]),
                                       float(pop.life_security[i]), float(pop.medication_burden[i]),
                                       bool(pop.schizophrenia[i]),
                                       tuple(int(net.degree(t)[i]) for t in ("family", "professional", "peer",
                                                                             "community")))
        assert abs(person.progress_hazard() - h_up[i]) <= 1e-5 * h_up[i]
        assert abs(person.crisis_hazard() - crisis[i]) <= 1e-5 * crisis[i]
