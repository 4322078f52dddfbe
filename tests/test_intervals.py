"""The one interval helper: t intervals of means and Welch intervals, against scipy's own tests."""

import numpy as np
import pytest
from scipy import stats

from recoverysim.intervals import mean_interval, t_quantile, welch_interval


@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_mean_interval_is_scipys_one_sample_t_interval(confidence):
    values = np.random.default_rng(3).normal(5, 2, 7)
    ci = stats.ttest_1samp(values, 0).confidence_interval(confidence)
    assert mean_interval(values, confidence) == pytest.approx((values.mean(), ci.low, ci.high), rel=1e-12)


def test_mean_interval_by_hand_formula():
    values = np.array([1.0, 2.0, 4.0, 9.0])
    mean = 4.0
    sd = np.sqrt(((values - mean) ** 2).sum() / 3)
    half = stats.t.ppf(0.975, 3) * sd / 2
    assert mean_interval(values) == pytest.approx((mean, mean - half, mean + half), rel=1e-12)
    assert t_quantile(3) == pytest.approx(3.1824463052837078, rel=1e-12)  # the printed t table value 3.182


def test_mean_interval_over_columns_equals_each_column_alone():
    samples = np.random.default_rng(4).normal(size=(6, 3, 2))
    mean, low, high = mean_interval(samples)
    for i in range(3):
        for j in range(2):
            assert (mean[i, j], low[i, j], high[i, j]) == mean_interval(samples[:, i, j])


def test_mean_interval_with_too_few_values():
    assert mean_interval(np.array([2.5]))[0] == 2.5
    assert all(np.isnan(mean_interval(np.array([2.5]))[1:]))
    assert all(np.isnan(mean_interval(np.zeros(0))))
    mean, low, high = mean_interval(np.zeros((1, 4)))
    assert mean.shape == (4,) and np.isnan(low).all() and np.isnan(high).all()


def test_welch_matches_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 6), rng.normal(1, 3, 9)
    d, lo, hi = welch_interval(a, b)
    ci = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert (d, lo, hi) == pytest.approx((b.mean() - a.mean(), ci.low, ci.high), rel=1e-12)


def test_welch_drops_missing_and_handles_no_spread():
    assert welch_interval(np.array([1.0, np.nan, 1.0]), np.array([3.0, 3.0])) == (2.0, 2.0, 2.0)
    assert all(np.isnan(welch_interval(np.array([1.0]), np.array([3.0, 4.0]))))


def test_spread_interval_is_the_central_range_of_the_samples_and_does_not_shrink():
    from recoverysim.intervals import spread_interval

    rng = np.random.default_rng(3)
    few, many = rng.normal(0, 1, 400), rng.normal(0, 1, 40_000)
    _, lo_few, hi_few = spread_interval(few)
    mean, lo, hi = spread_interval(np.append(many, np.nan))
    assert (lo, hi) == pytest.approx((-1.96, 1.96), abs=0.05) and mean == pytest.approx(0, abs=0.02)
    assert hi_few - lo_few == pytest.approx(hi - lo, rel=0.15)  # a spread, not a standard error
    assert all(np.isnan(v) for v in spread_interval(np.array([np.nan])))
