"""save() and load(): a fit comes back with the same tables, settings and dates."""

import datetime as dt
import json
import warnings
import zipfile

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import estimator as est
from estimator import compat
from estimator.persist import FORMAT_VERSION, META_MEMBER, VersionWarning, load, records, save


@pytest.fixture(scope="module")
def result(nato_example):
    ex = nato_example
    sources = [*ex.SOURCES[:3], est.Source("US defense official", bias=(0.8, 1.5), noise=0.1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", est.FitWarning)  # 2 short chains: diagnostics are not the point
        return est.estimate(
            ex.REPORTS,
            sources=sources,
            links=est.CASUALTY_LINKS,
            start=ex.START,
            random_seed=1,
            draws=200,
            tune=200,
            chains=2,
            progressbar=False,
            aggregates={"dead": ["killed", "generals_killed"]},
            stance_bias={"own": (0.2, 0.9)},
        )


@pytest.fixture(scope="module")
def saved(result, tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "nato.zip"
    assert result.save(path) == path
    return path


def test_round_trip_tables_equal(result, saved):
    back = load(saved)
    assert isinstance(back, est.Result)
    pdt.assert_frame_equal(back.summary(), result.summary())
    pdt.assert_frame_equal(back.summary(prob=0.5), result.summary(prob=0.5))
    pdt.assert_frame_equal(back.sources(), result.sources())
    pdt.assert_frame_equal(back.reports(), result.reports())
    pdt.assert_frame_equal(back.trajectory(freq="W"), result.trajectory(freq="W"))
    assert back.diagnostics == result.diagnostics


def test_round_trip_inputs_settings_and_dates(result, saved):
    back = load(saved)
    assert back.settings == result.settings
    assert isinstance(back.settings["start"], dt.date) and back.settings["as_of"] == dt.date(2022, 3, 23)
    assert back.settings["aggregates"]["dead"] == ("killed", "generals_killed")
    assert back.reports_given == result.reports_given
    assert back.sources_given == result.sources_given
    assert back.spec.links == result.spec.links
    assert back.spec.stance_prior == result.spec.stance_prior
    assert back.notes == result.notes and back.problems == result.problems
    assert compat.groups(back.idata) == compat.groups(result.idata)


def test_file_layout(saved):
    with zipfile.ZipFile(saved) as z:
        assert set(z.namelist()) == {"idata.nc", META_MEMBER}
        meta = json.loads(z.read(META_MEMBER))
    assert meta["format"] == FORMAT_VERSION and meta["estimator_version"] == est.__version__
    assert meta["settings"]["start"] == {"$date": "2022-02-24"}


def _rewrite(src, dst, **changes):
    with zipfile.ZipFile(src) as z:
        meta = json.loads(z.read(META_MEMBER))
        nc = z.read("idata.nc")
    meta.update(changes)
    with zipfile.ZipFile(dst, "w") as z:
        z.writestr(META_MEMBER, json.dumps(meta))
        z.writestr("idata.nc", nc)
    return dst


def test_other_version_warns_newer_format_fails(result, saved, tmp_path):
    old = _rewrite(saved, tmp_path / "old.zip", estimator_version="0.0.1")
    with pytest.warns(VersionWarning, match="written by estimator 0.0.1"):
        back = load(old)
    pdt.assert_frame_equal(back.summary(), result.summary())
    newer = _rewrite(saved, tmp_path / "new.zip", format=FORMAT_VERSION + 1)
    with pytest.raises(est.ModelError, match="upgrade estimator"):
        load(newer)


def test_bad_files(tmp_path):
    with pytest.raises(est.ModelError, match="no such file"):
        load(tmp_path / "missing.zip")
    junk = tmp_path / "junk.zip"
    junk.write_text("not a zip")
    with pytest.raises(est.ModelError, match="not a file written by estimator"):
        load(junk)
    with pytest.raises(est.ModelError, match="does not exist"):
        save(object(), tmp_path / "no" / "such" / "dir.zip")


def test_records_are_plain_json():
    frame = pd.DataFrame(
        {"a": [1.5, np.nan], "d": [dt.date(2022, 3, 2), None], "t": pd.to_datetime(["2022-03-02", None])}
    )
    out = records(frame)
    assert out == [{"a": 1.5, "d": "2022-03-02", "t": "2022-03-02"}, {"a": None, "d": None, "t": None}]
    json.dumps(out, allow_nan=False)


def test_robust_fit_round_trips_as_robust(tmp_path):
    sim = est.simulate(n_reports=12, temporal=False, random_seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", est.FitWarning)
        res = est.estimate(
            sim.reports, sources=sim.sources, robust=True, draws=100, tune=100, chains=2, random_seed=2
        )
    back = load(save(res, tmp_path / "robust.zip"))
    assert back.settings["robust"] and back.built.robust
    pdt.assert_frame_equal(back.summary(), res.summary())
    np.testing.assert_allclose(back.reports()["elpd_loo"], res.reports()["elpd_loo"])
    # A robust fit saved before robust=True was the outlier mixture has no outlier_prob: the
    # error says what is missing and what to do.
    compat.add_group(res.idata, "posterior", res.posterior.drop_vars("outlier_prob"))
    with pytest.raises(est.ModelError, match=r"lacks outlier_prob.*refit the saved reports"):
        load(save(res, tmp_path / "old-robust.zip"))
