"""Replicate seeds, derived in one place for every command (run, compare, trace, sensitivity, calibration).

Replicate ``r`` of any scenario under root seed ``seed`` runs with ``replicate_seed(seed, r)``: a function of
those two numbers only, so every scenario and every parameter set sees the same seeds (common random numbers).
This module imports no model code, so that light consumers (the sensitivity manifest) can use it.
"""

from __future__ import annotations

from recoverysim.random_streams import derive_seed


def replicate_seed(seed: int, replicate: int) -> int:
    """Seed of replicate ``replicate`` of a run with root seed ``seed`` (same for every scenario: CRN)."""
    return derive_seed(seed, replicate)


def replicate_seeds(seed: int, replications: int) -> list[int]:
    """Seeds of replicates 0..``replications``-1 under root seed ``seed``."""
    return [replicate_seed(seed, r) for r in range(replications)]
