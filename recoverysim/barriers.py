"""Barriers: how the roots feed the eight barriers, and how barriers gate progress between stages.

A barrier's system level is the mean of the roots that feed it (paper, Theme 2; equal weights, assumed).
Each person feels it through an individual modifier m (trauma load, hospital stay, life security,
medication burden, diagnosis): felt = 1 - (1 - system level) ** m, so m = 1 is the system level.
Entry to a stage is gated by that stage's barriers:
gate = geometric mean over the stage's barriers of (1 - barrier_strength * barrier_b), so that stages with
two or three barriers are gated alike when their barriers are equally high, and no barrier blocks entirely.
"""

from __future__ import annotations

import math

import numpy as np

from recoverysim.parameters import BARRIERS, ROOTS, STAGES
from recoverysim.population import REAL

BARRIER_NAMES = tuple(BARRIERS)
BARRIER_INDEX = {b: i for i, b in enumerate(BARRIER_NAMES)}
#: For each stage, the barrier rows that block entry to it.
STAGE_BARRIERS = {s: [BARRIER_INDEX[b] for b, st in BARRIERS.items() if st == s] for s in STAGES}
#: Root-to-barrier incidence (barriers x roots), from the paper's Theme 2.
FEEDS = np.array([[b in ROOTS[r] for r in ROOTS] for b in BARRIER_NAMES], dtype=float)


def system_barriers(roots: dict[str, float]) -> np.ndarray:
    """System level of each barrier (mean of feeding roots), shape (8,)."""
    levels = np.array([roots[r] for r in ROOTS])
    return FEEDS @ levels / FEEDS.sum(axis=1)


def person_barriers(system: np.ndarray, pop, params, peer_availability: float, peer_degree: np.ndarray,
                    social_exclusion_pressure: float) -> np.ndarray:
    """Barrier levels felt by each person, shape (8, n) (one contiguous row per barrier), in [0, 1]."""
    b = params.barriers
    out = np.empty((len(BARRIER_NAMES), pop.size), REAL)
    sys = dict(zip(BARRIER_NAMES, system, strict=True))
    # Rows are filled in place: at a million people every temporary array costs as much as the arithmetic.
    row = out[BARRIER_INDEX["lack_of_compassion"]]
    np.multiply(pop.trauma_load, b.trauma_amplifier, out=row)
    row += 1
    _felt_in_place(sys["lack_of_compassion"], row)
    # Life security 0.5 leaves the system level unchanged; full security removes the barrier.
    row = out[BARRIER_INDEX["life_insecurity"]]
    np.subtract(1, pop.life_security, out=row)
    row *= 2
    _felt_in_place(sys["life_insecurity"], row)
    row = out[BARRIER_INDEX["disempowerment"]]
    np.add(pop.medication_burden, 0.5, out=row)
    _felt_in_place(sys["disempowerment"], row)
    # Two-valued modifiers (hospital stay, diagnosis) need two values and a masked copy, not a power per person.
    hospital = np.array([1.0, 1 + b.hospital_amplifier])
    stigma = np.array([1.0, 1 + b.schizophrenia_stigma_amplifier])
    for name, mask, modifier in (("choice_unavailable", pop.in_hospital, hospital),
                                 ("authority_slope", pop.in_hospital, hospital),
                                 ("devalued_life", pop.schizophrenia, stigma),
                                 ("social_exclusion", pop.schizophrenia,
                                  (0.5 + social_exclusion_pressure) * stigma)):
        # Exclusion pressure 0.5 leaves the system level unchanged; 0 halves the exponent, 1 raises it by half.
        without, with_ = felt(sys[name], modifier)
        row = out[BARRIER_INDEX[name]]
        row.fill(without)
        np.copyto(row, with_, where=mask)
    # Services' peer offer is only as good as the networks let it be; a person's own peer ties help more.
    row = out[BARRIER_INDEX["peers_unavailable"]]
    np.add(peer_degree, 1.0, out=row)
    np.divide(1 - peer_availability * (1 - sys["peers_unavailable"]), row, out=row)
    return out


def _felt_in_place(system_level: float, modifier: np.ndarray) -> None:
    """Overwrite ``modifier`` with ``felt(system_level, modifier)``."""
    if system_level >= 1.0:
        np.copyto(modifier, np.where(modifier > 0, 1.0, 0.0))
        return
    modifier *= math.log1p(-system_level)
    np.expm1(modifier, out=modifier)
    np.negative(modifier, out=modifier)


def felt(system_level: float, modifier: np.ndarray | float) -> np.ndarray:
    """Barrier felt by a person: 1 - (1 - system level) ** modifier.

    A modifier of 1 leaves the system level unchanged; larger modifiers push the barrier towards 1 and
    smaller ones towards 0, and the result stays in [0, 1] without clipping (so effects do not saturate).
    """
    if system_level >= 1.0:
        return np.where(np.asarray(modifier) > 0, 1.0, 0.0) * np.ones_like(modifier, dtype=float)
    return -np.expm1(np.asarray(modifier, dtype=float) * np.log1p(-system_level))


def progress_gate(barriers: np.ndarray, stage: np.ndarray, strength: float) -> np.ndarray:
    """Share of the progress hazard that gets through the barriers of each person's next stage."""
    gate = np.ones(stage.shape[0], barriers.dtype)
    for s, name in enumerate(STAGES[1:]):
        who = np.flatnonzero(stage == s)
        rows = STAGE_BARRIERS[name]
        g = 1 - strength * barriers[rows[0], who]
        for r in rows[1:]:
            g *= 1 - strength * barriers[r, who]
        gate[who] = _ROOTS_OF[len(rows)](g)
    return gate


# Geometric mean of 1, 2 or 3 factors: sqrt and cbrt are much faster than a general power.
_ROOTS_OF = {1: lambda g: g, 2: np.sqrt, 3: np.cbrt}


def limiting_barrier(barriers: np.ndarray, stage: np.ndarray) -> np.ndarray:
    """Index (into BARRIER_NAMES) of the strongest barrier in front of each person (-1 in reunion)."""
    out = np.full(stage.shape[0], -1)
    for s, name in enumerate(STAGES[1:]):
        who = np.flatnonzero(stage == s)
        rows = np.array(STAGE_BARRIERS[name])
        out[who] = rows[np.argmax(barriers[rows][:, who], axis=0)]
    return out
