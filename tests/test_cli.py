"""The ``estimator`` command, run as a subprocess on small files written here."""

import json
import subprocess
import sys

import pytest

import estimator as est
from estimator.cli import main, read_sources

REPORTS = """source,party,category,date,figure,quote,url
NATO,Russia,killed,2022-03-23,"7,000 to 15,000","NATO estimates 7,000 to 15,000",https://example.org/nato
Russian MoD,Russia,killed,2022-03-02,almost 500,almost 500 killed,
Ukrainian government,Russia,killed,2022-03-20,"about 14,000",,
"""
SOURCES = """name,affiliation,bias_low,bias_high,reference
Russian MoD,Russia,,,
Ukrainian government,Ukraine,,,false
NATO,,,,
"""
BAD = """source,party,category,date,figure
NATO,Russia,killed,2022-03-23,"7,000 to 15,000"
Russian MoD,Russia,killed,2022-03-02,almost many
"""


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "estimator.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    (d / "reports.csv").write_text(REPORTS)
    (d / "sources.csv").write_text(SOURCES)
    proc = run(
        "fit",
        d / "reports.csv",
        "--sources",
        d / "sources.csv",
        "--start",
        "2022-02-24",
        "--json",
        d / "out.json",
        "--html",
        d / "out.html",
        "--seed",
        "1",
        "--draws",
        "200",
        "--tune",
        "200",
        "--chains",
        "2",
        "--robust",
    )
    return d, proc


def test_fit_exits_0_and_prints_a_summary(fitted):
    _, proc = fitted
    assert proc.returncode == 0, proc.stderr
    assert "Estimated true losses as of 2022-03-23" in proc.stdout
    assert "Russia" in proc.stdout and "killed" in proc.stdout and "90% interval" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_fit_writes_json_and_html(fitted):
    d, _ = fitted
    out = json.loads((d / "out.json").read_text())  # strict JSON: NaN would fail below
    json.dumps(out, allow_nan=False)
    assert out["estimator_version"] == est.__version__
    assert out["settings"]["start"] == "2022-02-24" and out["settings"]["as_of"] == "2022-03-23"
    (q,) = out["quantities"]
    assert (q["party"], q["category"]) == ("Russia", "killed")
    assert q["lower"] <= q["median"] <= q["upper"]
    assert [r["date"] for r in out["reports"]] == ["2022-03-23", "2022-03-02", "2022-03-20"]
    assert [r["kind"] for r in out["reports"]] == ["range", "nearly", "approx"]
    assert out["reports"][0]["value"] is None and out["reports"][0]["low"] == 7000
    assert out["reports"][0]["url"] == "https://example.org/nato"
    assert {s["source"]: s["stance"] for s in out["sources"]} == {
        "NATO": "neutral",
        "Russian MoD": "own",
        "Ukrainian government": "adversary",
    }
    assert out["diagnostics"]["chains"] == 2 and out["diagnostics"]["draws"] == 200
    # --robust: the outlier mixture, with its per-source and per-report numbers.
    assert out["settings"]["robust"] is True
    assert all(0 < s["outlier_prob_median"] < 1 for s in out["sources"])
    assert all(0 <= r["p_fabricated"] <= 1 for r in out["reports"])
    assert "data:image/png;base64" in (d / "out.html").read_text()


