"""Verification against exact answers, conservation, determinism and common random numbers."""

import numpy as np
import scipy.sparse as sp
from scipy import stats

from recoverysim.barriers import progress_gate
from recoverysim.model import RecoveryModel
from recoverysim.parameters import STAGES, WEEKS_PER_YEAR
from recoverysim.recovery_stages import transition_probabilities
from recoverysim.scenario import load_scenario
from recoverysim.simulation import simulate

MARKOV_OFF = {
    "network.enabled": False,
    "crisis.enabled": False,
    "population.initial_in_hospital": 0.0,
    "loops.peer_role_models": False,
    "loops.peer_burnout": False,
    "loops.stigma_visibility": False,
    "loops.coercion_trauma": False,
}


def person_chains(model: RecoveryModel) -> sp.csr_array:
    """Block-diagonal weekly transition matrix (4n x 4n) of every person's constant-hazard chain."""
    n = model.population.size
    r = model.params.recovery
    rates = [r.progress_rate_safety, r.progress_rate_control, r.progress_rate_reunion]
    rows, cols, vals = [], [], []
    base = np.arange(n) * 4
    for s in range(4):
        h_up = np.zeros(n) if s == 3 else rates[s] / WEEKS_PER_YEAR * progress_gate(
            model.barriers, np.full(n, s, np.int8), r.barrier_strength)
        h_down = np.full(n, 0.0 if s == 0 else r.setback_rate / WEEKS_PER_YEAR)
        p_up, p_down = transition_probabilities(h_up, h_down)
        for target, p in ((s + 1, p_up), (s - 1, p_down), (s, 1 - p_up - p_down)):
            if 0 <= target < 4:
                rows.append(base + s)
                cols.append(base + target)
                vals.append(p)
    return sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(4 * n, 4 * n))


def test_stage_occupancy_matches_the_exact_markov_chain(baseline_path):
    """With network, crisis pathway and loops off, each person follows a constant 4-state chain.

    The expected occupancy is propagated exactly with scipy.sparse; people are independent, so the
    simulated count in a stage has variance sum p(1-p). All 4 stages x 6 checkpoints must lie within
    z = 4.10 (99.9% overall, Bonferroni over 24 checks).
    """
    # 50,000 people: a 5% error in one progress rate shows as |z| > 5 (checked when the test was written).
    scenario = load_scenario(baseline_path, {**MARKOV_OFF, "population.size": 50_000, "run.years": 3})
    model = RecoveryModel(scenario, rng=7, materialise_agents=False)
    n = model.population.size
    P = person_chains(model)
    dist = np.zeros(4 * n)
    dist[np.arange(n) * 4 + model.population.stage] = 1.0
    checkpoints = {13, 26, 52, 78, 104, 156}
    z_limit = stats.norm.ppf(1 - 0.001 / (2 * 4 * len(checkpoints)))
    worst = 0.0
    for week in range(1, 157):
        model.step()
        dist = P.T @ dist
        if week in checkpoints:
            p = dist.reshape(n, 4)
            expected = p.sum(axis=0)
            sd = np.sqrt((p * (1 - p)).sum(axis=0))
            observed = model.population.stage_counts()
            z = (observed - expected) / sd
            worst = max(worst, np.abs(z).max())
            assert np.all(np.abs(z) < z_limit), (week, observed, expected, z)
    assert worst > 0  # the comparison really ran on moving numbers


def test_people_and_beds_are_conserved_every_week(small):
    result = simulate(small, seed=11)
    ts = result.timeseries
    assert (ts[list(STAGES)].sum(axis=1) == small["population.size"]).all()
    flows = ts["admissions_voluntary"] + ts["admissions_involuntary"] - ts["discharges"]
    assert (ts["in_hospital"].diff().iloc[1:] == flows.iloc[1:]).all()
    assert (ts["crises"] == ts["community_support"] + ts["admissions_voluntary"] + ts["admissions_involuntary"]).all()
    assert (ts["in_hospital"] <= small["levers.bed_capacity"] * small["population.size"] / 1000 + 1e-9).all() or (
        ts["in_hospital"].iloc[0] > small["levers.bed_capacity"] * small["population.size"] / 1000)
    assert (ts["retraumatisations"] <= ts["coercive_episodes"]).all()
    at_admission = ts["coercive_episodes"] - ts["coercive_episodes_in_stay"]
    assert (at_admission <= ts["admissions_voluntary"] + ts["admissions_involuntary"]).all()
    assert (ts["coercive_episodes_in_stay"] <= ts["in_hospital"].shift(1).fillna(0)).all()


def test_same_seed_same_bytes(small):
    a = simulate(small, seed=5)
    b = simulate(small, seed=5)
    assert a.timeseries.to_csv().encode() == b.timeseries.to_csv().encode()
    assert a.headline == b.headline
    c = simulate(small, seed=6)
    assert a.timeseries.to_csv() != c.timeseries.to_csv()


def test_crisis_draws_do_not_depend_on_unrelated_parameters(small):
    """Common random numbers: a parameter the crisis pathway never reads leaves its draws unchanged."""
    other = small.with_overrides({"recovery.progress_rate_reunion": 2.0, "network.role_model_bonus": 3.0})
    digests = []
    for s in (small, other):
        m = RecoveryModel(s, rng=9, record_draws=True)
        m.run()
        digests.append({k: m.streams.digest(k) for k in ("crisis", "progress", "peer_ties")})
    assert digests[0]["crisis"] == digests[1]["crisis"] != ""
    assert digests[0]["progress"] == digests[1]["progress"]
    # The states differ, so the outcome of identical draws differs elsewhere.
    a, b = simulate(small, seed=9), simulate(other, seed=9)
    assert a.timeseries["reunion"].iloc[-1] != b.timeseries["reunion"].iloc[-1]


def test_crisis_events_are_shared_when_their_hazard_is_unchanged(small):
    """When crisis risk does not depend on stage, scenarios that differ in progress share every crisis."""
    flat = small.with_overrides({
        "crisis.stage_factor": 1.0, "crisis.trauma_effect": 0.0, "crisis.medication_effect": 0.0,
        "crisis.insecurity_effect": 0.0, "crisis.post_discharge_effect": 0.0, "levers.bed_capacity": 0.0,
        "population.initial_in_hospital": 0.0})
    faster = flat.with_overrides({"recovery.progress_rate_safety": 3.0, "recovery.progress_rate_reunion": 3.0})
    seen = []
    for s in (flat, faster):
        weeks = []
        simulate(s, seed=4, on_step=lambda m, w=weeks: w.append(m.week_events["crises"].copy()))
        seen.append(weeks)
    assert sum(len(w) for w in seen[0]) > 20
    assert all(np.array_equal(x, y) for x, y in zip(*seen, strict=True))
