"""Sampler diagnostics: rank plots of the main parameters, with their R-hat and ESS.

Drawn here rather than with ``az.plot_trace(kind="rank_bars")``: that call passes matplotlib
3.11 a deprecated argument (a MatplotlibDeprecationWarning on every plot).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import stats

from ..constants import MAX_RHAT, MIN_ESS
from ..errors import ModelError
from ..reports import _did_you_mean
from ..stats import convergence
from ._style import STYLE, label, new_axes

#: The parameters worth looking at, in order: the truth (static ``log_N_free``, temporal
#: ``level`` and ``tau``), then the sources' bias and noise.
MAIN_PARAMETERS = ("log_N_free", "level", "tau", "bias", "noise")
#: Bins of each rank histogram.
RANK_BINS = 20
#: Chain colours.
CHAIN_COLORS = ("#1f4e79", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _var_names(result: Any, var_names: Sequence[str] | None) -> list[str]:
    post = result.posterior
    if var_names is None:
        return [v for v in MAIN_PARAMETERS if v in post]
    names = list(var_names)
    for v in names:
        if v not in post:
            known = [str(k) for k in post.data_vars]
            raise ModelError(
                f"var_names: {v!r} is not in the posterior{_did_you_mean(v, known)}; it has {', '.join(known)}."
            )
    return names


def diagnostics_data(
    result: Any, *, var_names: Sequence[str] | None = None, bins: int = RANK_BINS
) -> pd.DataFrame:
    """Rank histograms per chain of every element of the main parameters, with R-hat and ESS.

    The draws of all chains are ranked together; when the chains mix well each chain's ranks
    are uniform, so every bar is near ``expected``.

    Parameters
    ----------
    result
        A fitted :class:`estimator.Result`.
    var_names
        Posterior variables (default: ``log_N_free`` or ``level``/``tau``, ``bias``, ``noise``).
    bins
        Bins of each rank histogram.

    Returns
    -------
    pandas.DataFrame
        One row per (parameter, element, chain, bin): parameter, element (the coordinate, e.g.
        ``"NATO (neutral)"``), chain, bin, count, expected, r_hat, ess_bulk, ess_tail.

    Examples
    --------
    >>> d = diagnostics_data(result)  # doctest: +SKIP
    >>> d.groupby(["parameter", "element"]).r_hat.first().sort_values().tail()  # doctest: +SKIP
    """
    if bins < 2:
        raise ModelError(f"bins={bins!r}: give at least 2 bins.")
    names = _var_names(result, var_names)
    post = result.posterior[names]
    rhat, ess_b, ess_t = convergence(post)
    rows = []
    for v in names:
        da = post[v]
        extra = [d for d in da.dims if d not in ("chain", "draw")]
        values = da.transpose("chain", "draw", *extra).values
        n_chain, n_draw = values.shape[:2]
        flat = values.reshape(n_chain, n_draw, -1)
        for k, idx in enumerate(np.ndindex(*values.shape[2:])):
            element = ", ".join(str(da[d].values[i]) for d, i in zip(extra, idx, strict=True))
            x = flat[:, :, k]
            ranks = stats.rankdata(x.ravel()).reshape(x.shape)
            edges = np.linspace(0.5, x.size + 0.5, bins + 1)
            sel = {d: da[d].values[i] for d, i in zip(extra, idx, strict=True)}
            r_hat = float(rhat[v].sel(sel).values)
            eb, et = float(ess_b[v].sel(sel).values), float(ess_t[v].sel(sel).values)
            for c in range(n_chain):
                counts, _ = np.histogram(ranks[c], bins=edges)
                for b, n in enumerate(counts):
                    rows.append(
                        {
                            "parameter": v,
                            "element": element,
                            "chain": c,
                            "bin": b,
                            "count": int(n),
                            "expected": n_draw / bins,
                            "r_hat": r_hat,
                            "ess_bulk": eb,
                            "ess_tail": et,
                        }
                    )
    return pd.DataFrame(rows)


def plot_diagnostics(
    result: Any,
    *,
    var_names: Sequence[str] | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Rank plots: one panel per parameter element, one row of bars per chain.

    Well-mixed chains give flat rank histograms (bars near the dashed line); a chain stuck in
    one region shows bars piled at one end. Each panel's title gives R-hat and bulk ESS.

    Parameters
    ----------
    result
        A fitted :class:`estimator.Result`.
    var_names
        Posterior variables (default: the truth, ``bias`` and ``noise``).
    ax
        Draw into this Axes (needs ``var_names`` with a single scalar element).
    figsize
        Size of a new figure in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> plot_diagnostics(result, var_names=["bias"]).savefig("ranks.png")  # doctest: +SKIP
    """
    d = diagnostics_data(result, var_names=var_names)
    keys = list(dict.fromkeys(zip(d["parameter"], d["element"], strict=True)))
    with plt.style.context(STYLE):
        fig, axes = new_axes(
            len(keys), ax=ax, figsize=figsize, ncols=4, panel=(3.2, 2.0), what="the diagnostics plot"
        )
        for a, (v, el) in zip(axes, keys, strict=True):
            e = d[(d.parameter == v) & (d.element == el)]
            n_chain = int(e["chain"].max()) + 1
            height = 1.0 / n_chain
            for c in range(n_chain):
                ec = e[e.chain == c]
                scale = 0.9 * height / (2 * ec["expected"].iloc[0])
                a.bar(
                    ec["bin"],
                    ec["count"] * scale,
                    bottom=c * height,
                    width=1.0,
                    color=CHAIN_COLORS[c % len(CHAIN_COLORS)],
                    alpha=0.8,
                    edgecolor="white",
                    lw=0.4,
                )
                a.axhline(c * height + ec["expected"].iloc[0] * scale, color="#444444", lw=0.7, ls="--")
            a.set_yticks(
                [(c + 0.25) * height for c in range(n_chain)],
                [f"chain {c}" for c in range(n_chain)],
                fontsize=7,
            )
            a.set_xticks([])
            a.grid(False)
            first = e.iloc[0]
            flag = " ⚠" if first["r_hat"] > MAX_RHAT or first["ess_bulk"] < MIN_ESS else ""
            a.set_title(label(f"{v}[{el}]" if el else v), loc="left", fontsize=8)
            a.set_xlabel(f"rank · R-hat {first['r_hat']:.3f} · ESS {first['ess_bulk']:.0f}{flag}", fontsize=7)
    return fig
