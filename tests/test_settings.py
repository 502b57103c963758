"""Sampler settings: every bad one named before anything is built; small samples never clean."""

from types import SimpleNamespace

import pytest

import estimator as est
from estimator.result import Result
from estimator.settings import check_sampler_settings, thin_sample

REPORTS = [est.Report(source="NATO", party="Russia", category="killed", kind="exact", value=100)]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"draws": 0}, ["draws=0"]),
        ({"draws": -5, "chains": 0}, ["draws=-5", "chains=0"]),
        ({"tune": -1, "cores": 0}, ["tune=-1", "cores=0"]),
        ({"draws": 10.5, "chains": True}, ["draws=10.5", "chains=True"]),
        ({"target_accept": 1.0}, ["target_accept=1.0"]),
    ],
)
def test_estimate_refuses_bad_settings_naming_each(options, named):
    with pytest.raises(est.ModelError) as info:
        est.estimate(REPORTS, **options)
    message = str(info.value)
    assert f"{len(named)} sampler setting" in message
    for name in named:
        assert name in message
    assert "give" in message  # and what to do


def test_good_settings_pass():
    check_sampler_settings(draws=1, tune=0, chains=1, cores=None, target_accept=0.8)
    check_sampler_settings(draws=1000, tune=None, chains=4, cores=2)


def test_one_chain_or_a_few_draws_is_never_a_clean_fit():
    assert thin_sample(4, 1000) == []
    one_chain, few_draws = thin_sample(1, 1)
    assert "one chain: R-hat" in one_chain and "chains=4" in one_chain
    assert "1 draw per chain" in few_draws and "draws=1000" in few_draws
    # Result.check puts them among the fit's problems even when the diagnostics are NaN
    nan = float("nan")
    diagnostics = {
        "divergences": 0,
        "max_r_hat": nan,
        "min_ess_bulk": nan,
        "min_ess_tail": nan,
        "min_bfmi": nan,
        "chains": 1,
        "draws": 1,
    }
    fake = SimpleNamespace(diagnostics=diagnostics, _note_prior_dominated=lambda: None)
    with pytest.warns(est.FitWarning, match="one chain: R-hat"):
        problems = Result.check(fake)  # type: ignore[arg-type]
    assert problems == [one_chain, few_draws] and fake.problems == problems
