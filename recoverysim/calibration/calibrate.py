"""Fit free parameters of a scenario to observed targets.

Loss: ``sum_i weight_i * ((sim_i - obs_i) / d_i)^2``, where ``sim_i`` is the mean over R replicates and
``d_i`` the distance from the observed value to the edge of the target's band on the side of ``sim_i``
(:meth:`recoverysim.calibration.targets.Target.residual`). Every evaluation runs replicates 0..R-1 with the
same seeds (common random numbers), so the loss surface is not re-randomised between parameter sets.

Search (in the unit cube of the bounds): ``lhs-nm`` evaluates the scenario's own values plus a seeded Latin
hypercube (a third of the budget), then runs Nelder-Mead from the best point with the rest; ``de`` runs
``scipy.optimize.differential_evolution`` with a fixed seed, started at the scenario's values. Afterwards a
loss profile around the optimum (one parameter varied, the others fixed) shows how well each is identified.
"""

from __future__ import annotations

import math
import re
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.stats import qmc

from recoverysim.calibration.targets import Targets
from recoverysim.calibration.validate import compare, evaluate_replicates
from recoverysim.errors import RecoverysimError
from recoverysim.executor import WorkerPool
from recoverysim.parameters import PARAMETERS, command_default
from recoverysim.scenario import Scenario

METHODS = ("lhs-nm", "de")
PROFILE_HALF_WIDTH = 0.15  # share of the bounds on each side of the optimum
#: Run settings: what is simulated, not how the model behaves, so never fitted.
NOT_FREE = ("run.years", "run.replications", "run.seed", "population.size")


@dataclass(frozen=True)
class FreeParameter:
    """A parameter to fit and its search bounds."""

    name: str
    low: float
    high: float

    def to_value(self, u: float) -> float:
        """Value at position ``u`` in [0, 1] of the bounds."""
        v = self.low + float(np.clip(u, 0, 1)) * (self.high - self.low)
        return float(round(v)) if PARAMETERS[self.name].kind is int else v

    def to_unit(self, v: float) -> float:
        """Position of value ``v`` in the bounds (clipped to [0, 1])."""
        return float(np.clip((v - self.low) / (self.high - self.low), 0, 1))


def parse_free(spec: str) -> FreeParameter:
    """Parse ``dotted.key`` or ``dotted.key=low:high``; bounds default to, and must lie in, the declared range."""
    name, _, bounds = spec.partition("=")
    name = name.strip()
    param = PARAMETERS.get(name)
    if param is None:
        raise RecoverysimError(f"--free {spec}: unknown parameter {name!r} (see recoverysim describe)")
    if not param.varies:
        raise RecoverysimError(f"--free {spec}: {name} is not a numeric parameter with a range")
    if name in NOT_FREE:
        raise RecoverysimError(f"--free {spec}: {name} is a run setting, not a model parameter to fit "
                               "(set it with --population, --years or --seed)")
    low, high = float(param.low), float(param.high)
    if bounds:
        try:
            low, high = (float(x) for x in bounds.split(":"))
        except ValueError:
            raise RecoverysimError(f"--free {spec}: bounds must be low:high, e.g. {name}={param.low:g}:"
                                   f"{param.high:g}") from None
        if not (param.low <= low < high <= param.high):
            raise RecoverysimError(f"--free {spec}: bounds must satisfy {param.low:g} <= low < high <= "
                                   f"{param.high:g} (declared range of {name}, {param.unit})")
    return FreeParameter(name, low, high)


def check_free(free: list[FreeParameter]) -> None:
    """At least one free parameter, none given twice (every calibration method checks this first)."""
    if not free:
        raise RecoverysimError("give at least one --free parameter")
    if len({p.name for p in free}) != len(free):
        raise RecoverysimError("a --free parameter is given twice")


def calibration_targets(targets: Targets, target_keys: list[str] | None = None) -> Targets:
    """The role = "calibration" targets a fit may read (narrowed to ``target_keys``); an error if there are none."""
    fit = targets.for_calibration(target_keys)
    if not fit.targets:
        raise RecoverysimError(f"{targets.path}: no target with role = \"calibration\" to fit")
    return fit


