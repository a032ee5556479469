"""The BG/NBD model (tend.status.bgnbd) reproduces Fader, Hardie & Lee (2005) on the paper's
own data: the CDNOW sample of 2,357 customers (39 weeks of calibration), which ships inside
the `lifetimes` package — read here as a file, without importing the package (a test-only
dependency; Tend never imports it)."""

import csv
from importlib.metadata import distribution

import numpy as np
import pytest
from scipy import optimize, special

from tend.status import bgnbd

# Table 1 / section 4 of the paper.
PUBLISHED = bgnbd.Parameters(r=0.243, alpha=4.414, a=0.793, b=2.426)
PUBLISHED_LOG_LIKELIHOOD = -9582.4


@pytest.fixture(scope="module")
def cdnow():
    path = distribution("lifetimes").locate_file("lifetimes/datasets/cdnow_customers_summary.csv")
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    columns = {
        name: np.array([float(row[name]) for row in rows]) for name in ("frequency", "recency", "T")
    }
    return columns["frequency"], columns["recency"], columns["T"]


def test_the_fit_reproduces_the_published_parameters(cdnow):
    x, t_x, T = cdnow
    assert len(x) == 2357
    fit = bgnbd.fit(x, t_x, T)
    assert fit.converged
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fit, name) == pytest.approx(getattr(PUBLISHED, name), abs=0.0015), name
    assert fit.log_likelihood * len(x) == pytest.approx(PUBLISHED_LOG_LIKELIHOOD, abs=0.05)


def test_the_fit_does_not_depend_on_the_unit_of_time(cdnow):
    x, t_x, T = cdnow
    weeks = bgnbd.fit(x, t_x, T)
    days = bgnbd.fit(x, t_x * 7, T * 7)
    assert days.r == pytest.approx(weeks.r, rel=1e-5)
    assert days.alpha == pytest.approx(weeks.alpha * 7, rel=1e-5)
    assert days.a == pytest.approx(weeks.a, rel=1e-5)
    assert days.b == pytest.approx(weeks.b, rel=1e-5)


def test_customers_sharing_a_summary_may_be_given_once_with_a_weight(cdnow):
    x, t_x, T = cdnow
    rows, counts = np.unique(np.column_stack([x, t_x, T]), axis=0, return_counts=True)
    assert len(rows) < len(x)  # the sample has repeated summaries (one-time buyers)
    grouped = bgnbd.fit(rows[:, 0], rows[:, 1], rows[:, 2], weights=counts)
    whole = bgnbd.fit(x, t_x, T)
    for name in ("r", "alpha", "a", "b", "log_likelihood"):
        assert getattr(grouped, name) == pytest.approx(getattr(whole, name), rel=1e-5), name


def test_the_gradient_is_the_log_likelihoods(cdnow):
    x, t_x, T = cdnow
    weights = np.ones_like(x)
    for point in ([0.3, 5.0, 0.8, 2.5], [1.5, 0.5, 3.0, 0.4]):
        log_params = np.log(point)
        error = optimize.check_grad(
            lambda v: bgnbd.log_likelihood(v, x, t_x, T, weights)[0],
            lambda v: bgnbd.log_likelihood(v, x, t_x, T, weights)[1],
            log_params,
        )
        scale = np.linalg.norm(bgnbd.log_likelihood(log_params, x, t_x, T, weights)[1])
        assert error < 1e-5 * max(scale, 1.0)


def test_the_papers_example_customer():
    # x = 2 repeat purchases, the last at 30.43 weeks, observed for 38.86 weeks: 1.226
    # purchases expected in the next 39 weeks (section 5 of the paper).
    expected = bgnbd.expected_purchases(PUBLISHED, 39, [2], [30.43], [38.86])
    assert expected[0] == pytest.approx(1.226, abs=0.0005)
    alive = bgnbd.probability_alive(PUBLISHED, [2], [30.43], [38.86])
    # 1 / (1 + a/(b+x-1) · ((α+T)/(α+t_x))^(r+x))
    odds = 0.793 / (2.426 + 1) * ((4.414 + 38.86) / (4.414 + 30.43)) ** (0.243 + 2)
    assert alive[0] == pytest.approx(1 / (1 + odds), rel=1e-12)


