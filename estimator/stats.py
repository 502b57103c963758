"""Small numeric helpers shared by the model, the result and the simulator."""

from __future__ import annotations

import math
import warnings
from typing import Any

from scipy import stats


def z_of(prob: float) -> float:
    """The standard-normal quantile that bounds a central interval of probability ``prob``."""
    return float(stats.norm.ppf(0.5 + prob / 2.0))


def lognormal_from_range(low: float, high: float, prob: float = 0.9) -> tuple[float, float]:
    """(mu, sd) of the log of a quantity whose central ``prob`` interval is [low, high]."""
    mu = 0.5 * (math.log(low) + math.log(high))
    sd = (math.log(high) - math.log(low)) / (2.0 * z_of(prob))
    return mu, sd


def rounding_sd(x: float) -> float:
    """Log-scale sd implied by how round a figure is: 1,300 is 'to the hundred'.

    Half the rounding unit relative to the figure: 1,300 -> 50 / 1,300 = 0.038,
    7,000 -> 500 / 7,000 = 0.071. Zero and small figures get no extra width.
    """
    if x < 10 or not float(x).is_integer():
        return 0.0
    n = int(x)
    unit = 1
    while n % (unit * 10) == 0:
        unit *= 10
    return 0.5 * unit / x


def convergence(posterior: Any) -> tuple[Any, Any, Any]:
    """R-hat, bulk ESS and tail ESS (ArviZ) of every element of a posterior Dataset.

    A constant element (the bias of a reference source, fixed at 1) has neither: ArviZ returns
    NaN for it with a RuntimeWarning, and the NaN is the answer, so the warning is not passed on.
    """
    import arviz as az

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return az.rhat(posterior), az.ess(posterior, method="bulk"), az.ess(posterior, method="tail")