@dataclass
class Objective:
    """The loss as a function of a point in the unit cube; keeps the history of every evaluation."""

    scenario: Scenario
    targets: Targets
    free: list[FreeParameter]
    replications: int
    pool: WorkerPool | None = None
    workers: int = 1  # batches of replicates are cut into this many parts for the pool
    history: list[dict[str, Any]] = field(default_factory=list)
    cache: dict[tuple, float] = field(default_factory=dict)
    phase: str = "search"
    best: tuple[float, dict[str, float], pd.DataFrame | None] = (math.inf, {}, None)

    def values(self, u: np.ndarray) -> dict[str, float]:
        """Parameter values of a unit-cube point."""
        return {p.name: p.to_value(x) for p, x in zip(self.free, u, strict=True)}

    def __call__(self, u: np.ndarray) -> float:
        """Loss at ``u`` (evaluated with replicates 0..R-1, the same seeds every time)."""
        values = self.values(np.asarray(u, float))
        key = tuple(round(v, 12) for v in values.values())
        if key in self.cache:
            return self.cache[key]
        scenario = self.scenario.with_overrides(values, source="calibrate")
        stats = evaluate_replicates(scenario, self.replications, self.targets.burn_in_years, curves=False,
                                    workers=self.workers, pool=self.pool)
        table = compare(self.targets, stats)
        loss = float(table["loss"].sum())
        self.history.append({"evaluation": len(self.history), "phase": self.phase, **values, "loss": loss})
        self.cache[key] = loss
        if loss < self.best[0]:
            self.best = (loss, values, table)
        return loss


@dataclass
class Calibration:
    """What a calibration produced."""

    free: list[FreeParameter]
    start: dict[str, float]
    fitted: dict[str, float]
    loss: float
    start_loss: float
    history: pd.DataFrame
    profiles: pd.DataFrame
    table: pd.DataFrame
    method: str
    evaluations: int
    seconds: float
    profile_centre: dict[str, float] = field(default_factory=dict)
    search_loss: float = math.nan

    def identification(self) -> pd.DataFrame:
        """Per parameter: loss rise at the profile edges and a verdict (rise >= 1 on both sides: identified)."""
        rows = []
        for p in self.free:
            prof = self.profiles[self.profiles["parameter"] == p.name]
            centre = self.profile_centre.get(p.name, self.fitted[p.name])
            ref = self.search_loss if math.isfinite(self.search_loss) else self.loss
            left = prof[prof["value"] < centre]["loss"]
            right = prof[prof["value"] > centre]["loss"]
            rise_l = float(left.max() - ref) if len(left) else math.nan
            rise_r = float(right.max() - ref) if len(right) else math.nan
            sides = [r for r in (rise_l, rise_r) if math.isfinite(r)]
            verdict = ("identified" if sides and min(sides) >= 1 else
                       "weakly identified" if sides and max(sides) >= 1 else "not identified (flat loss)")
            rows.append({"parameter": p.name, "fitted": self.fitted[p.name], "low": p.low, "high": p.high,
                         "loss_rise_below": rise_l, "loss_rise_above": rise_r, "verdict": verdict})
        return pd.DataFrame(rows)


