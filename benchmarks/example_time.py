"""Time the NATO example as a user runs it: from launch to its printed summary, and to exit.

    python -m benchmarks.example_time --sampler nutpie --runs 3
    python -m benchmarks.example_time --runs 2          # the default sampler (nutpie where installed)
    python -m benchmarks.example_time --sampler pymc --runs 2

Each run is a new process, ``python examples/nato_march_2022.py``, with ``ESTIMATOR_SAMPLER``
set to ``--sampler`` when given. "Summary" is the moment the line after the summary table
("Sources: ...") is read from its output; the example then goes on to its sensitivity table,
plots and HTML report ("exit"). Run it once first to fill the compile caches.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_once(sampler: str | None) -> dict:
    """One run: seconds to the summary and to exit, the result's first line, Russia's killed."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MPLBACKEND": "Agg"}
    if sampler:
        env["ESTIMATOR_SAMPLER"] = sampler
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "examples/nato_march_2022.py"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    summary, lines = None, []
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if summary is None and line.startswith("Sources:"):
            summary = time.perf_counter() - t0
    if proc.wait() != 0:
        raise SystemExit(f"the example failed (exit {proc.returncode})")
    killed = next((ln for ln in lines if ln.split()[:2] == ["Russia", "killed"]), "")
    return {
        "summary_s": summary,
        "exit_s": time.perf_counter() - t0,
        "result": lines[0] if lines else "",
        "russia_killed": " ".join(killed.split()[2:8]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sampler", default=None, help="ESTIMATOR_SAMPLER for the runs (default: unset)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    for i in range(args.runs):
        r = run_once(args.sampler)
        print(
            f"run {i + 1}: summary {r['summary_s']:.2f} s, exit {r['exit_s']:.2f} s | {r['result']} | "
            f"Russia killed (mean median sd lower upper r_hat): {r['russia_killed']}",
            flush=True,
        )


if __name__ == "__main__":
    main()
