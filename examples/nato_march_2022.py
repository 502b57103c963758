"""Russian and Ukrainian losses in the first four weeks of the war, as reported on 23 March 2022.

Every figure of a news article of that day (NATO's first public estimate of Russian losses,
with the figures of both governments and a US defense official) becomes a report, with its
quote, written as the article words it: ``figure="as many as 40,000"`` is read by
``estimator.parse_figure`` (docs/figures.md lists what each phrase becomes). Run it with::

    python examples/nato_march_2022.py
"""

from __future__ import annotations

import pathlib

import estimator as est

OUTPUT = pathlib.Path(__file__).resolve().parent / "output" / "nato_march_2022"

START = "2022-02-24"  # the invasion: day 0 of every cumulative count
ARTICLE = "2022-03-23"  # the article's date; "Wednesday" and "Tuesday" are counted from it

SOURCES = [
    est.Source("Russian MoD", affiliation="Russia"),
    est.Source("Ukrainian government", affiliation="Ukraine"),
    est.Source("NATO"),
    est.Source("US defense official"),
]

REPORTS = [
    est.Report(
        source="NATO",
        party="Russia",
        category="killed",
        date=ARTICLE,
        figure="up to 15,000",
        quote="NATO estimates that up to 15,000 Russian troops have been killed since the "
        "Kremlin's attack on Ukraine began last month",
    ),
    est.Report(
        source="NATO",
        party="Russia",
        category="casualties",
        date=ARTICLE,
        figure="as many as 40,000",
        quote="with as many as 40,000 dead, wounded, taken prisoner or missing",
    ),
    est.Report(
        source="NATO",
        party="Russia",
        category="killed",
        date=ARTICLE,
        figure="roughly 7,000 to 15,000",
        quote="NATO estimates that roughly 7,000 to 15,000 Russian soldiers have been killed "
        "since the attack started on Feb. 24",
    ),
    est.Report(
        source="Ukrainian government",
        party="Russia",
        category="generals_killed",
        date=ARTICLE,
        figure="six",
        quote="Ukraine also claims to have killed six Russian generals",
    ),
    est.Report(
        source="Russian MoD",
        party="Russia",
        category="generals_killed",
        date=ARTICLE,
        figure="acknowledged one",
        quote="while Moscow has only acknowledged one dead",
    ),
    est.Report(
        source="Russian MoD",
        party="Russia",
        category="killed",
        date="2022-03-02",
        figure="almost 500",
        quote="The last time it acknowledged such information was on March 2, when it said "
        "almost 500 soldiers were killed",
    ),
    est.Report(
        source="Russian MoD",
        party="Russia",
        category="wounded",
        date="2022-03-02",
        figure="nearly 1,600",
        quote="and nearly 1,600 wounded",
    ),
    est.Report(
        source="Ukrainian government",
        party="Ukraine",
        category="civilians_killed",
        date=ARTICLE,
        figure="thousands",  # read as 2,000 to 9,999: see docs/figures.md
        quote="President Volodymyr Zelensky said Wednesday that thousands of his people had been killed",
    ),
    est.Report(
        source="Ukrainian government",
        party="Ukraine",
        category="children_killed",
        date=ARTICLE,
        figure="at least 121",
        quote="including at least 121 children",
    ),
    est.Report(
        source="Ukrainian government",
        party="Ukraine",
        category="killed",
        date="2022-03-12",
        figure="about 1,300",
        quote="Zelensky said on March 12 that about 1,300 Ukrainian troops had been killed in action",
    ),
    # "just over 7,000 troops died" in the first 18 years of the Afghanistan war is context, a
    # comparison with another war, not a report of this one: it is not a report here.
    # "more than 150,000 troops" sent into Ukraine is not a loss either: it is the base of the
    # share below ("lost" combat force counts every casualty, so the share is of casualties).
    est.Report(
        source="US defense official",
        party="Russia",
        category="casualties",
        date="2022-03-22",
        figure="more than 10 percent of its combat force",
        base=150_000,
        quote="Moscow has lost more than 10 percent of its combat force in Ukraine [...] a "
        "senior U.S. defense official told reporters Tuesday",
    ),
]


def main(*, write: bool = True) -> est.Result:
    result = est.estimate(REPORTS, sources=SOURCES, links=est.CASUALTY_LINKS, start=START, random_seed=1)
    print(result)
    print("\nEstimated true losses as of", result.settings["as_of"], "(90% intervals)")
    print(result.summary().round(2).to_string(index=False))
    print("\nSources: bias factor reported / true")
    print(result.sources().round(2).to_string(index=False))
    print("\nHow much the bias priors drive each estimate (power-scaling of the bias priors)")
    sens = result.sensitivity()[["party", "category", "median", "width_index", "shift_index", "verdict"]]
    print(sens.round(2).to_string(index=False))
    for note in result.notes:
        print("note:", note)
    if write:
        html = result.to_html(OUTPUT / "report.html")
        result.to_markdown(OUTPUT)  # report.md and one PNG per plot
        print(f"\nReport and plots written to {OUTPUT}/ (open {html.name} in a browser)")
    return result


if __name__ == "__main__":
    main()
