"""The recoverysim model as an (n, d) -> (n, k) callable for the generic pipeline.

Each sample row becomes a scenario (the base scenario with the row's values as overrides); each scenario
runs ``replications`` replicates with seeds ``replicate_seed(seed, r)`` (``recoverysim.seeds``), the same
seeds for every row (common random numbers), and the headline outputs are averaged over the replicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from recoverysim.errors import ScenarioError
from recoverysim.parameters import PARAMETERS
from recoverysim.seeds import replicate_seeds
from recoverysim.sensitivity.experiment import ExperimentError

__all__ = ["build_model_function", "replicate_seeds", "row_overrides"]


def row_overrides(names: tuple[str, ...], row: np.ndarray) -> dict[str, Any]:
    """Dotted-name overrides for one sample row (integer parameters rounded)."""
    out: dict[str, Any] = {}
    for name, value in zip(names, row, strict=True):
        out[name] = int(round(float(value))) if PARAMETERS[name].kind is int else float(value)
    return out


@dataclass
class ModelFunction:
    """Picklable callable: sample rows to averaged headline outputs.

    Attributes:
        scenario: The base scenario (population and years already applied).
        names: Parameter names, one per column of the input.
        outputs: Headline metric names, one per output column.
        replications: Replicates per row.
        seed: Experiment seed from which the replicate seeds derive.
    """

    scenario: Any
    names: tuple[str, ...]
    outputs: tuple[str, ...]
    replications: int = 1
    seed: int = 0

    @property
    def batch_rows(self) -> int:
        """Rows whose runs fill one batch of runs stepped together (``simulation.runs_per_batch``)."""
        from recoverysim.simulation import runs_per_batch

        return max(1, runs_per_batch(self.scenario.params.population.size) // self.replications)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Evaluate each row of ``x`` (its replicates stepped together with the other rows'); returns (n, k)."""
        from recoverysim.simulation import simulate_headlines

        x = np.atleast_2d(np.asarray(x, dtype=float))
        seeds = replicate_seeds(self.seed, self.replications)
        scenarios = [self.scenario.with_overrides(row_overrides(self.names, row), source="sensitivity sample")
                     for row in x]
        runs = simulate_headlines([(scenario, s) for scenario in scenarios for s in seeds])
        y = np.empty((x.shape[0], len(self.outputs)))
        for i in range(x.shape[0]):
            mine = runs[i * self.replications:(i + 1) * self.replications]
            y[i] = [np.mean([float(run[o]) for run in mine]) for o in self.outputs]
        return y


def build_model_function(experiment) -> ModelFunction:
    """Load the experiment's scenario, apply population/years, and check the bounds are runnable.

    Every parameter at each end of its bounds (singly, and all low / all high together) must give a valid
    scenario, so that impossible combinations fail here, before any results folder exists.

    Raises:
        ScenarioError: The scenario file is invalid.
        ExperimentError: Some bounds make the scenario invalid.
    """
    from recoverysim.scenario import load_scenario

    base: dict[str, Any] = {}
    if experiment.population is not None:
        base["population.size"] = experiment.population
    if experiment.years is not None:
        base["run.years"] = experiment.years
    scenario = load_scenario(experiment.scenario, overrides=base or None)
    design = experiment.design
    lows = np.array([lo for lo, _ in design.bounds])
    highs = np.array([hi for _, hi in design.bounds])
    trials = [lows, highs]
    for j in range(design.d):
        for end in (lows, highs):
            row = np.array([scenario[n] for n in design.names], dtype=float)
            row[j] = end[j]
            trials.append(row)
    for row in trials:
        try:
            scenario.with_overrides(row_overrides(design.names, row), source=str(experiment.source))
        except ScenarioError as exc:
            raise ExperimentError(experiment.source, f"bounds.{exc.key}",
                                  f"{exc.problem} (at the ends of the sampled bounds)") from None
    return ModelFunction(scenario, design.names, experiment.outputs, experiment.replications, design.seed)
