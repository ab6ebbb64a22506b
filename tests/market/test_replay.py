"""ReplayFeed: real history played back in order, at speed, rebuilding the same bars."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from desktop_app.market import (
    FeedStatus,
    MarketDataError,
    PricePipeline,
    ReplayFeed,
    read_ohlcv_csv,
    symbol_from_filename,
)

from .conftest import eventually, quiet_manager


@pytest.fixture
def minute_bars(prices_dir) -> pd.DataFrame:
    return read_ohlcv_csv(prices_dir / "BTC-USDT-PERP_1m.csv")


def test_symbols_come_from_the_shared_file_names():
    assert symbol_from_filename("BTC-USDT_1d.csv") == "BTC/USDT"
    assert symbol_from_filename("/x/BTC-USDT-PERP_1m.csv") == "BTC/USDT"
    with pytest.raises(MarketDataError, match="cannot tell the symbol"):
        symbol_from_filename("prices.csv")


def test_a_real_csv_replays_bar_by_bar_in_time_order(prices_dir, minute_bars):
    feed = ReplayFeed.from_csv(prices_dir / "BTC-USDT-PERP_1m.csv", speed=60)
    ticks = []
    feed.subscribe(ticks.extend)
    first = minute_bars.iloc[0]
    assert feed.advance(59) == 4  # the first bar's four ticks lie within its minute
    opening = [t.price for t in ticks]
    rising = first["close"] >= first["open"]
    path = ["open", "low", "high", "close"] if rising else ["open", "high", "low", "close"]
    assert opening == [first[c] for c in path]
    assert [t.timestamp.second for t in ticks] == [0, 15, 30, 45]
    assert sum(t.volume for t in ticks) == pytest.approx(first["volume"])
    feed.advance(3600)
    times = [t.timestamp for t in ticks]
    assert times == sorted(times)
    assert len(ticks) == 4 * 61
    assert feed.now() == minute_bars.index[0] + timedelta(seconds=59 + 3600)


async def test_replaying_minute_bars_through_the_pipeline_rebuilds_the_same_bars(
    minute_bars, bar_store
):
    history = minute_bars.iloc[:180]
    feed = ReplayFeed({"BTC/USDT": history}, realtime=False, records_history=True)
    async with quiet_manager() as pm:
        pipeline = PricePipeline(pm, feed, store=bar_store)
        await pipeline.start(run_loop=False)
        while not feed.finished:
            feed.advance(600)
            await pipeline.flush()
        await pipeline.stop()
        rebuilt = bar_store.bars["BTC/USDT"]
        pd.testing.assert_frame_equal(rebuilt, history, check_freq=False, rtol=1e-12)
        assert pipeline.stats().ticks_dropped == 0
        assert float(pm.position_tracker.last_price("BTC/USDT")) == history["close"].iloc[-1]


async def test_two_daily_files_replay_merged_in_time_order_with_nothing_dropped(prices_dir):
    feed = ReplayFeed.from_csv(
        prices_dir / "BTC-USDT_1d.csv",
        prices_dir / "ETH-USDT_1d.csv",
        speed=86_400,
        realtime=False,
    )
    seen: dict[str, list] = {"BTC/USDT": [], "ETH/USDT": []}
    feed.subscribe(lambda ticks: [seen[t.symbol].append(t.timestamp) for t in ticks])
    async with quiet_manager() as pm, PricePipeline(pm, feed, store=None) as pipeline:
        total = feed.remaining_ticks
        assert feed.play_to_end() == total == 2 * 4 * 3064
        await pipeline.flush()
        assert pipeline.stats().ticks_accepted == total
    for times in seen.values():
        assert times == sorted(times)
    assert seen["BTC/USDT"][0] == pd.Timestamp("2017-08-17T00:00:00Z")


def test_start_and_end_choose_the_window_replayed(minute_bars):
    start = minute_bars.index[10].to_pydatetime()
    end = minute_bars.index[19].to_pydatetime()
    feed = ReplayFeed({"BTC/USDT": minute_bars}, start=start, end=end)
    ticks = []
    feed.subscribe(ticks.extend)
    feed.play_to_end()
    assert ticks[0].timestamp == start and ticks[0].price == minute_bars["open"].iloc[10]
    assert ticks[-1].timestamp <= end  # bar 19's open is the last tick inside the window
    assert feed.finished


async def test_real_time_replay_runs_at_speed_and_says_when_it_is_finished(minute_bars, clock):
    feed = ReplayFeed(
        {"BTC/USDT": minute_bars.iloc[:3]}, speed=60, batch_interval_s=0.005, clock=clock
    )
    statuses = []
    feed.add_status_listener(lambda status, message: statuses.append((status, message)))
    ticks = []
    feed.subscribe(ticks.extend)
    await feed.start()
    assert feed.status is FeedStatus.LIVE
    clock.advance(0.9)  # 54 s of history: the first bar
    await eventually(lambda: len(ticks) == 4)
    clock.advance(2.0)
    await feed.wait_finished()
    assert len(ticks) == 12
    assert feed.status is FeedStatus.STOPPED
    assert "replay finished" in statuses[-1][1]
    await feed.stop()


async def test_stored_bars_can_be_replayed(minute_bars, bar_store):
    await bar_store.write_bars("BTC/USDT", minute_bars.iloc[:30])
    feed = await ReplayFeed.from_store(bar_store, ["BTC/USDT"])
    assert feed.play_to_end() == 120


def test_files_that_are_not_ohlcv_are_refused_with_the_reason(tmp_path):
    bad = tmp_path / "BTC-USDT_1m.csv"
    bad.write_text("timestamp,price\n2025-01-01T00:00:00Z,1\n")
    with pytest.raises(MarketDataError, match="lacks the column"):
        ReplayFeed.from_csv(bad)
    bad.write_text("timestamp,open,high,low,close,volume\n2025-01-01T00:00:00Z,1,1,0,1,5\n")
    with pytest.raises(MarketDataError, match="non-positive price"):
        ReplayFeed.from_csv(bad)
    with pytest.raises(MarketDataError, match="cannot read"):
        ReplayFeed.from_csv(tmp_path / "XRP-USDT_1m.csv")


def test_an_empty_history_and_a_bad_speed_are_refused(minute_bars):
    with pytest.raises(MarketDataError, match="nothing to replay"):
        ReplayFeed({"BTC/USDT": minute_bars.iloc[:0]})
    with pytest.raises(MarketDataError, match="speed must be a positive number"):
        ReplayFeed({"BTC/USDT": minute_bars}, speed=np.nan)


async def test_a_replay_never_writes_its_synthetic_bars_over_stored_history(prices_dir, bar_store):
    feed = ReplayFeed.from_csv(prices_dir / "BTC-USDT_1d.csv", realtime=False)
    async with quiet_manager() as pm:
        pipeline = PricePipeline(pm, feed, store=bar_store)
        assert pipeline.store is None
        await pipeline.start(run_loop=False)
        feed.advance(10 * 86_400)
        await pipeline.flush()
        await pipeline.stop()
    assert bar_store.bars == {}
    assert pipeline.stats().bars_completed > 0
