"""The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "Counting Your Customers the
Easy Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2)).

While alive, a customer buys at a rate λ (Poisson; λ varies across customers as a gamma with
shape r and rate α); after each purchase it drops out with probability p (p varies as a beta
with a and b). A customer is summarised by three numbers, in one unit of time:

    x    repeat purchases (purchases after the first)
    t_x  the time of its last purchase, from its first
    T    its age: the time from its first purchase to now

`fit` finds (r, α, a, b) by maximum likelihood over a population — customers sharing
(x, t_x, T) may be given once with a weight, which is how Tend passes a million customers in a
few hundred thousand rows. `probability_alive` and `expected_purchases` are the paper's
individual predictions (its equations 12 and 10), for arrays of customers at once."""

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

# Each parameter is searched on a log scale within these bounds, so none reaches 0 or
# overflows while the optimiser tries its steps.
LOG_BOUNDS = (-12.0, 12.0)


@dataclass(frozen=True)
class Parameters:
    r: float
    alpha: float
    a: float
    b: float
    # Mean log-likelihood per customer at the optimum, and whether the optimiser converged.
    log_likelihood: float = float("nan")
    converged: bool = True


def _arrays(*values):
    return [np.asarray(value, dtype=float) for value in values]


def _dot(left, right) -> float:
    # Not `@`: numpy hands that to a threaded BLAS, whose threads cost more than they save on
    # vectors this size, and far more on a busy machine.
    return float(np.sum(left * right))


class _LogLikelihood:
    """Σ weight · ln L (the paper's equation 6) over a population, with its gradient in the
    log parameters. The parts that depend on x alone (the gamma and beta functions) are
    computed once per distinct x, weighed by the customers having it: a population has a few
    dozen distinct x against hundreds of thousands of (x, t_x, T)."""

    def __init__(self, x, t_x, T, weights):
        self.x, self.t_x, self.T, self.weights = x, t_x, T, weights
        self.values, index = np.unique(x, return_inverse=True)
        self.per_value = np.bincount(index, weights=weights, minlength=len(self.values))
        self.repeat = x > 0

    def __call__(self, log_params):
        r, alpha, a, b = np.exp(log_params)
        x, t_x, T, weights, repeat = self.x, self.t_x, self.T, self.weights, self.repeat
        values, per_value = self.values, self.per_value
        gammaln, digamma = special.gammaln, special.digamma
        # ln[Γ(r+x) α^r / Γ(r)] + ln[B(a, b+x) / B(a, b)], per distinct x
        by_x = (
            gammaln(r + values)
            - gammaln(r)
            + r * np.log(alpha)
            + gammaln(a + b)
            + gammaln(b + values)
            - gammaln(b)
            - gammaln(a + b + values)
        )
        # Alive at T: −(r+x) ln(α+T); or, for repeat buyers, dropped out after the last
        # purchase: ln[a / (b+x−1)] − (r+x) ln(α+t_x).
        b_x = np.where(repeat, b + x - 1, 1.0)
        alive_at_T = -(r + x) * np.log(alpha + T)
        dropped_out = np.where(
            repeat, np.log(a) - np.log(b_x) - (r + x) * np.log(alpha + t_x), -np.inf
        )
        tail = np.logaddexp(alive_at_T, dropped_out)
        total = _dot(per_value, by_x) + _dot(weights, tail)
        # Each customer's share of its likelihood from either branch.
        alive = np.exp(alive_at_T - tail)
        dropped = 1.0 - alive
        d_r = _dot(per_value, digamma(r + values) - digamma(r) + np.log(alpha)) - _dot(
            weights, alive * np.log(alpha + T) + dropped * np.log(alpha + t_x)
        )
        d_alpha = per_value.sum() * r / alpha - _dot(
            weights, (r + x) * (alive / (alpha + T) + dropped / (alpha + t_x))
        )
        d_a = _dot(per_value, digamma(a + b) - digamma(a + b + values)) + _dot(
            weights, np.where(repeat, dropped / a, 0.0)
        )
        d_b = _dot(
            per_value, digamma(a + b) + digamma(b + values) - digamma(b) - digamma(a + b + values)
        ) - _dot(weights, np.where(repeat, dropped / b_x, 0.0))
        return total, np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])


def log_likelihood(log_params, x, t_x, T, weights):
    """Σ weight · ln L over the customers, with its gradient in the log parameters."""
    x, t_x, T, weights = _arrays(x, t_x, T, weights)
    return _LogLikelihood(x, t_x, T, weights)(log_params)


