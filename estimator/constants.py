"""Every default of the package, in one place, each with the reason for its value."""

from __future__ import annotations

import math

#: Kinds of figure the model understands (see docs/model.md).
KINDS: tuple[str, ...] = (
    "exact",
    "approx",
    "nearly",
    "over",
    "range",
    "at_least",
    "at_most",
    "upper_estimate",
    "documented",
)
#: Kinds that carry one number in ``value``; ``range`` carries ``low`` and ``high``.
POINT_KINDS = tuple(k for k in KINDS if k != "range")

#: Default probability of every interval we print: 90% is what analysts quote and what the
#: calibration benchmark checks.
INTERVAL_PROB = 0.9

#: A source's own range ("7,000 to 15,000") is read as its central 90% interval.
RANGE_PROB = 0.9

#: "almost 500" means the source's figure lies in [500 (1 - d), 500]; "just over" the mirror.
#: 10% is the widest gap people still call "almost".
NEARLY_GAP = 0.10

#: "as many as 40,000" is the top of the source's own 90% interval; we assume that interval's
#: half-width on the log scale is this many standard deviations of width ``UPPER_WIDTH``:
#: the top sits a factor exp(1.645 * 0.25) ~ 1.5 above the source's central value, the ratio of
#: the top of "7,000 to 15,000" to its geometric middle.
UPPER_WIDTH = 0.25

#: Figures below this are counts ("six generals", "one acknowledged", "zero") and go through a
#: negative-binomial likelihood on the count scale, where 0 and 1 are legal.
SMALL_COUNT = 30

#: Prior median of a source's noise (sd of log figure around its biased value): 0.2 is a
#: 20% scatter of a source's figures around what it believes.
NOISE_MEDIAN = 0.2
NOISE_SD = 0.5  # sd of log(noise): pooled LogNormal, never a free half-normal per source
#: Floor added (in quadrature) to every source's noise: nobody knows losses to better than
#: about 5%, and without a floor a source with two reports pulls its noise towards zero,
#: a funnel the sampler diverges in.
NOISE_FLOOR = 0.05

#: Default bias priors by stance, on the log of the factor reported/true.
#: ``mu`` is the prior centre of the stance mean, ``mu_sd`` its uncertainty, ``spread`` the
#: sd of sources around their stance mean.
#: - neutral: centred on 1 (no bias); the stance mean is fixed at 0 so that truth is anchored.
#: - own: parties undercount their own losses (acknowledging losses hurts morale); median factor
#:   0.5, 90% of sources between about 0.1 and 2.
#: - adversary: parties overcount the enemy's losses (it boosts morale); median factor 1.5.
STANCE_BIAS: dict[str, dict[str, float]] = {
    "neutral": {"mu": 0.0, "mu_sd": 0.0, "spread": 0.3},
    "own": {"mu": math.log(0.5), "mu_sd": 0.5, "spread": 0.6},
    "adversary": {"mu": math.log(1.5), "mu_sd": 0.4, "spread": 0.4},
}
STANCES = tuple(STANCE_BIAS)

#: Coverage of documented counts (named, confirmed dead) as a share of the truth: Beta(2, 2),
#: centred on one half with most mass between 0.1 and 0.9. A documented count never exceeds
#: the truth by construction.
COVERAGE_PRIOR = (2.0, 2.0)
#: Scatter of the log documented count around log(coverage x N). Lists are counted, not
#: guessed, but their coverage drifts as they grow; 0.1 (a 10% scatter) rather than 0.05: at
#: 0.05 the truth and a list's coverage formed a ridge the sampler crossed slowly (1,000
#: simulated reports: smallest ESS of the headline quantities 187 and R-hat 1.022; at 0.1:
#: 506 and 1.004, docs/performance.md).
DOCUMENTED_SD = 0.1

