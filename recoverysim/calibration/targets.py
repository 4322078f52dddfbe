"""Observed targets as data: loading and validating a targets TOML file (see data/targets/japan.toml).

A target says what was observed (value, unit, population, year, source), how close the model must come
(``tolerance`` or ``interval``), which model statistic it is compared with (``metric``) and how the model
output is mapped onto it (``mapping``). Problems are reported as :class:`TargetsError`, naming the file and
the key, and the command line turns them into one line and exit code 2.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recoverysim.errors import ScenarioError
from recoverysim.outcomes import TARGET_METRICS
from recoverysim.toml_files import check_fields

if TYPE_CHECKING:
    import pandas as pd

#: Units a target may use. Shares are fractions (0.641, not 64.1).
UNITS = ("days", "hours", "share", "per million population per day", "per million users per day",
         "per 1,000 person-years")
REQUIRED = ("value", "unit", "population", "year", "source", "metric", "mapping", "role")
#: calibration: in the loss of `recoverysim calibrate`; validation: never fitted, only compared by `validate`;
#: input_check: the model takes the figure as an input, so the comparison is a consistency check, not a target met.
ROLES = ("calibration", "validation", "input_check")
OPTIONAL = ("description", "tolerance", "interval", "weight", "scale")
TOP_LEVEL = ("title", "settings", "conversions", "targets")
SETTINGS = {"burn_in_years": 0}
CONVERSION_FIELDS = ("value", "source", "description")


class TargetsError(ScenarioError):
    """A targets file is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class Target:
    """One observed pattern and the band the simulated value must fall in."""

    key: str
    value: float
    unit: str
    population: str
    year: str
    source: str
    metric: str
    mapping: str
    low: float
    high: float
    description: str = ""
    weight: float = 1.0
    scale: str | None = None
    role: str = "calibration"

    def met(self, simulated: float) -> bool:
        """Whether a simulated value lies in the acceptance band."""
        return math.isfinite(simulated) and self.low <= simulated <= self.high

    def residual(self, simulated: float) -> float:
        """(sim - value) / d, with d the distance from value to the band edge on the side of sim."""
        if not math.isfinite(simulated):
            return 1e3
        d = (self.high - self.value) if simulated >= self.value else (self.value - self.low)
        return (simulated - self.value) / d


@dataclass(frozen=True)
class Targets:
    """A loaded targets file."""

    path: str
    title: str
    targets: tuple[Target, ...]
    conversions: Mapping[str, float] = field(default_factory=dict)
    conversion_sources: Mapping[str, str] = field(default_factory=dict)
    burn_in_years: int = 0

    def metrics(self) -> list[str]:
        """The distinct model statistics the targets need."""
        return list(dict.fromkeys(t.metric for t in self.targets))

    def with_role(self, role: str) -> tuple[Target, ...]:
        """The targets of one role, in file order."""
        return tuple(t for t in self.targets if t.role == role)

    def for_calibration(self, keys: list[str] | None = None) -> Targets:
        """Only the role=calibration targets (optionally only ``keys``); a validation key is an error."""
        chosen = self.with_role("calibration")
        if keys:
            by_key = {t.key: t for t in self.targets}
            for key in keys:
                if key not in by_key:
                    raise TargetsError(self.path, f"targets.{key}", "no such target (--target)")
                if by_key[key].role != "calibration":
                    raise TargetsError(self.path, f"targets.{key}.role", f"is {by_key[key].role!r}: only "
                                       "calibration targets may be fitted (--target)")
            chosen = tuple(t for t in chosen if t.key in keys)
        return replace(self, targets=chosen)

    def factor(self, target: Target) -> float:
        """The conversion factor applied to the simulated value of ``target`` (1 if none)."""
        return self.conversions[target.scale] if target.scale else 1.0


