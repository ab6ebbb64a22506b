"""The one implementation of every performance and risk metric (definitions: METRICS.md).

The risk manager, the analytics and the GUI all call these functions; none re-derives a
formula. Inputs are series of simple returns (numpy array, list or pandas Series); missing
periods are dropped (see :mod:`.metrics_input`). Results are Python floats, or ``None``
(shown as "—") when the metric is undefined. Nothing here returns NaN or inf, and no data
makes a function raise.

Conventions: fractions (0.05 is 5 %); ``P`` periods per year (365 daily); ``rf`` the annual
risk-free rate, ``rf_p = (1 + rf) ** (1 / P) - 1`` per period. Losses (VaR, CVaR) are
positive fractions, drawdowns negative fractions.

When a result is None:

* fewer than 2 returns left after dropping missing periods (empty included): every scalar
  metric over returns;
* zero variance (all returns equal, up to rounding noise of 1e-12 of their size):
  ``sharpe_ratio``; ``beta`` and ``alpha`` when the benchmark is constant; ``correlation``
  when either series is; ``information_ratio`` when ``r - b`` is constant;
* no losing period: ``sortino_ratio``, ``omega_ratio`` and ``calmar_ratio`` (no drawdown);
* no benchmark up (down) period: ``up_capture`` (``down_capture``);
* a result that is not a finite number (``cagr`` after losing more than everything,
  overflow on absurd inputs).

Defined, not None: ``volatility`` and ``tracking_error`` of a constant series are 0.0; the
``max_drawdown`` of a series that never lost is 0.0; historical VaR is negative when even
the worst tail periods were gains.

The functions that build return series (:func:`returns_from_equity`,
:func:`resample_equity`, :func:`xirr`, :func:`periods_per_year`), the cross-asset ones
(:func:`component_var`, :func:`correlation_matrix`, :func:`hhi` ...) and the trade
statistics live in sibling modules and are re-exported here, so
``desktop_app.portfolio.metrics`` is the one place to import every metric from.
"""

from __future__ import annotations

import numpy as np

from . import metrics_kernels as k
from .metrics_equity import (
    periods_per_year,
    resample_equity,
    resample_rule,
    returns_from_equity,
    xirr,
)
from .metrics_input import (
    SeriesLike,
    check_confidence,
    check_periods_per_year,
    check_risk_free,
    clean_pair,
    clean_returns,
    finite_or_none,
)
from .metrics_kernels import DrawdownDetails
from .metrics_portfolio import (
    component_var,
    correlation_from_covariance,
    correlation_matrix,
    hhi,
    marginal_var,
    portfolio_volatility,
)
from .trade_stats import (
    average_loss,
    average_win,
    expectancy,
    kelly_fraction,
    largest_loss,
    largest_win,
    profit_factor,
    trade_statistics,
    win_rate,
)

__all__ = [
    "SUMMARY_KEYS",
    "DrawdownDetails",
    "alpha",
    "average_loss",
    "average_win",
    "best_period",
    "beta",
    "cagr",
    "calmar_ratio",
    "component_var",
    "conditional_value_at_risk",
    "correlation",
    "correlation_from_covariance",
    "correlation_matrix",
    "down_capture",
    "drawdown_details",
    "drawdown_series",
    "expectancy",
    "hhi",
    "information_ratio",
    "kelly_fraction",
    "largest_loss",
    "largest_win",
    "marginal_var",
    "max_drawdown",
    "omega_ratio",
    "performance_summary",
    "periods_per_year",
    "portfolio_volatility",
    "profit_factor",
    "resample_equity",
    "resample_rule",
    "returns_from_equity",
    "sharpe_ratio",
    "sortino_ratio",
    "total_return",
    "tracking_error",
    "trade_statistics",
    "up_capture",
    "value_at_risk",
    "volatility",
    "wealth_index",
    "win_rate",
    "worst_period",
    "xirr",
]

_VAR_METHODS = ("historical", "parametric")
_quiet = np.errstate(all="ignore")  # overflow on absurd inputs becomes None, not a warning


# --- the METRICS.md functions ---------------------------------------------------------


@_quiet
def total_return(r: SeriesLike) -> float | None:
    """Compounded return over the whole series: ``prod(1 + r) - 1``."""
    s = k.series(r)
    return None if s is None else finite_or_none(k.total_return(s))


