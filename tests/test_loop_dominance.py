"""Loop dominance: contributions are paired baseline-minus-loop-off differences; yearly outcomes; directions."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from recoverysim import loop_dominance as ld
from recoverysim.cli import main
from recoverysim.scenario import load_scenario
from recoverysim.simulation import simulate

FROZEN = Path(__file__).resolve().parent / "regression" / "regression_scenario.toml"


def _yearly(rng, variant, replicates=3, years=4):
    rows = [{"variant": variant, "replicate": r, "year": y, "share_reunion_end": rng.random(),
             "crises_per_1000_person_years": 100 * rng.random()}
            for r in range(replicates) for y in range(1, years + 1)]
    return pd.DataFrame(rows)


def test_contribution_is_baseline_minus_loop_off_per_year():
    rng = np.random.default_rng(5)
    base, off = _yearly(rng, ld.BASELINE), _yearly(rng, "coercion_trauma off")
    table = pd.concat([base, off]).sample(frac=1, random_state=1)  # row order must not matter: pairs by replicate
    got = ld.contributions(table).set_index(["loop", "outcome", "year"])
    assert set(got.index.get_level_values("loop")) == {"coercion_trauma"}
    for outcome in ("share_reunion_end", "crises_per_1000_person_years"):
        for year in range(1, 5):
            b = base[base["year"] == year].set_index("replicate")[outcome]
            o = off[off["year"] == year].set_index("replicate")[outcome]
            d = (b - o).to_numpy()
            half = stats.t.ppf(0.975, 2) * d.std(ddof=1) / np.sqrt(3)
            row = got.loc[("coercion_trauma", outcome, year)]
            assert row["contribution"] == pytest.approx(d.mean(), abs=1e-12)
            assert row["baseline"] - row["loop_off"] == pytest.approx(d.mean(), abs=1e-12)
            assert (row["ci_low"], row["ci_high"]) == pytest.approx((d.mean() - half, d.mean() + half), abs=1e-12)


def test_dominant_loop_is_the_largest_absolute_contribution():
    contrib = pd.DataFrame({"loop": ["a", "b", "a", "b", "a", "b"], "outcome": ["x"] * 6, "year": [1, 1, 2, 2, 3, 3],
                            "contribution": [0.1, -0.3, 0.2, 0.1, 0.0, 0.0], "ci_low": [0.0, -0.5, 0.1, 0, 0, 0],
                            "ci_high": [0.2, -0.1, 0.3, 0.2, 0, 0]})
    dom = ld.dominance(contrib).set_index("year")
    assert list(dom["dominant_loop"]) == ["b", "a", ld.NONE]
    assert list(dom["clear"]) == [True, True, False]
    assert dom.loc[1, "share_of_loop_effects"] == pytest.approx(0.75)
    assert "years 1 b" not in ld.summary_text(dom.reset_index())  # one year is written 'year 1'
    assert ld.summary_text(dom.reset_index()).split(maxsplit=1)[1] == "year 1 b; year 2 a; year 3 none?"


def test_yearly_outcomes_on_a_hand_made_table():
    weeks = np.arange(0, 2 * 52 + 1)
    ts = pd.DataFrame({"week": weeks, "reunion": np.where(weeks <= 52, 3, 5), "discontinuity": 2,
                       "crises": 1, "admissions_voluntary": np.where(weeks > 52, 2, 0), "admissions_involuntary": 1,
                       "coercive_episodes": 0, "retraumatisations": 0, "in_hospital": 4, "peer_workers": weeks // 52})
    got = ld.yearly_outcomes(ts, size=10).set_index("year")
    assert list(got.index) == [1, 2]
    assert list(got["share_reunion_end"]) == [0.3, 0.5]
    assert list(got["crises_per_1000_person_years"]) == [52 * 1000 / 10] * 2  # week 0 is the start, not a flow
    assert list(got["admissions_per_1000_person_years"]) == [5200.0, 3 * 5200.0]
    assert list(got["bed_days_per_person_year"]) == [4 * 52 * 7 / 10] * 2
    assert list(got["peer_workers_per_1000_end"]) == [100.0, 200.0]


def test_one_year_matches_the_headline_outcomes():
    s = load_scenario(FROZEN, {"population.size": 300, "run.years": 1})
    run = simulate(s, seed=3)
    year = ld.yearly_outcomes(run.timeseries, 300).iloc[0]
    for name in ld.YEARLY:
        assert year[name] == pytest.approx(run.headline[name], rel=1e-12), name


@pytest.mark.timeout(300)
def test_direction_of_effect_and_cli(tmp_path, capsys):
    # R2 off in the scenario, so four loop-off variants. Without organisational support B1 burns peer workers
    # out (fewer peer workers with it); R3 adds trauma load after coercion, and trauma load raises the crisis
    # hazard (more crises with it).
    out = tmp_path / "dom"
    assert main(["loops", "--dominance", str(FROZEN), "--population", "3000", "--years", "5", "--replications",
                 "4", "--seed", "11", "--set", "loops.stigma_visibility=false", "--set",
                 "peer.organisational_support=0", "--set", "peer.burnout_rate=2", "--out", str(out)]) == 0
    assert "peer_workers_per_1000_end" in capsys.readouterr().out
    contrib = pd.read_csv(out / "contributions.csv").set_index(["loop", "outcome", "year"])
    assert set(contrib.index.get_level_values("loop")) == {"peer_role_models", "peer_burnout", "coercion_trauma",
                                                                 "coercion_mistrust"}
    assert contrib.loc[("peer_burnout", "peer_workers_per_1000_end", 5), "ci_high"] < 0
    assert contrib.loc[("coercion_trauma", "crises_per_1000_person_years", 5), "ci_low"] > 0
    assert (out / "loop_dominance.png").read_bytes()[:4] == b"\x89PNG"
    dom = pd.read_csv(out / "dominance.csv")
    assert set(dom["outcome"]) == set(ld.YEARLY) and len(dom) == 5 * len(ld.YEARLY)
