"""One log-likelihood per kind of figure, elementwise, in PyTensor.

Every function takes arrays of the same length (one entry per report of that kind) and
returns the log-likelihood of each report. ``eta`` is the source's perceived value on the log
scale, ``sd`` the source's noise; the figure enters on the log scale (``y = log x``) except for
the count likelihood, which works on the count itself. docs/model.md explains each in words;
tests/test_likelihoods.py checks each against SciPy.
"""

from __future__ import annotations

import math

import pymc as pm
import pytensor.tensor as pt
from pytensor.tensor import TensorLike

from ..constants import RANGE_PROB, UPPER_WIDTH
from ..stats import z_of

Tensor = TensorLike


# Written out rather than through pm.logp: the distribution objects add parameter checks
# (Assert nodes) to every gradient evaluation, about a quarter of its cost on small models.
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _normal_logpdf(y: Tensor, mu: Tensor, sd: Tensor) -> pt.TensorVariable:
    return -0.5 * pt.sqr((y - mu) / sd) - pt.log(sd) - _LOG_SQRT_2PI


def _normal_logcdf(y: Tensor, mu: Tensor, sd: Tensor) -> pt.TensorVariable:
    """log Phi((y - mu) / sd), accurate far into the lower tail, with JAX and Numba support.

    PyMC's own version uses erfcx, which the JAX backend lacks. Between z = -20 and 0 the
    complementary error function is exact in double precision; below, the asymptotic series
    (relative error below 1e-8 there); above 0, log1p keeps the tiny distance to 1. Each branch
    sees only inputs it is valid for, so gradients stay finite.
    """
    z = (y - mu) / sd
    z_tail = pt.minimum(z, _TAIL_Z)
    z_body = pt.maximum(z, _TAIL_Z)
    zz = pt.sqr(z_tail)
    tail = -0.5 * zz - pt.log(-z_tail) - _LOG_SQRT_2PI + pt.log1p(-1 / zz + 3 / zz**2 - 15 / zz**3)
    z_body = pt.minimum(z_body, 0.0)
    body = pt.log(0.5 * pt.erfc(-z_body / math.sqrt(2.0)))
    z_upper = pt.maximum(z, 0.0)
    upper = pt.log1p(-0.5 * pt.erfc(z_upper / math.sqrt(2.0)))  # keeps 1 - tiny exact
    return pt.switch(z < _TAIL_Z, tail, pt.switch(z > 0, upper, body))


_TAIL_Z = -20.0


#: Degrees of freedom of the robust (Student-t) noise: 4 has finite variance, yet a figure ten
#: noise sds off costs only about 11 nats (a normal charges 50), so one wild figure cannot
#: drag the truth. Fixed, not learned: a source with a handful of figures cannot tell nu.
ROBUST_NU = 4
_T4_LOG_NORM = math.lgamma(2.5) - math.lgamma(2.0) - 0.5 * math.log(4.0 * math.pi)


def _t4_logpdf(y: Tensor, mu: Tensor, sd: Tensor) -> pt.TensorVariable:
    """Student-t (nu = 4, location ``mu``, scale ``sd``) log density."""
    z = (y - mu) / sd
    return _T4_LOG_NORM - pt.log(sd) - 2.5 * pt.log1p(pt.sqr(z) / 4.0)


def _t4_logcdf(y: Tensor, mu: Tensor, sd: Tensor) -> pt.TensorVariable:
    """Student-t (nu = 4) log CDF in closed form, accurate in both tails.

    With a = |z|, r = sqrt(4 + a^2), s = a / r: P(T < -a) = (1 - s)^2 (2 + s) / 4, and
    1 - s = 4 / (r (r + a)) is computed without cancellation.
    """
    z = (y - mu) / sd
    a = pt.abs(z)
    r = pt.sqrt(4.0 + pt.sqr(a))
    one_minus_s = 4.0 / (r * (r + a))
    log_tail = 2.0 * pt.log(one_minus_s) + pt.log(3.0 - one_minus_s) - math.log(4.0)
    return pt.switch(pt.lt(z, 0.0), log_tail, pt.log1mexp(log_tail))


