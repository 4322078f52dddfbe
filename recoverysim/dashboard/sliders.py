"""Dashboard controls built from the parameter registry, and a model class that takes them as keywords.

Kept free of Solara so it can be tested without the optional dashboard dependencies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from recoverysim.model import RecoveryModel
from recoverysim.parameters import LOOPS, PARAMETERS, ROOTS
from recoverysim.scenario import load_scenario

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "japan_baseline.toml"

#: The controls a teacher or planner reaches for first: the roots, the levers and the loop switches.
DASHBOARD_PARAMETERS = (
    *(f"roots.{r}" for r in ROOTS),
    "levers.coercion",
    "levers.peer_availability",
    "levers.social_exclusion",
    "levers.bed_capacity",
    "levers.community_support_capacity",
    "peer.organisational_support",
    *(f"loops.{loop}" for loop in LOOPS),
)


def control_specs(scenario_path: Path = BASELINE) -> dict[str, dict[str, Any]]:
    """Slider or checkbox specification per dotted name, from the registry and the scenario's values."""
    scenario = load_scenario(scenario_path)
    specs: dict[str, dict[str, Any]] = {}
    for name in DASHBOARD_PARAMETERS:
        p = PARAMETERS[name]
        if p.kind is bool:
            specs[name] = {"type": "Checkbox", "value": scenario[name], "label": name}
        else:
            step = 1 if p.kind is int else (p.high - p.low) / 100
            specs[name] = {"type": "SliderInt" if p.kind is int else "SliderFloat", "value": scenario[name],
                           "min": p.low, "max": p.high, "step": step, "label": f"{name} ({p.unit})"}
    return specs


class DashboardModel(RecoveryModel):
    """RecoveryModel built from keyword overrides (what SolaraViz passes when a control changes)."""

    def __init__(self, population: int = 2000, seed: int = 1, **overrides: Any):
        names = {name.replace(".", "__"): name for name in PARAMETERS}
        dotted = {names.get(k, k): v for k, v in overrides.items()}
        scenario = load_scenario(BASELINE, {**dotted, "population.size": population})
        super().__init__(scenario, rng=seed)
