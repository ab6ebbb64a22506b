"""Every metric on small series computed by hand (the arithmetic is in the comments).

The main series has four periods, r = [+10 %, -20 %, +5 %, +10 %], against a benchmark
b = [+5 %, -10 %, 0 %, +2 %]. Shared hand results:

    mean(r) = (0.10 - 0.20 + 0.05 + 0.10) / 4 = 0.0125
    r - mean = [0.0875, -0.2125, 0.0375, 0.0875]
    squares  = [0.00765625, 0.04515625, 0.00140625, 0.00765625], sum 0.061875
    var(r)   = 0.061875 / 3 = 0.020625 = 33 / 1600, std(r) = 0.1436140661634507
    wealth   = 1, 1.1, 0.88, 0.924, 1.0164
    mean(b)  = -0.03 / 4 = -0.0075, b - mean = [0.0575, -0.0925, 0.0075, 0.0275]
    var(b)   = (0.00330625 + 0.00855625 + 0.00005625 + 0.00075625) / 3 = 0.004225,
               std(b) = 0.065
    cov(r,b) = (0.00503125 + 0.01965625 + 0.00028125 + 0.00240625) / 3 = 0.009125
    r - b    = [0.05, -0.10, 0.05, 0.08], mean 0.02, var (0.0009 + 0.0144 + 0.0009 +
               0.0036) / 3 = 0.0066

Several tests pick P so that the square roots come out exact (P = 33: sqrt(33/1600 * 33)
= 33/40).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from desktop_app.portfolio import metrics as m

R = [0.10, -0.20, 0.05, 0.10]
B = [0.05, -0.10, 0.00, 0.02]


def approx(value: float) -> object:
    return pytest.approx(value, rel=1e-12, abs=1e-15)


def test_total_return_compounds_the_periods() -> None:
    # 1.1 * 0.8 * 1.05 * 1.1 = 1.0164
    assert m.total_return(R) == approx(0.0164)


def test_cagr_annualises_the_total_return_over_n_periods() -> None:
    # 4 periods at P = 8 are half a year: 1.0164 ** (8 / 4) - 1 = 1.03306896 - 1
    assert m.cagr(R, periods_per_year=8) == approx(0.03306896)
    # a year of quarterly returns: the CAGR is the total return
    assert m.cagr(R, periods_per_year=4) == approx(0.0164)


def test_volatility_is_the_sample_std_times_sqrt_p() -> None:
    # sqrt(33/1600) * sqrt(33) = 33/40
    assert m.volatility(R, periods_per_year=33) == approx(0.825)
    # daily default: 0.1436140661634507 * sqrt(365) = 2.7437428815397...
    assert m.volatility(R) == approx(0.1436140661634507 * 19.1049731745428)


def test_sharpe_ratio_is_mean_over_std_annualised() -> None:
    # 0.0125 / sqrt(33/1600) * sqrt(33) = 0.0125 * 40 = 0.5
    assert m.sharpe_ratio(R, periods_per_year=33) == approx(0.5)


def test_sharpe_ratio_subtracts_the_per_period_risk_free_rate() -> None:
    # rf = 21 % a year over P = 2: rf_p = 1.21 ** 0.5 - 1 = 0.1
    # mean(r - 0.1) = -0.0875; std unchanged: -0.0875 / sqrt(33/1600) * sqrt(2)
    # = -0.0875 * 40 / sqrt(33) * sqrt(2) = -3.5 * 0.24618298195866545 = -0.8616404368553291
    assert m.sharpe_ratio(R, risk_free=0.21, periods_per_year=2) == approx(-0.8616404368553291)


def test_sortino_ratio_uses_downside_deviation_over_all_periods() -> None:
    # min(r, 0) = [0, -0.2, 0, 0]; mean of squares 0.04 / 4 = 0.01, root 0.1
    # 0.0125 / 0.1 * sqrt(4) = 0.25 (dividing by the 1 losing period only would give 0.125)
    assert m.sortino_ratio(R, periods_per_year=4) == approx(0.25)


def test_sortino_ratio_with_a_risk_free_rate() -> None:
    # rf_p = 0.1 (rf = 21 %, P = 2): r - rf_p = [0, -0.3, -0.05, 0]
    # downside: (0.09 + 0.0025) / 4 = 0.023125, root 0.15206906325745548
    # mean(r - rf_p) = -0.0875: -0.0875 / 0.15206906325745548 * sqrt(2) = -0.8137254...
    expected = -0.0875 / 0.15206906325745548 * 1.4142135623730951
    assert m.sortino_ratio(R, risk_free=0.21, periods_per_year=2) == approx(expected)


def test_max_drawdown_is_the_deepest_fall_from_a_peak() -> None:
    # peak 1.1 after the first period, trough 0.88: 0.88 / 1.1 - 1 = -0.2
    assert m.max_drawdown(R) == approx(-0.2)


def test_a_first_period_loss_is_a_drawdown_from_the_baseline() -> None:
    # W = 1, 0.9, 1.08: the baseline W_0 = 1 is the peak
    assert m.max_drawdown([-0.10, 0.20]) == approx(-0.1)


def test_calmar_ratio_is_cagr_over_max_drawdown() -> None:
    # 0.03306896 / 0.2
    assert m.calmar_ratio(R, periods_per_year=8) == approx(0.1653448)


def test_omega_ratio_is_gains_over_losses() -> None:
    # (0.10 + 0.05 + 0.10) / 0.20
    assert m.omega_ratio(R) == approx(1.25)


def test_historical_var_interpolates_linearly_between_order_statistics() -> None:
    # sorted: [-0.2, 0.05, 0.1, 0.1]; at p = 0.05 the position is (4 - 1) * 0.05 = 0.15:
    # -0.2 + 0.15 * (0.05 - -0.2) = -0.1625, a loss of 0.1625
    assert m.value_at_risk(R, 0.95) == approx(0.1625)
    # p = 0.01: position 0.03: -0.2 + 0.03 * 0.25 = -0.1925
    assert m.value_at_risk(R, 0.99, method="historical") == approx(0.1925)


def test_parametric_var_uses_the_normal_quantile() -> None:
    # -(0.0125 - 1.6448536269514722 * 0.1436140661634507) = 0.2237241176102006
    assert m.value_at_risk(R, 0.95, method="parametric") == approx(0.2237241176102006)
    # -(0.0125 - 2.3263478740408408 * 0.1436140661634507) = 0.3215962775017042
    assert m.value_at_risk(R, 0.99, method="parametric") == approx(0.3215962775017042)


def test_cvar_averages_the_returns_at_or_below_the_var_threshold() -> None:
    # only -0.2 is <= -0.1625
    assert m.conditional_value_at_risk(R, 0.95) == approx(0.2)
    # r = [-0.3, -0.1, 0.0, 0.1, 0.2]: q_0.3 at position 1.2: -0.1 + 0.2 * 0.1 = -0.08;
    # the tail is -0.3 and -0.1, mean -0.2
    assert m.conditional_value_at_risk([0.1, -0.3, 0.2, -0.1, 0.0], 0.7) == approx(0.2)


def test_beta_is_covariance_over_benchmark_variance() -> None:
    # 0.009125 / 0.004225 = 365 / 169
    assert m.beta(R, B) == approx(2.1597633136094674)


def test_alpha_is_the_annualised_intercept() -> None:
    # (0.0125 - 365/169 * -0.0075) * 4 = 97/845
    assert m.alpha(R, B, periods_per_year=4) == approx(0.11479289940828402)


def test_tracking_error_and_information_ratio_use_active_returns() -> None:
    # std(r - b) = sqrt(0.0066); * sqrt(66) = sqrt(0.4356) = 0.66
    assert m.tracking_error(R, B, periods_per_year=66) == approx(0.66)
    # 0.02 / sqrt(0.0066) * sqrt(66) = 0.02 * 100
    assert m.information_ratio(R, B, periods_per_year=66) == approx(2.0)


def test_correlation_is_covariance_over_both_stds() -> None:
    # 0.009125 / (0.1436140661634507 * 0.065)
    assert m.correlation(R, B) == approx(0.9775129911358417)


def test_up_and_down_capture_compare_mean_returns_in_benchmark_up_and_down_periods() -> None:
    # b > 0 in periods 1 and 4: mean r 0.10, mean b 0.035 -> 20/7
    assert m.up_capture(R, B) == approx(20 / 7)
    # b < 0 only in period 2: -0.20 / -0.10
    assert m.down_capture(R, B) == approx(2.0)


def test_best_and_worst_period() -> None:
    assert m.best_period(R) == 0.10
    assert m.worst_period(R) == -0.20


def test_wealth_index_starts_at_one_and_compounds() -> None:
    np.testing.assert_allclose(m.wealth_index(R), [1.0, 1.1, 0.88, 0.924, 1.0164], rtol=1e-14)


def test_drawdown_series_is_relative_to_the_running_peak_including_the_baseline() -> None:
    # peaks 1, 1.1, 1.1, 1.1, 1.1: 0.924 / 1.1 - 1 = -0.16, 1.0164 / 1.1 - 1 = -0.076
    expected = [0.0, 0.0, -0.2, -0.16, -0.076]
    np.testing.assert_allclose(m.drawdown_series(R), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(m.drawdown_series([-0.1, 0.2]), [0.0, -0.1, -0.0], atol=1e-15)


def test_drawdown_details_find_peak_trough_recovery_and_durations() -> None:
    # W = 1, 1.1, 0.55, 0.825, 1.2375, 1.11375
    # drawdown = 0, 0, -0.5, -0.25, 0, -0.1: peak at 1, trough at 2, back at the peak at 4
    details = m.drawdown_details([0.1, -0.5, 0.5, 0.5, -0.1])
    assert details == m.DrawdownDetails(
        max_drawdown=pytest.approx(-0.5),
        peak_index=1,
        trough_index=2,
        recovery_index=4,
        longest_duration=2,
        recovery_time=2,
    )


def test_drawdown_details_of_an_unrecovered_drawdown() -> None:
    # under water at points 2, 3 and 4 (W = 0.88, 0.924, 1.0164 < 1.1)
    details = m.drawdown_details(R)
    assert details is not None
    assert (details.peak_index, details.trough_index) == (1, 2)
    assert details.recovery_index is None
    assert details.recovery_time is None
    assert details.longest_duration == 3


def test_drawdown_duration_is_the_longest_run_not_the_deepest_drawdown() -> None:
    # W = 1, 0.99, 0.9801, 0.970299, 1.0673289 (3 periods under water), then a deep
    # but short fall: 0.53366445 (1 period) and 1.0673289 (back at the peak exactly)
    details = m.drawdown_details([-0.01, -0.01, -0.01, 0.1, -0.5, 1.0])
    assert details is not None
    assert details.longest_duration == 3
    assert details.trough_index == 5
    assert details.max_drawdown == pytest.approx(-0.5)
    assert details.peak_index == 4
    assert details.recovery_index == 6
    assert details.recovery_time == 1


def test_drawdown_details_without_a_loss() -> None:
    details = m.drawdown_details([0.01, 0.0, 0.02])
    assert details == m.DrawdownDetails(0.0, None, None, None, 0, None)


def test_portfolio_volatility_is_the_root_of_the_quadratic_form() -> None:
    # w = [0.6, 0.4], S = [[0.04, 0.01], [0.01, 0.09]]:
    # w'Sw = 0.36 * 0.04 + 2 * 0.24 * 0.01 + 0.16 * 0.09 = 0.0144 + 0.0048 + 0.0144 = 0.0336
    cov = np.array([[0.04, 0.01], [0.01, 0.09]])
    assert m.portfolio_volatility([0.6, 0.4], cov) == approx(0.18330302779823363)


def test_component_var_splits_the_portfolio_var_by_position() -> None:
    # S w = [0.6 * 0.04 + 0.4 * 0.01, 0.6 * 0.01 + 0.4 * 0.09] = [0.028, 0.042]
    # w_i (S w)_i = [0.0168, 0.0168]: each half of w'Sw = 0.0336
    # component = 0.0168 / sqrt(0.0336) * 1.6448536269514722 = 0.1507533250525555
    cov = np.array([[0.04, 0.01], [0.01, 0.09]])
    components = m.component_var([0.6, 0.4], cov, confidence=0.95)
    np.testing.assert_allclose(components, [0.1507533250525555] * 2, rtol=1e-12)
    # together: 1.6448536269514722 * sqrt(0.0336), the zero-mean parametric portfolio VaR
    assert components.sum() == approx(0.301506650105111)


def test_component_var_of_a_hedge_is_negative() -> None:
    # perfectly correlated assets, short half as much: w = [1, -0.5], S = all 0.04
    # S w = [0.02, 0.02]; w_i (S w)_i = [0.02, -0.01]; w'Sw = 0.01, root 0.1
    cov = np.full((2, 2), 0.04)
    components = m.component_var([1.0, -0.5], cov, confidence=0.95)
    np.testing.assert_allclose(
        components, [0.2 * 1.6448536269514722, -0.1 * 1.6448536269514722], rtol=1e-12
    )


def test_component_var_follows_the_labels_of_a_weight_series() -> None:
    cov = pd.DataFrame([[0.09, 0.01], [0.01, 0.04]], index=["ETH", "BTC"], columns=["ETH", "BTC"])
    weights = pd.Series({"BTC": 0.6, "ETH": 0.4})
    components = m.component_var(weights, cov)
    assert list(components.index) == ["BTC", "ETH"]
    np.testing.assert_allclose(components.to_numpy(), [0.1507533250525555] * 2, rtol=1e-12)


def test_hhi_sums_squared_absolute_weights() -> None:
    # 0.5^2 + 0.3^2 + 0.2^2 = 0.25 + 0.09 + 0.04
    assert m.hhi([0.5, 0.3, 0.2]) == approx(0.38)
    # a short counts by its size: 0.5^2 + 0.5^2
    assert m.hhi({"BTC/USDT": 0.5, "ETH/USDT": -0.5}) == approx(0.5)
    assert m.hhi([1.0]) == 1.0


def test_correlation_matrix_uses_pairwise_complete_periods() -> None:
    frame = pd.DataFrame(
        {
            "BTC": [0.01, 0.02, -0.01, 0.03],
            "ETH": [0.02, 0.04, -0.02, np.nan],  # 2 * BTC where present
            "NEW": [np.nan, np.nan, 0.01, -0.03],  # -BTC on the two periods it has
        }
    )
    corr = m.correlation_matrix(frame)
    assert corr.loc["BTC", "ETH"] == approx(1.0)
    assert corr.loc["BTC", "NEW"] == approx(-1.0)
    assert np.isnan(corr.loc["ETH", "NEW"])  # one shared period only
    assert corr.loc["ETH", "ETH"] == approx(1.0)


def test_correlation_matrix_of_an_array_returns_an_array() -> None:
    table = np.array([[0.01, -0.01], [0.02, -0.02], [-0.01, 0.01]])
    np.testing.assert_allclose(m.correlation_matrix(table), [[1.0, -1.0], [-1.0, 1.0]])


def test_performance_summary_equals_the_individual_functions_exactly() -> None:
    summary = m.performance_summary(R, periods_per_year=8, risk_free=0.03, benchmark=B)
    details = m.drawdown_details(R)
    assert details is not None
    assert summary == {
        "periods": 4,
        "total_return": m.total_return(R),
        "cagr": m.cagr(R, 8),
        "volatility": m.volatility(R, 8),
        "sharpe_ratio": m.sharpe_ratio(R, 0.03, 8),
        "sortino_ratio": m.sortino_ratio(R, 0.03, 8),
        "max_drawdown": m.max_drawdown(R),
        "max_drawdown_duration": details.longest_duration,
        "recovery_time": details.recovery_time,
        "calmar_ratio": m.calmar_ratio(R, 8),
        "omega_ratio": m.omega_ratio(R),
        "var_95": m.value_at_risk(R, 0.95),
        "var_99": m.value_at_risk(R, 0.99),
        "parametric_var_95": m.value_at_risk(R, 0.95, "parametric"),
        "parametric_var_99": m.value_at_risk(R, 0.99, "parametric"),
        "cvar_95": m.conditional_value_at_risk(R, 0.95),
        "cvar_99": m.conditional_value_at_risk(R, 0.99),
        "best_period": m.best_period(R),
        "worst_period": m.worst_period(R),
        "beta": m.beta(R, B),
        "alpha": m.alpha(R, B, 8),
        "correlation": m.correlation(R, B),
        "tracking_error": m.tracking_error(R, B, 8),
        "information_ratio": m.information_ratio(R, B, 8),
        "up_capture": m.up_capture(R, B),
        "down_capture": m.down_capture(R, B),
    }


def test_performance_summary_without_a_benchmark_leaves_relative_metrics_empty() -> None:
    summary = m.performance_summary(R)
    assert tuple(summary) == m.SUMMARY_KEYS
    assert summary["total_return"] == approx(0.0164)
    for key in ("beta", "alpha", "correlation", "tracking_error", "information_ratio"):
        assert summary[key] is None


def test_metrics_accept_lists_arrays_and_series_alike() -> None:
    as_series = pd.Series(R, index=pd.date_range("2024-01-01", periods=4, tz="UTC"))
    for returns in (R, np.array(R), as_series, tuple(R)):
        assert m.sharpe_ratio(returns, periods_per_year=33) == approx(0.5)
