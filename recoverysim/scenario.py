"""Scenario files: TOML loading, ``extends`` inheritance, validation against the parameter registry.

A :class:`Scenario` is immutable. Overrides (``--set``, sensitivity samples, calibration) build a new one, so
no scenario can change another's configuration.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from recoverysim.errors import ScenarioError
from recoverysim.parameters import (
    PARAMETERS,
    REFORM_FIELDS,
    REFORMS,
    SECTIONS,
    STAGES,
    WEEKS_PER_YEAR,
    defaults,
)

TOP_LEVEL_KEYS = {"extends", "name", "description", "reforms", *SECTIONS}


@dataclass(frozen=True)
class Reform:
    """One phased reform: reduces its root by ``intensity`` once ramped up."""

    name: str
    start_year: float = REFORM_FIELDS["start_year"][0]
    ramp_years: float = REFORM_FIELDS["ramp_years"][0]
    intensity: float = REFORM_FIELDS["intensity"][0]
    capacity: float = REFORM_FIELDS["capacity"][0]
    cost_per_year: float = REFORM_FIELDS["cost_per_year"][0]

    @property
    def root(self) -> str:
        """The root of barriers this reform reduces."""
        return REFORMS[self.name].root

    def level(self, week: int) -> float:
        """Share of full effect reached at ``week`` (linear ramp from start_year over ramp_years)."""
        t = week / WEEKS_PER_YEAR - self.start_year
        if t < 0:
            return 0.0
        if self.ramp_years <= 0:
            return 1.0
        return min(1.0, t / self.ramp_years)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict, as in a scenario file."""
        return {k: getattr(self, k) for k in REFORM_FIELDS}


class _Section:
    """Read-only attribute access to one section's values (``params.levers.coercion``)."""

    def __init__(self, values: Mapping[str, Any]):
        # Stored as instance attributes: the model reads parameters every week, and a plain attribute lookup
        # costs a fraction of a __getattr__ call.
        self.__dict__.update(values)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("scenario parameters are read-only; use Scenario.with_overrides")


@dataclass(frozen=True)
class Scenario:
    """A fully resolved, validated scenario."""

    name: str
    values: Mapping[str, Any]
    reforms: tuple[Reform, ...] = ()
    description: str = ""
    source: str = "<defaults>"
    files: tuple[str, ...] = ()
    params: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))
        sections: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
        for dotted, value in self.values.items():
            section, key = dotted.split(".", 1)
            sections[section][key] = value
        object.__setattr__(self, "params", _Section({s: _Section(v) for s, v in sections.items()}))

    def __getitem__(self, dotted: str) -> Any:
        return self.values[dotted]

    def __reduce__(self):
        # The read-only views do not pickle; rebuild from plain data (process pools, Dask workers).
        return (_rebuild, (self.name, dict(self.values), self.reforms, self.description, self.source, self.files))

    @property
    def content_hash(self) -> str:
        """SHA-256 of the resolved parameters and reforms (what the model actually runs)."""
        payload = json.dumps(self.resolved(), sort_keys=True, default=str).encode()
        return hashlib.sha256(payload).hexdigest()

    def resolved(self) -> dict[str, Any]:
        """Every parameter and reform as plain data (for manifests and ``describe --json``)."""
        return {"name": self.name, "parameters": dict(self.values), "reforms": [r.as_dict() for r in self.reforms]}

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "override") -> Scenario:
        """Return a new scenario with dotted-name overrides applied and validated."""
        values = dict(self.values)
        for dotted, raw in overrides.items():
            values[dotted] = _check_value(source, dotted, raw)
        _check_consistency(source, values)
        return replace(self, values=values)

    def with_reforms(self, reforms: tuple[Reform, ...]) -> Scenario:
        """Return a new scenario with these reforms instead of its own."""
        return replace(self, reforms=tuple(reforms))


def _rebuild(name, values, reforms, description, source, files) -> Scenario:
    return Scenario(name=name, values=values, reforms=reforms, description=description, source=source, files=files)


def default_scenario() -> Scenario:
    """The declared defaults with no reforms."""
    return Scenario(name="defaults", values=defaults())


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load, resolve ``extends`` chains, validate, and apply overrides."""
    path = Path(path)
    raw, files = _load_chain(path, ())
    source = str(path)
    values = defaults()
    for section in SECTIONS:
        for key, value in raw.get(section, {}).items():
            values[f"{section}.{key}"] = value
    reforms = tuple(_check_reform(src, i, entry) for i, (src, entry) in enumerate(raw.get("reforms", [])))
    scenario = Scenario(
        name=str(raw.get("name", path.stem)),
        description=str(raw.get("description", "")),
        values=values,
        reforms=reforms,
        source=source,
        files=files,
    )
    if overrides:
        scenario = scenario.with_overrides(overrides, source="--set")
    return scenario


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse ``dotted.key=value`` with TOML value syntax (bare words are taken as strings)."""
    if "=" not in text:
        raise ScenarioError("--set", text, "expected dotted.key=value")
    key, value = (s.strip() for s in text.split("=", 1))
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value
    return key, parsed


# --- loading -------------------------------------------------------------------------------------------


