"""barriers.py on a hand-made population: system levels, felt levels, gates, against docs/ODD.md 7.2-7.3."""

import numpy as np
import pytest
from hand_made import BARRIER_ROWS, params, population, value
from test_verification import ODD_FEEDS, ODD_GATES

from recoverysim.barriers import (
    barrier_means,
    felt,
    limiting_barrier,
    person_barriers,
    progress_gate,
    system_barriers,
    two_valued_barriers,
    two_valued_modifiers,
)
from recoverysim.parameters import ROOTS

ROW = {b: i for i, b in enumerate(BARRIER_ROWS)}
# Two runs with different roots and different modifier parameters, so a parameter or root read from the wrong
# run, or fed into the wrong barrier, changes the answer.
RUN_ROOTS = [
    {"trauma_insensitivity": 0.9, "advocacy_gap": 0.2, "psychosocial_gap": 0.6, "rules_over_values": 0.35,
     "shame_pressure": 0.75, "thin_networks": 0.5},
    {"trauma_insensitivity": 0.15, "advocacy_gap": 0.7, "psychosocial_gap": 0.3, "rules_over_values": 0.8,
     "shame_pressure": 0.4, "thin_networks": 0.95},
]
RUN_PARAMS = [
    {"barriers.trauma_amplifier": 0.7, "barriers.hospital_amplifier": 0.4,
     "barriers.schizophrenia_stigma_amplifier": 0.6, "levers.social_exclusion": 0.3,
     "barriers.insecurity_amplifier": 1.6, "barriers.disempowerment_baseline": 0.7,
     "barriers.medication_amplifier": 1.8, "barriers.exclusion_pressure_baseline": 0.35,
     "barriers.own_peer_tie_effect": 0.6},
    {"barriers.trauma_amplifier": 1.3, "barriers.hospital_amplifier": 0.9,
     "barriers.schizophrenia_stigma_amplifier": 0.2, "levers.social_exclusion": 0.8,
     "barriers.insecurity_amplifier": 3.1, "barriers.disempowerment_baseline": 0.25,
     "barriers.medication_amplifier": 0.4, "barriers.exclusion_pressure_baseline": 0.8,
     "barriers.own_peer_tie_effect": 2.5},
]
PEOPLE = dict(
    trauma_load=[0.0, 1.5, 2.0, 0.5, 0.0, 1.0],
    life_security=[0.2, 0.5, 0.9, 0.1, 0.7, 0.35],
    medication_burden=[0.1, 0.6, 0.0, 0.9, 0.3, 0.45],
    in_hospital=[False, True, False, True, False, False],
    schizophrenia=[True, False, False, False, True, True],
)
PEER_DEGREE = np.array([0, 1, 2, 0, 3, 1], np.int32)
PEER_AVAILABILITY = np.array([0.3, 0.6])


def odd_system(roots: dict) -> dict:
    """B_b = mean of the roots that feed b (ODD 7.2, the table written out in test_verification)."""
    return {b: np.mean([roots[r] for r, fed in ODD_FEEDS.items() if b in fed]) for b in BARRIER_ROWS}


def odd_felt(level: float, modifier: float) -> float:
    return 1.0 - (1.0 - level) ** modifier


def odd_person(p, run: int, system: dict, person: dict, peer_ties: int, availability: float) -> dict:
    """One person's felt barriers by ODD 7.2 (modifiers written out; coefficients from ``p``)."""
    def v(name):
        return value(p, name, run)

    hospital = 1 + v("barriers.hospital_amplifier") * person["in_hospital"]
    stigma = 1 + v("barriers.schizophrenia_stigma_amplifier") * person["schizophrenia"]
    modifier = {
        "lack_of_compassion": 1 + v("barriers.trauma_amplifier") * person["trauma_load"],
        "life_insecurity": v("barriers.insecurity_amplifier") * (1 - person["life_security"]),
        "choice_unavailable": hospital,
        "authority_slope": hospital,
        "disempowerment": (v("barriers.disempowerment_baseline")
                           + v("barriers.medication_amplifier") * person["medication_burden"]),
        "devalued_life": stigma,
        "social_exclusion": stigma * (v("barriers.exclusion_pressure_baseline") + v("levers.social_exclusion")),
    }
    out = {b: odd_felt(system[b], m) for b, m in modifier.items()}
    out["peers_unavailable"] = ((1 - availability * (1 - system["peers_unavailable"]))
                                / (1 + v("barriers.own_peer_tie_effect") * peer_ties))
    return out


