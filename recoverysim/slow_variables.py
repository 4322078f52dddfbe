"""Slow variables: trauma load, medication burden and service mistrust drift back towards each person's baseline."""

from __future__ import annotations

import numpy as np

from recoverysim.batch import derived
from recoverysim.parameters import WEEKS_PER_YEAR
from recoverysim.population import REAL, of_runs


@derived
def weekly_decay(c) -> tuple[np.ndarray, np.ndarray]:
    """Weekly factors (trauma load, medication burden, mistrust) by which the excess over the baseline shrinks."""
    return (np.exp(-c.trauma_load_recovery_rate / WEEKS_PER_YEAR).astype(REAL),
            np.exp(-c.medication_recovery_rate / WEEKS_PER_YEAR).astype(REAL),
            np.exp(-c.mistrust_recovery_rate / WEEKS_PER_YEAR).astype(REAL))


def recover(pop, c) -> None:
    """One week of recovery towards each person's baseline, at the yearly rates of ``c`` (``[crisis]`` section).

    Trauma load decays towards the trauma history, medication burden (in the community) towards its baseline,
    service mistrust towards 0.
    """
    decay_t, decay_m, decay_trust = weekly_decay(c)
    # Only people above their baseline move; most people sit at it, so work on that subset.
    up = (pop.trauma_load > pop.trauma_history).nonzero()[0]
    base_t = pop.trauma_history[up].astype(REAL)
    pop.trauma_load[up] = base_t + (pop.trauma_load[up] - base_t) * of_runs(decay_t, pop.run_of(up))
    up = ((pop.medication_burden > pop.medication_baseline) & ~pop.in_hospital).nonzero()[0]
    base_m = pop.medication_baseline[up]
    pop.medication_burden[up] = base_m + (pop.medication_burden[up] - base_m) * of_runs(decay_m, pop.run_of(up))
    up = (pop.service_mistrust > 0).nonzero()[0]
    pop.service_mistrust[up] *= of_runs(decay_trust, pop.run_of(up))
