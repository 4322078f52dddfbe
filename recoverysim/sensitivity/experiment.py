"""Experiment files: which scenario, which parameters over which bounds, which method, size and outputs.

Everything is validated here, before any results folder is created, and every problem is reported as an
:class:`ExperimentError` naming the file and the key.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recoverysim.errors import RecoverysimError
from recoverysim.outcomes import OUTCOMES
from recoverysim.parameters import PARAMETERS, command_default
from recoverysim.scenario import read_toml
from recoverysim.sensitivity.sampling import METHOD_OPTIONS, METHODS, Design, check_sample_size

#: Top-level keys of an experiment file.
KEYS = {
    "description", "scenario", "effect_of", "method", "n", "seed", "replications", "outputs", "parameters", "bounds",
    "population", "years", "chunk_size", "conf_level", "num_resamples", "start", *METHODS,
}
#: Where the runs of a sample row start (key ``start``): each spun up under the row's own values (its own
#: stationary state: outputs are levels), or from the scenario's status quo with the row's values from then on
#: (outputs are what a change made now does; the spin-up is shared by every row).
START_OPTIONS = ("own_spin_up", "status_quo")

#: Parameters that are run settings, not model inputs (set them with population/years/replications/seed).
NOT_VARIABLE = {"run.years", "run.replications", "run.seed", "population.size",
                "population.share_discontinuity", "population.share_safety", "population.share_control",
                "population.share_reunion"}


class ExperimentError(RecoverysimError):
    """An experiment file is invalid; the message names the file and the key."""

    def __init__(self, source: str | Path, key: str | None, problem: str):
        self.source, self.key, self.problem = str(source), key, problem
        super().__init__(f"{source}: {key}: {problem}" if key else f"{source}: {problem}")


@dataclass(frozen=True)
class Experiment:
    """A validated experiment file."""

    source: Path
    content_hash: str
    scenario: Path
    design: Design
    outputs: tuple[str, ...]
    replications: int = 1
    population: int | None = None
    years: int | None = None
    chunk_size: int | None = None
    description: str = ""
    overrides: dict[str, Any] = field(default_factory=dict)
    #: With a second scenario, every output is the paired effect: its value minus the scenario's, same seeds.
    effect_of: Path | None = None
    #: ``START_OPTIONS``: where each row's runs start.
    start: str = "own_spin_up"

    @property
    def output_names(self) -> tuple[str, ...]:
        """Names of the output columns: the metric, or ``effect.<metric>`` for a paired effect."""
        return tuple(f"effect.{o}" for o in self.outputs) if self.effect_of else self.outputs

    def to_dict(self) -> dict[str, Any]:
        """Plain description for the manifest."""
        return {"file": str(self.source), "sha256": self.content_hash, "scenario": str(self.scenario),
                "effect_of": str(self.effect_of) if self.effect_of else None,
                "outputs": list(self.outputs), "replications": self.replications,
                "population": self.population, "years": self.years, "start": self.start,
                "description": self.description,
                "command_line_overrides": self.overrides}


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _int(src: Path, key: str, value: Any, low: int, high: int | None = None) -> int:
    bad_type = isinstance(value, bool) or not isinstance(value, int)
    if bad_type or value < low or (high is not None and value > high):
        span = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ExperimentError(src, key, f"must be an integer {span}, got {value!r}")
    return value


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"levers": {"coercion": [..]}}`` and ``{"levers.coercion": [..]}`` both give ``levers.coercion``."""
    out = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def load_experiment(path: str | Path, *, n: int | None = None, population: int | None = None,
                    replications: int | None = None, years: int | None = None,
                    second_order: bool | None = None) -> Experiment:
    """Read and validate an experiment file; keyword arguments override the file (from the command line).

    ``second_order`` sets the Sobol option of that name (second-order indices need 2d + 2 runs per base row
    instead of d + 2); it is an error for other methods.

    Raises:
        ExperimentError: Naming the file and the offending key.
    """
    src = Path(path)
    data = read_toml(src, ExperimentError, "experiment file")
    raw_bytes = src.read_bytes()
    for key in data:
        if key not in KEYS:
            raise ExperimentError(src, key,
                                  f"unknown key{_suggest(key, KEYS)}; allowed: {', '.join(sorted(KEYS))}")
    for key in ("scenario", "method", "n", "parameters", "outputs"):
        if key not in data:
            raise ExperimentError(src, key, "missing required key")
    cli = {k: v for k, v in {"n": n, "population": population, "replications": replications,
                             "years": years}.items() if v is not None}
    data.update(cli)

    def flag_or_key(name: str) -> str:
        """A value from the command line is reported by its flag, one from the file by its key."""
        return f"--{name}" if name in cli else name

    scenario = _scenario_path(src, "scenario", data["scenario"])
    effect_of = _scenario_path(src, "effect_of", data["effect_of"]) if "effect_of" in data else None
    if effect_of is not None and effect_of == scenario:
        raise ExperimentError(src, "effect_of", "is the same file as scenario: the effect would be 0")

    method = data["method"]
    if method not in METHODS:
        raise ExperimentError(src, "method", f"unknown method {method!r}{_suggest(str(method), METHODS)}; "
                              f"choose one of {', '.join(METHODS)}")
    for other in METHODS:
        if other in data and other != method:
            raise ExperimentError(src, other, f"options for method {other!r}, but method is {method!r}")
    options = data.get(method, {})
    if not isinstance(options, dict):
        raise ExperimentError(src, method, "must be a table of method options")
    if second_order is not None:
        if method != "sobol":
            raise ExperimentError(src, "method", f"--second-order applies to sobol, but method is {method!r}")
        options = {**options, "second_order": bool(second_order)}
        cli["second_order"] = bool(second_order)  # recorded with the other command-line overrides
    for key in options:
        if key not in METHOD_OPTIONS[method]:
            raise ExperimentError(src, f"{method}.{key}", f"unknown {method} option"
                                  f"{_suggest(key, METHOD_OPTIONS[method])}; allowed: "
                                  f"{', '.join(METHOD_OPTIONS[method])}")
    if method == "sobol" and not isinstance(options.get("second_order", True), bool):
        raise ExperimentError(src, "sobol.second_order", "must be true or false")
    if method == "morris" and not isinstance(options.get("local_optimization", True), bool):
        raise ExperimentError(src, "morris.local_optimization", "must be true or false")
    problem = check_sample_size(method, data["n"], options)
    if problem:
        raise ExperimentError(src, flag_or_key(problem[0]), problem[1][:300])

    names = data["parameters"]
    if not isinstance(names, list) or not names or not all(isinstance(p, str) for p in names):
        raise ExperimentError(src, "parameters", "must be a non-empty list of dotted parameter names")
    for i, name in enumerate(names):
        key = f"parameters[{i}]"
        if name not in PARAMETERS:
            raise ExperimentError(src, key, f"unknown parameter {name!r}{_suggest(name, PARAMETERS)}")
        if name in names[:i]:
            raise ExperimentError(src, key, f"{name!r} is listed twice")
        if name in NOT_VARIABLE:
            raise ExperimentError(src, key, f"{name!r} cannot be varied here (a run setting, or an initial "
                                  "stage share that must sum to 1 with the others; use population/years)")
        if not PARAMETERS[name].varies:
            raise ExperimentError(src, key,
                                  f"{name!r} is not numeric with a declared range, so it cannot vary")

    bounds_raw = data.get("bounds", {})
    if not isinstance(bounds_raw, dict):
        raise ExperimentError(src, "bounds", 'must be a table: [bounds] "section.key" = [low, high]')
    explicit = _flatten(bounds_raw)
    bounds = []
    for name in explicit:
        if name not in names:
            raise ExperimentError(src, f"bounds.{name}", "bounds given for a parameter not in 'parameters'"
                                  f"{_suggest(name, names)}")
    for name in names:
        p = PARAMETERS[name]
        if name not in explicit:
            bounds.append((float(p.low), float(p.high)))
            continue
        b, key = explicit[name], f"bounds.{name}"
        if (not isinstance(b, list) or len(b) != 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in b)):
            raise ExperimentError(src, key, f"must be [low, high] numbers, got {b!r}")
        lo, hi = float(b[0]), float(b[1])
        if not lo < hi:
            raise ExperimentError(src, key, f"low {lo:g} must be below high {hi:g}")
        if lo < p.low or hi > p.high:
            raise ExperimentError(src, key, f"[{lo:g}, {hi:g}] lies outside the declared range "
                                  f"{p.range_text()} ({p.unit})")
        bounds.append((lo, hi))

    outputs = data["outputs"]
    if not isinstance(outputs, list) or not outputs or not all(isinstance(o, str) for o in outputs):
        raise ExperimentError(src, "outputs", "must be a non-empty list of headline metric names")
    for i, name in enumerate(outputs):
        if name not in OUTCOMES:
            raise ExperimentError(src, f"outputs[{i}]", f"unknown output {name!r}{_suggest(name, OUTCOMES)}; "
                                  f"outputs: {', '.join(OUTCOMES)}")
        if name in outputs[:i]:
            raise ExperimentError(src, f"outputs[{i}]", f"{name!r} is listed twice")

    seed = _int(src, "seed", data.get("seed", command_default("sensitivity.seed")), 0, 2**32 - 1)
    reps = _int(src, flag_or_key("replications"), data.get("replications", 1), 1, 10_000)
    size, yrs = PARAMETERS["population.size"], PARAMETERS["run.years"]
    pop = None if data.get("population") is None else _int(src, flag_or_key("population"), data["population"],
                                                            int(size.low), int(size.high))
    years = (None if data.get("years") is None
             else _int(src, flag_or_key("years"), data["years"], int(yrs.low), int(yrs.high)))
    chunk = None if data.get("chunk_size") is None else _int(src, "chunk_size", data["chunk_size"], 1)
    conf = data.get("conf_level", 0.95)
    if isinstance(conf, bool) or not isinstance(conf, int | float) or not 0 < conf < 1:
        raise ExperimentError(src, "conf_level", f"must be a number in (0, 1), got {conf!r}")
    resamples = _int(src, "num_resamples", data.get("num_resamples", 100), 10)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ExperimentError(src, "description", "must be a string")
    start = data.get("start", "own_spin_up")
    if start not in START_OPTIONS:
        raise ExperimentError(src, "start", f"must be one of {', '.join(map(repr, START_OPTIONS))}, got {start!r}")

    design = Design(tuple(names), tuple(bounds), method, data["n"], seed, dict(options), float(conf),
                    resamples)
    return Experiment(src, hashlib.sha256(raw_bytes).hexdigest(), scenario, design, tuple(outputs), reps, pop,
                      years, chunk, description, cli, effect_of, start)


def _scenario_path(src: Path, key: str, value: Any) -> Path:
    if not isinstance(value, str):
        raise ExperimentError(src, key, "must be a path string (relative to the experiment file)")
    path = (src.parent / value).resolve() if not Path(value).is_absolute() else Path(value)
    if path.is_dir():
        raise ExperimentError(src, key, f"{path} is a folder, not a scenario file")
    if not path.is_file():
        raise ExperimentError(src, key, f"scenario file not found: {path}")
    return path
