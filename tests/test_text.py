"""Hostile text from the reports (source names, quotes, urls, parties, categories) reaches
Markdown, HTML, JSON and every plot as the characters it is: no markup, no math, no link that is
not a well-formed web link."""

import dataclasses
import io
import json
import re
import warnings
from html.parser import HTMLParser

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib import cbook  # noqa: E402

import estimator as est  # noqa: E402
from estimator import plots  # noqa: E402
from estimator.checks import plot_influence  # noqa: E402
from estimator.persist import records  # noqa: E402
from estimator.text import for_html, for_markdown, for_plot_label, one_line, safe_url  # noqa: E402

PARTIES = ("<script>alert(1)</script>|P: 1", "Fund $5 to $10")
CATEGORIES = ("killed", "wounded | `x`")
SOURCES = {
    "S1": "Agency $\\foo$",
    "S2": "[x](javascript:alert(1))",
    "S3": "Line\n<script>alert(2)</script>",
    "S4": "Pipe | `tick` *star* # hash",
}
QUOTES = [
    "<script>alert(3)</script>\n<img src=x onerror=alert(4)>",
    "| cell | breaker |\n\n# heading",
    "Fund $5 to $10 said `rm -rf`",
]
URLS = [
    "https://example.org/a\n<script>alert(5)</script>",
    "javascript:alert(6)",
    "https://example.org/ok_(1)|x[y]`z`",
    "https://exa mple.org/",
    "HTTPS://example.org/upper?a=1&b=2",
]


