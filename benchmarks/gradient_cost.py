"""Cost of one log-density-and-gradient evaluation, and of building and compiling, for a case.

    python -m benchmarks.gradient_cost synthetic-10000 synthetic-100000 [--nutpie] [--numba]

For the cases too large to sample within the runner's limits: sampling time is about the
gradient's cost times the leapfrog steps of all draws, divided by the cores. Prints one JSON
line per case: build and compile times, the number of parameters, CPU milliseconds per
gradient (PyTensor's C backend, the mean of 20 evaluations at the initial point, measured with
``time.process_time`` so that other work on the machine does not count) and peak memory.
With ``--numba``, the same gradient compiled with PyTensor's Numba backend, the code nutpie
runs: the smallest mean of 8 rounds of 200 evaluations, as other work on the machine only
ever adds to it.
"""

from __future__ import annotations

import argparse
import json
import resource
import time


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name: str, *, nutpie: bool = False, numba: bool = False, evals: int = 20) -> dict:
    """Build, compile and time the gradient of case ``name`` (see the module docstring)."""
    import numpy as np

    from estimator.constants import TARGET_ACCEPT
    from estimator.fit import compiled_model

    from .cases import case_spec, load_case

    out: dict = {"case": name}
    t = time.perf_counter()
    case = load_case(name)
    out["reports"] = len(case.reports)
    out["data_s"] = time.perf_counter() - t
    t = time.perf_counter()
    spec = case_spec(case)
    model = compiled_model(spec, robust=False, target_accept=TARGET_ACCEPT).built.model
    out["build_s"] = time.perf_counter() - t
    point = model.initial_point()
    out["parameters"] = int(sum(np.size(v) for v in point.values()))
    out["peak_mb_after_build"] = _peak_mb()
    t = time.perf_counter()
    fn = model.logp_dlogp_function(ravel_inputs=True)
    fn.set_extra_values({})
    out["compile_c_s"] = time.perf_counter() - t
    x = np.concatenate([np.ravel(v) for v in point.values()])
    fn(x)
    t = time.process_time()
    for _ in range(evals):
        fn(x)
    out["gradient_cpu_ms"] = (time.process_time() - t) / evals * 1000
    out["peak_mb_after_c"] = _peak_mb()
    if numba:
        t = time.perf_counter()
        fn_numba = model.logp_dlogp_function(ravel_inputs=True, mode="NUMBA")
        fn_numba.set_extra_values({})
        f = fn_numba._pytensor_function
        f.trust_input = True
        f(x)
        out["compile_numba_s"] = time.perf_counter() - t
        rounds = []
        for _ in range(8):
            t = time.process_time()
            for _ in range(200):
                f(x)
            rounds.append((time.process_time() - t) / 200 * 1000)
        out["gradient_numba_cpu_ms"] = min(rounds)
    if nutpie:
        from estimator.model.nutpie_cache import compile_nutpie

        t = time.perf_counter()
        compile_nutpie(model, jitter_rvs=set())
        out["compile_nutpie_s"] = time.perf_counter() - t
        out["peak_mb_after_nutpie"] = _peak_mb()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="+")
    ap.add_argument("--nutpie", action="store_true", help="also time nutpie's compile")
    ap.add_argument("--numba", action="store_true", help="also time the gradient with Numba")
    args = ap.parse_args()
    import warnings

    warnings.simplefilter("ignore")
    for name in args.cases:
        print(json.dumps(measure(name, nutpie=args.nutpie, numba=args.numba)), flush=True)


if __name__ == "__main__":
    main()
