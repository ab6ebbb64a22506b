"""The metric kernels: each formula once, over intermediates computed at most once.

:class:`ReturnSeries` holds clean returns and lazily computes what several metrics share
(mean, deviations, variance, the wealth index, the drawdown path, quantiles);
:class:`ReturnPair` does the same for a portfolio and its benchmark. The public functions
in :mod:`.metrics` and :func:`~.metrics.performance_summary` both evaluate these kernels,
which is why the summary equals the individual results exactly. Kernels may return NaN or
inf on absurd inputs; the public layer turns those into None.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from statistics import NormalDist

import numpy as np

from .metrics_input import SeriesLike, clean_pair, clean_returns

#: Fewer returns than this and no statistic over them is meaningful.
MIN_PERIODS = 2
#: A series whose range is within this fraction of its magnitude counts as constant: such a
#: spread is floating-point noise (``0.03 - 0.02`` is not exactly ``0.02 - 0.01``), and
#: dividing by it would print a Sharpe ratio of 1e17. No real price moves that little.
CONSTANT_TOLERANCE = 1e-12


class ReturnSeries:
    """Clean returns plus the intermediates several metrics share, each computed once.

    ``x`` must already be clean (finite, 1-D): see :func:`series`.
    """

    def __init__(self, x: np.ndarray, magnitude: float = 0.0) -> None:
        self.x = x
        self.n = int(x.size)
        self._magnitude = magnitude  # of the inputs x was computed from, if larger
        self._quantiles: dict[float, float] = {}

    @cached_property
    def mean(self) -> float:
        return float(self.x.mean())

    @cached_property
    def deviations(self) -> np.ndarray:
        return self.x - self.mean

    @cached_property
    def variance(self) -> float:
        """Sample variance (ddof=1)."""
        return float(self.deviations @ self.deviations) / (self.n - 1)

    @cached_property
    def std(self) -> float:
        return math.sqrt(self.variance)

    @cached_property
    def low(self) -> float:
        return float(self.x.min())

    @cached_property
    def high(self) -> float:
        return float(self.x.max())

    @cached_property
    def is_constant(self) -> bool:
        """Zero variance: the range is 0, or rounding noise (see :data:`CONSTANT_TOLERANCE`).

        Tested on the range, not on the computed std, which is 4e-18 for ten returns of
        0.001 because their computed mean is not exactly 0.001.
        """
        magnitude = max(abs(self.low), abs(self.high), self._magnitude)
        return self.high - self.low <= CONSTANT_TOLERANCE * magnitude

    @cached_property
    def negative_part(self) -> np.ndarray:
        """``min(r, 0)`` per period."""
        return np.minimum(self.x, 0.0)

    @cached_property
    def wealth(self) -> np.ndarray:
        """``W_0 = 1, W_t = prod_{s<=t}(1 + r_s)``: n + 1 points, the baseline first."""
        wealth = np.empty(self.n + 1)
        wealth[0] = 1.0
        np.cumprod(1.0 + self.x, out=wealth[1:])
        return wealth

    @cached_property
    def drawdown(self) -> np.ndarray:
        """``W_t / max_{s<=t} W_s - 1`` on the n + 1 wealth points (the first is 0)."""
        return self.wealth / np.maximum.accumulate(self.wealth) - 1.0

    def quantile(self, probability: float) -> float:
        """``quantile(r, p)`` with numpy's default linear interpolation."""
        if probability not in self._quantiles:
            self.prefetch_quantiles((probability,))
        return self._quantiles[probability]

    def prefetch_quantiles(self, probabilities: tuple[float, ...]) -> None:
        """Compute several quantiles with one partition of the returns.

        Each is the same order statistics and the same interpolation as a single
        ``np.quantile`` call, so prefetching changes the speed, not the values.
        """
        missing = [p for p in probabilities if p not in self._quantiles]
        if missing:
            values = np.quantile(self.x, missing)
            self._quantiles.update(zip(missing, values.tolist(), strict=True))


class ReturnPair:
    """Portfolio and benchmark returns on the same periods, with their shared intermediates."""

    def __init__(self, r: ReturnSeries, b: ReturnSeries) -> None:
        self.r = r
        self.b = b

    @cached_property
    def covariance(self) -> float:
        """``cov(r, b, ddof=1)``."""
        return float(self.r.deviations @ self.b.deviations) / (self.r.n - 1)

    @cached_property
    def active(self) -> ReturnSeries:
        """The active returns ``r - b`` (constant when equal up to the inputs' rounding)."""
        magnitude = max(abs(self.r.low), abs(self.r.high), abs(self.b.low), abs(self.b.high))
        return ReturnSeries(self.r.x - self.b.x, magnitude)


def series(r: SeriesLike) -> ReturnSeries | None:
    """Clean returns ready for the kernels, or None with fewer than :data:`MIN_PERIODS`."""
    x = clean_returns(r)
    return ReturnSeries(x) if x.size >= MIN_PERIODS else None


def pair(r: SeriesLike, b: SeriesLike) -> ReturnPair | None:
    """Returns and benchmark on their common periods, or None with too few of them."""
    rx, bx = clean_pair(r, b)
    return ReturnPair(ReturnSeries(rx), ReturnSeries(bx)) if rx.size >= MIN_PERIODS else None


def rf_per_period(risk_free: float, periods: float) -> float:
    """The per-period risk-free rate: ``rf_p = (1 + rf) ** (1 / P) - 1``."""
    return (1.0 + risk_free) ** (1.0 / periods) - 1.0


