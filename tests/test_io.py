"""Reading reports from files and DataFrames: columns, numbers, dates, and one error for all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from estimator.errors import ReportError, ReportWarning
from estimator.io import read_reports
from estimator.reports import Report

CSV = """source,party,category,date,figure,quote
NATO,Russia,killed,2022-03-23,"roughly 7,000 to 15,000","NATO estimates that roughly 7,000 to 15,000 Russian soldiers have been killed"
NATO,Russia,casualties,2022-03-23,"as many as 40,000",
Russian MoD,Russia,killed,2022-03-02,almost 500,
Ukrainian government,Ukraine,killed,2022-03-12,"about 1,300 Ukrainian troops",
"""


def write(tmp_path: Path, text: str, name: str = "reports.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_round_trip(tmp_path: Path) -> None:
    reports = read_reports(write(tmp_path, CSV), aggregates={"casualties": ["killed", "wounded"]})
    assert [r.source for r in reports] == ["NATO", "NATO", "Russian MoD", "Ukrainian government"]
    assert all(isinstance(r, Report) for r in reports)
    first = reports[0]
    assert (first.kind, first.low, first.high) == ("range", 7000.0, 15000.0)
    assert first.figure == "roughly 7,000 to 15,000"
    assert first.quote is not None and first.quote.startswith("NATO estimates")
    assert first.date == "2022-03-23"
    assert [(r.kind, r.value) for r in reports[1:]] == [
        ("upper_estimate", 40_000),
        ("nearly", 500),
        ("approx", 1300),
    ]
    assert reports[1].quote is None

    # written back with pandas and read again: the same reports
    frame = pd.DataFrame(
        [
            {
                k: getattr(r, k)
                for k in ("source", "party", "category", "date", "kind", "value", "low", "high")
            }
            for r in reports
        ]
    )
    again = read_reports(write(tmp_path, frame.to_csv(index=False), "again.csv"))
    assert [(r.kind, r.value, r.low, r.high) for r in again] == [
        (r.kind, r.value, r.low, r.high) for r in reports
    ]


def test_dataframe_with_kind_and_numbers() -> None:
    frame = pd.DataFrame(
        {
            "source": ["NATO", "Ukrainian government"],
            "party": ["Russia", "Ukraine"],
            "category": ["killed", "killed"],
            "kind": ["range", "approx"],
            "value": [None, 1300],
            "low": [7000, None],
            "high": [15000, None],
        },
        index=[10, 11],
    )
    reports = read_reports(frame)
    assert [(r.kind, r.value, r.low, r.high) for r in reports] == [
        ("range", None, 7000.0, 15000.0),
        ("approx", 1300.0, None, None),
    ]


def test_dataframe_errors_name_the_row_label() -> None:
    frame = pd.DataFrame(
        {"source": ["A", "B"], "party": ["Russia", "Russia"], "category": ["killed", "killed"],
         "figure": ["about 1,300", "Ukraine claims 1,300"]},
        index=["first", "second"],
    )  # fmt: skip
    with pytest.raises(ReportError) as info:
        read_reports(frame)
    assert [p.index for p in info.value.problems] == ["second"]


def test_columns_are_matched_ignoring_case_and_spaces(tmp_path: Path) -> None:
    text = " Source ,PARTY,Category, Date ,Figure\nNATO,Russia,killed,2022-03-23,up to 15,000\n"
    text = text.replace("up to 15,000", '"up to 15,000"')
    [report] = read_reports(write(tmp_path, text))
    assert (report.source, report.party, report.kind, report.value) == (
        "NATO",
        "Russia",
        "upper_estimate",
        15_000,
    )


def test_unknown_column_says_did_you_mean(tmp_path: Path) -> None:
    text = "source,party,categroy,figure\nNATO,Russia,killed,6\n"
    with pytest.raises(ReportError) as info:
        read_reports(write(tmp_path, text))
    assert "unknown column 'categroy'" in str(info.value)
    assert "did you mean 'category'?" in str(info.value)


def test_columns_mapping_renames_and_ignores(tmp_path: Path) -> None:
    text = 'Who,party,type,estimate,country note\nNATO,Russia,killed,"1,300",x\n'
    [report] = read_reports(
        write(tmp_path, text),
        columns={"who": "source", "Type": "category", "estimate": "value", "country note": None},
    )
    assert (report.source, report.category, report.kind, report.value) == ("NATO", "killed", "exact", 1300)
    with pytest.raises(ReportError, match="did you mean 'value'"):
        read_reports(write(tmp_path, text), columns={"estimate": "valeu"})
    with pytest.raises(ReportError, match="did you mean 'estimate'"):
        read_reports(write(tmp_path, text), columns={"estimat": "value"})


def test_two_bad_rows_one_error_naming_both_lines(tmp_path: Path) -> None:
    text = (
        "source,party,category,date,figure\n"
        'NATO,Russia,killed,2022-03-23,"up to 15,000"\n'  # line 2: fine
        "Ministry,Russia,killed,2022-03-02,Ukraine claims 1\n"  # line 3: figure not understood
        'NATO,Russia,killed,2022-03-23,"about 1,300"\n'  # line 4: fine
        'Kyiv,,killed,not a date,"about 1,300"\n'  # line 5: no party, bad date
    )
    with pytest.raises(ReportError) as info:
        read_reports(write(tmp_path, text))
    problems = info.value.problems
    lines = [p.index for p in problems]
    assert sorted(set(lines), key=str) == [3, 5]
    assert lines == sorted(lines, key=str)  # in file order
    assert any(p.index == 3 and p.source == "Ministry" and "'Ukraine claims'" in p.what for p in problems)
    assert any(p.index == 5 and "party is empty" in p.what for p in problems)
    assert any(p.index == 5 and "'not a date'" in p.what for p in problems)
    # each problem once: no "has no kind" next to the unreadable figure
    assert len([p for p in problems if p.index == 3]) == 1
    message = str(info.value)
    assert "line 3 (Ministry)" in message and "line 5 (Kyiv)" in message


def test_line_numbers_count_blank_lines_and_multiline_quotes(tmp_path: Path) -> None:
    text = (
        "source,party,category,figure,quote\n"
        'NATO,Russia,killed,"about 1,300","a quote\nover two lines"\n'  # lines 2-3
        "\n"  # line 4: blank, skipped
        "NATO,Russia,killed,frobnicate,\n"  # line 5
    )
    with pytest.raises(ReportError) as info:
        read_reports(write(tmp_path, text))
    assert [p.index for p in info.value.problems] == [5]


def test_quoted_numbers_with_thousands_separators(tmp_path: Path) -> None:
    text = (
        "source,party,category,kind,value,low,high\n"
        'Ukraine,Russia,casualties,exact,"750,000",,\n'
        'CIA,Russia,killed,range,,"15,000","20,000"\n'
        "UK MoD,Russia,killed,at least,1.3k,,\n"
    )
    reports = read_reports(write(tmp_path, text))
    assert [(r.kind, r.value, r.low, r.high) for r in reports] == [
        ("exact", 750_000.0, None, None),
        ("range", None, 15_000.0, 20_000.0),
        ("at_least", 1300.0, None, None),
    ]


def test_bad_number_names_the_row(tmp_path: Path) -> None:
    text = 'source,party,category,kind,value\nA,Russia,killed,exact,"75o,000"\n'
    with pytest.raises(ReportError) as info:
        read_reports(write(tmp_path, text))
    assert [p.index for p in info.value.problems] == [2]
    assert "75o,000" in str(info.value)


def test_numbers_without_kind(tmp_path: Path) -> None:
    text = (
        "source,party,category,value,low,high\n"
        'A,Russia,killed,"1,300",,\n'
        "B,Russia,killed,,7000,15000\n"
        "C,Russia,killed,,15000,\n"
    )
    with pytest.raises(ReportError) as info:
        read_reports(write(tmp_path, text))
    [problem] = info.value.problems
    assert (problem.index, problem.source) == (4, "C")
    assert "only low" in problem.what
    reports = read_reports(write(tmp_path, text.rsplit("C,", 1)[0]))
    assert [r.kind for r in reports] == ["exact", "range"]


def test_dayfirst_dates(tmp_path: Path) -> None:
    text = (
        "source,party,category,date,figure,published\n"
        'UK MoD,Russia,casualties,16/01/2024,"390,580",1/12/2025\n'
        'UK MoD,Russia,casualties,1/12/2025,"400,000",\n'
        'UK MoD,Russia,casualties,2025-06-30,"410,000",\n'
    )
    path = write(tmp_path, text)
    reports = read_reports(path, dayfirst=True)
    assert [r.date for r in reports] == [dt.date(2024, 1, 16), dt.date(2025, 12, 1), dt.date(2025, 6, 30)]
    assert reports[0].published == dt.date(2025, 12, 1)

    with pytest.raises(ReportError) as info:
        read_reports(path)
    assert [p.index for p in info.value.problems] == [2, 2, 3]
    assert "dayfirst=True" in str(info.value)

    bad = text.replace('1/12/2025,"400,000"', '31/02/2025,"400,000"')
    with pytest.raises(ReportError) as info:
        read_reports(write(tmp_path, bad, "bad.csv"), dayfirst=True)
    assert [p.index for p in info.value.problems] == [3]
    assert "'31/02/2025'" in str(info.value)


def test_share_with_base_column(tmp_path: Path) -> None:
    text = (
        "source,party,category,figure,base\n"
        'US defense official,Russia,casualties,more than 10 percent of its combat force,"150,000"\n'
    )
    [report] = read_reports(write(tmp_path, text))
    assert (report.kind, report.value, report.base) == ("at_least", 15_000, 150_000)


def test_validate_sees_aggregates_and_line_numbers(tmp_path: Path) -> None:
    text = "source,party,category,kind,value\nA,Russia,casualties,exact,5\nB,Russia,killed,exakt,5\n"
    with pytest.raises(ReportError) as info:
        read_reports(write(tmp_path, text), aggregates={"casualties": ["killed", "wounded"]})
    [problem] = info.value.problems
    assert problem.index == 3
    assert "did you mean 'exact'" in problem.todo


def test_excel(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    path = tmp_path / "reports.xlsx"
    pd.DataFrame(
        {"Source": ["NATO", "X"], "Party": ["Russia", "Russia"], "Category": ["killed", "killed"],
         "Figure": ["up to 15,000", "Ukraine claims 1,300"]}
    ).to_excel(path, index=False)  # fmt: skip
    with pytest.raises(ReportError) as info:
        read_reports(path)
    assert [p.index for p in info.value.problems] == [3]
    first = tmp_path / "first.xlsx"
    pd.read_excel(path).iloc[:1].to_excel(first, index=False)
    [report] = read_reports(first)
    assert (report.kind, report.value) == ("upper_estimate", 15_000)


def test_missing_required_columns(tmp_path: Path) -> None:
    with pytest.raises(ReportError) as info:
        read_reports(write(tmp_path, "source,figure\nNATO,6\n"))
    message = str(info.value)
    assert "no 'party' column" in message and "no 'category' column" in message


def test_dates_with_anything_after_the_day_are_refused(tmp_path: Path) -> None:
    text = (
        "source,party,category,date,figure,published\n"
        "A,Russia,killed,2022-03-30junk,500,2022-04-01\n"  # line 2
        "B,Russia,killed,2022-03-30,600,2022-03-31T99:99\n"  # line 3
        "C,Russia,killed,2022-03-31T12:00,700,2022-04-01 00:00:00\n"  # line 4: fine
    )
    with pytest.raises(ReportError) as info:
        read_reports(write(tmp_path, text))
    problems = info.value.problems
    assert [(p.index, p.source) for p in problems] == [(2, "A"), (3, "B")]
    assert "date '2022-03-30junk' is not a date" in problems[0].what
    assert "published '2022-03-31T99:99' is not a date" in problems[1].what
    # full ISO dates and times, and day-first dates with dayfirst=True, stay accepted
    [report] = read_reports(write(tmp_path, text.splitlines()[0] + "\n" + text.splitlines()[3] + "\n"))
    assert report.date == "2022-03-31T12:00"
    good = "source,party,category,date,figure\nA,Russia,killed,30/03/2022,500\n"
    assert read_reports(write(tmp_path, good), dayfirst=True)[0].date == dt.date(2022, 3, 30)
    with pytest.raises(ReportError, match="'30/03/2022junk' is not a date"):
        read_reports(write(tmp_path, good.replace("2022,", "2022junk,")), dayfirst=True)


def test_a_row_with_an_unquoted_thousands_separator_is_refused_not_shifted(tmp_path: Path) -> None:
    with pytest.raises(ReportError) as info:
        read_reports(write(tmp_path, "source,party,category,figure\nNATO,Russia,killed,7,000\n"))
    [problem] = info.value.problems
    assert (problem.index, problem.source, problem.where) == (2, "NATO", "line")
    assert "5 fields where the header has 4" in problem.what and "'7,000'" in problem.what
    assert "Quote" in problem.todo and "7000" in problem.todo
    assert "line 2 (NATO): 5 fields where the header has 4" in str(info.value)


def test_every_row_with_too_many_or_too_few_fields_is_named(tmp_path: Path) -> None:
    text = (
        "source,party,category,figure\n"
        "NATO,Russia,killed,7000\n"  # line 2: fine
        "UN,Russia,killed,about 7,000\n"  # line 3: one field too many
        "\n"  # line 4: blank
        "MoD,Russia,killed,500,\n"  # line 5: a trailing separator only: fine
        "Kyiv,Russia killed,500\n"  # line 6: one field too few
        'GS,Russia,killed,"1,300",x\n'  # line 7: one field too many
    )
    with pytest.raises(ReportError) as info:
        read_reports(write(tmp_path, text))
    problems = info.value.problems
    assert [(p.index, p.source) for p in problems] == [(3, "UN"), (6, "Kyiv"), (7, "GS")]
    assert [p.what[:32] for p in problems] == [
        "5 fields where the header has 4 ",
        "3 fields where the header has 4",
        "5 fields where the header has 4",
    ]
    assert "Give every row as many fields as the header" in problems[1].todo


def test_one_extra_field_in_every_row_is_not_taken_for_an_index(tmp_path: Path) -> None:
    # pandas would read the first column as the index and every other column shifted
    text = "source,party,category,figure\nNATO,Russia,killed,7,000\nUN,Russia,killed,8,000\n"
    with pytest.raises(ReportError) as info:
        read_reports(write(tmp_path, text))
    problems = info.value.problems
    assert problems[0].index is None and "every row has 5 fields where the header has 4" in problems[0].what
    assert [p.index for p in problems[1:]] == [2, 3]


def test_a_quote_left_open_is_named(tmp_path: Path) -> None:
    text = 'source,party,category,figure\nNATO,Russia,"killed,7000\nUN,Russia,killed,5\n'
    with pytest.raises(ReportError, match="line 2 .*is a closing quote missing"):
        read_reports(write(tmp_path, text))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_byte_order_mark_gives_the_encoding(tmp_path: Path, encoding: str) -> None:
    text = "source,party,category,figure\nMinistère,Russia,killed,7000\n"
    data = text.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):  # these codecs write no mark: add it
        data = ("\ufeff" + text).encode(encoding)
    path = tmp_path / "r.csv"
    path.write_bytes(data)
    [report] = read_reports(path)
    assert (report.source, report.value) == ("Ministère", 7000)


def test_bytes_that_are_not_utf8_are_named_with_what_to_do(tmp_path: Path) -> None:
    text = "source,party,category,figure\nNATO,Russia,killed,7000\nMinistère,Russia,killed,800\n"
    path = tmp_path / "r.csv"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ReportError) as info:
        read_reports(path)
    message = str(info.value)
    assert "line 3 (byte 7 of the line, 0xe8, after 'Minist')" in message
    assert "cannot be read as utf-8, the only encoding tried" in message
    assert "Save the file as UTF-8" in message and "encoding='cp1252'" in message
    reports = read_reports(path, encoding="latin-1")
    assert reports[1].source == "Ministère"
    path.write_bytes(text.encode("utf-16-le"))  # no byte order mark
    with pytest.raises(ReportError, match="looks like UTF-16 without a byte order mark"):
        read_reports(path)
    assert read_reports(path, encoding="utf-16-le")[1].source == "Ministère"
    with pytest.raises(ReportError, match="not an encoding Python knows"):
        read_reports(path, encoding="klingon")


def test_numbers_that_are_not_finite_or_absurdly_large_are_refused(tmp_path: Path) -> None:
    text = "source,party,category,kind,value\nA,Russia,killed,exact,1e400\nB,Russia,killed,exact,1e30\n"
    with pytest.raises(ReportError) as info:
        read_reports(write(tmp_path, text))
    problems = info.value.problems
    assert [(p.index, p.source) for p in problems] == [(2, "A"), (3, "B")]
    assert "'1e400' is not a finite number" in problems[0].what
    assert "1e+30 is more than 1e+10" in problems[1].what
    frame = pd.DataFrame({"source": ["A"], "party": ["R"], "category": ["killed"], "value": [float("inf")]})
    with pytest.raises(ReportError, match=r"report 0 \(A\): figure inf is not a finite number"):
        read_reports(frame)


def test_a_file_of_junk_is_refused_in_seconds_with_a_short_message(tmp_path: Path) -> None:
    import random
    import time
    import tracemalloc

    rng = random.Random(1)
    cells = ["NATO", "Russia", "killed", "7,000", "about", '"', "x", "1e9", "", "ü", "2022-01-01", "a b"]
    block = "".join(",".join(rng.choices(cells, k=rng.randint(3, 7))) + "\n" for _ in range(5000))
    path = tmp_path / "junk.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write("source,party,category,date,figure\n")
        for _ in range(30 * 1024**2 // len(block) + 1):  # 30 MB
            f.write(block)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ReportError) as info:
            read_reports(path)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert seconds < 15
    assert peak < 300 * 1024**2  # the file's bytes and text, not a table of millions of rows
    assert len(message) < 20_000
    assert "reading stopped at line" in message and "after 1,000 bad rows" in message
    assert message.count("Quote a cell that holds the separator") <= 1


def test_a_file_too_large_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import estimator.csv_rows

    monkeypatch.setattr(estimator.csv_rows, "MAX_FILE_BYTES", 100)
    with pytest.raises(ReportError, match="more than the 0 MB a table of reports can sensibly have"):
        read_reports(write(tmp_path, CSV))


def test_identical_rows_of_a_file_are_named_by_line(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "source,party,category,date,figure\n"
        'NATO,Russia,killed,2022-03-23,"about 1,300"\n'
        'UN,Russia,killed,2022-03-23,"about 1,500"\n'
        'NATO,Russia,killed,2022-03-23,"approximately 1,300"\n'
    )
    with pytest.warns(ReportWarning, match="line 2 and line 4 are the same report"):
        reports = read_reports(path)
    assert len(reports) == 3  # reading keeps every row; the fit counts the copy once


def test_a_separator_ending_the_header_and_the_rows_is_no_column(tmp_path: Path) -> None:
    text = "source,party,category,figure,\nNATO,Russia,killed,7000,\nUN,Russia,killed,8000,x\n"
    with pytest.raises(ReportError) as info:
        read_reports(write(tmp_path, text))
    [problem] = info.value.problems  # the unnamed column holds something on line 3 only
    assert (problem.index, problem.what) == (3, "5 fields where the header has 4")
    [report] = read_reports(write(tmp_path, text.rsplit("UN", 1)[0]))
    assert (report.source, report.value) == ("NATO", 7000)
