"""nutpie's warm-up from different starting points, on one case (docs/performance.md).

    python -m benchmarks.warmup synthetic-10000 --tune 500 --seed 123 --starts nutpie,mode:0.1,mode:0.5
    python -m benchmarks.warmup synthetic-10000 --tune 500 --starts mode:0.1 --maxdepths 10,8

Compiles the case once, then samples it with nutpie from each start in turn (4 chains x 1000
draws, the fit's settings otherwise) and prints one JSON line per start: sampling time, the
warm-up's leapfrog steps per chain (all of it and its first 50 draws), steps per kept draw,
divergences, the smallest bulk ESS of N and of tau, and the largest R-hat. ``--maxdepths``
samples each start once per largest tree depth (nutpie's ``maxdepth``, 10 by default).

Starts: ``nutpie`` is nutpie's own (the model's initial point moved by U(-1, 1)); ``mode:S``
is the posterior's mode (``estimator.fit._mode_start``) moved by Normal(0, S), which
``estimate()`` uses where the reports pin a random walk.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from dataclasses import replace


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--starts", default="nutpie,mode:0.1")
    ap.add_argument("--maxdepths", default="10", help="nutpie's largest tree depths to try, e.g. 10,8")
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    import numpy as np
    import nutpie

    from estimator import compat
    from estimator.constants import TARGET_ACCEPT
    from estimator.fit import _chain_starts, _mode_start, compiled_model
    from estimator.model.nutpie_cache import compile_nutpie
    from estimator.stats import convergence

    from .cases import case_spec, load_case

    case = load_case(args.case)
    spec = case_spec(case)
    model = compiled_model(spec, robust=False, target_accept=TARGET_ACCEPT).built.model
    t = time.perf_counter()
    ready = compile_nutpie(model, jitter_rvs=set()).with_data(
        **{v.name: v.get_value() for v in model.data_vars}
    )
    compile_s = time.perf_counter() - t
    x0 = np.asarray(ready.initial_point_func(0), dtype=float)
    t = time.perf_counter()
    mode = _mode_start(ready, x0)
    mode_s = time.perf_counter() - t
    print(
        json.dumps(
            {"case": args.case, "compile_s": compile_s, "mode_s": mode_s, "found_mode": mode is not None}
        )
    )

    runs = [(name, int(depth)) for name in args.starts.split(",") for depth in args.maxdepths.split(",")]
    for name, maxdepth in runs:
        if name == "nutpie":
            centre, spread = x0, None
        elif name.startswith("mode:") and mode is not None:
            centre, spread = mode, float(name.split(":")[1])
        else:
            raise SystemExit(f"unknown start {name!r} (or no mode found); use nutpie or mode:S")

        t = time.perf_counter()
        idata = nutpie.sample(
            replace(ready, initial_point_func=_chain_starts(centre, spread)),
            draws=args.draws,
            tune=args.tune,
            chains=4,
            cores=2,
            seed=args.seed,
            target_accept=TARGET_ACCEPT,
            progress_bar=False,
            **compat.nutpie_sample_options(),
            save_warmup=True,
            maxdepth=maxdepth,
        )
        sample_s = time.perf_counter() - t
        warm = compat.group(idata, "warmup_sample_stats")["n_steps"].values
        post = compat.posterior(idata)
        sample_stats = compat.group(idata, "sample_stats")
        rhat, bulk, _ = convergence(post)
        taus = [v for v in post.data_vars if v.startswith("tau")]
        print(
            json.dumps(
                {
                    "start": name,
                    "maxdepth": maxdepth,
                    "sample_s": sample_s,
                    "warmup_steps": warm.sum(axis=1).tolist(),
                    "warmup_steps_first50": warm[:, :50].sum(axis=1).tolist(),
                    "steps_per_draw": float(sample_stats["n_steps"].mean()),
                    "divergences": int(sample_stats["diverging"].sum()),
                    "min_ess_bulk_N": float(bulk["N"].min()),
                    "min_ess_bulk_tau": min((float(bulk[v].min()) for v in taus), default=None),
                    "max_r_hat": max(float(np.nanmax(rhat[v].values)) for v in rhat.data_vars),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
