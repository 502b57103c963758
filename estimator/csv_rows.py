"""A CSV file's rows as written: its encoding found or refused in words, each row with its file
line, and rows whose number of fields is not the header's named instead of shifted.

``pandas.read_csv`` shifts every column of a row with one field too many (``NATO,Russia,
killed,7,000``: source ``Russia``, category ``7``) or, when every row has one, quietly takes
the first column as the index; and it names only the first bad line. Here each row is split by
the :mod:`csv` module and its fields counted against the header, so such a row is a
:class:`Problem` naming its line, and reading costs memory for one row at a time.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from pathlib import Path

from .constants import MAX_FILE_BYTES
from .errors import Problem, ReportError

__all__ = ["decode", "read_table", "width_problem"]

#: Byte order marks, longest first (UTF-32's starts like UTF-16's), and the codec each means.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ENCODING_TODO = (
    "Save the file as UTF-8 (in Excel: 'CSV UTF-8'), or pass the file's encoding: "
    "read_reports(..., encoding='cp1252') (or 'latin-1'; on the command line --encoding cp1252)"
)
_MORE_TODO = (
    'Quote a cell that holds the separator: a figure with a thousands separator as "7,000" '
    "(or write it 7000), and any text with a comma in quotes"
)
_FEWER_TODO = "Give every row as many fields as the header: an empty cell is nothing between two commas"


def _fail(path: Path, what: str, todo: str) -> ReportError:
    return ReportError([Problem(None, None, f"{path.name}: {what}", todo)])


def decode(path: Path, encoding: str | None = None) -> str:
    """The file's text: in ``encoding`` if given, else as its byte order mark says (UTF-8,
    UTF-16 or UTF-32), else UTF-8. Undecodable bytes raise a :class:`ReportError` naming the
    line and byte, the encoding tried and what to do."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _fail(
            path,
            f"the file has {size / 1024**2:,.0f} MB, more than the {MAX_FILE_BYTES / 1024**2:,.0f} MB "
            "a table of reports can sensibly have (constants.MAX_FILE_BYTES)",
            "Check that it is the table of reports; split a real table of this size by party or year",
        )
    data = path.read_bytes()
    tried = encoding
    if tried is None:
        tried = next((codec for bom, codec in _BOMS if data.startswith(bom)), "utf-8")
    if encoding is None and tried == "utf-8" and b"\x00" in data[:4096]:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise _fail(
            path,
            f"line {line} holds zero bytes: the file looks like UTF-16 without a byte order mark, "
            "or is not text (the encoding tried: utf-8)",
            "Save the file as UTF-8, or pass encoding='utf-16-le' (or 'utf-16-be')",
        )
    try:
        return data.decode(tried)
    except LookupError:
        raise _fail(
            path,
            f"encoding={encoding!r} is not an encoding Python knows",
            "Give one such as 'utf-8' or 'cp1252'",
        ) from None
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        begins = data.rfind(b"\n", 0, e.start) + 1
        before = data[max(begins, e.start - 30) : e.start].decode(tried, errors="replace")
        bad = f"byte {e.start - begins + 1} of the line, 0x{data[e.start]:02x}, after {before!r}"
        hint = ""
        if encoding is None and b"\x00" in data[:4096]:
            hint = "; its zero bytes look like UTF-16 without a byte order mark: try encoding='utf-16-le'"
        raise _fail(
            path,
            f"line {line} ({bad}) cannot be read as {tried}, the only encoding tried"
            + ("" if encoding else " (the file starts with no byte order mark)")
            + hint,
            _ENCODING_TODO,
        ) from None


def _lines(text: str) -> Iterator[str]:
    """The text's lines with their ends, split at ``\\n`` only (``str.splitlines`` also splits
    at form feeds and other characters a quoted cell may hold); old Mac files end lines with
    ``\\r`` alone."""
    end = "\n" if "\n" in text or "\r" not in text else "\r"
    start, n = 0, len(text)
    while start < n:
        stop = text.find(end, start)
        if stop < 0:
            yield text[start:]
            return
        yield text[start : stop + 1]
        start = stop + 1


def read_table(
    path: Path, *, sep: str, encoding: str | None = None
) -> tuple[list[str], Iterator[tuple[int, list[str] | Problem]]]:
    """The header's names and, lazily, each row after it as (file line, fields) or, where the
    CSV cannot be split (a quote left open), (line, problem) and no more rows.

    The header is line 1; a quoted cell with line breaks pushes later rows down, and blank lines
    come as empty rows, so every line number is the one an editor shows.
    """
    reader = csv.reader(_lines(decode(path, encoding)), delimiter=sep, skipinitialspace=True)
    try:
        header = next(reader, None)
    except csv.Error as e:
        raise _fail(path, f"line 1, the header, cannot be read: {e}", "Fix the header line") from None
    if header is None:
        raise _fail(
            path,
            "the file is empty",
            "Give a header line (source,party,category,...) and one report per line",
        )
    while header and not header[-1].strip():
        header.pop()  # a separator at the end of the header names no column

    def rows() -> Iterator[tuple[int, list[str] | Problem]]:
        line = reader.line_num + 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                what = f"cannot be split into fields ({e})"
                if "field larger than field limit" in str(e):
                    what = (
                        'a quoted cell runs on for more than 131,072 characters: a quote (") is never closed'
                    )
                yield line, Problem(line, None, what, "Close the quote, or remove the stray quote character")
                return
            yield line, fields
            line = reader.line_num + 1

    return header, rows()


#: The two halves of a number split at its thousands separator: "7" and "000".
_END = re.compile(r"(?<![\d.])\d{1,3}$")
_START = re.compile(r"\d{3}(?![\d.,])")


def width_problem(line: int, fields: list[str], width: int, source: int | None) -> Problem | None:
    """A problem when the row does not have ``width`` fields (extra empty fields at the end,
    left by a trailing separator, are dropped first); None otherwise. ``source`` is the source
    column's position, to name the row's source where the row is long enough to have one."""
    while len(fields) > width and not fields[-1].strip():
        fields.pop()
    if len(fields) == width:
        return None
    who = " ".join(fields[source].split())[:40] if source is not None and source < len(fields) else None
    what = f"{len(fields)} field{'s' if len(fields) != 1 else ''} where the header has {width}"
    if any("\n" in f for f in fields):
        what += " (a quoted cell runs over several lines: is a closing quote missing?)"
    if len(fields) > width:
        split = next(
            (
                f"{a.group()},{b.group()}"
                for a, b in (
                    (_END.search(x.strip()), _START.match(y.strip()))
                    for x, y in zip(fields, fields[1:], strict=False)
                )
                if a is not None and b is not None
            ),
            None,
        )
        if split is not None:
            what += f" ('{split}' looks like one number split at its thousands separator)"
        return Problem(line, who or None, what, _MORE_TODO, where="line")
    return Problem(line, who or None, what, _FEWER_TODO, where="line")
