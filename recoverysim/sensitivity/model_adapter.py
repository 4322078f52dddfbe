"""The recoverysim model as an (n, d) -> (n, k) callable for the generic pipeline.

Each sample row becomes a scenario (the base scenario with the row's values as overrides); each scenario
runs ``replications`` replicates with seeds ``replicate_seed(seed, r)`` (``recoverysim.seeds``), the same
seeds for every row (common random numbers), and the headline outputs are averaged over the replicates.
With a ``contrast`` scenario (experiment key ``effect_of``) the row's values are applied to both, both run on
the same seeds, and each output is the mean paired difference, contrast minus scenario: the analysis is then
of an effect, not of a level.

With ``start = "own_spin_up"`` (the default) each row's runs spin up under the row's own values, so an output
is a level of the row's own stationary state. With ``start = "status_quo"`` every run starts from the status
quo of its arm's scenario (spun up once per seed and arm, ``spin_up.StatusQuo``) and the row's values take
over at the end of it: an output is then what a change made now does over the horizon, and the spin-up,
most of a run's cost, is shared by every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from recoverysim.errors import ScenarioError
from recoverysim.parameters import PARAMETERS
from recoverysim.seeds import replicate_seeds
from recoverysim.sensitivity.experiment import START_OPTIONS, ExperimentError

__all__ = ["START_OPTIONS", "build_model_function", "replicate_seeds", "row_overrides"]
#: Status quos of this process, by (scenario content hash, seed): spun up once, shared by every row.
_STATUS_QUOS: dict[tuple[str, int], Any] = {}


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
        contrast: The scenario whose paired difference from ``scenario`` is the output (``effect_of``), or None.
        start: ``START_OPTIONS``: each row's own spin-up, or the status quo of its arm's scenario.
    """

    scenario: Any
    names: tuple[str, ...]
    outputs: tuple[str, ...]
    replications: int = 1
    seed: int = 0
    contrast: Any = None
    start: str = "own_spin_up"

    @property
    def batch_rows(self) -> int:
        """Rows whose runs fill one batch of runs stepped together (``simulation.runs_per_batch``)."""
        from recoverysim.simulation import runs_per_batch

        arms = 2 if self.contrast is not None else 1
        return max(1, runs_per_batch(self.scenario.params.population.size) // (self.replications * arms))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Evaluate each row of ``x`` (its replicates stepped together with the other rows'); returns (n, k)."""
        from recoverysim.simulation import simulate_headlines

        x = np.atleast_2d(np.asarray(x, dtype=float))
        seeds = replicate_seeds(self.seed, self.replications)
        arms = [self.scenario] if self.contrast is None else [self.scenario, self.contrast]
        scenarios = [arm.with_overrides(row_overrides(self.names, row), source="sensitivity sample")
                     for row in x for arm in arms]
        starts = None
        if self.start == "status_quo":
            starts = [status_quo_of(arm, s) for _ in x for arm in arms for s in seeds]
        runs = simulate_headlines([(scenario, s) for scenario in scenarios for s in seeds], starts=starts)
        per_row = self.replications * len(arms)
        y = np.empty((x.shape[0], len(self.outputs)))
        for i in range(x.shape[0]):
            mine = runs[i * per_row:(i + 1) * per_row]
            level = np.array([[float(run[o]) for o in self.outputs] for run in mine]).reshape(
                len(arms), self.replications, len(self.outputs))
            y[i] = level[0].mean(axis=0) if self.contrast is None else (level[1] - level[0]).mean(axis=0)
        return y


def status_quo_of(scenario, seed: int):
    """The status quo of ``scenario`` with ``seed``, spun up once in this process."""
    from recoverysim.model import status_quo

    key = (scenario.content_hash, int(seed))
    if key not in _STATUS_QUOS:
        if len(_STATUS_QUOS) >= 64:  # many seeds: keep memory bounded
            _STATUS_QUOS.clear()
        _STATUS_QUOS[key] = status_quo(scenario, seed)
    return _STATUS_QUOS[key]


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
    contrast = None
    if experiment.effect_of is not None:
        contrast = load_scenario(experiment.effect_of, overrides=base or None)
        _check_contrast(experiment, scenario, contrast)
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
        for arm in (scenario, contrast) if contrast is not None else (scenario,):
            try:
                arm.with_overrides(row_overrides(design.names, row), source=str(experiment.source))
            except ScenarioError as exc:
                raise ExperimentError(experiment.source, f"bounds.{exc.key}",
                                      f"{exc.problem} (at the ends of the sampled bounds)") from None
    return ModelFunction(scenario, design.names, experiment.outputs, experiment.replications, design.seed,
                         contrast, experiment.start)


def _check_contrast(experiment, scenario, contrast) -> None:
    """The two arms must run the same people for the same time, and not differ in a sampled parameter."""
    for key in ("population.size", "run.years", "run.spin_up_years"):
        if scenario[key] != contrast[key]:
            raise ExperimentError(experiment.source, "effect_of", f"{experiment.effect_of} has {key} = "
                                  f"{contrast[key]:g}, the scenario {scenario[key]:g}: their runs cannot be paired")
    for i, name in enumerate(experiment.design.names):
        if scenario[name] != contrast[name]:
            raise ExperimentError(experiment.source, f"parameters[{i}]", f"{name!r} differs between the scenario "
                                  f"({scenario[name]:g}) and effect_of ({contrast[name]:g}); sampling it would "
                                  "set both alike and erase the difference being analysed")
