"""``estimate()``: validate the reports, build the model, sample, and wrap the result."""

from __future__ import annotations

import ctypes
import datetime as dt
import importlib.util
import os
import sys
import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pymc as pm

from . import compat
from .constants import CHAINS, DENSE_MAX, DRAWS, INTERVAL_PROB, KNOT_DAYS, TARGET_ACCEPT, TUNE, TUNE_NUTPIE
from .errors import ModelError, Problem, ReportError
from .model import disk_cache
from .model.build import BuiltModel, build_model, set_fit_data
from .model.spec import Link, ModelSpec, build_spec
from .reports import Report, Source, _did_you_mean, parse_date, validate
from .result import Result
from .settings import check_sampler_settings

#: Aggregates every fit knows without being told; users may add their own or override these.
DEFAULT_AGGREGATES: dict[str, tuple[str, ...]] = {
    "casualties": ("killed", "wounded", "captured", "missing"),
}
MODES = ("auto", "static", "temporal")
SAMPLERS = ("pymc", "nutpie", "numpyro", "blackjax")
METHODS = ("nuts", "advi")
#: ADVI iterations for ``method="advi"`` previews: enough for the ELBO to settle on the
#: benchmark cases (docs/performance.md has its error against NUTS).
ADVI_STEPS = 20_000


def check_choice(name: str, value: object, options: Sequence[str]) -> None:
    """Raise a ModelError naming the options (and the closest one) when ``value`` is not one."""
    if value not in options:
        raise ModelError(
            f"{name}={value!r}: use one of {', '.join(options)}{_did_you_mean(str(value), options)}."
        )


#: The package each sampler other than PyMC's needs, and the extra that installs it.
SAMPLER_PACKAGES = {
    "nutpie": ("nutpie", "nutpie"),
    "numpyro": ("numpyro", "numpyro"),
    "blackjax": ("blackjax", "blackjax"),
}


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def default_sampler() -> str:
    """The sampler ``estimate()`` uses when none is given.

    ``ESTIMATOR_SAMPLER`` if set; else ``"nutpie"`` where it is installed (the extra
    ``estimator[nutpie]``), the faster one as measured in docs/performance.md; else ``"pymc"``.
    The choice depends only on what is installed, never on what happens to be compiled, so a
    seed gives the same numbers on every run of a machine.
    """
    name = os.environ.get("ESTIMATOR_SAMPLER", "").strip()
    if name:
        check_choice("the environment variable ESTIMATOR_SAMPLER", name, SAMPLERS)
        return name
    return "nutpie" if _installed("nutpie") else "pymc"


def default_tune(sampler: str, *, from_mode: bool) -> int:
    """Tuning steps per chain when ``estimate()`` is given none: 500 with nutpie where its chains
    start from the posterior's mode, 1000 otherwise.

    ``from_mode``: the reports pin a random walk (the model has its cosine modes), so nutpie's
    chains start near the posterior's mode (:func:`_mode_start`) rather than far out in its
    tails. There nutpie, which adapts its mass matrix (diagonal plus low rank) from the draws in
    growing windows, needs fewer: with 500 no benchmark run from 1,000 to 100,000 reports had
    a divergence, every one at 10,000 and 100,000 reports met R-hat 1.01, and 1000 took a
    quarter longer at 10,000 (docs/performance.md). From nutpie's own start, 500 left one
    divergent transition at two seeds of five at 100 reports, 1000 none. PyMC's sampler keeps
    1000, as its own default does.
    """
    return TUNE_NUTPIE if sampler == "nutpie" and from_mode else TUNE


def check_sampler_installed(sampler: str) -> None:
    """Raise a ModelError saying how to install ``sampler``'s package when it is missing."""
    if sampler not in SAMPLER_PACKAGES:
        return
    package, extra = SAMPLER_PACKAGES[sampler]
    if not _installed(package):
        how = f"pip install 'estimator[{extra}]'" if extra else f"pip install {package}"
        raise ModelError(
            f"sampler={sampler!r} needs the package {package!r}, which is not installed: "
            f"{how}, or use sampler='pymc'."
        )


