"""hospital.py on a few hand-made inpatients with hand-chosen draws, against docs/ODD.md 7.4 (discharge, admission)."""

import math

import numpy as np
from hand_made import params, population, value

from recoverysim import hospital
from recoverysim.hospital import InpatientDraws

HOSPITAL = [
    {"hospital.short_stay_mean_days": 30.0, "hospital.long_stay_mean_days": 900.0, "hospital.long_stay_share": 0.4,
     "hospital.psychosocial_discharge_effect": 1.5, "hospital.stage_discharge_effect": 0.3,
     "crisis.medication_increase": 0.2, "crisis.admission_security_loss": 0.25,
     "crisis.psychosocial_medication_effect": 1.7},
    {"hospital.short_stay_mean_days": 60.0, "hospital.long_stay_mean_days": 2000.0, "hospital.long_stay_share": 0.9,
     "hospital.psychosocial_discharge_effect": 0.4, "hospital.stage_discharge_effect": 1.2,
     "crisis.medication_increase": 0.35, "crisis.admission_security_loss": 0.1,
     "crisis.psychosocial_medication_effect": 0.4},
]
GAP = np.array([0.6, 0.25])


def odd_discharge_probability(p, run, long_stay, stage):
    """ODD 7.4: weekly hazard 7 / mean stay x exp(-effect x psychosocial_gap) x (1 + stage effect x stage)."""
    mean = value(p, "hospital.long_stay_mean_days" if long_stay else "hospital.short_stay_mean_days", run)
    hazard = (7 / mean * math.exp(-value(p, "hospital.psychosocial_discharge_effect", run) * GAP[run])
              * (1 + value(p, "hospital.stage_discharge_effect", run) * stage))
    return 1 - math.exp(-hazard)


def inpatient_draws(discharge):
    k = len(discharge)
    return InpatientDraws(np.asarray(discharge, float), *(np.arange(k) / 10 + j for j in range(1, 5)))


def test_discharge_by_the_odd_hazard_and_what_a_leaver_keeps():
    p = params(*HOSPITAL)
    stage = [0, 2, 1, 3, 0, 1]
    long_stay = [False, True, False, False, True, False]
    pop = population(3, runs=2, stage=stage, long_stay=long_stay, in_hospital=[1] * 5 + [0],
                     admitted_week=[3, 4, 5, 6, 7, 8], prevalent_stay=[1, 0, 1, 0, 0, 0])
    inpatients = np.arange(5)
    prob = [odd_discharge_probability(p, i // 3, long_stay[i], stage[i]) for i in inpatients]
    u = np.array(prob) * np.array([0.999, 1.001, 0.999, 0.999, 1.001])
    out = hospital.discharge(pop, p.hospital, GAP, 20, inpatients, inpatient_draws(u))
    assert out.leaving.tolist() == [0, 2, 3]
    assert out.admitted_week.tolist() == [3, 5, 6] and out.prevalent.tolist() == [True, True, False]
    assert out.staying.tolist() == [1, 4]
    np.testing.assert_array_equal(out.staying_draws.discharge, u[[1, 4]])
    np.testing.assert_array_equal(out.staying_draws.inpatient_coercion, [1.1, 1.4])
    assert pop.in_hospital.tolist() == [False, True, False, False, True, False]
    assert pop.last_discharge_week[[0, 2, 3]].tolist() == [20] * 3
    assert pop.last_discharge_week[[1, 4]].tolist() == [pop.last_discharge_week[5]] * 2  # unchanged: never
    assert not pop.prevalent_stay.any()


def test_admission_raises_medication_lowers_security_and_ends_peer_work():
    p = params(*HOSPITAL)
    pop = population(3, runs=2, medication_burden=[0.1, 0.95, 0.0, 0.3, 0.5, 0.0],
                     life_security=[0.8, 0.5, 0.2, 0.6, 0.4, 1.0], peer_worker=[1, 1, 0, 1, 0, 1])
    people = np.array([0, 1, 3, 4])
    involuntary = np.array([True, False, False, True])
    # Long-stay threshold share x gap: 0.4 x 0.6 = 0.24 in run 0, 0.9 x 0.25 = 0.225 in run 1.
    u_long = np.array([0.239, 0.24, 0.0, 0.226])
    out = hospital.admit(pop, p.crisis, p.hospital, GAP, 11, people, involuntary, u_long)
    assert out.people.tolist() == [0, 1, 3, 4] and out.involuntary.tolist() == [True, False, False, True]
    assert pop.in_hospital.tolist() == [True, True, False, True, True, False]
    assert pop.admitted_week[people].tolist() == [11] * 4 and pop.admitted_week[[2, 5]].tolist() == [0, 0]
    assert pop.involuntary.tolist() == [True, False, False, False, True, False]
    assert pop.long_stay.tolist() == [True, False, False, True, False, False]
    assert pop.peer_worker.tolist() == [False, False, False, False, False, True]
    added = [value(p, "crisis.medication_increase", r)
             * (1 + value(p, "crisis.psychosocial_medication_effect", r) * GAP[r]) for r in (0, 1)]
    np.testing.assert_allclose(pop.medication_burden, [0.1 + added[0], 1.0, 0.0, 0.3 + added[1], 0.5 + added[1], 0.0],
                               rtol=1e-6)
    keep = [1 - value(p, "crisis.admission_security_loss", r) for r in (0, 1)]
    np.testing.assert_allclose(pop.life_security, [0.8 * keep[0], 0.5 * keep[0], 0.2, 0.6 * keep[1], 0.4 * keep[1],
                                                   1.0], rtol=1e-6)


def test_beds_are_bed_capacity_per_1000_users_rounded_to_whole_beds():
    """ODD 7.4: bed_capacity per 1,000 users, rounded to whole beds (a count: the weekly table's beds)."""
    # 79 x 10,000 / 1,000 = 790; 0 beds; 33.7 x 10,000 / 1,000 = 337.
    got = hospital.beds(np.array([79.0, 0.0, 33.7]), 10_000)
    assert got.tolist() == [790, 0, 337] and got.dtype.kind == "i"
    # 79 x 50 / 1,000 = 3.95 rounds to 4 (not truncated to 3); 79 x 30 / 1,000 = 2.37 rounds to 2.
    assert hospital.beds(np.array([79.0]), 50).tolist() == [4] and hospital.beds(np.array([79.0]), 30).tolist() == [2]
