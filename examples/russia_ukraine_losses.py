"""Russian and Ukrainian soldier losses, February 2022 to June 2026, from 124 published figures.

The data is The Economist's collection of published estimates (``examples/data/economist-ukraine/``,
a byte-identical copy, MIT licence). A well-known meta-estimate built on it drops every figure
from a warring party and every one-sided figure, fits deaths and casualties separately, and forces
its curve upward after the fit. Here every row is used, in ONE temporal model of both armies:

- the warring parties' figures stay in, with their stance: a party counting its own losses is
  ``own`` (prior: undercounts), counting the enemy's is ``adversary`` (prior: overcounts);
- one-sided figures stay in: a row with only a low is ``at_least``, only a high ``upper_estimate``;
- deaths are the leaf ``killed``; casualties the built-in aggregate
  ``casualties = killed + wounded + captured + missing``, so both kinds of figure inform one curve;
- counts of named or confirmed dead are ``documented`` (a subset of the truth), not estimates;
- the cumulative count is non-decreasing by construction (a positive daily rate), not forced
  upward afterwards.

How each row becomes a report (``load_reports``; the CSV is never edited)
---------------------------------------------------------------------------
=================================  =============================================================
CSV                                 report
=================================  =============================================================
``country`` russia / ukraine        ``party`` Russia / Ukraine
``type`` deaths                     ``category`` killed
``type`` casualties                 ``category`` casualties (killed + wounded + captured + missing)
``estimate`` only                   ``approx`` (its sd widened by how round it is: 500,000 is to
                                    the 100,000)
``estimate_low`` and ``_high``      ``range`` (the source's own 90% interval)
low, high and ``estimate``          ``range``; the central ``estimate`` stays in the quote (the
                                    range says how sure the source is, the centre adds little:
                                    it lies within 1% of the range's geometric middle)
``estimate_low`` only               ``at_least``
``estimate_high`` only              ``upper_estimate`` (the top of the source's interval)
source UAlosses, The Memory Book    ``documented`` (lists of named dead): the single figure, or
                                    the low (UAlosses' low is its named dead, its high adds the
                                    missing; the high stays in the quote)
``source`` "X (via Y)"              source X; "via Y" is kept in the quote as provenance
``source`` aliases                  one name per organisation (``SOURCE_ALIASES``)
``source_url``                      ``url``
``date`` (day first)                ``date``, read by ``read_reports(..., dayfirst=True)``
numbers ``"750,000"``               read by ``read_reports`` (thousands separators)
"ignore for chart ..." column       not read as data; it is checked against the affiliations
=================================  =============================================================

A row that cannot be mapped, or that ``read_reports`` refuses, is rejected with the reason and
its file line (header = line 1); the script prints every rejected row. On the shipped file no row
is rejected: all 124 are reports.

The model
---------
One temporal fit, day 0 = 2022-02-24, both parties. The daily loss rate of each party's killed is
a random walk on a grid of knots; wounded, captured and missing are tied to the killed by
``est.CASUALTY_LINKS`` (``estimator/presets.py``): about 3 wounded per killed, 90% range 1.5 to 6,
the conventional planning ratio of modern land war (historical analyses such as Dupuy's
"Attrition" put it at 2 to 4); captured and missing each 5% to 100% of the killed. Nobody in this
data reports wounded alone, so the wounded/killed split is mostly that prior: casualties figures
inform the sum, deaths figures the killed.

Knots every ``KNOT_DAYS`` = 28 days (57 knots), PyMC's NUTS, 4 chains x 1000 draws after 1000
tuning steps, ``target_accept`` 0.95. Why not weekly knots (the package default): with PyMC's
sampler the weekly fit (227 knots) had not finished after 12 minutes on this 2-core machine, and
it buys nothing here: the same fit with weekly knots through nutpie (``--knot-days 7 --sampler
nutpie``, 265 s, 0 divergences, R-hat 1.006) gives the same year-end medians to within 1%. Most
sources publish at most one figure a month, so a weekly rate is learnt from the smoothing prior,
not from the data.

Measured with ``/usr/bin/time -v python examples/russia_ukraine_losses.py`` on the 2-core machine
this was written on, shared with other people's fits (load average 5 to 6 while it ran, so an
idle machine is faster): fit 573 s, whole script 10 min 22 s (the rest is the leave-one-out
checks, plots and HTML report), peak memory (max RSS) 907 MiB in the main process, 533 MiB per
sampler worker; 0 divergences, max R-hat 1.005, min bulk ESS 1230, min tail ESS 1792, min BFMI
0.97. The same fit took 322 s (495 MiB) under lighter load and 695 s with more fits beside it.

Run it with::

    python examples/russia_ukraine_losses.py            # fit, print, write plots + HTML
    python examples/russia_ukraine_losses.py --knot-days 7 --sampler nutpie   # weekly knots

It prints the estimates at each new year and at the last date, the source table, the reports the
model finds most surprising, and where it wrote the plots and the HTML report.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

import estimator as est

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "economist-ukraine" / "estimates.csv"
OUTPUT = HERE / "output" / "russia_ukraine"

START = "2022-02-24"  # the invasion: day 0 of every cumulative count
KNOT_DAYS = 28
DRAWS = 1000
TUNE = 1000
CHAINS = 4
SEED = 20220224
#: The dates of the year-end table: each new year, and the last date of the data (appended).
YEAR_ENDS = ("2023-01-01", "2024-01-01", "2025-01-01", "2026-01-01")

PARTIES = {"russia": "Russia", "ukraine": "Ukraine"}
CATEGORIES = {"deaths": "killed", "casualties": "casualties"}

#: One name per organisation. The CSV spells some sources two ways; a parenthesis that is not
#: "(via Y)" is part of the name unless an alias says otherwise.
SOURCE_ALIASES: dict[str, str] = {
    "UK MoD": "UK Ministry of Defence",
    "The Centre for Strategic and International Studies": "CSIS",
    "Mediazona; Meduza (cumulative)": "Mediazona; Meduza",
    "Dutch Military Intelligence and Security Service (MIVD)": "Dutch MIVD",
    "Dutch Military Intelligence and Security Service (MIVD; note, timing clarified via email)": "Dutch MIVD",
    "US Sec of Def": "US DoD",  # Lloyd Austin, US Secretary of Defense
}

#: Lists of named or confirmed dead: a count that is a subset of the truth (kind ``documented``).
#: Mediazona/Meduza and BBC Russia figures in this file are NOT their named counts (those were
#: about 100,000 in early 2025) but their estimates of the total, so they are estimates here.
DOCUMENTED_SOURCES = frozenset({"UAlosses", "The Memory Book"})

#: Affiliations: a warring party's government, army, or a camp's own estimate. Everyone else is
#: neutral (Western governments are not neutral in the war, but do not report their own losses).
SOURCES: tuple[est.Source, ...] = (
    est.Source("Armed Forces of Ukraine", affiliation="Ukraine"),
    est.Source("Office of the President of Ukraine", affiliation="Ukraine"),
    # A confidential Ukrainian estimate of Ukraine's own losses, leaked to the WSJ.
    est.Source("Ukrainian estimate", affiliation="Ukraine"),
    est.Source("Russian Ministry of Defense", affiliation="Russia"),
    # A pro-Russian project that tracks Ukrainian losses: not the government, but its count of
    # the enemy's dead is given the adversary stance (prior: overcounts) rather than trusted.
    est.Source("Lostarmour", affiliation="Russia"),
)


@dataclasses.dataclass(frozen=True)
class Rejected:
    """A CSV row that did not become a report, with its file line (header = line 1) and why."""

    line: int
    source: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line} ({self.source}): {self.reason}"


def split_source(name: str) -> tuple[str, str | None]:
    """``"US officials (via NYT)"`` -> ``("US officials", "via NYT")``; aliases applied.

    Only a trailing ``(via Y)`` / ``(leak via Y)`` is provenance; any other parenthesis is part
    of the name (``"Excess deaths estimate (D. Kobak)"``) unless :data:`SOURCE_ALIASES` maps it.
    """
    name = " ".join(name.split())
    if name in SOURCE_ALIASES:
        return SOURCE_ALIASES[name], None
    m = re.fullmatch(r"(?P<who>.+?)\s*\((?P<how>(?:leak )?via [^();]+)\)", name)
    if m:
        who = m["who"].strip()
        return SOURCE_ALIASES.get(who, who), m["how"].strip()
    return name, None


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and pd.isna(v)) or not str(v).strip()


def map_rows(raw: pd.DataFrame, lines: Sequence[int]) -> tuple[pd.DataFrame, list[Rejected]]:
    """The documented transformation: the CSV's rows as report rows, plus the rows refused.

    Adds ``reported_by`` (source), ``whose`` (party), ``loss`` (category), ``kind`` and ``quote``
    and blanks the numbers a row's kind does not use (they stay in the quote). Numbers and dates
    stay text, for :func:`estimator.read_reports` to read. The index is the file line.
    """
    rows, index, rejected = [], [], []
    for line, rec in zip(lines, raw.to_dict("records"), strict=True):
        raw_source = str(rec["source"])
        source, via = split_source(raw_source)
        low, high, value = (rec[c] for c in ("estimate_low", "estimate_high", "estimate"))
        has = {k: not _blank(v) for k, v in (("low", low), ("high", high), ("value", value))}
        party = PARTIES.get(str(rec["country"]).strip().lower())
        category = CATEGORIES.get(str(rec["type"]).strip().lower())
        reason = None
        if party is None:
            reason = f"country {rec['country']!r} is not one of {sorted(PARTIES)}"
        elif category is None:
            reason = f"type {rec['type']!r} is not one of {sorted(CATEGORIES)}"
        elif not any(has.values()):
            reason = "no figure: estimate, estimate_low and estimate_high are all empty"
        kind = None
        if reason is None and source in DOCUMENTED_SOURCES:
            kind = "documented"
            if not has["value"]:
                if not has["low"]:
                    reason = "a documented count needs its count (estimate or estimate_low)"
                value, low, high = low, None, None
            else:
                low = high = None
        elif reason is None:
            if has["low"] and has["high"]:
                kind, value = "range", None
            elif has["value"] and not (has["low"] or has["high"]):
                kind = "approx"
            elif has["value"]:
                reason = "an estimate with only one end of a range: is it a point or a bound?"
            elif has["low"]:  # the bound becomes the figure's value
                kind, value, low = "at_least", low, None
            else:
                kind, value, high = "upper_estimate", high, None
        if reason is not None:
            rejected.append(Rejected(line, raw_source.strip(), reason))
            continue
        written = ", ".join(
            f"{c}={rec[c]}" for c in ("estimate", "estimate_low", "estimate_high") if not _blank(rec[c])
        )
        quote = f"{raw_source.strip()}: {rec['country']} {rec['type']} {written} (csv line {line})"
        if via:
            quote += f"; reported {via}"
        rows.append(
            {
                **rec,
                "reported_by": source,
                "whose": party,
                "loss": category,
                "kind": kind,
                "estimate": value,
                "estimate_low": low,
                "estimate_high": high,
                "quote": quote,
            }
        )
        index.append(line)
    frame = pd.DataFrame(rows, index=pd.Index(index, name="line"), columns=[*raw.columns, *_ADDED])
    return frame, rejected


_ADDED = ("reported_by", "whose", "loss", "kind", "quote")
#: How read_reports reads the mapped frame: their column -> ours (None: not read).
COLUMNS: dict[str, str | None] = {
    "date": "date",
    "estimate_low": "low",
    "estimate_high": "high",
    "estimate": "value",
    "source_url": "url",
    "reported_by": "source",
    "whose": "party",
    "loss": "category",
    "kind": "kind",
    "quote": "quote",
    "source": None,  # raw name: kept in the quote
    "type": None,
    "country": None,
    "ignore for chart, data from warring parties": None,
}


def _file_lines(frame: pd.DataFrame) -> list[int]:
    """File line of each row (header = line 1), counting line breaks inside quoted cells."""
    line = 2 + sum(str(c).count("\n") for c in frame.columns)
    out = []
    for row in frame.itertuples(index=False):
        out.append(line)
        line += 1 + sum(str(v).count("\n") for v in row)
    return out


def load_reports(path: str | Path = DATA) -> tuple[list[est.Report], list[est.Source], list[Rejected]]:
    """Read the Economist CSV unchanged: reports, the sources they name, and the rejected rows.

    Every row is a report (in file order, its file line in ``report.extra["line"]``) or a
    :class:`Rejected` naming its line and the reason.
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame, rejected = map_rows(raw, _file_lines(raw))
    aggregates = est.DEFAULT_AGGREGATES
    while True:
        try:
            reports = est.read_reports(frame, columns=COLUMNS, dayfirst=True, aggregates=aggregates)
            break
        except est.ReportError as e:
            bad: dict[int, list[str]] = {}
            for p in e.problems:
                if p.index is None or p.index not in frame.index:
                    raise  # a problem with the whole table, not a row: a bug in the mapping
                bad.setdefault(int(p.index), []).append(f"{p.what} ({p.todo})")
            for line, reasons in bad.items():
                rejected.append(Rejected(line, str(frame.loc[line, "source"]), "; ".join(reasons)))
            frame = frame.drop(index=list(bad))
    reports = [
        dataclasses.replace(r, extra={"line": int(line)})
        for r, line in zip(reports, frame.index, strict=True)
    ]
    rejected.sort(key=lambda r: r.line)
    named = {r.source for r in reports}
    declared = {s.name for s in SOURCES}
    sources = [s for s in SOURCES if s.name in named] + [est.Source(n) for n in sorted(named - declared)]
    return reports, sources, rejected