def calibrate(scenario: Scenario, targets: Targets, free: list[FreeParameter], *, budget: int | None = None,
              replications: int | None = None, seed: int = 1, method: str = "lhs-nm",
              profile_points: int | None = None, workers: int = 1, log=None,
              target_keys: list[str] | None = None) -> Calibration:
    """Fit ``free`` to the role=calibration ``targets``; ``budget`` bounds the search (the profile adds more).

    Validation and input-check targets are dropped before the first evaluation, so the loss never reads them;
    ``target_keys`` narrows the fit to some calibration targets (naming another role is a ``TargetsError``).

    ``budget``, ``replications`` and ``profile_points`` default to the declared ``calibrate.*`` command defaults.
    """
    budget = command_default("calibrate.budget") if budget is None else budget
    replications = command_default("calibrate.replications") if replications is None else replications
    profile_points = command_default("calibrate.profile_points") if profile_points is None else profile_points
    if method not in METHODS:
        raise RecoverysimError(f"unknown method {method!r}; methods: {', '.join(METHODS)}")
    check_free(free)
    targets = calibration_targets(targets, target_keys)
    start_time = time.perf_counter()
    start = {p.name: float(scenario[p.name]) for p in free}
    u0 = np.array([p.to_unit(start[p.name]) for p in free])
    parallel = workers > 1 and replications > 1
    with WorkerPool(min(workers, replications) if parallel else 1) as pool:
        obj = Objective(scenario, targets, free, replications, pool if parallel else None,
                        workers if parallel else 1)
        start_loss = obj(u0)
        _say(log, f"start loss {start_loss:.3f}")
        if method == "de":
            _differential_evolution(obj, u0, budget - 1, seed, log)
        else:
            _lhs_nelder_mead(obj, u0, budget - 1, seed, log)
        search_loss, centre, _ = obj.best
        obj.phase = "profile"
        profiles = _profiles(obj, centre, profile_points, log)
        best_loss, fitted, table = obj.best  # a profile point that beats the search optimum is taken
        if best_loss < search_loss:
            _say(log, f"a profile point improved the loss to {best_loss:.3f}: taken as the fitted values")
    history = pd.DataFrame(obj.history)
    return Calibration(free, start, fitted, best_loss, start_loss, history, profiles, table, method,
                       len(history), time.perf_counter() - start_time, centre, search_loss)


def _say(log, text: str) -> None:
    if log is not None:
        log(text)


