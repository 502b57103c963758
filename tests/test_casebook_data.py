"""Checks on the casebook data (validation/casebook): consistent, cited, well-formed."""

import pathlib

import pandas as pd
import pytest

from estimator.constants import KINDS
from estimator.constants import STANCES as MODEL_STANCES

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "validation" / "casebook"

CASE_KINDS = {
    "battle",
    "campaign",
    "aircraft",
    "equipment",
    "massacre",
    "bombing",
    "disaster",
    "heatwave",
    "epidemic",
}
FIGURE_KINDS = set(KINDS)  # the kinds of figure the model reads
STANCES = {*MODEL_STANCES, "ally"}  # "ally": published as such, not a model stance yet
CERTAINTY = {"high", "medium", "low"}


@pytest.fixture(scope="module")
def cases():
    return pd.read_csv(BOOK / "cases.csv", encoding="utf-8")


@pytest.fixture(scope="module")
def figures():
    return pd.read_csv(BOOK / "figures.csv", encoding="utf-8")


def test_figures_belong_to_cases(cases, figures):
    assert cases["case_id"].is_unique
    missing = set(figures["case_id"]) - set(cases["case_id"])
    assert not missing, missing


def test_every_row_is_cited(cases, figures):
    for frame, column in ((cases, "truth_citation"), (figures, "citation")):
        assert frame[column].notna().all()
        assert (frame[column].str.strip() != "").all()


def test_vocabularies(cases, figures):
    assert set(cases["kind"]) <= CASE_KINDS
    assert set(figures["kind"]) <= FIGURE_KINDS
    assert set(figures["stance"]) <= STANCES
    assert set(cases["certainty"]) <= CERTAINTY
    assert set(figures["certainty"]) <= CERTAINTY


def test_numbers(cases, figures):
    ranges = figures[figures["kind"] == "range"]
    assert (ranges["low"] > 0).all()
    assert (ranges["low"] < ranges["high"]).all()
    others = figures[figures["kind"] != "range"]
    assert others["value"].notna().all()
    assert (others["value"] > 0).all()
    assert (cases["truth"] > 0).all()
    bounded = cases.dropna(subset=["truth_low", "truth_high"])
    assert (bounded["truth_low"] <= bounded["truth"]).all()
    assert (bounded["truth"] <= bounded["truth_high"]).all()


def test_dates_parse(cases, figures):
    for frame, columns in ((cases, ["start", "end"]), (figures, ["date", "published"])):
        for column in columns:
            pd.to_datetime(frame[column], format="%Y-%m-%d")
    since = figures["since"].dropna()
    pd.to_datetime(since, format="%Y-%m-%d")


def test_size_and_variety(cases, figures):
    assert len(cases) >= 20
    assert cases["kind"].nunique() >= 6
    counts = figures.groupby("case_id").size()
    assert (counts >= 3).all(), counts[counts < 3]
