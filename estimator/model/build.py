"""Build the PyMC graph from a :class:`ModelSpec`.

One likelihood term per kind of figure, fed by index arrays held as model data, so the graph
does not grow with the number of reports, and a new data set with the same quantities, sources
and kinds of figure, however many reports it has, can be swapped in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from ..constants import (
    COVERAGE_PRIOR,
    DOCUMENTED_SD,
    KINDS,
    LOG_TRUTH_SD,
    NEARLY_GAP,
    NOISE_FLOOR,
    NOISE_SD,
    OUTLIER_PRIOR,
    STANCES,
    TAU_MEDIAN,
    TAU_SD,
)
from . import likelihoods as lik
from . import timeline
from .spec import ModelSpec

#: Model data that a fit sets from its posterior's mode rather than from the reports
#: (``fit._turn_coverage``); a saved result keeps them (``persist``).
FIT_DATA = ("coverage_shift", "coverage_shift_at")


def set_fit_data(model: pm.Model, values: dict) -> None:
    """Set the ``FIT_DATA`` in ``values`` on ``model`` (names the model lacks are skipped).

    Set directly: their lengths are the model's own, and ``pm.set_data`` took 10 s at 10,000
    reports checking them against its dims.
    """
    for name, value in values.items():
        if name in model.named_vars:
            model[name].set_value(np.asarray(value, dtype=float))


@dataclass
class BuiltModel:
    """The PyMC model with handles on the tensors the result needs after sampling."""

    model: pm.Model
    eta: pt.TensorVariable  # per report, in ``order``: the source's perceived value (log scale)
    sd: pt.TensorVariable  # per report, in ``order``: the noise sd its likelihood uses
    order: np.ndarray  # position i of eta / sd is the report spec.clean[order[i]]
    loglik: dict[str, tuple[np.ndarray, pt.TensorVariable]]  # kind -> (report rows, elementwise)
    truth_names: list[str]  # free random variables that hold the truth
    robust: bool = False  # outlier mixture (see constants.OUTLIER_SD)
    p_out: pt.TensorVariable | None = None  # per report, in ``order``: its outlier probability
    # robust fits: kind -> (report rows, elementwise log-likelihood of the honest component
    # alone, the outlier probability of each of those reports)
    loglik_honest: dict[str, tuple[np.ndarray, pt.TensorVariable, pt.TensorVariable]] | None = None
    # The structure it was built for (``fit.compiled_model``'s key; empty if not made there):
    # functions of it compiled for one result are kept on disk under it (``disk_cache``).
    key: tuple = ()


def _groups(spec: ModelSpec) -> dict[str, np.ndarray]:
    """Report rows of each likelihood term: one per kind, plus ``count`` for small counts."""
    out = {}
    for k in KINDS:
        rows = np.flatnonzero((spec.kind == k) & ~spec.small)
        if rows.size:
            out[k] = rows
    rows = np.flatnonzero(spec.small)
    if rows.size:
        out["count"] = rows
    return out


def build_model(spec: ModelSpec, *, robust: bool = False) -> BuiltModel:
    """The PyMC model of docs/model.md for this spec.

    ``robust=True`` gives every source an outlier probability (``outlier_prob``, Beta
    ``OUTLIER_PRIOR``): each figure of every kind a source's noise applies to is, with that
    probability, a fabrication with ``OUTLIER_SD`` more scatter (a two-component mixture, censored
    kinds through its CDF). Documented counts and small counts are unchanged.
    """
    nl = spec.n_leaves
    free = spec.free_leaves
    groups = _groups(spec)
    order = np.concatenate(list(groups.values()))
    coords = {
        "quantity": [f"{p} {c}" for p, c in spec.leaves],
        "free_quantity": [f"{spec.leaves[i][0]} {spec.leaves[i][1]}" for i in free],
        "source": spec.source_names,
        "bias_row": [f"{s} ({g})" for s, g in spec.bias_rows],
        "report": order,
    }
    if spec.cover_rows:
        coords["cover_row"] = spec.cover_rows
    if spec.temporal:
        coords["knot"] = np.arange(spec.n_knots)

    # The numbers of reports and of (report, quantity) pairs are data, not part of the graph:
    # data of another size (a report added or dropped, with the same sources, quantities and
    # kinds of figure) reuses the compiled model, nutpie's Numba code included. Every array
    # of one length is declared to have that one symbolic length: with two arrays of unknown
    # length in one elementwise operation PyTensor checks that they match and takes the
    # length of either one at random in each process, giving two graphs (and two compiles)
    # for one model.
    def report_data(name: str, values: np.ndarray) -> pt.TensorVariable:
        return pt.specify_shape(pm.Data(name, values, dims="report"), (n_rows,))

    with pm.Model(coords=coords) as model:
        n_rows = pm.Data("report_count", np.int64(order.size))
        # --- latent truth -------------------------------------------------------------------
        mu0 = pm.Data("prior_mu", spec.prior_mu[free], dims="free_quantity")
        linked = np.flatnonzero(spec.link_index >= 0)
        log_ratio = None
        if linked.size:
            lr_mu, lr_sd = _link_priors(spec, linked)
            coords_l = [f"{spec.leaves[i][0]} {spec.leaves[i][1]}" for i in linked]
            model.add_coord("linked_quantity", coords_l)
            z_ratio = pm.Normal("z_ratio", 0.0, 1.0, dims="linked_quantity")
            log_ratio = pm.Deterministic("log_ratio", lr_mu + lr_sd * z_ratio, dims="linked_quantity")
        free_pos = np.full(nl, -1)
        free_pos[free] = np.arange(free.size)
        pairs = _report_leaf_pairs(spec, order)
        model.add_coord("pair", np.arange(pairs["report"].size))
        n_pairs = pm.Data("pair_count", np.int64(pairs["report"].size))

        def pair_data(name: str, values: np.ndarray) -> pt.TensorVariable:
            return pt.specify_shape(pm.Data(name, values, dims="pair"), (n_pairs,))

        report_sd = _report_sd(spec, order) if spec.temporal else None
        centring, offset, walk_weights = (
            _walk_centring(spec, pairs, report_sd, free_pos)
            if spec.temporal and spec.n_knots > 1
            else (None, None, None)
        )
        cosine = centring is not None and centring.any()
        bias = log_cover = None
        if spec.temporal:
            anchor = _level_anchor(spec, order, pairs, report_sd, free_pos) if cosine else None
            if anchor is not None:
                # Drawn as the sources see it: the level plus the reporting sources' mean bias,
                # which the reports pin; the level itself keeps its prior (the potential), and no
                # longer slides against every source's bias at once. See docs/performance.md.
                model.add_coord("stance", list(STANCES))
                bias = _biases(spec, turn=True)
                v_bias, v_cover = anchor
                seen = pm.Normal("level_seen", mu0, LOG_TRUTH_SD, dims="free_quantity")
                weights = pm.Data("level_anchor", v_bias, dims=("free_quantity", "bias_row"))
                sources_see = pt.dot(weights, bias)
                if v_cover is not None:
                    # Documented counts pin the level with their lists' coverage, as reports
                    # pin it with their sources' bias: both are in what the reports see.
                    log_cover = _coverage_seen(spec, bias, v_bias)
                    cover_weights = pm.Data(
                        "level_anchor_cover", v_cover, dims=("free_quantity", "cover_row")
                    )
                    sources_see = sources_see + pt.dot(cover_weights, log_cover)
                level_seen = seen - sources_see
            else:
                level = pm.Normal("level", mu0, LOG_TRUTH_SD, dims="free_quantity")
            tau = pm.LogNormal(
                "tau", np.log(TAU_MEDIAN * np.sqrt(spec.knot_days / 7)), TAU_SD, dims="free_quantity"
            )
            if cosine:
                model.add_coord("mode", np.arange(1, spec.n_knots))
                # The walk is drawn in its cosine modes (timeline.walk_basis), each mode's
                # amplitude (prior Normal(0, tau)) as tau ** (1 - c) * z with z ~ Normal(0,
                # tau ** c): the same prior for any c, which is chosen per mode from how much the
                # reports say about it (_walk_centring). The walk is zero on average over the
                # weeks weighted by what the reports say about them (timeline.walk_weights), so
                # the level is the log rate there: the steps of the walk keep their prior, and the
                # level no longer moves with the weeks the reports barely see. See
                # docs/performance.md.
                c = pm.Data("walk_centring", centring, dims=("free_quantity", "mode"))
                # tau ** c as exp(c log tau): log tau is what the sampler moves (PyTensor
                # rewrites log(exp(x)) to x), so each mode costs one exp instead of two powers,
                # and its gradient no logs (a sixth of the gradient at 10,000 reports).
                tau_c = pt.exp(c * pt.log(tau)[:, None])
                z_walk = pm.Normal("z_walk", 0.0, tau_c, dims=("free_quantity", "mode"))
                amplitude = z_walk * (tau[:, None] / tau_c)
                walk = pt.dot(amplitude, pm.Data("walk_basis", timeline.walk_basis(spec.n_knots)))
                shift = (amplitude * pm.Data("walk_offset", offset, dims=("free_quantity", "mode"))).sum(
                    axis=1
                )
                walk = walk - shift[:, None]
                if anchor is not None:
                    # What cumulative figures pin is the log of the mean rate, not the mean log
                    # rate: a wider walk (a larger tau) needs a lower mean log rate for the same
                    # counts (Jensen), so the level slid with log tau in the posterior
                    # (correlation -0.43 to -0.73 at 10,000 reports: a curved ridge). So the
                    # drawn coordinate is the log of the rate averaged with the walk's weights
                    # (as the sources see it), and the level is that minus the walk's
                    # log-mean-exp there. The map has slope 1 in the drawn coordinate, so the
                    # potential gives the level its prior exactly. See docs/performance.md.
                    log_mean = pt.log(
                        (
                            pm.Data("walk_weights", walk_weights, dims=("free_quantity", "knot"))
                            * pt.exp(walk)
                        ).sum(axis=1)
                    )
                    level = pm.Deterministic("level", level_seen - log_mean, dims="free_quantity")
                    pm.Potential(
                        "level_prior",
                        -0.5 * (pt.sqr(level - mu0) - pt.sqr(seen - mu0)).sum() / LOG_TRUTH_SD**2,
                    )
                log_rate_free = level[:, None] + walk
            elif spec.n_knots > 1:
                # No walk pinned by the reports: the same prior as standard-normal steps summed.
                # On small data these sampled cleanly (no divergent fit of 200 calibration
                # datasets) where the cosine modes without centring did not (2 of 17).
                steps = pm.Normal("steps", 0.0, 1.0, dims=("free_quantity", "knot"))
                walk = pt.cumsum(steps, axis=1)
                walk = walk - walk.mean(axis=1, keepdims=True)
                log_rate_free = level[:, None] + tau[:, None] * walk
            else:
                log_rate_free = level[:, None] * pt.ones((1, 1))
            log_rate = _expand(log_rate_free, spec, free_pos, linked, log_ratio, axis_extra=True)
            log_rate = pm.Deterministic("log_rate", log_rate, dims=("quantity", "knot"))
            rate = pt.exp(log_rate)
            kd = float(spec.knot_days)
            cum = pt.concatenate([pt.zeros((nl, 1)), pt.cumsum(rate * kd, axis=1)], axis=1)
            # Each (report, leaf) pair reads the cumulative truth of its leaf at its day from the
            # flattened (leaf, knot) tables; pairs are then summed into their reports. Work and
            # memory grow with the pairs, not with reports x leaves.
            width = spec.n_knots + 1
            cum_flat = cum.ravel()
            rate_flat = pt.concatenate([rate, pt.zeros((nl, 1))], axis=1).ravel()
            # Where each pair reads the tables, and how far into its knot's week its day is, are
            # computed here once rather than in every gradient (3% of it at 100,000 reports in
            # PyTensor's C profile; within the noise of the Numba gradient's timings).
            k = np.clip(np.floor(pairs["day"] / kd).astype("int64"), 0, spec.n_knots - 1)
            p_report = pair_data("pair_report", pairs["report"])
            flat = pair_data("pair_cell", pairs["leaf"] * width + k)
            p_frac = pair_data("pair_frac", pairs["day"] - k * kd)
            p_sign = pair_data("pair_sign", pairs["sign"])
            n_pair = p_sign * (cum_flat[flat] + rate_flat[flat] * p_frac)
            n_report = pt.inc_subtensor(pt.zeros(n_rows)[p_report], n_pair)
            horizon = float((spec.as_of - spec.start).days) if spec.as_of and spec.start else 0.0
            # The date of the headline is data too: a later report (in the same last knot)
            # does not change the graph.
            n_now = _truth_at(cum, rate, pm.Data("horizon", np.array([horizon])), kd, spec.n_knots)[0]
            pm.Deterministic("N", n_now, dims="quantity")
        else:
            log_n_free = pm.Normal("log_N_free", mu0, LOG_TRUTH_SD, dims="free_quantity")
            log_n = _expand(log_n_free, spec, free_pos, linked, log_ratio, axis_extra=False)
            n_leaf = pm.Deterministic("N", pt.exp(log_n), dims="quantity")
            p_report = pair_data("pair_report", pairs["report"])
            p_leaf = pair_data("pair_leaf", pairs["leaf"])
            n_report = pt.inc_subtensor(pt.zeros(n_rows)[p_report], n_leaf[p_leaf])
        log_n_report = pt.log(n_report)

        # --- sources ------------------------------------------------------------------------
        if bias is None:
            bias = _biases(spec)
        z_noise = pm.Normal("z_noise", 0.0, 1.0, dims="source")
        noise_median = pm.Data("noise_median", spec.noise_median, dims="source")
        noise = pm.Deterministic("noise", noise_median * pt.exp(NOISE_SD * z_noise), dims="source")
        if log_cover is None:  # else drawn with the level above
            if spec.cover_rows:
                log_cover = pt.log(pm.Beta("coverage", *COVERAGE_PRIOR, dims="cover_row"))
            else:
                log_cover = pt.zeros(1)
        p_out = None
        if robust:
            outlier_prob = pm.Beta("outlier_prob", *OUTLIER_PRIOR, dims="source")
            src_idx = report_data("source_index", spec.noise_index[order])
            # 0 where the mixture does not apply (documented and small counts), for the
            # predictive checks; those likelihood terms never read it.
            mixed = (spec.kind[order] != "documented") & ~spec.small[order]
            p_out = outlier_prob[src_idx] * report_data("mixed", mixed.astype(float))

        # --- one likelihood term per kind -----------------------------------------------------
        # Reports are sorted by likelihood term so that each term reads a contiguous slice:
        # slicing is cheaper than gathering, and so is its gradient.
        n_bias = max(len(spec.bias_rows), 1)
        is_doc = spec.kind[order] == "documented"
        # One gather for the offset (bias, or log coverage for documented counts) and one for
        # the noise sd (the source's, or the fixed scatter of documented counts).
        offsets = pt.concatenate([bias, log_cover])
        off_idx = report_data(
            "offset_index", np.where(is_doc, n_bias + spec.cover_index[order], spec.bias_index[order])
        )
        sd_src = pt.concatenate([pt.sqrt(pt.sqr(noise) + NOISE_FLOOR**2), pt.as_tensor([DOCUMENTED_SD])])
        sd_idx = report_data("sd_index", np.where(is_doc, len(spec.source_names), spec.noise_index[order]))
        extra_sd = report_data("extra_sd", spec.extra_sd[order])
        eta = log_n_report + offsets[off_idx]
        sd = pt.sqrt(pt.sqr(sd_src[sd_idx]) + pt.sqr(extra_sd))
        y_all = report_data("y", spec.y[order])
        width_all = report_data("width", spec.width[order])
        # 1 or 0 per report: a refit without some reports keeps the graph (and its compile).
        weight_all = report_data("weight", spec.weights()[order])
        loglik: dict[str, tuple[np.ndarray, pt.TensorVariable]] = {}
        honest: dict[str, tuple[np.ndarray, pt.TensorVariable, pt.TensorVariable]] = {}
        # Where each kind's slice starts and ends is data too (see report_count above).
        ends = np.cumsum([0, *(rows.size for rows in groups.values())])
        bounds = pm.Data("kind_bounds", ends.astype("int64"))
        for i, (name, rows_np) in enumerate(groups.items()):
            lo, hi = bounds[i], bounds[i + 1]
            length = hi - lo

            def part(x: pt.TensorVariable, lo=lo, hi=hi, length=length) -> pt.TensorVariable:
                return pt.specify_shape(x[lo:hi], (length,))

            e, s, y = part(eta), part(sd), part(y_all)
            # robust: the outlier mixture for every kind a source's own noise applies to; a
            # documented count keeps its fixed normal scatter, small counts their count model.
            rb = None if p_out is None else part(p_out)
            term = _term(name, y, e, s, part(width_all), rb)
            pm.Potential(f"loglik_{name}", (term * part(weight_all)).sum())
            loglik[name] = (rows_np, term)
            if rb is not None and name not in ("documented", "count"):
                # The same term without the fabrication component: not in the model's density,
                # only read after sampling for each figure's probability of being a fabrication.
                honest[name] = (rows_np, _term(name, y, e, s, part(width_all), None), rb)
    walk_rv = "z_walk" if "z_walk" in model.named_vars else "steps"
    level_rv = "level_seen" if "level_seen" in model.named_vars else "level"
    truth = [level_rv, "tau", walk_rv] if spec.temporal else ["log_N_free"]
    return BuiltModel(
        model=model,
        eta=eta,
        sd=sd,
        order=order,
        loglik=loglik,
        truth_names=truth,
        robust=robust,
        p_out=p_out,
        loglik_honest=honest if robust else None,
    )


def _biases(spec: ModelSpec, *, turn: bool = False) -> pt.TensorVariable:
    """Each bias row's log factor reported/true: pooled by stance, its own prior, or 0.

    ``turn=True`` draws the standard normal ``z_bias`` as a fixed rotation of standard normals
    ``z_bias_turned`` (the same prior): within each stance's pooled rows, one of them carries the
    rows' mean and the others what is left (:func:`_stance_turn`). The mean of a stance's
    biases is then one coordinate for the sampler rather than a direction across all its rows.
    """
    sp = spec.stance_prior
    mu_g = []
    for g in STANCES:
        if sp[g]["mu_sd"] > 0 and g in {s for _, s in spec.bias_rows}:
            z = pm.Normal(f"z_mu_{g}", 0.0, 1.0)
            mu_g.append(pm.Deterministic(f"mu_{g}", sp[g]["mu"] + sp[g]["mu_sd"] * z))
        else:
            mu_g.append(pt.as_tensor(sp[g]["mu"]))
    mu_stance = pt.stack(mu_g)
    spread = pt.as_tensor(np.array([sp[g]["spread"] for g in STANCES]))
    # Per-row and per-source arrays are data, not constants: PyTensor's Numba backend (nutpie)
    # inlines constant arrays into the code it generates, and with 200 sources that took
    # 87 s and 4.2 GB to compile at 10,000 reports, against 17 s and 0.6 GB as data.
    if spec.bias_rows:
        if turn:
            w, member = _stance_turn(spec)
            u = pm.Normal("z_bias_turned", 0.0, 1.0, dims="bias_row")
            w = pm.Data("bias_turn", w, dims="bias_row")
            member = pm.Data("bias_turn_group", member, dims=("stance", "bias_row"))
            # A Householder reflection in each group: z = u - 2 w (w . u) / (w . w).
            along = pt.dot(member, w * u) / pt.maximum(pt.dot(member, w * w), 1e-12)
            z_b = pm.Deterministic("z_bias", u - 2.0 * w * pt.dot(along, member), dims="bias_row")
        else:
            z_b = pm.Normal("z_bias", 0.0, 1.0, dims="bias_row")
        st = pm.Data("bias_stance", spec.bias_stance, dims="bias_row")
        mode = pm.Data("bias_mode", spec.bias_mode, dims="bias_row")
        b_mu = pm.Data("bias_mu", spec.bias_mu, dims="bias_row")
        b_sd = pm.Data("bias_sd", spec.bias_sd, dims="bias_row")
        pooled = mu_stance[st] + spread[st] * z_b
        own = b_mu + b_sd * z_b
        b = pt.switch(pt.eq(mode, 0), pooled, pt.switch(pt.eq(mode, 1), own, 0.0))
        bias = pm.Deterministic("bias", b, dims="bias_row")
    else:
        bias = pt.zeros(1)
    return bias


def _stance_turn(spec: ModelSpec) -> tuple[np.ndarray, np.ndarray]:
    """The reflections of :func:`_biases` (``turn=True``): ``(w, member)``.

    ``member`` (stance, bias row) marks the rows pooled by each stance; ``w`` is, within a
    stance's ``n`` rows, ``e_first - 1 / sqrt(n)``, so that the reflection maps the first of
    them to their mean direction ``1 / sqrt(n)``: 0 (no turn) for a lone row and outside the
    pools. The shapes do not depend on the data, so a refit can swap them in.
    """
    pooled = np.asarray(spec.bias_mode) == 0
    stance = np.asarray(spec.bias_stance)
    w = np.zeros(len(spec.bias_rows))
    member = np.zeros((len(STANCES), len(spec.bias_rows)))
    for g in range(len(STANCES)):
        rows = np.flatnonzero(pooled & (stance == g))
        if rows.size:
            member[g, rows] = 1.0
            w[rows] = -1.0 / np.sqrt(rows.size)
            w[rows[0]] += 1.0
    return w, member


#: A quantity's walk is drawn partly centred only when the reports give its slowest mode at
#: least this share of its posterior precision (``_walk_centring``).
WALK_CENTRE_MIN = 0.9


def _walk_centring(
    spec: ModelSpec, pairs: dict[str, np.ndarray], sd: np.ndarray, free_pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How centred each mode of each walk is drawn (1 where the reports pin it, 0 where they
    don't), and where each walk is zero: ``(centring, offset, weights)``, the first two (free
    quantity, mode), the weights over the knots (free quantity, knot).

    A mode's amplitude ``a`` has prior Normal(0, tau). It is drawn as ``tau ** (1 - c) * z`` with
    ``z ~ Normal(0, tau ** c)``: the same prior for every ``c``, but the sampler moves freely
    when ``c`` is near the share of the mode's posterior precision that comes from the data
    (``c = 0`` for modes the reports say little about, where ``z`` would otherwise be pulled into a
    funnel with ``tau``; ``c = 1`` for modes they pin, where ``z`` would otherwise be tied to
    ``tau`` along a curved ridge). The share is computed from the data before sampling, with
    each leaf's rate at its prior centre and each source's noise at its prior median. A walk
    whose slowest mode gets less than ``WALK_CENTRE_MIN`` of its precision is not centred at all.

    ``offset`` is ``walk_basis @ weights`` per quantity, with the ``weights`` of
    :func:`timeline.walk_weights`: the walk minus ``amplitude @ offset`` is zero on average at
    those weights, and the shares above are computed for that walk.
    """
    kd = float(spec.knot_days)
    basis = timeline.walk_basis(spec.n_knots)
    args = (
        np.exp(spec.prior_mu),
        pairs["report"],
        pairs["leaf"],
        pairs["day"],
        pairs["sign"],
        sd,
        free_pos[spec.free],
        spec.free_leaves.size,
    )
    weights = timeline.walk_weights(spec.n_knots, kd, *args)
    offset = weights @ basis.T
    info = timeline.walk_information(basis, kd, *args, offset=offset)
    tau2 = TAU_MEDIAN**2 * kd / 7
    share = tau2 * info / (1.0 + tau2 * info)
    # A walk whose slowest mode the reports do not pin is left non-centred: its tau is weakly
    # known, and partial centring ties z to it in a funnel (with every share used as is, 2 of
    # 72 small temporal calibration fits had a divergent transition, at shares up to 0.33; at
    # 0.5 as the bar, 1 of the 17 such fits that then centred a walk).
    pinned = share[:, :1] >= WALK_CENTRE_MIN
    return np.where(pinned, share, 0.0), offset, weights