def estimate(
    reports: Sequence[Report],
    *,
    sources: Sequence[Source] = (),
    aggregates: Mapping[str, Sequence[str]] | None = None,
    links: Sequence[Link] = (),
    start: str | dt.date | None = None,
    as_of: str | dt.date | None = None,
    mode: str = "auto",
    stance_bias: Mapping[str, object] | None = None,
    knot_days: int = KNOT_DAYS,
    prob: float = INTERVAL_PROB,
    draws: int = DRAWS,
    tune: int | None = None,
    chains: int = CHAINS,
    cores: int | None = None,
    sampler: str | None = None,
    target_accept: float = TARGET_ACCEPT,
    random_seed: int | None = None,
    progressbar: bool | None = None,
    robust: bool = False,
    method: str = "nuts",
) -> Result:
    """Estimate the true losses behind conflicting reports.

    Parameters
    ----------
    reports
        The reported figures (:class:`Report`); every one is used or the call fails with a
        :class:`ReportError` that lists each bad report.
    sources
        What is known about the sources (:class:`Source`); a source not listed is neutral, and
        the result's notes say so.
    aggregates
        Named sums of leaf categories, e.g. ``{"casualties": ["killed", "wounded"]}``; added to
        the defaults (``casualties`` = killed + wounded + captured + missing).
    links
        Structural priors between categories (:class:`Link`), e.g. wounded = ratio x killed.
    start
        Day 0 of the cumulative counts (temporal mode); default: the earliest report date.
    as_of
        The date the headline estimates refer to; default: the latest report date.
    mode
        ``"temporal"`` when reports carry dates, ``"static"`` otherwise; ``"auto"`` picks.
    stance_bias
        Override the bias prior of a stance: ``{"own": (0.1, 0.8)}`` is a 90% range of the factor
        reported/true for a typical source counting its own losses.
    knot_days
        Days between knots of the loss rate (temporal mode).
    prob
        Probability of the intervals in the tables (0.9).
    draws, tune, chains, cores, target_accept
        NUTS settings. ``tune`` (tuning steps per chain) defaults to 500 with nutpie where the
        reports pin the truth's random walk (about 1,000 dated reports and more: its chains
        then start from the posterior's mode) and to 1000 otherwise (:func:`default_tune`);
        ``result.settings["tune"]`` records the number used.
    sampler
        ``"pymc"``, or ``"nutpie"`` / ``"numpyro"`` / ``"blackjax"`` when installed. Default:
        the environment variable ``ESTIMATOR_SAMPLER`` if set (so scripts, such as the
        examples, can run with another sampler unchanged), else ``"nutpie"`` where it is
        installed (``pip install 'estimator[nutpie]'``), else ``"pymc"``. The result's
        ``settings["sampler"]`` records the one used.
    random_seed
        Same seed, same numbers.
    progressbar
        Show progress; default: only when attached to a terminal.
    method
        ``"nuts"`` (default): MCMC, with diagnostics. ``"advi"``: a variational approximation
        for previews: its intervals can be far too narrow (small data) or too wide (10,000
        reports), nothing checks convergence, and with nutpie installed it is often no faster
        (docs/performance.md); never publish from it.
    robust
        For sources that now and then publish a wild figure: every source gets an outlier
        probability and each figure is, with it, a fabrication with much wider scatter (see
        docs/model.md); ``sources()`` shows each source's ``outlier_prob_median``.

    Returns
    -------
    Result

    Examples
    --------
    >>> import estimator as est
    >>> reports = [
    ...     est.Report(source="NATO", party="Russia", category="killed", kind="range",
    ...                low=7_000, high=15_000),
    ...     est.Report(source="Russian MoD", party="Russia", category="killed", kind="nearly",
    ...                value=500),
    ... ]
    >>> sources = [est.Source("Russian MoD", affiliation="Russia"), est.Source("NATO")]
    >>> result = est.estimate(reports, sources=sources, random_seed=1)  # doctest: +SKIP
    >>> result.summary()  # doctest: +SKIP
    """
    check_sampler_settings(draws=draws, tune=tune, chains=chains, cores=cores, target_accept=target_accept)
    check_choice("mode", mode, MODES)
    check_choice("method", method, METHODS)
    sampler = default_sampler() if sampler is None else sampler
    check_choice("sampler", sampler, SAMPLERS)
    if not 0 < prob < 1:
        raise ModelError(f"prob={prob!r} must be between 0 and 1, e.g. 0.9.")
    if knot_days < 1:
        raise ModelError(f"knot_days={knot_days!r} must be at least 1.")
    aggs = {**DEFAULT_AGGREGATES, **{k: tuple(v) for k, v in (aggregates or {}).items()}}
    for name, leaves in aggs.items():
        if not leaves or any(not isinstance(x, str) or not x.strip() for x in leaves):
            raise ModelError(f"aggregate {name!r} = {leaves!r}: give a list of leaf category names.")
        nested = [x for x in leaves if x in aggs]
        if nested:
            raise ModelError(f"aggregate {name!r} contains aggregates {nested}; list leaf categories only.")
    reports = list(reports)
    if not reports:
        raise ReportError("no reports given: pass at least one est.Report.")
    try:
        start_d = parse_date(start)
        as_of_d = parse_date(as_of)
    except (ValueError, TypeError) as e:
        raise ModelError(f"start/as_of: {e}; write dates as YYYY-MM-DD.") from None
    clean = validate(reports, aggregates=aggs, start=start_d)

    undated = [c for c in clean if c.date is None]
    notes: list[str] = list(clean.notes)  # what validate warned about (duplicates, near names, far figures)
    if mode == "auto":
        temporal = not undated
        mixed = bool(undated) and len(undated) < len(clean)
    else:
        temporal = mode == "temporal"
        mixed = temporal and bool(undated)
    if mixed:
        what = "has no date while other reports do" if mode == "auto" else "has no date (temporal mode)"
        todo = "Give it a date, or use mode='static' to ignore dates."
        raise ReportError([Problem(c.index, c.report.source, what, todo) for c in undated])
    if temporal:
        dates = [c.date for c in clean if c.date is not None]
        if start_d is None:
            start_d = min(dates)
            notes.append(f"No start given: day 0 is the earliest report date, {start_d}.")
        if as_of_d is None:
            as_of_d = max(dates)
        elif as_of_d < start_d:
            raise ModelError(f"as_of {as_of_d} is before start {start_d}.")
    spec = build_spec(
        clean,
        sources,
        links=links,
        temporal=temporal,
        start=start_d,
        as_of=as_of_d,
        knot_days=knot_days,
        stance_bias=stance_bias,
    )
    for s in spec.undeclared:
        notes.append(f"Source {s!r} is not in sources: treated as neutral (no affiliation).")
    settings = {
        "mode": "temporal" if temporal else "static",
        "start": start_d,
        "as_of": as_of_d,
        "knot_days": knot_days,
        "prob": prob,
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "sampler": sampler,
        "random_seed": random_seed,
        "target_accept": target_accept,
        "aggregates": aggs,
        "robust": robust,
        "method": method,
    }
    return fit_spec(
        spec,
        reports=reports,
        sources=sources,
        settings=settings,
        notes=notes,
        cores=cores,
        progressbar=progressbar,
    )


