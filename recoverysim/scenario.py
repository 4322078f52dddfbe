"""Scenario files: TOML loading, ``extends`` inheritance, validation against the parameter registry.

A :class:`Scenario` is immutable. Overrides (``--set``, sensitivity samples, calibration) build a new one, so
no scenario can change another's configuration.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from recoverysim.costs import costs_path, load_costs
from recoverysim.errors import ScenarioError, shorten
from recoverysim.parameters import (
    PARAMETERS,
    REFORM_FIELDS,
    REFORMS,
    SECTIONS,
    STAGES,
    WEEKS_PER_YEAR,
    defaults,
)
from recoverysim.reform_evidence import PROXIMAL_EFFECTS
from recoverysim.toml_files import read_toml

#: ``costs``: the unit-costs file (recoverysim/costs.py): a bare name of data/costs/ or a path relative to the file.
TOP_LEVEL_KEYS = {"extends", "name", "description", "costs", "reforms", *SECTIONS}
#: A scenario name becomes a folder name (results/<name>, runs/<name>): a plain identifier, nothing path-like.
NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class Reform:
    """One phased reform: reaches ``coverage`` of its people once ramped up and changes its proximal quantity.

    ``effect`` is the size of that change (reform_evidence.py); None takes the evidence's central value.
    """

    name: str
    start_year: float = REFORM_FIELDS["start_year"][0]
    ramp_years: float = REFORM_FIELDS["ramp_years"][0]
    coverage: float = REFORM_FIELDS["coverage"][0]
    effect: float | None = REFORM_FIELDS["effect"][0]
    capacity: float = REFORM_FIELDS["capacity"][0]

    def __post_init__(self):
        if self.effect is None:
            object.__setattr__(self, "effect", PROXIMAL_EFFECTS[self.name].central)

    @property
    def root(self) -> str:
        """The root of barriers this reform reduces."""
        return REFORMS[self.name].root

    def level(self, week: int) -> float:
        """Share of full coverage reached at ``week`` (linear ramp from start_year over ramp_years)."""
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
    costs: str = ""  # the unit-costs file (recoverysim.costs); "" uses costs.DEFAULT_COSTS. Accounting only.
    # Unit costs that replace the file's values, as (dotted key, yen) pairs: an uncertainty draw. Accounting only.
    unit_costs: tuple[tuple[str, float], ...] = ()
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
        return (_rebuild, (self.name, dict(self.values), self.reforms, self.description, self.source, self.files,
                           self.costs, self.unit_costs))

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

    def with_unit_costs(self, values: Mapping[str, float]) -> Scenario:
        """Return a new scenario whose costs use these unit costs (``costs.<item>``, ``programmes.<reform>``)."""
        return replace(self, unit_costs=tuple(sorted((k, float(v)) for k, v in values.items())))


def _rebuild(name, values, reforms, description, source, files, costs="", unit_costs=()) -> Scenario:
    return Scenario(name=name, values=values, reforms=reforms, description=description, source=source, files=files,
                    costs=costs, unit_costs=unit_costs)


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
    reforms = tuple(_check_reform(src, i, entry) for src, i, entry in raw.get("reforms", []))
    name_source = raw.get("name_source", source)
    scenario = Scenario(
        name=check_name(name_source, raw["name"]) if "name" in raw else check_name(source, path.stem, "file name"),
        description=raw.get("description", ""),
        values=values,
        reforms=reforms,
        source=source,
        files=files,
        costs=_check_costs(*raw["costs"]) if "costs" in raw else "",
    )
    if overrides:
        scenario = scenario.with_overrides(overrides, source="--set")
    horizon = scenario.params.run.years
    for reform in scenario.reforms:
        if reform.start_year >= horizon:
            warnings.warn(f"{source}: reform {reform.name} starts in year {reform.start_year:g}, at or after the "
                          f"{horizon}-year horizon: it has no effect", ScenarioWarning, stacklevel=2)
    return scenario


class ScenarioWarning(UserWarning):
    """A scenario that is valid but probably not what was meant (the command line prints one line)."""


def check_name(source: str, name: Any, what: str = "name") -> str:
    """A scenario name as a plain identifier (it becomes a folder name), or ScenarioError naming ``name``."""
    if not isinstance(name, str):
        raise ScenarioError(source, "name", f"must be a string, got {shorten(repr(name))}")
    if not NAME_PATTERN.fullmatch(name) or name in (".", ".."):
        detail = f" (the {what} {shorten(repr(name))})" if what != "name" else f": got {shorten(repr(name))}"
        raise ScenarioError(source, "name", "must be a plain identifier of 1-64 letters, digits, '_', '-' or '.', "
                            f"starting with a letter, digit or '_'{detail}")
    return name



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
    return read_toml(path, referrer=referrer, key="extends" if referrer else None)


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
    seen_reforms: dict[str, int] = {}
    for i, r in enumerate(reforms):
        name = r.get("name")
        if isinstance(name, str) and name in seen_reforms:
            raise ScenarioError(source, f"reforms[{i}].name", f"reform {name!r} is already given as "
                                f"reforms[{seen_reforms[name]}]; give each reform once (set its coverage)")
        if isinstance(name, str):
            seen_reforms[name] = i
    tagged = [(source, i, r) for i, r in enumerate(reforms)]
    for key in ("name", "description", "costs"):
        if key in data and not isinstance(data[key], str):
            raise ScenarioError(source, key, f"must be a string, got {shorten(repr(data[key]))}")

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
    child_names = {r.get("name") for _, _, r in tagged}
    merged["reforms"] = [t for t in parent_reforms if t[2].get("name") not in child_names] + tagged
    for key in ("name", "description"):
        if key in data:
            merged[key] = data[key]
    if "name" in data:
        merged["name_source"] = source
    if "costs" in data:  # relative to the file that gives it; a child's replaces its parent's
        merged["costs"] = (str(costs_path(data["costs"], path)), source)
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
            raise ScenarioError(source, dotted, f"must be true or false, got {shorten(repr(value))}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(source, dotted, f"must be a number in {param.range_text()}, got {shorten(repr(value))}")
    if param.kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise ScenarioError(source, dotted,
                                f"must be a whole number in {param.range_text()}, got {shorten(repr(value))}")
        value = int(value)
    else:
        try:
            value = float(value)
        except OverflowError:  # a huge integer
            raise ScenarioError(source, dotted, f"{shorten(repr(value))} is out of range {param.range_text()} "
                                f"({param.unit})") from None
        if math.isnan(value):
            raise ScenarioError(source, dotted, f"must be finite, got {shorten(repr(value))}")
    if not (param.low <= value <= param.high):
        raise ScenarioError(source, dotted, f"{shorten(repr(value))} is out of range {param.range_text()} "
                            f"({param.unit})")
    return value


def _check_consistency(source: str, values: Mapping[str, Any]) -> None:
    total = sum(values[f"population.share_{s}"] for s in STAGES)
    if abs(total - 1.0) > 1e-6:
        raise ScenarioError(source, "population.share_*",
                            f"initial stage shares must sum to 1, got {total:g}")
    if values["population.share_schizophrenia"] + values["population.share_mood"] > 1 + 1e-9:
        raise ScenarioError(source, "population.share_mood",
                            "share_schizophrenia + share_mood must not exceed 1")


def _check_costs(path: str, source: str) -> str:
    """The costs file named by ``source``'s ``costs`` key, loaded once so that a bad file fails at load time."""
    load_costs(path, referrer=source)
    return path


