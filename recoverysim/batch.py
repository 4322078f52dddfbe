"""Several runs stepped together in one set of arrays: their parameters as arrays over runs.

The engine always steps a batch of runs; a single run is a batch of one. Run r's people are persons
r*n .. (r+1)*n-1 of the population (``Population.run``), and every per-run quantity is an array with one
value per run, looked up by each person's run where a rule applies it to people. Every operation is
elementwise per person or a reduction within one run, so each run of a batch is bit-identical to the same
run stepped alone (``tests/test_batch.py``). Batches save the fixed cost of a step's few hundred array
operations, which dominates at a few thousand people (benchmarks/README.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from recoverysim.parameters import PARAMETERS, SECTIONS
from recoverysim.population import REAL

#: Parameters that fix the shape of a run (its arrays, its horizon, which rules run at all). Runs stepped
#: together must agree on them; they stay plain values.
STRUCTURAL = ("population.size", "run.years", "network.enabled", "crisis.enabled")


def batch_key(scenario) -> tuple:
    """What runs must share to be stepped together."""
    return tuple(scenario[name] for name in STRUCTURAL)


class _RunSection:
    """One section's parameters, each an array over runs (structural ones a plain value).

    ``real`` holds the same values in single precision, for rules that apply them to single-precision
    person arrays (as a plain number would be applied).
    """

    def __init__(self, values: dict[str, Any], real: dict[str, Any] | None = None):
        self.__dict__.update(values)
        if real is not None:
            self.real = _RunSection(real)


class RunParameters:
    """The parameters of the runs of a batch: ``params.crisis.rate`` is an array with one value per run."""

    def __init__(self, scenarios: Sequence):
        keys = {batch_key(s) for s in scenarios}
        if len(keys) != 1:
            raise ValueError(f"runs stepped together must agree on {', '.join(STRUCTURAL)}; got {sorted(keys)}")
        self.runs = len(scenarios)
        self._memo: dict[str, Any] = {}
        sections: dict[str, tuple[dict, dict]] = {s: ({}, {}) for s in SECTIONS}
        for name, param in PARAMETERS.items():
            section, key = name.split(".", 1)
            values, real = sections[section]
            if name in STRUCTURAL:
                values[key] = scenarios[0][name]
                continue
            dtype = {bool: bool, int: np.int64}.get(param.kind, np.float64)
            values[key] = np.array([s[name] for s in scenarios], dtype)
            if param.kind is float:
                real[key] = values[key].astype(REAL)
        for section, (values, real) in sections.items():
            setattr(self, section, _RunSection(values, real))

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """A quantity derived from the parameters alone, computed once (the parameters never change)."""
        value = self._memo.get(key)
        if value is None:
            value = self._memo[key] = compute()
        return value
