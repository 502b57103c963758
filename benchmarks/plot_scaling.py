"""Plot whole-process time and sampling time against the number of reports, from results.jsonl.

python -m benchmarks.plot_scaling [--jsonl benchmarks/results.jsonl] [--out docs/performance-scaling.png]
"""

from __future__ import annotations

import argparse
import json
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .__main__ import wall  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jsonl", default=str(HERE / "results.jsonl"))
    ap.add_argument("--out", default=str(HERE.parent / "docs" / "performance-scaling.png"))
    args = ap.parse_args()
    rows = [json.loads(line) for line in pathlib.Path(args.jsonl).read_text().splitlines() if line.strip()]
    rows = [r for r in rows if "error" not in r and r["case"].startswith("synthetic")]
    fig, ax = plt.subplots(figsize=(6, 4))
    impls = sorted({r["impl"] for r in rows}, key=lambda i: (i == "baseline", i))
    for impl, marker in zip(impls, "o^Ds", strict=False):
        # The latest run of each (case, impl) counts.
        latest = {r["case"]: r for r in rows if r["impl"] == impl}
        pts = sorted((r["reports"], wall(r), r["sample_s"]) for r in latest.values())
        if not pts:
            continue
        n, walls, samp = zip(*pts, strict=True)
        ax.plot(n, walls, marker=marker, label=f"{impl}: whole process")
        ax.plot(n, samp, marker=marker, linestyle="--", label=f"{impl}: sampling")
    if rows:
        n0 = min(r["reports"] for r in rows)
        base = min(wall(r) for r in rows if r["reports"] == n0)
        xs = sorted({r["reports"] for r in rows})
        ax.plot(
            xs,
            [base * x / n0 for x in xs],
            color="grey",
            linewidth=0.8,
            label="linear from the smallest case",
        )
    ax.set(
        xscale="log", yscale="log", xlabel="reports", ylabel="seconds", title="Cost against number of reports"
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(args.out)


if __name__ == "__main__":
    main()
