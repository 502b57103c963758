"""Random input: read_reports and parse_figure refuse in words or read correctly, never crash
and never shift a column."""

from __future__ import annotations

import math
import tempfile
import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimator.errors import FigureError, ReportError
from estimator.figures import HEDGES, TRAILING_HEDGES, parse_figure
from estimator.io import read_reports

HEADER = ("source", "party", "category", "figure")
NUMBER_WORDS = (
    "zero one two six twelve twenty thirty-five hundred thousand million dozen half a third".split()
)
FIGURES = [
    "500",
    "7,000",
    "1 300",
    "about 1,300",
    "up to 15,000",
    "7,000 to 15,000",
    "seven hundred",
    "thousands",
    "1.3k",
    "at least 121 confirmed",
]
# Names: letters, digits, spaces, unicode, and the characters that break CSV rows.
NAME = st.one_of(
    st.sampled_from(
        ["NATO", "Russia", "killed", "Ministère", "Київ", "UK MoD", "Smith, J.", 'the "MoD"', "7,000"]
    ),
    st.text(
        alphabet=st.one_of(
            st.sampled_from("abcdefXYZ 0123456789,\"'+-;\t\n\r"),
            st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
        ),
        min_size=1,
        max_size=12,
    ),
)
FIGURE = st.one_of(st.sampled_from(FIGURES), st.sampled_from(FIGURES), NAME)
ROW = st.tuples(NAME, NAME, NAME, FIGURE)


def quoted(field: str) -> str:
    return '"' + field.replace('"', '""') + '"'


@st.composite
def csv_rows(draw: st.DrawFn) -> tuple[str, list[tuple[str, ...]]]:
    """A CSV text and the rows it means. A cell that needs quotes gets them, except that a cell
    with a comma may be written bare (the mistake of an unquoted "7,000"): its row has one
    field too many and must be refused. A cell whose bare form would read as a quoted one
    (starting with a quote) is always quoted: such bytes are a valid row of other fields, which
    no reader can tell from a mistake."""
    rows = draw(st.lists(ROW, min_size=1, max_size=4))
    lines = [",".join(HEADER)]
    for row in rows:
        cells = []
        for field in row:
            needs = (
                any(c in field for c in '"\n\r')
                or field.lstrip(" ").startswith('"')
                or field != field.strip()
            )
            if needs or ("," in field and draw(st.booleans())):
                cells.append(quoted(field))
            else:
                cells.append(field)  # bare, commas and all
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n", rows


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(csv_rows())
def test_read_reports_refuses_or_reads_every_column_where_it_was_written(case) -> None:
    text, rows = case
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "r.csv"
        path.write_text(text, encoding="utf-8", newline="")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reports = read_reports(path)
        except ReportError as e:  # FigureError is one
            assert e.problems and str(e)
            return
    meant = [r for r in rows if any(f.strip() for f in r)]
    assert len(reports) == len(meant)
    for report, row in zip(reports, meant, strict=True):
        assert (report.source, report.party, report.category) == tuple(f.strip() for f in row[:3])
        assert report.figure == (row[3].strip() or None)


WORDS = [
    *NUMBER_WORDS,
    *HEDGES,
    *TRAILING_HEDGES,
    "and",
    "or",
    "to",
    "between",
    "of",
    "percent",
    "%",
    "-",
    "confirmed",
    "killed",
    "banana",
    "soldiers",
    "1,300",
    "7,000",
    "1.300",
    "1e400",
    "15K",
    "0",
    "3.5",
    "12 000",
    "(",
    ")",
    "",
]
NUMBER = st.one_of(
    st.sampled_from(NUMBER_WORDS), st.sampled_from(["1,300", "7,000", "15K", "500", "3.5", "12 000"])
)
# [hedge] number [to number] [words], most of them readable; and anything at all
TAIL = st.one_of(
    st.sampled_from(["", "", "killed", "soldiers killed"]),
    st.lists(st.sampled_from(WORDS), max_size=3).map(" ".join),
)
SECOND = st.sampled_from(["to", "-", "or", "and"]).flatmap(lambda s: NUMBER.map(lambda n: f"{s} {n}"))
# [hedge] number [to number] [words], many of them readable; and anything at all
SHAPED = st.tuples(
    st.one_of(st.just(""), st.sampled_from(sorted(HEDGES))),
    NUMBER,
    st.one_of(st.just(""), st.just(""), SECOND),
    TAIL,
).map(" ".join)
PHRASE = st.one_of(
    SHAPED, SHAPED, st.lists(st.sampled_from(WORDS), max_size=7).map(" ".join), st.text(max_size=30)
)


@FUZZ
@given(PHRASE, st.one_of(st.none(), st.none(), st.none(), st.floats(allow_nan=True), st.integers(-5, 10**6)))
def test_parse_figure_reads_or_refuses_in_words(text: str, base: float | None) -> None:
    try:
        figure = parse_figure(text, base=base)
    except FigureError as e:
        assert e.problems and repr(text) in str(e) or "base=" in str(e)
        return
    numbers = [x for x in (figure.value, figure.low, figure.high) if x is not None]
    assert numbers and all(math.isfinite(x) and x >= 0 for x in numbers)
    if figure.kind == "range":
        assert figure.low is not None and figure.high is not None and figure.low < figure.high
