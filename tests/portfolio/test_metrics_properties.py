"""Properties that hold for every return series, checked with hypothesis."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from desktop_app.portfolio import metrics as m

# realistic simple returns: never below -100 %, occasionally large gains
returns_value = st.floats(min_value=-1.0, max_value=3.0, allow_nan=False, width=64)
return_lists = st.lists(returns_value, min_size=2, max_size=60)
gappy_return_lists = st.lists(st.one_of(returns_value, st.just(math.nan)), min_size=0, max_size=60)


def spread(values: list[float]) -> float:
    return max(values) - min(values)


@given(return_lists)
def test_max_drawdown_lies_between_minus_one_and_zero(returns: list[float]) -> None:
    assert -1.0 <= m.max_drawdown(returns) <= 0.0


@given(return_lists)
def test_max_drawdown_is_the_minimum_of_the_drawdown_series(returns: list[float]) -> None:
    assert m.max_drawdown(returns) == m.drawdown_series(returns).min()
    details = m.drawdown_details(returns)
    assert details.max_drawdown == m.max_drawdown(returns)


@given(return_lists)
def test_drawdown_details_are_consistent(returns: list[float]) -> None:
    details = m.drawdown_details(returns)
    drawdowns = m.drawdown_series(returns)
    assert details.longest_duration <= len(returns)
    if details.trough_index is None:
        assert details.max_drawdown == 0.0
        assert details.longest_duration == 0
        return
    assert details.peak_index < details.trough_index
    assert drawdowns[details.peak_index] == 0.0
    assert (drawdowns[details.peak_index + 1 : details.trough_index + 1] < 0).all()
    assert details.longest_duration >= 1
    if details.recovery_index is not None:
        assert details.recovery_time == details.recovery_index - details.trough_index > 0
        assert drawdowns[details.recovery_index] == 0.0


@given(return_lists)
def test_total_return_is_the_last_point_of_the_wealth_index(returns: list[float]) -> None:
    total = m.total_return(returns)
    assert total == pytest.approx(m.wealth_index(returns)[-1] - 1.0, rel=1e-12, abs=1e-300)


@given(return_lists, st.floats(min_value=0.01, max_value=100.0))
def test_sharpe_ratio_does_not_change_when_returns_are_scaled(
    returns: list[float], factor: float
) -> None:
    assume(spread(returns) > 1e-6)
    scaled = [r * factor for r in returns]
    assert m.sharpe_ratio(scaled) == pytest.approx(m.sharpe_ratio(returns), rel=1e-9, abs=1e-12)
    assert m.volatility(scaled) == pytest.approx(factor * m.volatility(returns), rel=1e-9)


@given(return_lists, st.floats(min_value=-0.5, max_value=0.5))
def test_volatility_ignores_a_constant_shift(returns: list[float], shift: float) -> None:
    assume(spread(returns) > 1e-6)
    shifted = [r + shift for r in returns]
    assert m.volatility(shifted) == pytest.approx(m.volatility(returns), rel=1e-9)


@given(return_lists, st.sampled_from([0.9, 0.95, 0.975, 0.99]))
def test_cvar_is_at_least_the_var_it_starts_from(returns: list[float], confidence: float) -> None:
    var = m.value_at_risk(returns, confidence)
    assert m.conditional_value_at_risk(returns, confidence) >= var - 1e-15
    assert m.value_at_risk(returns, 0.99) >= m.value_at_risk(returns, 0.95)


@given(return_lists)
def test_omega_above_one_exactly_when_the_returns_sum_to_a_gain(returns: list[float]) -> None:
    omega = m.omega_ratio(returns)
    assume(omega is not None and abs(math.fsum(returns)) > 1e-9)
    assert (omega > 1.0) == (math.fsum(returns) > 0.0)


@given(return_lists)
def test_a_series_against_itself(returns: list[float]) -> None:
    assume(spread(returns) > 1e-6)
    assert m.beta(returns, returns) == pytest.approx(1.0, rel=1e-12)
    assert m.correlation(returns, returns) == pytest.approx(1.0, rel=1e-12)
    assert m.alpha(returns, returns) == pytest.approx(0.0, abs=1e-9)
    assert m.tracking_error(returns, returns) == 0.0
    assert m.information_ratio(returns, returns) is None


@given(return_lists, st.floats(min_value=0.1, max_value=5.0))
def test_leverage_scales_beta_and_keeps_correlation(returns: list[float], leverage: float) -> None:
    assume(spread(returns) > 1e-6)
    levered = [leverage * r for r in returns]
    assert m.beta(levered, returns) == pytest.approx(leverage, rel=1e-9)
    assert m.correlation(levered, returns) == pytest.approx(1.0, rel=1e-9)


@given(
    gappy_return_lists,
    gappy_return_lists,
    st.sampled_from([1, 12, 52, 365, 8_760]),
    st.floats(min_value=0.0, max_value=0.2),
)
def test_performance_summary_equals_the_individual_functions(
    returns: list[float], other: list[float], periods: int, risk_free: float
) -> None:
    benchmark = (other + [0.01] * len(returns))[: len(returns)]
    summary = m.performance_summary(returns, periods, risk_free, benchmark=benchmark)
    details = m.drawdown_details(returns)
    expected = {
        "total_return": m.total_return(returns),
        "cagr": m.cagr(returns, periods),
        "volatility": m.volatility(returns, periods),
        "sharpe_ratio": m.sharpe_ratio(returns, risk_free, periods),
        "sortino_ratio": m.sortino_ratio(returns, risk_free, periods),
        "max_drawdown": m.max_drawdown(returns),
        "max_drawdown_duration": None if details is None else details.longest_duration,
        "recovery_time": None if details is None else details.recovery_time,
        "calmar_ratio": m.calmar_ratio(returns, periods),
        "omega_ratio": m.omega_ratio(returns),
        "var_95": m.value_at_risk(returns, 0.95),
        "var_99": m.value_at_risk(returns, 0.99),
        "parametric_var_95": m.value_at_risk(returns, 0.95, "parametric"),
        "parametric_var_99": m.value_at_risk(returns, 0.99, "parametric"),
        "cvar_95": m.conditional_value_at_risk(returns, 0.95),
        "cvar_99": m.conditional_value_at_risk(returns, 0.99),
        "best_period": m.best_period(returns),
        "worst_period": m.worst_period(returns),
        "beta": m.beta(returns, benchmark),
        "alpha": m.alpha(returns, benchmark, periods),
        "correlation": m.correlation(returns, benchmark),
        "tracking_error": m.tracking_error(returns, benchmark, periods),
        "information_ratio": m.information_ratio(returns, benchmark, periods),
        "up_capture": m.up_capture(returns, benchmark),
        "down_capture": m.down_capture(returns, benchmark),
    }
    assert summary.pop("periods") == int(np.isfinite(np.asarray(returns, dtype=float)).sum())
    assert summary == expected


@given(
    st.lists(st.floats(min_value=-0.3, max_value=0.3), min_size=1, max_size=40),
    st.data(),
)
def test_cash_flows_do_not_change_time_weighted_returns(
    market: list[float], data: st.DataObject
) -> None:
    # flows happen at period ends, after the market move; equity never goes below 10
    flows = [0.0]
    equity = [1_000.0]
    for move in market:
        grown = equity[-1] * (1.0 + move)
        flow = data.draw(st.floats(min_value=-(grown - 10.0), max_value=5_000.0))
        equity.append(grown + flow)
        flows.append(flow)
    returns = m.returns_from_equity(equity, flows)
    np.testing.assert_allclose(returns, market, rtol=1e-9, atol=1e-9)


@given(
    hnp.arrays(
        np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=st.floats(-1.0, 1.0)
    ),
    st.data(),
    st.sampled_from([0.9, 0.95, 0.99]),
)
def test_component_var_sums_to_the_portfolio_parametric_var(
    factors: np.ndarray, data: st.DataObject, confidence: float
) -> None:
    cov = factors @ factors.T * 0.01  # positive semi-definite by construction
    weights = data.draw(hnp.arrays(np.float64, cov.shape[0], elements=st.floats(-1.0, 1.0)))
    volatility = m.portfolio_volatility(weights, cov)
    assume(volatility is not None and volatility > 1e-6)
    z = {0.9: 1.2815515655446004, 0.95: 1.6448536269514722, 0.99: 2.3263478740408408}
    components = m.component_var(weights, cov, confidence)
    assert components.sum() == pytest.approx(z[confidence] * volatility, rel=1e-9)


@given(
    st.floats(min_value=-0.9, max_value=5.0),
    st.integers(min_value=1, max_value=3_650),
    st.floats(min_value=1.0, max_value=1e7),
)
def test_xirr_recovers_the_growth_rate_of_a_single_investment(
    rate: float, days: int, amount: float
) -> None:
    start = pd.Timestamp("2020-01-01", tz="UTC")
    payoff = amount * (1.0 + rate) ** (days / 365)
    assume(payoff > 0 and abs(payoff - amount) > 1e-9 * amount)
    found = m.xirr([-amount, payoff], [start, start + pd.Timedelta(days=days)])
    assert found == pytest.approx(rate, rel=1e-7, abs=1e-9)


@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=20))
def test_hhi_lies_between_an_equal_split_and_a_single_position(weights: list[float]) -> None:
    total = sum(weights)
    assume(total > 1e-6)
    normalised = [w / total for w in weights]
    assert 1 / len(weights) - 1e-12 <= m.hhi(normalised) <= 1.0 + 1e-12
