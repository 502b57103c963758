"""Each kind's likelihood against the same density computed with SciPy."""

import math

import numpy as np
import pytest
from scipy import special, stats

from estimator.constants import NEARLY_GAP, OUTLIER_SD, RANGE_PROB, UPPER_WIDTH
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


# --- robust (outlier mixture) versions against SciPy's normal mixture ---------------------------
P_OUT = np.array([0.02, 0.1, 0.3, 0.6])


def _mix(fn, sd):
    """log((1 - p) f(sd) + p f(sqrt(sd^2 + OUTLIER_SD^2))) with f a SciPy probability."""
    wide = np.hypot(sd, OUTLIER_SD)
    return np.log((1 - P_OUT) * fn(sd) + P_OUT * fn(wide))


def test_robust_point_is_a_normal_mixture_on_log_scale():
    got = ev(lik.point(np.log(X), ETA, SD, p_out=P_OUT))
    want = _mix(lambda s: stats.norm.pdf(np.log(X), ETA, s), SD)
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_robust_censored_kinds_mix_the_two_cdfs():
    lo, hi = np.log(X * (1 - NEARLY_GAP)), np.log(X)
    want = _mix(lambda s: stats.norm.cdf(hi, ETA, s) - stats.norm.cdf(lo, ETA, s), SD)
    np.testing.assert_allclose(ev(lik.interval(lo, hi, ETA, SD, p_out=P_OUT)), want, rtol=1e-7)
    want = _mix(lambda s: stats.norm.sf(np.log(X), ETA, s), SD)
    np.testing.assert_allclose(ev(lik.at_least(np.log(X), ETA, SD, p_out=P_OUT)), want, rtol=1e-7)
    want = _mix(lambda s: stats.norm.cdf(np.log(X), ETA, s), SD)
    np.testing.assert_allclose(ev(lik.at_most(np.log(X), ETA, SD, p_out=P_OUT)), want, rtol=1e-7)


def test_robust_interval_is_finite_far_in_either_tail():
    for lo in (-40.0, 30.0):
        got = ev(
            lik.interval(
                np.array([lo]), np.array([lo + 0.1]), np.array([0.0]), np.array([1.0]), p_out=np.array([0.1])
            )
        )
        wide = math.hypot(1.0, OUTLIER_SD)
        a, b = sorted([abs(lo), abs(lo + 0.1)])  # symmetric: the same mass as [a, b]
        want = np.log(
            0.9 * (stats.norm.sf(a) - stats.norm.sf(b))
            + 0.1 * (stats.norm.sf(a, 0, wide) - stats.norm.sf(b, 0, wide))
        )
        assert np.isfinite(got).all() and got[0] == pytest.approx(want, rel=1e-6)


def test_robust_range_and_upper_estimate_mix_around_the_widened_scale():
    lo, hi = 7_000.0, 15_000.0
    mid, width = math.log(math.sqrt(lo * hi)), math.log(hi / lo)
    w = width / (2 * Z)
    p = np.array([0.2])
    got = ev(lik.range_(np.array([mid]), np.array([width]), ETA[2:3], SD[2:3], p_out=p))
    sd = math.hypot(SD[2], w)
    want = np.log(
        0.8 * stats.norm.pdf(mid, ETA[2], sd) + 0.2 * stats.norm.pdf(mid, ETA[2], math.hypot(sd, OUTLIER_SD))
    )
    np.testing.assert_allclose(got, [want], rtol=1e-10)
    got = ev(lik.upper_estimate(np.log(X), ETA, SD, p_out=P_OUT))
    want = _mix(lambda s: stats.norm.pdf(np.log(X), ETA + Z * UPPER_WIDTH, s), np.hypot(SD, UPPER_WIDTH))
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_robust_noise_forgives_a_wild_figure():
    # A figure 10 times off, with noise sd 0.2 (11.5 sds): the normal charges about 66 nats;
    # the mixture, with outlier probability 0.1, under 6: one fabrication cannot drag N.
    far = np.array([math.log(10.0)])
    normal = ev(lik.point(far, np.array([0.0]), np.array([0.2])))[0]
    robust = ev(lik.point(far, np.array([0.0]), np.array([0.2]), p_out=np.array([0.1])))[0]
    on_target = ev(lik.point(np.array([0.0]), np.array([0.0]), np.array([0.2]), p_out=np.array([0.1])))[0]
    assert normal < -60 and on_target - robust < 6


