"""Verification against exact answers, conservation, determinism and common random numbers."""

import numpy as np
from scipy import stats

from recoverysim.model import RecoveryModel
from recoverysim.parameters import BARRIERS, ROOTS, STAGES
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
    "loops.coercion_mistrust": False,
    "turnover.enabled": False,  # a closed cohort: entry and exit have their own check (test_service_turnover.py)
}
# Six different root levels, so that a root fed into the wrong barrier changes that barrier's level (with equal
# roots every mapping gives the same barriers).
DISTINCT_ROOTS = {"roots.trauma_insensitivity": 0.9, "roots.advocacy_gap": 0.2, "roots.psychosocial_gap": 0.6,
                  "roots.rules_over_values": 0.35, "roots.shame_pressure": 0.75, "roots.thin_networks": 0.5}

# --- The oracle: docs/ODD.md 7.2 and 7.3 written out again, in float64, without the model's formulas. ---------
#: Roots and the barriers each feeds (paper, Theme 2, Fig. 1; model brief, "Roots of barriers"), written out here
#: on purpose instead of read from parameters.ROOTS: the tests below check the model's table against it.
ODD_FEEDS = {
    "trauma_insensitivity": ("lack_of_compassion", "authority_slope"),
    "advocacy_gap": ("choice_unavailable", "authority_slope", "disempowerment"),
    "psychosocial_gap": ("life_insecurity", "disempowerment"),
    "rules_over_values": ("choice_unavailable", "devalued_life"),
    "shame_pressure": ("devalued_life", "social_exclusion"),
    "thin_networks": ("peers_unavailable", "social_exclusion"),
}
#: The barriers gating entry to safety, control and reunion (model brief, "Barriers"), in the model's row order.
ODD_GATES = (("lack_of_compassion", "life_insecurity"),
             ("choice_unavailable", "authority_slope", "disempowerment"),
             ("devalued_life", "peers_unavailable", "social_exclusion"))
ODD_ROWS = [b for gate in ODD_GATES for b in gate]


def odd_barriers(scenario, pop) -> np.ndarray:
    """Felt barriers (8, n) from ODD 7.2: B_b = mean of feeding roots, felt = 1 - (1 - B_b)^m."""
    system = {b: np.mean([scenario[f"roots.{r}"] for r, fed in ODD_FEEDS.items() if b in fed]) for b in ODD_ROWS}
    trauma_amp = scenario["barriers.trauma_amplifier"]
    hospital_amp = scenario["barriers.hospital_amplifier"]
    stigma_amp = scenario["barriers.schizophrenia_stigma_amplifier"]
    insecurity_amp = scenario["barriers.insecurity_amplifier"]
    medication_amp = scenario["barriers.medication_amplifier"]
    disempowerment_base = scenario["barriers.disempowerment_baseline"]
    exclusion_base = scenario["barriers.exclusion_pressure_baseline"]
    trauma = pop.trauma_load.astype(float)
    security = pop.life_security.astype(float)
    medication = pop.medication_burden.astype(float)
    hospital = pop.in_hospital.astype(float)
    schizophrenia = pop.schizophrenia.astype(float)
    modifier = {
        "lack_of_compassion": 1 + trauma_amp * trauma,
        "life_insecurity": insecurity_amp * (1 - security),
        "choice_unavailable": 1 + hospital_amp * hospital,
        "authority_slope": 1 + hospital_amp * hospital,
        "disempowerment": disempowerment_base + medication_amp * medication,
        "devalued_life": 1 + stigma_amp * schizophrenia,
        "social_exclusion": (1 + stigma_amp * schizophrenia) * (exclusion_base + scenario["levers.social_exclusion"]),
    }
    rows = []
    for b in ODD_ROWS:
        if b == "peers_unavailable":
            # No network, so no own peer ties; with loop R1 off and no reforms, A is the lever.
            a = scenario["levers.peer_availability"]
            rows.append(np.full(pop.size, 1 - a * (1 - system[b])))
        else:
            rows.append(1 - (1 - system[b]) ** modifier[b])
    return np.array(rows)


