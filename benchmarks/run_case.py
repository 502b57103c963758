"""Fit one case with one implementation in this process and print one JSON line of measurements.

    python -m benchmarks.run_case CASE IMPL [--draws N] [--tune N] [--chains N] [--sampler S] [--refit]

IMPL is ``estimator`` (the package) or ``baseline`` (benchmarks/baseline.py). The runner
(``python -m benchmarks``) calls this in a fresh process per case, to time whole processes.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pymc as pm  # noqa: E402

import estimator as est  # noqa: E402
from estimator import compat  # noqa: E402
from estimator.fit import _nuts_step, compiled_model, sample  # noqa: E402
from estimator.stats import convergence  # noqa: E402

T_IMPORT = time.perf_counter() - T0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("impl", choices=("estimator", "baseline"))
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--sampler", default="pymc")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--refit", action="store_true", help="also time a second fit of the same structure")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    from .cases import case_spec, load_case

    t = time.perf_counter()
    case = load_case(args.case)
    t_data = time.perf_counter() - t

    t = time.perf_counter()
    spec = case_spec(case)
    target_accept = est.constants.TARGET_ACCEPT
    if args.impl == "estimator":
        compiled = compiled_model(spec, robust=False, target_accept=target_accept)
        model = compiled.built.model
    else:
        from .baseline import baseline_model

        model = baseline_model(spec)
    t_build = time.perf_counter() - t

    t = time.perf_counter()
    if args.impl == "estimator" and args.sampler == "pymc":
        compiled.step = _nuts_step(model, target_accept)
    elif args.impl == "estimator" and args.sampler == "nutpie":
        from estimator.model.nutpie_cache import compile_nutpie

        # As estimate() does: the rewritten graphs of the structure are kept on disk.
        compiled.nutpie = compile_nutpie(model, structure=compiled.built.key, jitter_rvs=set())
    elif args.impl == "baseline":
        model.logp_dlogp_function()  # what pm.sample compiles first; timed on its own
    t_compile = time.perf_counter() - t

    def fit(seed: int):
        return sample(
            compiled,
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            cores=None,
            sampler=args.sampler,
            target_accept=target_accept,
            random_seed=seed,
            progressbar=False,
        )

    t = time.perf_counter()
    if args.impl == "estimator":
        idata = fit(args.seed)
    else:
        with model:  # pm.sample as a user calls it: defaults but for the draws and seed
            idata = pm.sample(
                draws=args.draws,
                tune=args.tune,
                chains=args.chains,
                random_seed=args.seed,
                progressbar=False,
                compute_convergence_checks=False,
            )
    t_sample = time.perf_counter() - t

    t = time.perf_counter()
    post = compat.posterior(idata)
    ess = convergence(post[["N"]])[1]["N"].values
    if args.impl == "estimator":
        # What estimate() does after sampling: the Result, with its diagnostics of every
        # posterior variable and the check that puts problems in words.
        result = est.Result(
            spec=spec,
            built=compiled.built,
            idata=idata,
            sources=case.sources,
            reports=case.reports,
            settings={
                "robust": False,
                "prob": est.constants.INTERVAL_PROB,
                "method": "nuts",
                "sampler": args.sampler,
            },
            notes=[],
        )
        result.check(warn=False)
        rhat = result.diagnostics["max_r_hat"]
    else:
        rhat_ds = convergence(post)[0]
        rhat = max(float(np.nanmax(rhat_ds[v].values)) for v in rhat_ds.data_vars)
    sample_stats = compat.group(idata, "sample_stats")
    div = int(sample_stats["diverging"].sum())
    # Leapfrog steps per draw: with the gradient's cost, what sampling time is made of.
    steps = sample_stats.get("n_steps")
    steps_per_draw = float(steps.mean()) if steps is not None else None
    n_med = np.median(post["N"].values.reshape(-1, post["N"].shape[-1]), axis=0)
    t_post = time.perf_counter() - t
    process_s = time.perf_counter() - T0
    # A refit of the same structure (what influence() and repeated analyses do): sampling only.
    t = time.perf_counter()
    if args.refit and args.impl == "estimator":
        fit(args.seed + 1)
    t_refit = time.perf_counter() - t if args.refit and args.impl == "estimator" else None
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        "RESULT "
        + json.dumps(
            {
                "case": args.case,
                "impl": args.impl,
                "sampler": args.sampler,
                "reports": len(case.reports),
                "draws": args.draws,
                "tune": args.tune,
                "chains": args.chains,
                "import_s": T_IMPORT,
                "data_s": t_data,
                "build_s": t_build,
                "compile_s": t_compile,
                "sample_s": t_sample,
                "post_s": t_post,
                "process_s": process_s,
                "refit_s": t_refit,
                "min_ess_bulk_N": float(np.min(ess)),
                "ess_per_s": float(np.min(ess)) / t_sample,
                "ess_per_process_s": float(np.min(ess)) / process_s,
                "divergences": div,
                "steps_per_draw": steps_per_draw,
                "max_r_hat": rhat,
                "peak_mb_main": self_rss,
                "peak_mb_worker": child_rss,
                "N_median": n_med.tolist(),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
