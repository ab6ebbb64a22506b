"""Undefined metrics are None ("—"), never NaN, inf or an exception (METRICS.md)."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.portfolio import metrics as m

SINGLE_SERIES: dict[str, Callable[[object], object]] = {
    "total_return": m.total_return,
    "cagr": m.cagr,
    "volatility": m.volatility,
    "sharpe_ratio": m.sharpe_ratio,
    "sortino_ratio": m.sortino_ratio,
    "max_drawdown": m.max_drawdown,
    "calmar_ratio": m.calmar_ratio,
    "omega_ratio": m.omega_ratio,
    "historical_var": m.value_at_risk,
    "parametric_var": lambda r: m.value_at_risk(r, method="parametric"),
    "cvar": m.conditional_value_at_risk,
    "best_period": m.best_period,
    "worst_period": m.worst_period,
    "drawdown_details": m.drawdown_details,
}
TWO_SERIES: dict[str, Callable[[object, object], object]] = {
    "beta": m.beta,
    "alpha": m.alpha,
    "tracking_error": m.tracking_error,
    "information_ratio": m.information_ratio,
    "correlation": m.correlation,
    "up_capture": m.up_capture,
    "down_capture": m.down_capture,
}
TOO_SHORT = {
    "empty list": [],
    "empty array": np.array([]),
    "empty series": pd.Series([], dtype="float64"),
    "one return": [0.01],
    "one return among NaNs": [np.nan, 0.01, np.nan],
    "only NaN": [np.nan, np.nan, np.nan],
    "None values": [None, 0.02, None],
}


def _is_none_or_finite(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isfinite(value))


@pytest.mark.parametrize("returns", TOO_SHORT.values(), ids=TOO_SHORT.keys())
@pytest.mark.parametrize("name", SINGLE_SERIES)
def test_fewer_than_two_returns_give_none(name: str, returns: object) -> None:
    assert SINGLE_SERIES[name](returns) is None


@pytest.mark.parametrize("returns", TOO_SHORT.values(), ids=TOO_SHORT.keys())
@pytest.mark.parametrize("name", TWO_SERIES)
def test_fewer_than_two_shared_periods_give_none(name: str, returns: object) -> None:
    benchmark = [0.01] * len(returns)
    assert TWO_SERIES[name](returns, benchmark) is None


@pytest.mark.parametrize("name", TWO_SERIES)
def test_periods_missing_on_either_side_do_not_count(name: str) -> None:
    # three periods each, but only the middle one is present in both
    assert TWO_SERIES[name]([0.01, 0.02, np.nan], [np.nan, 0.01, 0.03]) is None


def test_performance_summary_of_too_few_returns_is_all_none_but_the_count() -> None:
    summary = m.performance_summary([np.nan, 0.01], benchmark=[0.02, 0.03])
    assert summary["periods"] == 1
    assert all(value is None for key, value in summary.items() if key != "periods")


def test_zero_variance_gives_none_for_the_ratios_that_divide_by_it() -> None:
    flat = [0.001] * 10
    assert m.sharpe_ratio(flat) is None
    assert m.beta([0.01, 0.02, -0.01], [0.005] * 3) is None
    assert m.alpha([0.01, 0.02, -0.01], [0.005] * 3) is None
    assert m.correlation(flat, [0.01, 0.02] * 5) is None
    assert m.correlation([0.01, 0.02] * 5, flat) is None
    # r - b is 0.01 every period, though 0.03 - 0.02 != 0.02 - 0.01 in floating point
    assert m.information_ratio([0.02, 0.03, 0.01], [0.01, 0.02, 0.0]) is None
    assert m.sharpe_ratio([0.0, 0.0, 0.0]) is None


def test_zero_variance_keeps_the_well_defined_metrics() -> None:
    flat = [0.001] * 10
    assert m.volatility(flat) == 0.0
    assert m.tracking_error([0.02, 0.03], [0.02, 0.03]) == 0.0
    assert m.tracking_error([0.02, 0.03, 0.01], [0.01, 0.02, 0.0]) == 0.0
    assert m.max_drawdown(flat) == 0.0
    assert m.value_at_risk(flat) == pytest.approx(-0.001)  # even the worst period gained


def test_no_losing_period_gives_none_for_the_downside_ratios() -> None:
    winners = [0.01, 0.0, 0.03, 0.02]
    assert m.sortino_ratio(winners) is None
    assert m.omega_ratio(winners) is None
    assert m.calmar_ratio(winners) is None
    assert m.max_drawdown(winners) == 0.0
    assert m.sharpe_ratio(winners) is not None


def test_sortino_counts_periods_below_the_risk_free_rate_as_downside() -> None:
    # no negative return, but 0 % and 1 % are below the hurdle rf_p = 1.030225 ** 0.5 - 1
    # = 0.015: r - rf_p = [-0.015, -0.005, 0.015], mean -0.001666..., downside deviation
    # sqrt((0.000225 + 0.000025) / 3) = 0.0091287092917527; * sqrt(2) -> -0.2581988897471611
    sortino = m.sortino_ratio([0.0, 0.01, 0.03], risk_free=0.030225, periods_per_year=2)
    assert sortino == pytest.approx(-0.2581988897471611, rel=1e-9)


def test_capture_without_up_or_down_benchmark_periods_is_none() -> None:
    assert m.up_capture([0.01, -0.02], [-0.01, -0.03]) is None
    assert m.down_capture([0.01, -0.02], [0.01, 0.03]) is None


def test_cagr_after_losing_more_than_everything_is_none() -> None:
    # a leveraged short can lose more than the equity: 1 + total return = 0.5 * -2 < 0
    assert m.total_return([-0.5, -3.0]) == pytest.approx(-2.0)
    assert m.cagr([-0.5, -3.0]) is None


def test_a_total_loss_has_cagr_of_minus_one() -> None:
    assert m.cagr([0.1, -1.0]) == -1.0
    assert m.max_drawdown([0.1, -1.0]) == -1.0


def test_nan_periods_are_dropped_not_propagated() -> None:
    clean = [0.10, -0.20, 0.05, 0.10]
    gappy = [np.nan, 0.10, -0.20, np.nan, 0.05, 0.10, None]
    for name, function in SINGLE_SERIES.items():
        assert function(gappy) == function(clean), name
    assert m.performance_summary(gappy) == m.performance_summary(clean)


def test_infinite_returns_are_dropped_like_missing_ones() -> None:
    assert m.sharpe_ratio([0.01, np.inf, -0.02, -np.inf, 0.03]) == m.sharpe_ratio(
        [0.01, -0.02, 0.03]
    )


def test_decimal_and_nullable_pandas_inputs_are_accepted() -> None:
    decimals = [Decimal("0.10"), Decimal("-0.20"), Decimal("0.05"), Decimal("0.10")]
    nullable = pd.Series([0.10, -0.20, None, 0.05, 0.10], dtype="Float64")
    assert m.total_return(decimals) == pytest.approx(0.0164)
    assert m.total_return(nullable) == pytest.approx(0.0164)


def test_two_series_are_aligned_on_their_index() -> None:
    days = pd.date_range("2024-01-01", periods=6, tz="UTC")
    r = pd.Series([0.01, 0.02, -0.01, 0.03, np.nan, 0.02], index=days)
    b = pd.Series([0.02, -0.01, 0.01, 0.00], index=days[[5, 1, 2, 3]])  # out of order
    # common periods with both present: days 1, 2, 3 and 5
    expected = m.beta([0.02, -0.01, 0.03, 0.02], [-0.01, 0.01, 0.00, 0.02])
    assert m.beta(r, b) == pytest.approx(expected, rel=1e-15)
    summary = m.performance_summary(r, benchmark=b)
    assert summary["beta"] == m.beta(r, b)
    assert summary["periods"] == 5


def test_unalignable_inputs_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="same periods"):
        m.beta([0.01, 0.02, 0.03], [0.01, 0.02])
    with pytest.raises(ValueError, match="one-dimensional"):
        m.sharpe_ratio(np.zeros((3, 2)))


@pytest.mark.parametrize("confidence", [0.0, 1.0, 95, -0.5])
def test_confidence_must_be_a_fraction(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        m.value_at_risk([0.01, -0.02], confidence)


def test_unknown_var_method_is_refused() -> None:
    with pytest.raises(ValueError, match="method"):
        m.value_at_risk([0.01, -0.02], method="monte-carlo")


@pytest.mark.parametrize("periods", [0, -365, math.nan])
def test_periods_per_year_must_be_positive(periods: float) -> None:
    with pytest.raises(ValueError, match="periods_per_year"):
        m.volatility([0.01, -0.02], periods_per_year=periods)


def test_risk_free_rate_must_be_above_minus_one() -> None:
    with pytest.raises(ValueError, match="risk_free"):
        m.sharpe_ratio([0.01, -0.02], risk_free=-1.0)


def test_empty_or_missing_weights_and_covariances_give_none() -> None:
    assert m.hhi([]) is None
    assert m.hhi([np.nan]) is None
    assert m.portfolio_volatility([], np.empty((0, 0))) is None
    assert m.component_var([0.5, 0.5], np.array([[0.04, np.nan], [np.nan, 0.09]])) is None
    assert m.component_var([0.0, 0.0], np.eye(2)) is None  # flat: no risk to split
    assert m.portfolio_volatility([1.0], np.array([[0.0]])) is None


def test_covariance_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="covariance"):
        m.portfolio_volatility([0.5, 0.5], np.eye(3))


def test_series_functions_of_an_empty_series_are_the_baseline_only() -> None:
    np.testing.assert_array_equal(m.wealth_index([]), [1.0])
    np.testing.assert_array_equal(m.drawdown_series([np.nan]), [0.0])


floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


@given(st.lists(floats, max_size=30), st.lists(floats, max_size=30))
def test_no_input_makes_a_metric_nan_inf_or_raise(returns: list[float], other: list[float]) -> None:
    benchmark = (other + [0.0] * len(returns))[: len(returns)]
    for function in SINGLE_SERIES.values():
        value = function(returns)
        if isinstance(value, m.DrawdownDetails):
            value = value.max_drawdown
        assert _is_none_or_finite(value)
    for function in TWO_SERIES.values():
        assert _is_none_or_finite(function(returns, benchmark))
    summary = m.performance_summary(returns, benchmark=benchmark)
    counts = {"periods", "max_drawdown_duration", "recovery_time"}
    assert all(_is_none_or_finite(v) for k, v in summary.items() if k not in counts)
