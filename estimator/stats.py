"""Small numeric helpers shared by the model, the result and the simulator."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special, stats


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
    """Rank-normalised R-hat, bulk ESS and tail ESS of every element of a posterior Dataset.

    The same numbers as ArviZ's ``az.rhat``, ``az.ess(method="bulk")`` and
    ``az.ess(method="tail")`` (Vehtari et al. 2021; a test compares them), computed for all
    elements of a variable at once: ArviZ loops over elements in Python, which took 12 s for the
    7,500 elements of a 10,000-report fit. A constant element (the bias of a reference source,
    fixed at 1) has no R-hat: NaN, as in ArviZ.
    """
    import xarray as xr

    out: tuple[dict, dict, dict] = ({}, {}, {})
    for name, da in posterior.data_vars.items():
        dims = [d for d in da.dims if d not in ("chain", "draw")]
        x = da.transpose("chain", "draw", *dims).values
        flat = x.reshape(x.shape[0], x.shape[1], -1)  # diagnose() makes its own float copy
        parts = [np.empty(flat.shape[2]) for _ in range(3)]
        for lo in range(0, flat.shape[2], _CHUNK):
            block = flat[:, :, lo : lo + _CHUNK]
            for part, value in zip(parts, diagnose(block), strict=True):
                part[lo : lo + _CHUNK] = value
        coords = {d: da.coords[d] for d in dims if d in da.coords}
        for table, part in zip(out, parts, strict=True):
            table[name] = xr.DataArray(part.reshape(x.shape[2:]), dims=dims, coords=coords)
    return tuple(xr.Dataset(t) for t in out)  # type: ignore[return-value]


#: Elements per block in :func:`convergence`: 4,000 draws x 500 elements is 16 MB per array.
_CHUNK = 500


def bfmi(energy: np.ndarray) -> np.ndarray:
    """Bayesian fraction of missing information of each chain, from the sampler's energy
    (chain, draw): the mean squared change of energy between draws over its variance.

    What ``arviz.bfmi`` computes (tested), in NumPy: ArviZ's variance is a Numba function that
    each new process compiles again (about 0.5 s).
    """
    energy = np.atleast_2d(np.asarray(energy, dtype=float))
    return np.square(np.diff(energy, axis=1)).mean(axis=1) / np.var(energy, axis=1, ddof=1)


def _split_chains(x: np.ndarray) -> np.ndarray:
    """(n, chain, draw) -> (n, 2 chain, draw // 2): each chain's first and last halves."""
    half = x.shape[2] // 2
    return np.concatenate([x[:, :, :half], x[:, :, x.shape[2] - half :]], axis=1)


def _z_scale(x: np.ndarray) -> np.ndarray:
    """Normal scores of the ranks over all chains and draws, per element (Blom's offset 3/8)."""
    n, c, d = x.shape
    ranks = _average_ranks(x.reshape(n, c * d))
    return special.ndtri((ranks - 3 / 8) / (c * d + 1 / 4)).reshape(x.shape)


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..m within each row, ties given their average rank: ``scipy.stats.rankdata`` along
    rows, four times faster (it sorts stably, which average ranks do not need)."""
    m = x.shape[1]
    order = np.argsort(x, axis=1)
    ordered = np.take_along_axis(x, order, axis=1)
    position = np.broadcast_to(np.arange(m), x.shape)
    first = np.ones(x.shape, dtype=bool)  # the first of a run of equal values
    first[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    last = np.ones(x.shape, dtype=bool)
    last[:, :-1] = first[:, 1:]
    start = np.maximum.accumulate(np.where(first, position, 0), axis=1)
    end = np.minimum.accumulate(np.where(last, position, m - 1)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty(x.shape)
    np.put_along_axis(ranks, order, (start + end) / 2 + 1, axis=1)
    return ranks


def _rhat_basic(x: np.ndarray) -> np.ndarray:
    """Potential scale reduction of (n, chain, draw) draws, per element."""
    d = x.shape[2]
    between = d * np.var(x.mean(axis=2), axis=1, ddof=1)
    within = np.mean(np.var(x, axis=2, ddof=1), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt((between / within + d - 1) / d)


def _elements_first(x: np.ndarray) -> np.ndarray:
    """(chain, draw, n) -> a contiguous (n, chain, draw) float array: draws along the fast axis."""
    return np.ascontiguousarray(np.moveaxis(np.asarray(x, dtype=float), 2, 0))


def diagnose(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank-normalised split R-hat, bulk ESS and tail ESS of (chain, draw, n) draws, per element.

    R-hat is the larger of the bulk and the folded (tails) one; bulk ESS is the ESS of the
    rank-normalised split chains; tail ESS the smaller ESS of the indicators of being below the
    5% and the 95% quantile. R-hat needs two chains, all three need four draws (else NaN).
    """
    c, d, n = x.shape
    nan = np.isnan(x).any(axis=(0, 1))
    if d < 4:
        return np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    y = _elements_first(x)
    split = _split_chains(y)
    z = _z_scale(split)
    if c < 2:
        rhat = np.full(n, np.nan)
    else:
        folded = np.abs(split - np.median(split.reshape(n, -1), axis=1)[:, None, None])
        rhat = np.maximum(_rhat_basic(z), _rhat_basic(_z_scale(folded)))
    bulk = _ess(z)
    flat = y.reshape(n, -1)
    tail = np.full(n, np.inf)
    for p in (0.05, 0.95):
        below = (y <= np.quantile(flat, p, axis=1)[:, None, None]).astype(float)
        tail = np.minimum(tail, _ess(_split_chains(below)))
    for out in (rhat, bulk, tail):
        out[nan] = np.nan
    return rhat, bulk, tail


def _ess(x: np.ndarray) -> np.ndarray:
    """Effective sample size of (n, chain, draw) draws, per element.

    Autocorrelations from the FFT, summed in pairs up to Geyer's initial positive sequence and
    made monotone, exactly as ArviZ's loop does for one element.
    """
    from scipy import fft

    n, c, d = x.shape
    centred = x - x.mean(axis=2, keepdims=True)
    m = fft.next_fast_len(2 * d)
    spec = fft.rfft(centred, n=m, axis=2)
    acov = fft.irfft(spec * np.conjugate(spec), n=m, axis=2)[:, :, :d] / d
    mean_var = acov[:, :, 0].mean(axis=1) * d / (d - 1.0)
    var_plus = mean_var * (d - 1.0) / d
    if c > 1:
        var_plus = var_plus + np.var(x.mean(axis=2), axis=1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = 1.0 - (mean_var[:, None] - acov.mean(axis=1)) / var_plus[:, None]  # (n, draw)
    rho[:, 0] = 1.0
    # Pairs P_j = rho[2j] + rho[2j+1]; the sum stops at the first j with P_j <= 0 or near the end.
    last = (d - 3) // 2  # the first j with 2j + 1 >= d - 3
    j = np.arange(last + 1)
    pairs = rho[:, 2 * j] + rho[:, 2 * j + 1]
    stop = (pairs <= 0) | (2 * j + 1 >= d - 3)
    k = np.argmax(stop, axis=1)  # pairs 0..k-1 count twice (made monotone), rho[2k] once
    kept = np.where(j < k[:, None], np.minimum.accumulate(pairs, axis=1), 0.0)
    rows = np.arange(n)
    tail = rho[rows, 2 * k]
    tail = np.where((k == 0) | (pairs[rows, k] >= 0) | (tail > 0), tail, 0.0)
    tau = -1.0 + 2.0 * kept.sum(axis=1) + tail
    size = c * d
    tau = np.maximum(tau, 1 / np.log10(size))
    ess = size / tau
    ess[np.isnan(rho).any(axis=1)] = np.nan
    ess[np.ptp(x.reshape(n, -1), axis=1) < np.finfo(float).resolution] = size
    return ess
