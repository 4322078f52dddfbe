"""The generic pipeline on SALib's Ishigami function against its analytic indices."""

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from recoverysim.sensitivity import Design, analyze, evaluate, run_pipeline, sample
from recoverysim.sensitivity.analysis import COLUMNS, convergence

PI = np.pi
NAMES = ("x1", "x2", "x3")
BOUNDS = ((-PI, PI),) * 3
# Analytic values for a=7, b=0.1 (Saltelli et al. 2008, The Primer).
S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}


def test_sobol_matches_analytic_indices(tmp_path):
    design = Design(NAMES, BOUNDS, "sobol", 4096, seed=42)
    result = run_pipeline(design, Ishigami.evaluate, tmp_path / "out", outputs=["y"], progress=False)
    table = pd.read_csv(tmp_path / "out" / "indices.csv")
    assert list(table.columns) == COLUMNS
    pd.testing.assert_frame_equal(table, result.indices, check_dtype=False)
    for key, truth in (("S1", S1), ("ST", ST)):
        rows = table[table["index"] == key].set_index("parameter")
        for name, true_value in truth.items():
            low, value, high = rows.loc[name, ["ci_low", "value", "ci_high"]]
            # The 95% bootstrap interval should cover the truth; the 0.01 slack absorbs the bootstrap's own
            # noise (the interval half-widths here are 0.01-0.03, so this stays a tight check).
            assert low - 0.01 <= true_value <= high + 0.01, (key, name, value, low, high)
            assert abs(value - true_value) < 0.03, (key, name, value)
    s2 = table[table["index"] == "S2"].set_index("parameter")["value"]
    assert s2["x1:x3"] == pytest.approx(ST["x1"] - S1["x1"], abs=0.05)  # the only interaction
    for name in ("samples.csv", "results.csv", "manifest.json", "convergence.csv", "evaluations.sqlite"):
        assert (tmp_path / "out" / name).is_file()
    figs = sorted(p.name for p in (tmp_path / "out" / "figures").iterdir())
    assert figs == ["convergence_sobol_y.png", "sobol_y.png"]


def test_fast_first_order_matches_analytic():
    design = Design(NAMES, BOUNDS, "fast", 1000, seed=3)
    x = sample(design)
    assert x.shape == (3 * 1000, 3)
    table = analyze(design, x, Ishigami.evaluate(x))
    s1 = table[table["index"] == "S1"].set_index("parameter")["value"]
    for name, truth in S1.items():
        assert s1[name] == pytest.approx(truth, abs=0.03)  # eFAST is biased by interference


def test_morris_ranks_and_contracts():
    design = Design(NAMES, BOUNDS, "morris", 40, seed=5, options={"levels": 6})
    x = sample(design)
    assert x.shape == (40 * 4, 3) and np.array_equal(x, sample(design))  # deterministic in the seed
    ev = evaluate(Ishigami.evaluate, x, progress=False)
    assert ev.Y.shape == (160, 1) and not ev.errors
    table = analyze(design, x, ev.Y, ["y"])
    mu_star = table[table["index"] == "mu_star"].set_index("parameter")["value"]
    assert (mu_star > 1).all()  # every input matters for Ishigami; x3 only through the interaction
    conv = convergence(design, x, ev.Y, ["y"])
    assert conv["units"].max() == 40 and conv["units"].min() == 2
    assert set(conv["runs"]) == {u * 4 for u in set(conv["units"])}  # whole trajectories only


def test_sobol_convergence_prefixes_respect_saltelli_blocks():
    design = Design(NAMES, BOUNDS, "sobol", 64, seed=1, options={"second_order": False})
    x = sample(design)
    y = Ishigami.evaluate(x)
    conv = convergence(design, x, y)
    assert sorted(set(conv["units"])) == [4, 8, 16, 32, 64]
    assert sorted(set(conv["runs"])) == [u * (3 + 2) for u in (4, 8, 16, 32, 64)]
    final = conv[conv["units"] == 64].drop(columns=["units", "runs"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(final, analyze(design, x, y))


def test_constant_output_gives_nan_rows_with_a_warning():
    design = Design(NAMES, BOUNDS, "sobol", 8, seed=1)
    x = sample(design)
    with pytest.warns(UserWarning, match="constant"):
        table = analyze(design, x, np.column_stack([Ishigami.evaluate(x), np.ones(len(x))]), ["y", "c"])
    assert table[table["output"] == "c"]["value"].isna().all()
    assert table[table["output"] == "y"]["value"].notna().all()
