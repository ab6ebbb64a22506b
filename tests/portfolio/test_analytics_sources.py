"""The analytics' caches over a real store: incremental reads equal a full read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import numpy as np
import pandas as pd
import pytest

from desktop_app.portfolio import PortfolioConfig, PortfolioManager, RiskLimits
from desktop_app.portfolio.analytics_sources import ClosesCache, EquityCurveCache
from desktop_app.portfolio.bar_closes import closes_at_bar_ends

from .analytics_helpers import daily_bars

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def config() -> PortfolioConfig:
    return PortfolioConfig(
        performance_update_interval_s=0, snapshot_interval_s=0, risk_limits=RiskLimits.disabled()
    )


def minute_bars(start: datetime, count: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 1e-3, count)))
    index = pd.date_range(start, periods=count, freq="min", tz="UTC")
    return pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": 1.0}, index=index
    )


def binned(bars: pd.DataFrame, rule: str) -> pd.Series:
    """The reference: each bin's last close, stamped at the bin's last instant."""
    closes = bars["close"].resample(rule).last().dropna()
    closes.index = closes.index + pd.Timedelta(1, unit=rule) - pd.Timedelta(1, unit="ns")
    return closes


async def test_minute_closes_read_in_pieces_equal_one_binning_of_all_bars(tmp_path):
    async with PortfolioManager(config(), data_dir=tmp_path) as pm:
        first, second = minute_bars(T0, 300, 1), minute_bars(T0 + timedelta(minutes=300), 200, 2)
        await pm.store.write_bars("BTC/USDT", first)
        cache = ClosesCache()
        end = T0 + timedelta(hours=10)
        early = await cache.get(pm.store, ["BTC/USDT"], "h", T0 + timedelta(hours=2), end)
        await pm.store.write_bars("BTC/USDT", second)
        later = await cache.get(pm.store, ["BTC/USDT"], "h", T0, end)
    everything = pd.concat([first, second])
    assert early["BTC/USDT"].to_numpy() == pytest.approx(
        binned(first[first.index >= T0 + timedelta(hours=2)], "h").to_numpy()
    )
    pd.testing.assert_series_equal(
        later["BTC/USDT"], binned(everything, "h"), check_names=False, check_freq=False
    )


async def test_daily_bars_keep_their_day_long_spacing_across_incremental_reads(
    tmp_path, prices_dir
):
    async with PortfolioManager(config(), data_dir=tmp_path) as pm:
        await pm.store.import_bars_csv(prices_dir / "ETH-USDT_1d.csv", "ETH/USDT")
        bars = daily_bars(prices_dir, "ETH")
        cache = ClosesCache()
        start, end = bars.index[500].to_pydatetime(), bars.index[900].to_pydatetime()
        await cache.get(pm.store, ["ETH/USDT"], "D", start, end)
        wider = await cache.get(pm.store, ["ETH/USDT"], "D", bars.index[300].to_pydatetime(), end)
    expected = closes_at_bar_ends(bars["close"].iloc[300:901])
    pd.testing.assert_series_equal(wider["ETH/USDT"], expected, check_names=False, check_freq=False)


async def test_the_equity_curve_cache_fetches_only_new_snapshots_and_equals_the_store(tmp_path):
    async with PortfolioManager(config(), data_dir=tmp_path) as pm:
        cache = EquityCurveCache()
        assert await cache.refresh(pm.store)  # the snapshot after the initial capital
        assert not await cache.refresh(pm.store)  # nothing new
        await pm.create_position("BTC/USDT", "long", "0.1", 40_000, fee=D(4))
        await pm.deposit(500)
        assert await cache.refresh(pm.store)
        full = await pm.store.read_equity_curve()
    assert len(cache.frame) == len(full) == 3
    assert cache.frame["net_flow"].sum() == pytest.approx(10_500)
    assert cache.frame["equity"].iloc[-1] == pytest.approx(10_496)
