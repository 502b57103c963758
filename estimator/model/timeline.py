"""The cumulative truth of temporal mode in NumPy, for results and simulations.

The model (``build.py``) computes the same thing in PyTensor: a daily rate that is constant
between knots ``knot_days`` apart, so the count since day 0 grows linearly within a knot.
``tests/test_model.py`` checks the two agree.
"""

from __future__ import annotations

import numpy as np


def cumulative_at(rate: np.ndarray, t: np.ndarray | float, knot_days: float) -> np.ndarray:
    """Count since day 0 at days ``t`` of a daily ``rate`` (..., knot): shape (..., len(t)).

    Examples
    --------
    >>> cumulative_at(np.array([1.0, 3.0]), np.array([0, 7, 10]), 7)
    array([ 0.,  7., 16.])
    """
    rate = np.asarray(rate, dtype=float)
    t = np.atleast_1d(np.asarray(t, dtype=float))
    n_knots = rate.shape[-1]
    cum = np.concatenate([np.zeros(rate.shape[:-1] + (1,)), np.cumsum(rate * knot_days, axis=-1)], axis=-1)
    k = np.clip((t // knot_days).astype(int), 0, n_knots - 1)
    return cum[..., k] + rate[..., k] * (t - k * knot_days)