def _report_sd(spec: ModelSpec, order: np.ndarray) -> np.ndarray:
    """Each report's noise sd on the log scale before sampling (sources' noise at its prior
    median), in ``order``; infinite for a report left out of the fit (weight 0)."""
    is_doc = spec.kind[order] == "documented"
    noise = np.sqrt(spec.noise_median[spec.noise_index[order]] ** 2 + NOISE_FLOOR**2)
    sd = np.where(is_doc, DOCUMENTED_SD, noise)
    sd = np.sqrt(sd**2 + spec.extra_sd[order] ** 2 + (spec.width[order] / 2) ** 2)
    weight = spec.weights()[order]
    return np.where(weight > 0, sd / np.sqrt(np.maximum(weight, 1e-12)), np.inf)


def _level_anchor(
    spec: ModelSpec, order: np.ndarray, pairs: dict[str, np.ndarray], sd: np.ndarray, free_pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Weights ``(v, v_cover)`` (free quantity, bias row) and (free quantity, cover row) such
    that ``level + v @ bias + v_cover @ log(coverage)`` is what the reports pin of each
    quantity's level; None without bias rows, ``v_cover`` None without documented counts.

    To first order a report's log figure is ``sum_q s_q level_q + bias_j`` (``s_q``: the share of
    its count that is quantity ``q``'s, each leaf's daily rate at its prior centre). With
    ``I_qq = sum s_q ** 2 / sd ** 2`` and ``I_qj = sum s_q / sd ** 2`` over the reports of bias
    row ``j``, ``v_qj = I_qj / I_qq`` makes the reports' information about ``level + v @ bias``
    uncoupled from that about the biases. Documented counts do the same with their list's log
    coverage in place of a bias. Rows are scaled down where their sum would pass 1.
    """
    if not spec.bias_rows:
        return None
    n_q = spec.free_leaves.size
    # Each (report, quantity): the quantity's count and the report's, both under the prior rates.
    sums = timeline.report_group_sums(
        lambda day, _leaf: day[:, None],
        np.exp(spec.prior_mu),
        pairs["report"],
        pairs["leaf"],
        pairs["day"],
        pairs["sign"],
        free_pos[spec.free],
        n_q,
    )
    # Each report's offset: its bias row, or after them its list's coverage (documented counts).
    n_bias = len(spec.bias_rows)
    is_doc = spec.kind[order] == "documented"
    row = np.where(is_doc, n_bias + spec.cover_index[order], spec.bias_index[order])
    info_qq = np.zeros(n_q)
    info_qj = np.zeros((n_q, n_bias + len(spec.cover_rows)))
    for group, report, summed, count in sums:
        share = summed[:, 0] / np.maximum(count, 1e-12)
        prec = 1.0 / sd[report] ** 2
        np.add.at(info_qq, group, share**2 * prec)
        offset = row[report] >= 0
        np.add.at(info_qj, (group[offset], row[report][offset]), (share * prec)[offset])
    v = info_qj / np.where(info_qq > 0, info_qq, 1.0)[:, None]
    v /= np.maximum(v.sum(axis=1, keepdims=True), 1.0)
    return v[:, :n_bias], (v[:, n_bias:] if spec.cover_rows else None)


def _coverage_seen(spec: ModelSpec, bias: pt.TensorVariable, v_bias: np.ndarray) -> pt.TensorVariable:
    """Each list's log coverage, drawn so that it moves with the sources' biases (the level's
    anchor, :func:`_level_anchor`, and documented counts).

    What the reports pin is truth times bias, and truth times coverage. A shift of every bias
    by ``d`` moves the levels by ``-d`` (the anchor), so each coverage must move by ``+d`` on the
    log scale: with 200 lists that was a direction across 200 coordinates that the sampler
    crossed slowly. Here the sampler moves ``x = logit(coverage_seen)`` and

        logit(coverage) = x + shift * (w . bias - shift_at)

    with ``w`` the anchor's weights of the bias rows, normalised to sum 1, and ``shift``
    (data, 0 by default: then coverage is coverage_seen) set from the posterior's mode to
    ``1 / (1 - coverage)`` there (``fit._turn_coverage``), the slope of the logit in the log.
    For fixed biases this is a shift of ``x``, so the prior Beta(COVERAGE_PRIOR) of the
    coverage is kept by a potential: its density on the logit scale at ``coverage`` less that
    at ``coverage_seen``. The same model at any ``shift``.
    """
    a, b = COVERAGE_PRIOR
    col = v_bias.sum(axis=0)
    w = col / col.sum() if col.sum() > 0 else col
    seen = pm.Beta("coverage_seen", a, b, dims="cover_row")
    shift = pm.Data("coverage_shift", np.zeros(len(spec.cover_rows)), dims="cover_row")
    shift_at = pm.Data("coverage_shift_at", np.float64(0.0))
    weights = pm.Data("coverage_shift_weights", w, dims="bias_row")
    logit_seen = pt.log(seen) - pt.log1p(-seen)
    logit = logit_seen + shift * (pt.dot(weights, bias) - shift_at)
    log_c, log_1mc = -pt.softplus(-logit), -pt.softplus(logit)
    pm.Deterministic("coverage", pt.exp(log_c), dims="cover_row")
    pm.Potential(
        "coverage_prior",
        (a * (log_c - pt.log(seen)) + b * (log_1mc - pt.log1p(-seen))).sum(),
    )
    return log_c


def _term(name: str, y, e, s, width, p_out):
    """The elementwise log-likelihood of one kind's reports (``p_out``: the outlier mixture)."""
    if name == "documented":
        return lik.point(y, e, s)
    if name in ("exact", "approx"):
        return lik.point(y, e, s, p_out=p_out)
    if name == "nearly":
        return lik.interval(y + np.log1p(-NEARLY_GAP), y, e, s, p_out=p_out)
    if name == "over":
        return lik.interval(y, y + np.log1p(NEARLY_GAP), e, s, p_out=p_out)
    if name == "range":
        return lik.range_(y, width, e, s, p_out=p_out)
    if name == "at_least":
        return lik.at_least(y, e, s, p_out=p_out)
    if name == "at_most":
        return lik.at_most(y, e, s, p_out=p_out)
    if name == "upper_estimate":
        return lik.upper_estimate(y, e, s, p_out=p_out)
    return lik.count(y, e, s)  # small counts