def test_predictions_behave_at_the_edges():
    fit = PUBLISHED
    # Without repeat purchases a customer cannot have dropped out (it drops out only after
    # purchasing).
    assert bgnbd.probability_alive(fit, [0, 0], [0, 0], [5, 500]).tolist() == [1.0, 1.0]
    # A recent last purchase: more likely alive than the same count long ago.
    recent, old = bgnbd.probability_alive(fit, [3, 3], [35, 5], [38, 38])
    assert recent > old
    # The longer the future period, the more purchases; never negative.
    short, long = bgnbd.expected_purchases(fit, np.array([[10], [50]]), [2], [30.43], [38.86])
    assert 0 < short[0] < long[0]
    # Heavy buyers stay finite: about their own rate (5,000 purchases in 3,000 weeks) times
    # 90 weeks, the series behind 2F1 computed through Euler's transformation.
    heavy = bgnbd.expected_purchases(fit, 90, [5000], [3000], [3000])
    assert np.isfinite(heavy[0]) and heavy[0] == pytest.approx(5000 / 3000 * 90, rel=0.05)


def posterior_expectation(params, t, x, t_x, T, nodes=40):
    """E[Y(t) | x, t_x, T] computed another way: P(alive) times the expectation, over the
    dropout probability's posterior Beta(a, b+x), of (1 − ((α+T)/(α+T+p·t))^(r+x)) / p —
    Gauss–Jacobi quadrature, exact for smooth integrands."""
    found = []
    for one_x, one_t_x, one_T in zip(x, t_x, T, strict=True):
        u, w = special.roots_jacobi(nodes, params.b + one_x - 1, params.a - 1)
        p = (1 + u) / 2
        gained = -np.expm1(-(params.r + one_x) * np.log1p(p * t / (params.alpha + one_T))) / p
        alive = bgnbd.probability_alive(params, [one_x], [one_t_x], [one_T])[0]
        found.append(alive * (gained * w).sum() / w.sum())
    return np.array(found)


@pytest.mark.parametrize(
    "params",
    [
        PUBLISHED,
        bgnbd.Parameters(r=0.5, alpha=30, a=50, b=150),
        bgnbd.Parameters(r=0.5, alpha=30, a=5, b=0.3),
        bgnbd.Parameters(r=2, alpha=30, a=0.2, b=0.1),
        bgnbd.Parameters(r=0.5, alpha=30, a=1.0000001, b=3),
    ],
)
def test_the_closed_form_agrees_with_the_posterior_integral(params):
    x = np.array([0, 1, 2, 7, 50, 500])
    t_x = np.array([0, 23, 30.43, 300, 600, 1000])
    T = np.array([5, 330, 38.86, 400, 700, 1000])
    for t in (39, 90):
        assert bgnbd.expected_purchases(params, t, x, t_x, T) == pytest.approx(
            posterior_expectation(params, t, x, t_x, T), rel=1e-7
        )


def test_a_fit_without_dropout_heterogeneity_still_predicts():
    # a and b in the tens of thousands: dropout is p = a / (a + b) for everyone, and the
    # hypergeometric form overflows; the quadrature takes over.
    params = bgnbd.Parameters(r=0.21, alpha=10.27, a=33302.0, b=107167.0)
    x, t_x, T = np.array([0, 1, 7]), np.array([0, 23, 300]), np.array([5, 330, 400])
    expected = bgnbd.expected_purchases(params, 90, x, t_x, T)
    assert np.isfinite(expected).all()
    # The posterior of p is then a point at its mean: the integrand at that point.
    p = params.a / (params.a + params.b + x)
    gained = -np.expm1(-(params.r + x) * np.log1p(p * 90 / (params.alpha + T))) / p
    alive = bgnbd.probability_alive(params, x, t_x, T)
    assert expected == pytest.approx(alive * gained, rel=1e-4)


def test_an_empty_population_cannot_be_fitted():
    with pytest.raises(ValueError):
        bgnbd.fit([], [], [])