def _logpdf(y: Tensor, mu: Tensor, sd: Tensor, robust: bool) -> pt.TensorVariable:
    return _t4_logpdf(y, mu, sd) if robust else _normal_logpdf(y, mu, sd)


def _logcdf(y: Tensor, mu: Tensor, sd: Tensor, robust: bool) -> pt.TensorVariable:
    return _t4_logcdf(y, mu, sd) if robust else _normal_logcdf(y, mu, sd)


def point(y: Tensor, eta: Tensor, sd: Tensor, *, robust: bool = False) -> pt.TensorVariable:
    """``exact`` and ``approx``: log x ~ Normal(eta, sd) (approx passes a widened sd).

    ``robust``: Student-t with ``ROBUST_NU`` degrees of freedom and scale ``sd`` instead.
    """
    return _logpdf(y, eta, sd, robust)


def interval(
    y_lo: Tensor, y_hi: Tensor, eta: Tensor, sd: Tensor, *, robust: bool = False
) -> pt.TensorVariable:
    """``nearly`` and ``over``: the source's figure lies in [y_lo, y_hi] (log scale)."""
    if not robust:
        return pm.math.logdiffexp(_normal_logcdf(y_hi, eta, sd), _normal_logcdf(y_lo, eta, sd))
    # An interval above the centre is reflected below it (the t is symmetric), so the CDFs
    # differenced are never both close to 1; one branch only, so no NaN gradient leaks in.
    above = pt.gt(y_lo, eta)
    a = pt.switch(above, 2 * eta - y_hi, y_lo)
    b = pt.switch(above, 2 * eta - y_lo, y_hi)
    return pm.math.logdiffexp(_t4_logcdf(b, eta, sd), _t4_logcdf(a, eta, sd))


def at_least(y: Tensor, eta: Tensor, sd: Tensor, *, robust: bool = False) -> pt.TensorVariable:
    """``at_least``: the source's figure is at or above ``y``: log Phi((eta - y) / sd)."""
    return _logcdf(eta, y, sd, robust)


def at_most(y: Tensor, eta: Tensor, sd: Tensor, *, robust: bool = False) -> pt.TensorVariable:
    """``at_most``: the source's figure is at or below ``y``: log Phi((y - eta) / sd)."""
    return _logcdf(y, eta, sd, robust)


def range_(
    y_mid: Tensor, width: Tensor, eta: Tensor, sd: Tensor, *, robust: bool = False
) -> pt.TensorVariable:
    """``range``: the geometric middle, with the source's own interval added to its noise.

    ``width`` is log(high / low); the range is the source's central ``RANGE_PROB`` interval.
    """
    w = width / (2.0 * z_of(RANGE_PROB))
    return _logpdf(y_mid, eta, pt.sqrt(sd**2 + w**2), robust)


def upper_estimate(y: Tensor, eta: Tensor, sd: Tensor, *, robust: bool = False) -> pt.TensorVariable:
    """``upper_estimate``: ``y`` is the top of the source's interval around ``eta``."""
    shift = z_of(RANGE_PROB) * UPPER_WIDTH
    return _logpdf(y, eta + shift, pt.sqrt(sd**2 + UPPER_WIDTH**2), robust)


def count(x: Tensor, log_mu: Tensor, sd: Tensor) -> pt.TensorVariable:
    """Small counts and zero: x ~ NegativeBinomial(mean exp(log_mu), alpha = 1 / sd^2).

    The variance mu + mu^2 sd^2 matches a log-normal of sd ``sd`` for large counts, so a source's
    noise means the same on both scales.
    """
    alpha = 1.0 / pt.sqr(sd)
    log_total = pt.log(alpha + pt.exp(log_mu))
    return (
        pt.gammaln(x + alpha)
        - pt.gammaln(alpha)
        - pt.gammaln(x + 1.0)
        + alpha * (pt.log(alpha) - log_total)
        + x * (log_mu - log_total)
    )
