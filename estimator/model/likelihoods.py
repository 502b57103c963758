"""One log-likelihood per kind of figure, elementwise, in PyTensor.

Every function takes arrays of the same length (one entry per report of that kind) and
returns the log-likelihood of each report. ``eta`` is the source's perceived value on the log
scale, ``sd`` the source's noise; the figure enters on the log scale (``y = log x``) except for
the count likelihood, which works on the count itself. docs/model.md explains each in words;
tests/test_likelihoods.py checks each against SciPy.
"""

from __future__ import annotations

import math

import pytensor.tensor as pt
from pytensor.tensor import TensorLike

from ..constants import OUTLIER_SD, RANGE_PROB, UPPER_WIDTH
from ..stats import z_of

Tensor = TensorLike


# Written out rather than through pm.logp: the distribution objects add parameter checks
# (Assert nodes) to every gradient evaluation, about a quarter of its cost on small models.
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _normal_logpdf(y: Tensor, mu: Tensor, sd: Tensor) -> pt.TensorVariable:
    return -0.5 * pt.sqr((y - mu) / sd) - pt.log(sd) - _LOG_SQRT_2PI


def _normal_logcdf(y: Tensor, mu: Tensor, sd: Tensor) -> pt.TensorVariable:
    """log Phi((y - mu) / sd), accurate far into the lower tail, with JAX and Numba support.

    One ``erfc`` and one ``log`` per figure, for the value and for the gradient: this is the
    costliest part of the censored kinds, and they were a third of the model's gradient at
    10,000 reports with the three branches this had before (docs/performance.md).

    - ``z <= 0``: ``log(Phi(z))``, with ``Phi(z) = erfc(-z / sqrt 2) / 2``, exact in double
      precision down to ``_TAIL_Z``. (PyMC's own version uses erfcx, which the JAX and Numba
      backends lack.)
    - ``z > 0``: ``log(1 - Phi(-z))``, the same ``erfc`` at ``-|z|``. Where ``Phi(-z)`` is below
      about 1e-16 this gives 0 instead of ``-Phi(-z)``: an absolute error under 1.2e-16 in a
      log-likelihood, nothing beside the other terms. Intervals are reflected below their centre
      (:func:`_interval_logp`) so that two such values are never differenced.
    - ``z < _TAIL_Z``: the asymptotic series ``phi(z) / -z * (1 - 1/z^2 + 3/z^4 - 15/z^6)``,
      relative error below 1e-8 there, inside the same ``log``.

    Each branch sees only inputs it is valid for, so gradients stay finite.
    """
    z = (y - mu) / sd
    upper = pt.gt(z, 0.0)
    tail = pt.lt(z, _TAIL_Z)
    below = pt.maximum(pt.switch(upper, -z, z), _TAIL_Z)  # -|z|, kept above the tail
    p_below = 0.5 * pt.erfc(-below / math.sqrt(2.0))  # Phi(-|z|)
    z_tail = pt.minimum(z, _TAIL_Z)
    inside = pt.switch(tail, _mills_series(z_tail), pt.switch(upper, 1.0 - p_below, p_below))
    return pt.switch(tail, -0.5 * pt.sqr(z_tail) - _LOG_SQRT_2PI, 0.0) + pt.log(inside)


_TAIL_Z = -20.0


def _wide(sd: Tensor) -> pt.TensorVariable:
    return pt.sqrt(pt.sqr(sd) + OUTLIER_SD**2)


def _mix(logp, sd: Tensor, p_out: Tensor | None) -> pt.TensorVariable:
    """``logp(sd)`` if ``p_out`` is None, else the mixture with the fabrication component:
    log((1 - p) f(sd) + p f(sqrt(sd^2 + OUTLIER_SD^2)))."""
    if p_out is None:
        return logp(sd)
    return pt.logaddexp(pt.log1p(-p_out) + logp(sd), pt.log(p_out) + logp(_wide(sd)))


