"""Issue 13, costs: a run's costs against a hand calculation, discounting, the CEAC and ICER cases, bad files.

The expected values are computed here from the formulas of docs/costs.md, reading the unit costs straight from
the TOML file (not through recoverysim.costs), so that a wrong formula in the code cannot pass.
"""

import dataclasses
import math
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recoverysim.cli import main
from recoverysim.compare import run_comparison
from recoverysim.cost_effectiveness import (
    CE_COLUMNS,
    EFFECTS,
    ceac,
    cost_effectiveness_table,
    icer,
    paired_differences,
    write_cost_effectiveness,
    wtp_grid,
)
from recoverysim.costs import COMPONENTS, DEFAULT_COSTS, CostsError, discounted, load_costs, weekly_costs
from recoverysim.outcomes import OUTCOMES
from recoverysim.parameters import REFORMS
from recoverysim.scenario import ScenarioError, load_scenario
from recoverysim.simulation import simulate

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"population.size": 300, "run.years": 3, "run.spin_up_years": 2}

pytestmark = pytest.mark.timeout(300)


def _file():
    return tomllib.loads(DEFAULT_COSTS.read_text(encoding="utf-8"))


# --- the costs of a run -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def known_run():
    scenario = load_scenario(ROOT / "scenarios" / "organisational_change.toml", SMALL)
    return scenario, simulate(scenario, seed=7)


