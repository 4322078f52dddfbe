"""Several runs stepped together in one set of arrays: their parameters as arrays over runs.

The engine always steps a batch of runs; a single run is a batch of one. Run r's people are persons
r*n .. (r+1)*n-1 of the population (``Population.run``), and every per-run quantity is an array with one
value per run, looked up by each person's run where a rule applies it to people. Every operation is
elementwise per person or a reduction within one run, so each run of a batch is bit-identical to the same
run stepped alone (``tests/test_batch.py``). Batches save the fixed cost of a step's few hundred array
operations, which dominates at a few thousand people (benchmarks/README.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from recoverysim.parameters import PARAMETERS, SECTIONS
from recoverysim.population import REAL

#: Parameters that fix the shape of a run (its arrays, its horizon, which rules run at all). Runs stepped
#: together must agree on them; they stay plain values.
STRUCTURAL = ("population.size", "run.years", "run.spin_up_years", "run.spin_up_pilot_size",
              "run.spin_up_full_years", "network.enabled", "crisis.enabled", "turnover.enabled")


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
        self._derived: dict[Callable, Any] = {}
        if real is not None:
            self.real = _RunSection(real)


class RunParameters:
    """The parameters of the runs of a batch: ``params.crisis.rate`` is an array with one value per run."""

    def __init__(self, scenarios: Sequence):
        keys = {batch_key(s) for s in scenarios}
        if len(keys) != 1:
            raise ValueError(f"runs stepped together must agree on {', '.join(STRUCTURAL)}; got {sorted(keys)}")
        self.runs = len(scenarios)
        self._derived: dict[Callable, Any] = {}
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


def derived(compute: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Compute a quantity of the parameters alone once per ``RunParameters`` (or section) and reuse it.

    The parameters never change during a run, so the first value serves every week. The value is kept on
    the object passed, keyed by the function itself; objects without that store (hand-made sections in
    tests) get a fresh value each call.
    """

    @functools.wraps(compute)
    def once(parameters):
        store = getattr(parameters, "_derived", None)
        if store is None:
            return compute(parameters)
        value = store.get(compute)
        if value is None:
            value = store[compute] = compute(parameters)
        return value

    return once
