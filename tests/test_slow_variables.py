"""slow_variables.py: one week of trauma load and medication burden recovery, against docs/ODD.md 7.4."""

import math

import numpy as np
from hand_made import params, population, value

from recoverysim import slow_variables

RATES = [{"crisis.trauma_load_recovery_rate": 0.4, "crisis.medication_recovery_rate": 1.3},
         {"crisis.trauma_load_recovery_rate": 1.7, "crisis.medication_recovery_rate": 0.2}]


def test_trauma_and_medication_decay_towards_their_baselines():
    """x <- base + (x - base) e^(-rate/52), only above the baseline; medication only in the community."""
    p = params(*RATES)
    history = [True, False, True, False, True, False]
    trauma = [3.0, 0.5, 1.0, 2.0, 0.5, 0.0]  # person 4: below its history baseline of 1, stays
    baseline = [0.2, 0.3, 0.4, 0.1, 0.5, 0.6]
    medication = [0.9, 0.3, 0.8, 0.7, 0.2, 0.9]  # 1: at its baseline; 2: in hospital; 4: below
    in_hospital = [False, False, True, False, False, False]
    pop = population(3, runs=2, trauma_history=history, trauma_load=trauma, medication_baseline=baseline,
                     medication_burden=medication, in_hospital=in_hospital)
    slow_variables.recover(pop, p.crisis)
    expected_trauma, expected_medication = [], []
    for i in range(6):
        r = i // 3
        keep_t = math.exp(-value(p, "crisis.trauma_load_recovery_rate", r) / 52)
        keep_m = math.exp(-value(p, "crisis.medication_recovery_rate", r) / 52)
        base = float(history[i])
        expected_trauma.append(base + (trauma[i] - base) * keep_t if trauma[i] > base else trauma[i])
        moves = medication[i] > baseline[i] and not in_hospital[i]
        expected_medication.append(baseline[i] + (medication[i] - baseline[i]) * keep_m if moves else medication[i])
    np.testing.assert_allclose(pop.trauma_load, expected_trauma, rtol=1e-6)
    np.testing.assert_allclose(pop.medication_burden, expected_medication, rtol=1e-6)


def test_service_mistrust_decays_towards_zero():
    """m <- m e^(-rate/52) at each run's own rate (ODD 7.4: m decays at mistrust_recovery_rate per year)."""
    p = params({"crisis.mistrust_recovery_rate": 0.35}, {"crisis.mistrust_recovery_rate": 0.7})
    mistrust = [0.6, 0.0, 1.0, 0.25, 0.9, 0.0]  # 1 and 5: no mistrust, stay at 0; 2: full mistrust
    pop = population(3, runs=2, service_mistrust=mistrust)
    slow_variables.recover(pop, p.crisis)
    expected = [m * math.exp(-value(p, "crisis.mistrust_recovery_rate", i // 3) / 52) for i, m in enumerate(mistrust)]
    np.testing.assert_allclose(pop.service_mistrust, expected, rtol=1e-6)
    assert pop.service_mistrust[1] == pop.service_mistrust[5] == 0.0
