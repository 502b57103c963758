"""Benchmark runner: every case with estimator and with the hand-written baseline, side by side.

    python -m benchmarks [--cases nato,synthetic-100] [--impls estimator,estimator-nutpie,baseline]
                         [--draws 1000] [--tune 1000] [--chains 4] [--timeout 1800] [--refit]
                         [--out benchmarks/results.md]

``estimator-SAMPLER`` runs the package with that sampler (``estimator`` alone: ``--sampler``).

Each case runs in a fresh process (whole-process wall time, including imports and compilation);
phases, bulk ESS of the headline quantities per second of sampling, divergences, R-hat and peak
memory come from the process itself (benchmarks/run_case.py). Results are appended as JSON lines
to ``--jsonl`` and written as a Markdown table to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import signal
import subprocess
import sys
import time

from .cases import CASES

HERE = pathlib.Path(__file__).resolve().parent


def run(case: str, impl: str, args: argparse.Namespace) -> dict:
    kind, _, sampler = impl.partition("-")
    sampler = sampler or (args.sampler if kind == "estimator" else "pymc")
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.run_case",
        case,
        kind,
        "--draws",
        str(args.draws),
        "--tune",
        str(args.tune),
        "--chains",
        str(args.chains),
        "--sampler",
        sampler,
        *(["--refit"] if args.refit and kind == "estimator" else []),
    ]
    t = time.perf_counter()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, cwd=HERE.parent)
    except subprocess.TimeoutExpired:
        return {"case": case, "impl": impl, "error": f"timed out after {args.timeout} s"}
    elapsed = time.perf_counter() - t
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            row = json.loads(line[7:])
            row["wall_s"] = elapsed
            row["impl"] = impl
            return row
    if out.returncode < 0:  # killed: SIGKILL is also what the kernel's out-of-memory killer sends
        name = signal.Signals(-out.returncode).name
        return {"case": case, "impl": impl, "error": f"killed by {name} after {elapsed:.0f} s"}
    return {"case": case, "impl": impl, "error": (out.stderr or out.stdout).strip().splitlines()[-1:]}


def wall(r: dict) -> float:
    """Whole-process seconds of the fit itself: the timed refit, when asked for, is not part of it."""
    return r["wall_s"] - (r.get("refit_s") or 0.0)


def table(rows: list[dict]) -> str:
    head = (
        "| case | impl | reports | wall s | import | build | compile | sampling | post | refit | min ESS (N) | "
        "ESS/s sampling | ESS/s process | steps/draw | div | max R-hat | peak MB (main / worker) |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['case']} | {r['impl']} | | not run: {r['error']} | | | | | | | | | | | | | |")
            continue
        refit = f"{r['refit_s']:.1f}" if r.get("refit_s") is not None else ""
        per_process = r.get("ess_per_process_s", r["min_ess_bulk_N"] / wall(r))
        steps = f"{r['steps_per_draw']:.0f}" if r.get("steps_per_draw") is not None else ""
        lines.append(
            f"| {r['case']} | {r['impl']} | {r['reports']:,} | {wall(r):.1f} | {r['import_s']:.1f} | {r['build_s']:.1f} | "
            f"{r['compile_s']:.1f} | {r['sample_s']:.1f} | {r['post_s']:.1f} | {refit} | {r['min_ess_bulk_N']:.0f} | "
            f"{r['ess_per_s']:.1f} | {per_process:.1f} | {steps} | {r['divergences']} | {r['max_r_hat']:.3f} | "
            f"{r['peak_mb_main']:.0f} / {r['peak_mb_worker']:.0f} |"
        )
    ratios = [
        "",
        "| case | impl | wall time baseline / impl | ESS/s sampling impl / baseline | ESS/s process impl / baseline |",
        "|---|---|---|---|---|",
    ]
    by = {(r["case"], r["impl"]): r for r in rows if "error" not in r}

    def per_process(r: dict) -> float:
        return r.get("ess_per_process_s", r["min_ess_bulk_N"] / wall(r))

    for case, impl in dict.fromkeys((r["case"], r["impl"]) for r in rows):
        a, b = by.get((case, impl)), by.get((case, "baseline"))
        if a and b and impl != "baseline":
            ratios.append(
                f"| {case} | {impl} | {wall(b) / wall(a):.1f}x | {a['ess_per_s'] / b['ess_per_s']:.1f}x | "
                f"{per_process(a) / per_process(b):.1f}x |"
            )
    return head + "\n".join(lines) + ("\n" + "\n".join(ratios) if len(ratios) > 3 else "") + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default="nato,synthetic-100,synthetic-1000")
    ap.add_argument("--impls", default="estimator,baseline")
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--sampler", default="pymc")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--refit", action="store_true", help="also time a refit of the same structure")
    ap.add_argument(
        "--table",
        action="store_true",
        help="run nothing: tabulate the latest rows of --jsonl for these cases",
    )
    ap.add_argument("--out", default=str(HERE / "results.md"))
    ap.add_argument("--jsonl", default=str(HERE / "results.jsonl"))
    args = ap.parse_args()
    cases = args.cases.split(",")
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        raise SystemExit(f"unknown cases {unknown}; cases: {', '.join(CASES)}")
    rows = []
    if args.table:
        old = [json.loads(x) for x in pathlib.Path(args.jsonl).read_text().splitlines() if x.strip()]
        latest = {(r["case"], r["impl"]): r for r in old}
        rows = [latest[(c, i)] for c in cases for i in args.impls.split(",") if (c, i) in latest]
        print(table(rows))
        return
    for case in cases:
        for impl in args.impls.split(","):
            row = run(case, impl, args)
            rows.append(row)
            with open(args.jsonl, "a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps({k: v for k, v in row.items() if k != "N_median"}), flush=True)
    md = table(rows)
    pathlib.Path(args.out).write_text(md)
    print(md)


if __name__ == "__main__":
    main()