def stance_check(path: str | Path = DATA) -> list[int]:
    """Lines the CSV flags as "data from warring parties" whose source we left neutral (should be [])."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    affiliated = {s.name for s in SOURCES if s.affiliation}
    flag = "ignore for chart, data from warring parties"
    return [
        line
        for line, rec in zip(_file_lines(raw), raw.to_dict("records"), strict=True)
        if rec[flag].strip().lower() == "yes" and split_source(rec["source"])[0] not in affiliated
    ]


def fit(
    reports: Sequence[est.Report],
    sources: Sequence[est.Source],
    *,
    knot_days: int = KNOT_DAYS,
    draws: int = DRAWS,
    tune: int = TUNE,
    chains: int = CHAINS,
    target_accept: float = 0.95,
    sampler: str = "pymc",
    as_of: str | None = None,
    random_seed: int = SEED,
) -> est.Result:
    """One temporal fit of every report, both parties, from the invasion, wounded linked to killed."""
    return est.estimate(
        reports,
        sources=sources,
        links=est.CASUALTY_LINKS,
        start=START,
        as_of=as_of,
        mode="temporal",
        knot_days=knot_days,
        draws=draws,
        tune=tune,
        chains=chains,
        target_accept=target_accept,
        sampler=sampler,
        random_seed=random_seed,
    )


def year_end_table(result: est.Result, dates: Sequence[str] = YEAR_ENDS) -> pd.DataFrame:
    """Killed and casualties of each party at each new year and at the last date (90% intervals)."""
    traj = result.trajectory(freq="MS")
    last = traj["date"].max()
    keep = {pd.Timestamp(d) for d in dates} | {last}
    t = traj[traj["date"].isin(keep) & traj["category"].isin(["killed", "wounded", "casualties"])]
    t = t.assign(date=t["date"].dt.date)
    return t.sort_values(["party", "category", "date"]).reset_index(drop=True)


def surprises(result: est.Result, n: int = 12) -> pd.DataFrame:
    """Reports sorted by how surprising the model finds them (predictive tail probability).

    ``tail`` is the probability of a figure at least as extreme as the one reported, predicted
    from the other reports (leave-one-out ``loo_pit`` where the result has it, else ``pit``, the
    posterior predictive): two-sided for figures, one-sided for bounds (``at_least``: the chance
    the source would say a figure this high or higher). ``outlier`` is the result's own flag.
    """
    t = result.reports()
    pit = t["loo_pit"] if "loo_pit" in t else t["pit"]
    two = 2 * pit.where(pit < 0.5, 1 - pit)
    tail = two.where(t["kind"] != "at_least", 1 - pit)
    tail = tail.where(t["kind"] != "at_most", pit)
    t = t.assign(tail=tail.clip(lower=0.0))
    cols = ["source", "party", "category", "date", "kind", "value", "low", "high", "stance"]
    cols += ["pred_median", "pred_lower", "pred_upper", "pit", "loo_pit", "tail", "outlier"]
    cols += ["pareto_k", "influence"]
    return t.sort_values("tail", kind="stable")[[c for c in cols if c in t]].head(n).reset_index(drop=True)


def _peak_rss_mib() -> tuple[float, float]:
    """Peak resident memory (MiB) of this process and of its finished children (sampler workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, kids


def write_outputs(result: est.Result, out: Path) -> list[Path]:
    """Trajectory and source plots (PNG) and the HTML report into ``out``; returns the files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    plots = [(f"trajectory_{p.lower()}", "trajectory", p) for p in result.spec.parties]
    plots += [("sources", "sources", None), ("diagnostics", "diagnostics", None)]
    for name, kind, party in plots:
        try:
            fig = result.plot(kind=kind, party=party)
        except (ImportError, AttributeError, NotImplementedError) as e:
            print(f"  plot {kind!r} not available yet ({e}); run again later")
            continue
        path = out / f"{name}.png"
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        written.append(path)
    try:
        written.append(Path(result.to_html(out / "report.html")))
    except (ImportError, AttributeError, NotImplementedError) as e:
        print(f"  HTML report not available yet ({e}); run again later")
    return written


def _fmt(x: float) -> str:
    return f"{x:,.0f}"


def main(argv: Sequence[str] | None = None) -> est.Result:
    """Load, fit, print the answers, write plots and the HTML report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--knot-days", type=int, default=KNOT_DAYS)
    ap.add_argument("--draws", type=int, default=DRAWS)
    ap.add_argument("--tune", type=int, default=TUNE)
    ap.add_argument("--chains", type=int, default=CHAINS)
    ap.add_argument("--target-accept", type=float, default=0.95)
    ap.add_argument("--sampler", default="pymc", help="pymc (default) or nutpie when installed")
    ap.add_argument("--out", type=Path, default=OUTPUT)
    args = ap.parse_args(argv)

    reports, sources, rejected = load_reports(DATA)
    t0 = time.perf_counter()
    result = fit(
        reports,
        sources,
        knot_days=args.knot_days,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        target_accept=args.target_accept,
        sampler=args.sampler,
    )
    seconds = time.perf_counter() - t0
    pd.set_option("display.width", 200)
    d = result.diagnostics
    print(result)
    print(
        f"Fit: {seconds:.0f} s, {d['chains']} chains x {d['draws']} draws, knots every "
        f"{args.knot_days} days; divergences {d['divergences']}, max R-hat {d['max_r_hat']:.3f} "
        f"({d['max_r_hat_of']}), min bulk ESS {d['min_ess_bulk']:.0f}, min tail ESS "
        f"{d['min_ess_tail']:.0f}, min BFMI {d['min_bfmi']:.2f}"
    )

    print("\nTrue losses at each new year and at the last date (median, 90% interval):")
    table = year_end_table(result)
    for (party, cat), g in table.groupby(["party", "category"], sort=False):
        print(f"  {party} {cat}:")
        for r in g.itertuples():
            print(f"    {r.date}  {_fmt(r.median):>10}  ({_fmt(r.lower)} to {_fmt(r.upper)})")

    print("\nSources: bias factor reported / true (median and 90% interval; prior interval):")
    src = result.sources().sort_values(["stance", "party", "source"])
    cols = ["source", "party", "stance", "n_reports", "bias_median", "bias_lower", "bias_upper"]
    cols += ["prior_lower", "prior_upper", "noise_median"]
    cols += ["coverage_median"] if "coverage_median" in src else []
    print(src[cols].round(2).to_string(index=False))

    print("\nThe reports the model finds most surprising (tail: predictive probability of a")
    print("figure at least this extreme; outlier: outside the 99% predictive interval):")
    print(surprises(result).round(3).to_string(index=False))

    for note in result.notes:
        print("note:", note)
    for p in result.problems:
        print("fit problem:", p)

    out = args.out
    print(f"\nWriting plots and the HTML report to {out}/")
    for path in write_outputs(result, out):
        print("  ", path)

    own, kids = _peak_rss_mib()
    print(f"\nPeak memory: {own:.0f} MiB (this process), {kids:.0f} MiB (largest sampler worker)")
    print(f"Rows used: {len(reports)} of {len(reports) + len(rejected)}; rejected: {len(rejected)}")
    for r in rejected:
        print("  rejected", r)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
