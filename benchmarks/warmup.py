"""nutpie's warm-up from different starting points, on one case (docs/performance.md).

    python -m benchmarks.warmup synthetic-10000 --tune 500 --seed 123 --starts mode:0.1,scaled

Compiles the case once, then samples it with nutpie from each start in turn (4 chains x 1000
draws, the fit's settings otherwise) and prints one JSON line per start: sampling time, the
warm-up's leapfrog steps per chain (all of it and its first 50 draws), steps per kept draw,
divergences, the smallest bulk ESS of N and of tau, and the largest R-hat.

Starts: ``nutpie`` is nutpie's own (the model's initial point moved by U(-1, 1)); ``mode:S``
is the posterior's mode (``estimator.fit._mode_start``) moved by Normal(0, S) in the model's
coordinates; ``scaled`` is what ``estimate()`` does where the reports pin a random walk: the
mode, the coordinates scaled by the posterior's width there (``estimator.fit._scale_at_mode``),
and each chain started one width away from it in every coordinate.
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
    ap.add_argument("--starts", default="mode:0.1,scaled")
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    import numpy as np
    import nutpie

    from estimator.constants import TARGET_ACCEPT
    from estimator.fit import _chain_starts, _mode_start, _scale_at_mode, _turn_coverage, compiled_model
    from estimator.model.nutpie_cache import SAMPLING_LOC, SAMPLING_SCALE, compile_nutpie
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
    if mode is not None:
        ready, mode = _turn_coverage(ready, model, mode)
    mode_s = time.perf_counter() - t
    t = time.perf_counter()
    scale = None if mode is None else _scale_at_mode(ready, mode, workers=2)
    scale_s = time.perf_counter() - t
    print(
        json.dumps(
            {
                "case": args.case,
                "compile_s": compile_s,
                "mode_s": mode_s,
                "scale_s": scale_s,
                "found_mode": mode is not None,
            }
        )
    )

    for name in args.starts.split(","):
        placed = ready
        if name == "nutpie":
            starts = _chain_starts(x0, None)
        elif name.startswith("mode:") and mode is not None:
            starts = _chain_starts(mode, float(name.split(":")[1]))
        elif name == "scaled" and scale is not None:
            placed = ready.with_data(**{SAMPLING_LOC: mode, SAMPLING_SCALE: scale})
            starts = _chain_starts(np.zeros_like(mode), None, signs=True)
        else:
            raise SystemExit(f"unknown start {name!r} (or no mode found); use nutpie, mode:S or scaled")

        t = time.perf_counter()
        idata = nutpie.sample(
            replace(placed, initial_point_func=starts),
            draws=args.draws,
            tune=args.tune,
            chains=4,
            cores=2,
            seed=args.seed,
            target_accept=TARGET_ACCEPT,
            progress_bar=False,
            low_rank_modified_mass_matrix=True,
            save_warmup=True,
        )
        sample_s = time.perf_counter() - t
        warm = idata.warmup_sample_stats["n_steps"].values
        post = idata.posterior
        rhat, bulk, _ = convergence(post)
        taus = [v for v in post.data_vars if v.startswith("tau")]
        print(
            json.dumps(
                {
                    "start": name,
                    "sample_s": sample_s,
                    "warmup_steps": warm.sum(axis=1).tolist(),
                    "warmup_steps_first50": warm[:, :50].sum(axis=1).tolist(),
                    "steps_per_draw": float(idata.sample_stats["n_steps"].mean()),
                    "divergences": int(idata.sample_stats["diverging"].sum()),
                    "min_ess_bulk_N": float(bulk["N"].min()),
                    "min_ess_bulk_tau": min((float(bulk[v].min()) for v in taus), default=None),
                    "max_r_hat": max(float(np.nanmax(rhat[v].values)) for v in rhat.data_vars),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
