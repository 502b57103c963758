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


def walk_basis(n_knots: int) -> np.ndarray:
    """The random walk's cosine modes: ``z @ walk_basis(K)`` is a centred standard random walk.

    A walk of ``K`` knots with standard normal steps, minus its mean, is exactly ``z @ basis``
    with ``z`` standard normal of length ``K - 1``: the cosine vectors are the eigenvectors of the
    walk's covariance (those of the path graph's Laplacian, whose eigenvalues are
    ``4 sin^2(pi j / 2K)``), and row ``j`` is scaled by one over the square root of its
    eigenvalue. The first rows are the slow changes of the rate, the last the week-to-week ones.
    """
    k = np.arange(n_knots)
    j = np.arange(1, n_knots)[:, None]
    phi = np.sqrt(2.0 / n_knots) * np.cos(np.pi * j * (k + 0.5) / n_knots)
    return phi / (2.0 * np.sin(np.pi * j / (2.0 * n_knots)))


def walk_information(
    basis: np.ndarray,
    knot_days: float,
    rate: np.ndarray,
    pair_report: np.ndarray,
    pair_leaf: np.ndarray,
    pair_day: np.ndarray,
    pair_sign: np.ndarray,
    report_sd: np.ndarray,
    leaf_group: np.ndarray,
    n_groups: int,
    block: int = 4096,
    offset: np.ndarray | None = None,
) -> np.ndarray:
    """How much the reports say about each mode of each walk: shape (n_groups, modes).

    The Fisher information of the log figures about each coefficient of ``basis`` (one walk per
    group of leaves, ``leaf_group``), taking every leaf's daily ``rate`` as constant over time and
    each report's noise sd as ``report_sd``. Only the diagonal (mode by mode) is computed.
    ``offset`` (n_groups, modes): each group's walk is ``amplitude @ basis`` minus
    ``amplitude @ offset[group]`` at every knot (``basis @ weights``: the walk is then zero at
    those weights, see :func:`walk_weights`). Reports are taken ``block`` at a time, so memory
    does not grow with their number.
    """
    info = np.zeros((n_groups, basis.shape[0]))

    def derivative(day: np.ndarray, leaf: np.ndarray) -> np.ndarray:  # of each pair's count, by mode
        cum = cumulative_at(basis, day, knot_days).T
        return cum if offset is None else cum - day[:, None] * offset[leaf_group[leaf]]

    pairs = (pair_report, pair_leaf, pair_day, pair_sign)
    for group, report, summed, count in report_group_sums(
        derivative, rate, *pairs, leaf_group, n_groups, block
    ):
        scale = 1.0 / (np.maximum(count, 1e-12) * report_sd[report])
        np.add.at(info, group, (summed * scale[:, None]) ** 2)
    return info


def walk_weights(
    n_knots: int,
    knot_days: float,
    rate: np.ndarray,
    pair_report: np.ndarray,
    pair_leaf: np.ndarray,
    pair_day: np.ndarray,
    pair_sign: np.ndarray,
    report_sd: np.ndarray,
    leaf_group: np.ndarray,
    n_groups: int,
    block: int = 4096,
) -> np.ndarray:
    """Weights over the knots of each walk at which the reports' information about its level is
    decoupled from its shape: shape (n_groups, n_knots), each row summing to 1.

    To first order a report's log figure moves with the log rate at knot ``k`` by ``g[k]``, the
    share of its count that falls in that knot (``rate`` taken as constant over time, as in
    :func:`walk_information`). Shifting a walk's whole log rate by ``d`` moves it by
    ``d * sum(g)``. The information the reports carry about that shift and about a change of
    shape ``v`` is coupled by ``sum_r g_r . v * sum(g_r) / sd_r ** 2``; it is zero for every
    shape with ``w . v = 0`` where ``w = sum_r g_r * sum(g_r) / sd_r ** 2``. Drawing the level as
    the log rate averaged with these weights (a walk that is zero there) keeps the level's
    posterior from moving with the stretches of time the reports say little about, such as the
    last weeks before the latest figure. A group that no report informs gets equal weights.
    """
    weights = np.zeros((n_groups, n_knots))
    starts = np.arange(n_knots) * knot_days

    def inside(day: np.ndarray, leaf: np.ndarray) -> np.ndarray:  # days of each pair in each knot
        days = np.clip(day[:, None] - starts[None, :], 0.0, None)
        days[:, :-1] = np.minimum(days[:, :-1], knot_days)  # the last knot runs on past the grid
        return days

    pairs = (pair_report, pair_leaf, pair_day, pair_sign)
    for group, report, summed, count in report_group_sums(inside, rate, *pairs, leaf_group, n_groups, block):
        g = summed / np.maximum(count, 1e-12)[:, None]
        np.add.at(weights, group, g * (g.sum(axis=1) / report_sd[report] ** 2)[:, None])
    total = weights.sum(axis=1, keepdims=True)
    return np.where(total > 0, weights / np.where(total > 0, total, 1.0), 1.0 / n_knots)


def report_group_sums(
    per_pair, rate, pair_report, pair_leaf, pair_day, pair_sign, leaf_group, n_groups, block=4096
):
    """Yield ``(group, report, sums, count)`` a block of reports at a time: for each (report,
    group of leaves) the sum over its pairs of ``per_pair(day, leaf) * sign * rate[leaf]``, and
    the report's whole count under the constant ``rate`` (``sign * rate * day`` over its pairs)."""
    if pair_report.size == 0:
        return
    order = np.argsort(pair_report, kind="stable")
    rep, leaf, day, sign = pair_report[order], pair_leaf[order], pair_day[order], pair_sign[order]
    n_rep = int(rep.max()) + 1
    count = np.zeros(n_rep)
    np.add.at(count, rep, sign * rate[leaf] * day)
    bounds = np.searchsorted(rep, np.arange(0, n_rep + block, block))
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=False):
        if lo == hi:
            continue
        r, lf = rep[lo:hi], leaf[lo:hi]
        rows = per_pair(day[lo:hi], lf) * (sign[lo:hi] * rate[lf])[:, None]
        uniq, inv = np.unique(r * n_groups + leaf_group[lf], return_inverse=True)
        summed = np.zeros((uniq.size, rows.shape[1]))
        np.add.at(summed, inv, rows)
        report = uniq // n_groups
        yield uniq % n_groups, report, summed, count[report]
