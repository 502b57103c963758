"""Reading figures as sources write them: hedges, ranges, vague magnitudes, shares, errors."""

from __future__ import annotations

import pytest

from estimator.constants import KINDS
from estimator.errors import FigureError, ReportError
from estimator.figures import (
    A_FEW,
    HEDGES,
    SEVERAL,
    TRAILING_HEDGES,
    VAGUE_MAGNITUDES,
    Figure,
    parse_figure,
    parse_number,
)
from estimator.reports import Report, validate

# (phrase, base, kind, value, low, high): phrases of the kind found in news, ministry statements
# and intelligence briefings.
PHRASES: list[tuple[str, float | None, str, float | None, float | None, float | None]] = [
    # exact
    ("498", None, "exact", 498, None, None),
    ("498 Russian servicemen killed", None, "exact", 498, None, None),
    ("1,351 soldiers killed", None, "exact", 1351, None, None),
    ("13,000 Ukrainian troops", None, "exact", 13_000, None, None),
    ("six Russian generals", None, "exact", 6, None, None),
    ("one dead", None, "exact", 1, None, None),
    ("twelve dead", None, "exact", 12, None, None),
    ("a dozen soldiers", None, "exact", 12, None, None),
    ("two dozen civilians", None, "exact", 24, None, None),
    ("twenty-five marines", None, "exact", 25, None, None),
    ("two hundred paratroopers", None, "exact", 200, None, None),
    ("three thousand mercenaries", None, "exact", 3000, None, None),
    ("a hundred tanks", None, "exact", 100, None, None),
    ("a thousand fighters", None, "exact", 1000, None, None),
    ("40K troops", None, "exact", 40_000, None, None),
    ("1.5 million", None, "exact", 1_500_000, None, None),
    ("315,000 casualties", None, "exact", 315_000, None, None),
    ("half a million", None, "exact", 500_000, None, None),
    ("a total of 6,000 troops", None, "exact", 6000, None, None),
    ("no losses", None, "exact", 0, None, None),
    ("none", None, "exact", 0, None, None),
    ("zero casualties", None, "exact", 0, None, None),
    # approx
    ("about 1,300 Ukrainian troops", None, "approx", 1300, None, None),
    ("around 5,000 killed", None, "approx", 5000, None, None),
    ("roughly 25,000 dead", None, "approx", 25_000, None, None),
    ("approximately 100,000 casualties", None, "approx", 100_000, None, None),
    ("some 15,000 Russians killed", None, "approx", 15_000, None, None),
    ("an estimated 120,000 killed or wounded", None, "approx", 120_000, None, None),
    ("estimated 70,000 dead", None, "approx", 70_000, None, None),
    ("approx. 1,500", None, "approx", 1500, None, None),
    ("~2,000 fighters", None, "approx", 2000, None, None),
    ("circa 300,000", None, "approx", 300_000, None, None),
    ("about 1.5 million", None, "approx", 1_500_000, None, None),
    ("roughly 40K", None, "approx", 40_000, None, None),
    ("1,300 or so", None, "approx", 1300, None, None),
    ("in the region of 50,000", None, "approx", 50_000, None, None),
    ("c. 4,000 soldiers", None, "approx", 4000, None, None),
    # nearly
    ("almost 500 soldiers were killed", None, "nearly", 500, None, None),
    ("nearly 1,600 wounded", None, "nearly", 1600, None, None),
    ("just under 10,000", None, "nearly", 10_000, None, None),
    ("close to 300,000 casualties", None, "nearly", 300_000, None, None),
    ("approaching 500,000 killed and wounded", None, "nearly", 500_000, None, None),
    ("nearly half a million", None, "nearly", 500_000, None, None),
    ("slightly less than 20,000", None, "nearly", 20_000, None, None),
    ("not quite 1,000 dead", None, "nearly", 1000, None, None),
    # over
    ("just over 7,000 troops died", None, "over", 7000, None, None),
    ("slightly more than 4,000", None, "over", 4000, None, None),
    ("a little over 2,000", None, "over", 2000, None, None),
    ("just above 50,000", None, "over", 50_000, None, None),
    # at_least
    ("at least 121 children", None, "at_least", 121, None, None),
    ("more than 150,000 troops", None, "at_least", 150_000, None, None),
    ("over 7,000", None, "at_least", 7000, None, None),
    ("no fewer than 300 officers", None, "at_least", 300, None, None),
    ("a minimum of 5,000", None, "at_least", 5000, None, None),
    ("in excess of 100,000", None, "at_least", 100_000, None, None),
    ("upwards of 20,000 casualties", None, "at_least", 20_000, None, None),
    ("exceeding 1,000", None, "at_least", 1000, None, None),
    ("more than a dozen", None, "at_least", 12, None, None),
    ("at least 1.2m", None, "at_least", 1_200_000, None, None),
    ("well over 100,000", None, "at_least", 100_000, None, None),
    ("15,000+ dead", None, "at_least", 15_000, None, None),
    ("20,000 or more", None, "at_least", 20_000, None, None),
    ("more than several hundred", None, "at_least", 300, None, None),
    ("at least thousands", None, "at_least", 2000, None, None),
    # upper_estimate
    ("up to 15,000", None, "upper_estimate", 15_000, None, None),
    ("up to 25,000 Russian soldiers", None, "upper_estimate", 25_000, None, None),
    ("as high as 60,000", None, "upper_estimate", 60_000, None, None),
    ("perhaps as many as 100,000", None, "upper_estimate", 100_000, None, None),
    ("as many as 40K", None, "upper_estimate", 40_000, None, None),
    # at_most
    ("no more than 50", None, "at_most", 50, None, None),
    ("fewer than 100 civilians", None, "at_most", 100, None, None),
    ("less than 1,000", None, "at_most", 1000, None, None),
    ("under 5,000", None, "at_most", 5000, None, None),
    ("at most 300", None, "at_most", 300, None, None),
    ("a maximum of 2,000", None, "at_most", 2000, None, None),
    ("not exceeding 10,000", None, "at_most", 10_000, None, None),
    ("20 or fewer", None, "at_most", 20, None, None),
    # range
    ("7,000-15,000", None, "range", None, 7000, 15_000),
    ("7,000\u201315,000", None, "range", None, 7000, 15_000),
    ("7,000 \u2013 15,000 killed", None, "range", None, 7000, 15_000),
    ("between 7,000 and 15,000 killed", None, "range", None, 7000, 15_000),
    ("from 15,000 to 20,000", None, "range", None, 15_000, 20_000),
    ("five or six generals", None, "range", None, 5, 6),
    ("between 70,000 and 80,000 casualties", None, "range", None, 70_000, 80_000),
    ("15-20K", None, "range", None, 15_000, 20_000),
    ("7 to 15 thousand", None, "range", None, 7000, 15_000),
    ("two to three hundred", None, "range", None, 200, 300),
    ("an estimated 25,000 to 30,000", None, "range", None, 25_000, 30_000),
    ("1.5 to 2 million", None, "range", None, 1_500_000, 2_000_000),
    ("thousands of civilians", None, "range", None, 2000, 9999),
    ("dozens of civilians", None, "range", None, 24, 99),
    ("hundreds of soldiers", None, "range", None, 200, 999),
    ("tens of thousands", None, "range", None, 20_000, 99_999),
    ("hundreds of thousands of troops", None, "range", None, 200_000, 999_999),
    ("several thousand", None, "range", None, 3000, 9999),
    ("a few hundred", None, "range", None, 200, 500),
    ("several dozen", None, "range", None, 36, 99),
    ("some thousands", None, "range", None, 2000, 9999),
    ("between 10 and 15 percent of 150,000", None, "range", None, 15_000, 22_500),
    # documented
    ("at least 121 children (confirmed)", None, "documented", 121, None, None),
    ("acknowledged one", None, "documented", 1, None, None),
    ("confirmed 498", None, "documented", 498, None, None),
    ("24,000 named dead", None, "documented", 24_000, None, None),
    ("verified 10,582 civilian deaths", None, "documented", 10_582, None, None),
    ("documented 27,000", None, "documented", 27_000, None, None),
    ("identified 50,000 by name", None, "documented", 50_000, None, None),
    ("at least 70,000 confirmed by obituaries", None, "documented", 70_000, None, None),
    ("about 3,000 visually confirmed", None, "documented", 3000, None, None),
    ("none confirmed", None, "documented", 0, None, None),
    # shares
    ("10 percent of 150,000 troops", None, "exact", 15_000, None, None),
    ("more than 10 percent of its combat force", 150_000, "at_least", 15_000, None, None),
    ("more than 10% of its combat force", 150_000, "at_least", 15_000, None, None),
    ("a third of the 150,000 troops", None, "exact", 50_000, None, None),
    ("about a quarter of 200,000", None, "approx", 50_000, None, None),
    ("half of 30,000", None, "exact", 15_000, None, None),
    ("up to 20% of its force", 100_000, "upper_estimate", 20_000, None, None),
    ("two-thirds of 90,000", None, "exact", 60_000, None, None),
    ("a tenth of its army", 150_000, "exact", 15_000, None, None),
    ("10 per cent of its army of 150,000", None, "exact", 15_000, None, None),
]

