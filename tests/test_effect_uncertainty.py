"""The reforms' effect uncertainty: its distributions, the shared draws, and compare's table with it."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from recoverysim.calibration.posterior import Posterior
from recoverysim.compare import (
    POSTERIOR_STREAM,
    UNCERTAINTY_COLUMNS,
    probability_of_benefit,
    run_comparison,
    uncertainty_draws,
    with_effect_draws,
)
from recoverysim.errors import RecoverysimError
from recoverysim.random_streams import derive_seed
from recoverysim.reform_evidence import PROXIMAL_EFFECTS, effect_quantile
from recoverysim.scenario import Reform, load_scenario
from recoverysim.seeds import replicate_seed

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


def _small(**extra):
    return load_scenario(BASE, {"population.size": 800, "run.years": 3, "run.spin_up_years": 2, **extra})


def _tic(base):
    return replace(base.with_reforms((Reform("trauma_informed_care", start_year=0, ramp_years=0, coverage=1.0),)),
                   name="tic")


def _posterior(name, low, high, n=40):
    values = np.linspace(low, high, n).reshape(-1, 1)
    provenance = {"method": "test", "date": "2026-12-03", "scenario": str(BASE), "scenario_sha256": "0",
                  "targets": "none", "targets_sha256": "0", "seed": 0}
    return Posterior((name,), values, np.full(n, 1 / n), {name: (low, high)}, provenance, Path("test_posterior.json"))


def test_compare_reports_both_intervals_and_the_probability_of_benefit():
    base = _small()
    comparison = run_comparison([base, _tic(base)], replications=3, seed=5, independent=False,
                                effect_uncertainty=True)
    table = comparison.effects.set_index("metric")
    assert list(comparison.effects.columns) == UNCERTAINTY_COLUMNS
    fixed = comparison.differences.set_index("metric")
    row = table.loc["coercive_episodes_per_1000_person_years"]
    assert row.difference == fixed.loc["coercive_episodes_per_1000_person_years", "difference"]
    assert row.difference_over_draws < 0 and row.probability_of_benefit == 1.0
    assert row.uncertainty_low <= row.difference_over_draws <= row.uncertainty_high
    assert row.draws == 3 and row.uncertainty == "reform effects + unit costs + chance"
    assert ((table["probability_of_benefit"].dropna() >= 0) & (table["probability_of_benefit"].dropna() <= 1)).all()
    # differences.csv carries the probability of benefit of every outcome
    assert fixed.loc["coercive_episodes_per_1000_person_years", "probability_of_benefit"] == 1.0
    # The base has no reform and no posterior, so its draws simulate exactly its own runs; only their costs,
    # at each draw's unit costs, differ (costs are accounting).
    drawn, own = comparison.uncertain[0].headlines, comparison.base.headlines
    health = [c for c in own.columns if not c.startswith(("cost_", "reform_cost"))]
    pd.testing.assert_frame_equal(drawn[health], own[health])
    assert (drawn["cost_total"] != own["cost_total"]).all()


def test_posterior_draws_are_shared_by_every_scenario_and_resampled_reproducibly():
    base = _small()
    posterior = _posterior("crisis.rate", 0.2, 0.6)
    comparison = run_comparison([base, _tic(base)], replications=2, seed=5, independent=False,
                                posterior=posterior, draws=4)
    base_runs, tic_runs = comparison.uncertain
    assert len(base_runs.runs) == len(tic_runs.runs) == 4
    drawn = [d["crisis.rate"] for d in posterior.draws(4, derive_seed(5, POSTERIOR_STREAM))]
    for k, (b, t) in enumerate(zip(base_runs.runs, tic_runs.runs, strict=True)):
        assert b.seed == t.seed == replicate_seed(5, k)  # draw k runs on the seed of replicate k
    sets = uncertainty_draws(base, 5, 4, posterior.draws(4, derive_seed(5, POSTERIOR_STREAM)))
    assert [s["crisis.rate"] for s in sets] == drawn
    assert comparison.uncertainty == "posterior parameters + reform effects + unit costs + chance"
    assert comparison.posterior["file"] == "test_posterior.json"
    # the base itself now differs between draws (its parameters do), so its uncertain runs are new runs
    assert comparison.uncertain[0].runs != comparison.base.runs


def test_an_interval_with_parameter_uncertainty_contains_the_chance_only_interval():
    # A posterior that spreads the crisis rate over a wide range around the scenario's own value moves the
    # reform's effect on coercion between draws, so the interval over draws must hold the chance-only interval of
    # the mean effect at that value (a posterior that excluded the scenario's value need not).
    base = _small()
    rate = base.params.crisis.rate
    comparison = run_comparison([base, _tic(base)], replications=6, seed=2, independent=False,
                                posterior=_posterior("crisis.rate", 0.2 * rate, 1.8 * rate), draws=12)
    row = comparison.effects.set_index("metric").loc["coercive_episodes_per_1000_person_years"]
    assert row.uncertainty_low < row.ci_low < row.ci_high < row.uncertainty_high
    assert (row.uncertainty_high - row.uncertainty_low) > 2 * (row.ci_high - row.ci_low)


def test_probability_of_benefit_is_zero_or_one_when_the_sign_is_certain():
    assert probability_of_benefit(np.array([-3.0, -1.0, -0.5]), "lower") == 1.0
    assert probability_of_benefit(np.array([-3.0, -1.0, -0.5]), "higher") == 0.0
    assert probability_of_benefit(np.array([1.0, -1.0, np.nan, 2.0]), "higher") == pytest.approx(2 / 3)
    assert np.isnan(probability_of_benefit(np.array([1.0]), "neither"))


def test_a_posterior_on_a_parameter_the_scenarios_differ_in_is_refused():
    base = _small()
    other = replace(base.with_overrides({"crisis.rate": 0.9}), name="other")
    with pytest.raises(RecoverysimError, match=r"parameters\.crisis\.rate: the compared scenarios differ"):
        run_comparison([base, other], replications=2, posterior=_posterior("crisis.rate", 0.2, 0.6), draws=2)


def test_cli_posterior_errors_are_one_line_and_write_nothing(tmp_path, capsys):
    from recoverysim.cli import main

    out = tmp_path / "out"
    assert main(["compare", "japan_baseline", "trauma_informed_care", "--draws", "3", "--out", str(out)]) == 2
    assert "--draws needs --posterior" in capsys.readouterr().err
    assert main(["compare", "japan_baseline", "trauma_informed_care", "--scheduler", "no address", "--out",
                 str(out)]) == 2
    assert "not a scheduler address" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "recoverysim-posterior/1"}')
    assert main(["compare", "japan_baseline", "trauma_informed_care", "--posterior", str(bad), "--out",
                 str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: provenance: missing" in err and "Traceback" not in err
    assert not out.exists()


def test_cli_with_a_posterior_writes_the_uncertainty_next_to_the_differences(tmp_path):
    from recoverysim.calibration.posterior import save_posterior
    from recoverysim.cli import main

    path = tmp_path / "posterior.json"
    save_posterior(_posterior("crisis.rate", 0.2, 0.6, n=5), path)
    out = tmp_path / "out"
    assert main(["compare", "japan_baseline", "trauma_informed_care", "--posterior", str(path), "--draws", "3",
                 "--replications", "2", "--population", "300", "--years", "2", "--set", "run.spin_up_years=1",
                 "--no-independent", "--quiet", "--out", str(out)]) == 0
    import json

    import pandas as pd

    differences = pd.read_csv(out / "differences.csv")
    assert {"uncertainty_low", "uncertainty_high", "probability_of_benefit"} <= set(differences.columns)
    table = pd.read_csv(out / "uncertainty.csv")
    assert (table["draws"] == 3).all()
    assert len(pd.read_csv(out / "uncertainty_draws.csv")) == 3
    assert set(pd.read_csv(out / "uncertainty_sources.csv")["input"]) == {"crisis.rate", "effect.trauma_informed_care",
                                                                         "all inputs"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["uncertainty_draws"] == 3 and manifest["posterior"]["file"] == str(path)
    assert "posterior parameters + reform effects + unit costs + chance" in (out / "report.md").read_text()


def test_sources_name_the_input_that_moves_the_effect():
    # With the crisis rate spread over a wide posterior and trauma-informed care's effect drawn, both inputs
    # vary; the table has one row per scenario, key outcome and input (plus "all inputs"), shares in [0, 1].
    base = _small()
    comparison = run_comparison([base, _tic(base)], replications=2, seed=2, independent=False,
                                posterior=_posterior("crisis.rate", 0.1, 1.0), draws=24)
    inputs = comparison.draw_inputs
    costs = [f"cost.{k}" for k in ("bed_day", "admission", "community_crisis_contact", "community_support_place",
                                   "peer_worker", "programme.trauma_informed_care")]
    assert list(inputs.columns) == ["crisis.rate", "effect.trauma_informed_care", *costs] and len(inputs) == 24
    ran = uncertainty_draws(_tic(base), 2, 24)
    # the table records the effects and the unit costs that ran
    assert inputs["effect.trauma_informed_care"].tolist() == [d.reforms[0].effect for d in ran]
    assert inputs["cost.bed_day"].tolist() == [dict(d.unit_costs)["costs.bed_day"] for d in ran]
    # unit costs move costs only, so they are not sources of a health effect's spread
    assert not {i for i in comparison.sources["input"] if i.startswith("cost.")}
    table = comparison.sources.set_index(["metric", "input"])
    shares = table["variance_share"].dropna()
    assert ((shares >= 0) & (shares <= 1)).all()
    coercion = table.loc["coercive_episodes_per_1000_person_years"]["variance_share"]
    # adjusted shares: a larger model may lose a little for its extra columns, never much
    assert coercion["all inputs"] >= max(coercion["crisis.rate"], coercion["effect.trauma_informed_care"]) - 0.05
    draws = comparison.draw_differences
    assert len(draws) == 24 and "tic:coercive_episodes_per_1000_person_years" in draws


def test_a_comparison_with_posterior_draws_is_identical_on_a_dask_cluster(tmp_path):
    import os

    from dask_loopback import loopback_cluster

    base = _small()
    args = dict(replications=2, seed=9, independent=False, posterior=_posterior("crisis.rate", 0.2, 0.6), draws=3)
    here = run_comparison([base, _tic(base)], **args)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(BASE.parents[1]), os.environ.get("PYTHONPATH", "")]))
    with loopback_cluster(tmp_path, env) as address:
        there = run_comparison([base, _tic(base)], scheduler=address, **args)
    pd.testing.assert_frame_equal(here.differences, there.differences)
    pd.testing.assert_frame_equal(here.effects, there.effects)


def test_value_of_information_over_the_draws_is_bounded_by_perfect_information(tmp_path):
    from recoverysim.compare import write_comparison

    base = _small()
    comparison = run_comparison([base, _tic(base)], replications=2, seed=4, independent=False,
                                posterior=_posterior("crisis.rate", 0.1, 1.0), draws=20)
    write_comparison(comparison, tmp_path)
    table = pd.read_csv(tmp_path / "evppi.csv")
    costs = {f"cost.{k}" for k in ("bed_day", "admission", "community_crisis_contact", "community_support_place",
                                   "peer_worker", "programme.trauma_informed_care")}
    assert set(table["input"]) <= {"crisis.rate", "effect.trauma_informed_care", *costs, "unit costs (together)"}
    if not table.empty:  # a cost per unit exists for some effect
        assert costs <= set(table["input"])  # a net benefit depends on the unit costs
        value = table["evppi_per_person"].dropna()  # NaN: a group with too many columns for 20 draws
        assert len(value) >= len(costs) and (value >= 0).all()
        assert (value <= table.loc[value.index, "evpi_per_person"] + 1e-9).all()
        assert (table["draws"] == 20).all()
    assert table.columns.tolist() == ["scenario", "effect", "wtp", "input", "evppi_per_person", "evpi_per_person",
                                      "draws"]
