"""save() and load(): a fit comes back with the same tables, settings and dates."""

import datetime as dt
import hashlib
import json
import warnings
import zipfile

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import estimator as est
from estimator import compat, integrity
from estimator.constants import MODEL_REVISION
from estimator.integrity import POSTERIOR_PART, content_hashes
from estimator.persist import FORMAT_VERSION, IDATA_MEMBER, META_MEMBER, VersionWarning, load, records, save


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


# --- a file is the fit of what it holds, or it is refused ----------------------------------------


def _edit(src, dst, change=None, *, rehash=True, nc=None, meta_bytes=None):
    """Copy a saved fit with its JSON changed by ``change(meta)`` (and, with ``rehash``, its
    hashes made to match again, as a careful editor would), its netCDF replaced by ``nc`` or its
    JSON by raw ``meta_bytes``; the archive is well-formed (valid CRCs) whatever it holds."""
    with zipfile.ZipFile(src) as z:
        meta = json.loads(z.read(META_MEMBER))
        old_nc = z.read(IDATA_MEMBER)
    if change is not None:
        change(meta)
    nc = old_nc if nc is None else nc
    if rehash:
        meta["hashes"] = {**content_hashes(meta), POSTERIOR_PART: hashlib.sha256(nc).hexdigest()}
    with zipfile.ZipFile(dst, "w") as z:
        z.writestr(META_MEMBER, json.dumps(meta).encode() if meta_bytes is None else meta_bytes)
        z.writestr(IDATA_MEMBER, nc)
    return dst


def _refused(path, match, **kw):
    with pytest.raises(est.ModelError, match=match) as e:
        load(path, **kw)
    message = str(e.value)
    assert "\n" not in message and message.startswith("cannot load"), message
    return message


def _rename_nato(meta):
    for s in meta["sources"]:
        s["name"] = "Zulu agency" if s["name"] == "NATO" else s["name"]
    for r in meta["reports"]:
        r["source"] = "Zulu agency" if r["source"] == "NATO" else r["source"]


def test_a_renamed_source_is_refused_not_given_another_sources_draws(saved, tmp_path):
    # NATO sorted first of the sources, "Zulu agency" last: every source's draws would move.
    edited = _edit(saved, tmp_path / "renamed.zip", _rename_nato, rehash=False)
    _refused(edited, r"its reports, sources changed after the fit.*refit")
    # Even with hashes that match the edit, the posterior's coordinates are not the model's.
    rehashed = _edit(saved, tmp_path / "renamed-rehashed.zip", _rename_nato)
    _refused(rehashed, r"posterior's \w+ coordinates .*NATO.* are not those .*Zulu agency.*refit")


def test_a_changed_figure_dropped_affiliation_or_setting_is_refused(saved, tmp_path):
    def figure(meta):
        meta["reports"][0]["figure"] = "about 99,000"

    def affiliation(meta):
        next(s for s in meta["sources"] if s["affiliation"])["affiliation"] = None

    def setting(meta):
        meta["settings"]["robust"] = True

    for change, what in ((figure, "reports"), (affiliation, "sources"), (setting, "settings")):
        edited = _edit(saved, tmp_path / f"{what}.zip", change, rehash=False)
        _refused(edited, rf"its {what} changed after the fit")


def test_a_changed_posterior_is_refused(saved, tmp_path):
    with zipfile.ZipFile(saved) as z:
        nc = bytearray(z.read(IDATA_MEMBER))
    nc[len(nc) // 2 : len(nc) // 2 + 64] = bytes(64)  # HDF5 would read these as draws
    with zipfile.ZipFile(saved) as z:
        meta_bytes = z.read(META_MEMBER)
    edited = _edit(saved, tmp_path / "draws.zip", rehash=False, nc=bytes(nc), meta_bytes=meta_bytes)
    _refused(edited, r"its posterior changed after the fit")


def test_another_model_revision_is_refused_unless_allowed(result, saved, tmp_path):
    def older(meta):
        meta["model_revision"] = MODEL_REVISION - 1

    old = _edit(saved, tmp_path / "old.zip", older, rehash=False)
    _refused(old, rf"revision {MODEL_REVISION - 1} of the model.*revision {MODEL_REVISION}.*Refit")
    with pytest.warns(VersionWarning, match="model revision"):
        back = load(old, allow_other_revision=True)
    pdt.assert_frame_equal(back.summary(), result.summary())

    def format_1(meta):  # a file from before revisions and hashes
        meta["format"] = 1
        del meta["model_revision"], meta["hashes"]

    first = _edit(saved, tmp_path / "format1.zip", format_1, rehash=False)
    _refused(first, "a revision from before revisions were saved")
    with pytest.warns(VersionWarning, match="model revision unknown"):
        load(first, allow_other_revision=True)


def _nc_header_garbled(nc):
    return nc[:8] + bytes(range(256))[:200] + nc[208:]  # the HDF5 superblock after its signature


def _extra_source(meta):
    """A source more, with a report of another's: the model has a source the draws lack."""
    meta["sources"].append({**meta["sources"][0], "name": "Extra"})
    meta["reports"][0]["source"] = "Extra"


DAMAGES = {
    "netCDF garbled": dict(nc=_nc_header_garbled),
    "netCDF truncated": dict(nc=lambda nc: nc[: len(nc) // 3]),
    "JSON truncated": dict(meta_bytes=lambda text: text[: len(text) // 2]),
    "JSON not UTF-8": dict(meta_bytes=lambda text: text.replace(b'"settings"', b'"s\xe9ttings"', 1)),
    "a key missing": dict(change=lambda meta: meta.pop("settings")),
    "an unknown report field": dict(change=lambda meta: meta["reports"][0].update(colour="red")),
    "no reports": dict(change=lambda meta: meta.update(reports=[])),
    "an extra source": dict(change=lambda meta: _extra_source(meta)),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_every_damaged_file_gives_a_model_error_in_one_line(saved, tmp_path, damage):
    how = DAMAGES[damage]
    with zipfile.ZipFile(saved) as z:
        text, nc = z.read(META_MEMBER), z.read(IDATA_MEMBER)
    kwargs = {}
    if "nc" in how:
        kwargs["nc"] = how["nc"](nc)
    if "meta_bytes" in how:
        kwargs["meta_bytes"] = how["meta_bytes"](text)
    # Hashes made to match (where the JSON still parses): the damage itself must be caught.
    edited = _edit(
        saved, tmp_path / "damaged.zip", how.get("change"), rehash="meta_bytes" not in how, **kwargs
    )
    _refused(edited, "cannot load")


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(saved, tmp_path, monkeypatch):
    with zipfile.ZipFile(saved) as z:
        text = z.read(META_MEMBER)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(META_MEMBER, text)
        with z.open(IDATA_MEMBER, "w", force_zip64=True) as f:
            block = bytes(2**20)
            for _ in range(256):  # 256 MB of zeros, about 250 kB packed
                f.write(block)
    assert bomb.stat().st_size < 2**20
    unpacked = []
    monkeypatch.setattr(zipfile.ZipFile, "extract", lambda self, *a, **k: unpacked.append(a))
    _refused(bomb, r"idata.nc would unpack to 268,435,456 bytes from .* it was not unpacked")
    assert not unpacked
    # A member larger than a saved fit may hold is refused by its declared size alone.
    monkeypatch.setattr(integrity, "MAX_MEMBER_BYTES", {**integrity.MAX_MEMBER_BYTES, META_MEMBER: 100})
    _refused(saved, r"result.json would unpack to")