def odd_up_hazard(scenario, barriers: np.ndarray, s: int) -> np.ndarray:
    """Everyone's weekly hazard of moving from stage s into s+1 (ODD 7.3 with S = 1, nobody in hospital)."""
    if s == 3:
        return np.zeros(barriers.shape[1])
    rate = scenario[f"recovery.progress_rate_{STAGES[s + 1]}"]
    first = sum(len(g) for g in ODD_GATES[:s])
    k = len(ODD_GATES[s])
    factors = 1 - scenario["recovery.barrier_strength"] * barriers[first:first + k]
    return rate / 52 * np.prod(factors, axis=0) ** (1 / k)  # the gate is the geometric mean of the factors


def odd_down_hazard(scenario, s: int) -> float:
    """Weekly setback hazard from stage s (none from discontinuity)."""
    return scenario["recovery.setback_rate"] / 52 if s > 0 else 0.0


def odd_hazards(scenario, pop, barriers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weekly (up, down) hazards of each person in their current stage."""
    stage = pop.stage.astype(int)
    up = np.choose(stage, [odd_up_hazard(scenario, barriers, s) for s in range(4)])
    down = np.choose(stage, [np.full(pop.size, odd_down_hazard(scenario, s)) for s in range(4)])
    return up, down


def odd_chains(scenario, pop, barriers: np.ndarray) -> np.ndarray:
    """Each person's weekly transition matrix (n, 4, 4): competing hazards, p_any = 1 - e^-(h_up + h_down)."""
    P = np.zeros((pop.size, 4, 4))
    for s in range(4):
        up, down = odd_up_hazard(scenario, barriers, s), odd_down_hazard(scenario, s)
        total = up + down
        share = np.divide(1 - np.exp(-total), total, out=np.zeros_like(total), where=total > 0)
        if s < 3:
            P[:, s, s + 1] = share * up
        if s > 0:
            P[:, s, s - 1] = share * down
        P[:, s, s] = 1 - share * total
    return P


def test_felt_barriers_and_hazards_follow_the_odd_equations(baseline_path):
    """The model's felt barriers and stage hazards equal ODD 7.2-7.3 evaluated independently (float32 tolerance)."""
    # Modifier coefficients away from their defaults, so a coefficient the code ignores shows.
    modifiers = {"barriers.insecurity_amplifier": 1.5, "barriers.medication_amplifier": 1.7,
                 "barriers.disempowerment_baseline": 0.3, "barriers.exclusion_pressure_baseline": 0.8}
    scenario = load_scenario(baseline_path, {**MARKOV_OFF, **DISTINCT_ROOTS, **modifiers, "population.size": 4000})
    model = RecoveryModel(scenario, rng=3, materialise_agents=False)
    pop = model.population
    assert pop.schizophrenia.any() and (pop.trauma_load > 0).any() and np.unique(pop.stage).size == 4
    expected = odd_barriers(scenario, pop)
    np.testing.assert_allclose(model.barriers_of(), expected, rtol=2e-6, atol=2e-7)
    up, down = model.stage_hazards()
    exp_up, exp_down = odd_hazards(scenario, pop, expected)
    np.testing.assert_allclose(up, exp_up, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(down, exp_down, rtol=1e-5, atol=1e-9)
    assert (exp_up[pop.stage < 3] > 0).all()


def test_stage_occupancy_matches_the_exact_markov_chain(baseline_path):
    """With network, crisis pathway and loops off, each person follows a constant 4-state chain.

    The chain is built from docs/ODD.md's equations (``odd_chains``), not from the model's functions, and
    propagated exactly; people are independent, so the simulated count in a stage has variance sum p(1-p). All 4
    stages x 6 checkpoints must lie within z = 4.10 (99.9% overall, Bonferroni over 24 checks).
    """
    # 50,000 people: a 5% error in one progress rate shows as |z| > 5 (checked when the test was written).
    scenario = load_scenario(baseline_path, {**MARKOV_OFF, **DISTINCT_ROOTS, "population.size": 50_000,
                                             "run.years": 3})
    model = RecoveryModel(scenario, rng=7, materialise_agents=False)
    pop = model.population
    n = pop.size
    P = odd_chains(scenario, pop, odd_barriers(scenario, pop))
    dist = np.zeros((n, 4))
    dist[np.arange(n), pop.stage] = 1.0
    checkpoints = {13, 26, 52, 78, 104, 156}
    z_limit = stats.norm.ppf(1 - 0.001 / (2 * 4 * len(checkpoints)))
    worst = 0.0
    for week in range(1, 157):
        model.step()
        dist = np.einsum("ni,nij->nj", dist, P)
        if week in checkpoints:
            expected = dist.sum(axis=0)
            sd = np.sqrt((dist * (1 - dist)).sum(axis=0))
            observed = pop.stage_counts()
            z = (observed - expected) / sd
            worst = max(worst, np.abs(z).max())
            assert np.all(np.abs(z) < z_limit), (week, observed, expected, z)
    assert worst > 0  # the comparison really ran on moving numbers


def test_declared_root_barrier_table_is_the_papers():
    assert {r: set(fed) for r, fed in ROOTS.items()} == {r: set(fed) for r, fed in ODD_FEEDS.items()}
    assert BARRIERS == {b: STAGES[s + 1] for s, gate in enumerate(ODD_GATES) for b in gate}
    assert list(BARRIERS) == ODD_ROWS  # the row order of model.barriers_of()


def test_each_root_moves_exactly_the_barriers_it_feeds(baseline_path):
    """Raise one root: the system level of each barrier it feeds rises by the rise / (number of feeding roots).

    Everyone's felt level of those barriers rises too, and no other barrier moves.
    """
    # No spin-up: through discharges, a root would also change who is in hospital at week 0, and so what they feel.
    base = load_scenario(baseline_path, {**MARKOV_OFF, **DISTINCT_ROOTS, "population.size": 400,
                                         "population.initial_in_hospital": 0.1, "run.spin_up_years": 0})
    before = RecoveryModel(base, rng=2, materialise_agents=False)
    felt_before = before.barriers_of().astype(float)
    feeders = {b: sum(b in fed for fed in ODD_FEEDS.values()) for b in ODD_ROWS}
    for root, fed in ODD_FEEDS.items():
        rise = 0.05
        after = RecoveryModel(base.with_overrides({f"roots.{root}": base[f"roots.{root}"] + rise}), rng=2,
                              materialise_agents=False)
        expected = [rise / feeders[b] if b in fed else 0.0 for b in ODD_ROWS]
        np.testing.assert_allclose(after.system_barriers[0] - before.system_barriers[0], expected, atol=1e-12,
                                   err_msg=root)
        change = after.barriers_of().astype(float) - felt_before
        moved = {b for b, row in zip(ODD_ROWS, change, strict=True) if np.abs(row).max() > 1e-6}
        assert moved == set(fed), root
        assert (change[[ODD_ROWS.index(b) for b in fed]] > 0).all(), root


def test_people_and_beds_are_conserved_every_week(small):
    result = simulate(small, seed=11)
    ts = result.timeseries
    assert (ts[list(STAGES)].sum(axis=1) == small["population.size"]).all()
    # Stays end by discharge or by death in hospital.
    flows = ts["admissions_voluntary"] + ts["admissions_involuntary"] - ts["discharges"] - ts["deaths_in_hospital"]
    assert (ts["in_hospital"].diff().iloc[1:] == flows.iloc[1:]).all()
    assert (ts["crises"] == ts["community_support"] + ts["admissions_voluntary"] + ts["admissions_involuntary"]).all()
    # Beds bind within the over-capacity limit; unmet crises are among those that found no bed.
    ceiling = np.rint(ts["beds"] * (1 + small["hospital.over_capacity_limit"]))
    assert (ts["in_hospital"] <= np.maximum(ceiling, ts["in_hospital"].iloc[0])).all()
    assert (ts["unmet_crises"] + ts["admitted_over_capacity"] + ts["discharged_early"] == ts["bed_shortage"]).all()
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
