"""The result of a fit: tables of the truth, the sources and the reports, and diagnostics."""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pytensor

from . import compat
from .checks import PRIOR_DOMINATED_RATIO
from .constants import (
    INTERVAL_PROB,
    MAX_RHAT,
    MIN_ESS,
    OUTLIER_SD,
    RANGE_PROB,
    STANCES,
    UPPER_WIDTH,
)
from .errors import FitWarning, ModelError
from .model.build import BuiltModel
from .model.spec import ModelSpec
from .model.timeline import cumulative_at
from .reports import Report, Source
from .settings import thin_sample
from .stats import bfmi as stats_bfmi
from .stats import convergence, diagnose, z_of

#: Functions of a model's free variables and data compiled for its results, by model and name
#: (``Result._compile``): (the function, the names of the data it takes after the variables).
_FUNCTIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _data_function(built: BuiltModel, name: str, outputs: Callable[[], Any], mode: str | None):
    """``outputs()`` as a function of the model's free variables, then of its data (in
    ``model.data_vars`` order), loaded from or kept on disk under the model's structure."""
    from .model import disk_cache

    model = built.model
    names = [v.name for v in model.data_vars]

    def build() -> dict:
        # Plain variables stand in for the free variables and the data: the function's inputs
        # then hold neither the random variables' graph nor the data, and it pickles.
        originals = [*model.free_RVs, *model.data_vars]
        stand_ins = [v.type(name=v.name) for v in originals]
        fn = pytensor.function(
            stand_ins,
            outputs(),
            givens=list(zip(originals, stand_ins, strict=True)),
            on_unused_input="ignore",
            mode=mode,
        )
        return {"function": fn, "data": names}

    entry = disk_cache.load_or_build(built.key, name, model, build, usable=lambda e: e["data"] == names)
    fn = entry["function"]
    # Its inputs are checked once per result (``Result._compile``), not on every call: 4,000
    # calls with 40 data arrays took a second on NATO.
    fn.trust_input = True
    return fn, names


#: Largest per-report log-likelihood (reports x draws) computed with the result: 2e7 values are
#: 160 MB; 100,000 reports x 4,000 draws would be 3.2 GB, so large fits compute it on demand.
EAGER_LOGLIK_MAX = 20_000_000

#: Posterior draws used for per-report and per-day tables (thinned evenly from all draws).
MAX_POST_DRAWS = 1000


@dataclass
class Quantity:
    """A row of the summary: a leaf or an aggregate of one party."""

    party: str
    category: str
    leaves: tuple[int, ...]  # indices into spec.leaves