def _divide(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0.0 else numerator / denominator


# --- kernels: one per metric, over the shared intermediates ------------------------------


def total_return(s: ReturnSeries) -> float:
    return float(s.wealth[-1]) - 1.0


def cagr(s: ReturnSeries, periods: float) -> float | None:
    growth = s.wealth[-1]
    if not growth >= 0.0:  # lost more than everything (or NaN): no real annual rate
        return None
    return float(np.power(growth, periods / s.n)) - 1.0


def volatility(s: ReturnSeries, periods: float) -> float:
    return 0.0 if s.is_constant else s.std * math.sqrt(periods)


def sharpe(s: ReturnSeries, risk_free: float, periods: float) -> float | None:
    excess_mean = s.mean - rf_per_period(risk_free, periods)
    if s.is_constant:
        return None
    ratio = _divide(excess_mean, s.std)
    return None if ratio is None else ratio * math.sqrt(periods)


def sortino(s: ReturnSeries, risk_free: float, periods: float) -> float | None:
    rf_p = rf_per_period(risk_free, periods)
    downside = s.negative_part if rf_p == 0.0 else np.minimum(s.x - rf_p, 0.0)
    ratio = _divide(s.mean - rf_p, math.sqrt(float(downside @ downside) / s.n))
    return None if ratio is None else ratio * math.sqrt(periods)


def max_drawdown(s: ReturnSeries) -> float:
    return float(s.drawdown.min())


def calmar(s: ReturnSeries, periods: float) -> float | None:
    growth_rate = cagr(s, periods)
    return None if growth_rate is None else _divide(growth_rate, abs(max_drawdown(s)))


def omega(s: ReturnSeries) -> float | None:
    losses = -float(s.negative_part.sum())
    return _divide(float(np.maximum(s.x, 0.0).sum()), losses)


def historical_var(s: ReturnSeries, confidence: float) -> float:
    return -s.quantile(1.0 - confidence)


def parametric_var(s: ReturnSeries, confidence: float) -> float:
    z = NormalDist().inv_cdf(1.0 - confidence)
    return -(s.mean + z * s.std)


def cvar(s: ReturnSeries, confidence: float) -> float:
    cutoff = s.quantile(1.0 - confidence)  # never below min(r): the tail is never empty
    return -float(s.x[s.x <= cutoff].mean())


def parametric_cvar(s: ReturnSeries, confidence: float) -> float:
    normal = NormalDist()
    z = normal.inv_cdf(1.0 - confidence)
    return -(s.mean - s.std * normal.pdf(z) / (1.0 - confidence))


def beta(p: ReturnPair) -> float | None:
    return None if p.b.is_constant else _divide(p.covariance, p.b.variance)


def alpha(p: ReturnPair, periods: float) -> float | None:
    slope = beta(p)
    return None if slope is None else (p.r.mean - slope * p.b.mean) * periods


def tracking_error(p: ReturnPair, periods: float) -> float:
    return volatility(p.active, periods)


def information_ratio(p: ReturnPair, periods: float) -> float | None:
    active = p.active
    ratio = None if active.is_constant else _divide(active.mean, active.std)
    return None if ratio is None else ratio * math.sqrt(periods)


def correlation(p: ReturnPair) -> float | None:
    if p.r.is_constant or p.b.is_constant:
        return None
    value = _divide(p.covariance, p.r.std * p.b.std)
    return None if value is None else min(1.0, max(-1.0, value))


def capture(p: ReturnPair, benchmark_up: bool) -> float | None:
    """``mean(r[up]) / mean(b[up])``: the counts cancel, leaving ``sum(r[up]) / sum(b[up])``."""
    periods = (p.b.x > 0.0 if benchmark_up else p.b.x < 0.0).astype(np.float64)
    if not periods.any():
        return None
    return _divide(float(p.r.x @ periods), float(p.b.x @ periods))


@dataclass(frozen=True, slots=True)
class DrawdownDetails:
    """The worst drawdown and how long the series stayed under water.

    Indices point into :func:`~.metrics.wealth_index` (0 is the baseline before the first return,
    t the point after return t). ``peak_index``, ``trough_index`` and ``recovery_index`` are
    None when the series never lost; ``recovery_index`` and ``recovery_time`` are None when
    the worst drawdown has not recovered yet.
    """

    max_drawdown: float
    peak_index: int | None
    trough_index: int | None
    recovery_index: int | None
    longest_duration: int
    """The longest run of consecutive periods spent below a previous peak."""
    recovery_time: int | None
    """Periods from the trough of the worst drawdown back to its peak's level."""


def _longest_run(flags: np.ndarray) -> int:
    edges = np.diff(np.concatenate(([0], flags.view(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return int((ends - starts).max()) if starts.size else 0


def drawdown_details(s: ReturnSeries) -> DrawdownDetails | None:
    """See :func:`.metrics.drawdown_details`; None when the path overflowed."""
    drawdown = s.drawdown
    trough = int(drawdown.argmin())
    deepest = float(drawdown[trough])
    if not math.isfinite(deepest):
        return None
    under_water = drawdown < 0.0
    longest = _longest_run(under_water)
    if deepest == 0.0:
        return DrawdownDetails(0.0, None, None, None, longest, None)
    at_peak = np.flatnonzero(~under_water)  # always holds 0, the baseline
    first_after = int(np.searchsorted(at_peak, trough))
    peak = int(at_peak[first_after - 1])  # the last point at the peak before the trough
    later = at_peak[first_after:]
    recovery = int(later[0]) if later.size else None
    return DrawdownDetails(
        max_drawdown=deepest,
        peak_index=peak,
        trough_index=trough,
        recovery_index=recovery,
        longest_duration=longest,
        recovery_time=None if recovery is None else recovery - trough,
    )