# Every figure phrase of the seed article (NATO's estimate of Russian losses, March 2022).
SEED: list[tuple[str, float | None, str, float | None, float | None, float | None]] = [
    ("As many as 40K Russian troops killed, wounded, held prisoner or missing", None, "upper_estimate", 40_000, None, None),
    ("up to 15,000 Russian troops have been killed", None, "upper_estimate", 15_000, None, None),
    ("as many as 40,000 dead, wounded, taken prisoner or missing", None, "upper_estimate", 40_000, None, None),
    ("roughly 7,000 to 15,000 Russian soldiers have been killed", None, "range", None, 7000, 15_000),
    ("six Russian generals", None, "exact", 6, None, None),
    ("one dead", None, "exact", 1, None, None),
    ("acknowledged one dead", None, "documented", 1, None, None),
    ("almost 500 soldiers were killed", None, "nearly", 500, None, None),
    ("nearly 1,600 wounded", None, "nearly", 1600, None, None),
    ("thousands of his people had been killed", None, "range", None, 2000, 9999),
    ("at least 121 children", None, "at_least", 121, None, None),
    ("at least 121 children (confirmed)", None, "documented", 121, None, None),
    ("about 1,300 Ukrainian troops had been killed in action", None, "approx", 1300, None, None),
    ("just over 7,000 troops died", None, "over", 7000, None, None),
    ("more than 150,000 troops", None, "at_least", 150_000, None, None),
    ("more than 10 percent of its combat force", 150_000, "at_least", 15_000, None, None),
]  # fmt: skip


