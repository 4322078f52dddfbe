"""recovery_stages.py on hand-made people and networks: interactions, hazards and moves against ODD 7.3."""

import math

import numpy as np
import pytest
from hand_made import BARRIER_ROWS, network, params, population, state, value
from test_barriers import PEER_AVAILABILITY, PEOPLE, RUN_PARAMS, RUN_ROOTS, expected_matrix, model_inputs, odd_gate

from recoverysim import recovery_stages
from recoverysim.recovery_stages import (
    hazards,
    move_probability_bound,
    positive_interactions,
    progress,
    stage_hazards,
    transition_probabilities,
)

ROW = {b: i for i, b in enumerate(BARRIER_ROWS)}
STAGE_RATE = ("recovery.progress_rate_safety", "recovery.progress_rate_control", "recovery.progress_rate_reunion")
NETWORK = dict(family=[2, 0, 1, 1, 3, 0], professional=[1, 1, 0, 1, 1, 2], community=[0, 2, 1, 3, 0, 1],
               peer_pairs=[(0, 1), (0, 2), (3, 4), (4, 5)])
STAGES_OF_PEOPLE = [0, 3, 3, 2, 1, 3]
WEIGHTS = [
    {"network.family_weight": 0.7, "network.professional_weight": 0.3, "network.peer_weight": 0.9,
     "network.community_weight": 0.2, "network.role_model_bonus": 1.7, "network.professional_caseload": 30.0,
     "levers.professionals_per_1000": 20.0, "network.family_shame_effect": 0.6,
     "network.professional_barrier_weight": 0.3},
    {"network.family_weight": 0.2, "network.professional_weight": 1.1, "network.peer_weight": 0.4,
     "network.community_weight": 0.8, "network.role_model_bonus": 0.6, "network.professional_caseload": 50.0,
     "levers.professionals_per_1000": 40.0, "network.family_shame_effect": 0.9,
     "network.professional_barrier_weight": 0.45},
]
RECOVERY = [
    {"recovery.progress_rate_safety": 1.4, "recovery.progress_rate_control": 0.9, "recovery.progress_rate_reunion": 2.3,
     "recovery.setback_rate": 0.2, "recovery.barrier_strength": 0.7, "recovery.hospital_progress_factor": 0.4,
     "recovery.mistrust_safety_effect": 1.5},
    {"recovery.progress_rate_safety": 0.6, "recovery.progress_rate_control": 3.1, "recovery.progress_rate_reunion": 1.2,
     "recovery.setback_rate": 0.07, "recovery.barrier_strength": 0.95, "recovery.hospital_progress_factor": 0.8,
     "recovery.mistrust_safety_effect": 0.4},
]
# Hand-chosen felt barriers (8 rows, 6 people) for the interaction tests.
FELT = np.array([[0.1, 0.5, 0.3, 0.8, 0.2, 0.6], [0.4, 0.2, 0.9, 0.1, 0.7, 0.3], [0.3, 0.6, 0.2, 0.5, 0.4, 0.9],
                 [0.7, 0.1, 0.4, 0.2, 0.6, 0.5], [0.2, 0.8, 0.5, 0.4, 0.3, 0.1], [0.6, 0.3, 0.7, 0.9, 0.5, 0.2],
                 [0.5, 0.4, 0.1, 0.3, 0.8, 0.7], [0.9, 0.7, 0.6, 0.2, 0.1, 0.4]], np.float32)
SHAME = np.array([0.3, 0.7])


def odd_interactions(p, pop, net_spec, barriers, shame) -> np.ndarray:
    """ODD 7.3: I = w_f F (1 - shame) + w_p P cap (1 - (loc + auth)/2) + w_peer (peers + bonus reunion peers)
    + w_c C (1 - social_exclusion), per person in their run."""
    out = []
    for i in range(pop.size):
        r = pop.run[i]

        def v(name, r=r):
            return value(p, name, r)

        peers = [j for a, b in net_spec["peer_pairs"] for me, j in ((a, b), (b, a)) if me == i]
        in_reunion = sum(pop.stage[j] == 3 for j in peers)
        capacity = min(1.0, v("network.professional_caseload") / (1000 / v("levers.professionals_per_1000")))
        quality = 1 - v("network.professional_barrier_weight") * (barriers[ROW["lack_of_compassion"], i]
                                                                      + barriers[ROW["authority_slope"], i])
        out.append(v("network.family_weight") * net_spec["family"][i]
                   * (1 - v("network.family_shame_effect") * shame[r])
                   + v("network.professional_weight") * net_spec["professional"][i] * capacity * quality
                   + v("network.peer_weight") * (len(peers) + v("network.role_model_bonus") * in_reunion)
                   + v("network.community_weight") * net_spec["community"][i]
                   * (1 - barriers[ROW["social_exclusion"], i]))
    return np.array(out)


def two_runs(**people):
    return population(3, runs=2, stage=STAGES_OF_PEOPLE, **people)


