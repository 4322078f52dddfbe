"""Refresh the committed regression results of the engine (run after an intended change to the model).

    .venv/bin/python tests/regression/refresh_baseline.py

Writes tests/regression/baseline_summary.csv and baseline_timeseries_tail.csv from a fixed, small run of
tests/regression/regression_scenario.toml (a frozen scenario, so only model changes move the results).
Review the diff before committing: it is the record of what changed.
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent
OVERRIDES = {"population.size": 1500, "run.years": 4, "run.replications": 3, "run.seed": 424242,
             "run.spin_up_years": 20}


def regression_results():
    from recoverysim.scenario import load_scenario
    from recoverysim.simulation import run_replications

    scenario = load_scenario(HERE / "regression_scenario.toml", OVERRIDES)
    results = run_replications(scenario)
    tail = results.timeseries.groupby("replicate").tail(3).reset_index(drop=True)
    return results.summary(), tail


if __name__ == "__main__":
    summary, tail = regression_results()
    summary.to_csv(HERE / "baseline_summary.csv", index=False, float_format="%.10g")
    tail.to_csv(HERE / "baseline_timeseries_tail.csv", index=False, float_format="%.10g")
    print(f"wrote {HERE / 'baseline_summary.csv'} and {HERE / 'baseline_timeseries_tail.csv'}")