def test_bad_csv_names_the_row_and_exits_2(tmp_path):
    (tmp_path / "bad.csv").write_text(BAD)
    proc = run("fit", tmp_path / "bad.csv")
    assert proc.returncode == 2
    assert "line 3 (Russian MoD)" in proc.stderr and "almost many" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_input_in_process(tmp_path, capsys):
    assert main(["fit", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "r.csv").write_text(REPORTS)
    (tmp_path / "s.csv").write_text("name,afiliation\nNATO,\n")
    assert main(["fit", str(tmp_path / "r.csv"), "--sources", str(tmp_path / "s.csv")]) == 2
    assert "did you mean 'affiliation'" in capsys.readouterr().err
    assert main(["fit", str(tmp_path / "r.csv"), "--json", str(tmp_path / "no" / "out.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["fit", str(tmp_path / "r.csv"), "--start", "24 Feb"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert main(["nonsense"]) == 2


def test_read_sources(tmp_path):
    (tmp_path / "s.csv").write_text(SOURCES.replace("Russian MoD,Russia,,,", "Russian MoD,Russia,0.2,0.9,"))
    mod, ukr, nato = read_sources(tmp_path / "s.csv")
    assert mod == est.Source("Russian MoD", affiliation="Russia", bias=(0.2, 0.9))
    assert ukr.affiliation == "Ukraine" and nato.affiliation is None
    (tmp_path / "bad.csv").write_text("name,bias_low,bias_high,reference\nA,0.9,0.2,\nB,x,1,maybe\n")
    with pytest.raises(est.ReportError) as e:
        read_sources(tmp_path / "bad.csv")
    msg = str(e.value)
    assert "line 2" in msg and "line 3" in msg and "reference='maybe'" in msg


def test_parse_prints_the_figure():
    proc = run("parse", "as many as 40,000")
    assert proc.returncode == 0
    assert proc.stdout.split() == ["kind", "upper_estimate", "value", "40,000"]
    proc = run("parse", "roughly 7,000 to 15,000")
    assert proc.stdout.split() == ["kind", "range", "low", "7,000", "high", "15,000"]
    proc = run("parse", "lots")
    assert proc.returncode == 2 and "no number" in proc.stderr and "Traceback" not in proc.stderr


SUMS = """source,party,category,date,figure
NATO,Russia,killed+wounded+captured+missing,2022-03-23,"as many as 40,000"
NATO,Russia,killed,2022-03-23,"7,000 to 15,000"
UK,Russia,losses,2022-03-23,"about 20,000"
"""


class Stop(Exception):
    """Raised by the stand-in for estimate(): the test has what it was called with."""


@pytest.fixture
def called(monkeypatch):
    """estimate() replaced by a stand-in that records its arguments and stops: no sampling."""
    import estimator.fit

    seen = {}

    def fake(reports, **kw):
        seen.update(kw, reports=reports)
        raise Stop

    monkeypatch.setattr(estimator.fit, "estimate", fake)
    return seen


def test_fit_takes_sums_of_leaves_links_and_aggregates(tmp_path, called):
    (tmp_path / "r.csv").write_text(SUMS)
    argv = ["fit", str(tmp_path / "r.csv"), "--links", "casualty", "--aggregate", "losses=killed+wounded"]
    with pytest.raises(Stop):
        main([*argv, "--cores", "1"])
    assert [r.category for r in called["reports"]] == ["killed+wounded+captured+missing", "killed", "losses"]
    assert called["links"] == est.CASUALTY_LINKS
    assert called["aggregates"] == {"losses": ("killed", "wounded")}
    assert called["cores"] == 1


def test_bad_aggregate_and_links_options_exit_2(tmp_path, capsys):
    (tmp_path / "r.csv").write_text(SUMS)
    assert main(["fit", str(tmp_path / "r.csv"), "--aggregate", "losses:killed"]) == 2
    err = capsys.readouterr().err
    assert "--aggregate 'losses:killed': write NAME=leaf+leaf" in err and "Traceback" not in err
    assert main(["fit", str(tmp_path / "r.csv"), "--links", "casualties"]) == 2
    assert "invalid choice: 'casualties'" in capsys.readouterr().err


def test_bad_sampler_settings_exit_2_naming_each(tmp_path, capsys):
    (tmp_path / "r.csv").write_text(REPORTS)
    code = main(
        ["fit", str(tmp_path / "r.csv"), "--draws", "0", "--chains", "0", "--tune", "-1", "--cores", "0"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "4 sampler settings cannot be used" in err
    for part in ("draws=0", "chains=0", "tune=-1", "cores=0"):
        assert part in err


def test_warnings_about_the_reports_are_printed_before_the_fit(tmp_path, capsys, called):
    (tmp_path / "r.csv").write_text(REPORTS + REPORTS.splitlines()[2] + "\n")
    with pytest.raises(Stop):
        main(["fit", str(tmp_path / "r.csv")])
    err = capsys.readouterr().err
    assert "estimator: warning: The same report more than once" in err and "line 3 and line 5" in err
