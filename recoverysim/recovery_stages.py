"""Stage progression: positive interactions in the network, gated by barriers, with background setbacks.

Per week, a person in stage s (not reunion) moves up with hazard
``h_up = rate_{s+1} / 52 * support * gate`` (times hospital_progress_factor in hospital; reunion cannot be
reached in hospital) and falls back one stage with hazard ``h_down = setback_rate / 52`` (s > 0). The two
compete: ``p_any = 1 - exp(-(h_up + h_down))`` and the move is up with share ``h_up / (h_up + h_down)``.
"""

from __future__ import annotations

import numpy as np

from recoverysim.barriers import BARRIER_INDEX
from recoverysim.parameters import STAGES, WEEKS_PER_YEAR
from recoverysim.population import REAL

REUNION = STAGES.index("reunion")


def positive_interactions(pop, network, params, barriers: np.ndarray, shame_pressure: float) -> np.ndarray:
    """Expected positive interactions per week from each person's ties, weighed by the barriers."""
    w = params.network
    prof_quality = 1 - 0.5 * (barriers[BARRIER_INDEX["lack_of_compassion"]]
                              + barriers[BARRIER_INDEX["authority_slope"]])
    caseload = 1000 / params.levers.professionals_per_1000
    prof_capacity = min(1.0, w.professional_caseload / caseload)
    in_reunion = (pop.stage == REUNION).astype(REAL)
    # Accumulated in place (same order of operations as the formula in docs/ODD.md 7.3).
    total = np.multiply(network.degree("family"), w.family_weight, dtype=REAL)
    total *= 1 - shame_pressure
    term = np.multiply(network.degree("professional"), w.professional_weight, dtype=REAL)
    term *= prof_capacity
    term *= prof_quality
    total += term
    peers = network.peer_neighbour_sum(in_reunion).astype(REAL)
    peers *= w.role_model_bonus
    peers += network.degree("peer")
    peers *= w.peer_weight
    total += peers
    np.multiply(network.degree("community"), w.community_weight, out=term, dtype=REAL)
    np.subtract(1, barriers[BARRIER_INDEX["social_exclusion"]], out=prof_quality)
    term *= prof_quality
    total += term
    return total


def stage_hazards(pop, params, support: np.ndarray, gate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weekly hazards (up, down) for every person."""
    r = params.recovery
    rates = np.array([r.progress_rate_safety, r.progress_rate_control, r.progress_rate_reunion, 0.0], REAL)
    h_up = (rates / WEEKS_PER_YEAR)[pop.stage] * support
    h_up *= gate
    inpatients = np.flatnonzero(pop.in_hospital)
    # Reunion cannot be reached in hospital: the factor is 0 from control.
    h_up[inpatients] *= np.where(pop.stage[inpatients] == REUNION - 1, 0.0, r.hospital_progress_factor).astype(REAL)
    h_down = np.array([0.0, *[r.setback_rate / WEEKS_PER_YEAR] * 3], REAL)[pop.stage]
    return h_up, h_down


def transition_probabilities(h_up: np.ndarray, h_down: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weekly probabilities (up, down) of the competing hazards."""
    total = h_up + h_down
    # Each share from its own hazard (p_any - p_up can round below zero); where total is 0 so is p_any.
    scale = -np.expm1(-total)
    scale /= np.maximum(total, np.finfo(total.dtype).tiny)
    return scale * h_up, scale * h_down


def progress(pop, p_up: np.ndarray, p_down: np.ndarray, u: np.ndarray, week: int) -> tuple[int, int]:
    """Apply moves with one uniform per person; returns (moved up, fell back)."""
    up = np.flatnonzero(u < p_up)
    down = np.flatnonzero((u >= p_up) & (u < p_up + p_down))
    pop.move_to_stage(up, pop.stage[up] + 1, week)
    pop.move_to_stage(down, pop.stage[down] - 1, week)
    return up.size, down.size
