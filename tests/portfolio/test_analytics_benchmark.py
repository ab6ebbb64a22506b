"""Benchmarks: one symbol, an equal-weight basket, or the held symbols; relative metrics."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from desktop_app.portfolio import ConfigError, MetricPeriod
from desktop_app.portfolio.analytics_build import AnalyticsInputs, ReportBuilder
from desktop_app.portfolio.benchmark import BenchmarkSpec, benchmark_returns

from .analytics_helpers import DAY, T0, Ledger, curve, known_closes, real_closes


def test_a_benchmark_is_a_symbol_a_list_of_symbols_or_the_held_basket():
    assert BenchmarkSpec.parse("eth/usdt").symbols == ("ETH/USDT",)
    assert BenchmarkSpec.parse("BTC/USDT, ETH/USDT").symbols == ("BTC/USDT", "ETH/USDT")
    assert BenchmarkSpec.parse(["BTC/USDT", "BTC/USDT"]).symbols == ("BTC/USDT",)
    assert BenchmarkSpec.parse("held").held_basket
    assert BenchmarkSpec.parse(None) is None
    basket = BenchmarkSpec.parse("held")
    assert basket.members(["SOL/USDT", "BTC/USDT"]) == ("BTC/USDT", "SOL/USDT")
    assert basket.name(("BTC/USDT",)).startswith("Equal-weight basket of the held symbols")


@pytest.mark.parametrize("value", ["BTCUSDT", "", [], ["BTC/USDT", 7]])
def test_a_malformed_benchmark_is_refused_with_a_config_error(value):
    with pytest.raises((ConfigError, TypeError)):
        BenchmarkSpec.parse(value)


def test_basket_returns_are_the_mean_of_the_members_that_trade_in_each_bin():
    labels = pd.date_range(T0 + DAY, periods=3, freq="D", tz="UTC")
    index = pd.date_range(T0, periods=4, freq="D", tz="UTC")
    a = known_closes(pd.Series([100.0, 110, 121, 121], index=index))
    b = known_closes(pd.Series([np.nan, 10, 12, 9], index=index))  # listed a day later
    r, missing = benchmark_returns({"A": a, "B": b}, ["A", "B", "C"], "D", labels)
    assert missing == ("C",)
    assert r.to_numpy() == pytest.approx([0.1, (0.1 + 0.2) / 2, (0.0 - 0.25) / 2])


def portfolio_on_real_prices(prices_dir, days=900):
    btc, eth = real_closes(prices_dir, "BTC"), real_closes(prices_dir, "ETH")
    dates = btc.index[200 : 200 + days]
    equity = 10_000 + 0.05 * btc.loc[dates].to_numpy() + 1.5 * eth.loc[dates].to_numpy()
    times = dates + pd.Timedelta(hours=23, minutes=59, seconds=59)
    closes = {
        "BTC/USDT": known_closes(btc.loc[dates]),
        "ETH/USDT": known_closes(eth.loc[dates]),
    }
    return curve(times, equity), closes, dates


def test_relative_metrics_on_real_prices_equal_plain_numpy(prices_dir):
    snapshots, closes, dates = portfolio_on_real_prices(prices_dir)
    builder = ReportBuilder(AnalyticsInputs(curve=snapshots, closes=closes))
    m = builder.metrics(MetricPeriod.ALL_TIME)
    equity = snapshots["equity"].to_numpy()
    r = equity[1:] / equity[:-1] - 1
    price = closes["BTC/USDT"].to_numpy()
    b = price[1:] / price[:-1] - 1
    p = 365
    beta = np.cov(r, b, ddof=1)[0, 1] / np.var(b, ddof=1)
    active = r - b
    up, down = b > 0, b < 0
    expected = {
        "beta": beta,
        "alpha": (r.mean() - beta * b.mean()) * p,
        "correlation": np.corrcoef(r, b)[0, 1],
        "tracking_error": np.std(active, ddof=1) * np.sqrt(p),
        "information_ratio": active.mean() / np.std(active, ddof=1) * np.sqrt(p),
        "up_capture": r[up].mean() / b[up].mean(),
        "down_capture": r[down].mean() / b[down].mean(),
    }
    bench = m.benchmark
    assert bench.name == "BTC/USDT" and bench.periods == len(dates) - 1
    for key, value in expected.items():
        assert bench.relative[key] == pytest.approx(value, rel=1e-9), key
    assert bench.benchmark.total_return == pytest.approx(price[-1] / price[0] - 1, rel=1e-9)
    assert bench.benchmark.volatility == pytest.approx(np.std(b, ddof=1) * np.sqrt(p), rel=1e-9)


def test_the_held_basket_benchmarks_against_the_symbols_held_now(prices_dir):
    snapshots, closes, dates = portfolio_on_real_prices(prices_dir, days=200)
    book = Ledger(10_000, dates[0].to_pydatetime())
    at = dates[1].to_pydatetime()
    book.open("BTC/USDT", "long", "0.05", closes["BTC/USDT"].iloc[0], at)
    book.open("ETH/USDT", "long", "1.5", closes["ETH/USDT"].iloc[0], at)
    builder = ReportBuilder(
        AnalyticsInputs(
            curve=snapshots,
            closes=closes,
            fills=book.fills,
            positions=book.positions,
            benchmark=BenchmarkSpec.parse("held"),
        )
    )
    m = builder.metrics(MetricPeriod.ALL_TIME)
    btc, eth = closes["BTC/USDT"].to_numpy(), closes["ETH/USDT"].to_numpy()
    basket = ((btc[1:] / btc[:-1] - 1) + (eth[1:] / eth[:-1] - 1)) / 2
    assert m.benchmark.symbols == ("BTC/USDT", "ETH/USDT")
    assert m.benchmark.benchmark.total_return == pytest.approx(np.prod(1 + basket) - 1, rel=1e-9)


def test_a_benchmark_without_stored_prices_is_left_out_with_a_note():
    times = [T0 + timedelta(hours=23) + i * DAY for i in range(5)]
    builder = ReportBuilder(AnalyticsInputs(curve=curve(times, [100, 101, 99, 103, 104])))
    m = builder.metrics(MetricPeriod.MONTHLY)
    assert m.benchmark is None
    assert any("BTC/USDT" in note for note in m.notes)


def test_the_report_carries_the_benchmark_growth_curve_beside_the_portfolio(prices_dir):
    snapshots, closes, _ = portfolio_on_real_prices(prices_dir, days=120)
    report = ReportBuilder(AnalyticsInputs(curve=snapshots, closes=closes)).report()
    price = closes["BTC/USDT"].to_numpy()
    assert report.benchmark_curve.values[-1] == pytest.approx(price[-1] / price[0], rel=1e-9)
    assert len(report.benchmark_curve.values) == len(report.growth_curve.values)


def test_a_constant_benchmark_leaves_beta_and_correlation_undefined_not_nan():
    times = [T0 + timedelta(hours=23) + i * DAY for i in range(6)]
    flat = known_closes(pd.Series(100.0, index=pd.date_range(T0, periods=6, freq="D", tz="UTC")))
    builder = ReportBuilder(
        AnalyticsInputs(
            curve=curve(times, [100, 102, 99, 104, 103, 107]), closes={"BTC/USDT": flat}
        )
    )
    relative = builder.metrics(MetricPeriod.MONTHLY).benchmark.relative
    assert relative.beta is None and relative.correlation is None and relative.alpha is None
    assert relative.up_capture is None and relative.down_capture is None
    assert relative.tracking_error is not None
