"""Costs as accounting: unit costs from a checked data file, applied to what a run recorded, discounted.

The unit costs live in one data file (``data/costs/japan.toml``, or the file a scenario names with its
top-level key ``costs``); nothing here holds a cost. Costs never feed back into the model: they are computed
after the run from its weekly record and its scenario's reforms (docs/costs.md gives every formula).

Week ``w`` (1..W) of a run falls in year ``y = (w - 1) // 52`` and its costs are discounted by
``(1 + r) ** -y`` (the first year undiscounted, yearly flows discounted at the rate ``r`` of the file).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import beta

from recoverysim.errors import ScenarioError, shorten
from recoverysim.outcomes import COST_COMPONENTS
from recoverysim.parameters import DAYS_PER_WEEK, REFORMS, WEEKS_PER_YEAR
from recoverysim.toml_files import check_fields, read_toml

#: The project's costs files: a scenario's ``costs = "japan"`` (a bare name) means ``COSTS_LIBRARY/japan.toml``.
COSTS_LIBRARY = Path(__file__).resolve().parents[1] / "data" / "costs"
#: The costs file used when a scenario names none.
DEFAULT_COSTS = COSTS_LIBRARY / "japan.toml"
#: Unit costs a costs file must give under ``[costs.<key>]``.
COST_ITEMS = ("bed_day", "admission", "community_crisis_contact", "community_support_place", "peer_worker")
#: Every unit cost's dotted key, in a fixed order (it keys each cost's uncertainty draw, whatever the file).
UNIT_COST_KEYS = (*(f"costs.{k}" for k in COST_ITEMS), *(f"programmes.{k}" for k in REFORMS))
#: Fields of every ``[costs.<key>]`` and ``[programmes.<reform>]`` entry.
REQUIRED = ("value", "unit", "price_year", "source", "low", "high")
OPTIONAL = ("description",)
TOP_LEVEL = ("title", "currency", "discounting", "costs", "programmes")
DISCOUNTING = ("rate", "low", "high", "source")
#: Price years accepted (a typo such as 224 is an error, not a year).
PRICE_YEARS = (1980, 2100)
#: Cost components of a run, in report order (``cost_<component>_per_person_year`` outcomes).
COMPONENTS = tuple(COST_COMPONENTS)


class CostsError(ScenarioError):
    """A costs file is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class UnitCost:
    """One unit cost: value (yen) per unit at ``price_year`` prices, with its source and range."""

    key: str
    value: float
    unit: str
    price_year: int
    source: str
    low: float
    high: float
    description: str = ""


@dataclass(frozen=True)
class UnitCosts:
    """A loaded costs file."""

    path: str
    title: str
    currency: str
    discount_rate: float
    discount_low: float
    discount_high: float
    discount_source: str
    items: Mapping[str, UnitCost]  # COST_ITEMS
    programmes: Mapping[str, UnitCost]  # one per reform in parameters.REFORMS

    def __getitem__(self, key: str) -> float:
        return self.items[key].value

    def entries(self) -> dict[str, UnitCost]:
        """Every unit cost by its dotted key: ``costs.<item>``, then ``programmes.<reform>``."""
        return {**{f"costs.{k}": v for k, v in self.items.items()},
                **{f"programmes.{k}": v for k, v in self.programmes.items()}}

    def with_values(self, values: Mapping[str, float]) -> UnitCosts:
        """These unit costs with some values replaced (dotted keys of :meth:`entries`), e.g. an uncertainty draw."""
        unknown = sorted(set(values) - set(self.entries()))
        if unknown:
            raise CostsError(self.path, unknown[0], "unknown unit cost")
        items = {k: replace(c, value=float(values.get(f"costs.{k}", c.value))) for k, c in self.items.items()}
        programmes = {k: replace(c, value=float(values.get(f"programmes.{k}", c.value)))
                      for k, c in self.programmes.items()}
        return replace(self, items=items, programmes=programmes)


def cost_quantile(cost: UnitCost, u: float) -> float:
    """The ``u`` quantile of a unit cost's uncertainty: Beta-PERT on [low, high] with its value as the mode.

    PERT (shape 4) is the usual law for a (minimum, most likely, maximum) triple (Vose, Risk Analysis, 3rd ed.,
    Wiley 2008, ch. 10); its mean (low + 4 value + high) / 6 stays nearer the value than a triangular law's.
    A range of zero width gives the value itself.
    """
    width = cost.high - cost.low
    if width <= 0:
        return cost.value
    a = 1 + 4 * (cost.value - cost.low) / width
    b = 1 + 4 * (cost.high - cost.value) / width
    return float(cost.low + width * beta.ppf(u, a, b))


