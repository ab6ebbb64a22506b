"""From equity snapshots to a window's returns: TWR with flows, XIRR, tables, drawdowns."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from desktop_app.portfolio import MetricPeriod
from desktop_app.portfolio.analytics_build import AnalyticsInputs, ReportBuilder

from .analytics_helpers import DAY, T0, curve, real_closes

EVENING = T0 + timedelta(hours=23)


def metrics_for(equity_curve, period=MetricPeriod.MONTHLY, **kwargs):
    builder = ReportBuilder(AnalyticsInputs(curve=equity_curve, benchmark=None, **kwargs))
    return builder, builder.metrics(period)


def test_a_deposit_in_the_middle_is_not_performance():
    times = [EVENING + i * DAY for i in range(4)]
    builder, m = metrics_for(curve(times, [1000, 1100, 2100, 2310], [1000, 0, 1000, 0]))
    _, r = builder.window_returns(MetricPeriod.MONTHLY)
    assert r.to_numpy() == pytest.approx([0.1, 0.0, 0.1], rel=1e-12)
    assert m.statistics.total_return == pytest.approx(0.21, rel=1e-12)
    assert m.equity.start_equity == 1000 and m.equity.end_equity == 2310
    assert m.equity.net_flows == 1000 and m.equity.profit == pytest.approx(310)


def test_the_first_bin_counts_from_the_first_snapshot_when_it_has_company():
    times = [T0 + timedelta(hours=9), T0 + timedelta(hours=21), T0 + DAY + timedelta(hours=21)]
    builder, m = metrics_for(curve(times, [1000, 1050, 1102.5], [1000, 0, 0]))
    _, r = builder.window_returns(MetricPeriod.MONTHLY)
    assert list(r.index) == [pd.Timestamp(T0), pd.Timestamp(T0 + DAY)]
    assert r.to_numpy() == pytest.approx([0.05, 0.05], rel=1e-12)
    assert m.window.inception and m.window.start == times[0] and m.window.periods == 2


def test_a_window_starts_from_the_last_snapshot_before_it():
    times = [EVENING + i * DAY for i in range(40)]
    equity = 1000 * 1.01 ** np.arange(40)
    equity[9] = 5000  # day 9: the baseline of the 30-day window ending with day 39
    builder, m = metrics_for(curve(times, equity))
    _, r = builder.window_returns(MetricPeriod.MONTHLY)
    assert len(r) == 30 and r.index[0] == pd.Timestamp(T0 + 10 * DAY)
    assert r.iloc[0] == pytest.approx(equity[10] / 5000 - 1, rel=1e-12)
    assert not m.window.inception and m.window.start == T0 + 10 * DAY
    assert m.equity.start_equity == 5000


def test_snapshots_missing_for_a_day_carry_the_equity_forward_as_a_zero_return():
    times = [EVENING, EVENING + DAY, EVENING + 3 * DAY]
    builder, _ = metrics_for(curve(times, [100, 110, 121]))
    _, r = builder.window_returns(MetricPeriod.MONTHLY)
    assert r.to_numpy() == pytest.approx([0.1, 0.0, 0.1], rel=1e-12)


def test_money_weighted_return_matches_the_hand_solved_rate():
    start = datetime(2023, 1, 1, tzinfo=UTC)
    times = [start, start + timedelta(days=182.5), start + timedelta(days=365)]
    # -1000 at 0, -1000 at half a year, +2200 after a year: with y = (1 + x) ** 0.5,
    # 1000 y^2 + 1000 y - 2200 = 0
    y = (-1000 + math.sqrt(1000**2 + 4 * 1000 * 2200)) / (2 * 1000)
    _, m = metrics_for(
        curve(times, [1000, 2000, 2200], [1000, 1000, 0]), period=MetricPeriod.ALL_TIME
    )
    assert m.money_weighted_return == pytest.approx(y**2 - 1, rel=1e-9)


def test_calendar_returns_compound_each_month_and_year():
    times = [datetime(2024, 1, 30, 23, tzinfo=UTC) + i * DAY for i in range(4)]
    # returns: Jan 31 +10 %, Feb 1 -10 %, Feb 2 +20 %
    builder = ReportBuilder(AnalyticsInputs(curve=curve(times, [100, 110, 99, 118.8])))
    report = builder.report(MetricPeriod.YEARLY)
    monthly = {(m.year, m.month): m.period_return for m in report.calendar_returns.monthly}
    assert monthly[(2024, 1)] == pytest.approx(0.1, rel=1e-12)
    assert monthly[(2024, 2)] == pytest.approx(0.9 * 1.2 - 1, rel=1e-12)
    (year,) = report.calendar_returns.yearly
    assert year.year == 2024 and year.period_return == pytest.approx(0.188, rel=1e-12)


def test_the_drawdown_report_dates_the_peak_the_trough_and_the_recovery():
    times = [EVENING + i * DAY for i in range(5)]
    _, m = metrics_for(curve(times, [100, 120, 90, 100, 130]))
    d = m.drawdown
    assert d.max_drawdown == pytest.approx(-0.25, rel=1e-12)
    assert d.peak_at == T0 + DAY and d.trough_at == T0 + 2 * DAY
    assert d.recovered_at == T0 + 4 * DAY
    assert d.max_drawdown_duration == 2 and d.max_drawdown_duration_days == 2.0
    assert d.recovery_time == 2 and d.recovery_days == 2.0
    assert d.current_drawdown == 0.0


def test_an_unrecovered_drawdown_has_no_recovery_and_a_current_drawdown():
    times = [EVENING + i * DAY for i in range(3)]
    _, m = metrics_for(curve(times, [100, 80, 90]))
    assert m.drawdown.recovered_at is None and m.drawdown.recovery_time is None
    assert m.drawdown.current_drawdown == pytest.approx(-0.1, rel=1e-12)


@pytest.mark.parametrize(
    "equity_curve",
    [
        curve([], []),
        curve([EVENING], [1000], [1000]),
        curve([EVENING + i * DAY for i in range(5)], [1000] * 5),
        curve([EVENING + i * DAY for i in range(3)], [1000, 0, 0]),
    ],
    ids=["no snapshot", "one snapshot", "flat", "wiped out"],
)
def test_undefined_figures_are_none_and_never_nan_or_inf(equity_curve):
    builder = ReportBuilder(AnalyticsInputs(curve=equity_curve, as_of=EVENING + 5 * DAY))
    report = builder.report(MetricPeriod.MONTHLY)
    text = json.dumps(report.to_dict(), allow_nan=False)  # raises on NaN or inf
    assert "NaN" not in text and "Infinity" not in text
    s = report.metrics.statistics
    assert s.sharpe_ratio is None and s.sortino_ratio is None and s.calmar_ratio is None


def test_a_curve_that_never_lost_has_no_downside_ratios_but_a_zero_drawdown():
    times = [EVENING + i * DAY for i in range(6)]
    _, m = metrics_for(curve(times, [100, 101, 103, 103.5, 106, 110]))
    s = m.statistics
    assert s.sortino_ratio is None and s.omega_ratio is None and s.calmar_ratio is None
    assert s.max_drawdown == 0.0 and s.sharpe_ratio is not None
    assert m.drawdown.peak_at is None and m.drawdown.current_drawdown == 0.0


def test_a_window_sampled_finer_than_its_snapshots_says_its_volatility_is_understated():
    times = [EVENING + i * DAY for i in range(10)]
    equity_curve = curve(times, 1000 * 1.01 ** np.arange(10))
    _, daily = metrics_for(equity_curve, period=MetricPeriod.MONTHLY)
    _, hourly = metrics_for(equity_curve, period=MetricPeriod.WEEKLY)
    assert not any("understates" in note for note in daily.notes)
    assert any("Only 7 of the 168 hourly bins" in note for note in hourly.notes)


def test_without_any_snapshot_the_metrics_say_why():
    _, m = metrics_for(curve([], []), as_of=EVENING)
    assert m.statistics.total_return is None and m.statistics.periods == 0
    assert any("No equity history" in note for note in m.notes)


# --- real data: the whole pipeline against plain numpy ---------------------------------


def reference_metrics(r: np.ndarray, periods: float, rf: float) -> dict[str, float]:
    """METRICS.md in plain numpy, sharing nothing with desktop_app."""
    n = r.size
    rf_p = (1 + rf) ** (1 / periods) - 1
    excess = r - rf_p
    wealth = np.concatenate(([1.0], np.cumprod(1 + r)))
    drawdown = wealth / np.maximum.accumulate(wealth) - 1
    total = wealth[-1] - 1
    cagr = (1 + total) ** (periods / n) - 1
    var95 = -np.quantile(r, 0.05)
    return {
        "total_return": total,
        "cagr": cagr,
        "volatility": np.std(r, ddof=1) * np.sqrt(periods),
        "sharpe_ratio": excess.mean() / np.std(excess, ddof=1) * np.sqrt(periods),
        "sortino_ratio": excess.mean()
        / np.sqrt(np.mean(np.minimum(excess, 0) ** 2))
        * np.sqrt(periods),
        "max_drawdown": drawdown.min(),
        "calmar_ratio": cagr / abs(drawdown.min()),
        "omega_ratio": np.maximum(r, 0).sum() / np.maximum(-r, 0).sum(),
        "var_95": var95,
        "cvar_95": -r[r <= -var95].mean(),
        "best_period": r.max(),
        "worst_period": r.min(),
    }


def test_real_daily_portfolio_metrics_equal_plain_numpy_on_the_same_definitions(prices_dir):
    btc, eth = real_closes(prices_dir, "BTC"), real_closes(prices_dir, "ETH")
    days = btc.index[:1500]
    btc_p, eth_p = btc.loc[days].to_numpy(), eth.loc[days].to_numpy()
    # a holder of 0.2 BTC and 3 ETH plus cash, depositing 5,000 every 100 days (kept as cash)
    # and withdrawing 2,000 every 250 days
    flows = np.zeros(days.size)
    flows[0] = 20_000
    flows[100::100] += 5_000
    flows[250::250] -= 2_000
    cash = np.cumsum(flows) - 0.2 * btc_p[0] - 3 * eth_p[0]
    equity = cash + 0.2 * btc_p + 3 * eth_p
    times = days + pd.Timedelta(hours=23, minutes=59)  # each day's close, in its own day
    builder = ReportBuilder(
        AnalyticsInputs(curve=curve(times, equity, flows), benchmark=None, risk_free=0.04)
    )
    m = builder.metrics(MetricPeriod.ALL_TIME)
    assert m.window.sampling == "D" and m.window.periods == days.size - 1
    twr = (equity[1:] - flows[1:]) / equity[:-1] - 1
    expected = reference_metrics(twr, 365, 0.04)
    for key, value in expected.items():
        assert m.statistics[key] == pytest.approx(value, rel=1e-9, abs=1e-15), key