def _read_toml(path: Path, referrer: str | None) -> dict[str, Any]:
    if not path.is_file():
        where = referrer or str(path)
        raise ScenarioError(where, "extends" if referrer else None, f"scenario file not found: {path}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), None, f"malformed TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ScenarioError(str(path), None, "not a UTF-8 text file") from None


def _load_chain(path: Path, seen: tuple[str, ...], referrer: str | None = None):
    """Merge a file over its ``extends`` parent; returns (merged dict, files from root to leaf)."""
    resolved = str(path.resolve())
    if resolved in seen:
        chain = " -> ".join([*seen, resolved])
        raise ScenarioError(str(path), "extends", f"circular extends: {chain}")
    data = _read_toml(path, referrer)
    source = str(path)
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise ScenarioError(source, key, f"unknown key; allowed: {', '.join(sorted(TOP_LEVEL_KEYS))}")
    for section in SECTIONS:
        if section in data:
            if not isinstance(data[section], dict):
                raise ScenarioError(source, section, "must be a table ([section])")
            for key, value in data[section].items():
                dotted = f"{section}.{key}"
                data[section][key] = _check_value(source, dotted, value)
    reforms = data.get("reforms", [])
    if not isinstance(reforms, list) or not all(isinstance(r, dict) for r in reforms):
        raise ScenarioError(source, "reforms", "must be an array of tables ([[reforms]])")
    tagged = [(source, r) for r in reforms]

    merged: dict[str, Any] = {}
    files: tuple[str, ...] = ()
    if "extends" in data:
        if not isinstance(data["extends"], str):
            raise ScenarioError(source, "extends", "must be a file name string")
        parent, files = _load_chain(path.parent / data["extends"], (*seen, resolved), referrer=source)
        merged = parent
    for section in SECTIONS:
        if section in data:
            merged.setdefault(section, {})
            merged[section] = {**merged[section], **data[section]}
    # A child's reform with the same name replaces the parent's; others are added.
    parent_reforms = merged.get("reforms", [])
    child_names = {r.get("name") for _, r in tagged}
    merged["reforms"] = [t for t in parent_reforms if t[1].get("name") not in child_names] + tagged
    for key in ("name", "description"):
        if key in data:
            merged[key] = data[key]
    _check_consistency(source, {**defaults(), **{f"{s}.{k}": v for s in SECTIONS
                                                 for k, v in merged.get(s, {}).items()}})
    return merged, (*files, str(path))


# --- validation ----------------------------------------------------------------------------------------


def _check_value(source: str, dotted: str, value: Any) -> Any:
    param = PARAMETERS.get(dotted)
    if param is None:
        section = dotted.split(".", 1)[0]
        if section not in SECTIONS:
            raise ScenarioError(source, dotted, f"unknown section '{section}'; sections: {', '.join(SECTIONS)}")
        close = [p.key for p in PARAMETERS.values() if p.section == section]
        raise ScenarioError(source, dotted, f"unknown parameter; [{section}] accepts: {', '.join(close)}")
    if param.kind is bool:
        if not isinstance(value, bool):
            raise ScenarioError(source, dotted, f"must be true or false, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(source, dotted, f"must be a number in {param.range_text()}, got {value!r}")
    if param.kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise ScenarioError(source, dotted, f"must be a whole number in {param.range_text()}, got {value!r}")
        value = int(value)
    else:
        value = float(value)
        if not math.isfinite(value):
            raise ScenarioError(source, dotted, f"must be finite, got {value!r}")
    if not (param.low <= value <= param.high):
        raise ScenarioError(source, dotted, f"{value!r} is out of range {param.range_text()} ({param.unit})")
    return value


def _check_consistency(source: str, values: Mapping[str, Any]) -> None:
    total = sum(values[f"population.share_{s}"] for s in STAGES)
    if abs(total - 1.0) > 1e-6:
        raise ScenarioError(source, "population.share_*",
                            f"initial stage shares must sum to 1, got {total:g}")
    if values["population.share_schizophrenia"] + values["population.share_mood"] > 1 + 1e-9:
        raise ScenarioError(source, "population.share_mood",
                            "share_schizophrenia + share_mood must not exceed 1")


def _check_reform(source: str, index: int, entry: Mapping[str, Any]) -> Reform:
    where = f"reforms[{index}]"
    for key in entry:
        if key not in REFORM_FIELDS:
            raise ScenarioError(source, f"{where}.{key}",
                                f"unknown reform field; allowed: {', '.join(REFORM_FIELDS)}")
    name = entry.get("name")
    if name not in REFORMS:
        raise ScenarioError(source, f"{where}.name",
                            f"unknown reform {name!r}; reforms: {', '.join(REFORMS)}")
    fields: dict[str, Any] = {"name": name}
    for key, (_default, low, high, unit, _desc) in REFORM_FIELDS.items():
        if key == "name" or key not in entry:
            continue
        value = entry[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(source, f"{where}.{key}", f"must be a number in [{low:g}, {high:g}]")
        if not (low <= value <= high):
            raise ScenarioError(source, f"{where}.{key}", f"{value!r} is out of range [{low:g}, {high:g}] ({unit})")
        fields[key] = float(value)
    if fields.get("capacity", 0.0) > 0 and REFORMS[name].capacity_target is None:
        raise ScenarioError(source, f"{where}.capacity", f"reform {name!r} adds no capacity")
    return Reform(**fields)