def fit_spec(
    spec: ModelSpec,
    *,
    reports: Sequence[Report],
    sources: Sequence[Source],
    settings: dict[str, Any],
    notes: Sequence[str] = (),
    cores: int | None = None,
    progressbar: bool | None = None,
    check: bool = True,
    eager: bool = True,
) -> Result:
    """Sample the model of ``spec`` with ``settings`` (those :func:`estimate` records) and wrap it.

    The model is compiled once per structure (:func:`compiled_model`): refits of data of the
    same shape, such as a spec with some reports weighted out (``ModelSpec.without``), only swap
    the data. ``check=False`` skips the diagnostics warning; ``eager=False`` leaves the per-report
    log-likelihood to be computed when first asked for.
    """
    s = dict(settings)
    robust, target_accept = bool(s["robust"]), float(s["target_accept"])
    notes = list(notes)
    compiled = compiled_model(spec, robust=robust, target_accept=target_accept)
    if s.get("tune") is None:  # the default depends on where nutpie starts, so on the model
        s["tune"] = default_tune(s["sampler"], from_mode=_starts_from_mode(compiled.built.model))
    if s["method"] == "advi":
        idata = _advi(
            compiled.built.model,
            draws=int(s["draws"]) * int(s["chains"]),
            random_seed=s["random_seed"],
            progressbar=progressbar,
        )
        notes.append(
            "Approximate fit (ADVI) for a preview: its intervals can be far too narrow or too wide and there are no MCMC diagnostics; refit with method='nuts' before publishing."
        )
    else:
        idata = sample(
            compiled,
            draws=int(s["draws"]),
            tune=int(s["tune"]),
            chains=int(s["chains"]),
            cores=cores,
            sampler=s["sampler"],
            target_accept=target_accept,
            random_seed=s["random_seed"],
            progressbar=progressbar,
        )
    result = Result(
        spec=spec,
        built=compiled.built,
        idata=idata,
        sources=list(sources),
        reports=list(reports),
        settings=dict(s),
        notes=notes,
        eager=eager,
    )
    if check and s["method"] == "nuts":
        result.check(warn=True)
    return result


