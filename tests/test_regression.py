"""Seeded regression against committed results (refresh with tests/regression/refresh_baseline.py)."""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent / "regression"


def _refresh_module():
    spec = importlib.util.spec_from_file_location("refresh_baseline", HERE / "refresh_baseline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_baseline_results_match_the_committed_ones():
    summary, tail = _refresh_module().regression_results()
    expected = pd.read_csv(HERE / "baseline_summary.csv")
    assert list(summary["metric"]) == list(expected["metric"])
    for col in ("mean", "ci_low", "ci_high"):
        np.testing.assert_allclose(summary[col].to_numpy(float), expected[col].to_numpy(float), rtol=1e-8,
                                   equal_nan=True, err_msg=f"summary {col} changed: rerun the refresh script "
                                   "if the change to the model was intended")
    expected_tail = pd.read_csv(HERE / "baseline_timeseries_tail.csv")
    pd.testing.assert_frame_equal(tail, expected_tail, check_dtype=False, rtol=1e-8)