def expected_matrix(p, roots_by_run, pop, peer_degree, availability) -> np.ndarray:
    """(8, n) felt barriers of everyone, each in their own run."""
    n = pop.run_size
    cols = []
    for i in range(pop.size):
        r = i // n
        person = {k: float(np.asarray(getattr(pop, k))[i]) for k in PEOPLE}
        felt_levels = odd_person(p, r, odd_system(roots_by_run[r]), person, int(peer_degree[i]), availability[r])
        cols.append([felt_levels[b] for b in BARRIER_ROWS])
    return np.array(cols).T


def model_inputs(roots_by_run, runs_params):
    p = params(*runs_params)
    roots = {r: np.array([run[r] for run in roots_by_run]) for r in ROOTS}
    system = system_barriers(roots)
    two = two_valued_barriers(system, two_valued_modifiers(p.barriers, p.levers.social_exclusion))
    return p, system, two


def test_system_levels_are_the_means_of_the_feeding_roots():
    _, system, _ = model_inputs(RUN_ROOTS, RUN_PARAMS)
    for r, roots in enumerate(RUN_ROOTS):
        expected = odd_system(roots)
        np.testing.assert_allclose(system[r], [expected[b] for b in BARRIER_ROWS], rtol=1e-12)


@pytest.mark.parametrize("who", [None, np.array([1, 4, 5])])
def test_felt_barriers_of_two_runs_follow_the_odd_modifiers(who):
    p, system, two = model_inputs(RUN_ROOTS, RUN_PARAMS)
    pop = population(3, runs=2, **PEOPLE)
    got = person_barriers(system, two, pop, p.barriers, PEER_AVAILABILITY, PEER_DEGREE, who)
    assert got.dtype == np.float32 and all(level.dtype == np.float32 for level in two.values())
    expected = expected_matrix(p, RUN_ROOTS, pop, PEER_DEGREE, PEER_AVAILABILITY)
    np.testing.assert_allclose(got, expected if who is None else expected[:, who], rtol=3e-6, atol=3e-7)


def test_felt_barriers_of_a_single_run():
    p, system, two = model_inputs(RUN_ROOTS[1:], RUN_PARAMS[1:])
    people = {k: v[3:] for k, v in PEOPLE.items()}
    pop = population(3, **people)
    got = person_barriers(system, two, pop, p.barriers, PEER_AVAILABILITY[1:], PEER_DEGREE[3:])
    expected = expected_matrix(p, RUN_ROOTS[1:], pop, PEER_DEGREE[3:], PEER_AVAILABILITY[1:])
    np.testing.assert_allclose(got, expected, rtol=3e-6, atol=3e-7)


@pytest.mark.parametrize("saturated_runs", [(1,), (0, 1)])
def test_a_saturated_system_level_is_felt_fully_except_with_modifier_zero(saturated_runs):
    """At B = 1 the felt level is 1 for every positive modifier and 0 for modifier 0 (full life security)."""
    roots = [dict.fromkeys(ROOTS, 1.0) if r in saturated_runs else RUN_ROOTS[r] for r in range(2)]
    p, system, two = model_inputs(roots, RUN_PARAMS)
    people = {**PEOPLE, "life_security": [1.0, 0.5, 0.9, 1.0, 0.7, 0.35]}
    pop = population(3, runs=2, **people)
    got = person_barriers(system, two, pop, p.barriers, PEER_AVAILABILITY, PEER_DEGREE)
    expected = expected_matrix(p, roots, pop, PEER_DEGREE, PEER_AVAILABILITY)
    np.testing.assert_allclose(got, expected, rtol=3e-6, atol=3e-7)
    assert got[ROW["life_insecurity"], 3] == 0.0 and got[ROW["lack_of_compassion"], 3] == 1.0
    means = barrier_means(system, two, pop, p.barriers, PEER_AVAILABILITY, PEER_DEGREE)
    np.testing.assert_allclose(means, expected.reshape(8, 2, 3).mean(axis=2).T, rtol=3e-6, atol=3e-7)