def load_targets(path: str | Path) -> Targets:
    """Load and validate a targets file; raises :class:`TargetsError` naming the file and key."""
    from recoverysim.scenario import read_toml

    path = Path(path)
    src = str(path)
    data = read_toml(path, TargetsError, "targets file")
    for key in data:
        if key not in TOP_LEVEL:
            raise TargetsError(src, key, f"unknown key; allowed: {', '.join(TOP_LEVEL)}")
    settings = _table(src, data, "settings")
    for key, value in settings.items():
        if key not in SETTINGS:
            raise TargetsError(src, f"settings.{key}", f"unknown setting; allowed: {', '.join(SETTINGS)}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise TargetsError(src, f"settings.{key}", f"must be a whole number >= 0, got {value!r}")
    conversions, conv_sources = {}, {}
    for name, entry in _table(src, data, "conversions").items():
        where = f"conversions.{name}"
        check_fields(TargetsError, src, where, entry, CONVERSION_FIELDS,
                     not_table="must be a table with value and source")
        conversions[name] = _number(src, f"{where}.value", entry.get("value"), positive=True)
        conv_sources[name] = _text(src, f"{where}.source", entry.get("source"))
    raw = _table(src, data, "targets")
    if not raw:
        raise TargetsError(src, "targets", "no targets declared ([targets.<key>] tables)")
    targets = [_target(src, key, entry, TARGET_METRICS, conversions) for key, entry in raw.items()]
    return Targets(path=src, title=str(data.get("title", path.stem)), targets=tuple(targets),
                   conversions=conversions, conversion_sources=conv_sources,
                   burn_in_years=int(settings.get("burn_in_years", SETTINGS["burn_in_years"])))


def _table(src: str, data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise TargetsError(src, key, "must be a table")
    return value


def _text(src: str, where: str, value: Any) -> str:
    if value is None:
        raise TargetsError(src, where, "missing (required)")
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise TargetsError(src, where, f"must be non-empty text, got {value!r}")
    return str(value).strip()


def _number(src: str, where: str, value: Any, positive: bool = False) -> float:
    if value is None:
        raise TargetsError(src, where, "missing (required)")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TargetsError(src, where, f"must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise TargetsError(src, where, f"must be > 0, got {value!r}")
    return float(value)


def _target(src: str, key: str, entry: Any, metrics: Mapping[str, Any], conversions: Mapping[str, float]) -> Target:
    where = f"targets.{key}"
    check_fields(TargetsError, src, where, entry, REQUIRED + OPTIONAL, REQUIRED)
    value = _number(src, f"{where}.value", entry["value"])
    unit = _text(src, f"{where}.unit", entry["unit"])
    if unit not in UNITS:
        raise TargetsError(src, f"{where}.unit", f"unknown unit {unit!r}; units: {', '.join(UNITS)}")
    metric = _text(src, f"{where}.metric", entry["metric"])
    if metric not in metrics:
        raise TargetsError(src, f"{where}.metric", f"unknown metric {metric!r}; metrics: {', '.join(metrics)}")
    scale = entry.get("scale")
    if scale is not None and scale not in conversions:
        raise TargetsError(src, f"{where}.scale", f"unknown conversion {scale!r}; declared: "
                           f"{', '.join(conversions) or 'none'} ([conversions.<name>])")
    if ("tolerance" in entry) == ("interval" in entry):
        raise TargetsError(src, where, "give exactly one of tolerance (+/- in the unit) or interval = [low, high]")
    if "tolerance" in entry:
        tol = _number(src, f"{where}.tolerance", entry["tolerance"], positive=True)
        low, high = value - tol, value + tol
    else:
        band = entry["interval"]
        if not isinstance(band, list) or len(band) != 2:
            raise TargetsError(src, f"{where}.interval", "must be [low, high]")
        low, high = (_number(src, f"{where}.interval", b) for b in band)
        if not low < value < high:
            raise TargetsError(src, f"{where}.interval", f"must satisfy low < value < high, got {band} around {value}")
    if unit == "share":  # shares are fractions: the value and its band lie in [0, 1]
        if not 0 <= value <= 1:
            raise TargetsError(src, f"{where}.value", f"a share must lie in [0, 1], got {value!r}")
        if "interval" in entry and not (0 <= low and high <= 1):
            raise TargetsError(src, f"{where}.interval", f"a share's interval must lie in [0, 1], got "
                               f"[{low:g}, {high:g}]")
    role = entry["role"]
    if role not in ROLES:
        raise TargetsError(src, f"{where}.role", f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    weight = _number(src, f"{where}.weight", entry.get("weight", 1.0))
    if weight < 0:
        raise TargetsError(src, f"{where}.weight", f"must be >= 0, got {weight}")
    return Target(key=key, value=value, unit=unit, population=_text(src, f"{where}.population", entry["population"]),
                  year=_text(src, f"{where}.year", entry["year"]),
                  source=_text(src, f"{where}.source", entry["source"]),
                  metric=metric, mapping=_text(src, f"{where}.mapping", entry["mapping"]), low=low, high=high,
                  description=str(entry.get("description", "")), weight=weight, scale=scale, role=role)


def met_by_role(table: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """(met, count) per role; input checks are consistency checks, never counted as targets met."""
    return {role: (int(table.loc[table["role"] == role, "met"].sum()), int((table["role"] == role).sum()))
            for role in ROLES}


def met_summary(table: pd.DataFrame) -> str:
    """One line: calibration and validation targets met, input checks passed."""
    n = met_by_role(table)
    return (f"{n['calibration'][0]}/{n['calibration'][1]} calibration targets met, {n['validation'][0]}/"
            f"{n['validation'][1]} validation targets met; input checks (not targets): {n['input_check'][0]}/"
            f"{n['input_check'][1]} consistent")
