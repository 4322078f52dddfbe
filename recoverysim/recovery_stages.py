"""Stage progression: positive interactions in the network, gated by barriers, with background setbacks.

Per week, a person in stage s (not reunion) moves up with hazard
``h_up = rate_{s+1} / 52 * support * gate`` (times hospital_progress_factor in hospital; reunion cannot be
reached in hospital; from discontinuity divided by 1 + mistrust_safety_effect * service mistrust) and falls
back one stage with hazard ``h_down = setback_rate / 52`` (s > 0). The two compete:
``p_any = 1 - exp(-(h_up + h_down))`` and the move is up with share ``h_up / (h_up + h_down)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recoverysim.barriers import BARRIER_INDEX, person_barriers, progress_gate
from recoverysim.batch import derived
from recoverysim.codes import REUNION
from recoverysim.parameters import WEEKS_PER_YEAR
from recoverysim.population import REAL, of_people, of_runs


@dataclass(slots=True)
class StageMoves:
    """People who moved up one stage and down one stage this week (crises and coercion excluded)."""

    up: np.ndarray
    down: np.ndarray


def felt_barriers(pop, network, params, state, who: np.ndarray | None = None) -> np.ndarray:
    """Barrier levels felt now by everyone (or ``who``) in the week's ``SystemState``, shape (8, n)."""
    return person_barriers(state.barriers, state.two_valued, pop, params.barriers, state.levers.peer_availability,
                           network.degree("peer"), who)


def hazards(pop, network, params, state, who: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weekly (up, down) hazards of everyone (or ``who``), from the barriers felt in ``state``."""
    barriers = felt_barriers(pop, network, params, state, who)
    if params.network.enabled:
        support = -np.expm1(-positive_interactions(pop, network, params, barriers, state.roots.shame_pressure, who))
    else:
        support = np.ones(pop.size if who is None else who.size, REAL)
    stage = of_people(pop.stage, who)
    strength = of_runs(params.recovery.real.barrier_strength, pop.run_of(who))
    gate = progress_gate(barriers, stage, strength)
    return stage_hazards(pop, params, support, gate, who)


def positive_interactions(pop, network, params, barriers: np.ndarray, shame_pressure: np.ndarray,
                          who: np.ndarray | None = None) -> np.ndarray:
    """Expected positive interactions per week from each person's ties (or only ``who``'s), weighed by the barriers.

    ``barriers`` holds the columns of the same people (all, or ``who``); ``shame_pressure`` is one value per run.
    """
    w = params.network.real
    run = pop.run_of(who)
    prof_quality = 1 - of_runs(w.professional_barrier_weight, run) * (barriers[BARRIER_INDEX["lack_of_compassion"]]
                                                                       + barriers[BARRIER_INDEX["authority_slope"]])
    in_reunion = pop.stage == REUNION
    # Accumulated in place (same order of operations as the formula in docs/ODD.md 7.3).
    total = np.multiply(of_people(network.degree("family"), who), of_runs(w.family_weight, run), dtype=REAL)
    total *= of_runs((1 - params.network.family_shame_effect * shame_pressure).astype(REAL), run)
    term = np.multiply(of_people(network.degree("professional"), who), of_runs(w.professional_weight, run),
                       dtype=REAL)
    term *= of_runs(professional_capacity(params), run)
    term *= prof_quality
    total += term
    peers = network.peer_neighbour_sum(in_reunion, who).astype(REAL)
    peers *= of_runs(w.role_model_bonus, run)
    peers += of_people(network.degree("peer"), who)
    peers *= of_runs(w.peer_weight, run)
    total += peers
    np.multiply(of_people(network.degree("community"), who), of_runs(w.community_weight, run), out=term, dtype=REAL)
    np.subtract(1, barriers[BARRIER_INDEX["social_exclusion"]], out=prof_quality)
    term *= prof_quality
    total += term
    return total


@derived
def professional_capacity(params) -> np.ndarray:
    """Share of the professional contact each person gets, by run (caseload against what professionals carry)."""
    caseload = 1000 / params.levers.professionals_per_1000
    return np.minimum(1.0, params.network.professional_caseload / caseload).astype(REAL)


def stage_hazards(pop, params, support: np.ndarray, gate: np.ndarray,
                  who: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weekly hazards (up, down) of every person, or of ``who`` (``support`` and ``gate`` of the same people)."""
    r = params.recovery
    stage = of_people(pop.stage, who)
    run = pop.run_of(who)
    up_rates, down_rates = weekly_stage_rates(r)
    if pop.runs == 1:
        h_up, h_down = up_rates[0].take(stage), down_rates[0].take(stage)
    else:
        h_up, h_down = up_rates[run, stage], down_rates[run, stage]
    h_up *= support
    h_up *= gate
    # Lost trust after coercion delays the move to safety (divides the hazard, so the move bound still holds).
    lost_trust = (stage == 0).nonzero()[0]
    lost_trust = lost_trust[of_people(pop.service_mistrust, who).take(lost_trust) > 0]
    h_up[lost_trust] /= 1 + of_runs(r.real.mistrust_safety_effect, run.take(lost_trust)) * of_people(
        pop.service_mistrust, who).take(lost_trust)
    inpatients = of_people(pop.in_hospital, who).nonzero()[0]
    # Reunion cannot be reached in hospital: the factor is 0 from control.
    h_up[inpatients] *= np.where(stage[inpatients] == REUNION - 1, 0.0,
                                 of_runs(r.hospital_progress_factor, run.take(inpatients))).astype(REAL)
    return h_up, h_down


