"""Read a figure as a source wrote it ("as many as 40,000") into a kind and numbers.

The model knows nine kinds of figure (``estimator.KINDS``). This module only maps words onto
them; it never guesses: a phrase it does not fully understand raises :class:`FigureError`,
quoting the phrase and the part it could not read.

How a phrase is read
--------------------
``[hedge] number [to number] [%] [of base] [trailing words]``

- **Numbers** as written: ``1300``, ``1,300``, ``1 300``, ``1.3k``, ``15K``, ``1.2m``,
  ``1.5 million``, number words (``six``, ``twenty-five``, ``two hundred``, ``a dozen``,
  ``a thousand``) and ``zero`` / ``no`` / ``none`` for "no losses".
- **Hedges** (:data:`HEDGES`, before the number; :data:`TRAILING_HEDGES`, right after it) give
  the kind. A bare number is ``exact``.
- **Ranges**: ``7,000 to 15,000``, ``7,000-15,000``, ``between 7,000 and 15,000``,
  ``from 7,000 to 15,000``, ``five or six``; a magnitude written once applies to both ends
  (``7 to 15 thousand``, ``7-15K``). An approximate hedge before a range is dropped (a range is
  already approximate); any other hedge before a range is an error.
- **Vague magnitudes** (``dozens``, ``thousands``, ``tens of thousands``, ``several hundred``,
  ``a few thousand``) are ranges with the bounds in :data:`VAGUE_MAGNITUDES`, :data:`SEVERAL`
  and :data:`A_FEW`. With an "at least" hedge ("more than a few hundred") they give
  ``at_least`` their lower bound.
- **Shares** (``10%``, ``10 percent``, ``a third``, ``half``, ``two-thirds``) are multiplied by
  a base written in the text (``10 percent of 150,000 troops``, ``half a million``) or given as
  ``base=``; the hedge keeps its kind (``more than 10 percent of`` 150,000 -> ``at_least``
  15,000).
- **Documented**: ``confirmed``, ``documented``, ``named``, ``verified``, ``identified`` or
  ``acknowledged`` anywhere in the phrase makes the figure ``documented`` (a counted subset of
  the truth). A floor or rounding hedge ("at least 121 confirmed", "about 500 confirmed") is then
  dropped: a documented count is already a floor on the truth. A ceiling ("up to"), a range or a
  vague magnitude cannot be a documented count and is an error.
- **Trailing words** after the figure ("Russian soldiers killed", "dead, wounded or missing")
  are ignored, unless they hold a second number or a hedge: then the phrase is ambiguous and
  an error.

Choices for ambiguous phrases
-----------------------------
- ``more than X``, ``over X``, ``above X``, ``in excess of X`` -> ``at_least`` X: the source says
  only that the truth lies above X, not how far ("more than 150,000 troops" may be 190,000).
- ``just over X``, ``slightly more than X``, ``a little over X``, ``just above X`` -> ``over`` X:
  the truth lies just above X (within ``NEARLY_GAP``).
- ``close to X``, ``approaching X`` -> ``nearly`` X (just below X), not ``approx``.
- ``some X`` -> ``approx`` X ("some 15,000 killed"), never a vague quantity.
- ``X or Y`` with two numbers ("five or six generals") -> ``range`` X..Y.
- ``7 to 15,000`` and ``500 to 1.5 million`` are refused: the first number could be a bare
  number or share the second's magnitude (7 or 7,000; 500 or 500,000).
- ``1.300`` is refused: it could be 1.3 or 1,300.
- A hedge inside a range other than an approximate one ("up to 7,000-15,000", "at least 7,000
  to 15,000") is refused.
- A base both written in the text and given as ``base=`` must agree; ``base=`` with a figure
  that is not a share is refused.
- ``no`` followed by any noun ("no losses", "no tanks lost") is 0: the category is named
  elsewhere.
- A hedge word after the figure ("1,300 killed over the weekend") is refused rather than
  dropped: put the hedge before the number and leave the rest out.
- ``and`` after a number in words says that the number goes on ("two hundred and fifty"):
  "seven hundred and banana" is refused, naming "banana", never read as 700.

Examples
--------
>>> parse_figure("as many as 40,000")
Figure(kind='upper_estimate', value=40000.0, low=None, high=None, text='as many as 40,000')
>>> parse_figure("roughly 7,000 to 15,000 Russian soldiers").kind
'range'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import NoReturn

from .errors import FigureError, Problem

__all__ = [
    "A_FEW",
    "DOCUMENTED_WORDS",
    "HEDGES",
    "SEVERAL",
    "TRAILING_HEDGES",
    "VAGUE_MAGNITUDES",
    "Figure",
    "parse_figure",
    "parse_number",
]


@dataclass(frozen=True)
class Figure:
    """A figure read from a phrase: its kind and numbers (None where the kind does not use them).

    Parameters
    ----------
    kind
        One of ``estimator.KINDS``.
    value
        The number of every kind but ``range``.
    low, high
        The ends of a ``range``.
    text
        The phrase as given.

    Examples
    --------
    >>> Figure("range", None, 7000.0, 15000.0, "7,000 to 15,000").high
    15000.0
    """

    kind: str
    value: float | None
    low: float | None
    high: float | None
    text: str


#: Hedges written before the number, and the kind each gives. Longest phrase wins ("just over"
#: before "over"). ``more than`` / ``over`` are ``at_least`` (only a floor); ``just over`` /
#: ``slightly more than`` are ``over`` (just above the number).
HEDGES: dict[str, str] = {
    # approx: a rounded figure, the truth on either side
    "about": "approx",
    "around": "approx",
    "roughly": "approx",
    "approximately": "approx",
    "approx": "approx",
    "approx.": "approx",
    "some": "approx",
    "an estimated": "approx",
    "estimated": "approx",
    "estimated at": "approx",
    "est.": "approx",
    "circa": "approx",
    "c.": "approx",
    "ca.": "approx",
    "~": "approx",
    "≈": "approx",
    "in the region of": "approx",
    "on the order of": "approx",
    "of the order of": "approx",
    # nearly: just below the number
    "almost": "nearly",
    "nearly": "nearly",
    "just under": "nearly",
    "just below": "nearly",
    "just short of": "nearly",
    "just shy of": "nearly",
    "a little under": "nearly",
    "a little less than": "nearly",
    "slightly under": "nearly",
    "slightly below": "nearly",
    "slightly less than": "nearly",
    "slightly fewer than": "nearly",
    "close to": "nearly",
    "approaching": "nearly",
    "not quite": "nearly",
    # over: just above the number
    "just over": "over",
    "just above": "over",
    "just more than": "over",
    "slightly more than": "over",
    "slightly over": "over",
    "slightly above": "over",
    "a little over": "over",
    "a little more than": "over",
    # at_least: a floor, the truth anywhere above
    "at least": "at_least",
    "no fewer than": "at_least",
    "no less than": "at_least",
    "not fewer than": "at_least",
    "not less than": "at_least",
    "a minimum of": "at_least",
    "more than": "at_least",
    "over": "at_least",
    "above": "at_least",
    "in excess of": "at_least",
    "upwards of": "at_least",
    "exceeding": "at_least",
    "well over": "at_least",
    "well above": "at_least",
    "well in excess of": "at_least",
    "far more than": "at_least",
    ">": "at_least",
    ">=": "at_least",
    "≥": "at_least",
    # upper_estimate: the top of the source's own interval
    "up to": "upper_estimate",
    "as many as": "upper_estimate",
    "as high as": "upper_estimate",
    "perhaps as many as": "upper_estimate",
    "possibly as many as": "upper_estimate",
    "potentially as many as": "upper_estimate",
    "perhaps up to": "upper_estimate",
    "possibly up to": "upper_estimate",
    "potentially up to": "upper_estimate",
    # at_most: a ceiling, the truth anywhere below
    "no more than": "at_most",
    "not more than": "at_most",
    "fewer than": "at_most",
    "less than": "at_most",
    "under": "at_most",
    "below": "at_most",
    "well under": "at_most",
    "well below": "at_most",
    "at most": "at_most",
    "a maximum of": "at_most",
    "not exceeding": "at_most",
    "<": "at_most",
    "<=": "at_most",
    "≤": "at_most",
}

#: Hedges written right after the number ("1,300 or more", "15,000+").
TRAILING_HEDGES: dict[str, str] = {
    "or more": "at_least",
    "or higher": "at_least",
    "+": "at_least",
    "plus": "at_least",
    "-plus": "at_least",
    "or so": "approx",
    "or thereabouts": "approx",
    "or fewer": "at_most",
    "or less": "at_most",
}

#: Words that make a figure ``documented``, anywhere in the phrase.
DOCUMENTED_WORDS: tuple[str, ...] = (
    "confirmed",
    "documented",
    "named",
    "verified",
    "identified",
    "acknowledged",
)

#: Vague magnitudes as ranges. A plural means at least two of the unit (one would say "a
#: thousand") and fewer than the next magnitude (else one would say "tens of thousands"): so
#: "thousands" is 2,000-9,999. "dozens" stops below 100 ("hundreds" takes over); "scores" (of
#: twenty) likewise starts at two score, 40.
VAGUE_MAGNITUDES: dict[str, tuple[int, int]] = {
    "dozens": (24, 99),
    "scores": (40, 99),
    "hundreds": (200, 999),
    "thousands": (2_000, 9_999),
    "tens of thousands": (20_000, 99_999),
    "hundreds of thousands": (200_000, 999_999),
    "millions": (2_000_000, 9_999_999),
    "tens of millions": (20_000_000, 99_999_999),
}

#: "several" is at least three (two would be "a couple") and, with a unit, runs up to the next
#: magnitude like the plural: "several hundred" is 300-999, "several dozen" 36-99; alone,
#: "several" is 3-9.
SEVERAL: tuple[int, int] = (3, 9)

#: "a few" is two to five of the unit: "a few hundred" is 200-500, "a few dozen" 24-60; alone
#: 2-5. Fewer than "several" reaches: people say "several" once "a few" sounds too small.
A_FEW: tuple[int, int] = (2, 5)

_TODO = (
    "Write the figure as a number with at most one hedge ('about 1,300', 'up to 15,000', "
    "'7,000 to 15,000'), or give kind= and value= (or low= and high=) explicitly"
)

_SMALL = {
    w: i + 1
    for i, w in enumerate(
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {
    w: 20 + 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())
}
_UNITS = {**_SMALL, **_TENS}
_BIG = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_MAGNITUDES = {"hundred": 100, **_BIG}
_SUFFIXES = {"k": 1_000, "m": 1_000_000, "mn": 1_000_000, "mln": 1_000_000, "bn": 1_000_000_000}
_FRACTIONS = {
    "half": 2,
    "halves": 2,
    "third": 3,
    "thirds": 3,
    "quarter": 4,
    "quarters": 4,
    "fifth": 5,
    "fifths": 5,
    "tenth": 10,
    "tenths": 10,
}
_ZERO = ("zero", "none", "nil", "no")
_PERCENT = (("%",), ("percent",), ("per", "cent"), ("pct",))
_FILLERS = (("a", "total", "of"), ("only",), ("just",), ("officially",))
_BASE_DETERMINERS = frozenset(
    "its the their his her our an estimated total all some about around roughly approximately".split()
)
#: Words that count as a number when they stand after the figure (a second, unrelated number).
_NUMBER_WORDS = frozenset(
    [*_UNITS, *_MAGNITUDES, "dozen", "zero", "none", "nil", "half", "several", "tens"]
    + [k for k in VAGUE_MAGNITUDES if " " not in k]
)
_SYMBOLS = {"≥": ">=", "≤": "<=", "\u2212": "-"}
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_SPACES = "\u00a0\u2007\u2009\u202f"

_TOKEN = re.compile(
    r"""
    (?P<num>(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?
            |\d{1,3}(?:[ ]\d{3})+(?![\d.,])
            |\d+(?:\.\d+)?
            |\.\d+)
    )(?P<suffix>[a-z]+)?
    |(?P<word>[a-z]+(?:'[a-z]+)*)
    |(?P<sym>>=|<=|\S)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str  # "num", "word" or "sym"
    text: str
    start: int
    end: int
    suffix: str = ""


@dataclass(frozen=True)
class _Qty:
    """A number read from the tokens: plain, vague (a range) or a share (a fraction)."""

    low: Fraction
    high: Fraction
    end: int
    mult: int | None = None  # the magnitude written with it ("15 thousand": 1,000)
    vague: bool = False
    share: Fraction | None = None

    @property
    def plain(self) -> bool:
        return not self.vague and self.share is None


def _normalize(text: str) -> str:
    """Lower case, one kind of dash, one kind of space; keeps the length (spans stay valid)."""
    out = []
    for c in text:
        low = c.lower()
        c = low if len(low) == 1 else c
        if c in _DASHES:
            c = "-"
        elif c in _SPACES:
            c = " "
        elif c == "\u2019":
            c = "'"
        out.append(c)
    return "".join(out)


def _tokenize(text: str) -> list[_Tok]:
    toks = []
    for m in _TOKEN.finditer(_normalize(text)):
        if m.group("num") is not None:
            toks.append(_Tok("num", m.group("num"), m.start(), m.end(), m.group("suffix") or ""))
        elif m.group("word") is not None:
            toks.append(_Tok("word", m.group("word"), m.start(), m.end()))
        else:
            sym = m.group("sym")
            toks.append(_Tok("sym", _SYMBOLS.get(sym, sym), m.start(), m.end()))
    return toks


def _phrase_table(table: dict[str, str]) -> list[tuple[tuple[str, ...], str, str]]:
    """(token texts, phrase, kind), longest first, so that "just over" wins over "over"."""
    rows = [(tuple(t.text for t in _tokenize(p)), p, k) for p, k in table.items()]
    return sorted(rows, key=lambda r: -len(r[0]))


_HEDGE_SEQ = _phrase_table(HEDGES)
_TRAIL_SEQ = _phrase_table(TRAILING_HEDGES)


def _match(
    toks: list[_Tok], i: int, table: list[tuple[tuple[str, ...], str, str]]
) -> tuple[str, str, int] | None:
    for seq, phrase, kind in table:
        if tuple(t.text for t in toks[i : i + len(seq)]) == seq:
            return phrase, kind, len(seq)
    return None


def _fmt(x: Fraction) -> str:
    return f"{int(x):,}" if x.denominator == 1 else f"{float(x):,g}"


def _is_number(tok: _Tok) -> bool:
    return tok.kind == "num" or tok.text in _NUMBER_WORDS


class _Parser:
    def __init__(self, text: str, base: float | None):
        self.text = text
        self.base = base
        self.toks = _tokenize(text)

    # -- helpers -------------------------------------------------------------------------------
    def fail(self, detail: str, todo: str = _TODO) -> NoReturn:
        what = f"cannot read the figure {self.text!r}: {detail}"
        raise FigureError([Problem(None, None, what, todo)])

    def word(self, i: int) -> str:
        return self.toks[i].text if 0 <= i < len(self.toks) else ""

    def quote(self, i: int, j: int) -> str:
        j = min(j, len(self.toks))
        if i >= j:
            return repr(self.text)
        return repr(self.text[self.toks[i].start : self.toks[j - 1].end])

    # -- numbers -------------------------------------------------------------------------------
    def magnitudes(self, j: int) -> tuple[int | None, int]:
        """A run of magnitude words ("hundred thousand", "million", "dozen") from ``j``."""
        if self.word(j) == "dozen":
            return 12, j + 1
        mult: int | None = None
        while self.word(j) in _MAGNITUDES:
            m = _MAGNITUDES[self.word(j)]
            if mult is not None and m <= mult:
                break
            mult = (mult or 1) * m
            j += 1
        return mult, j

    def vague(self, i: int) -> _Qty | None:
        w = self.word(i)
        if w in ("tens", "hundreds") and self.word(i + 1) == "of":
            key = f"{w} of {self.word(i + 2)}"
            if key in VAGUE_MAGNITUDES:
                lo, hi = VAGUE_MAGNITUDES[key]
                return _Qty(Fraction(lo), Fraction(hi), i + 3, vague=True)
        if w in VAGUE_MAGNITUDES:
            lo, hi = VAGUE_MAGNITUDES[w]
            return _Qty(Fraction(lo), Fraction(hi), i + 1, vague=True)
        if w == "several":
            j, bounds = i + 1, SEVERAL
        elif w == "a" and self.word(i + 1) == "few":
            j, bounds = i + 2, A_FEW
        else:
            return None
        mult, end = self.magnitudes(j)
        if mult is None:
            return _Qty(Fraction(bounds[0]), Fraction(bounds[1]), j, vague=True)
        if bounds is SEVERAL:
            top = 99 if mult == 12 else 10 * mult - 1  # up to the next magnitude
            return _Qty(Fraction(SEVERAL[0] * mult), Fraction(top), end, vague=True)
        return _Qty(Fraction(A_FEW[0] * mult), Fraction(A_FEW[1] * mult), end, vague=True)

    def digits(self, i: int) -> _Qty:
        tok = self.toks[i]
        value = Fraction(tok.text.replace(",", "").replace(" ", ""))
        mult: int | None = None
        if tok.suffix:
            if tok.suffix not in _SUFFIXES:
                self.fail(f"{self.quote(i, i + 1)} is not a number")
            mult = _SUFFIXES[tok.suffix]
        words, end = self.magnitudes(i + 1)
        if words is not None:
            mult = (mult or 1) * words
        if mult is None and re.fullmatch(r"\d{1,3}\.\d{3}", tok.text):
            whole = tok.text.replace(".", "")
            self.fail(
                f"{tok.text!r} could be {tok.text.rstrip('0')} or {int(whole):,}",
                "Write thousands with a comma (1,300) and decimals without trailing zeros",
            )
        return _Qty(value * (mult or 1), value * (mult or 1), end, mult=mult)

    def words(self, i: int, between: bool) -> _Qty | None:
        """Number words: "six", "twenty-five", "two hundred and fifty", "a dozen", "a third"."""
        w = self.word(i)
        if w in ("a", "an", "one") and self.word(i + 1) in _FRACTIONS:
            return self.fraction(1, i + 1)
        if w == "half":
            return self.fraction(1, i)
        j = i
        total = current = 0
        seen = False
        tail_mult: int | None = None  # magnitudes written after the last unit word
        last_big: int | None = None
        if w in ("a", "an"):
            if self.word(i + 1) not in (*_MAGNITUDES, "dozen"):
                return None
            current, seen, j = 1, True, i + 1
        while j < len(self.toks):
            w = self.word(j)
            if w in _UNITS:
                v = _UNITS[w]
                rest = current % 100
                if seen and rest and not (rest % 10 == 0 and rest >= 20 and v < 10):
                    break
                current += v
                seen, tail_mult = True, None
                j += 1
                if w in _TENS and self.word(j) == "-" and _SMALL.get(self.word(j + 1), 10) < 10:
                    j += 1  # "twenty-five"
                continue
            if w == "hundred" and 0 < current < 100:
                current *= 100
                tail_mult = (tail_mult or 1) * 100
                j += 1
                continue
            if w in _BIG and current > 0 and (last_big is None or _BIG[w] < last_big):
                total += current * _BIG[w]
                current, last_big = 0, _BIG[w]
                tail_mult = (tail_mult or 1) * _BIG[w]
                j += 1
                continue
            if w == "dozen" and 0 < current < 100 and total == 0:
                current *= 12
                tail_mult = 12
                j += 1
                continue
            if w == "and" and not between and tail_mult is not None:
                if self.word(j + 1) in _UNITS:
                    j += 1  # "two hundred and fifty"
                    continue
                self.unread_after_and(i, j)
            if total == 0 and 0 < current < 10 and tail_mult is None:
                k = j + 1 if w == "-" else j
                if self.word(k) in _FRACTIONS:
                    return self.fraction(current, k)  # "two thirds", "one-third"
            break
        if not seen:
            return None
        value = Fraction(total + current)
        return _Qty(value, value, j, mult=tail_mult)

    def unread_after_and(self, i: int, j: int) -> NoReturn:
        """ "seven hundred and banana": the "and" says the number goes on, the next word is not
        a number; refused rather than read as 700 with "and banana" dropped."""
        if j + 1 >= len(self.toks):
            self.fail(
                f"{self.quote(i, j + 1)} ends with 'and'", "Write the whole number ('two hundred and fifty')"
            )
        self.fail(
            f"{self.quote(j + 1, j + 2)} after {self.quote(i, j + 1)} is not a number word",
            "Write the whole number ('two hundred and fifty'), or the number in digits",
        )

    def fraction(self, numerator: int, i: int) -> _Qty:
        share = Fraction(numerator, _FRACTIONS[self.word(i)])
        return _Qty(Fraction(0), Fraction(0), i + 1, share=share)

    def quantity(self, i: int, between: bool = False) -> _Qty | None:
        if i >= len(self.toks):
            return None
        found = self.vague(i)
        if found is not None:
            return found
        if self.toks[i].kind == "num":
            return self.digits(i)
        return self.words(i, between)

    def percent(self, j: int) -> tuple[bool, int]:
        for seq in _PERCENT:
            if tuple(self.word(j + k) for k in range(len(seq))) == seq:
                return True, j + len(seq)
        return False, j

    def written_base(self, j: int) -> tuple[Fraction | None, int]:
        """The base of a share written after it: "of 150,000", "of its 150,000 troops",
        "of its combat force of 150,000", "a million" (as in "half a million")."""
        if self.word(j) != "of":
            q = self.quantity(j)
            return (q.low, q.end) if q is not None and q.plain else (None, j)
        k = j
        while k < len(self.toks) and not _is_number(self.toks[k]):
            if self.word(k) == "of":
                m = k + 1
                q = self.quantity(m)
                while q is None and self.word(m) in _BASE_DETERMINERS:
                    m += 1
                    q = self.quantity(m)
                if q is not None:
                    return (q.low, q.end) if q.plain else (None, j)
            k += 1
        return None, j

    def given_base(self) -> Fraction | None:
        """``base=`` as an exact fraction; refused unless a positive finite number."""
        if self.base is None:
            return None
        try:
            base = Fraction(self.base)
        except (TypeError, ValueError, OverflowError):
            self.fail(f"base={self.base!r} is not a number", "Give base= as a number")
        if base <= 0:
            self.fail(f"base={self.base!r} is not positive", "Give a base above 0")
        return base

    # -- the phrase ----------------------------------------------------------------------------
    def parse(self) -> Figure:
        toks = [t for t in self.toks if t.text not in ("(", ")", "[", "]")]
        documented = [t.text for t in toks if t.text in DOCUMENTED_WORDS]
        self.toks = toks = [t for t in toks if t.text not in DOCUMENTED_WORDS]
        if not toks:
            self.fail("there is no number in it")
        n = len(toks)

        # hedges, "between"/"from" and fillers before the number
        i = 0
        hedge: tuple[str, str] | None = None
        intro: str | None = None
        while i < n:
            found = _match(toks, i, _HEDGE_SEQ)
            if found is not None:
                if hedge is not None:
                    self.fail(f"it has two hedges, {hedge[0]!r} and {found[0]!r}")
                hedge = found[0], found[1]
                i += found[2]
                continue
            if self.word(i) in ("between", "from") and intro is None:
                intro = self.word(i)
                i += 1
                continue
            filler = next((f for f in _FILLERS if tuple(map(self.word, range(i, i + len(f)))) == f), None)
            if filler is not None:
                i += len(filler)
                continue
            break

        # "no losses", "zero", "none"
        w = self.word(i)
        if w in _ZERO and (w != "no" or i + 1 == n or not _is_number(toks[i + 1])):
            if hedge is not None or intro is not None:
                self.fail(f"{self.quote(0, i + 1)} is not understood: zero takes no hedge")
            self.check_tail(i + 1)
            return Figure("documented" if documented else "exact", 0.0, None, None, self.text)

        q1 = self.quantity(i, between=intro == "between")
        if q1 is None:
            if not any(_is_number(t) for t in toks):
                self.fail("there is no number in it")
            end = next((k for k in range(i, n) if _is_number(toks[k])), n)
            self.fail(f"{self.quote(i, max(end, i + 1))} is not understood")
        j = q1.end
        pct1, j = self.percent(j)
        q2: _Qty | None = None
        pct2 = False
        trailing = _match(toks, j, _TRAIL_SEQ)
        seps = {"between": ("and", "to", "-"), "from": ("to", "-")}.get(intro or "", ("to", "-", "or"))
        if trailing is None and self.word(j) in seps:
            q2 = self.quantity(j + 1, between=intro == "between")
            if q2 is None and self.word(j) not in ("or", "and"):
                self.fail(f"{self.quote(i, j + 1)} has no second number")
            if q2 is not None:
                j = q2.end
                pct2, j = self.percent(j)
                trailing = _match(toks, j, _TRAIL_SEQ)
        if intro is not None and q2 is None:
            self.fail(f"{intro!r} needs two numbers ('between 7,000 and 15,000')")
        if trailing is not None:
            if hedge is not None:
                self.fail(f"it has two hedges, {hedge[0]!r} and {trailing[0]!r}")
            hedge = trailing[0], trailing[1]
            j += trailing[2]

        # shares: percentages and fractions
        share1 = q1.share if q1.share is not None else (q1.low / 100 if pct1 else None)
        share2: Fraction | None = None
        if q2 is not None:
            share2 = q2.share if q2.share is not None else (q2.low / 100 if pct2 else None)
            if pct2 and not pct1 and q1.plain:
                share1 = q1.low / 100  # "10 to 15 percent"
            if (share1 is None) != (share2 is None):
                self.fail(f"{self.quote(i, j)} mixes a share and a number")
        is_share = share1 is not None
        base: Fraction | None = None
        if is_share:
            given = self.given_base()
            base, j = self.written_base(j)
            if base is not None and given is not None and base != given:
                self.fail(
                    f"the base written in it ({_fmt(base)}) differs from base={self.base!r}",
                    "Give one base: drop base= or the base in the text",
                )
            if base is None and given is None:
                self.fail(
                    f"{self.quote(i, j)} is a share and needs a base",
                    "Give base= (the number the share is of, e.g. base=150000), or write it "
                    "in the text ('10 percent of 150,000 troops')",
                )
            base = base if base is not None else given
        elif self.base is not None:
            self.fail(
                f"base={self.base!r} is given but the figure is not a share",
                "Drop base=, or write the share ('10 percent of')",
            )
        self.check_tail(j)

        # numbers
        if is_share:
            assert base is not None and share1 is not None
            if share1 > 1 or (share2 is not None and share2 > 1):
                self.fail("a share above 100% is not a share of the base")
            low, high = share1 * base, (share2 * base if share2 is not None else share1 * base)
        else:
            low, high = q1.low, (q2.high if q2 is not None else q1.high)
            if q2 is not None:
                if q1.vague or q2.vague:
                    self.fail(f"{self.quote(i, j)} is a range of vague magnitudes")
                low = self.scale(q1, q2, i, j)

        # kind
        kind = hedge[1] if hedge is not None else None
        if q2 is not None or q1.vague:
            if q2 is not None and low >= high:
                self.fail(f"{self.quote(i, j)} is a range whose low end is not below its high end")
            if documented:
                self.fail(f"a documented ({documented[0]!r}) count is one number, not a range")
            if kind in (None, "approx"):
                return Figure("range", None, float(low), float(high), self.text)
            if q1.vague and kind == "at_least":
                return Figure("at_least", float(low), None, None, self.text)
            assert hedge is not None
            self.fail(f"the hedge {hedge[0]!r} before a range is not understood")
        kind = kind or "exact"
        if documented:
            if kind in ("at_most", "upper_estimate"):
                assert hedge is not None
                self.fail(
                    f"{hedge[0]!r} gives a ceiling, but {documented[0]!r} a counted floor",
                    "Give kind= explicitly",
                )
            kind = "documented"
        return Figure(kind, float(low), None, None, self.text)

    def scale(self, q1: _Qty, q2: _Qty, i: int, j: int) -> Fraction:
        """The low end of "7 to 15 thousand" (7,000); refuses "7 to 15,000" (7 or 7,000?)."""
        if q1.mult is not None or q1.low <= 0:
            return q1.low
        if q2.mult is not None:
            if q1.low * q2.mult < q2.low:
                return q1.low * q2.mult
            mult = q2.mult
        elif q2.low >= 1000 and q1.low * 1000 <= q2.low:
            mult = 1000
        else:
            return q1.low
        self.fail(
            f"in {self.quote(i, j)} the first number could be {_fmt(q1.low)} or {_fmt(q1.low * mult)}",
            "Write both ends in full ('7,000 to 15,000')",
        )

    def check_tail(self, j: int) -> None:
        """Words after the figure are ignored, unless they hold a number or a hedge."""
        for k in range(j, len(self.toks)):
            if _is_number(self.toks[k]):
                self.fail(
                    f"{self.quote(k, k + 1)} is a second number, not part of a range",
                    "Give one figure per report, and leave dates and other numbers out",
                )
            if self.toks[k].kind != "word":
                continue
            found = _match(self.toks, k, _HEDGE_SEQ) or _match(self.toks, k, _TRAIL_SEQ)
            if found is not None:
                self.fail(
                    f"the hedge {found[0]!r} after the number is not understood",
                    "Put the hedge before the number, and drop the words after the figure",
                )


def parse_figure(text: str, *, base: float | None = None) -> Figure:
    """Read a figure as written ("as many as 40,000") into its kind and numbers.

    Parameters
    ----------
    text
        The figure phrase; words after the figure ("Russian soldiers killed") are ignored.
    base
        The base of a share ("more than 10 percent of its combat force"), when the text does
        not write it. Refused for a figure that is not a share.

    Returns
    -------
    Figure
        ``kind`` one of ``estimator.KINDS``; ``low``/``high`` for a range, ``value`` otherwise.

    Raises
    ------
    FigureError
        When any part of the phrase is not understood; the message quotes the phrase and the
        part.

    Examples
    --------
    >>> parse_figure("up to 15,000").kind, parse_figure("up to 15,000").value
    ('upper_estimate', 15000.0)
    >>> f = parse_figure("roughly 7,000 to 15,000 Russian soldiers killed")
    >>> f.kind, f.low, f.high
    ('range', 7000.0, 15000.0)
    >>> parse_figure("more than 10 percent of its combat force", base=150_000).value
    15000.0
    >>> parse_figure("at least 121 children (confirmed)").kind
    'documented'
    >>> parse_figure("thousands")
    Figure(kind='range', value=None, low=2000.0, high=9999.0, text='thousands')
    """
    if not isinstance(text, str):
        raise FigureError(
            [Problem(None, None, f"the figure {text!r} is not text", "Give the figure as a string")]
        )
    return _Parser(text, base).parse()


def parse_number(text: str) -> float:
    """Read one number as written: ``"750,000"``, ``"1.3k"``, ``"1.5 million"``, ``"six"``.

    Parameters
    ----------
    text
        A number alone, without hedge or words around it.

    Returns
    -------
    float

    Raises
    ------
    FigureError
        When the text is not one plain number.

    Examples
    --------
    >>> parse_number("750,000")
    750000.0
    >>> parse_number("1.2m")
    1200000.0
    >>> parse_number("twenty-five")
    25.0
    """
    parser = _Parser(str(text), None)
    q = parser.quantity(0)
    if q is None or not q.plain or q.end != len(parser.toks):
        parser.fail("it is not one number", "Give a number such as 1300, 1,300 or 1.3k")
    return float(q.low)
