"""Closes at bar ends from mixed-resolution history: the one helper and the three readers.

Daily history is imported from the real BTC/USDT file and the feed's 1-minute bars written
for the same symbol, in a real store. The rebalancer (``StoreDailyCloses``), the analytics
(``ClosesCache``) and the risk model (``PriceHistory``) must all see each day's close — the
daily file's where only daily bars exist, the last minute's where minutes exist — and an
hourly reader must find a daily close at the end of its day, never at its open.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from desktop_app.portfolio import PortfolioConfig, PortfolioManager, RiskLimits
from desktop_app.portfolio.analytics_sources import ClosesCache
from desktop_app.portfolio.bar_closes import closes_at_bar_ends, last_close_per_bin
from desktop_app.portfolio.daily_closes import StoreDailyCloses
from desktop_app.portfolio.price_history import PriceHistory

DAY_NS = 86_400 * 10**9


def config() -> PortfolioConfig:
    return PortfolioConfig(
        performance_update_interval_s=0, snapshot_interval_s=0, risk_limits=RiskLimits.disabled()
    )


def test_each_close_sits_at_the_last_instant_of_its_own_bar():
    opened = pd.DatetimeIndex(
        ["2025-03-01", "2025-03-02", "2025-03-03 12:00", "2025-03-03 12:01"], tz="UTC"
    )
    bars = pd.DataFrame(
        {"close": [10.0, 11.0, 12.0, 0.0], "interval_s": [86_400, 86_400, 60, 60]}, index=opened
    )
    closes = closes_at_bar_ends(bars)
    one_ns = pd.Timedelta(1, "ns")
    assert closes.index.tolist() == [
        pd.Timestamp("2025-03-02", tz="UTC") - one_ns,  # a day's close: at midnight after it
        pd.Timestamp("2025-03-03", tz="UTC") - one_ns,
        pd.Timestamp("2025-03-03 12:01", tz="UTC") - one_ns,  # a minute's: a minute later
    ]  # the non-positive close is dropped
    assert closes.tolist() == [10.0, 11.0, 12.0]
    assert closes_at_bar_ends(bars, max_interval_s=3_600).tolist() == [12.0]
    daily = last_close_per_bin(closes, "1D")
    assert daily.index.strftime("%Y-%m-%d").tolist() == ["2025-03-01", "2025-03-02", "2025-03-03"]


def test_bars_without_an_interval_column_take_their_smallest_spacing():
    index = pd.date_range("2025-01-01", periods=3, freq="4h", tz="UTC").delete(1)  # 8 h apart
    closes = pd.Series([1.0, 2.0], index=index)
    ends = closes_at_bar_ends(closes).index + pd.Timedelta(1, "ns")
    assert (ends - index).unique().tolist() == [pd.Timedelta(hours=8)]
    assert closes_at_bar_ends(closes, interval_s=3_600).index[0] == index[0] + pd.Timedelta(
        hours=1
    ) - pd.Timedelta(1, "ns")


def minute_path(start: str, first: float, last: float, minutes: int) -> pd.DataFrame:
    index = pd.date_range(start, periods=minutes, freq="1min", tz="UTC", name="timestamp")
    close = np.linspace(first, last, minutes)
    return pd.DataFrame(
        {"open": close, "high": close * 1.0001, "low": close * 0.9999, "close": close, "volume": 1},
        index=index,
    )


@pytest.fixture
def daily_file(prices_dir) -> pd.DataFrame:
    frame = pd.read_csv(prices_dir / "BTC-USDT_1d.csv", parse_dates=["timestamp"])
    return frame.set_index("timestamp")


async def test_daily_closes_from_mixed_history_are_the_files_then_the_last_minutes(
    tmp_path, prices_dir, daily_file
):
    evening = minute_path("2026-01-03 20:00", 90_000.0, 90_500.0, 60)  # a day with a daily bar
    next_day = minute_path("2026-01-06 00:00", 93_900.0, 94_200.0, 90)  # after the file ends
    async with PortfolioManager(config(), data_dir=tmp_path) as pm:
        await pm.store.import_bars_csv(prices_dir / "BTC-USDT_1d.csv", "BTC/USDT")
        await pm.store.write_bars("BTC/USDT", evening)
        await pm.store.write_bars("BTC/USDT", next_day)
        end = datetime(2026, 1, 6, 2, tzinfo=UTC)
        rebalancer = await StoreDailyCloses(pm).daily_closes(["BTC/USDT"], 20, end)
        analytics = await ClosesCache().get(
            pm.store, ["BTC/USDT"], "D", end - timedelta(days=25), end
        )
        risk = (await PriceHistory(lambda: pm.store, lookback_days=30).get(["BTC/USDT"]))[
            "BTC/USDT"
        ]
    expected = daily_file["close"].copy()
    expected["2026-01-03"] = 90_500.0  # the last minute of 3 January, not the daily bar
    expected[pd.Timestamp("2026-01-06", tz="UTC")] = 94_200.0  # today so far: the last minute
    expected = expected.iloc[-21:]
    pd.testing.assert_series_equal(
        rebalancer["BTC/USDT"],
        expected,
        check_names=False,
        check_freq=False,
        check_index_type=False,
    )
    from_analytics = analytics["BTC/USDT"].iloc[-21:]  # stamped at each day's last instant
    np.testing.assert_array_equal(from_analytics.to_numpy(), expected.to_numpy())
    assert (from_analytics.index == expected.index + pd.Timedelta(DAY_NS - 1, "ns")).all()
    days = pd.DatetimeIndex(expected.index).as_unit("s").asi8 // 86_400
    np.testing.assert_array_equal(risk.day_keys[-21:], days)
    np.testing.assert_array_equal(risk.daily[-21:], expected.to_numpy())


async def test_an_hourly_reader_finds_a_daily_close_at_the_end_of_its_day(
    tmp_path, prices_dir, daily_file
):
    async with PortfolioManager(config(), data_dir=tmp_path) as pm:
        await pm.store.import_bars_csv(prices_dir / "BTC-USDT_1d.csv", "BTC/USDT")
        await pm.store.write_bars(
            "BTC/USDT", minute_path("2026-01-06 00:00", 93_900.0, 94_200.0, 90)
        )
        start, end = datetime(2026, 1, 3, tzinfo=UTC), datetime(2026, 1, 6, 2, tzinfo=UTC)
        hourly = (await ClosesCache().get(pm.store, ["BTC/USDT"], "h", start, end))["BTC/USDT"]
    hours = hourly.index.strftime("%Y-%m-%d %H:%M").tolist()
    # one observation per day of daily bars, in the hour that ends at midnight; no hour is
    # made up in between; then the minutes' own hours
    assert hours == [
        "2026-01-03 23:59",
        "2026-01-04 23:59",
        "2026-01-05 23:59",
        "2026-01-06 00:59",
        "2026-01-06 01:59",
    ]
    daily = daily_file["close"]
    assert hourly.iloc[:3].tolist() == daily.loc["2026-01-03":"2026-01-05"].tolist()
    assert hourly.iloc[-1] == 94_200.0


async def test_the_risk_history_refreshed_as_minutes_arrive_equals_a_fresh_read(
    tmp_path, prices_dir
):
    async with PortfolioManager(config(), data_dir=tmp_path) as pm:
        await pm.store.import_bars_csv(prices_dir / "BTC-USDT_1d.csv", "BTC/USDT")
        cached = PriceHistory(lambda: pm.store, lookback_days=30, refresh_interval_s=0)
        before = (await cached.get(["BTC/USDT"]))["BTC/USDT"]
        assert before.hour_keys.size == 0 and before.day_keys.size >= 30 + 1
        # the feed runs in the evening of the file's last day, then into the next day
        for start, first, last, minutes in (
            ("2026-01-05 22:00", 93_000.0, 93_500.0, 90),
            ("2026-01-05 23:30", 93_500.0, 93_700.0, 30),
            ("2026-01-06 00:15", 93_650.0, 93_900.0, 20),
        ):
            await pm.store.write_bars("BTC/USDT", minute_path(start, first, last, minutes))
            refreshed = (await cached.get(["BTC/USDT"], refresh=True))["BTC/USDT"]
            fresh = (await PriceHistory(lambda: pm.store, lookback_days=30).get(["BTC/USDT"]))[
                "BTC/USDT"
            ]
            for field in ("hour_keys", "hourly", "day_keys", "daily"):
                np.testing.assert_array_equal(getattr(refreshed, field), getattr(fresh, field))
    assert refreshed.daily[-2:].tolist() == [93_700.0, 93_900.0]  # 5 Jan: its last minute
    assert refreshed.hour_keys.size == 3  # 22:00-22:59 … 00:00-00:59, never a daily close
