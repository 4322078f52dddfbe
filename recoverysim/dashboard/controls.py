"""The dashboard's controls, built from the parameter registry, and the settings they edit.

Kept free of Solara so it can be tested without a browser. A *setting* is one control's value under its key:
a dotted parameter name (``levers.coercion``) or a reform field (``reforms.crisis_advocacy.start_year``, with
``.on`` for whether the reform is in force). ``scenario_of`` turns settings into a validated Scenario and
``scenario_toml`` writes one as a file that ``recoverysim run`` accepts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from recoverysim.parameters import LEVERS, LOOPS, PARAMETERS, REFORM_FIELDS, REFORMS, ROOTS, SECTIONS, command_default
from recoverysim.reform_evidence import PROXIMAL_EFFECTS
from recoverysim.scenario import Reform, Scenario

#: Run controls keep the page responsive: the network view and the stories are for small populations.
RUN_LIMITS = {"population.size": (100, 5000, 100), "run.years": (1, 30, 1)}
#: People the dashboard starts with when the scenario asks for more (declared in parameters.COMMAND_DEFAULTS).
START_POPULATION = command_default("dashboard.population")
GLOSSARY = "docs/glossary.md"

#: Labels where the parameter's key alone reads badly.
_LABELS = {
    "population.size": "People simulated",
    "run.years": "Years to simulate",
    "run.seed": "Random seed",
    "levers.bed_capacity": "Psychiatric beds",
    "levers.community_support_capacity": "Community crisis capacity",
    "levers.professionals_per_1000": "Professionals",
    "peer.organisational_support": "Organisational support for peer staff",
}
_REFORM_FIELD_LABELS = {"on": "In force", "start_year": "Starts in year", "ramp_years": "Ramp-up (years)",
                        "coverage": "Coverage (share reached)", "effect": "Effect on those reached",
                        "capacity": "Capacity added"}


@dataclass(frozen=True)
class Control:
    """One control on the page: what it edits, how it is labelled and what values it allows."""

    key: str
    label: str
    group: str
    kind: type
    low: float | None
    high: float | None
    step: float | None
    unit: str
    tooltip: str

    @property
    def css(self) -> str:
        """A CSS class naming the control (for styling and the browser test)."""
        return "ctl-" + self.key.replace(".", "-").replace("_", "-")


def human(key: str) -> str:
    """``trauma_insensitivity`` -> ``Trauma insensitivity``."""
    return key.replace("_", " ").capitalize()


def _tooltip(description: str, unit: str, source: str) -> str:
    return f"{description}. Unit: {unit}. Source: {source}. See {GLOSSARY}."


def _parameter_control(name: str, group: str) -> Control:
    p = PARAMETERS[name]
    label = _LABELS.get(name, human(p.key))
    if p.section == "loops":
        code, kind = LOOPS[p.key].split()[:2]
        label = f"{code} {human(p.key).lower()} ({kind.rstrip(':')})"  # "R1 peer role models (reinforcing)"
    low, high, step = RUN_LIMITS.get(name, (p.low, p.high, None))
    if step is None and p.kind is not bool:
        step = 1 if p.kind is int else _nice_step(high - low)
    return Control(name, label, group, p.kind, low, high, step, p.unit, _tooltip(p.description, p.unit, p.source))


def _nice_step(span: float) -> float:
    """A round step giving about 100 to 200 positions over ``span``."""
    step = 10 ** math.floor(math.log10(span / 100))
    return step * 5 if span / step > 1000 else step


def _reform_controls(name: str) -> list[Control]:
    spec = REFORMS[name]
    group = f"Reform: {human(name)}"
    evidence = PROXIMAL_EFFECTS[name]
    out = [Control(f"reforms.{name}.on", f"{human(name)} in force", group, bool, None, None, None, "switch",
                   _tooltip(f"Reform '{spec.paper_name}': {evidence.measure} on the {evidence.quantity}", "switch",
                            "paper, Theme 3; reform_evidence.py"))]
    fields = ["start_year", "ramp_years", "coverage", "effect"] + (["capacity"] if spec.capacity_target else [])
    for field in fields:
        _default, low, high, unit, description = REFORM_FIELDS[field]
        if field == "capacity":
            unit, high = spec.capacity_unit, 50.0  # the declared 1000 is no classroom scale
        if field == "effect":  # the evidence's interval is the slider's range
            low, high, unit = evidence.low, evidence.high, evidence.measure
            description = f"{evidence.measure} on the {evidence.quantity}; {evidence.source}"
        if field in ("start_year", "ramp_years"):
            high = RUN_LIMITS["run.years"][1]
        out.append(Control(f"reforms.{name}.{field}", _REFORM_FIELD_LABELS[field], group, float, low, high,
                           _nice_step(high - low), unit, _tooltip(description, unit, "scenario file [[reforms]]")))
    return out


def controls() -> list[Control]:
    """Every control, in page order: run, roots, levers, loops, then each reform."""
    out = [_parameter_control(n, "Run") for n in ("population.size", "run.years", "run.seed")]
    out += [_parameter_control(f"roots.{r}", "Roots of barriers") for r in ROOTS]
    out += [_parameter_control(f"levers.{lever}", "Levers") for lever in LEVERS]
    out.append(_parameter_control("peer.organisational_support", "Levers"))
    out += [_parameter_control(f"loops.{loop}", "Feedback loops") for loop in LOOPS]
    for name in REFORMS:
        out += _reform_controls(name)
    return out


def settings_of(scenario: Scenario) -> dict[str, Any]:
    """The value of every control in ``scenario`` (reforms it lacks are off, at their declared defaults)."""
    settings: dict[str, Any] = {}
    by_name = {r.name: r for r in scenario.reforms}
    for c in controls():
        if not c.key.startswith("reforms."):
            settings[c.key] = scenario[c.key]
            continue
        _, name, field = c.key.split(".")
        reform = by_name.get(name, Reform(name))
        settings[c.key] = name in by_name if field == "on" else getattr(reform, field)
    return settings


def scenario_of(base: Scenario, settings: Mapping[str, Any], name: str | None = None) -> Scenario:
    """``base`` with the settings applied (validated by the scenario loader's rules)."""
    parameters = {k: v for k, v in settings.items() if not k.startswith("reforms.")}
    scenario = base.with_overrides(parameters, source="dashboard")
    existing = {r.name: r for r in base.reforms}
    reforms = []
    for reform_name in REFORMS:
        if not settings.get(f"reforms.{reform_name}.on", reform_name in existing):
            continue
        fields = existing.get(reform_name, Reform(reform_name)).as_dict()
        for field in REFORM_FIELDS:
            if f"reforms.{reform_name}.{field}" in settings:
                fields[field] = float(settings[f"reforms.{reform_name}.{field}"])
        reforms.append(Reform(**fields))
    scenario = scenario.with_reforms(tuple(reforms))
    if name:
        scenario = replace(scenario, name=name)
    return scenario


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def scenario_toml(scenario: Scenario, comment: str = "") -> str:
    """The scenario as a self-contained TOML file: every registry value by section, then its reforms."""
    lines = [f"# {line}" for line in comment.splitlines()]
    lines += [f"name = {_toml_value(scenario.name)}", f"description = {_toml_value(scenario.description)}"]
    for section in SECTIONS:
        lines += ["", f"[{section}]"]
        lines += [f"{p.key} = {_toml_value(scenario[p.name])}" for p in PARAMETERS.values() if p.section == section]
    for reform in scenario.reforms:
        lines += ["", "[[reforms]]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in reform.as_dict().items()]
    return "\n".join(lines) + "\n"


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Keys whose value differs between two settings."""
    return [k for k in after if before.get(k) != after[k]]