@pytest.mark.parametrize("who", [None, np.array([0, 3, 4])])
def test_positive_interactions_follow_the_odd_sum_over_tie_types(who):
    p = params(*WEIGHTS)
    pop = two_runs()
    net = network(6, 3, **NETWORK)
    barriers = FELT if who is None else FELT[:, who]
    got = positive_interactions(pop, net, p, barriers, SHAME, who)
    assert got.dtype == np.float32  # the precision of every per-person quantity
    expected = odd_interactions(p, pop, NETWORK, FELT, SHAME)
    np.testing.assert_allclose(got, expected if who is None else expected[who], rtol=2e-6)


def test_professional_capacity_is_capped_at_one_and_dilutes_big_caseloads():
    """Run 0: 30 of 50 users per professional served (0.6); run 1: 50 of 25 (capped at 1)."""
    p = params(*WEIGHTS, **{"network.family_weight": 0.0, "network.peer_weight": 0.0,
                            "network.community_weight": 0.0})
    pop = two_runs()
    net = network(6, 3, professional=[1] * 6)
    zero = np.zeros_like(FELT)
    got = positive_interactions(pop, net, p, zero, SHAME)
    np.testing.assert_allclose(got, [0.3 * 0.6] * 3 + [1.1] * 3, rtol=1e-6)


def odd_stage_hazards(p, pop, support, gate):
    up, down = [], []
    for i in range(pop.size):
        r, s = pop.run[i], int(pop.stage[i])
        rate = value(p, STAGE_RATE[s], r) if s < 3 else 0.0
        h = rate / 52 * support[i] * gate[i]
        if pop.in_hospital[i]:
            h *= 0.0 if s == 2 else value(p, "recovery.hospital_progress_factor", r)
        if s == 0:  # ODD 7.4: lost trust divides the move from discontinuity to safety by 1 + effect x mistrust
            h /= 1 + value(p, "recovery.mistrust_safety_effect", r) * float(pop.service_mistrust[i])
        up.append(h)
        down.append(value(p, "recovery.setback_rate", r) / 52 if s > 0 else 0.0)
    return np.array(up), np.array(down)


@pytest.mark.parametrize("who", [None, np.array([1, 2, 3, 5]), np.array([0, 4, 6])])
def test_stage_hazards_by_stage_support_gate_and_hospital(who):
    p = params(*RECOVERY)
    pop = population(4, runs=2, stage=[0, 1, 2, 3, 1, 2, 0, 2], in_hospital=[0, 1, 1, 0, 0, 0, 1, 0],
                     service_mistrust=[0.6, 0.9, 0.0, 0.3, 0.5, 0.0, 0.8, 0.2])
    support = np.array([0.9, 0.5, 0.7, 0.3, 0.8, 0.6, 0.4, 1.0], np.float32)
    gate = np.array([0.6, 0.8, 0.5, 1.0, 0.7, 0.9, 0.3, 0.2], np.float32)
    pick = slice(None) if who is None else who
    up, down = stage_hazards(pop, p, support[pick].copy(), gate[pick], who)
    exp_up, exp_down = odd_stage_hazards(p, pop, support, gate)
    np.testing.assert_allclose(up, exp_up[pick], rtol=2e-6)
    np.testing.assert_allclose(down, exp_down[pick], rtol=2e-6)
    assert up[list(range(8))[pick].index(2)] == 0.0 if who is None else True  # control in hospital: no reunion


def test_stage_hazards_of_a_single_run():
    p = params(RECOVERY[1])
    pop = population(4, stage=[0, 1, 2, 3], in_hospital=[1, 0, 0, 0])
    ones = np.ones(4, np.float32)
    up, down = stage_hazards(pop, p, ones.copy(), ones)
    exp_up, exp_down = odd_stage_hazards(p, pop, ones, ones)
    np.testing.assert_allclose(up, exp_up, rtol=2e-6)
    np.testing.assert_allclose(down, exp_down, rtol=2e-6)


@pytest.mark.parametrize("enabled", [True, False])
def test_hazards_combine_felt_barriers_support_and_gate(enabled):
    p_run = [{**a, **b, **w, "network.enabled": enabled} for a, b, w in zip(RUN_PARAMS, RECOVERY, WEIGHTS, strict=True)]
    p, system, two = model_inputs(RUN_ROOTS, p_run)
    pop = two_runs(**PEOPLE)
    net = network(6, 3, **NETWORK)
    degree = net.degree("peer")
    st = state(2, barriers=system, two_valued=two, roots={"shame_pressure": SHAME},
               levers={"peer_availability": PEER_AVAILABILITY})
    felt_levels = expected_matrix(p, RUN_ROOTS, pop, degree, PEER_AVAILABILITY)
    support = 1 - np.exp(-odd_interactions(p, pop, NETWORK, felt_levels, SHAME)) if enabled else np.ones(6)
    gate = [odd_gate(felt_levels, int(pop.stage[i]), i, value(p, "recovery.barrier_strength", pop.run[i]))
            for i in range(6)]
    exp_up, exp_down = odd_stage_hazards(p, pop, support, gate)
    up, down = hazards(pop, net, p, st)
    np.testing.assert_allclose(up, exp_up, rtol=1e-5)
    np.testing.assert_allclose(down, exp_down, rtol=1e-6)
    who = np.array([0, 4])
    up_who, _ = hazards(pop, net, p, st, who)
    np.testing.assert_allclose(up_who, exp_up[who], rtol=1e-5)