def test_costs_of_a_known_run_equal_a_hand_calculation(known_run):
    scenario, run = known_run
    raw = _file()
    unit = {k: v["value"] for k, v in raw["costs"].items()}
    rate = raw["discounting"]["rate"]
    ts = run.timeseries
    n = scenario["population.size"]
    total = dict.fromkeys(COMPONENTS, 0.0)

    def level(r, w):  # ODD 7.1: linear ramp from start_year over ramp_years
        return min(1.0, max(0.0, (w / 52 - r.start_year) / r.ramp_years)) if r.ramp_years else float(
            w / 52 >= r.start_year)

    for _, row in ts.iloc[1:].iterrows():
        w = int(row["week"])
        factor = 1 / (1 + rate) ** ((w - 1) // 52)  # year 0 = weeks 1-52, undiscounted
        capacity = scenario["levers.community_support_capacity"]
        programme = 0.0
        for r in scenario.reforms:
            programme += raw["programmes"][r.name]["value"] * r.coverage * level(r, w) * n
            if r.name == "community_network_care":
                capacity += r.capacity * level(r, w)
        week_cost = {
            "bed_days": row["in_hospital"] * 7 * unit["bed_day"],
            "admissions": (row["admissions_voluntary"] + row["admissions_involuntary"]) * unit["admission"],
            "community_crisis": row["community_support"] * unit["community_crisis_contact"],
            "community_places": capacity * n / 1000 * unit["community_support_place"] / 52,
            "peer_workers": row["peer_workers"] * unit["peer_worker"] / 52,
            "programmes": programme / 52,
        }
        for c in COMPONENTS:
            total[c] += week_cost[c] * factor
    person_years = n * 3
    h = run.headline
    assert h["cost_total"] == pytest.approx(sum(total.values()), rel=1e-9)
    assert h["cost_per_person_year"] == pytest.approx(sum(total.values()) / person_years, rel=1e-9)
    for c in COMPONENTS:
        assert h[f"cost_{c}_per_person_year"] == pytest.approx(total[c] / person_years, rel=1e-9, abs=1e-9), c
    assert total["bed_days"] > 0 and total["programmes"] > 0 and total["admissions"] > 0
    # The yearly programme cost at the last week: unit x coverage x level x people, undiscounted.
    last = int(ts["week"].iloc[-1])
    assert h["reform_cost_per_year"] == pytest.approx(
        sum(raw["programmes"][r.name]["value"] * r.coverage * level(r, last) * n for r in scenario.reforms), rel=1e-12)
    assert 0 < h["reform_cost_per_year"]


def test_every_cost_outcome_is_declared_and_every_component_computed(known_run):
    scenario, run = known_run
    assert set(weekly_costs(run.timeseries, scenario)) == set(COMPONENTS)
    names = {"cost_total", "cost_per_person_year", "reform_cost_per_year",
             *(f"cost_{c}_per_person_year" for c in COMPONENTS)}
    assert names <= set(OUTCOMES) and names <= set(run.headline)


def test_costs_are_accounting_only(tmp_path):
    # Doubling every unit cost doubles every cost and leaves the simulated run exactly as it was.
    text = DEFAULT_COSTS.read_text(encoding="utf-8")
    doubled = tmp_path / "doubled.toml"
    lines = []
    for line in text.splitlines():
        name, _, value = line.partition(" = ")
        if name in ("value", "low", "high") and value.replace(".", "").isdigit():
            line = f"{name} = {2 * float(value)}"
        lines.append(line)
    doubled.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one, two = load_costs(DEFAULT_COSTS), load_costs(doubled)
    for key in (*one.items, *(f"programme {k}" for k in one.programmes)):
        got = two.items[key] if key in one.items else two.programmes[key.split()[1]]
        was = one.items[key] if key in one.items else one.programmes[key.split()[1]]
        assert got.value == 2 * was.value, key
    base = load_scenario(ROOT / "scenarios" / "community_network_care.toml", SMALL)
    a = simulate(base, seed=3)
    b = simulate(dataclasses.replace(base, costs=str(doubled)), seed=3)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    for name in ("cost_total", "cost_per_person_year", "reform_cost_per_year"):
        assert b.headline[name] == pytest.approx(2 * a.headline[name], rel=1e-12) and a.headline[name] > 0, name
    assert load_costs(doubled).discount_rate == load_costs(DEFAULT_COSTS).discount_rate  # the rate is not a cost


def test_no_shipped_scenario_with_a_reform_costs_nothing():
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        scenario = load_scenario(path)
        assert scenario.costs == str(DEFAULT_COSTS), f"{path.name}: costs = \"japan\" is data/costs/japan.toml"
        for reform in scenario.reforms:
            assert reform.coverage > 0 and load_costs(scenario.costs).programmes[reform.name].value > 0, path.name


def test_the_costs_file_covers_every_reform_with_a_source_and_a_range():
    costs = load_costs(DEFAULT_COSTS)
    assert set(costs.programmes) == set(REFORMS)
    for item in (*costs.items.values(), *costs.programmes.values()):
        assert item.low <= item.value <= item.high and item.source and item.price_year
        assert "assumed" in item.source or "MHLW" in item.source
    assert costs.discount_rate == 0.02 and "C2H" in costs.discount_source


# --- discounting --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.0, 0.02, 0.04, 0.1])
@pytest.mark.parametrize("years", [1, 5, 30])
def test_a_constant_flow_discounts_to_the_annuity_due(rate, years):
    yearly = 1_000_000.0
    weekly = np.full(52 * years, yearly / 52)
    # Annuity-due: the first year undiscounted, sum_{y<T} (1+r)^-y = (1+r)(1-(1+r)^-T)/r; T at r = 0.
    expected = yearly * years if rate == 0 else yearly * (1 + rate) * (1 - (1 + rate) ** -years) / rate
    assert discounted(weekly, rate) == pytest.approx(expected, rel=1e-12)


def test_only_whole_years_are_discounted_together():
    flow = np.zeros(104)
    flow[51], flow[52] = 1.0, 1.0  # week 52 is in year 0, week 53 in year 1
    assert discounted(flow, 0.5) == pytest.approx(1 + 1 / 1.5)


# --- the acceptability curve and the ratios -------------------------------------------------------------------


def test_ceac_is_zero_then_one_on_a_certain_effect():
    curve = ceac(np.full(20, 100.0), np.full(20, 2.0), [0, 10, 49, 51, 100, 1000])
    assert list(curve["probability_cost_effective"]) == [0, 0, 0, 1, 1, 1]
    assert curve["mean_net_benefit"].iloc[0] == pytest.approx(-100.0)
    assert curve["mean_net_benefit"].iloc[-1] == pytest.approx(1900.0)


def test_ceac_is_monotone_when_every_pair_gains_or_every_pair_loses():
    rng = np.random.default_rng(5)
    cost = rng.normal(50, 100, 500)
    wtp = np.linspace(0, 500, 60)
    up = ceac(cost, rng.uniform(0.1, 2.0, 500), wtp)["probability_cost_effective"].to_numpy()
    down = ceac(cost, -rng.uniform(0.1, 2.0, 500), wtp)["probability_cost_effective"].to_numpy()
    assert (np.diff(up) >= 0).all() and (np.diff(down) <= 0).all()
    assert up[0] == down[0] == pytest.approx(np.mean(cost < 0))  # at no willingness to pay, only savings count
    assert up[-1] > up[0] and down[-1] < down[0]


def test_ceac_drops_missing_pairs_and_rejects_unequal_lengths():
    curve = ceac([100.0, np.nan], [2.0, 1.0], [100.0])
    assert curve["probability_cost_effective"].iloc[0] == 1.0
    with pytest.raises(ValueError, match="length"):
        ceac([1.0, 2.0], [1.0], [0.0])


def test_default_wtp_grid_spans_the_pairs_cost_per_unit():
    grid = wtp_grid([100.0, 300.0, -50.0], [1.0, 2.0, 0.5])  # |ratios| 100, 150, 100: median 100
    assert grid[0] == 0 and grid[-1] == pytest.approx(400.0) and (np.diff(grid) > 0).all()
    assert wtp_grid([1.0], [0.0])[-1] == 1.0  # no effect anywhere: a unit grid rather than nothing


@pytest.mark.parametrize(("cost", "effect", "ratio", "status"), [
    (100.0, 4.0, 25.0, "ratio"),
    (-100.0, 4.0, None, "dominant"),
    (0.0, 4.0, None, "dominant"),
    (100.0, -4.0, None, "dominated"),
    (0.0, -4.0, None, "dominated"),
    (-100.0, -4.0, 25.0, "cheaper, less effective"),
    (100.0, 0.0, None, "no effect"),
    (float("nan"), 1.0, None, "undefined"),
])
def test_icer_cases(cost, effect, ratio, status):
    value, got = icer(cost, effect)
    assert got == status
    assert (math.isnan(value) if ratio is None else value == pytest.approx(ratio))


# --- from a comparison ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def comparison():
    scenarios = [load_scenario(ROOT / "scenarios" / name, {**SMALL, "run.years": 2})
                 for name in ("japan_baseline.toml", "community_network_care.toml")]
    return run_comparison(scenarios, replications=3, independent=False)


def test_cost_effectiveness_table_is_ratios_of_mean_paired_differences(comparison):
    table = cost_effectiveness_table(comparison)
    assert list(table.columns) == CE_COLUMNS and set(table["effect"]) == set(EFFECTS)
    base, other = comparison.base.headlines, comparison.others[0].headlines
    net = float((other["cost_total"] - base["cost_total"]).mean())
    assert table["net_cost"].to_numpy() == pytest.approx(np.full(len(EFFECTS), net))
    n = comparison.base.scenario["population.size"]
    reunion = float(((other["share_reunion_end"] - base["share_reunion_end"]) * n).mean())
    row = table.set_index("effect").loc["reunion"]
    assert row["effect_difference"] == pytest.approx(reunion)
    assert row["status"] == icer(net, reunion)[1]
    diffs = paired_differences(comparison.base, comparison.others[0])
    assert len(diffs) == 3


def test_write_cost_effectiveness_writes_tables_and_figure(comparison, tmp_path):
    table, curves = write_cost_effectiveness(comparison, tmp_path)
    assert (tmp_path / "cost_effectiveness.csv").is_file() and (tmp_path / "ceac.csv").is_file()
    assert (tmp_path / "figures" / "ceac.png").stat().st_size > 1000
    assert curves["probability_cost_effective"].between(0, 1).all()
    assert len(table) == len(EFFECTS)


# --- bad costs files: one line naming the file and the key --------------------------------------------------


def _bad(tmp_path, old: str, new: str) -> Path:
    text = DEFAULT_COSTS.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "costs.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "key"), [
    ("[costs.bed_day]\nvalue = 8440\nunit = \"yen per psychiatric bed-day\"\nprice_year = 2024\n",
     "[costs.bed_day]\nvalue = 8440\nunit = \"yen per psychiatric bed-day\"\n", "costs.bed_day.price_year"),
    ("[costs.admission]\nvalue = 25000", "[costs.admission]\nvalue = -25000", "costs.admission.value"),
    ("[costs.peer_worker]", "[costs.peer_wroker]", "costs.peer_wroker"),
    ("[programmes.open_community]", "[programmes.open_communities]", "programmes.open_communities"),
    ("price_year = 2024\nlow = 5800", "price_year = \"2024\"\nlow = 5800", "costs.community_crisis_contact.price_year"),
    ("rate = 0.02", "rate = 0.5", "discounting"),
])
def test_bad_costs_file_is_one_line_naming_file_and_key(tmp_path, old, new, key):
    path = _bad(tmp_path, old, new)
    with pytest.raises(CostsError) as info:
        load_costs(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and f": {key}: " in message


def test_scenario_naming_a_bad_costs_file_fails_on_the_command_line(tmp_path, capsys):
    costs = _bad(tmp_path, "[costs.admission]\nvalue = 25000", "[costs.admission]\nvalue = -1")
    scenario = tmp_path / "s.toml"
    shutil.copy(ROOT / "scenarios" / "community_network_care.toml", scenario)
    shutil.copy(ROOT / "scenarios" / "japan_baseline.toml", tmp_path / "japan_baseline.toml")
    scenario.write_text(scenario.read_text() + '\n', encoding="utf-8")
    text = scenario.read_text().replace('extends = "japan_baseline.toml"\n',
                                        'extends = "japan_baseline.toml"\ncosts = "costs.toml"\n')
    scenario.write_text(text, encoding="utf-8")
    assert main(["describe", str(scenario)]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(err) == 1 and str(costs.resolve()) in err[0] and "costs.admission.value" in err[0]


def test_missing_costs_file_names_the_scenario_and_its_key(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text('costs = "nowhere.toml"\n', encoding="utf-8")
    with pytest.raises(CostsError, match=rf"{scenario}: costs: costs file not found"):
        load_scenario(scenario)


def test_reform_cost_per_year_is_no_longer_a_field(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text('[[reforms]]\nname = "crisis_advocacy"\ncost_per_year = 5.0\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"reforms\[0\]\.cost_per_year: no longer a reform field"):
        load_scenario(scenario)


def test_cost_effectiveness_goes_beside_a_written_comparison(comparison, tmp_path):
    # What the integrator will do in compare.write_comparison: the two writers share the folder and figures/.
    from recoverysim.compare import write_comparison

    write_comparison(comparison, tmp_path)
    write_cost_effectiveness(comparison, tmp_path)
    assert (tmp_path / "figures" / "ceac.png").is_file() and (tmp_path / "figures" / "forest.png").is_file()
    summary = (tmp_path / "runs" / "community_network_care" / "summary.csv").read_text()
    assert "cost_per_person_year" in summary and "cost_total" in summary
    assert "cost_total" in (tmp_path / "differences.csv").read_text()


# --- unit costs in the uncertainty draws --------------------------------------------------------------------


def _pert_density(x, low, mode, high):
    """Beta-PERT density written out from its definition (shape 4), not through scipy's beta law."""
    a, b = 1 + 4 * (mode - low) / (high - low), 1 + 4 * (high - mode) / (high - low)
    z = (x - low) / (high - low)
    return z ** (a - 1) * (1 - z) ** (b - 1) / (math.gamma(a) * math.gamma(b) / math.gamma(a + b)) / (high - low)


@pytest.mark.parametrize("key", ["costs.bed_day", "costs.community_crisis_contact", "programmes.crisis_advocacy"])
def test_a_drawn_unit_cost_is_pert_on_its_range(key):
    from scipy import integrate

    from recoverysim.costs import cost_quantile

    cost = load_costs(DEFAULT_COSTS).entries()[key]
    lo, mode, hi = cost.low, cost.value, cost.high
    # The quantile function integrates to the PERT mean, (low + 4 mode + high) / 6 ...
    mean, _ = integrate.quad(lambda u: cost_quantile(cost, u), 0, 1, limit=200)
    assert mean == pytest.approx((lo + 4 * mode + hi) / 6, rel=1e-6)
    # ... and inverts the density written out above.
    for u in (0.05, 0.5, 0.9):
        x = cost_quantile(cost, u)
        assert lo < x < hi
        assert integrate.quad(_pert_density, lo, x, args=(lo, mode, hi))[0] == pytest.approx(u, abs=1e-7)


def test_replaced_unit_costs_change_the_costs_only(known_run):
    scenario, run = known_run
    doubled = {k: 2 * c.value for k, c in load_costs(DEFAULT_COSTS).entries().items()}
    drawn = scenario.with_unit_costs(doubled)
    again = simulate(drawn, seed=7)
    pd.testing.assert_frame_equal(again.timeseries, run.timeseries)
    assert again.headline["cost_total"] == pytest.approx(2 * run.headline["cost_total"], rel=1e-12)
    with pytest.raises(CostsError, match="costs.bed_dya: unknown unit cost"):
        simulate(scenario.with_unit_costs({"costs.bed_dya": 1.0}), seed=7)


def test_unit_cost_draws_are_shared_by_scenarios_and_feed_the_value_of_information():
    from recoverysim.compare import unit_cost_draws

    base = load_scenario(ROOT / "scenarios" / "japan_baseline.toml", SMALL)
    other = load_scenario(ROOT / "scenarios" / "crisis_advocacy.toml", SMALL)
    draws = [unit_cost_draws(base, 4, k) for k in range(30)]
    assert draws[0] == unit_cost_draws(other, 4, 0)  # one costs file, so one draw per replicate
    bed = np.array([d["costs.bed_day"] for d in draws])
    entry = load_costs(DEFAULT_COSTS).entries()["costs.bed_day"]
    assert len(set(bed)) == 30 and (bed > entry.low).all() and (bed < entry.high).all()