def fit(x, t_x, T, weights=None) -> Parameters:
    """The maximum-likelihood (r, α, a, b) of a population; α in the unit of t_x and T."""
    x, t_x, T = _arrays(x, t_x, T)
    weights = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if not len(x) or weights.sum() <= 0:
        raise ValueError("fitting the BG/NBD model needs at least one customer")
    # Time is scaled to a mean age of about one, so that the search starts near the answer
    # whatever the unit (days, weeks); α scales back by the same factor.
    scale = float(np.average(T, weights=weights)) or 1.0
    count = weights.sum()
    scaled = _LogLikelihood(x, t_x / scale, T / scale, weights)

    def objective(log_params):
        total, gradient = scaled(log_params)
        return -total / count, -gradient / count

    result = optimize.minimize(
        objective,
        np.zeros(4),
        jac=True,
        method="L-BFGS-B",
        bounds=[LOG_BOUNDS] * 4,
        options={"maxiter": 500, "ftol": 1e-13, "gtol": 1e-9},
    )
    r, alpha, a, b = np.exp(result.x)
    alpha *= scale
    # The likelihood is a density in time, so it is given in the caller's unit.
    total, _gradient = _LogLikelihood(x, t_x, T, weights)(np.log([r, alpha, a, b]))
    return Parameters(
        r=float(r),
        alpha=float(alpha),
        a=float(a),
        b=float(b),
        log_likelihood=float(total / count),
        converged=bool(result.success),
    )


def _log_odds_dropped(params: Parameters, x, t_x, T):
    """ln of a/(b+x-1) · ((α+T)/(α+t_x))^(r+x): the odds that a repeat buyer has dropped
    out, against being alive (−∞ for customers without repeat purchases, who cannot have)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    b_x = np.where(repeat, b + x - 1, 1.0)
    odds = np.log(a) - np.log(b_x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(repeat, odds, -np.inf)


def probability_alive(params: Parameters, x, t_x, T) -> np.ndarray:
    """P(alive | x, t_x, T): the probability that each customer has not dropped out."""
    x, t_x, T = _arrays(x, t_x, T)
    return special.expit(-_log_odds_dropped(params, x, t_x, T))


def expected_purchases(params: Parameters, t: float, x, t_x, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: the purchases each customer is expected to make in the next t
    (the paper's equation 10).

    Its Gaussian hypergeometric term (1-z)^(r+x) · 2F1(r+x, b+x; a+b+x-1; z), with
    z = t / (α+T+t), is computed through Euler's transformation as
    (1-z)^(a-1) · 2F1(a+b-1-r, a-1; a+b+x-1; z): the same value, whose series converges fast
    and stays finite for customers with many purchases. When a and b are in the thousands
    (a fit that found no heterogeneity in dropping out) that form overflows; those customers
    get the same expectation as an integral (`_expected_by_quadrature`)."""
    x, t_x, T = _arrays(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    c = a + b + x - 1
    z = t / (alpha + T + t)
    with np.errstate(all="ignore"):
        hypergeometric = (1 - z) ** (a - 1) * special.hyp2f1(a + b - 1 - r, a - 1, c, z)
        expected = c / (a - 1) * (1 - hypergeometric) * probability_alive(params, x, t_x, T)
    overflowed = ~np.isfinite(expected)
    if overflowed.any():
        x, t_x, T = np.broadcast_arrays(x, t_x, T)
        expected = np.array(expected, dtype=float)
        expected[overflowed] = _expected_by_quadrature(
            params, t, x[overflowed], t_x[overflowed], T[overflowed]
        )
    return expected


QUADRATURE_NODES = 64
QUADRATURE_CHUNK = 16_384  # customers at a time: 64 nodes × 16k × 8 bytes per array


def _expected_by_quadrature(params: Parameters, t: float, x, t_x, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T] as P(alive) · E[(1 − ((α+T)/(α+T+p·t))^(r+x)) / p] over the
    dropout probability p's posterior, Beta(a, b+x) (its purchase rate's, Gamma(r+x, α+T),
    integrated in closed form): Gauss–Legendre nodes on the posterior's quantiles, computed
    once per distinct x, the customers taken in chunks so that memory stays small."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    nodes, weights = special.roots_legendre(QUADRATURE_NODES)
    quantiles, weights = (nodes + 1) / 2, weights / 2
    values, index = np.unique(x, return_inverse=True)
    points = special.betaincinv(a, (b + values)[:, None], quantiles)  # per distinct x
    found = np.empty(len(x))
    for start in range(0, len(x), QUADRATURE_CHUNK):
        part = slice(start, start + QUADRATURE_CHUNK)
        p = points[index[part]]
        rate = t / (alpha + T[part])
        gained = -np.expm1(-(r + x[part])[:, None] * np.log1p(p * rate[:, None])) / p
        found[part] = (gained * weights).sum(axis=1)
    return found * probability_alive(params, x, t_x, T)