def _link_priors(spec: ModelSpec, linked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from ..stats import lognormal_from_range

    pairs = [lognormal_from_range(*spec.links[spec.link_index[i]].ratio) for i in linked]
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


def _expand(free_values, spec: ModelSpec, free_pos, linked, log_ratio, *, axis_extra: bool):
    """Values of every leaf from the free leaves, adding log ratios for linked ones."""
    base = free_values[free_pos[spec.free]]
    if linked.size == 0:
        return base
    shift = pt.zeros(spec.n_leaves)
    shift = pt.set_subtensor(shift[linked], log_ratio)
    return base + (shift[:, None] if axis_extra else shift)


def _report_leaf_pairs(spec: ModelSpec, order: np.ndarray) -> dict[str, np.ndarray]:
    """One row per (report, leaf) the report sums, reports in ``order``; a report about a window
    adds its leaves again at the window's start with sign -1."""
    rows0, leaves0 = np.nonzero(spec.membership[order])
    begin = spec.t_begin[order][rows0]
    windowed = begin > 0
    rows = np.concatenate([rows0, rows0[windowed]])
    leaves = np.concatenate([leaves0, leaves0[windowed]])
    day = np.concatenate([spec.t_end[order][rows0], begin[windowed]])
    sign = np.concatenate([np.ones(rows0.size), -np.ones(int(windowed.sum()))])
    return {
        "report": rows.astype("int64"),
        "leaf": leaves.astype("int64"),
        "day": day.astype(float),
        "sign": sign,
    }


def _truth_at(cum, rate, t, kd: float, n_knots: int):
    """Cumulative truth of every leaf at days ``t``: shape (len(t), n_leaves)."""
    k = pt.clip(pt.floor(t / kd).astype("int64"), 0, n_knots - 1)
    frac = t - k * kd
    return cum[:, k].T + rate[:, k].T * frac[:, None]
