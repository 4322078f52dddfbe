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
from recoverysim.population import REAL, of_people

BARRIER_NAMES = tuple(BARRIERS)
BARRIER_INDEX = {b: i for i, b in enumerate(BARRIER_NAMES)}
#: For each stage, the barrier rows that block entry to it.
STAGE_BARRIERS = {s: [BARRIER_INDEX[b] for b, st in BARRIERS.items() if st == s] for s in STAGES}
#: Root-to-barrier incidence (barriers x roots), from the paper's Theme 2.
FEEDS = np.array([[b in ROOTS[r] for r in ROOTS] for b in BARRIER_NAMES], dtype=float)
_FEED_COUNTS = FEEDS.sum(axis=1)


def system_barriers(roots: dict[str, float]) -> np.ndarray:
    """System level of each barrier (mean of feeding roots), shape (8,)."""
    levels = np.array([roots[r] for r in ROOTS])
    return FEEDS @ levels / _FEED_COUNTS


def person_barriers(system: np.ndarray, two_valued: dict[str, tuple], pop, params, peer_availability: float,
                    peer_degree: np.ndarray, who: np.ndarray | None = None) -> np.ndarray:
    """Barrier levels felt by each person (or only ``who``), shape (8, n), one contiguous row per barrier.

    ``two_valued`` is ``two_valued_barriers(system, ...)`` of the same week. Every operation is elementwise,
    so the levels of a subset are bit-identical to the same people's levels computed for the whole population.
    """
    out = np.empty((len(BARRIER_NAMES), pop.size if who is None else who.size), REAL)
    for name in _CONTINUOUS_BARRIERS:
        _fill_continuous(name, system, pop, params, who, out[BARRIER_INDEX[name]])
    # Two-valued modifiers (hospital stay, diagnosis) need two values per barrier and a choice, not a power per
    # person; the barriers raised by the same flag are filled together.
    for mask, names in _flag_groups(pop):
        levels = np.array([two_valued[name] for name in names], REAL)  # (barriers, [without, with])
        rows = [BARRIER_INDEX[name] for name in names]
        out[rows] = np.where(of_people(mask, who), levels[:, 1:], levels[:, :1])
    _fill_peers_unavailable(system, peer_availability, of_people(peer_degree, who),
                            out[BARRIER_INDEX["peers_unavailable"]])
    return out


def barrier_means(system: np.ndarray, two_valued: dict[str, tuple], pop, params, peer_availability: float,
                  peer_degree_counts: np.ndarray) -> np.ndarray:
    """Population mean of each barrier, shape (8,), without building the (8, n) matrix.

    Two-valued barriers need only the count of people with the modifier, peers_unavailable the number of
    people with each peer degree (``peer_degree_counts``); the others need one row at a time.
    """
    means = np.empty(len(BARRIER_NAMES))
    row = np.empty(pop.size, REAL)
    for name in _CONTINUOUS_BARRIERS:
        level = system[BARRIER_INDEX[name]]
        attribute, slope, intercept = _linear_modifier(name, params)
        if level >= 1.0:
            _fill_continuous(name, system, pop, params, None, row)
            means[BARRIER_INDEX[name]] = float(np.add.reduce(row)) / pop.size
            continue
        # mean(1 - (1 - level) ** m) = -mean(expm1(m * log(1 - level))), with m linear in the attribute:
        # two passes build the exponent, one takes expm1, one sums.
        log_keep = math.log1p(-level)
        np.multiply(getattr(pop, attribute), slope * log_keep, out=row)
        row += intercept * log_keep
        np.expm1(row, out=row)
        means[BARRIER_INDEX[name]] = -float(np.add.reduce(row)) / pop.size
    for mask, names in _flag_groups(pop):
        share = np.count_nonzero(mask) / pop.size
        for name in names:
            without, with_ = two_valued[name]
            means[BARRIER_INDEX[name]] = float(without) + (float(with_) - float(without)) * share
    by_degree = np.empty(peer_degree_counts.size, REAL)
    _fill_peers_unavailable(system, peer_availability, np.arange(peer_degree_counts.size), by_degree)
    means[BARRIER_INDEX["peers_unavailable"]] = float(peer_degree_counts @ by_degree.astype(np.float64)) / pop.size
    return means


#: Barriers felt through a person's own continuous state (trauma load, life security, medication burden).
_CONTINUOUS_BARRIERS = ("lack_of_compassion", "life_insecurity", "disempowerment")


def _linear_modifier(name: str, params) -> tuple[str, float, float]:
    """(population attribute, slope, intercept) of a continuous barrier's modifier: slope * attribute + intercept."""
    if name == "lack_of_compassion":
        return "trauma_load", params.barriers.trauma_amplifier, 1.0
    if name == "life_insecurity":
        # Life security 0.5 leaves the system level unchanged; full security removes the barrier.
        return "life_security", -2.0, 2.0
    return "medication_burden", 1.0, 0.5