def test_barrier_means_are_each_runs_mean_felt_levels():
    p, system, two = model_inputs(RUN_ROOTS, RUN_PARAMS)
    pop = population(3, runs=2, **PEOPLE)
    means = barrier_means(system, two, pop, p.barriers, PEER_AVAILABILITY, PEER_DEGREE)
    expected = expected_matrix(p, RUN_ROOTS, pop, PEER_DEGREE, PEER_AVAILABILITY)
    np.testing.assert_allclose(means, expected.reshape(8, 2, 3).mean(axis=2).T, rtol=3e-6, atol=3e-7)


def test_two_valued_levels_without_and_with_the_flag():
    p, system, two = model_inputs(RUN_ROOTS, RUN_PARAMS)
    for r in range(2):
        b = odd_system(RUN_ROOTS[r])
        hospital = value(p, "barriers.hospital_amplifier", r)
        stigma = value(p, "barriers.schizophrenia_stigma_amplifier", r)
        exclusion = value(p, "barriers.exclusion_pressure_baseline", r) + value(p, "levers.social_exclusion", r)
        expected = {
            "choice_unavailable": (b["choice_unavailable"], odd_felt(b["choice_unavailable"], 1 + hospital)),
            "authority_slope": (b["authority_slope"], odd_felt(b["authority_slope"], 1 + hospital)),
            "devalued_life": (b["devalued_life"], odd_felt(b["devalued_life"], 1 + stigma)),
            "social_exclusion": (odd_felt(b["social_exclusion"], exclusion),
                                 odd_felt(b["social_exclusion"], (1 + stigma) * exclusion)),
        }
        for name, pair in expected.items():
            np.testing.assert_allclose(two[name][r], pair, rtol=2e-7, err_msg=name)


def test_felt_is_one_minus_the_kept_share_to_the_power_of_the_modifier():
    assert felt(0.3, 2.0) == pytest.approx(1 - 0.7**2, rel=1e-12)
    assert felt(0.3, 1.0) == pytest.approx(0.3, rel=1e-12)
    assert felt(0.6, 0.5) == pytest.approx(1 - 0.4**0.5, rel=1e-12)
    np.testing.assert_array_equal(felt(1.0, np.array([0.0, 0.5, 2.0])), [0.0, 1.0, 1.0])


GATE_BARRIERS = np.array([
    [0.1, 0.9, 0.3, 0.5, 0.2],
    [0.6, 0.2, 0.8, 0.1, 0.4],
    [0.3, 0.5, 0.7, 0.9, 0.6],
    [0.4, 0.1, 0.2, 0.6, 0.8],
    [0.9, 0.6, 0.5, 0.3, 0.1],
    [0.2, 0.8, 0.4, 0.7, 0.3],
    [0.5, 0.3, 0.9, 0.2, 0.7],
    [0.7, 0.4, 0.1, 0.8, 0.5],
])


def odd_gate(barriers: np.ndarray, stage: int, person: int, strength: float) -> float:
    """Geometric mean over the next stage's barriers of (1 - strength * barrier); 1 in reunion."""
    if stage == 3:
        return 1.0
    factors = [1 - strength * barriers[ROW[b], person] for b in ODD_GATES[stage]]
    return float(np.prod(factors) ** (1 / len(factors)))


@pytest.mark.parametrize("strength", [0.8, np.array([0.3, 0.9, 0.5, 1.0, 0.6])])
def test_progress_gate_is_the_geometric_mean_of_the_next_stages_factors(strength):
    stage = np.array([0, 1, 2, 3, 1], np.int8)
    gate = progress_gate(GATE_BARRIERS, stage, strength)
    s = np.broadcast_to(strength, (5,))
    expected = [odd_gate(GATE_BARRIERS, int(stage[i]), i, float(s[i])) for i in range(5)]
    np.testing.assert_allclose(gate, expected, rtol=1e-12)


