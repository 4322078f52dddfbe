"""Unit tests of recoverysim/population.py: the Beta quantiles behind new people's attributes."""

import numpy as np
import pytest
from scipy.special import betaincinv

from recoverysim.population import REAL, _beta_quantiles, beta_quantile

#: (a, b) of the attributes' Beta laws: mean x concentration over the parameters' ranges, and both tails.
PAIRS = [(3.0, 2.0), (0.3 * 5, 0.7 * 5), (0.05 * 100, 0.95 * 100), (0.95 * 100, 0.05 * 100), (1.0, 1.0),
         (1.0, 19.0), (19.0, 1.0), (0.6 * 20, 0.4 * 20), (0.5, 4.5), (2.0, 0.3)]


def _uniforms(n: int) -> np.ndarray:
    u = np.random.default_rng(7).random(n)
    # the table's end cells and the ends themselves, where the Newton start is worst
    return np.concatenate([u, [0.0, 1.0, 1e-12, 1 - 1e-12, 1e-4, 1 - 1e-4], np.linspace(0, 1e-3, 500)])


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_beta_quantile_gives_scipys_inverse_in_the_attributes_precision(a, b):
    u = _uniforms(200_000)
    expected = betaincinv(a, b, u)
    got = beta_quantile(a, b, u)
    assert np.array_equal(got.astype(REAL), expected.astype(REAL))
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-300)


def test_beta_quantiles_of_several_runs_are_those_of_each_run_alone():
    u = _uniforms(30_000)
    run = np.arange(u.size) % 3
    a, b = np.array([3.0, 1.5, 12.0])[run], np.array([2.0, 3.5, 8.0])[run]
    got = _beta_quantiles(a, b, u)
    for r in range(3):
        mine = run == r
        assert np.array_equal(got[mine], beta_quantile(a[mine][0], b[mine][0], u[mine]))
    assert np.allclose(got, betaincinv(a, b, u), rtol=1e-12, atol=1e-300)


def test_few_uniforms_are_scipys_own():
    u = np.random.default_rng(1).random(100)
    assert np.array_equal(beta_quantile(3.0, 2.0, u), betaincinv(3.0, 2.0, u))
