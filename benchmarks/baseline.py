"""The baseline: the same model and data as a careful user would write them in plain PyMC.

One likelihood term per report (a loop over the reports), centred hierarchical biases, and
default ``pm.sample`` settings. It shares the priors and the data of ``estimator``'s model
(both read the same ``ModelSpec``), so the two are compared on equal terms: same posterior,
different code.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from estimator.constants import (
    COVERAGE_PRIOR,
    DOCUMENTED_SD,
    LOG_TRUTH_SD,
    NEARLY_GAP,
    NOISE_FLOOR,
    NOISE_SD,
    RANGE_PROB,
    STANCES,
    TAU_MEDIAN,
    TAU_SD,
    UPPER_WIDTH,
)
from estimator.model.spec import ModelSpec
from estimator.stats import lognormal_from_range, z_of


def baseline_model(spec: ModelSpec) -> pm.Model:
    """A straightforward PyMC model of ``spec``: one random variable or potential per report."""
    z = z_of(RANGE_PROB)
    nl = spec.n_leaves
    with pm.Model() as model:
        # Truth: one variable per leaf (static) or a random walk of log rates (temporal).
        log_leaf = []
        ratios = {}
        for i in range(nl):
            if spec.link_index[i] >= 0:
                mu, sd = lognormal_from_range(*spec.links[spec.link_index[i]].ratio)
                ratios[i] = pm.Normal(f"log_ratio_{i}", mu, sd)
        if spec.temporal:
            kd = spec.knot_days
            rates = {}
            for i in spec.free_leaves:
                level = pm.Normal(f"level_{i}", spec.prior_mu[i], LOG_TRUTH_SD)
                tau = pm.LogNormal(f"tau_{i}", np.log(TAU_MEDIAN * np.sqrt(kd / 7)), TAU_SD)
                steps = pm.Normal(f"steps_{i}", 0, 1, shape=spec.n_knots)
                walk = pt.cumsum(steps)
                rates[i] = level + tau * (walk - walk.mean())
            log_rate = [rates[spec.free[i]] + (ratios[i] if i in ratios else 0.0) for i in range(nl)]
            cum = [pt.concatenate([pt.zeros(1), pt.cumsum(pt.exp(lr) * kd)]) for lr in log_rate]

            def truth(i: int, t: float):
                k = min(int(t // kd), spec.n_knots - 1)
                return cum[i][k] + pt.exp(log_rate[i][k]) * (t - k * kd)
        else:
            free = {i: pm.Normal(f"log_N_{i}", spec.prior_mu[i], LOG_TRUTH_SD) for i in spec.free_leaves}
            log_leaf = [free[spec.free[i]] + (ratios[i] if i in ratios else 0.0) for i in range(nl)]

            def truth(i: int, t: float):
                return pt.exp(log_leaf[i])

        # Sources: centred hierarchy by stance, a noise per source, a coverage per documenter.
        sp = spec.stance_prior
        stance_mu = {
            g: pm.Normal(f"mu_{g}", sp[g]["mu"], sp[g]["mu_sd"]) if sp[g]["mu_sd"] > 0 else sp[g]["mu"]
            for g in STANCES
        }
        bias = []
        for j, (_s, g) in enumerate(spec.bias_rows):
            if spec.bias_mode[j] == 2:
                bias.append(0.0)
            elif spec.bias_mode[j] == 1:
                bias.append(pm.Normal(f"bias_{j}", spec.bias_mu[j], spec.bias_sd[j]))
            else:
                bias.append(pm.Normal(f"bias_{j}", stance_mu[g], sp[g]["spread"]))
        noise = [
            pm.LogNormal(f"noise_{k}", np.log(spec.noise_median[k]), NOISE_SD)
            for k in range(len(spec.source_names))
        ]
        cover = [pm.Beta(f"coverage_{k}", *COVERAGE_PRIOR) for k in range(len(spec.cover_rows))]

        # One likelihood per report.
        for r, kind in enumerate(spec.kind):
            members = np.flatnonzero(spec.membership[r])
            total = sum(truth(i, spec.t_end[r]) for i in members)
            if spec.t_begin[r] > 0:
                total = total - sum(truth(i, spec.t_begin[r]) for i in members)
            if kind == "documented":
                eta = pt.log(total) + pt.log(cover[spec.cover_index[r]])
                sd = DOCUMENTED_SD
            else:
                eta = pt.log(total) + bias[spec.bias_index[r]]
                sd = pt.sqrt(noise[spec.noise_index[r]] ** 2 + NOISE_FLOOR**2 + spec.extra_sd[r] ** 2)
            y = spec.y[r]
            if spec.small[r]:
                alpha = 1 / sd**2
                pm.NegativeBinomial(f"obs_{r}", mu=pt.exp(eta), alpha=alpha, observed=y)
            elif kind in ("exact", "approx", "documented"):
                pm.Normal(f"obs_{r}", eta, sd, observed=y)
            elif kind == "range":
                w = spec.width[r] / (2 * z)
                pm.Normal(f"obs_{r}", eta, pt.sqrt(sd**2 + w**2), observed=y)
            elif kind == "upper_estimate":
                pm.Normal(f"obs_{r}", eta + z * UPPER_WIDTH, pt.sqrt(sd**2 + UPPER_WIDTH**2), observed=y)
            elif kind == "at_least":
                pm.Censored(f"obs_{r}", pm.Normal.dist(eta, sd), lower=y, upper=None, observed=y)
            elif kind == "at_most":
                pm.Censored(f"obs_{r}", pm.Normal.dist(eta, sd), lower=None, upper=y, observed=y)
            else:  # nearly / over: interval-censored
                lo, hi = (y + np.log1p(-NEARLY_GAP), y) if kind == "nearly" else (y, y + np.log1p(NEARLY_GAP))
                d = pm.Normal.dist(eta, sd)
                pm.Potential(f"obs_{r}", pm.math.logdiffexp(pm.logcdf(d, hi), pm.logcdf(d, lo)))
        # The headline: every leaf at as_of.
        horizon = float((spec.as_of - spec.start).days) if spec.temporal else 0.0
        pm.Deterministic("N", pt.stack([truth(i, horizon) for i in range(nl)]))
    return model