def test_normal_log_cdf_and_its_gradient_match_scipy_from_far_below_to_far_above():
    import pytensor
    import pytensor.tensor as pt

    z = np.concatenate([-np.logspace(3, -3, 60), [0.0], np.logspace(-3, 3, 60), [-20.0, -19.999, -20.001]])
    x = pt.dvector("x")
    value = lik._normal_logcdf(x, 0.0, 1.0)
    f = pytensor.function([x], [value, pytensor.grad(value.sum(), x)])
    got, grad = f(z)
    want = stats.norm.logcdf(z)
    # Relative accuracy where the value is not tiny; above the centre, 1 - Phi(-z) is
    # rounded, so an absolute error of one rounding (1.2e-16) is allowed there.
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1.2e-16)
    assert np.all(got <= 0.0)
    # d/dz log Phi(z) = phi(z) / Phi(z), finite everywhere (0 above z = 20, where it is
    # below 6e-89).
    want_grad = np.exp(stats.norm.logpdf(z) - stats.norm.logcdf(z))
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(grad, want_grad, rtol=1e-7, atol=1e-88)


def _interval_reference(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log(Phi(b) - Phi(a)) with SciPy, in log space where both edges are below the centre, and
    its derivatives in eta and sd for a standard normal (eta = 0, sd = 1)."""
    lo, hi = np.where(a > 0, -b, a), np.where(a > 0, -a, b)  # the same mass below the centre
    below = special.log_ndtr(hi) + np.log1p(-np.exp(special.log_ndtr(lo) - special.log_ndtr(hi)))
    across = np.log(np.maximum(special.ndtr(hi) - special.ndtr(lo), 1e-300))
    value = np.where(hi <= 0, below, across)
    pa, pb = np.exp(stats.norm.logpdf(a) - value), np.exp(stats.norm.logpdf(b) - value)
    return value, pa - pb, pa * a - pb * b


def test_interval_and_its_gradient_match_scipy_from_far_below_to_far_above():
    import pytensor
    import pytensor.tensor as pt

    centres = np.concatenate([-np.logspace(3, -3, 40), [0.0], np.logspace(-3, 3, 40), [-20.0, 20.0, -19.97]])
    widths = np.array([-np.log1p(-NEARLY_GAP) / 0.5, np.log1p(NEARLY_GAP) / 0.3, 1e-3, 1.0, 5.0])
    a = (centres[:, None] - widths / 2).ravel()
    b = (centres[:, None] + widths / 2).ravel()
    eta, sd = 0.7, 0.3  # the figure's edges lie a and b sds from eta
    lo, hi, e, s = pt.dvectors("lo", "hi", "eta", "sd")
    value = lik.interval(lo, hi, e, s)
    f = pytensor.function([lo, hi, e, s], [value, *pytensor.grad(value.sum(), [e, s])])
    got, d_eta, d_sd = f(eta + a * sd, eta + b * sd, np.full(a.size, eta), np.full(a.size, sd))
    want, want_eta, want_sd = _interval_reference(a, b)
    assert np.isfinite(got).all() and np.isfinite(d_eta).all() and np.isfinite(d_sd).all()
    # 1e-8: the tail's series (beyond 20 sds) is accurate to that; elsewhere it is closer.
    np.testing.assert_allclose(got, want, rtol=1e-8)
    np.testing.assert_allclose(d_eta, want_eta / sd, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(d_sd, want_sd / sd, rtol=1e-7, atol=1e-12)