@_quiet
def cagr(r: SeriesLike, periods_per_year: float = 365) -> float | None:
    """Compound annual growth rate: ``(1 + total return) ** (P / n) - 1``.

    None when the series lost more than everything (``1 + total return < 0``).
    """
    periods = check_periods_per_year(periods_per_year)
    s = k.series(r)
    return None if s is None else finite_or_none(k.cagr(s, periods))


@_quiet
def volatility(r: SeriesLike, periods_per_year: float = 365) -> float | None:
    """Annualised volatility: ``std(r, ddof=1) * sqrt(P)`` (0.0 for a constant series)."""
    periods = check_periods_per_year(periods_per_year)
    s = k.series(r)
    return None if s is None else finite_or_none(k.volatility(s, periods))


@_quiet
def sharpe_ratio(
    r: SeriesLike, risk_free: float = 0.0, periods_per_year: float = 365
) -> float | None:
    """Annualised Sharpe ratio: ``mean(r - rf_p) / std(r - rf_p, ddof=1) * sqrt(P)``.

    ``rf_p = (1 + rf) ** (1 / P) - 1``; None when all returns are equal.
    """
    periods, rate = check_periods_per_year(periods_per_year), check_risk_free(risk_free)
    s = k.series(r)
    return None if s is None else finite_or_none(k.sharpe(s, rate, periods))


@_quiet
def sortino_ratio(
    r: SeriesLike, risk_free: float = 0.0, periods_per_year: float = 365
) -> float | None:
    """Annualised Sortino ratio: ``mean(r - rf_p) / sqrt(mean(min(r - rf_p, 0) ** 2)) * sqrt(P)``.

    The downside deviation averages over all n periods, not only the losing ones. None when
    no period fell below ``rf_p``.
    """
    periods, rate = check_periods_per_year(periods_per_year), check_risk_free(risk_free)
    s = k.series(r)
    return None if s is None else finite_or_none(k.sortino(s, rate, periods))


@_quiet
def max_drawdown(r: SeriesLike) -> float | None:
    """Deepest fall from a peak: ``min_t(W_t / max_{s<=t} W_s - 1)``, in [-1, 0] for r >= -1.

    The wealth index starts at ``W_0 = 1``, so a first-period loss is a drawdown. 0.0 when
    the series never lost.
    """
    s = k.series(r)
    return None if s is None else finite_or_none(k.max_drawdown(s))


@_quiet
def calmar_ratio(r: SeriesLike, periods_per_year: float = 365) -> float | None:
    """Calmar ratio: ``CAGR / abs(max drawdown)``; None without a drawdown."""
    periods = check_periods_per_year(periods_per_year)
    s = k.series(r)
    return None if s is None else finite_or_none(k.calmar(s, periods))


@_quiet
def omega_ratio(r: SeriesLike) -> float | None:
    """Omega ratio at a zero threshold: ``sum(max(r, 0)) / sum(max(-r, 0))``.

    None when no period lost.
    """
    s = k.series(r)
    return None if s is None else finite_or_none(k.omega(s))


@_quiet
def value_at_risk(
    r: SeriesLike, confidence: float = 0.95, method: str = "historical"
) -> float | None:
    """One-period Value at Risk as a positive loss fraction.

    * ``"historical"``: ``-quantile(r, 1 - c)``, numpy's default linear interpolation;
    * ``"parametric"``: ``-(mean(r) + z_{1-c} * std(r, ddof=1))``, z the standard normal
      quantile (``z_{0.05} = -1.645``).
    """
    confidence = check_confidence(confidence)
    if method not in _VAR_METHODS:
        raise ValueError(f"method must be one of {_VAR_METHODS}, got {method!r}")
    s = k.series(r)
    if s is None:
        return None
    if method == "historical":
        return finite_or_none(k.historical_var(s, confidence))
    return finite_or_none(k.parametric_var(s, confidence))