# --- loading ----------------------------------------------------------------------------------------------


def load_costs(path: str | Path, referrer: str | None = None) -> UnitCosts:
    """Load and check a costs file; raises :class:`CostsError` naming the file and key.

    ``referrer`` is the scenario file that names it (a missing file is reported against its ``costs`` key).
    """
    return _load(str(Path(path).resolve()), referrer)


@functools.lru_cache(maxsize=16)
def _load(path: str, referrer: str | None) -> UnitCosts:
    src = path
    data = read_toml(Path(path), CostsError, "costs file", referrer=referrer, key="costs" if referrer else None)
    for key in data:
        if key not in TOP_LEVEL:
            raise CostsError(src, key, f"unknown key; allowed: {', '.join(TOP_LEVEL)}")
    disc = _table(src, data, "discounting")
    check_fields(CostsError, src, "discounting", disc, DISCOUNTING)
    rate, low, high = (_number(src, f"discounting.{k}", disc.get(k)) for k in ("rate", "low", "high"))
    if not (0 <= low <= rate <= high <= 0.2):
        raise CostsError(src, "discounting", f"need 0 <= low <= rate <= high <= 0.2, got {low:g}, {rate:g}, {high:g}")
    items = _entries(src, _table(src, data, "costs"), "costs", COST_ITEMS)
    programmes = _entries(src, _table(src, data, "programmes"), "programmes", tuple(REFORMS))
    return UnitCosts(path=src, title=str(data.get("title", Path(path).stem)), currency=_text(
        src, "currency", data.get("currency")), discount_rate=rate, discount_low=low, discount_high=high,
        discount_source=_text(src, "discounting.source", disc.get("source")), items=items, programmes=programmes)


def _entries(src: str, table: dict[str, Any], section: str, keys: tuple[str, ...]) -> dict[str, UnitCost]:
    check_fields(CostsError, src, section, table, keys, keys, kind=f"{section} key")
    return {key: _entry(src, f"{section}.{key}", key, table[key]) for key in keys}


def _entry(src: str, where: str, key: str, entry: Any) -> UnitCost:
    check_fields(CostsError, src, where, entry, REQUIRED + OPTIONAL, REQUIRED)
    value, low, high = (_number(src, f"{where}.{k}", entry[k]) for k in ("value", "low", "high"))
    for k, v in (("value", value), ("low", low), ("high", high)):
        if v < 0:
            raise CostsError(src, f"{where}.{k}", f"a cost cannot be negative, got {v:g}")
    if not low <= value <= high:
        raise CostsError(src, where, f"need low <= value <= high, got {low:g}, {value:g}, {high:g}")
    year = entry["price_year"]
    if isinstance(year, bool) or not isinstance(year, int) or not PRICE_YEARS[0] <= year <= PRICE_YEARS[1]:
        raise CostsError(src, f"{where}.price_year",
                         f"must be a year in {PRICE_YEARS[0]}-{PRICE_YEARS[1]}, got {shorten(repr(year))}")
    return UnitCost(key, value, _text(src, f"{where}.unit", entry["unit"]), year,
                    _text(src, f"{where}.source", entry["source"]), low, high,
                    str(entry.get("description", "")))


def _table(src: str, data: Mapping[str, Any], key: str) -> dict[str, Any]:
    if key not in data:
        raise CostsError(src, key, "missing (required)")
    if not isinstance(data[key], dict):
        raise CostsError(src, key, "must be a table")
    return data[key]


def _text(src: str, where: str, value: Any) -> str:
    if value is None:
        raise CostsError(src, where, "missing (required)")
    if not isinstance(value, str) or not value.strip():
        raise CostsError(src, where, f"must be non-empty text, got {shorten(repr(value))}")
    return value.strip()


def _number(src: str, where: str, value: Any) -> float:
    if value is None:
        raise CostsError(src, where, "missing (required)")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CostsError(src, where, f"must be a finite number, got {shorten(repr(value))}")
    return float(value)


def costs_path(value: str, scenario_file: Path) -> Path:
    """Where a scenario's ``costs`` value points.

    A bare name is a file of :data:`COSTS_LIBRARY` (so a copied scenario still finds it); anything else is a
    path relative to the scenario file.
    """
    if re.fullmatch(r"[A-Za-z0-9_-]+", value):
        return COSTS_LIBRARY / f"{value}.toml"
    return (scenario_file.parent / value).resolve()


