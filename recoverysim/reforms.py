"""Where reforms act: each reform reduces its root of barriers and may add service capacity.

Reforms never touch people directly. They lower a root (paper, Theme 3), and the roots feed the barriers
(barriers.py) that gate progress and shape the crisis pathway.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from recoverysim.parameters import REFORMS, ROOTS
from recoverysim.scenario import Reform


@dataclass(frozen=True)
class ReformEffects:
    """Combined effect of all reforms in one week."""

    root_reduction: dict[str, float]  # share of each root removed (0-1)
    added_capacity: dict[str, float]  # extra lever capacity by lever name
    cost_per_year: float


def reform_effects(reforms: Iterable[Reform], week: int) -> ReformEffects:
    """Effects at ``week``; two reforms on one root combine multiplicatively (1 - prod(1 - r_i))."""
    remaining = dict.fromkeys(ROOTS, 1.0)
    capacity: dict[str, float] = {}
    cost = 0.0
    for reform in reforms:
        level = reform.level(week)
        if level <= 0:
            continue
        remaining[reform.root] *= 1 - reform.intensity * level
        target = REFORMS[reform.name].capacity_target
        if target and reform.capacity:
            capacity[target] = capacity.get(target, 0.0) + reform.capacity * level
        cost += reform.cost_per_year * level
    return ReformEffects({r: 1 - v for r, v in remaining.items()}, capacity, cost)


def effective_roots(declared: dict[str, float], effects: ReformEffects) -> dict[str, float]:
    """Root levels after reforms."""
    return {r: declared[r] * (1 - effects.root_reduction[r]) for r in ROOTS}
