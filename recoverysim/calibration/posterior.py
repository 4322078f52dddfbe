"""A posterior ensemble of parameter sets as data: the file that `calibrate --method abc` writes.

Format (JSON, ``"format": "recoverysim-posterior/1"``)::

    {"format": "recoverysim-posterior/1",
     "provenance": {"method": ..., "date": ..., "scenario": ..., "scenario_sha256": ..., "targets": ...,
                    "targets_sha256": ..., "seed": ..., ...},
     "parameters": {"<dotted.key>": {"prior": "uniform", "low": ..., "high": ...}, ...},
     "draws": [{"weight": 0.004, "values": {"<dotted.key>": ..., ...}}, ...]}

Every parameter must be a declared numeric parameter (recoverysim describe) with its prior bounds inside the
declared range, and every draw must give a value inside the prior bounds for each parameter. Weights are
non-negative and are normalised to sum to 1. Problems are :class:`PosteriorError`, naming the file and key.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recoverysim.errors import ScenarioError
from recoverysim.parameters import PARAMETERS

FORMAT = "recoverysim-posterior/1"
#: Provenance every posterior file carries (the issue's reproducibility record); more keys are allowed.
REQUIRED_PROVENANCE = ("method", "date", "scenario", "scenario_sha256", "targets", "targets_sha256", "seed")
PRIORS = ("uniform",)


class PosteriorError(ScenarioError):
    """A posterior file is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class Posterior:
    """Weighted parameter sets: ``values[i, j]`` is parameter ``names[j]`` in draw ``i``."""

    names: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray
    priors: dict[str, tuple[float, float]]
    provenance: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def effective_sample_size(self) -> float:
        """Kish's effective sample size of the weights, 1 / sum(w^2)."""
        return float(1.0 / np.sum(self.weights ** 2))

    def draws(self, k: int, seed: int) -> list[dict[str, float]]:
        """``k`` parameter sets drawn in proportion to weight (systematic resampling, reproducible from ``seed``).

        Systematic resampling keeps every draw whose weight is at least 1/k; with equal weights and ``k`` equal
        to the ensemble size each member is taken exactly once (in a seeded random order).
        """
        if k < 1:
            raise ValueError("k must be at least 1")
        rng = np.random.default_rng(seed)
        positions = (rng.random() + np.arange(k)) / k
        cumulative = np.cumsum(self.weights)
        index = np.searchsorted(cumulative / cumulative[-1], positions, side="right")
        index = np.minimum(index, len(self) - 1)
        index = index[rng.permutation(k)]
        return [dict(zip(self.names, (float(v) for v in self.values[i]), strict=True)) for i in index]

    def to_json(self) -> dict[str, Any]:
        """The file content (see the module docstring)."""
        return {"format": FORMAT, "provenance": dict(self.provenance),
                "parameters": {n: {"prior": "uniform", "low": lo, "high": hi} for n, (lo, hi) in self.priors.items()},
                "draws": [{"weight": float(w), "values": dict(zip(self.names, map(float, row), strict=True))}
                          for w, row in zip(self.weights, self.values, strict=True)]}


def save_posterior(posterior: Posterior, path: Path) -> None:
    """Write ``posterior`` as JSON (one draw per line, so a diff shows which draws changed)."""
    data = posterior.to_json()
    draws = data.pop("draws")
    head = json.dumps(data, indent=1)[:-2]  # without the closing "\n}"
    lines = ",\n  ".join(json.dumps(d) for d in draws)
    Path(path).write_text(f'{head},\n "draws": [\n  {lines}\n ]\n}}\n', encoding="utf-8")


def load_posterior(path: str | Path) -> Posterior:
    """Read and check a posterior file; every problem is a :class:`PosteriorError` naming the file and key."""
    path = Path(path)
    src = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PosteriorError(src, None, "file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise PosteriorError(src, None, f"not a JSON file ({e})") from None
    if not isinstance(data, dict):
        raise PosteriorError(src, None, "expected a JSON object")
    if data.get("format") != FORMAT:
        raise PosteriorError(src, "format", f"expected {FORMAT!r}, got {data.get('format')!r}")
    unknown = set(data) - {"format", "provenance", "parameters", "draws"}
    if unknown:
        raise PosteriorError(src, sorted(unknown)[0], "unknown top-level key")
    provenance = data.get("provenance")
    if not isinstance(provenance, dict):
        raise PosteriorError(src, "provenance", "missing or not an object")
    for key in REQUIRED_PROVENANCE:
        if key not in provenance:
            raise PosteriorError(src, f"provenance.{key}", "missing")
    priors = _priors(src, data.get("parameters"))
    names = tuple(priors)
    draws = data.get("draws")
    if not isinstance(draws, list) or not draws:
        raise PosteriorError(src, "draws", "missing or empty")
    values = np.empty((len(draws), len(names)))
    weights = np.empty(len(draws))
    for i, draw in enumerate(draws):
        where = f"draws[{i}]"
        if not isinstance(draw, dict) or set(draw) != {"weight", "values"}:
            raise PosteriorError(src, where, "expected {\"weight\": ..., \"values\": {...}}")
        w = draw["weight"]
        if not _number(w) or w < 0:
            raise PosteriorError(src, f"{where}.weight", f"must be a number >= 0, got {w!r}")
        weights[i] = w
        given = draw["values"]
        if not isinstance(given, dict) or set(given) != set(names):
            missing = sorted(set(names) - set(given or {}))
            extra = sorted(set(given or {}) - set(names))
            raise PosteriorError(src, f"{where}.values", f"parameters differ from \"parameters\" "
                                 f"(missing {missing}, unknown {extra})")
        for j, name in enumerate(names):
            v = given[name]
            lo, hi = priors[name]
            if not _number(v) or not lo <= v <= hi:
                raise PosteriorError(src, f"{where}.values.{name}", f"must be a number in the prior [{lo:g}, {hi:g}]"
                                     f", got {v!r}")
            values[i, j] = v
    if weights.sum() <= 0:
        raise PosteriorError(src, "draws", "all weights are 0")
    return Posterior(names, values, weights / weights.sum(), priors, provenance, path)


def _priors(src: str, parameters: Any) -> dict[str, tuple[float, float]]:
    if not isinstance(parameters, dict) or not parameters:
        raise PosteriorError(src, "parameters", "missing or empty")
    priors = {}
    for name, spec in parameters.items():
        where = f"parameters.{name}"
        param = PARAMETERS.get(name)
        if param is None or not param.varies:
            raise PosteriorError(src, where, "not a declared numeric parameter (see recoverysim describe)")
        if not isinstance(spec, dict) or spec.get("prior") not in PRIORS or set(spec) != {"prior", "low", "high"}:
            raise PosteriorError(src, where, f"expected {{\"prior\": one of {PRIORS}, \"low\": ..., \"high\": ...}}")
        lo, hi = spec["low"], spec["high"]
        if not (_number(lo) and _number(hi) and param.low <= lo < hi <= param.high):
            raise PosteriorError(src, where, f"prior bounds must satisfy {param.low:g} <= low < high <= "
                                 f"{param.high:g} (declared range, {param.unit}), got [{lo!r}, {hi!r}]")
        priors[name] = (float(lo), float(hi))
    return priors


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
