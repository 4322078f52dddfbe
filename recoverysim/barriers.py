"""Barriers: how the roots feed the eight barriers, and how barriers gate progress between stages.

A barrier's system level is the mean of the roots that feed it (paper, Theme 2; equal weights, assumed).
Each person feels it through an individual modifier m (trauma load, hospital stay, life security,
medication burden, diagnosis): felt = 1 - (1 - system level) ** m, so m = 1 is the system level. ``felt`` is
the one implementation of that formula; the modifiers' coefficients are the ``[barriers]`` parameters.
Entry to a stage is gated by that stage's barriers:
gate = geometric mean over the stage's barriers of (1 - barrier_strength * barrier_b), so that stages with
two or three barriers are gated alike when their barriers are equally high, and no barrier blocks entirely.
"""

from __future__ import annotations

import math

import numpy as np

from recoverysim.parameters import BARRIERS, ROOTS, STAGES
from recoverysim.population import REAL, of_people, of_runs
from recoverysim.relationship_network import degree_counts

BARRIER_NAMES = tuple(BARRIERS)
BARRIER_INDEX = {b: i for i, b in enumerate(BARRIER_NAMES)}
#: For each stage, the barrier rows that block entry to it.
STAGE_BARRIERS = {s: [BARRIER_INDEX[b] for b, st in BARRIERS.items() if st == s] for s in STAGES}
#: Root-to-barrier incidence (barriers x roots), from the paper's Theme 2.
FEEDS = np.array([[b in ROOTS[r] for r in ROOTS] for b in BARRIER_NAMES], dtype=float)
_FEED_COUNTS = FEEDS.sum(axis=1)


def system_barriers(roots: dict[str, np.ndarray]) -> np.ndarray:
    """System level of each barrier (mean of feeding roots) in each run, shape (runs, 8)."""
    levels = np.stack([roots[r] for r in ROOTS], axis=-1)
    return levels @ FEEDS.T / _FEED_COUNTS


def person_barriers(system: np.ndarray, two_valued: dict[str, np.ndarray], pop, b, peer_availability: np.ndarray,
                    peer_degree: np.ndarray, who: np.ndarray | None = None) -> np.ndarray:
    """Barrier levels felt by each person (or only ``who``), shape (8, n), one contiguous row per barrier.

    ``system`` is ``system_barriers`` and ``two_valued`` ``two_valued_barriers(system, ...)`` of the same week (one
    row per run), ``b`` the ``[barriers]`` section; each person feels their own run's levels. Every operation is
    elementwise, so the levels of a subset are bit-identical to the same people's levels computed for everyone.
    """
    run = pop.run_of(who)
    out = np.empty((len(BARRIER_NAMES), pop.size if who is None else who.size), REAL)
    for name in _CONTINUOUS_BARRIERS:
        _fill_continuous(name, system, pop, b, who, run, out[BARRIER_INDEX[name]])
    # Two-valued modifiers (hospital stay, diagnosis) need two values per barrier and a choice, not a power per
    # person; the barriers raised by the same flag are filled together.
    for mask, names in _flag_groups(pop):
        levels = np.stack([two_valued[name] for name in names])  # (barriers, runs, [without, with])
        if pop.runs > 1:
            levels = levels.take(run, axis=1)
        rows = [BARRIER_INDEX[name] for name in names]
        out[rows] = np.where(of_people(mask, who), levels[:, :, 1], levels[:, :, 0])
    _fill_peers_unavailable(system, peer_availability, b.real.own_peer_tie_effect,
                            of_people(peer_degree, who), run, out[BARRIER_INDEX["peers_unavailable"]])
    return out