@pytest.fixture(scope="module")
def result():
    sim = est.simulate(
        parties=PARTIES, categories=CATEGORIES, n_sources=4, n_reports=14, days=60, random_seed=3
    )
    sources = [dataclasses.replace(s, name=SOURCES[s.name]) for s in sim.sources]
    reports = [
        dataclasses.replace(
            r, source=SOURCES[r.source], quote=QUOTES[i % len(QUOTES)], url=URLS[i % len(URLS)]
        )
        for i, r in enumerate(sim.reports)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", est.FitWarning)  # short chains: diagnostics are not the point
        return est.estimate(
            reports, sources=sources, draws=100, tune=100, chains=2, random_seed=1, progressbar=False
        )


# --- the functions ------------------------------------------------------------------------------


def test_safe_url_keeps_only_well_formed_web_links():
    assert safe_url("https://example.org/nato?a=1&b=2") == "https://example.org/nato?a=1&b=2"
    assert safe_url("HTTP://example.org/") == "HTTP://example.org/"
    assert safe_url("https://example.org/a_(b)|c`d") == "https://example.org/a_%28b%29%7Cc%60d"
    assert safe_url("https://пример.рф/путь") == "https://пример.рф/путь"  # not ASCII: kept as is
    for bad in (
        "javascript:alert(1)",
        " https://example.org/",
        "https://example.org/\n<script>",
        "https://example.org/\x00",
        "https://example.org/\u2028x",
        "https://exa mple.org/",
        "https:///path-only",
        "//example.org/",
        "/relative",
        "data:text/html,<script>",
        "https://[::1",
        "",
        None,
        42,
    ):
        assert safe_url(bad) is None, bad


def test_markdown_html_and_plot_escapes():
    assert for_markdown("a\n<script>|x") == r"a \<script\>\|x"
    assert for_markdown("- item") == r"\- item" and for_markdown("1. item") == r"1\. item"
    assert for_markdown("$x$ ~~y~~ &amp; ![i](u)") == r"\$x\$ \~\~y\~\~ \&amp; \!\[i\](u)"
    assert for_html("<a href='x'>&</a>\x00") == "&lt;a href=&#x27;x&#x27;&gt;&amp;&lt;/a&gt;"
    assert for_plot_label("Fund $5 to $10") == r"Fund \$5 to \$10"
    assert one_line(" a \r\n\t b \x07") == "a b"
    for text in ("Fund $5 to $10", "Agency $\\foo$", "a\\$b", "$"):
        escaped = for_plot_label(text)
        assert not cbook.is_math_text(escaped), text
        # matplotlib shows a text without math with each "\$" as "$": the original.
        assert escaped.replace(r"\$", "$") == text


# --- the renderers --------------------------------------------------------------------------------

#: What the HTML report is made of: nothing else may appear, however the text reads.
TAGS = {
    "html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "p", "ul", "li", "div",
    "span", "nav", "a", "section", "table", "caption", "thead", "tbody", "tr", "th", "td",
    "figure", "img", "figcaption", "strong",
}  # fmt: skip


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.texts = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.texts.append(data)


def test_html_holds_no_markup_from_the_reports(result, tmp_path):
    plt.close("all")
    text = result.to_html(tmp_path / "report.html").read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(text)
    assert set(parser.tags) <= TAGS, set(parser.tags) - TAGS
    assert not [a for a, _ in parser.attrs if a.lower().startswith("on")]
    hrefs = [v for a, v in parser.attrs if a == "href"]
    assert [v for v in hrefs if not v.startswith("#")] and all(
        v.startswith("#") or safe_url(v) == v for v in hrefs
    ), hrefs
    assert all(v.startswith("data:image/png;base64,") for a, v in parser.attrs if a == "src")
    shown = "".join(parser.texts)
    for name in [*SOURCES.values(), *PARTIES, "wounded | `x`"]:
        assert one_line(name) in shown or name in shown, name  # shown as the characters it is
    assert "javascript:alert(6)" in shown and "<script>alert(5)</script>" in shown  # as text


def _tables(lines):
    """Groups of consecutive lines that are rows of a Markdown table."""
    out, rows = [], []
    for line in [*lines, ""]:
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            out.append(rows)
            rows = []
    return out


def test_markdown_holds_no_markup_from_the_reports(result, tmp_path):
    plt.close("all")
    text = result.to_markdown(tmp_path / "md").read_text(encoding="utf-8")
    lines = text.splitlines()
    unescaped = re.compile(r"(?<!\\)[<$`]")
    assert not [ln for ln in lines if unescaped.search(ln)], [ln for ln in lines if unescaped.search(ln)]
    for rows in _tables(lines):  # every row has the header's cells: no "|" of a report splits one
        cells = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
        assert len(cells) == 1, rows
    targets = re.findall(r"(?<!\\)\]\(([^)]*)\)", text)
    links = [t for t in targets if not t.endswith(".png")]
    assert links and all(safe_url(t) == t for t in links), links
    assert "https://example.org/ok_%281%29%7Cx%5By%5D%60z%60" in links
    assert r"javascript:alert\(6\)" not in text and "javascript:alert(6)" in text  # text, not a link
    assert for_markdown("Agency $\\foo$") in text and for_markdown(PARTIES[0]) in text


def test_every_plot_draws_names_as_text(result):
    tables = {
        "influence": pd.DataFrame(
            {
                "source": list(SOURCES.values())[:2],
                "party": PARTIES[1],
                "category": CATEGORIES[1],
                "median": 100.0,
                "lower": 50.0,
                "upper": 200.0,
                "median_without": [90.0, 110.0],
                "lower_without": [40.0, 60.0],
                "upper_without": [180.0, 220.0],
            }
        )
    }
    figures = [result.plot(kind) for kind in plots.KINDS] + [plot_influence(tables["influence"])]
    # A user's usetex=True does not reach the plots (no LaTeX run, which would fail on these names).
    with plt.rc_context({"text.usetex": True}):
        figures.append(result.plot("sources"))
    drawn = []
    for fig in figures:
        fig.savefig(io.BytesIO(), format="png")  # draws every text: mathtext would raise
        for t in fig.findobj(matplotlib.text.Text):
            assert not t.get_usetex()
            if "\\mathdefault" not in t.get_text():  # a log axis's own tick labels are math
                assert not cbook.is_math_text(t.get_text()), t.get_text()
            drawn.append(t.get_text().replace(r"\$", "$"))
        plt.close(fig)
    for name in [*SOURCES.values(), *PARTIES]:
        assert any(one_line(name) in d for d in drawn), name


def test_json_keeps_every_string_and_stays_valid(result):
    table = records(result.reports())
    text = json.dumps(table, allow_nan=False)
    assert "\n" not in text and "<script>" in text  # JSON escapes what it must; the text is data
    back = json.loads(text)
    assert {r["source"] for r in back} == set(SOURCES.values())
    assert {r["url"] for r in back} <= set(URLS) and {r["quote"] for r in back} <= set(QUOTES)


def test_the_command_line_writes_every_output_of_hostile_reports(result, tmp_path, capsys):
    """It died with a mathtext error in the HTML's plots, before --save wrote the fit."""
    from estimator.cli import main

    rows = [
        {
            "source": r.source,
            "party": r.party,
            "category": r.category,
            "date": r.date,
            "kind": r.kind,
            "value": r.value,
            "low": r.low,
            "high": r.high,
            "quote": r.quote,
            "url": r.url,
        }
        for r in result.reports_given
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "reports.csv", index=False)
    sources = [{"name": s.name, "affiliation": s.affiliation or ""} for s in result.sources_given]
    pd.DataFrame(sources).to_csv(tmp_path / "sources.csv", index=False)
    out = {
        "html": tmp_path / "r.html",
        "markdown": tmp_path / "md",
        "json": tmp_path / "r.json",
        "save": tmp_path / "r.zip",
    }
    args = ["fit", tmp_path / "reports.csv", "--sources", tmp_path / "sources.csv", "--seed", "1"]
    args += ["--draws", "100", "--tune", "100", "--chains", "2"]
    args += [x for k, v in out.items() for x in (f"--{k}", v)]
    plt.close("all")
    assert main([str(a) for a in args]) == 0, capsys.readouterr().err
    assert all(p.exists() for p in out.values())
    assert {r["source"] for r in json.loads(out["json"].read_text())["reports"]} == set(SOURCES.values())
    assert est.load(out["save"]).summary().shape == result.summary().shape
