"""One browser session's state: its settings, the settings waiting for a reset, and its own model.

Every session builds its own :class:`DashboardSession` (the page creates one per connection), so two students
never share a model. Kept free of Solara so it can be tested without a browser.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from recoverysim.dashboard.controls import START_POPULATION, changed, scenario_of, scenario_toml, settings_of
from recoverysim.errors import RecoverysimError
from recoverysim.model import RecoveryModel
from recoverysim.parameters import WEEKS_PER_YEAR
from recoverysim.scenario import Scenario, load_scenario
from recoverysim.seeds import replicate_seed
from recoverysim.trace import format_text, run_trace

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BASELINE = SCENARIOS / "japan_baseline.toml"
#: Set by ``recoverysim dashboard`` for the server: the scenario every new session starts from, and where saves go.
SCENARIO_ENV = "RECOVERYSIM_DASHBOARD_SCENARIO"
SAVE_DIR_ENV = "RECOVERYSIM_DASHBOARD_SAVE_DIR"


def start_settings(base: Scenario) -> dict[str, Any]:
    """The controls' values for a scenario, with the population capped at ``START_POPULATION``."""
    settings = settings_of(base)
    settings["population.size"] = min(settings["population.size"], START_POPULATION)
    return settings


class DashboardSession:
    """A model run that the controls restart: ``pending`` settings take effect on ``reset``."""

    def __init__(self, base: Scenario | str | Path = BASELINE):
        self.load(base)

    def load(self, base: Scenario | str | Path) -> None:
        """Start again from a scenario (or scenario file)."""
        self.base = base if isinstance(base, Scenario) else load_scenario(base)
        self.applied = start_settings(self.base)
        self.pending = dict(self.applied)
        self.error: str | None = None
        self.model = self.new_model(self.scenario)

    @property
    def scenario(self) -> Scenario:
        """The scenario the model runs now (applied settings)."""
        return scenario_of(self.base, self.applied)

    @staticmethod
    def new_model(scenario: Scenario) -> RecoveryModel:
        """A fresh model of ``scenario``: replicate 0 of its seed, the run ``recoverysim trace`` retells."""
        return RecoveryModel(scenario, rng=replicate_seed(scenario["run.seed"], 0))

    def set(self, key: str, value: Any) -> None:
        """Change a control; it waits in ``pending`` until ``reset``."""
        if key not in self.pending:
            raise KeyError(key)
        self.pending[key] = value

    @property
    def pending_changes(self) -> list[str]:
        """Controls changed since the last reset."""
        return changed(self.applied, self.pending)

    def reset(self) -> bool:
        """Apply the pending settings and restart the run; False (with ``error`` set) if they are invalid."""
        try:
            scenario = scenario_of(self.base, self.pending)
        except RecoverysimError as exc:
            self.error = str(exc)
            return False
        self.error = None
        self.applied = dict(self.pending)
        self.model = self.new_model(scenario)
        return True

    def step(self, weeks: int = 1) -> None:
        """Advance up to ``weeks`` weeks (stops at the horizon)."""
        for _ in range(weeks):
            if not self.model.running:
                break
            self.model.step()

    def clock(self) -> str:
        """Where the run is, in years and weeks."""
        m = self.model
        year, week = divmod(m.week, WEEKS_PER_YEAR)
        return f"Year {year}, week {week} ({m.week} of {m.weeks} weeks; {m.week / WEEKS_PER_YEAR:.1f} years)"

    def tally(self) -> str:
        """What has happened in the run so far, in one line."""
        df, size = self.model.recorder.frame(self.model.week), self.model.population.size
        voluntary, involuntary = int(df["admissions_voluntary"].sum()), int(df["admissions_involuntary"].sum())
        return (f"So far: {int(df['crises'].sum())} crises, {voluntary} voluntary and {involuntary} involuntary "
                f"admissions, {int(df['coercive_episodes'].sum())} coercive episodes; "
                f"{df['reunion'].iloc[-1] / size:.0%} of {size} people in reunion, "
                f"{int(df['in_hospital'].iloc[-1])} in hospital.")

    def story(self, person: int) -> str:
        """The ``trace`` narrative of one person in this run, up to the end of the current year."""
        years = max(1, math.ceil(self.model.week / WEEKS_PER_YEAR))
        scenario = self.scenario.with_overrides({"run.years": years}, source="dashboard")
        story = run_trace(scenario, person=person, seed=scenario["run.seed"], replicate=0)
        return format_text(story)

    def scenario_text(self, name: str) -> str:
        """The controls' current values (pending included) as a scenario file."""
        scenario = scenario_of(self.base, self.pending, name=name)
        comment = (f"Saved from the recoverysim dashboard, starting from {self.base.source}.\n"
                   f"Run it with: recoverysim run {name}.toml")
        return scenario_toml(scenario, comment)

    def save(self, folder: str | Path, name: str) -> Path:
        """Write ``scenario_text(name)`` to ``folder/name.toml``."""
        if not name or not all(ch.isalnum() or ch in "-_" for ch in name):
            raise RecoverysimError(f"scenario name {name!r}: use letters, digits, - and _ only")
        path = Path(folder) / f"{name}.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.scenario_text(name), encoding="utf-8")
        return path