def costs_of(scenario) -> UnitCosts:
    """The unit costs of ``scenario``: the file it names (key ``costs``), else :data:`DEFAULT_COSTS`.

    Values the scenario replaces (``Scenario.unit_costs``, an uncertainty draw) take the file's place.
    """
    unit = load_costs(getattr(scenario, "costs", "") or DEFAULT_COSTS)
    replaced = dict(getattr(scenario, "unit_costs", ()))
    return unit.with_values(replaced) if replaced else unit


# --- discounting ------------------------------------------------------------------------------------------


def discount_factors(weeks: int, rate: float) -> np.ndarray:
    """Factor of each week 1..``weeks``: (1 + rate) ** -year, year = (week - 1) // 52 (first year undiscounted)."""
    year = (np.arange(1, weeks + 1) - 1) // WEEKS_PER_YEAR
    return (1.0 + rate) ** -year.astype(float)


def discounted(weekly: np.ndarray, rate: float) -> float:
    """Present value of weekly flows (weeks 1..len) at a yearly rate."""
    weekly = np.asarray(weekly, float)
    return float(np.dot(weekly, discount_factors(weekly.size, rate)))


# --- the costs of a run -----------------------------------------------------------------------------------


def weekly_costs(ts: pd.DataFrame, scenario, unit: UnitCosts | None = None) -> dict[str, np.ndarray]:
    """Cost of each component in each week 1..W of a run (yen, undiscounted), from its weekly record.

    ``ts`` is one run's time series (row 0 the initial state); ``scenario`` gives the population size and the
    reforms (coverage, ramp, capacity).
    """
    unit = unit or costs_of(scenario)
    rows = ts.iloc[1:]
    weeks = rows["week"].to_numpy()
    size = scenario["population.size"]
    levels = {r.name: np.array([r.level(int(w)) for w in weeks]) for r in scenario.reforms}
    capacity = np.full(weeks.size, scenario["levers.community_support_capacity"], float)
    programmes = np.zeros(weeks.size)
    for reform in scenario.reforms:
        if REFORMS[reform.name].capacity_target == "community_support_capacity":
            capacity = capacity + reform.capacity * levels[reform.name]
        programmes = programmes + unit.programmes[reform.name].value * reform.coverage * levels[reform.name] * size
    return {
        "bed_days": rows["in_hospital"].to_numpy(float) * DAYS_PER_WEEK * unit["bed_day"],
        "admissions": (rows["admissions_voluntary"].to_numpy(float) + rows["admissions_involuntary"].to_numpy(float))
        * unit["admission"],
        "community_crisis": rows["community_support"].to_numpy(float) * unit["community_crisis_contact"],
        "community_places": capacity * size / 1000 * unit["community_support_place"] / WEEKS_PER_YEAR,
        "peer_workers": rows["peer_workers"].to_numpy(float) * unit["peer_worker"] / WEEKS_PER_YEAR,
        "programmes": programmes / WEEKS_PER_YEAR,
    }


def programme_cost_per_year(scenario, week: int, unit: UnitCosts | None = None) -> float:
    """Yearly running cost of the scenario's reforms at ``week``: sum of unit x coverage x level x people."""
    unit = unit or costs_of(scenario)
    return float(sum(unit.programmes[r.name].value * r.coverage * r.level(week) for r in scenario.reforms)
                 * scenario["population.size"])


def cost_outcomes(ts: pd.DataFrame, scenario) -> dict[str, float]:
    """The cost outcomes of one run (``recoverysim.outcomes``): discounted totals and per person-year."""
    unit = costs_of(scenario)
    weekly = weekly_costs(ts, scenario, unit)
    weeks = len(ts) - 1
    person_years = scenario["population.size"] * weeks / WEEKS_PER_YEAR
    totals = {c: discounted(v, unit.discount_rate) for c, v in weekly.items()}
    total = sum(totals.values())
    per_py = (lambda x: x / person_years) if person_years else (lambda x: math.nan)
    out = {"cost_total": total, "cost_per_person_year": per_py(total)}
    out.update({f"cost_{c}_per_person_year": per_py(v) for c, v in totals.items()})
    out["reform_cost_per_year"] = programme_cost_per_year(scenario, int(ts["week"].iloc[-1]), unit)
    return out