#: ``robust=True``: each figure of a source is, with the source's outlier probability, a
#: fabrication (a typo, a figure about something else, an invention) drawn around the same
#: value with this much more scatter on the log scale, added in quadrature: 90% of fabrications
#: within a factor exp(1.645 * 2) ~ 27 either way. A mixture rather than a heavier tail: a
#: figure 5 to 20 times off is explained by the fabrication component at a cost of a few nats,
#: so it cannot drag the truth, while figures on target keep the normal noise's precision.
OUTLIER_SD = 2.0
#: Prior of each source's outlier probability: Beta(1, 4), mean 0.2, 90% of sources under 0.44.
#: A source with a handful of figures cannot learn its own rate, so the prior carries most of it.
#: Beta(1, 9) (mean 0.1) was the first choice; with dated figures one in seven of which was
#: fabricated its 90% intervals covered 0.835 of the truths against 0.876 for Beta(1, 4) on the
#: same 36 datasets (docs/calibration.md).
OUTLIER_PRIOR = (1.0, 4.0)
#: A report that a robust fit reads as a fabrication with more than this probability
#: (``p_fabricated``) is flagged ``outlier`` whatever its leave-one-out PIT: the fabrication
#: component's wide scatter predicts even a figure 40 times the truth (PIT 0.989, inside the 99%
#: interval), so the PIT alone misses the very figures the mixture explains away. One half:
#: more likely fabricated than not.
FABRICATED_PROB = 0.5

#: Prior on the log of each truth: centred on the data's scale, sd 2 (a factor e^2 ~ 7 either
#: way at one sd), weak enough for data to dominate yet keeping the sampler off absurd values.
LOG_TRUTH_SD = 2.0

#: Temporal mode: knots every 7 days; the weekly change of the log rate has a LogNormal prior
#: (median 0.05, kept away from zero so the random walk does not form a funnel).
KNOT_DAYS = 7
#: ``simulate(bounds="censored")``: sd of the log threshold an "at least" / "at most" figure is
#: censored at, around the typical truth. The threshold is drawn without looking at the truth,
#: so the censored likelihood the model uses for these kinds is the exact one.
BOUND_SD = 1.0

TAU_MEDIAN = 0.05
TAU_SD = 0.5

#: Sampler defaults.
DRAWS = 1000
#: Tuning steps per chain (``fit.default_tune``): 500 with nutpie where its chains start from
#: the posterior's mode (the reports pin a random walk; docs/performance.md), 1000 otherwise.
TUNE = 1000
TUNE_NUTPIE = 500
CHAINS = 4
TARGET_ACCEPT = 0.95
#: PyMC's sampler adapts a dense mass matrix for models with at most this many parameters (its
#: cost grows with their cube), a diagonal one above.
DENSE_MAX = 100

#: Diagnostics thresholds: a fit outside them warns.
MAX_RHAT = 1.01
MIN_ESS = 400

#: Input checks (estimator.io, estimator.reports, estimator.screen).
#: An error message lists at most this many problems and then their number: enough to see
#: the pattern of what is wrong, few enough to read (a junk file printed 443 MB before).
MAX_LISTED_PROBLEMS = 50
#: Reading a file stops after this many bad rows: past that the file is most likely not a
#: table of reports (wrong file, wrong separator), and checking the rest costs time and
#: memory for no more insight.
MAX_BAD_ROWS = 1000
#: Files larger than this are refused before reading: 200 MB of CSV is some two million
#: reports, twenty times more than the largest fit measured (100,000 reports,
#: docs/performance.md) and far more than any war's published figures.
MAX_FILE_BYTES = 200 * 1024**2
#: Largest figure accepted for a loss count: more than the world's population (8e9), so a
#: larger one is a typo, a unit slip or a number that is not a count.
MAX_FIGURE = 1e10
#: A figure this many times above or below the median of the other figures for the same
#: quantity (around the same date) is named in a warning: a slip of three digits or more, or a
#: figure about something else. 1,000x is beyond any honest disagreement between sources.
FAR_FACTOR = 1e3
#: "Around the same date" for that comparison: cumulative counts grow, so dated figures are
#: compared with those dated at most this many days away.
FAR_WINDOW_DAYS = 30
#: Sampler settings below these give diagnostics that mean nothing: R-hat needs two chains to
#: compare, and ESS estimates from fewer than 100 draws per chain are noise. A fit with fewer
#: is not clean (result.problems says so).
MIN_CHAINS = 2
MIN_DRAWS = 100
#: Revision of the model's density and parameterisation, saved with every fit
#: (``persist.save``): ``persist.load`` refuses a fit of another revision, whose draws would be
#: read as parameters they are not. Bump it with any change to the model's density or to the
#: meaning, names, shapes or order of its free variables (a new prior, another likelihood, a
#: reparameterisation); not for changes that leave every saved posterior valid.
MODEL_REVISION = 1