def test_enough_phrases() -> None:
    assert len(PHRASES) >= 90
    assert {kind for _, _, kind, *_ in PHRASES} == set(KINDS)


@pytest.mark.parametrize(("text", "base", "kind", "value", "low", "high"), PHRASES + SEED)
def test_phrase(
    text: str,
    base: float | None,
    kind: str,
    value: float | None,
    low: float | None,
    high: float | None,
) -> None:
    fig = parse_figure(text, base=base)
    assert fig.kind == kind
    assert fig.text == text
    if kind == "range":
        assert fig.value is None
        assert (fig.low, fig.high) == (pytest.approx(low), pytest.approx(high))
        assert isinstance(fig.low, float) and isinstance(fig.high, float)
    else:
        assert (fig.low, fig.high) == (None, None)
        assert fig.value == pytest.approx(value)
        assert isinstance(fig.value, float)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1300", 1300),
        ("1,300", 1300),
        ("1 300", 1300),
        ("1\u00a0300", 1300),
        ("1,300,000", 1_300_000),
        ("1 300 000", 1_300_000),
        ("1.3k", 1300),
        ("15K", 15_000),
        ("40K", 40_000),
        ("1.2m", 1_200_000),
        ("1.5 million", 1_500_000),
        ("15 thousand", 15_000),
        ("2bn", 2_000_000_000),
        ("zero", 0),
        ("0", 0),
        ("no losses", 0),
        ("none", 0),
        ("one", 1),
        ("two", 2),
        ("three", 3),
        ("four", 4),
        ("five", 5),
        ("six", 6),
        ("seven", 7),
        ("eight", 8),
        ("nine", 9),
        ("ten", 10),
        ("eleven", 11),
        ("twelve", 12),
        ("thirteen", 13),
        ("fourteen", 14),
        ("fifteen", 15),
        ("sixteen", 16),
        ("seventeen", 17),
        ("eighteen", 18),
        ("nineteen", 19),
        ("twenty", 20),
        ("thirty", 30),
        ("forty", 40),
        ("fifty", 50),
        ("sixty", 60),
        ("seventy", 70),
        ("eighty", 80),
        ("ninety", 90),
        ("twenty-five", 25),
        ("twenty five", 25),
        ("Ninety-Nine", 99),
        ("a dozen", 12),
        ("a hundred", 100),
        ("a thousand", 1000),
        ("one hundred", 100),
        ("two hundred", 200),
        ("three thousand", 3000),
        ("fifteen hundred", 1500),
        ("two hundred and fifty", 250),
        ("two hundred and fifty thousand", 250_000),
        ("a million", 1_000_000),
        ("half a million", 500_000),
        ("a quarter of a million", 250_000),
    ],
)
def test_numbers(text: str, value: float) -> None:
    fig = parse_figure(text)
    assert fig.kind == "exact"
    assert fig.value == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("750,000", 750_000), ("1.3k", 1300), ("1.5 million", 1_500_000), ("six", 6), ("1 300", 1300)],
)
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["about 1,300", "1,300 killed", "thousands", "10%", "abc", ""])
def test_parse_number_refuses_anything_but_a_number(text: str) -> None:
    with pytest.raises(FigureError):
        parse_number(text)