def _fill_continuous(name: str, system: np.ndarray, pop, params, who: np.ndarray | None, row: np.ndarray) -> None:
    """Write the felt level of one continuous barrier of everyone (or ``who``) into ``row``."""
    attribute, slope, intercept = _linear_modifier(name, params)
    np.multiply(of_people(getattr(pop, attribute), who), slope, out=row)
    row += intercept
    _felt_in_place(system[BARRIER_INDEX[name]], row)


def _fill_peers_unavailable(system: np.ndarray, peer_availability: float, peer_degree: np.ndarray,
                            row: np.ndarray) -> None:
    # Services' peer offer is only as good as the networks let it be; a person's own peer ties help more.
    np.add(peer_degree, 1.0, out=row)
    np.divide(1 - peer_availability * (1 - system[BARRIER_INDEX["peers_unavailable"]]), row, out=row)


#: Barriers raised by a hospital stay; the other two-valued ones are raised by a schizophrenia diagnosis.
_HOSPITAL_BARRIERS = ("choice_unavailable", "authority_slope")
_DIAGNOSIS_BARRIERS = ("devalued_life", "social_exclusion")
_TWO_VALUED = (*_HOSPITAL_BARRIERS, *_DIAGNOSIS_BARRIERS)
_TWO_VALUED_ROWS = np.array([BARRIER_INDEX[name] for name in _TWO_VALUED])


def _flag_groups(pop) -> tuple[tuple[np.ndarray, tuple[str, ...]], ...]:
    """Each person flag that raises two-valued barriers, with the barriers it raises."""
    return (pop.in_hospital, _HOSPITAL_BARRIERS), (pop.schizophrenia, _DIAGNOSIS_BARRIERS)


def two_valued_modifiers(params, social_exclusion_pressure: float) -> np.ndarray:
    """Modifiers (without, with) of the barriers raised by a hospital stay or a diagnosis, shape (4, 2).

    They depend on parameters only, so a run computes them once.
    """
    b = params.barriers
    hospital = (1.0, 1 + b.hospital_amplifier)
    stigma = (1.0, 1 + b.schizophrenia_stigma_amplifier)
    # Exclusion pressure 0.5 leaves the system level unchanged; 0 halves the exponent, 1 raises it by half.
    exclusion = (0.5 + social_exclusion_pressure) * np.array(stigma)
    return np.array([hospital, hospital, stigma, exclusion])


def two_valued_barriers(system: np.ndarray, modifiers: np.ndarray) -> dict[str, tuple]:
    """Levels (without, with) of the barriers whose modifier is a hospital stay or a diagnosis.

    ``modifiers`` is ``two_valued_modifiers(...)`` of the run.
    """
    levels = system[_TWO_VALUED_ROWS]
    if levels.max() >= 1.0:
        values = np.array([felt(s, m) for s, m in zip(levels, modifiers, strict=True)])
    else:
        # All four at once: the same arithmetic as ``felt`` element by element.
        values = -np.expm1(modifiers * np.log1p(-levels)[:, None])
    return dict(zip(_TWO_VALUED, map(tuple, values.astype(REAL)), strict=True))


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
    """Share of the progress hazard that gets through the barriers of each person's next stage (1 in reunion).

    The gate of every stage is computed for everyone and each person's own is picked: a handful of whole-array
    operations instead of a selection per stage (the weekly callers pass only the few people who may move).
    """
    factors = 1 - strength * barriers
    # Products over each stage's consecutive rows, in row order; then their geometric means.
    gates = np.multiply.reduceat(factors, _STAGE_FIRST_ROW, axis=0)
    for s, count in enumerate(_STAGE_ROW_COUNT):
        _ROOTS_OF[count](gates[s], out=gates[s])
    k = stage.shape[0]
    gate = gates[np.minimum(stage, len(_STAGE_FIRST_ROW) - 1), np.arange(k)]
    gate[stage >= len(_STAGE_FIRST_ROW)] = 1.0
    return gate


# Geometric mean of 1, 2 or 3 factors: sqrt and cbrt are much faster than a general power.
_ROOTS_OF = {1: lambda g, out: g, 2: np.sqrt, 3: np.cbrt}
#: Each stage's barriers are consecutive rows of BARRIER_NAMES (declared in that order in parameters.BARRIERS).
_STAGE_FIRST_ROW = [STAGE_BARRIERS[s][0] for s in STAGES[1:]]
_STAGE_ROW_COUNT = [len(STAGE_BARRIERS[s]) for s in STAGES[1:]]
if [r for s in STAGES[1:] for r in STAGE_BARRIERS[s]] != list(range(len(BARRIER_NAMES))):
    raise ImportError("parameters.BARRIERS must list each stage's barriers together, in stage order")


def limiting_barrier(barriers: np.ndarray, stage: np.ndarray) -> np.ndarray:
    """Index (into BARRIER_NAMES) of the strongest barrier in front of each person (-1 in reunion)."""
    out = np.full(stage.shape[0], -1)
    for s, name in enumerate(STAGES[1:]):
        who = (stage == s).nonzero()[0]
        rows = np.array(STAGE_BARRIERS[name])
        out[who] = rows[np.argmax(barriers[rows][:, who], axis=0)]
    return out
