"""Slow variables: trauma load, medication burden and service mistrust drift back towards each person's baseline."""

from __future__ import annotations

import numpy as np

from recoverysim.batch import derived
from recoverysim.parameters import WEEKS_PER_YEAR
from recoverysim.population import REAL, by_run


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
    # Everyone's new value is computed and kept where the person is above their baseline: most people are
    # (or sit at it), and picking out, gathering and scattering them cost more than whole-array passes.
    load, base_t = pop.trauma_load, pop.trauma_history.astype(REAL)
    _towards(load, base_t, decay_t, load > base_t, pop.runs)
    burden, base_m = pop.medication_burden, pop.medication_baseline
    _towards(burden, base_m, decay_m, (burden > base_m) & ~pop.in_hospital, pop.runs)
    # Everyone's mistrust is multiplied by the factor: at 0 it stays 0.
    mistrust = pop.by_run(pop.service_mistrust)
    np.multiply(mistrust, _per_run(decay_trust), out=mistrust)


def _towards(value: np.ndarray, base: np.ndarray, factor: np.ndarray, moves: np.ndarray, runs: int) -> None:
    """``value <- base + (value - base) * factor`` (factor per run) where ``moves``, in place.

    Computed for everyone and written where ``moves`` holds: whole-array passes cost less than picking out,
    gathering and scattering the (many) people who move. The same single-precision operations in the same
    order as on the movers alone, so each mover's value is bit for bit what it was.
    """
    moved = value - base
    rows = by_run(moved, runs)
    np.multiply(rows, _per_run(factor), out=rows)
    moved += base
    _select(value, moved, moves)


def _select(value: np.ndarray, new: np.ndarray, where: np.ndarray) -> None:
    """``value[where] = new[where]`` bit for bit, in place; ``new`` is consumed.

    On the bits: value ^= (new ^ value) & (all ones where ``where``). With a mask of scattered people this
    costs a fraction of ``np.copyto(..., where=)`` or ``np.where``, whose element-by-element choice mispredicts.
    """
    bits = np.dtype(f"u{value.itemsize}")
    ones = where.astype(f"i{value.itemsize}")
    np.negative(ones, out=ones)  # -1: every bit set
    diff = new.view(bits)
    diff ^= value.view(bits)
    diff &= ones.view(bits)
    kept = value.view(bits)
    kept ^= diff


def _per_run(factor: np.ndarray) -> np.ndarray:
    """Per-run factors as a column, broadcasting over each run's row of ``by_run``."""
    return np.asarray(factor).reshape(-1, 1)