@derived
def weekly_stage_rates(r) -> tuple[np.ndarray, np.ndarray]:
    """Weekly (up, down) hazards by run (rows) and stage (columns) before support, gate and hospital."""
    zero = np.zeros_like(r.setback_rate)
    up = np.stack([r.progress_rate_safety, r.progress_rate_control, r.progress_rate_reunion, zero], axis=1)
    setback = r.setback_rate / WEEKS_PER_YEAR
    down = np.stack([zero, setback, setback, setback], axis=1)
    return up.astype(REAL) / WEEKS_PER_YEAR, down.astype(REAL)


@derived
def move_probability_bound(r) -> np.ndarray:
    """An upper bound of anyone's weekly probability of moving (up or down), by run; ``r``: ``[recovery]``.

    Support, gate and the hospital factor are all at most 1, so the hazards are at most the stage rates. The
    small margin covers single-precision rounding, so anyone whose draw is above the bound stays put.
    """
    top = np.maximum(np.maximum(r.progress_rate_safety, r.progress_rate_control), r.progress_rate_reunion)
    top = top * np.maximum(1.0, r.hospital_progress_factor)
    return np.minimum(1.0, -np.expm1(-(top + r.setback_rate) / WEEKS_PER_YEAR) * (1 + 1e-4) + 1e-6)


def transition_probabilities(h_up: np.ndarray, h_down: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weekly probabilities (up, down) of the competing hazards."""
    total = h_up + h_down
    # Each share from its own hazard (p_any - p_up can round below zero); where total is 0 so is p_any.
    scale = -np.expm1(-total)
    scale /= np.maximum(total, np.finfo(total.dtype).tiny)
    return scale * h_up, scale * h_down


def progress(pop, p_up: np.ndarray, p_down: np.ndarray, u: np.ndarray, week: int,
             who: np.ndarray | None = None) -> StageMoves:
    """Apply moves with one uniform per person (``who``: the people the arrays are of)."""
    up = (u < p_up).nonzero()[0]
    down = ((u >= p_up) & (u < p_up + p_down)).nonzero()[0]
    if who is not None:
        up, down = who[up], who[down]
    # One call for both (the two sets are disjoint).
    pop.move_to_stage(np.concatenate([up, down]), np.concatenate([pop.stage[up] + 1, pop.stage[down] - 1]), week)
    return StageMoves(up, down)


def week(pop, network, params, state, movers: np.ndarray, u: np.ndarray) -> StageMoves:
    """Stage progress and setbacks of one week.

    ``movers`` are those whose draw ``u`` (stream "progress") is below ``move_probability_bound``: only they can
    move, so only their hazards are needed.
    """
    p_up, p_down = transition_probabilities(*hazards(pop, network, params, state, movers))
    return progress(pop, p_up, p_down, u, state.week, movers)