@_quiet
def conditional_value_at_risk(
    r: SeriesLike, confidence: float = 0.95, method: str = "historical"
) -> float | None:
    """Expected shortfall (CVaR) as a positive loss fraction.

    * ``"historical"``: ``-mean(r[r <= -VaR_hist(c)])``;
    * ``"parametric"``: the normal distribution's shortfall,
      ``-(mean(r) - std(r, ddof=1) * phi(z_{1-c}) / (1 - c))``, phi the standard normal
      density (``phi(z_{0.05}) / 0.05 = 2.063``).
    """
    confidence = check_confidence(confidence)
    if method not in _VAR_METHODS:
        raise ValueError(f"method must be one of {_VAR_METHODS}, got {method!r}")
    s = k.series(r)
    if s is None:
        return None
    if method == "historical":
        return finite_or_none(k.cvar(s, confidence))
    return finite_or_none(k.parametric_cvar(s, confidence))


@_quiet
def beta(r: SeriesLike, b: SeriesLike) -> float | None:
    """Beta to the benchmark: ``cov(r, b, ddof=1) / var(b, ddof=1)``.

    On the periods both series have (pandas Series are aligned on their index). None when
    the benchmark is constant.
    """
    p = k.pair(r, b)
    return None if p is None else finite_or_none(k.beta(p))


@_quiet
def alpha(r: SeriesLike, b: SeriesLike, periods_per_year: float = 365) -> float | None:
    """Annualised alpha (arithmetic): ``(mean(r) - beta * mean(b)) * P``."""
    periods = check_periods_per_year(periods_per_year)
    p = k.pair(r, b)
    return None if p is None else finite_or_none(k.alpha(p, periods))


@_quiet
def tracking_error(r: SeriesLike, b: SeriesLike, periods_per_year: float = 365) -> float | None:
    """Annualised tracking error: ``std(r - b, ddof=1) * sqrt(P)``."""
    periods = check_periods_per_year(periods_per_year)
    p = k.pair(r, b)
    return None if p is None else finite_or_none(k.tracking_error(p, periods))


@_quiet
def information_ratio(r: SeriesLike, b: SeriesLike, periods_per_year: float = 365) -> float | None:
    """Information ratio: ``mean(r - b) / std(r - b, ddof=1) * sqrt(P)``.

    None when ``r - b`` is constant.
    """
    periods = check_periods_per_year(periods_per_year)
    p = k.pair(r, b)
    return None if p is None else finite_or_none(k.information_ratio(p, periods))


# --- what the analytics and the risk manager need on top --------------------------------


@_quiet
def correlation(r: SeriesLike, b: SeriesLike) -> float | None:
    """Pearson correlation: ``cov(r, b, ddof=1) / (std(r) * std(b))``, clipped to [-1, 1]."""
    p = k.pair(r, b)
    return None if p is None else finite_or_none(k.correlation(p))


@_quiet
def up_capture(r: SeriesLike, b: SeriesLike) -> float | None:
    """Up-market capture: ``mean(r[b > 0]) / mean(b[b > 0])``; None without an up period."""
    p = k.pair(r, b)
    return None if p is None else finite_or_none(k.capture(p, benchmark_up=True))


@_quiet
def down_capture(r: SeriesLike, b: SeriesLike) -> float | None:
    """Down-market capture: ``mean(r[b < 0]) / mean(b[b < 0])``; None without a down period.

    Below 1 means the portfolio lost less than the benchmark when the benchmark fell.
    """
    p = k.pair(r, b)
    return None if p is None else finite_or_none(k.capture(p, benchmark_up=False))


@_quiet
def best_period(r: SeriesLike) -> float | None:
    """The best single-period return: ``max(r)``."""
    s = k.series(r)
    return None if s is None else finite_or_none(s.high)


@_quiet
def worst_period(r: SeriesLike) -> float | None:
    """The worst single-period return: ``min(r)``."""
    s = k.series(r)
    return None if s is None else finite_or_none(s.low)


@_quiet
def wealth_index(r: SeriesLike) -> np.ndarray:
    """Growth of 1: ``W_0 = 1, W_t = prod_{s<=t}(1 + r_s)``, n + 1 points.

    Point t lines up with the t-th equity snapshot the returns came from (the baseline is
    the first snapshot). Missing periods are dropped; an empty series gives ``[1.0]``.
    """
    return k.ReturnSeries(clean_returns(r)).wealth


@_quiet
def drawdown_series(r: SeriesLike) -> np.ndarray:
    """Drawdown at each wealth point: ``W_t / max_{s<=t} W_s - 1`` (<= 0), n + 1 points.

    The baseline ``W_0 = 1`` counts as a peak, and the first point is always 0.0.
    """
    return k.ReturnSeries(clean_returns(r)).drawdown


