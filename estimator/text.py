r"""Text from the reports made safe for where it is shown: HTML, Markdown, plot labels, links.

Source names, quotes, urls, parties and categories come from the user's files, and any of them
may hold markup by accident or on purpose: a ``$`` pair that matplotlib would read as math (and
fail on, or typeset), a newline that ends a Markdown table row and starts an HTML block, a
``javascript:`` link. Every renderer passes such text through one of these functions, and only
these; JSON needs none (``json.dumps`` escapes every string it writes).

Examples
--------
>>> for_markdown("<script>|x")
'\\<script\\>\\|x'
>>> for_plot_label("Fund $5 to $10")
'Fund \\$5 to \\$10'
>>> safe_url("javascript:alert(1)") is None
True
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import quote, urlsplit

#: Characters with a meaning in Markdown (CommonMark and GitHub's tables, strikethrough and
#: math), each escaped with a backslash wherever it appears.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]{}<>|#~$&!])")
#: What makes a line start a list, a quote or a heading in Markdown: escaped at the start only.
MARKDOWN_LINE_START = re.compile(r"^(\d*)([-+=.)])")
#: Characters a link keeps as they are; every other one is percent-encoded (RFC 3986's
#: unreserved and reserved characters, less the brackets, parentheses, quote and star that end
#: or mark up a Markdown link).
URL_SAFE = ":/?#@!$&+,;=%-._~"
#: Schemes that become links; anything else is shown as text.
URL_SCHEMES = ("http", "https")


def one_line(text: object) -> str:
    r"""``text`` as a string on one line: control characters dropped, runs of whitespace
    (newlines too) one space.

    Examples
    --------
    >>> one_line("a\n  b\x00c")
    'a bc'
    """
    s = "" if text is None else str(text)
    s = "".join(ch for ch in s if ch.isspace() or unicodedata.category(ch) != "Cc")
    return " ".join(s.split())


def for_html(text: object) -> str:
    """``text`` for HTML text or a quoted attribute: ``& < > " '`` as entities, control
    characters dropped.

    Examples
    --------
    >>> for_html('<b title="x">')
    '&lt;b title=&quot;x&quot;&gt;'
    """
    s = "" if text is None else str(text)
    s = "".join(ch for ch in s if ch in "\t\n\r" or unicodedata.category(ch) != "Cc")
    return html.escape(s, quote=True)


def for_markdown(text: object) -> str:
    r"""``text`` for Markdown, on one line (a table cell, a paragraph, a list item): every
    character with a meaning escaped, so it renders as the characters it is.

    Examples
    --------
    >>> for_markdown("1. [x](javascript:y) `z`")
    '1\\. \\[x\\](javascript:y) \\`z\\`'
    """
    s = MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text))
    return MARKDOWN_LINE_START.sub(r"\1\\\2", s, count=1)


def for_plot_label(text: object) -> str:
    r"""``text`` for a matplotlib label, title or legend entry: on one line, every ``$``
    escaped so that none starts mathtext (the plots' style sets ``text.usetex`` off).

    Examples
    --------
    >>> for_plot_label("Agency $\\foo$")
    'Agency \\$\\foo\\$'
    """
    return one_line(text).replace("$", r"\$")


def safe_url(url: object) -> str | None:
    """``url`` as a link target, or None when it should not be one.

    Kept: an absolute ``http`` or ``https`` URL with a host, with no whitespace or control
    character anywhere; characters that would end or mark up a link in Markdown or HTML
    (parentheses, brackets, quotes, ``<``, ``>``, ``|``, backslash, backtick) are
    percent-encoded. Anything else (``javascript:``, a relative path, a URL with a newline)
    is None: show it as text.

    Examples
    --------
    >>> safe_url("https://example.org/a (b)")  # a space: not a link
    >>> safe_url("https://example.org/a_(b)|c")
    'https://example.org/a_%28b%29%7Cc'
    """
    if not isinstance(url, str) or not url:
        return None
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    if parts.scheme.lower() not in URL_SCHEMES or not parts.hostname:
        return None
    return "".join(
        ch if not ch.isascii() or ch.isalnum() or ch in URL_SAFE else quote(ch, safe="") for ch in url
    )


__all__ = ["for_html", "for_markdown", "for_plot_label", "one_line", "safe_url"]