def _check_reform(source: str, index: int, entry: Mapping[str, Any]) -> Reform:
    where = f"reforms[{index}]"
    if "cost_per_year" in entry:
        raise ScenarioError(source, f"{where}.cost_per_year", "no longer a reform field: a reform's cost is its "
                            "programme cost per person covered (the costs file) x coverage x people; remove it")
    for key in entry:
        if key not in REFORM_FIELDS:
            raise ScenarioError(source, f"{where}.{key}",
                                f"unknown reform field; allowed: {', '.join(REFORM_FIELDS)}")
    name = entry.get("name")
    if name not in REFORMS:
        raise ScenarioError(source, f"{where}.name",
                            f"unknown reform {shorten(repr(name))}; reforms: {', '.join(REFORMS)}")
    fields: dict[str, Any] = {"name": name}
    for key, (_default, low, high, unit, _desc) in REFORM_FIELDS.items():
        if key == "name" or key not in entry:
            continue
        value = entry[key]
        if key == "effect":  # the evidence's interval, not a generic range
            evidence = PROXIMAL_EFFECTS[name]
            low, high, unit = evidence.low, evidence.high, evidence.measure
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(source, f"{where}.{key}", f"must be a number in [{low:g}, {high:g}]")
        if not (low <= value <= high):
            raise ScenarioError(source, f"{where}.{key}",
                                f"{shorten(repr(value))} is out of range [{low:g}, {high:g}] ({unit})")
        fields[key] = float(value)
    if fields.get("capacity", 0.0) > 0 and REFORMS[name].capacity_target is None:
        raise ScenarioError(source, f"{where}.capacity", f"reform {shorten(repr(name))} adds no capacity")
    return Reform(**fields)
