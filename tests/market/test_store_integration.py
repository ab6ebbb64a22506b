"""Bars from the pipeline in a real SQLite Store; the feed's minutes beside imported history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from desktop_app.market import PricePipeline, ReplayFeed, SimulatedFeed
from desktop_app.market.history import backfill_missing_bars
from desktop_app.portfolio import PortfolioConfig, PortfolioManager
from desktop_app.store import Store

from .conftest import T0


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


class MinuteHistory:
    """A history source (the exchange's role in a backfill): flat 1-minute bars on request."""

    def __init__(self) -> None:
        self.calls: list[tuple[datetime, datetime]] = []

    async def fetch_bars(self, symbol: str, since: datetime, until: datetime) -> pd.DataFrame:
        self.calls.append((since, until))
        index = pd.date_range(since, until, freq="1min", inclusive="left", name="timestamp")
        return pd.DataFrame(
            {"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 0.0}, index=index
        )


async def test_a_backfill_follows_the_stored_minutes_not_imported_daily_history(
    tmp_path, prices_dir
):
    now = datetime(2026, 1, 6, 12, 0, 30, tzinfo=UTC)  # the daily file's last bar: 5 January
    store = Store(tmp_path)
    try:
        await store.import_bars_csv(prices_dir / "BTC-USDT_1d.csv", "BTC/USDT")
        await store.import_bars_csv(prices_dir / "ETH-USDT_1d.csv", "ETH/USDT")
        last_minute = datetime(2026, 1, 4, 21, 0, tzinfo=UTC)  # before the last daily bar
        minute = pd.DataFrame(
            {"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 0.0},
            index=pd.DatetimeIndex([last_minute], name="timestamp"),
        )
        await store.write_bars("BTC/USDT", minute)
        source = MinuteHistory()
        written = await backfill_missing_bars(
            store, source, ["BTC/USDT", "ETH/USDT"], max_days=2, now=now
        )
        eth = await store.bar_intervals("ETH/USDT")
    finally:
        await store.close()
    btc_call, eth_call = source.calls
    assert btc_call == (last_minute + timedelta(minutes=1), datetime(2026, 1, 6, 12, tzinfo=UTC))
    # no minute of ETH stored: the backfill reaches back max_days, not to the daily file's end
    assert eth_call[0] == datetime(2026, 1, 4, 12, tzinfo=UTC)
    assert written == {"BTC/USDT": 24 * 60 + 14 * 60 + 59, "ETH/USDT": 2 * 24 * 60}
    assert [(i.interval_s, i.count) for i in eth] == [(60, 2 * 24 * 60), (86_400, 3_064)]


async def test_a_replay_from_the_store_plays_the_feed_minutes_not_daily_history(
    tmp_path, prices_dir
):
    store = Store(tmp_path)
    try:
        await store.import_bars_csv(prices_dir / "BTC-USDT_1d.csv", "BTC/USDT")
        minutes = pd.read_csv(prices_dir / "BTC-USDT-PERP_1m.csv", parse_dates=["timestamp"])
        minutes = minutes.set_index("timestamp").iloc[:30]
        await store.write_bars("BTC/USDT", minutes)
        feed = await ReplayFeed.from_store(store, ["BTC/USDT"], realtime=False)
    finally:
        await store.close()
    ticks: list = []
    feed.subscribe(ticks.extend)
    assert feed.play_to_end() == 4 * 30  # four ticks per stored minute, none per day
    assert ticks[0].timestamp == minutes.index[0].to_pydatetime()
    assert ticks[-1].price == minutes["close"].iloc[-1]
    assert ticks[-1].timestamp == minutes.index[-1] + timedelta(seconds=45)
