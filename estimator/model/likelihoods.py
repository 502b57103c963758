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
from pymc.distributions.dist_math import normal_lcdf
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
    return normal_lcdf(mu, sd, y)


def point(y: Tensor, eta: Tensor, sd: Tensor) -> pt.TensorVariable:
    """``exact`` and ``approx``: log x ~ Normal(eta, sd) (approx passes a widened sd)."""
    return _normal_logpdf(y, eta, sd)


def interval(y_lo: Tensor, y_hi: Tensor, eta: Tensor, sd: Tensor) -> pt.TensorVariable:
    """``nearly`` and ``over``: the source's figure lies in [y_lo, y_hi] (log scale)."""
    return pm.math.logdiffexp(_normal_logcdf(y_hi, eta, sd), _normal_logcdf(y_lo, eta, sd))


def at_least(y: Tensor, eta: Tensor, sd: Tensor) -> pt.TensorVariable:
    """``at_least``: the source's figure is at or above ``y``: log Phi((eta - y) / sd)."""
    return _normal_logcdf(eta, y, sd)


def at_most(y: Tensor, eta: Tensor, sd: Tensor) -> pt.TensorVariable:
    """``at_most``: the source's figure is at or below ``y``: log Phi((y - eta) / sd)."""
    return _normal_logcdf(y, eta, sd)


def range_(y_mid: Tensor, width: Tensor, eta: Tensor, sd: Tensor) -> pt.TensorVariable:
    """``range``: the geometric middle, with the source's own interval added to its noise.

    ``width`` is log(high / low); the range is the source's central ``RANGE_PROB`` interval.
    """
    w = width / (2.0 * z_of(RANGE_PROB))
    return _normal_logpdf(y_mid, eta, pt.sqrt(sd**2 + w**2))


def upper_estimate(y: Tensor, eta: Tensor, sd: Tensor) -> pt.TensorVariable:
    """``upper_estimate``: ``y`` is the top of the source's interval around ``eta``."""
    shift = z_of(RANGE_PROB) * UPPER_WIDTH
    return _normal_logpdf(y, eta + shift, pt.sqrt(sd**2 + UPPER_WIDTH**2))


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