def test_competing_hazards_share_the_probability_of_any_move():
    h_up = np.array([0.02, 0.0, 0.1, 0.0], np.float32)
    h_down = np.array([0.01, 0.03, 0.0, 0.0], np.float32)
    p_up, p_down = transition_probabilities(h_up, h_down)
    for i in range(4):
        total = float(h_up[i]) + float(h_down[i])
        share = (1 - math.exp(-total)) / total if total else 0.0
        assert p_up[i] == pytest.approx(share * float(h_up[i]), rel=1e-6, abs=1e-12)
        assert p_down[i] == pytest.approx(share * float(h_down[i]), rel=1e-6, abs=1e-12)


def test_one_uniform_decides_up_below_p_up_then_down_below_p_up_plus_p_down():
    pop = population(5, stage=[1, 1, 1, 2, 0])
    p_up = np.array([0.25, 0.25, 0.25, 0.5, 0.5])
    p_down = np.array([0.25, 0.25, 0.25, 0.25, 0.0])
    u = np.array([0.2499, 0.25, 0.5, 0.75, 0.5])  # up; boundary: down; boundary: stays; stays; stays
    moves = progress(pop, p_up, p_down, u, week=9)
    assert moves.up.tolist() == [0] and moves.down.tolist() == [1]
    assert pop.stage.tolist() == [2, 0, 1, 2, 0]
    assert pop.stage_since.tolist() == [9, 9, 0, 0, 0]
    assert pop.reached_week[0].tolist() == [0, 0, 9, -1]


def test_progress_of_a_subset_moves_the_listed_people():
    pop = population(4, stage=[0, 1, 2, 3])
    moves = progress(pop, np.array([0.9, 0.0]), np.array([0.0, 0.9]), np.array([0.1, 0.1]), 3, np.array([1, 3]))
    assert moves.up.tolist() == [1] and moves.down.tolist() == [3]
    assert pop.stage.tolist() == [0, 2, 2, 2]


def test_week_moves_the_movers_by_their_odd_probabilities():
    p = params(RECOVERY[0], **{"network.enabled": False})
    pop = population(3, stage=[0, 1, 2])
    # No barrier anywhere (peers fully available), so the gate is 1 and only the rates matter.
    none = {name: np.zeros((1, 2), np.float32) for name in ("choice_unavailable", "authority_slope", "devalued_life",
                                                            "social_exclusion")}
    st = state(1, barriers=np.zeros((1, 8)), two_valued=none, levers={"peer_availability": [1.0]})
    rates = [value(p, name) / 52 for name in STAGE_RATE]
    down = value(p, "recovery.setback_rate") / 52
    p_up = [(1 - math.exp(-(rates[s] + (down if s else 0)))) * rates[s] / (rates[s] + (down if s else 0))
            for s in range(3)]
    u = np.array([p_up[0] * 0.999, p_up[1] * 1.001, p_up[2] * 0.999])
    moves = recovery_stages.week(pop, network(3), p, st, np.arange(3), u)
    assert moves.up.tolist() == [0, 2] and moves.down.tolist() == [1]  # person 1: just above p_up, so down
    assert pop.stage.tolist() == [1, 0, 3]


def test_move_probability_bound_is_a_tight_upper_bound_of_any_move():
    p = params(*RECOVERY)
    bound = move_probability_bound(p.recovery)
    for r in range(2):
        rates = [value(p, name, r) / 52 for name in STAGE_RATE]
        down = value(p, "recovery.setback_rate", r) / 52
        highest = max(1 - math.exp(-(rate + down)) for rate in rates)
        assert highest <= bound[r] <= highest * (1 + 2e-4) + 2e-6


def test_move_probability_bound_covers_a_hospital_factor_above_one_and_stays_a_probability():
    """Hand-made sections outside the registry's ranges: the bound still holds and never exceeds 1."""
    from types import SimpleNamespace

    def section(rate, factor):
        one = np.array([rate])
        return SimpleNamespace(progress_rate_safety=one, progress_rate_control=one / 2, progress_rate_reunion=one / 4,
                               setback_rate=np.array([0.1]), hospital_progress_factor=np.array([factor]))

    fast = move_probability_bound(section(1.0, 1.5))[0]
    assert fast >= 1 - math.exp(-(1.5 * 1.0 + 0.1) / 52)
    assert move_probability_bound(section(500.0, 1.0)).tolist() == [1.0]