@dataclass
class _Compiled:
    """A built model with its NUTS step (the compiled log-density and gradient)."""

    built: BuiltModel
    step: Any = None
    nutpie: Any = None  # nutpie's compiled model, made on the first nutpie fit


#: Models compiled in this process, by the structure of their data (see ``_structure_key``).
#: A new data set of the same structure reuses the compiled model: only data changes.
_COMPILED: OrderedDict[tuple, _Compiled] = OrderedDict()
_COMPILED_MAX = 8


def _structure_key(spec: ModelSpec, robust: bool, target_accept: float) -> tuple:
    """Everything the graph bakes in as constants: equal keys mean the same compiled function.

    Arrays that are data in the graph (the reports, and the per-source noise and per-row bias
    priors) are not in the key: fits that differ in them, such as a source given its own
    ``bias=`` range, swap the data and reuse the compiled model. Nor is the number of reports
    of each kind (their slices' bounds are data too); which kinds there are is.
    """
    from .model.build import _groups

    def arr(a: np.ndarray) -> tuple:
        return tuple(np.asarray(a).ravel().tolist())

    return (
        spec.temporal,
        robust,
        target_accept,
        tuple(spec.leaves),
        arr(spec.free),
        arr(spec.link_index),
        tuple((lk.category, lk.base, lk.ratio, lk.party) for lk in spec.links),
        spec.n_knots,
        spec.knot_days,
        tuple(_groups(spec)),  # which kinds of figure: a term each (their counts are data)
        tuple(spec.source_names),
        tuple(spec.bias_rows),
        repr(sorted(spec.stance_prior.items())),
        tuple(spec.cover_rows),
    )


def compiled_model(spec: ModelSpec, *, robust: bool, target_accept: float) -> _Compiled:
    """The model for ``spec``: a cached compiled one with the new data set in, or a new one."""
    fresh = build_model(spec, robust=robust)  # cheap: builds the graph, compiles nothing
    # The build chooses the random walk's form from the data (cosine modes where the reports
    # pin a walk, summed steps elsewhere): part of the structure.
    key = (*_structure_key(spec, robust, target_accept), "z_walk" in fresh.model.named_vars)
    hit = _COMPILED.get(key)
    if hit is None:
        entry = _Compiled(replace(fresh, key=key))
        _COMPILED[key] = entry
        while len(_COMPILED) > _COMPILED_MAX:
            _COMPILED.popitem(last=False)
        return entry
    _COMPILED.move_to_end(key)
    values = {v.name: v.get_value() for v in fresh.model.data_vars}
    coords = {d: fresh.model.coords[d] for d in disk_cache.DATA_DIMS}  # the data's lengths
    pm.set_data(values, model=hit.built.model, coords=coords)
    # The compiled terms, with the new data's rows: which reports each kind's term reads.
    old = hit.built
    loglik = {k: (fresh.loglik[k][0], term) for k, (_, term) in old.loglik.items()}
    honest = old.loglik_honest and {
        k: (fresh.loglik_honest[k][0], term, p) for k, (_, term, p) in old.loglik_honest.items()
    }
    hit.built = replace(old, order=fresh.order, loglik=loglik, loglik_honest=honest)
    return hit


def _advi(model: pm.Model, *, draws: int, random_seed: int | None, progressbar: bool | None):
    """Mean-field ADVI, then ``draws`` draws from the approximation, as InferenceData."""
    if progressbar is None:
        progressbar = sys.stderr.isatty()
    with model:
        approx = pm.fit(n=ADVI_STEPS, method="advi", random_seed=random_seed, progressbar=progressbar)
        return approx.sample(draws, random_seed=random_seed, return_inferencedata=True)


def _jittered_starts(model: pm.Model, chains: int, seed: int | None) -> list[dict[str, np.ndarray]]:
    """One start per chain: the model's initial point moved by U(-1, 1) on the sampling scale."""
    rng = np.random.default_rng(seed)
    point = model.initial_point()
    return [{k: v + rng.uniform(-1, 1, size=np.shape(v)) for k, v in point.items()} for _ in range(chains)]


