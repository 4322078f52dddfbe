"""Step 1 of the pipeline: a design (what to vary, how, how much) and its (n, d) sample matrix.

The design knows nothing about recoverysim: it is a SALib problem plus the method, the sample size and the
method options, so the same code serves the model and any test function.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from recoverysim.errors import RecoverysimError

METHODS = ("morris", "sobol", "fast")

#: Options each method accepts, with their defaults.
METHOD_OPTIONS: dict[str, dict[str, Any]] = {
    "morris": {"levels": 4, "optimal_trajectories": None, "local_optimization": True},
    "sobol": {"second_order": True},
    "fast": {"M": 4},
}


class DesignError(RecoverysimError):
    """A design that SALib cannot sample (bad method, sample size or option)."""


@dataclass(frozen=True)
class Design:
    """What is varied and how it is sampled.

    Attributes:
        names: Parameter names, one per column of the sample matrix.
        bounds: ``(low, high)`` per parameter; inputs are uniform on these bounds.
        method: ``"morris"``, ``"sobol"`` or ``"fast"``.
        n: Sample size: trajectories (Morris), base rows (Sobol) or curve points per parameter (FAST).
        seed: Seeds the sample and the bootstrap of the confidence intervals.
        options: Method options (see ``METHOD_OPTIONS``); missing ones take the defaults.
        conf_level: Confidence level of the bootstrapped intervals.
        num_resamples: Bootstrap resamples.
    """

    names: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]
    method: str
    n: int
    seed: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    conf_level: float = 0.95
    num_resamples: int = 100

    def __post_init__(self):
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "bounds", tuple((float(lo), float(hi)) for lo, hi in self.bounds))
        if self.method not in METHODS:
            raise DesignError(f"unknown method {self.method!r}; choose one of {', '.join(METHODS)}")
        unknown = sorted(set(self.options) - set(METHOD_OPTIONS[self.method]))
        if unknown:
            raise DesignError(f"unknown {self.method} option(s) {', '.join(unknown)}; "
                              f"known: {', '.join(METHOD_OPTIONS[self.method])}")
        object.__setattr__(self, "options", {**METHOD_OPTIONS[self.method], **self.options})
        if not self.names or len(self.names) != len(self.bounds) or len(set(self.names)) != len(self.names):
            raise DesignError("a design needs one (low, high) pair per distinct parameter name")
        for name, (lo, hi) in zip(self.names, self.bounds, strict=True):
            if not lo < hi:
                raise DesignError(f"{name}: lower bound {lo:g} must be below upper bound {hi:g}")
        problem = check_sample_size(self.method, self.n, self.options)
        if problem:
            raise DesignError(f"{problem[0]}: {problem[1]}")

    @property
    def d(self) -> int:
        """Number of parameters."""
        return len(self.names)

    @property
    def problem(self) -> dict[str, Any]:
        """A fresh SALib problem dict (SALib adds keys to the one it gets, so never share it)."""
        return {"num_vars": self.d, "names": list(self.names), "bounds": [list(b) for b in self.bounds]}

    @property
    def block_rows(self) -> int:
        """Rows per independent unit of the sample: a Saltelli block, a Morris trajectory or a FAST curve."""
        if self.method == "sobol":
            return (2 * self.d + 2) if self.options["second_order"] else (self.d + 2)
        if self.method == "morris":
            return self.d + 1
        return self.n

    @property
    def units(self) -> int:
        """Number of independent units: base rows (Sobol), trajectories (Morris), curves (FAST)."""
        if self.method == "sobol":
            return self.n
        if self.method == "morris":
            return self.options["optimal_trajectories"] or self.n
        return self.d

    @property
    def n_rows(self) -> int:
        """Rows of the sample matrix, i.e. model evaluations."""
        return self.units * self.block_rows

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able description (for the manifest and the resume check)."""
        out = asdict(self)
        out["names"] = list(self.names)
        out["bounds"] = [list(b) for b in self.bounds]
        return out


def check_sample_size(method: str, n: Any, options: dict[str, Any]) -> tuple[str, str] | None:
    """Say what is wrong with a sample size or option as ``(key, problem)``, or return None if all is fine."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        return "n", f"sample size must be an integer >= 2, got {n!r}"
    if method == "sobol" and n & (n - 1):
        return "n", f"Sobol sample size must be a power of 2 (Sobol' sequence balance), got {n}"
    if method == "fast":
        m = options.get("M", METHOD_OPTIONS["fast"]["M"])
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            return "fast.M", f"must be a positive integer, got {m!r}"
        if n <= 4 * m * m:
            return "n", f"FAST needs n > 4 M^2 = {4 * m * m}, got {n}"
    if method == "morris":
        levels = options.get("levels", 4)
        if isinstance(levels, bool) or not isinstance(levels, int) or levels < 2 or levels % 2:
            return "morris.levels", f"must be an even integer >= 2, got {levels!r}"
        opt = options.get("optimal_trajectories")
        if opt is not None and (isinstance(opt, bool) or not isinstance(opt, int) or not 2 <= opt < n):
            return "morris.optimal_trajectories", f"must be an integer in [2, n) = [2, {n}), got {opt!r}"
    return None


def sample(design: Design) -> np.ndarray:
    """Draw the (n_rows, d) sample matrix for a design; the same design always gives the same matrix."""
    from SALib.sample import fast_sampler, morris, sobol

    opts = design.options
    if design.method == "sobol":
        x = sobol.sample(design.problem, design.n, calc_second_order=opts["second_order"], seed=design.seed)
    elif design.method == "morris":
        x = morris.sample(design.problem, design.n, num_levels=opts["levels"],
                          optimal_trajectories=opts["optimal_trajectories"],
                          local_optimization=opts["local_optimization"], seed=design.seed)
    else:
        x = fast_sampler.sample(design.problem, design.n, M=opts["M"], seed=design.seed)
    x = np.ascontiguousarray(x, dtype=float)
    assert x.shape == (design.n_rows, design.d), (x.shape, design.n_rows)
    return x


def prefix_units(design: Design, points: int = 8) -> list[int]:
    """Unit counts for the convergence plot: growing prefixes that keep the block structure intact.

    Sobol uses powers of two of base rows (each with its full Saltelli block); Morris uses whole
    trajectories. FAST curves cannot be cut short, so FAST gets no prefixes.
    """
    total = design.units
    if design.method == "sobol":
        sizes = [2**k for k in range(2, int(math.log2(total)) + 1)]
    elif design.method == "morris":
        sizes = sorted({int(round(v)) for v in np.geomspace(min(2, total), total, points)})
    else:
        return []
    sizes = [s for s in sizes if 2 <= s <= total]
    if total not in sizes:
        sizes.append(total)
    return sizes
