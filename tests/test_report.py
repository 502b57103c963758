"""HTML and Markdown reports of a real small fit: self-contained, escaped, readable in a browser."""

import dataclasses
import html
import os
import re
import shutil
import subprocess
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import estimator as est  # noqa: E402
from estimator.report.content import describe_figure, fmt_count, fmt_ratio, headline_sentence  # noqa: E402

URL = "https://example.org/nato?a=1&b=2"
NASTY = 'NATO says "<script>alert(1)</script>" & more'


@pytest.fixture(scope="module")
def result(nato_example):
    ex = nato_example
    reports = list(ex.REPORTS)
    # Provenance with characters HTML must escape, a web link and a link that must not become one.
    reports[0] = dataclasses.replace(reports[0], quote=NASTY, url=URL)
    reports[1] = dataclasses.replace(reports[1], url="javascript:alert(1)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", est.FitWarning)  # 2 short chains: the report lists the problems
        return est.estimate(
            reports,
            sources=ex.SOURCES,
            links=est.CASUALTY_LINKS,
            start=ex.START,
            random_seed=1,
            draws=200,
            tune=200,
            chains=2,
            progressbar=False,
        )


@pytest.fixture(scope="module")
def html_report(result, tmp_path_factory):
    plt.close("all")  # figures other test modules left open are not the report's
    path = result.to_html(tmp_path_factory.mktemp("html") / "report.html")
    assert not plt.get_fignums(), "figures left open"
    return path, path.read_text(encoding="utf-8")


def test_numbers_for_people():
    assert fmt_count(7597.4) == "7,600"
    assert fmt_count(12_930) == "12,900"
    assert fmt_count(1_234_567) == "1,230,000"
    assert fmt_count(3.0657) == "3.1"
    assert fmt_count(float("nan")) == "–"
    assert fmt_ratio(0.3271) == "0.33"
    assert describe_figure("range", None, 7000.0, 15000.0) == "7,000 to 15,000"
    assert describe_figure("at_least", 121.0, None, None) == "at least 121"
    assert describe_figure("nearly", 500.0, None, None) == "almost 500"
    s = headline_sentence("Russia", "killed", 7_812, 4_644, 12_934, 0.9, "2022-03-23")
    assert s == "Russia killed: about 7,810 (90% interval 4,640 to 12,900) as of 2022-03-23"


def test_html_is_self_contained(html_report):
    path, text = html_report
    assert path.exists() and path.suffix == ".html"
    assert text.count("data:image/png;base64,") >= 4
    links = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', text)
    external = [u for u in links if not u.startswith(("data:", "#"))]
    assert external == [html.escape(URL)], external  # only the report's own link
    assert "<script" not in text.lower() and "@import" not in text and "url(" not in text


def test_html_has_headline_tables_and_escaped_reports(result, html_report):
    _, text = html_report
    s = result.summary().set_index(["party", "category"]).loc[("Russia", "killed")]
    sentence = headline_sentence("Russia", "killed", s["median"], s["lower"], s["upper"], 0.9, "2022-03-23")
    assert html.escape(sentence) in text
    head = text[: text.index('<section id="estimates">')]
    assert "about " + fmt_count(s["median"]) in head  # the headline comes before everything else
    assert html.escape(NASTY) in text and NASTY not in text
    assert 'href="javascript' not in text and "javascript:alert(1)" in text  # shown, not linked
    for quote in ("while Moscow has only acknowledged one dead", "including at least 121 children"):
        assert quote in text
    for part in ("Sources", "Reports", "Diagnostics", "Method", "model expects", "expects / said", "PIT"):
        assert part in text
    for problem in result.problems:
        assert html.escape(problem) in text
    assert "wounded" in text and "1.5 to 6" in text  # the link prior
    assert "own" in text and "adversary" in text  # the stance priors


def test_markdown_report(result, tmp_path):
    plt.close("all")
    md = result.to_markdown(tmp_path / "out")
    assert md.name == "report.md"
    text = md.read_text(encoding="utf-8")
    for png in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        assert (md.parent / png).stat().st_size > 1000
    assert (md.parent / "posterior.png").exists() and (md.parent / "trajectory.png").exists()
    assert "**Russia killed**: about" in text
    assert f"]({URL})" in text
    assert "\\<script\\>" in text and "<script>" not in text
    assert not plt.get_fignums()


def test_html_renders_in_chromium(html_report, tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; CI must install it (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    path, _ = html_report
    png = tmp_path / "shot.png"
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={png}",
        "--window-size=1280,2000",
        path.resolve().as_uri(),
    ]
    subprocess.run(cmd, check=True, timeout=120, capture_output=True)
    image = matplotlib.image.imread(png)
    assert image.shape[0] >= 1000 and image.shape[1] >= 1000
    gray = image[..., :3].mean(axis=2)
    assert gray.std() > 0.05, "blank screenshot"
    top = gray[:700]  # the first screen holds the headline: dark text on a light page
    assert (top < 0.4).mean() > 0.005 and np.median(top) > 0.8
