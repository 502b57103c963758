"""Each kind's likelihood against the same density computed with SciPy."""

import math

import numpy as np
import pytest
from scipy import stats

from estimator.constants import NEARLY_GAP, RANGE_PROB, UPPER_WIDTH
from estimator.model import likelihoods as lik

X = np.array([500.0, 1_300.0, 7_000.0, 40_000.0])
ETA = np.log(np.array([450.0, 1_500.0, 9_000.0, 30_000.0]))
SD = np.array([0.1, 0.2, 0.3, 0.5])
Z = stats.norm.ppf(0.5 + RANGE_PROB / 2)


def ev(t):
    return np.asarray(t.eval())


def test_point_is_normal_on_log_scale():
    got = ev(lik.point(np.log(X), ETA, SD))
    np.testing.assert_allclose(got, stats.norm.logpdf(np.log(X), ETA, SD), rtol=1e-10)


def test_nearly_is_interval_censored_below_the_figure():
    lo, hi = np.log(X * (1 - NEARLY_GAP)), np.log(X)
    got = ev(lik.interval(lo, hi, ETA, SD))
    want = np.log(stats.norm.cdf(hi, ETA, SD) - stats.norm.cdf(lo, ETA, SD))
    np.testing.assert_allclose(got, want, rtol=1e-6)  # PyMC's log-cdf is accurate to ~1e-8


def test_interval_is_stable_far_in_the_tail():
    # 12 sds away: naive cdf differences underflow to log(0); the likelihood must stay finite.
    got = ev(
        lik.interval(
            np.array([np.log(900.0)]), np.array([np.log(1000.0)]), np.array([np.log(100.0)]), np.array([0.1])
        )
    )
    assert np.isfinite(got).all()
    want = stats.norm.logsf(np.log(900.0), np.log(100.0), 0.1)  # upper edge adds nothing at this scale
    assert got[0] == pytest.approx(want, rel=1e-3)


def test_at_least_and_at_most_are_one_sided_censoring():
    np.testing.assert_allclose(
        ev(lik.at_least(np.log(X), ETA, SD)), stats.norm.logsf(np.log(X), ETA, SD), rtol=1e-6
    )  # PyMC's log-cdf is accurate to ~1e-8
    np.testing.assert_allclose(
        ev(lik.at_most(np.log(X), ETA, SD)), stats.norm.logcdf(np.log(X), ETA, SD), rtol=1e-6
    )  # PyMC's log-cdf is accurate to ~1e-8


def test_range_adds_the_sources_own_interval_to_its_noise():
    lo, hi = 7_000.0, 15_000.0
    mid, width = math.log(math.sqrt(lo * hi)), math.log(hi / lo)
    w = width / (2 * Z)
    got = ev(lik.range_(np.array([mid]), np.array([width]), ETA[2:3], SD[2:3]))
    np.testing.assert_allclose(got, stats.norm.logpdf(mid, ETA[2], math.hypot(SD[2], w)), rtol=1e-10)


def test_upper_estimate_is_the_top_of_an_interval_not_a_bare_bound():
    got = ev(lik.upper_estimate(np.log(X), ETA, SD))
    want = stats.norm.logpdf(np.log(X), ETA + Z * UPPER_WIDTH, np.hypot(SD, UPPER_WIDTH))
    np.testing.assert_allclose(got, want, rtol=1e-10)
    # The truth cannot sink to 1: a central value far below the figure is very unlikely.
    assert ev(lik.upper_estimate(np.log([40_000.0]), np.array([0.0]), np.array([0.2])))[0] < -50


@pytest.mark.parametrize("count", [0, 1, 6, 29])
def test_small_counts_are_negative_binomial(count):
    mu, sd = 4.0, 0.3
    alpha = 1 / sd**2
    got = ev(lik.count(np.array([count]), np.log([mu]), np.array([sd])))
    want = stats.nbinom.logpmf(count, alpha, alpha / (alpha + mu))
    np.testing.assert_allclose(got, [want], rtol=1e-6)  # PyMC's log-cdf is accurate to ~1e-8