@_quiet
def drawdown_details(r: SeriesLike) -> DrawdownDetails | None:
    """Max drawdown with its peak, trough and recovery indices, durations in periods.

    * peak: the last wealth point at its running maximum before the trough;
    * trough: the first point of the deepest drawdown;
    * recovery: the first point after the trough back at the peak's level (None if never);
    * longest duration: the longest run of points strictly below a previous peak;
    * recovery time: recovery index - trough index.

    None with fewer than 2 returns.
    """
    s = k.series(r)
    return None if s is None else k.drawdown_details(s)


# --- everything at once ------------------------------------------------------------------

#: The keys of :func:`performance_summary`, always all present (None when undefined).
SUMMARY_KEYS = (
    "periods",
    "total_return",
    "cagr",
    "volatility",
    "sharpe_ratio",
    "sortino_ratio",
    "max_drawdown",
    "max_drawdown_duration",
    "recovery_time",
    "calmar_ratio",
    "omega_ratio",
    "var_95",
    "var_99",
    "parametric_var_95",
    "parametric_var_99",
    "cvar_95",
    "cvar_99",
    "best_period",
    "worst_period",
    "beta",
    "alpha",
    "correlation",
    "tracking_error",
    "information_ratio",
    "up_capture",
    "down_capture",
)


@_quiet
def performance_summary(
    r: SeriesLike,
    periods_per_year: float = 365,
    risk_free: float = 0.0,
    benchmark: SeriesLike | None = None,
) -> dict[str, float | int | None]:
    """Every metric of :data:`SUMMARY_KEYS` in one pass over shared intermediates.

    One mean, one standard deviation, one cumulative product (wealth and drawdown) and one
    partition for both VaR quantiles serve all the metrics; each value equals what the
    individual function returns for the same arguments. ``periods`` counts the returns left
    after dropping missing ones; VaR keys are historical unless named parametric;
    ``max_drawdown_duration`` and ``recovery_time`` come from :func:`drawdown_details`. The
    benchmark-relative keys stay None without a ``benchmark``.
    """
    periods, rate = check_periods_per_year(periods_per_year), check_risk_free(risk_free)
    x = clean_returns(r)
    summary: dict[str, float | int | None] = dict.fromkeys(SUMMARY_KEYS)
    summary["periods"] = int(x.size)
    if x.size < k.MIN_PERIODS:
        return summary
    s = k.ReturnSeries(x)
    s.prefetch_quantiles((1.0 - 0.95, 1.0 - 0.99))
    details = k.drawdown_details(s)
    values = {
        "total_return": k.total_return(s),
        "cagr": k.cagr(s, periods),
        "volatility": k.volatility(s, periods),
        "sharpe_ratio": k.sharpe(s, rate, periods),
        "sortino_ratio": k.sortino(s, rate, periods),
        "max_drawdown": k.max_drawdown(s),
        "calmar_ratio": k.calmar(s, periods),
        "omega_ratio": k.omega(s),
        "var_95": k.historical_var(s, 0.95),
        "var_99": k.historical_var(s, 0.99),
        "parametric_var_95": k.parametric_var(s, 0.95),
        "parametric_var_99": k.parametric_var(s, 0.99),
        "cvar_95": k.cvar(s, 0.95),
        "cvar_99": k.cvar(s, 0.99),
        "best_period": s.high,
        "worst_period": s.low,
    }
    if benchmark is not None:
        rx, bx = clean_pair(r, benchmark)
        if rx.size >= k.MIN_PERIODS:
            p = k.ReturnPair(s if np.array_equal(rx, x) else k.ReturnSeries(rx), k.ReturnSeries(bx))
            values |= {
                "beta": k.beta(p),
                "alpha": k.alpha(p, periods),
                "correlation": k.correlation(p),
                "tracking_error": k.tracking_error(p, periods),
                "information_ratio": k.information_ratio(p, periods),
                "up_capture": k.capture(p, benchmark_up=True),
                "down_capture": k.capture(p, benchmark_up=False),
            }
    summary |= {key: finite_or_none(value) for key, value in values.items()}
    if details is not None:
        summary["max_drawdown_duration"] = details.longest_duration
        summary["recovery_time"] = details.recovery_time
    return summary