@dataclass
class Result:
    """What :func:`estimate` returns. Tables are pandas DataFrames; ``idata`` is ArviZ's."""

    spec: ModelSpec
    built: BuiltModel
    idata: compat.Posterior
    sources_given: list[Source] = field(default_factory=list)
    reports_given: list[Report] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __init__(
        self,
        *,
        spec: ModelSpec,
        built: BuiltModel,
        idata: compat.Posterior,
        sources: Sequence[Source],
        reports: Sequence[Report],
        settings: dict[str, Any],
        notes: list[str],
        eager: bool = True,
    ) -> None:
        self.spec, self.built, self.idata = spec, built, idata
        self.sources_given, self.reports_given = list(sources), list(reports)
        self.settings, self.notes, self.problems = settings, list(notes), []
        # The model's data as fitted: a compiled model is reused for later fits of the same
        # structure with other data, so functions of this result read this copy, not the model.
        self.data = {v.name: v.get_value(borrow=False) for v in built.model.data_vars}
        if bool(settings.get("robust")) != bool(getattr(built, "robust", False)):
            raise ModelError("the model given to Result was not built with the fit's robust setting.")
        post = compat.group(idata, "posterior")
        size = (
            len(spec.kind) * post.sizes.get("chain", 1) * post.sizes.get("draw", 1) if post is not None else 0
        )
        if eager and 0 < size <= EAGER_LOGLIK_MAX:
            # The per-report log-likelihood goes into idata now, not lazily, so that a saved
            # result and the one it was saved from hold the same groups (checks.log_likelihood).
            # Above EAGER_LOGLIK_MAX values it is computed when first asked for.
            from .checks import log_likelihood

            log_likelihood(self)

    @property
    def posterior(self) -> Any:
        """The posterior draws as an xarray Dataset (``idata``'s ``posterior`` group, whichever
        ArviZ made ``idata``)."""
        return compat.posterior(self.idata)

    # --- quantities -------------------------------------------------------------------------
    @cached_property
    def quantities(self) -> list[Quantity]:
        """Every leaf, then every aggregate some report used, party by party."""
        pos = {q: i for i, q in enumerate(self.spec.leaves)}
        out = [Quantity(p, c, (i,)) for i, (p, c) in enumerate(self.spec.leaves)]
        seen = set()
        for c in self.spec.clean:
            if len(c.leaves) > 1:
                key = (c.report.party, c.report.category.strip())
                if key not in seen:
                    seen.add(key)
                    out.append(Quantity(key[0], key[1], tuple(pos[(key[0], leaf)] for leaf in c.leaves)))
        return sorted(out, key=lambda q: (q.party, len(q.leaves), q.category))

    def _leaf_draws(self) -> np.ndarray:
        """Posterior of every leaf at ``as_of``: (chain, draw, leaf)."""
        return np.asarray(self.posterior["N"].transpose("chain", "draw", "quantity").values)

    def draws(self, party: str, category: str) -> np.ndarray:
        """Posterior draws (chain, draw) of one quantity at ``as_of``."""
        for q in self.quantities:
            if q.party == party and q.category == category:
                return self._leaf_draws()[:, :, list(q.leaves)].sum(axis=2)
        known = ", ".join(f"{q.party}/{q.category}" for q in self.quantities)
        raise ModelError(f"no quantity {party}/{category}; the fit has {known}.")

    # --- tables -------------------------------------------------------------------------------
    def summary(self, *, prob: float | None = None) -> pd.DataFrame:
        """One row per quantity (party, category) at ``as_of``: the posterior of the true count.

        Columns: party, category, mean, median, sd, lower, upper (central ``prob`` interval),
        r_hat, ess_bulk, ess_tail; ``width_ratio``: the posterior 90% interval of log N as a
        share of its prior's (1: the data taught nothing); ``prior_dominated``: width_ratio at
        least ``checks.PRIOR_DOMINATED_RATIO`` (the notes then say so in words).

        Examples
        --------
        >>> result.summary(prob=0.5)  # doctest: +SKIP
        """
        prob = self._prob(prob)
        leaf = self._leaf_draws()
        prior = self._prior_widths
        rows = []
        for q in self.quantities:
            d = leaf[:, :, list(q.leaves)].sum(axis=2)
            ratio = _log_width(d) / prior[(q.party, q.category)]
            rows.append(
                {
                    "party": q.party,
                    "category": q.category,
                    **_describe(d, prob),
                    "width_ratio": ratio,
                    "prior_dominated": bool(ratio >= PRIOR_DOMINATED_RATIO),
                }
            )
        return pd.DataFrame(rows)

    def sources(self, *, prob: float | None = None) -> pd.DataFrame:
        """Per source and party: stance, bias factor reported/true (posterior and prior), noise;
        with ``robust=True`` also ``outlier_prob_median``, the share of the source's figures
        the fit reads as fabrications."""
        prob = self._prob(prob)
        spec, post = self.spec, self.posterior
        outlier = post["outlier_prob"].values if "outlier_prob" in post else None
        bias = np.exp(post["bias"].values) if "bias" in post else None
        noise = post["noise"].values
        cover = post["coverage"].values if "coverage" in post else None
        declared = {s.name for s in self.sources_given}
        z = z_of(prob)
        rows = []
        pairs = sorted({(c.report.source, c.report.party) for c in spec.clean})
        for s, p in pairs:
            idx = [r for r, c in enumerate(spec.clean) if c.report.source == s and c.report.party == p]
            stance = spec.report_stance[idx[0]]
            row: dict[str, Any] = {
                "source": s,
                "party": p,
                "stance": stance,
                "n_reports": len(idx),
                "declared": s in declared,
            }
            j = spec.bias_rows.index((s, stance)) if (s, stance) in spec.bias_rows else None
            if j is not None and bias is not None:
                d = bias[:, :, j]
                row.update(
                    {
                        "bias_median": float(np.median(d)),
                        "bias_lower": _q(d, (1 - prob) / 2),
                        "bias_upper": _q(d, (1 + prob) / 2),
                    }
                )
                m, sd = self._bias_prior(j)
                row.update(
                    {"prior_lower": float(np.exp(m - z * sd)), "prior_upper": float(np.exp(m + z * sd))}
                )
            else:
                row.update(
                    {
                        k: np.nan
                        for k in ("bias_median", "bias_lower", "bias_upper", "prior_lower", "prior_upper")
                    }
                )
            k = spec.source_names.index(s)
            row["noise_median"] = float(np.median(noise[:, :, k]))
            if outlier is not None:
                row["outlier_prob_median"] = float(np.median(outlier[:, :, k]))
            if cover is not None and s in spec.cover_rows:
                row["coverage_median"] = float(np.median(cover[:, :, spec.cover_rows.index(s)]))
            rows.append(row)
        return pd.DataFrame(rows)

    def _bias_prior(self, j: int) -> tuple[float, float]:
        """Prior (mean, sd) of log bias of bias row j."""
        spec = self.spec
        if spec.bias_mode[j] == 2:
            return 0.0, 0.0
        if spec.bias_mode[j] == 1:
            return float(spec.bias_mu[j]), float(spec.bias_sd[j])
        g = spec.stance_prior[STANCES[spec.bias_stance[j]]]
        return g["mu"], float(np.hypot(g["mu_sd"], g["spread"]))

    def reports(self, *, prob: float | None = None) -> pd.DataFrame:
        """Every report with its figure and what the model predicts the source would say.

        ``pred_median`` / ``pred_lower`` / ``pred_upper`` are the posterior predictive of the
        figure (for a range: its geometric middle; for a bound: the source's own value);
        ``pit`` is the predictive probability of a figure at or below the one reported.
        Leave-one-out checks (:func:`estimator.checks.report_checks`): ``loo_pit`` is that
        probability predicted from the other reports (PSIS), ``outlier`` is True when the report
        is outside the 99% leave-one-out predictive interval (for a bound: when the bound is
        violated with 99% probability); ``elpd_loo`` and ``pareto_k`` are PSIS-LOO per report
        (``az.loo``); ``influence`` is the largest relative shift of a headline median when the
        report is left out, on the quantity ``influence_on``. A ``robust=True`` fit adds
        ``p_fabricated``: the posterior probability that the fit reads the figure as a
        fabrication (:func:`estimator.checks.fabrication_prob`; empty for documented and small
        counts).

        Examples
        --------
        >>> result.reports()[["source", "value", "pred_median", "outlier", "influence"]]  # doctest: +SKIP
        """
        from .checks import fabrication_prob, report_checks

        prob = self._prob(prob)
        pred = self._predictive
        spec = self.spec
        loo = report_checks(self).to_dict(orient="records")
        fabricated = fabrication_prob(self) if self.built.robust else None
        rows = []
        for r, c in enumerate(spec.clean):
            rep = c.report
            d = pred[:, r]
            x = c.value
            pit = float(np.mean(d <= x))
            outlier = loo[r].pop("outlier")
            rows.append(
                {
                    "report": c.index,
                    "source": rep.source,
                    "party": rep.party,
                    "category": rep.category,
                    "date": c.date,
                    "kind": c.kind,
                    "value": None if c.kind == "range" else c.value,
                    "low": c.low if c.kind == "range" else None,
                    "high": c.high if c.kind == "range" else None,
                    "stance": spec.report_stance[r],
                    "pred_median": float(np.median(d)),
                    "pred_lower": _q(d, (1 - prob) / 2),
                    "pred_upper": _q(d, (1 + prob) / 2),
                    "pit": pit,
                    "outlier": bool(outlier),
                    **({} if fabricated is None else {"p_fabricated": float(fabricated[r])}),
                    **loo[r],
                    "quote": rep.quote,
                    "url": rep.url,
                    "published": rep.published,
                }
            )
        return pd.DataFrame(rows)

    def trajectory(self, *, prob: float | None = None, freq: str = "D") -> pd.DataFrame:
        """Median and interval of every quantity per day (temporal mode).

        ``freq`` is a pandas frequency for the dates returned (``"D"``, ``"W"``, ``"MS"``...).
        """
        if not self.spec.temporal:
            raise ModelError("trajectory() needs a temporal fit: give the reports dates.")
        prob = self._prob(prob)
        spec = self.spec
        assert spec.start is not None and spec.as_of is not None
        dates = pd.date_range(spec.start, spec.as_of, freq=freq)
        if len(dates) == 0 or dates[-1].date() != spec.as_of:
            dates = dates.append(pd.DatetimeIndex([pd.Timestamp(spec.as_of)]))
        t = np.array([(d.date() - spec.start).days for d in dates], dtype=float)
        rate = self._thin(np.exp(self.posterior["log_rate"].values))  # (draw, leaf, knot)
        n = cumulative_at(rate, t, spec.knot_days)  # (draw, leaf, day)
        lo, hi = (1 - prob) / 2, (1 + prob) / 2
        frames = []
        for q in self.quantities:
            d = n[:, list(q.leaves), :].sum(axis=1)
            frames.append(
                pd.DataFrame(
                    {
                        "party": q.party,
                        "category": q.category,
                        "date": dates,
                        "median": np.median(d, axis=0),
                        "lower": np.quantile(d, lo, axis=0),
                        "upper": np.quantile(d, hi, axis=0),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def influence(
        self,
        *,
        quantities: Sequence[tuple[str, str]] | None = None,
        draws: int | None = None,
        random_seed: int | None = None,
        sampler: str | None = None,
    ) -> pd.DataFrame:
        """How each headline quantity moves when each source is left out (refits).

        See :func:`estimator.checks.influence_data` for the columns; ``quantities`` is a list of
        (party, category), default every row of :meth:`summary`. ``sampler`` (default: the
        fit's) picks the refits' sampler: ``"nutpie"`` compiles once and then refits in seconds.

        Examples
        --------
        >>> result.influence(draws=300)[["source", "category", "median", "median_without"]]  # doctest: +SKIP
        """
        from .checks import influence_data

        return influence_data(
            self, quantities=quantities, draws=draws, random_seed=random_seed, sampler=sampler
        )

    def sensitivity(
        self,
        *,
        alphas: Sequence[float] = (0.5, 2.0),
        quantities: Sequence[tuple[str, str]] | None = None,
        prob: float | None = None,
    ) -> pd.DataFrame:
        """How much each headline quantity moves when the bias priors are widened or narrowed.

        Power-scaling by importance weights (no refit); a verdict per quantity, "driven by the
        data" or "driven by the bias priors", with the numbers behind it. See
        :func:`estimator.checks.sensitivity`.

        Examples
        --------
        >>> result.sensitivity()[["party", "category", "sensitivity", "verdict"]]  # doctest: +SKIP
        """
        from .checks import sensitivity

        return sensitivity(self, alphas=alphas, quantities=quantities, prob=prob)

    @cached_property
    def _prior_widths(self) -> dict[tuple[str, str], float]:
        from .checks import prior_widths

        return prior_widths(self)

    # --- diagnostics ----------------------------------------------------------------------------
    @cached_property
    def diagnostics(self) -> dict[str, Any]:
        """Divergences, max R-hat, min bulk and tail ESS (over every parameter), min BFMI."""
        post = self.posterior
        names = [v for v in post.data_vars if v not in ("log_rate",)]
        rhat, ess_b, ess_t = convergence(post[names])  # NaN for constant elements, skipped below

        def _extreme(ds, fn):
            vals = {k: float(fn(ds[k].values)) for k in ds.data_vars if np.isfinite(ds[k].values).any()}
            worst = (max if fn is np.nanmax else min)(vals, key=vals.get) if vals else None
            return (vals[worst] if worst else float("nan")), worst

        max_rhat, rhat_var = _extreme(rhat, np.nanmax)
        min_bulk, bulk_var = _extreme(ess_b, np.nanmin)
        min_tail, tail_var = _extreme(ess_t, np.nanmin)
        stats = compat.group(self.idata, "sample_stats")  # absent after an ADVI preview
        div = int(stats["diverging"].sum()) if stats is not None and "diverging" in stats else 0
        energy = stats.get("energy") if stats is not None else None
        bfmi = float(np.min(stats_bfmi(energy.values))) if energy is not None else float("nan")
        return {
            "divergences": div,
            "max_r_hat": max_rhat,
            "max_r_hat_of": rhat_var,
            "min_ess_bulk": min_bulk,
            "min_ess_bulk_of": bulk_var,
            "min_ess_tail": min_tail,
            "min_ess_tail_of": tail_var,
            "min_bfmi": bfmi,
            "chains": int(post.sizes["chain"]),
            "draws": int(post.sizes["draw"]),
        }

    def check(self, *, warn: bool = True) -> list[str]:
        """Problems with the fit in words (empty when it is fine); warns with them."""
        d = self.diagnostics
        problems = thin_sample(d["chains"], d["draws"])  # one chain or a few draws: never clean
        if d["divergences"]:
            problems.append(
                f"{d['divergences']} divergent transitions: the posterior has regions the sampler cannot explore; try target_accept=0.99, or check the reports the model finds surprising (result.reports())."
            )
        if d["max_r_hat"] > MAX_RHAT:
            problems.append(
                f"R-hat {d['max_r_hat']:.3f} > {MAX_RHAT} for {d['max_r_hat_of']}: the chains disagree; run more tune/draws, or look for reports that contradict each other."
            )
        if d["min_ess_bulk"] < MIN_ESS:
            problems.append(
                f"bulk ESS {d['min_ess_bulk']:.0f} < {MIN_ESS} for {d['min_ess_bulk_of']}: too few effective draws for stable intervals; raise draws=."
            )
        if d["min_ess_tail"] < MIN_ESS:
            problems.append(
                f"tail ESS {d['min_ess_tail']:.0f} < {MIN_ESS} for {d['min_ess_tail_of']}: the interval ends are unstable; raise draws=."
            )
        if np.isfinite(d["min_bfmi"]) and d["min_bfmi"] < 0.3:
            problems.append(
                f"BFMI {d['min_bfmi']:.2f} < 0.3: the sampler explores the energy poorly; the priors may be too wide for the data."
            )
        self.problems = problems
        self._note_prior_dominated()
        if problems and warn:
            warnings.warn("The fit is poor:\n  - " + "\n  - ".join(problems), FitWarning, stacklevel=3)
        return problems

    def _note_prior_dominated(self) -> None:
        """Say in the notes which quantities the data could not narrow down."""
        s = self.summary(prob=INTERVAL_PROB)
        for row in s[s.prior_dominated].itertuples():
            note = (
                f"{row.party} {row.category}: the data barely narrow it (posterior 90% interval "
                f"{row.width_ratio:.0%} as wide as the prior's on the log scale): the estimate is "
                "the prior's, not the reports'; see result.sensitivity()."
            )
            if note not in self.notes:
                self.notes.append(note)

    # --- outputs (drawn and written by estimator.plots, estimator.report, estimator.persist) ---
    def plot(
        self,
        kind: str = "posterior",
        *,
        party: str | None = None,
        prob: float | None = None,
        ax: Any = None,
        figsize: tuple[float, float] | None = None,
    ) -> Any:
        """Draw one of the plots of :mod:`estimator.plots` and return the matplotlib Figure.

        ``kind`` is one of ``posterior``, ``forest``, ``sources``, ``trajectory``,
        ``diagnostics``.
        """
        from .plots import plot_result

        return plot_result(self, kind=kind, party=party, prob=prob, ax=ax, figsize=figsize)

    def to_html(self, path: str | Any) -> Any:
        """Write one self-contained HTML report (figures embedded) to ``path``; returns the path."""
        from .report.html import write_html

        return write_html(self, path)

    def to_markdown(self, directory: str | Any) -> Any:
        """Write the report as Markdown plus PNG files into ``directory``; returns the .md path."""
        from .report.markdown import write_markdown

        return write_markdown(self, directory)

    def save(self, path: str | Any) -> Any:
        """Save the result (posterior, reports, sources, settings) so :func:`estimator.load` restores it."""
        from .persist import save

        return save(self, path)

    def __repr__(self) -> str:
        s = self.settings
        head = f"<estimator.Result: {len(self.spec.clean)} reports, {len(self.quantities)} quantities, {s.get('mode')} mode"
        if s.get("mode") == "temporal":
            head += f", as of {s.get('as_of')}"
        return head + (", fit OK>" if not self.problems else f", {len(self.problems)} fit problems>")

    # --- internals -------------------------------------------------------------------------------
    def _prob(self, prob: float | None) -> float:
        prob = self.settings.get("prob", INTERVAL_PROB) if prob is None else prob
        if not 0 < prob < 1:
            raise ModelError(f"prob={prob!r} must be between 0 and 1.")
        return float(prob)

    def _thin(self, values: np.ndarray) -> np.ndarray:
        """(chain, draw, ...) -> (at most MAX_POST_DRAWS, ...), evenly thinned."""
        flat = values.reshape((-1,) + values.shape[2:])
        step = max(1, int(np.ceil(flat.shape[0] / MAX_POST_DRAWS)))
        return flat[::step]

    def _compile(self, name: str, outputs: Callable[[], Any]) -> Callable[..., Any]:
        """A function of the free random variables (in ``model.free_RVs`` order) to the
        tensors ``outputs()`` makes, evaluated on this result's data.

        The function takes the data as inputs, so it is compiled once per model and ``name``
        (every result of the model's structure shares it: refits, influence) and kept on disk
        by the model's structure (``disk_cache``): a new process loads it instead of rewriting
        its graph again.
        """
        model = self.built.model
        # After nutpie (whose model is compiled with Numba), with Numba too: PyTensor's C
        # backend would otherwise read its whole module cache for this one function (13-16 s
        # on a machine with a thousand cached modules), and Numba's compiled code is cached
        # on disk by PyTensor (with the rewritten graph kept by disk_cache, NATO's
        # log-likelihood takes 0.4 s from the second process on, its 4,000 calls included).
        mode = "NUMBA" if self.settings.get("sampler") == "nutpie" else None
        name = f"{name} {mode or 'C'}"
        kept = _FUNCTIONS.setdefault(model, {})
        if name not in kept:
            kept[name] = _data_function(self.built, name, outputs, mode)
        fn, names = kept[name]
        dtypes = [v.dtype for v in model.free_RVs]
        types = [i.variable.type for i in fn.maker.inputs[len(dtypes) :]]
        # The function trusts its inputs (``_data_function``): they get their types here.
        data = [np.asarray(self.data[n], dtype=t.dtype) for n, t in zip(names, types, strict=True)]
        return lambda *free: fn(*[np.asarray(x, dtype=t) for x, t in zip(free, dtypes, strict=True)], *data)

    def _over_draws(self, fn: Any) -> list[Any]:
        """``fn`` (from :meth:`_compile`) evaluated at each thinned posterior draw."""
        post = self.posterior
        vals = [self._thin(post[v.name].values) for v in self.built.model.free_RVs]
        return [fn(*[v[i] for v in vals]) for i in range(vals[0].shape[0])]

    @cached_property
    def _eta_fn(self):
        b = self.built
        p_out = b.p_out if b.p_out is not None else pytensor.tensor.zeros_like(b.sd)
        return self._compile("eta", lambda: [b.eta, b.sd, p_out])

    def _eta_draws(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(draws, reports) arrays of eta, the noise sd and the outlier probability (0 unless
        the fit is robust), from thinned posterior draws, reports in the order given."""
        rows = self._over_draws(self._eta_fn)
        # The model holds reports sorted by likelihood term; put them back in report order.
        out = []
        for j in range(3):
            a = np.empty((len(rows), len(self.built.order)))
            a[:, self.built.order] = [r[j] for r in rows]
            out.append(a)
        return out[0], out[1], out[2]

    def _figure_draws(self) -> tuple[np.ndarray, ...]:
        """(draws, reports) arrays: eta, the noise sd, and the centre and sd of the log figure
        the source would publish (an upper estimate sits above eta; a range or an upper
        estimate adds its own width to the noise), and the outlier probability (robust fits)."""
        eta, sd, p_out = self._eta_draws()
        kind = self.spec.kind
        z = z_of(RANGE_PROB)
        w = self.spec.width / (2 * z)
        shift = np.where(kind == "upper_estimate", z * UPPER_WIDTH, 0.0)
        extra = np.where(kind == "upper_estimate", UPPER_WIDTH, w)
        return eta, sd, eta + shift, np.sqrt(sd**2 + extra**2), p_out

    @cached_property
    def _predictive(self) -> np.ndarray:
        spec = self.spec
        eta, sd, centre, total, p_out = self._figure_draws()
        rng = np.random.default_rng(self.settings.get("random_seed"))
        eps = rng.standard_normal(eta.shape)
        if self.built.robust:  # a fabrication, with each report's outlier probability
            fabricated = rng.random(eta.shape) < p_out
            total = np.where(fabricated, np.sqrt(total**2 + OUTLIER_SD**2), total)
        pred = np.exp(centre + total * eps)
        if spec.small.any():
            cols = np.flatnonzero(spec.small)
            mu = np.exp(eta[:, cols])
            alpha = 1.0 / sd[:, cols] ** 2
            p = alpha / (alpha + mu)
            pred[:, cols] = rng.negative_binomial(alpha, p)
        return pred


def _q(d: np.ndarray, p: float) -> float:
    return float(np.quantile(np.asarray(d).ravel(), p))


def _log_width(d: np.ndarray, prob: float = INTERVAL_PROB) -> float:
    """Width of the central ``prob`` interval of log draws."""
    logd = np.log(np.maximum(np.asarray(d).ravel(), 1e-300))
    return float(np.quantile(logd, (1 + prob) / 2) - np.quantile(logd, (1 - prob) / 2))


def _describe(d: np.ndarray, prob: float) -> dict[str, float]:
    """Posterior summary of (chain, draw) draws."""
    flat = d.ravel()
    r_hat, ess_bulk, ess_tail = diagnose(np.asarray(d, dtype=float).reshape(d.shape[0], -1, 1))
    return {
        "mean": float(flat.mean()),
        "median": float(np.median(flat)),
        "sd": float(flat.std(ddof=1)),
        "lower": _q(flat, (1 - prob) / 2),
        "upper": _q(flat, (1 + prob) / 2),
        "r_hat": float(r_hat[0]),
        "ess_bulk": float(ess_bulk[0]),
        "ess_tail": float(ess_tail[0]),
    }