def barrier_means(system: np.ndarray, two_valued: dict[str, np.ndarray], pop, b,
                  peer_availability: np.ndarray, peer_degree: np.ndarray) -> np.ndarray:
    """Mean of each barrier over each run's people, shape (runs, 8), without building the (8, n) matrix.

    Two-valued barriers need only the count of people with the modifier, peers_unavailable the number of
    people with each peer degree; the others need one row at a time.
    """
    n = pop.run_size
    means = np.empty((pop.runs, len(BARRIER_NAMES)))
    row = np.empty(n, REAL)
    for r in range(pop.runs):
        mine = slice(r * n, (r + 1) * n)
        for name in _CONTINUOUS_BARRIERS:
            level = system[r, BARRIER_INDEX[name]]
            attribute, slope, intercept = _linear_modifier(name, b)
            slope = float(slope[r]) if np.ndim(slope) else slope
            intercept = float(intercept[r]) if np.ndim(intercept) else intercept
            values = getattr(pop, attribute)[mine]
            if level >= 1.0:
                np.copyto(row, np.where(values * slope + intercept > 0, 1.0, 0.0))
                means[r, BARRIER_INDEX[name]] = float(np.add.reduce(row)) / n
                continue
            # mean(1 - (1 - level) ** m) = -mean(expm1(m * log(1 - level))), with m linear in the attribute:
            # two passes build the exponent, one takes expm1, one sums.
            log_keep = math.log1p(-level)
            np.multiply(values, slope * log_keep, out=row)
            row += intercept * log_keep
            np.expm1(row, out=row)
            means[r, BARRIER_INDEX[name]] = -float(np.add.reduce(row)) / n
        for mask, names in _flag_groups(pop):
            share = np.count_nonzero(mask[mine]) / n
            for name in names:
                without, with_ = two_valued[name][r]
                means[r, BARRIER_INDEX[name]] = float(without) + (float(with_) - float(without)) * share
        counts = degree_counts(peer_degree[mine])
        by_degree = np.empty(counts.size, REAL)
        _fill_peers_unavailable(system[r:r + 1], peer_availability[r:r + 1],
                                b.real.own_peer_tie_effect[r:r + 1], np.arange(counts.size),
                                np.zeros(counts.size, np.intp), by_degree)
        means[r, BARRIER_INDEX["peers_unavailable"]] = float(counts @ by_degree.astype(np.float64)) / n
    return means


#: Barriers felt through a person's own continuous state (trauma load, life security, medication burden).
_CONTINUOUS_BARRIERS = ("lack_of_compassion", "life_insecurity", "disempowerment")


def _linear_modifier(name: str, b) -> tuple[str, np.ndarray | float, np.ndarray | float]:
    """(population attribute, slope, intercept) of a continuous barrier's modifier: slope * attribute + intercept.

    Slope and intercept are numbers or one value per run from ``b`` (the ``[barriers]`` parameters, or their
    single-precision values).
    """
    if name == "lack_of_compassion":
        return "trauma_load", b.trauma_amplifier, 1.0
    if name == "life_insecurity":
        # amplifier * (1 - life security), written as slope and intercept.
        return "life_security", -b.insecurity_amplifier, b.insecurity_amplifier
    return "medication_burden", b.medication_amplifier, b.disempowerment_baseline


def _fill_continuous(name: str, system: np.ndarray, pop, b, who: np.ndarray | None, run: np.ndarray,
                     row: np.ndarray) -> None:
    """Write the felt level of one continuous barrier of everyone (or ``who``, of runs ``run``) into ``row``."""
    attribute, slope, intercept = _linear_modifier(name, b.real)
    np.multiply(of_people(getattr(pop, attribute), who), of_runs(slope, run), out=row)
    row += of_runs(intercept, run)
    felt(system[:, BARRIER_INDEX[name]], row, run=run, out=row)


def _fill_peers_unavailable(system: np.ndarray, peer_availability: np.ndarray, own_tie_effect: np.ndarray,
                            peer_degree: np.ndarray, run: np.ndarray, row: np.ndarray) -> None:
    # Services' peer offer is only as good as the networks let it be; a person's own peer ties help more.
    np.multiply(peer_degree, of_runs(own_tie_effect, run), out=row)
    row += 1.0
    offer = 1 - peer_availability * (1 - system[:, BARRIER_INDEX["peers_unavailable"]])
    np.divide(of_runs(offer, run), row, out=row)


#: Barriers raised by a hospital stay; the other two-valued ones are raised by a schizophrenia diagnosis.
_HOSPITAL_BARRIERS = ("choice_unavailable", "authority_slope")
_DIAGNOSIS_BARRIERS = ("devalued_life", "social_exclusion")
_TWO_VALUED = (*_HOSPITAL_BARRIERS, *_DIAGNOSIS_BARRIERS)
_TWO_VALUED_ROWS = np.array([BARRIER_INDEX[name] for name in _TWO_VALUED])


def _flag_groups(pop) -> tuple[tuple[np.ndarray, tuple[str, ...]], ...]:
    """Each person flag that raises two-valued barriers, with the barriers it raises."""
    return (pop.in_hospital, _HOSPITAL_BARRIERS), (pop.schizophrenia, _DIAGNOSIS_BARRIERS)