def sample(
    compiled: _Compiled,
    *,
    draws: int,
    tune: int,
    chains: int,
    cores: int | None,
    sampler: str,
    target_accept: float,
    random_seed: int | None,
    progressbar: bool | None,
):
    """NUTS with the chosen backend; returns ArviZ InferenceData.

    With PyMC's sampler the NUTS step (which holds the compiled log-density and its gradient) is
    made once per model structure and reset before each fit, so refits do not recompile.
    """
    # Here, where every fit, refit and influence() refit passes, including a saved result's
    # refit on a machine without its sampler.
    check_sampler_installed(sampler)
    if progressbar is None:
        progressbar = sys.stderr.isatty()
    if cores is None:
        cores = min(chains, 2)
    model = compiled.built.model
    with model, warnings.catch_warnings():
        # PyMC's own convergence messages are replaced by Result.check(), which names quantities.
        warnings.filterwarnings("ignore", message=".*[Tt]he number of samples is too small.*")
        # PyMC starts its chains' processes with fork; Python 3.12 and later warn when the
        # parent has threads (Numba's and OpenBLAS's pools, idle at that point). Nothing a user
        # can act on; PyMC's own choice (docs/compatibility.md).
        warnings.filterwarnings(
            "ignore",
            message=r"This process \(pid=\d+\) is multi-threaded, use of fork\(\)",
            category=DeprecationWarning,
        )
        if sampler == "nutpie":
            return _sample_nutpie(
                compiled,
                draws=draws,
                tune=tune,
                chains=chains,
                cores=cores,
                target_accept=target_accept,
                random_seed=random_seed,
                progressbar=progressbar,
            )
        if sampler != "pymc":
            return pm.sample(
                draws=draws,
                tune=tune,
                chains=chains,
                cores=cores,
                random_seed=random_seed,
                target_accept=target_accept,
                progressbar=progressbar,
                nuts_sampler=sampler,
                compute_convergence_checks=False,
                return_inferencedata=True,
            )
        if compiled.step is None:
            compiled.step = _nuts_step(model, target_accept)
        compiled.step.reset_tuning()
        return pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            random_seed=random_seed,
            step=compiled.step,
            initvals=_jittered_starts(model, chains, random_seed),
            progressbar=progressbar,
            compute_convergence_checks=False,
            return_inferencedata=True,
        )


def _nuts_step(model: pm.Model, target_accept: float):
    """PyMC's NUTS, with a dense mass matrix adapted in tuning when the model is small.

    The truth and the sources' biases are correlated in the posterior (a higher truth goes with
    lower biases), which a diagonal mass matrix cannot follow. On the NATO example (45
    parameters) a dense one took 20 leapfrog steps per draw instead of 31 and gave 1.8 times the
    ESS. Its cost grows with the cube of the number of parameters, so larger models (long
    series: a random walk per quantity) keep PyMC's diagonal adaptation.
    """
    size = sum(int(np.size(v)) for v in model.initial_point().values())
    if size > DENSE_MAX:
        return pm.NUTS(model=model, target_accept=target_accept)
    from pymc.step_methods.hmc.quadpotential import QuadPotentialFullAdapt

    # PyMC's own starting point for the adaptation (zero mean, unit variance, weight 10). PyMC
    # calls the dense adaptation experimental; it has been in PyMC since 3.9 and is what
    # `pm.sample(init="jitter+adapt_full")` uses.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "QuadPotentialFullAdapt is an experimental", UserWarning)
        potential = QuadPotentialFullAdapt(size, np.zeros(size), np.eye(size), 10)
    return pm.NUTS(model=model, target_accept=target_accept, potential=potential)


