"""Bars from the pipeline in a real SQLite Store (runs once the storage layer is merged)."""

from __future__ import annotations

import pytest

from desktop_app.market import PricePipeline, SimulatedFeed
from desktop_app.portfolio import PortfolioConfig, PortfolioManager

from .conftest import T0

pytest.importorskip("desktop_app.store", reason="the Store arrives with the storage branch")


async def test_simulated_minutes_are_stored_as_bars_in_the_portfolio_database(tmp_path):
    config = PortfolioConfig(performance_update_interval_s=0)
    async with PortfolioManager(config, data_dir=tmp_path) as pm:
        assert pm.store is not None
        feed = SimulatedFeed(seed=5, tick_rate_hz=80, start_time=T0, realtime=False)
        pipeline = PricePipeline(pm, feed)
        await pipeline.start(run_loop=False)
        for _ in range(30):  # five simulated minutes
            feed.advance(10)
            await pipeline.flush()
        await pipeline.stop()
        bars = await pm.store.read_bars("BTC/USDT")
        assert len(bars) == 6  # five whole minutes, and 12:05's first tick kept on stop
        assert str(bars.index.tz) == "UTC" and bars.index[0] == T0
        assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
        assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
        assert await pm.store.last_bar_time("BTC/USDT") == bars.index[-1]
        assert set(await pm.store.bar_symbols()) == set(feed.symbols)
