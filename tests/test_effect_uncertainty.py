"""The reforms' effect uncertainty: its distributions, the shared draws, and compare's table with it."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from recoverysim.compare import EFFECT_COLUMNS, run_comparison, with_effect_draws
from recoverysim.reform_evidence import PROXIMAL_EFFECTS, effect_quantile
from recoverysim.scenario import Reform, load_scenario

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "japan_baseline.toml"


@pytest.mark.parametrize("name", [n for n, e in PROXIMAL_EFFECTS.items() if e.kind == "person"])
def test_a_measured_ratio_is_log_normal_with_its_interval_as_95_percent(name):
    e = PROXIMAL_EFFECTS[name]
    low, median, high = effect_quantile(e, [0.025, 0.5, 0.975])
    assert median == pytest.approx(e.central)
    # The 95% interval on the log scale has the width of the evidence's interval, centred on the median.
    assert high / low == pytest.approx(e.high / e.low)
    assert low * high == pytest.approx(e.central**2)


@pytest.mark.parametrize("name", [n for n, e in PROXIMAL_EFFECTS.items() if e.kind == "root"])
def test_an_assumed_share_is_triangular_on_its_range(name):
    e = PROXIMAL_EFFECTS[name]
    u = np.linspace(0.001, 0.999, 41)
    expected = stats.triang.ppf(u, (e.central - e.low) / (e.high - e.low), loc=e.low, scale=e.high - e.low)
    np.testing.assert_allclose(effect_quantile(e, u), expected, rtol=1e-12)


def test_scenarios_sharing_a_reform_share_its_draw():
    base = load_scenario(BASE)
    one = base.with_reforms((Reform("crisis_advocacy", coverage=0.3),))
    two = base.with_reforms((Reform("trauma_informed_care"), Reform("crisis_advocacy", coverage=0.6)))
    for r in range(3):
        a, b = with_effect_draws(one, 11, r), with_effect_draws(two, 11, r)
        assert a.reforms[0].effect == b.reforms[1].effect  # crisis advocacy: one draw per replicate
        assert a.reforms[0].coverage == 0.3 and b.reforms[1].coverage == 0.6  # only the effect is drawn
    draws = [with_effect_draws(one, 11, r).reforms[0].effect for r in range(5)]
    assert len(set(draws)) == 5 and with_effect_draws(base, 11, 0) == base


def test_compare_reports_both_intervals_and_the_probability_of_benefit():
    base = load_scenario(BASE, {"population.size": 800, "run.years": 3, "run.spin_up_years": 2})
    tic = replace(base.with_reforms((Reform("trauma_informed_care", start_year=0, ramp_years=0, coverage=1.0),)),
                  name="tic")
    comparison = run_comparison([base, tic], replications=3, seed=5, independent=False, effect_uncertainty=True)
    table = comparison.effects.set_index("metric")
    assert list(comparison.effects.columns) == EFFECT_COLUMNS
    fixed = comparison.differences.set_index("metric")
    row = table.loc["coercive_episodes_per_1000_person_years"]
    assert row.difference == fixed.loc["coercive_episodes_per_1000_person_years", "difference"]
    assert row.difference_with_effects < 0 and row.probability_of_benefit == 1.0
    assert row.ci_low_with_effects <= row.difference_with_effects <= row.ci_high_with_effects
    assert ((table["probability_of_benefit"].dropna() >= 0) & (table["probability_of_benefit"].dropna() <= 1)).all()
    # the base has no reform: its runs with drawn effects are its own runs
    assert comparison.with_effects[0] is not None
    assert comparison.with_effects[0].runs == comparison.base.runs