def test_vague_bounds_are_the_constants() -> None:
    for phrase, (lo, hi) in VAGUE_MAGNITUDES.items():
        fig = parse_figure(phrase)
        assert (fig.kind, fig.low, fig.high) == ("range", lo, hi)
    assert (parse_figure("several").low, parse_figure("several").high) == SEVERAL
    assert (parse_figure("a few").low, parse_figure("a few").high) == A_FEW
    assert parse_figure("several hundred").low == SEVERAL[0] * 100
    assert parse_figure("a few thousand").high == A_FEW[1] * 1000


def test_hedges_table_is_readable_and_complete() -> None:
    assert HEDGES["about"] == "approx"
    assert HEDGES["up to"] == "upper_estimate"
    assert set(HEDGES.values()) | set(TRAILING_HEDGES.values()) <= set(KINDS)
    assert set(HEDGES.values()) == set(KINDS) - {"exact", "range", "documented"}
    for phrase, kind in HEDGES.items():
        assert parse_figure(f"{phrase} 1,300").kind == kind, phrase
    for phrase, kind in TRAILING_HEDGES.items():
        sep = "" if phrase[0] in "+-" else " "
        assert parse_figure(f"1,300{sep}{phrase}").kind == kind, phrase


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # documented choices for phrases that could mean two kinds
        ("more than 150,000", "at_least"),
        ("over 7,000", "at_least"),
        ("above 7,000", "at_least"),
        ("just over 7,000", "over"),
        ("slightly more than 150,000", "over"),
        ("close to 7,000", "nearly"),
        ("some 7,000", "approx"),
        ("roughly 7,000 to 15,000", "range"),
    ],
)
def test_ambiguous_choices(text: str, kind: str) -> None:
    assert parse_figure(text).kind == kind


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("Ukraine claims 1,300", "'Ukraine claims'"),
        ("1,300 killed since 24 February", "'24'"),
        ("1,300 and 1,500", "'1,500'"),
        ("1,300 killed over the weekend", "'over'"),
        ("frobnicate", "no number"),
        ("", "no number"),
        ("many", "no number"),
        ("3rd", "'3rd'"),
        ("about 1,300 or more", "two hedges"),
        ("at least about 1,300", "two hedges"),
        ("up to 7,000-15,000", "'up to'"),
        ("at least 7,000 to 15,000", "'at least'"),
        ("7 to 15,000", "7 or 7,000"),
        ("500 to 1.5 million", "500 or 500,000,000"),
        ("1.300", "1.3 or 1,300"),
        ("15,000 to 7,000", "low end"),
        ("between 7,000", "'between'"),
        ("7,000 to", "no second number"),
        ("confirmed 7,000 to 15,000", "one number"),
        ("thousands confirmed", "one number"),
        ("up to 500 confirmed", "ceiling"),
        ("almost no losses", "zero"),
        ("10% to 15,000", "mixes"),
        ("150% of 1,000", "above 100%"),
        ("seven hundred and banana", "'banana' after 'seven hundred and' is not a number word"),
        ("about two thousand and some", "'some' after 'two thousand and'"),
        ("seven hundred and", "ends with 'and'"),
    ],
)
def test_errors_quote_the_text_and_the_part(text: str, part: str) -> None:
    with pytest.raises(FigureError) as info:
        parse_figure(text)
    message = str(info.value)
    assert repr(text) in message
    assert part in message
    assert isinstance(info.value, ReportError)


