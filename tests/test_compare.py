"""Comparison engine: statistics, direction of every reform's effect (paired, CRN), and clear errors."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from recoverysim.cli import main
from recoverysim.compare import (
    available_names,
    paired_difference,
    resolve_scenario,
    run_comparison,
)
from recoverysim.errors import RecoverysimError
from recoverysim.outcomes import OUTCOMES
from recoverysim.parameters import REFORMS
from recoverysim.scenario import Reform, load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "japan_baseline.toml"

# Each reform at full coverage from week 0 must move its proximal quantity (reform_evidence.py) and what follows
# from it, in this direction (-1: lower).
TARGETS = {
    "trauma_informed_care": {"coercive_episodes_per_1000_person_years": -1,
                             "retraumatisations_per_1000_person_years": -1},
    "crisis_advocacy": {"involuntary_share_of_admissions": -1},
    "community_network_care": {"admissions_per_1000_person_years": -1, "bed_days_per_person_year": -1},
    "personalised_goals": {"share_reunion_end": 1},
    "inclusive_design": {"share_reunion_end": 1},
    "open_community": {"share_reunion_end": 1},
}


def test_paired_difference_is_the_t_interval_of_differences():
    rng = np.random.default_rng(0)
    base = rng.normal(10, 2, 8)
    other = base + rng.normal(1, 0.3, 8)
    b, o, d, lo, hi = paired_difference(base, other)
    diffs = other - base
    half = stats.t.ppf(0.975, 7) * diffs.std(ddof=1) / np.sqrt(8)
    assert (b, o) == pytest.approx((base.mean(), other.mean()))
    assert (d, lo, hi) == pytest.approx((diffs.mean(), diffs.mean() - half, diffs.mean() + half))


def test_paired_difference_drops_missing_pairs():
    _, _, d, lo, hi = paired_difference(np.array([1.0, np.nan, 3.0, 2.0]), np.array([2.0, 5.0, 4.0, np.nan]))
    assert d == 1.0 and lo == hi == 1.0


@pytest.fixture(scope="module")
def reform_comparison():
    base = load_scenario(BASE, {"population.size": 3000, "run.years": 4})
    # Community care keeps crises out of hospital only where a community place is free: give it places.
    others = [replace(base.with_reforms((Reform(name, start_year=0.0, ramp_years=0.0, coverage=1.0,
                                                capacity=2.0 if name == "community_network_care" else 0.0),)),
                      name=name)
              for name in REFORMS]
    return run_comparison([base, *others], replications=8, seed=777, independent=False, workers=2)


@pytest.mark.parametrize("reform", sorted(TARGETS))
def test_reform_moves_its_targets_in_the_right_direction(reform_comparison, reform):
    diff = reform_comparison.differences.set_index(["scenario", "metric"])
    for metric, sign in TARGETS[reform].items():
        row = diff.loc[(reform, metric)]
        numbers = (f"{reform} {metric}: base {row.base_mean:.4g}, scenario {row.scenario_mean:.4g}, "
                   f"difference {row.difference:.4g} [{row.ci_low:.4g}, {row.ci_high:.4g}]")
        if sign < 0:
            assert row.ci_high < 0, numbers
        else:
            assert row.ci_low > 0, numbers


def test_differences_table_shape(reform_comparison):
    diff = reform_comparison.differences
    assert list(diff.columns) == ["scenario", "metric", "base_mean", "scenario_mean", "difference", "ci_low",
                                  "ci_high", "relative_change"]
    headline = diff[diff["metric"].isin(list(OUTCOMES))]
    assert len(headline) == len(REFORMS) * len(OUTCOMES)
    assert {f"share_reunion_year_{y}" for y in range(1, 5)} <= set(diff["metric"])
    # Every scenario starts from the same people (CRN): no difference at week 0.
    occ = reform_comparison.occupancy
    assert np.allclose(occ.loc[occ["week"] == 0, "difference"], 0)


def test_same_seeds_for_every_scenario(reform_comparison):
    seeds = [r.seed for r in reform_comparison.base.runs]
    for other in reform_comparison.others:
        assert [r.seed for r in other.runs] == seeds
    assert reform_comparison.independent == [] and reform_comparison.crn.empty


def test_resolve_names_and_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_scenario("japan_baseline").resolve() == BASE.resolve()
    assert resolve_scenario(str(BASE)) == BASE
    assert "trauma_informed_care" in available_names()
    with pytest.raises(RecoverysimError, match="unknown scenario name: 'nope'.*japan_baseline"):
        resolve_scenario("nope")
    with pytest.raises(RecoverysimError, match="scenario file not found"):
        resolve_scenario("missing/nope.toml")


def test_unknown_name_exits_2_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "results" / "cmp"
    code = main(["compare", "japan_baseline", "not_a_scenario", "--out", str(out), "--replications", "2"])
    assert code == 2
    err = capsys.readouterr().err
    assert "unknown scenario name: 'not_a_scenario'" in err and "available scenario names:" in err
    assert "trauma_informed_care" in err
    assert not (tmp_path / "results").exists()
    missing = tmp_path / "nowhere" / "x.toml"
    assert main(["compare", "japan_baseline", str(missing), "--out", str(out)]) == 2
    assert f"scenario file not found: '{missing}'" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


def test_mismatched_scenarios_exit_2_naming_both_files(tmp_path, capsys):
    other = tmp_path / "small.toml"
    other.write_text(f'extends = "{BASE.as_posix()}"\nname = "small"\n[population]\nsize = 1000\n'
                     '[run]\nyears = 3\n', encoding="utf-8")
    out = tmp_path / "cmp"
    code = main(["compare", str(BASE), str(other), "--out", str(out), "--replications", "2"])
    assert code == 2
    err = capsys.readouterr().err
    assert "differ in population size" in err and str(BASE) in err and str(other) in err and "--population" in err
    assert not out.exists() and list(tmp_path.iterdir()) == [other]
    # with one size but different years
    code = main(["compare", str(BASE), str(other), "--out", str(out), "--population", "100"])
    assert code == 2 and "differ in years" in capsys.readouterr().err


def test_too_few_replicates_and_duplicate_names(tmp_path, capsys):
    assert main(["compare", "japan_baseline", "trauma_informed_care", "--replications", "1",
                 "--out", str(tmp_path / "x")]) == 2
    assert "at least 2" in capsys.readouterr().err
    assert main(["compare", "japan_baseline", "japan_baseline", "--out", str(tmp_path / "x")]) == 2
    assert "more than once" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