def _sample_nutpie(
    compiled: _Compiled,
    *,
    draws: int,
    tune: int,
    chains: int,
    cores: int,
    target_accept: float,
    random_seed: int | None,
    progressbar: bool,
):
    """nutpie's NUTS on a model compiled once per structure; each fit passes its own data.

    The mass matrix is nutpie's diagonal plus low-rank correction: the random walk of the truth
    and the sources' biases are correlated in the posterior, and measured on the benchmark
    cases it takes half the leapfrog steps per draw or fewer and gives 2 to 4 times the ESS per
    draw of the diagonal one (docs/performance.md). Warm-up draws are not kept.

    Where the reports pin a random walk, the chains start near the posterior's mode
    (:func:`_mode_start`), each moved by its own Normal(0, START_JITTER) on the sampling scale;
    elsewhere at the initial point moved by U(-1, 1), as nutpie does by itself.
    """
    import nutpie

    from .model.nutpie_cache import compile_nutpie

    model = compiled.built.model
    if compiled.nutpie is None:
        # Its initial point without nutpie's jitter: the optimisation below starts there.
        # nutpie's compile, with its callbacks kept in PyTensor's Numba disk cache.
        # The key of its structure lets a new process load the rewritten graphs from disk.
        compiled.nutpie = compile_nutpie(model, structure=compiled.built.key or None, jitter_rvs=set())
    # Only the data the compiled functions read: PyTensor's rewrites drop an array no term
    # uses (the ranges' widths when no report is a range), and nutpie refuses unknown names.
    known = compat.nutpie_data_names(compiled.nutpie)
    values = {v.name: v.get_value() for v in model.data_vars if v.name in known}
    seed = int(np.random.default_rng(random_seed).integers(2**31))
    ready = compiled.nutpie.with_data(**values)
    x0 = np.asarray(ready.initial_point_func(0), dtype=float)
    # Only where the reports pin a random walk (the cosine modes: about 1,000 reports and up),
    # the case measured. Small data keep nutpie's wide starts, which let R-hat see a second
    # mode (a robust fit's other reading of which figures are wild).
    mode = _mode_start(ready, x0) if _starts_from_mode(model) else None
    if mode is not None:
        ready, mode = _turn_coverage(ready, model, mode)
    centre, spread = (x0, None) if mode is None else (mode, START_JITTER)
    ready = replace(ready, initial_point_func=_chain_starts(centre, spread))
    return nutpie.sample(
        ready,
        draws=draws,
        tune=tune,
        chains=chains,
        cores=cores,
        seed=seed,
        target_accept=target_accept,
        progress_bar=progressbar,
        **compat.nutpie_sample_options(),
        save_warmup=False,
    )


def _starts_from_mode(model: pm.Model) -> bool:
    """Whether nutpie's chains start from the posterior's mode: where the reports pin a random
    walk (the model has its cosine modes). :func:`default_tune` depends on it too."""
    return "z_walk" in model.named_vars


#: Spread of the chains' starts around the posterior's mode, on the sampling scale.
START_JITTER = 0.1


def _chain_starts(centre: np.ndarray, spread: float | None):
    """nutpie's ``initial_point_func``: from a chain's seed, ``centre`` moved by
    Normal(0, spread), or by U(-1, 1) in every coordinate (nutpie's own start) if ``spread`` is
    None."""

    def start(chain_seed: Any) -> np.ndarray:
        rng = np.random.default_rng(chain_seed)
        if spread is None:
            return centre + rng.uniform(-1.0, 1.0, centre.size)
        return centre + spread * rng.standard_normal(centre.size)

    return start


def _mode_start(ready: Any, x0: np.ndarray) -> np.ndarray | None:
    """The posterior's mode on nutpie's sampling scale: L-BFGS from the model's initial point
    ``x0`` (flat, in nutpie's order).

    Why: nutpie's chains otherwise start at the initial point moved by U(-1, 1) in every
    coordinate. With thousands of reports the posterior is narrow and that start is far out in
    its tails; a chain's warm-up can then spend hundreds of draws at the maximum tree depth, or
    not reach the bulk at all (at 10,000 reports, seed 123, 500 tuning steps: two of four
    chains stuck, R-hat 1.6). From the mode the same fit takes 133 s and mixes (R-hat 1.007).
    The optimisation uses nutpie's compiled log density (a few thousand evaluations: 3 s at
    10,000 reports). ``None`` (nutpie's own start) when it cannot run or ends off the support.
    """
    from scipy import optimize

    logp_dlogp = _compiled_logp(ready)
    if logp_dlogp is None:  # another nutpie version: keep its start
        return None

    def negative(x: np.ndarray) -> tuple[float, np.ndarray]:
        logp, grad = logp_dlogp(x)
        if not np.isfinite(logp):
            return np.inf, np.zeros_like(x)
        return -float(logp), -grad

    with np.errstate(all="ignore"):
        if not np.isfinite(negative(x0)[0]):
            return None
        found = optimize.minimize(negative, x0, jac=True, method="L-BFGS-B", options={"maxiter": 5000})
    return found.x if np.isfinite(found.fun) and np.isfinite(found.x).all() else None


