"""How problems read: the first few listed, each fix said once, the rest counted."""

from estimator.constants import MAX_LISTED_PROBLEMS
from estimator.errors import Problem, ReportError

FIX = "Quote a figure that has a thousands separator"


def test_long_lists_are_cut_and_counted():
    problems = [Problem(k + 2, "NATO", "5 fields where the header has 4", FIX) for k in range(70)]
    message = str(ReportError(problems))
    assert message.startswith("70 problems in the reports:")
    assert message.count("5 fields where") == MAX_LISTED_PROBLEMS
    assert "report 51 (NATO)" in message and "report 52 (NATO)" not in message
    assert f"and {70 - MAX_LISTED_PROBLEMS} more" in message
    assert len(ReportError(problems).problems) == 70  # the list keeps every one


def test_a_fix_shared_by_many_problems_is_written_once():
    problems = [
        Problem(2, "NATO", "5 fields where the header has 4", FIX),
        Problem(3, "UN", "date '2022-03-30junk' is not a date", "Write dates as YYYY-MM-DD"),
        Problem(9, "MoD", "5 fields where the header has 4", FIX, where="line"),
    ]
    message = str(ReportError(problems))
    assert message.count(FIX) == 1
    lines = message.splitlines()
    # the problems sharing the fix come together, the fix after them
    assert lines[1].endswith("report 2 (NATO): 5 fields where the header has 4")
    assert lines[2].endswith("line 9 (MoD): 5 fields where the header has 4")
    assert lines[3].strip() == FIX + "."
    assert "Write dates as YYYY-MM-DD." in lines[5]