def _lhs_nelder_mead(obj: Objective, u0: np.ndarray, budget: int, seed: int, log) -> None:
    d = u0.size
    n_lhs = min(budget, max(d + 1, budget // 3))
    obj.phase = "latin-hypercube"
    for u in qmc.LatinHypercube(d=d, seed=seed).random(n_lhs):
        obj(u)
    _say(log, f"latin hypercube: {n_lhs} points, best loss {obj.best[0]:.3f}")
    remaining = budget - n_lhs
    if remaining <= 0:
        return
    obj.phase = "nelder-mead"
    best_u = np.array([p.to_unit(obj.best[1][p.name]) for p in obj.free])
    step = 0.1
    simplex = np.vstack([best_u] + [best_u + np.where(np.arange(d) == i, step if best_u[i] + step <= 1 else -step, 0)
                                    for i in range(d)])
    optimize.minimize(obj, best_u, method="Nelder-Mead", bounds=[(0.0, 1.0)] * d,
                      options={"maxfev": remaining, "initial_simplex": simplex, "xatol": 2e-3, "fatol": 1e-3})
    _say(log, f"nelder-mead: best loss {obj.best[0]:.3f}")


def _differential_evolution(obj: Objective, u0: np.ndarray, budget: int, seed: int, log) -> None:
    d = u0.size
    popsize = max(2, min(8, budget // (3 * d)))
    maxiter = max(0, budget // (popsize * d) - 1)
    obj.phase = "differential-evolution"
    optimize.differential_evolution(obj, [(0.0, 1.0)] * d, seed=seed, popsize=popsize, maxiter=maxiter, x0=u0,
                                    init="latinhypercube", polish=False, tol=0.0)
    _say(log, f"differential evolution: best loss {obj.best[0]:.3f}")


def _profiles(obj: Objective, fitted: dict[str, float], points: int, log) -> pd.DataFrame:
    rows = []
    best_u = np.array([p.to_unit(fitted[p.name]) for p in obj.free])
    for i, p in enumerate(obj.free):
        lo, hi = max(0.0, best_u[i] - PROFILE_HALF_WIDTH), min(1.0, best_u[i] + PROFILE_HALF_WIDTH)
        for x in np.linspace(lo, hi, points) if points > 1 else []:
            u = best_u.copy()
            u[i] = x
            rows.append({"parameter": p.name, "value": p.to_value(x), "loss": obj(u)})
        rows.append({"parameter": p.name, "value": fitted[p.name], "loss": obj(best_u)})
        _say(log, f"profile {p.name}: done")
    return pd.DataFrame(rows, columns=["parameter", "value", "loss"]).sort_values(["parameter", "value"])


# --- the calibrated scenario file ------------------------------------------------------------------------

_SECTION = re.compile(r"^\s*\[([A-Za-z_][A-Za-z0-9_]*)\]\s*(#.*)?$")
_HEADER_MARK = "# Calibrated by `recoverysim calibrate`"


def format_value(name: str, value: float) -> str:
    """TOML text of a fitted value (5 significant digits; whole numbers for integer parameters)."""
    if PARAMETERS[name].kind is int:
        return str(int(round(value)))
    text = f"{value:.5g}"
    return text if any(c in text for c in ".e") else text + ".0"


def calibrated_text(source: str, fitted: dict[str, float], header: list[str], note: str) -> str:
    """The scenario file text with fitted values replaced (or added) and a calibration header on top."""
    lines = source.splitlines()
    if lines and lines[0].startswith(_HEADER_MARK):
        lines.pop(0)  # a previous calibration header is replaced
        while lines and lines[0].startswith("#   "):
            lines.pop(0)
    pending = dict(fitted)
    section, last_key_line = None, {}
    for i, line in enumerate(lines):
        m = _SECTION.match(line)
        if m:
            section = m.group(1)
            last_key_line.setdefault(section, i)
            continue
        if section is None:
            continue
        km = re.match(r"^(\s*)([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)([^#]*?)(\s*)(#.*)?$", line)
        if not km:
            continue
        last_key_line[section] = i
        dotted = f"{section}.{km.group(2)}"
        if dotted in pending:
            value = format_value(dotted, pending.pop(dotted))
            lines[i] = f"{km.group(1)}{km.group(2)}{km.group(3)}{value}  # {note}"
    inserts: dict[int, list[str]] = {}
    for dotted, value in pending.items():
        sec, key = dotted.split(".", 1)
        text = f"{key} = {format_value(dotted, value)}  # {note}"
        if sec in last_key_line:
            inserts.setdefault(last_key_line[sec], []).append(text)
        else:
            inserts.setdefault(len(lines) - 1, []).extend(["", f"[{sec}]", text])
    for i in sorted(inserts, reverse=True):
        lines[i + 1:i + 1] = inserts[i]
    return "\n".join([*header, *lines]) + "\n"


def header_lines(targets: Targets, result: Calibration, when: str) -> list[str]:
    """Header comment of a calibrated scenario file."""
    free = ", ".join(f"{p.name} [{p.low:g}, {p.high:g}]" for p in result.free)
    fitted = len(targets.with_role("calibration"))
    return [f"{_HEADER_MARK} on {when} against {targets.path} ({fitted} calibration targets).",
            *textwrap.wrap(f"Free parameters: {free}.", 110, initial_indent="#   ", subsequent_indent="#   ",
                           break_on_hyphens=False),
            f"#   Final loss {result.loss:.4g} (start {result.start_loss:.4g}) after {result.evaluations} "
            f"evaluations ({result.method} search, then loss profiles).",
            "#   Loss = sum of weight * ((simulated - observed) / tolerance)^2; see docs/validation.md."]


def write_calibrated_scenario(source_path: Path, dest: Path, text: str) -> None:
    """Write the calibrated copy, pointing an ``extends`` at the original parent from the new location."""
    import os

    m = re.search(r'^extends\s*=\s*"([^"]+)"', text, flags=re.M)
    if m:
        parent = (source_path.parent / m.group(1)).resolve()
        rel = os.path.relpath(parent, dest.parent.resolve())
        text = text[:m.start(1)] + rel + text[m.end(1):]
    dest.write_text(text, encoding="utf-8")
