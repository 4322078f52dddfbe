"""Regression-based variance shares and value of information against closed forms."""

import numpy as np
import pytest
from scipy import stats

from recoverysim.value_of_information import conditional_mean, evpi, evppi, first_order_share


def test_first_order_shares_of_a_linear_model_with_noise():
    # y = 2 x1 + x2 + e, x ~ U(0, 1), e ~ N(0, 0.2^2): Var = 4/12 + 1/12 + 0.04, so the shares are exact ratios.
    rng = np.random.default_rng(1)
    k = 20_000
    x = rng.random((k, 2))
    y = 2 * x[:, 0] + x[:, 1] + rng.normal(0, 0.2, k)
    total = 4 / 12 + 1 / 12 + 0.04
    assert first_order_share(y, x[:, 0]) == pytest.approx((4 / 12) / total, abs=0.01)
    assert first_order_share(y, x[:, 1]) == pytest.approx((1 / 12) / total, abs=0.01)
    assert first_order_share(y, x) == pytest.approx((5 / 12) / total, abs=0.01)


def test_the_spline_follows_a_nonlinear_conditional_mean():
    # E[y | x] = sin(2 pi x) on U(0, 1): first-order share = Var(sin) / (Var(sin) + s^2) = 0.5 / (0.5 + 0.25).
    rng = np.random.default_rng(2)
    x = rng.random(20_000)
    y = np.sin(2 * np.pi * x) + rng.normal(0, 0.5, x.size)
    assert first_order_share(y, x) == pytest.approx(0.5 / 0.75, abs=0.02)
    np.testing.assert_allclose(conditional_mean(y, x)[:50], np.sin(2 * np.pi * x[:50]), atol=0.1)


def test_evppi_of_a_normal_net_benefit_has_its_closed_form():
    # INB = mu + s * phi + noise, phi ~ N(0, 1): EVPPI(phi) = E[max(0, mu + s phi)] - max(0, mu)
    #   = mu * Phi(mu / s) + s * phi(mu / s) - max(0, mu)  (the expected value of a censored normal).
    rng = np.random.default_rng(3)
    k, mu, s = 40_000, 0.3, 1.0
    phi = rng.standard_normal(k)
    noise = rng.normal(0, 0.7, k)
    inb = mu + s * phi + noise
    net = np.column_stack([np.zeros(k), inb])  # options: base (0) and the reform
    exact = mu * stats.norm.cdf(mu / s) + s * stats.norm.pdf(mu / s) - max(0.0, mu)
    assert evppi(net, phi) == pytest.approx(exact, abs=0.01)
    # and perfect information on everything is worth more (the noise term too): sd sqrt(1 + 0.49)
    t = np.hypot(s, 0.7)
    assert evpi(net) == pytest.approx(mu * stats.norm.cdf(mu / t) + t * stats.norm.pdf(mu / t) - mu, abs=0.01)
    assert evppi(net, noise * 0 + rng.random(k)) == pytest.approx(0.0, abs=0.005)  # an irrelevant input


def test_too_few_draws_or_no_spread_give_nan():
    assert np.isnan(first_order_share(np.arange(5.0), np.arange(5.0)))
    assert np.isnan(first_order_share(np.ones(50), np.arange(50.0)))
    assert np.isnan(evppi(np.zeros((5, 2)), np.arange(5.0)))


def test_with_few_draws_noise_is_not_explained_and_big_groups_are_refused():
    # Pure noise: a plain R^2 of one column in 30 draws averages 1/29 and of 7 columns 7/29; the adjusted share
    # (clipped at 0) stays near 0, and more columns than a quarter of the draws give NaN.
    rng = np.random.default_rng(8)
    shares = [first_order_share(rng.standard_normal(30), rng.random(30)) for _ in range(200)]
    assert np.mean(shares) < 0.02
    assert np.isnan(first_order_share(rng.standard_normal(30), rng.random((30, 8))))
    assert np.isfinite(first_order_share(rng.standard_normal(40), rng.random((40, 9))))


def test_input_groups_add_the_two_groups_only_when_they_have_several_members():
    from recoverysim.value_of_information import input_groups

    groups = input_groups(["crisis.rate", "recovery.setback_rate", "effect.crisis_advocacy"])
    assert groups["posterior parameters (together)"] == ["crisis.rate", "recovery.setback_rate"]
    assert "reform effects (together)" not in groups and groups["effect.crisis_advocacy"] == ["effect.crisis_advocacy"]