#: Largest coverage at which the lists' coverage is turned with the biases (_turn_coverage):
#: the slope 1 / (1 - coverage) of its logit in its log is at most 20.
TURN_COVERAGE_MAX = 0.95


def _turn_coverage(ready: Any, model: pm.Model, x: np.ndarray) -> tuple[Any, np.ndarray]:
    """Set the model's ``coverage_shift`` from the posterior's mode ``x`` (flat, nutpie's order),
    and ``x`` on the new sampling scale (the same point).

    Each list's coverage is drawn so that it moves with the sources' biases
    (``build._coverage_seen``): its logit moves by ``shift`` times their weighted mean, with
    ``shift = 1 / (1 - coverage)`` at the mode so that its log moves as much as they do. The
    shift is data (nutpie's and the PyMC model's, which the result's functions read), so
    nothing is compiled again. At 10,000 reports from 200 sources that all keep lists, the
    levels' common shift had to move 200 coverages with it; turned, its ESS rose from 827 to
    2,013 (docs/performance.md). Unchanged where the model has no such lists or nutpie's
    internals are not the ones known.
    """
    if "coverage_shift" not in compat.nutpie_data_names(ready):
        return ready, x
    values = _compiled_expand(ready, x)
    if values is None or "coverage" not in values or "coverage_seen_logodds__" not in values:
        return ready, x
    cover = np.clip(values["coverage"], 1e-12, TURN_COVERAGE_MAX)
    shift = 1.0 / (1.0 - cover)
    at = float(compat.nutpie_data(ready, "coverage_shift_weights") @ values["bias"])
    ready = ready.with_data(coverage_shift=shift, coverage_shift_at=at)
    set_fit_data(model, {"coverage_shift": shift, "coverage_shift_at": at})
    names, slices, _shapes = ready.shape_info
    x = x.copy()
    # At the mode ``w . bias`` is ``shift_at``: the sampling coordinate is the coverage's logit.
    x[slices[names.index("coverage_seen_logodds__")]] = np.log(values["coverage"]) - np.log1p(
        -values["coverage"]
    )
    return ready, x


def _compiled_expand(ready: Any, x: np.ndarray) -> dict[str, np.ndarray] | None:
    """Every variable of the trace at ``x`` (flat, nutpie's order), from nutpie's compiled
    callback, by name; None if this nutpie keeps it elsewhere or the call fails."""
    callback = _c_callback(ready, "compiled_expand_func")
    if callback is None:
        return None
    fn, user_data = callback
    n, n_out = int(ready.n_dim), int(ready.n_expanded)
    x = np.ascontiguousarray(x, dtype=float)
    out = np.empty(n_out)
    if fn(n, n_out, x.ctypes.data_as(_DOUBLES), out.ctypes.data_as(_DOUBLES), user_data) != 0:
        return None
    names, slices, shapes = ready.shape_info
    return {name: out[sl].reshape(shape) for name, sl, shape in zip(names, slices, shapes, strict=True)}


#: A C ``double *`` for nutpie's callbacks.
_DOUBLES = ctypes.POINTER(ctypes.c_double)


def _c_callback(ready: Any, name: str) -> tuple[Any, ctypes.c_void_p] | None:
    """nutpie's compiled C callback ``name`` (a ctypes function) and the data record it reads;
    None if this nutpie keeps them elsewhere."""
    try:
        return getattr(ready, name).ctypes, ctypes.c_void_p(ready.user_data.ctypes.data)
    except AttributeError:
        return None


def _compiled_logp(ready: Any):
    """The log density and its gradient, as a Python function, from nutpie's compiled C callback.

    Calling nutpie's PyTensor function from Python instead would compile it once more with
    Numba (6 s on the NATO model). ``None`` if this nutpie keeps them elsewhere.
    """
    callback = _c_callback(ready, "compiled_logp_func")
    if callback is None:
        return None
    fn, user_data = callback
    n = int(ready.n_dim)

    def logp_dlogp(x: np.ndarray) -> tuple[float, np.ndarray]:
        x = np.ascontiguousarray(x, dtype=float)
        grad, logp = np.empty(n), np.empty(1)
        code = fn(
            n,
            x.ctypes.data_as(_DOUBLES),
            grad.ctypes.data_as(_DOUBLES),
            logp.ctypes.data_as(_DOUBLES),
            user_data,
        )
        return (float(logp[0]), grad) if code == 0 else (-np.inf, grad)

    return logp_dlogp