def _interval_logp(y_lo: Tensor, y_hi: Tensor, eta: Tensor, sd: Tensor) -> pt.TensorVariable:
    """log P(y_lo < Normal(eta, sd) < y_hi): two ``erfc`` and one ``log`` per figure.

    An interval above the centre is reflected below it (the normal is symmetric), so that the
    lower edge ``a`` is never above the centre and the two CDFs differenced are never both
    close to 1. Then, in standard units ``a < b``:

    - ``b >= _TAIL_Z``: ``Phi(b) - Phi(a)`` as ``(erfc(-b / sqrt 2) - erfc(-a / sqrt 2)) / 2``.
      Where ``a`` is far below, its ``erfc`` is 0 or tiny beside the other, as it should be.
    - ``b < _TAIL_Z`` (both edges far in the lower tail, where ``erfc`` would underflow):
      ``Phi(z) = phi(z) R(z)``, with Mills' ratio ``R`` from the asymptotic series of
      :func:`_normal_logcdf`, and ``phi(b)`` taken out:
      ``log P = log phi(b) + log(R(b) - R(a) exp(-(a - b)(a + b) / 2))``.

    One ``log`` of whichever serves. Before (two log-CDFs and ``logdiffexp``) the compiled
    value and gradient of a ``nearly`` figure took 164 scalar operations with eight
    transcendental functions (docs/performance.md).
    """
    above = pt.gt(y_lo, eta)
    inv_sd = 1.0 / sd
    a = pt.switch(above, eta - y_hi, y_lo - eta) * inv_sd
    b = pt.switch(above, eta - y_lo, y_hi - eta) * inv_sd
    tail = pt.lt(b, _TAIL_Z)
    # The body sees b at or above the tail's edge, the tail a and b at or below it, so that each
    # branch's gradient stays finite where the other is chosen.
    b_body = pt.maximum(b, _TAIL_Z)
    body = 0.5 * (pt.erfc(-b_body / math.sqrt(2.0)) - pt.erfc(-a / math.sqrt(2.0)))
    b_tail = pt.minimum(b, _TAIL_Z)
    a_tail = pt.minimum(a, b_tail)
    far = _mills_series(b_tail) - _mills_series(a_tail) * pt.exp(-0.5 * (a_tail - b_tail) * (a_tail + b_tail))
    log_phi_b = pt.switch(tail, -0.5 * pt.sqr(b_tail) - _LOG_SQRT_2PI, 0.0)
    return log_phi_b + pt.log(pt.switch(tail, far, body))


def _mills_series(z: Tensor) -> pt.TensorVariable:
    """Phi(z) / phi(z) for z <= _TAIL_Z: (1 - 1/z^2 + 3/z^4 - 15/z^6) / -z, relative error
    below 1e-8 there."""
    inv = 1.0 / pt.sqr(z)
    return (1.0 + inv * (-1.0 + inv * (3.0 - 15.0 * inv))) / -z


def point(y: Tensor, eta: Tensor, sd: Tensor, *, p_out: Tensor | None = None) -> pt.TensorVariable:
    """``exact`` and ``approx``: log x ~ Normal(eta, sd) (approx passes a widened sd).

    ``p_out`` (robust fits): per report, the probability that the figure is a fabrication,
    Normal(eta, sqrt(sd^2 + OUTLIER_SD^2)) instead; the same for every kind below.
    """
    return _mix(lambda s: _normal_logpdf(y, eta, s), sd, p_out)


def interval(
    y_lo: Tensor, y_hi: Tensor, eta: Tensor, sd: Tensor, *, p_out: Tensor | None = None
) -> pt.TensorVariable:
    """``nearly`` and ``over``: the source's figure lies in [y_lo, y_hi] (log scale)."""
    return _mix(lambda s: _interval_logp(y_lo, y_hi, eta, s), sd, p_out)


def at_least(y: Tensor, eta: Tensor, sd: Tensor, *, p_out: Tensor | None = None) -> pt.TensorVariable:
    """``at_least``: the source's figure is at or above ``y``: log Phi((eta - y) / sd)."""
    return _mix(lambda s: _normal_logcdf(eta, y, s), sd, p_out)


def at_most(y: Tensor, eta: Tensor, sd: Tensor, *, p_out: Tensor | None = None) -> pt.TensorVariable:
    """``at_most``: the source's figure is at or below ``y``: log Phi((y - eta) / sd)."""
    return _mix(lambda s: _normal_logcdf(y, eta, s), sd, p_out)


def range_(
    y_mid: Tensor, width: Tensor, eta: Tensor, sd: Tensor, *, p_out: Tensor | None = None
) -> pt.TensorVariable:
    """``range``: the geometric middle, with the source's own interval added to its noise.

    ``width`` is log(high / low); the range is the source's central ``RANGE_PROB`` interval.
    """
    w = width / (2.0 * z_of(RANGE_PROB))
    return _mix(lambda s: _normal_logpdf(y_mid, eta, s), pt.sqrt(sd**2 + w**2), p_out)


def upper_estimate(y: Tensor, eta: Tensor, sd: Tensor, *, p_out: Tensor | None = None) -> pt.TensorVariable:
    """``upper_estimate``: ``y`` is the top of the source's interval around ``eta``."""
    shift = z_of(RANGE_PROB) * UPPER_WIDTH
    return _mix(lambda s: _normal_logpdf(y, eta + shift, s), pt.sqrt(sd**2 + UPPER_WIDTH**2), p_out)


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
