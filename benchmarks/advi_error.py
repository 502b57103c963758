"""How far the ADVI preview is from NUTS on the benchmark cases (docs/performance.md).

    python -m benchmarks.advi_error --cases nato,synthetic-100,synthetic-1000

Fits each case twice in this process with ``estimate()``: NUTS with the defaults, then
``method="advi"``, both with the same seed. Prints one JSON line per case: the seconds of each
fit (NUTS's includes a first compile of a new structure; ADVI compiles with PyMC's C backend),
and over the summary's quantities (leaves and aggregates at ``as_of``) the ratio of ADVI's
median to NUTS's (smallest, median, largest), the ratio of the widths of their 90% intervals
(median over quantities: under 1 means ADVI's are narrower), and the share of NUTS's medians
that fall inside ADVI's intervals.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default="nato,synthetic-100,synthetic-1000")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    import numpy as np

    import estimator as est

    from .cases import load_case

    for name in args.cases.split(","):
        case = load_case(name)
        fits = {}
        for method in ("nuts", "advi"):
            t = time.perf_counter()
            res = est.estimate(
                case.reports,
                sources=case.sources,
                method=method,
                random_seed=args.seed,
                progressbar=False,
                **case.options,
            )
            fits[method] = (res.summary().set_index(["party", "category"]), time.perf_counter() - t)
        nuts, advi = fits["nuts"][0], fits["advi"][0].loc[fits["nuts"][0].index]
        ratio = (advi["median"] / nuts["median"]).to_numpy()
        width = ((advi["upper"] - advi["lower"]) / (nuts["upper"] - nuts["lower"])).to_numpy()
        inside = (advi["lower"] <= nuts["median"]) & (nuts["median"] <= advi["upper"])
        print(
            json.dumps(
                {
                    "case": name,
                    "quantities": len(nuts),
                    "nuts_s": round(fits["nuts"][1], 1),
                    "advi_s": round(fits["advi"][1], 1),
                    "median_ratio_min": round(float(ratio.min()), 3),
                    "median_ratio_median": round(float(np.median(ratio)), 3),
                    "median_ratio_max": round(float(ratio.max()), 3),
                    "width_ratio_median": round(float(np.median(width)), 3),
                    "width_ratio_min": round(float(width.min()), 3),
                    "nuts_median_inside_advi_interval": round(float(inside.mean()), 3),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