@pytest.mark.parametrize("text", ["more than 10 percent of its combat force", "10%", "a third of", "half"])
def test_share_without_base_says_a_base_is_needed(text: str) -> None:
    with pytest.raises(FigureError) as info:
        parse_figure(text)
    message = str(info.value)
    assert "needs a base" in message
    assert "base=" in message
    assert repr(text) in message


def test_base_errors() -> None:
    with pytest.raises(FigureError, match="differs"):
        parse_figure("10 percent of 150,000", base=100_000)
    assert parse_figure("10 percent of 150,000", base=150_000).value == 15_000
    with pytest.raises(FigureError, match="not a share"):
        parse_figure("1,300", base=150_000)
    with pytest.raises(FigureError, match="not positive"):
        parse_figure("10%", base=0)
    with pytest.raises(FigureError, match="not a number"):
        parse_figure("10%", base=float("nan"))


def test_not_text() -> None:
    with pytest.raises(FigureError, match="not text"):
        parse_figure(1300)  # type: ignore[arg-type]


def test_figure_is_frozen() -> None:
    fig = parse_figure("about 1,300")
    assert fig == Figure("approx", 1300.0, None, None, "about 1,300")
    with pytest.raises(AttributeError):
        fig.kind = "exact"  # type: ignore[misc]


def test_report_figure_is_parsed() -> None:
    def report(figure: str, **numbers: float | str | None) -> Report:
        return Report("NATO", "Russia", "killed", "2022-03-23", figure=figure, **numbers)  # type: ignore[arg-type]

    resolved = report("as many as 40,000").resolved()
    assert (resolved.kind, resolved.value) == ("upper_estimate", 40_000)
    [clean] = validate([report("more than 10 percent of its combat force", base=150_000)])
    assert (clean.kind, clean.value) == ("at_least", 15_000)
    assert report("about 1,300", kind="exact", value=1200).resolved().kind == "exact"
    with pytest.raises(ReportError) as info:
        validate([report("Ukraine claims 1,300")], labels=[7])
    assert info.value.problems[0].index == 7
    assert "'Ukraine claims'" in info.value.problems[0].what