def test_limiting_barrier_is_the_highest_of_the_next_stage():
    stage = np.array([0, 1, 2, 3, 2], np.int8)
    expected = [max(ODD_GATES[s], key=lambda b, i=i: GATE_BARRIERS[ROW[b], i]) if s < 3 else None
                for i, s in enumerate(stage)]
    got = limiting_barrier(GATE_BARRIERS, stage)
    assert [BARRIER_ROWS[k] if k >= 0 else None for k in got] == expected
    assert got[3] == -1


@pytest.mark.parametrize("saturated", [(), (1,), (0, 1, 2)])
def test_felt_by_run_in_place_and_in_double_precision(saturated):
    """``felt`` with one level per run (``run``), into ``out`` (single precision) or returned (double)."""
    levels = np.array([1.0 if r in saturated else x for r, x in enumerate((0.3, 0.6, 0.45))])
    run = np.array([0, 1, 1, 2, 0])
    modifier = np.array([0.0, 1.5, 0.7, 2.0, 0.4])
    expected = [odd_felt(levels[r], m) for r, m in zip(run, modifier, strict=True)]
    np.testing.assert_allclose(felt(levels, modifier, run=run), expected, rtol=1e-12)
    out = modifier.astype(np.float32)
    assert felt(levels, out, run=run, out=out) is out
    np.testing.assert_allclose(out, expected, rtol=3e-7, atol=1e-7)
    other = np.empty(5, np.float32)
    felt(levels, modifier.astype(np.float32), run=run, out=other)
    np.testing.assert_allclose(other, expected, rtol=3e-7, atol=1e-7)
    pairs = felt(levels[:, None], np.array([[0.5, 2.0]] * 3))
    np.testing.assert_allclose(pairs, [[odd_felt(x, 0.5), odd_felt(x, 2.0)] for x in levels], rtol=1e-12)
    # One level per element (no run), some saturated.
    each = np.array([0.5, 2.0, 0.0, 1.5], np.float32)
    each_level = np.array([1.0, 0.3, 1.0, 0.6])
    felt(each_level, each, out=each)
    np.testing.assert_allclose(each, [1.0, 1 - 0.7**2, 0.0, 1 - 0.4**1.5], rtol=3e-7)
    same = np.array([0.5, 2.0, 0.0], np.float32)
    felt(levels[:1], same, out=same)
    np.testing.assert_allclose(same, [odd_felt(levels[0], m) for m in (0.5, 2.0, 0.0)], rtol=3e-7, atol=1e-7)


def test_felt_by_run_in_place_matches_the_formula_with_saturated_runs():
    """Runs at system level 1 feel 1 (modifier > 0) or 0 (modifier 0); the others 1 - (1 - level) ** m."""
    levels = np.array([0.3, 1.0, 0.0])
    run = np.array([0, 1, 2, 0, 1, 1])
    modifier = np.array([2.0, 0.5, 3.0, 0.0, 0.0, 1.0], np.float32)
    expected = [1 - 0.7 ** 2, 1.0, 0.0, 0.0, 0.0, 1.0]
    np.testing.assert_allclose(felt(levels, modifier.copy(), run=run, out=modifier), expected, rtol=1e-6)
    np.testing.assert_allclose(felt(levels, [2.0, 0.5, 3.0, 0.0, 0.0, 1.0], run=run), expected, rtol=1e-12)
    assert felt(1.0, 0.0) == 0.0 and felt(1.0, 0.2) == 1.0
    everyone_saturated = np.array([1.0])
    np.testing.assert_array_equal(felt(everyone_saturated, np.array([0.0, 2.0], np.float32), run=np.zeros(2, int),
                                       out=np.array([0.0, 2.0], np.float32)), [0.0, 1.0])
