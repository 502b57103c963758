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


# --- robust (Student-t, nu = 4) versions against scipy.stats.t ----------------------------------
NU = lik.ROBUST_NU


def test_robust_point_is_student_t_on_log_scale():
    got = ev(lik.point(np.log(X), ETA, SD, robust=True))
    np.testing.assert_allclose(got, stats.t.logpdf(np.log(X), NU, ETA, SD), rtol=1e-10)


def test_robust_censored_kinds_use_the_t_cdf():
    lo, hi = np.log(X * (1 - NEARLY_GAP)), np.log(X)
    want = np.log(stats.t.cdf(hi, NU, ETA, SD) - stats.t.cdf(lo, NU, ETA, SD))
    np.testing.assert_allclose(ev(lik.interval(lo, hi, ETA, SD, robust=True)), want, rtol=1e-8)
    np.testing.assert_allclose(
        ev(lik.at_least(np.log(X), ETA, SD, robust=True)), stats.t.logsf(np.log(X), NU, ETA, SD), rtol=1e-8
    )
    np.testing.assert_allclose(
        ev(lik.at_most(np.log(X), ETA, SD, robust=True)), stats.t.logcdf(np.log(X), NU, ETA, SD), rtol=1e-8
    )


@pytest.mark.parametrize("z", [-1e4, -300.0, -30.0, -3.0, -0.2, 0.0, 0.7, 4.0, 50.0])
def test_robust_log_cdf_is_accurate_in_both_tails(z):
    got = ev(lik._t4_logcdf(np.array([z]), np.array([0.0]), np.array([1.0])))[0]
    assert got == pytest.approx(stats.t.logcdf(z, NU), rel=1e-9, abs=1e-300)


def test_robust_interval_is_finite_far_in_either_tail():
    for lo in (-40.0, 30.0):
        got = ev(
            lik.interval(np.array([lo]), np.array([lo + 0.1]), np.array([0.0]), np.array([1.0]), robust=True)
        )
        want = np.log(stats.t.sf(lo, NU) - stats.t.sf(lo + 0.1, NU))
        assert np.isfinite(got).all() and got[0] == pytest.approx(want, rel=1e-6)


def test_robust_range_and_upper_estimate_widen_the_t_scale():
    lo, hi = 7_000.0, 15_000.0
    mid, width = math.log(math.sqrt(lo * hi)), math.log(hi / lo)
    w = width / (2 * Z)
    got = ev(lik.range_(np.array([mid]), np.array([width]), ETA[2:3], SD[2:3], robust=True))
    np.testing.assert_allclose(got, stats.t.logpdf(mid, NU, ETA[2], math.hypot(SD[2], w)), rtol=1e-10)
    got = ev(lik.upper_estimate(np.log(X), ETA, SD, robust=True))
    want = stats.t.logpdf(np.log(X), NU, ETA + Z * UPPER_WIDTH, np.hypot(SD, UPPER_WIDTH))
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_robust_noise_forgives_a_wild_figure():
    # A figure 10 sds off costs a normal 50 nats, the t about 11: one fabrication cannot drag N.
    far = np.array([10.0])
    normal = ev(lik.point(far, np.array([0.0]), np.array([1.0])))[0]
    robust = ev(lik.point(far, np.array([0.0]), np.array([1.0]), robust=True))[0]
    assert normal < -50 and robust > -12