def two_valued_modifiers(b, social_exclusion_pressure: np.ndarray) -> np.ndarray:
    """Modifiers (without, with) of the barriers raised by a hospital stay or a diagnosis, shape (runs, 4, 2).

    ``b`` is the ``[barriers]`` section. They depend on parameters only, so a run computes them once.
    """
    ones = np.ones_like(b.hospital_amplifier)
    hospital = np.stack([ones, 1 + b.hospital_amplifier], axis=-1)
    stigma = np.stack([ones, 1 + b.schizophrenia_stigma_amplifier], axis=-1)
    # With the baseline at 0.5, pressure 0.5 leaves the system level unchanged.
    exclusion = (b.exclusion_pressure_baseline + social_exclusion_pressure)[:, None] * stigma
    return np.stack([hospital, hospital, stigma, exclusion], axis=1)


def two_valued_barriers(system: np.ndarray, modifiers: np.ndarray) -> dict[str, np.ndarray]:
    """Levels (without, with) of the barriers whose modifier is a hospital stay or a diagnosis, (runs, 2) each.

    ``modifiers`` is ``two_valued_modifiers(...)`` of the runs.
    """
    values = felt(system[:, _TWO_VALUED_ROWS][:, :, None], modifiers).astype(REAL)
    return {name: values[:, k] for k, name in enumerate(_TWO_VALUED)}


def felt(system_level, modifier, *, run: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """Barrier felt by a person: 1 - (1 - system level) ** modifier.

    A modifier of 1 leaves the system level unchanged; larger modifiers push the barrier towards 1 and
    smaller ones towards 0, and the result stays in [0, 1] without clipping (so effects do not saturate). At a
    system level of 1 the barrier is 1 for a positive modifier and 0 otherwise.

    ``system_level`` broadcasts against ``modifier``, or with ``run`` holds one value per run, taken for each
    element by its run. With ``out`` (which may be ``modifier`` itself) the result is written there in its
    precision: log(1 - level) is taken in double precision and rounded once.
    """
    level = np.asarray(system_level, dtype=float)  # no copy when already double precision
    saturated = level >= 1.0
    any_saturated = saturated.any()
    # log(1 - level), with saturated levels set aside (their felt level is decided by the modifier's sign).
    log_keep = np.log1p(-np.where(saturated, 0.0, level)) if any_saturated else np.log1p(-level)
    if out is None:
        m = np.asarray(modifier, dtype=float)
        value = -np.expm1(m * (log_keep if run is None else of_runs(log_keep, run)))
        if any_saturated:
            value = np.where(saturated if run is None else of_runs(saturated, run), np.where(m > 0, 1.0, 0.0), value)
        return value
    if out is not modifier:
        np.copyto(out, modifier)
    hit = None
    if any_saturated:
        if saturated.all():
            np.copyto(out, np.where(out > 0, 1.0, 0.0))
            return out
        hit = (np.broadcast_to(saturated, out.shape) if run is None else saturated.take(run)).nonzero()[0]
        full = np.where(out[hit] > 0, 1.0, 0.0)
    log_keep = log_keep.astype(out.dtype)
    out *= log_keep if run is None else of_runs(log_keep, run)
    np.expm1(out, out=out)
    np.negative(out, out=out)
    if hit is not None:
        out[hit] = full
    return out


def progress_gate(barriers: np.ndarray, stage: np.ndarray, strength: float | np.ndarray) -> np.ndarray:
    """Share of the progress hazard that gets through the barriers of each person's next stage (1 in reunion).

    ``strength`` is ``recovery.barrier_strength``: one number, or one per person (of their run).

    The gate of every stage is computed for everyone and each person's own is picked: a handful of whole-array
    operations instead of a selection per stage (the weekly callers pass only the few people who may move).
    """
    factors = 1 - strength * barriers
    # Products over each stage's consecutive rows, in row order (as multiply.reduceat along the rows, which is
    # tens of times slower); then their geometric means.
    gates = factors[_STAGE_FIRST_ROW]
    for s, (first, count) in enumerate(zip(_STAGE_FIRST_ROW, _STAGE_ROW_COUNT, strict=True)):
        for row in range(first + 1, first + count):
            gates[s] *= factors[row]
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
