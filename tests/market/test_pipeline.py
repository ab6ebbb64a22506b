"""PricePipeline: garbage never reaches the engine; one coalesced batch per interval; bars."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from desktop_app.market import (
    DropReason,
    FeedStatus,
    MarketDataError,
    PricePipeline,
    SimulatedFeed,
    Tick,
)
from desktop_app.portfolio import Event, PositionType

from .conftest import ROOMY, T0, ScriptedFeed, eventually, quiet_manager

SYMBOLS = ("BTC/USDT", "ETH/USDT")


def tick(symbol: str, price, seconds: float = 0.0, volume: float = 0.0) -> Tick:
    return Tick(symbol, price, T0 + timedelta(seconds=seconds), volume)


class PriceEvents:
    def __init__(self, manager) -> None:
        self.batches = []
        manager.register_callback(Event.PRICE_UPDATE, self.batches.append)


async def test_every_kind_of_garbage_is_dropped_counted_and_never_reaches_the_engine():
    feed = ScriptedFeed(SYMBOLS, now=T0 + timedelta(seconds=30))
    async with quiet_manager() as pm:
        events = PriceEvents(pm)
        pipeline = PricePipeline(pm, feed, store=None)
        await pipeline.start(run_loop=False)
        feed.push(tick("BTC/USDT", 60_000.0, seconds=20))
        feed.push(
            tick("BTC/USDT", "60000"),  # text, not a number
            tick("BTC/USDT", None),
            tick("BTC/USDT", float("nan")),
            tick("BTC/USDT", float("inf")),
            tick("BTC/USDT", 0.0),
            tick("BTC/USDT", -5.0),
            tick("BTC/USDT", True),
            Tick("BTC/USDT", 1.0, datetime(2025, 6, 2, 12, 0)),  # noqa: DTZ001 (naive on purpose)
            Tick("BTC/USDT", 1.0, "2025-06-02T12:00:00Z"),  # text timestamp
            tick("BTC/USDT", 1.0, seconds=30 + 3600),  # an hour in the future
            tick("BTC/USDT", 1.0, seconds=30 - 86_400),  # a day old
            tick("BTC/USDT", 1.0, seconds=10),  # older than the tick already taken
            tick("DOGE/USDT", 0.1, seconds=25),  # not watched
            tick(None, 1.0, seconds=25),
            ("BTC/USDT",),  # not a tick at all
            42,
        )
        await pipeline.flush()
        stats = pipeline.stats()
        assert stats.ticks_received == 17
        assert stats.ticks_accepted == 1
        assert stats.dropped == {
            DropReason.NOT_A_NUMBER: 3,
            DropReason.NOT_FINITE: 2,
            DropReason.NOT_POSITIVE: 2,
            DropReason.BAD_TIMESTAMP: 2,
            DropReason.FUTURE_TIMESTAMP: 1,
            DropReason.STALE_TIMESTAMP: 1,
            DropReason.OUT_OF_ORDER: 1,
            DropReason.UNKNOWN_SYMBOL: 2,
            DropReason.MALFORMED: 2,
        }
        assert stats.ticks_dropped == 16
        assert [dict(b.prices) for b in events.batches] == [{"BTC/USDT": D("60000.0")}]
        assert pm.position_tracker.last_price("BTC/USDT") == D("60000.0")
        await pipeline.stop()


async def test_decimal_and_integer_prices_are_accepted(clock):
    feed = ScriptedFeed(SYMBOLS)
    async with quiet_manager() as pm, PricePipeline(pm, feed, store=None) as pipeline:
        feed.push(tick("BTC/USDT", D("60000.5")), tick("ETH/USDT", 3000))
        await pipeline.flush()
        assert pm.position_tracker.last_price("BTC/USDT") == D("60000.5")
        assert pm.position_tracker.last_price("ETH/USDT") == D("3000.0")


async def test_bad_ticks_warn_at_most_once_per_interval_with_a_summary(clock, caplog):
    feed = ScriptedFeed(SYMBOLS)
    caplog.set_level(logging.WARNING, logger="desktop_app.market")
    async with quiet_manager() as pm:
        pipeline = PricePipeline(pm, feed, store=None, warn_interval_s=30, clock=clock)
        await pipeline.start(run_loop=False)
        for _ in range(100):
            feed.push(*[tick("BTC/USDT", float("nan"))] * 10, tick("XRP/USDT", 1.0))
        warnings = [r for r in caplog.records if "dropped" in r.getMessage()]
        assert len(warnings) == 1
        assert "NaN or infinite" in warnings[0].getMessage()
        clock.advance(31)
        await pipeline.flush()  # the summary of what came since is written by the timer
        warnings = [r for r in caplog.records if "dropped" in r.getMessage()]
        assert len(warnings) == 2
        assert "990 price is NaN or infinite" in warnings[1].getMessage()
        assert "99 symbol is not watched" in warnings[1].getMessage()
        await pipeline.stop()


async def test_ticks_are_coalesced_last_price_wins_and_the_engine_recomputes_once_per_batch():
    feed = ScriptedFeed(SYMBOLS)
    # a 30 % position: above the default 25 % limit, which is not under test here
    async with quiet_manager(initial_capital=100_000, risk_limits=ROOMY) as pm:
        position = await pm.create_position("BTC/USDT", PositionType.LONG, "0.5", 60_000)
        events = PriceEvents(pm)
        pipeline = PricePipeline(pm, feed, store=None)
        await pipeline.start(run_loop=False)
        for i in range(50):
            feed.push(tick("BTC/USDT", 60_000.0 + i, seconds=i * 0.1), tick("ETH/USDT", 3000.0 + i))
        assert events.batches == []  # nothing reaches the engine between flushes
        assert pipeline.stats().pending_ticks == 100
        batch = await pipeline.flush()
        assert len(events.batches) == 1 and events.batches[0] is batch
        assert dict(batch.prices) == {"BTC/USDT": D("60049.0"), "ETH/USDT": D("3049.0")}
        assert batch.timestamp == T0 + timedelta(seconds=4.9)
        assert pm.get_position(position.position_id).unrealized_pnl == D("24.5")
        assert await pipeline.flush() is None  # nothing pending: no event
        assert len(events.batches) == 1
        stats = pipeline.stats()
        assert (stats.batches_delivered, stats.pending_ticks, stats.max_pending_ticks) == (
            1,
            0,
            100,
        )
        assert stats.last_tick_at["BTC/USDT"] == T0 + timedelta(seconds=4.9)
        await pipeline.stop()


async def test_pnl_is_right_after_every_batch_of_a_simulated_market():
    feed = SimulatedFeed(seed=4, tick_rate_hz=400, start_time=T0, realtime=False)
    async with quiet_manager(initial_capital=1_000_000) as pm:
        sizes = {"BTC/USDT": D("1.5"), "ETH/USDT": D("-20"), "SHIB/USDT": D("1000000")}
        entry = feed.prices()
        for symbol, size in sizes.items():
            side = PositionType.LONG if size > 0 else PositionType.SHORT
            await pm.create_position(symbol, side, abs(size), entry[symbol])
        pipeline = PricePipeline(pm, feed, store=None)
        await pipeline.start(run_loop=False)
        for _ in range(20):
            feed.advance(0.1)
            batch = await pipeline.flush()
            marks = feed.prices()
            expected = sum(
                size * (D(repr(marks[s])) - D(repr(entry[s]))) for s, size in sizes.items()
            )
            assert batch.total_unrealized_pnl == expected
        await pipeline.stop()


async def test_cross_pairs_mark_positions_through_the_conversion_pair():
    feed = ScriptedFeed(("ETH/BTC", "BTC/USDT"))
    async with quiet_manager(initial_capital=100_000) as pm:
        position = await pm.create_position("ETH/USDT", PositionType.LONG, 2, 3000)
        async with PricePipeline(pm, feed, store=None) as pipeline:
            feed.push(tick("ETH/BTC", 0.05), tick("BTC/USDT", 62_000.0))
            await pipeline.flush()
            assert pm.get_position(position.position_id).current_price == D("3100.0")
            feed.push(tick("BTC/USDT", 60_000.0, seconds=1))  # only the rate moves
            await pipeline.flush()
            assert pm.get_position(position.position_id).current_price == D("3000.0")


async def test_a_pair_that_cannot_be_valued_is_refused_and_its_ticks_dropped(caplog):
    feed = ScriptedFeed(("ETH/BTC", "SOL/USDT"))
    caplog.set_level(logging.WARNING, logger="desktop_app.market")
    async with quiet_manager() as pm, PricePipeline(pm, feed, store=None) as pipeline:
        assert "ETH/BTC will not mark positions" in caplog.text
        feed.push(tick("ETH/BTC", 0.05), tick("SOL/USDT", 150.0))
        await pipeline.flush()
        stats = pipeline.stats()
        assert stats.dropped == {DropReason.NO_CONVERSION: 1}
        assert "watch BTC/USDT too" in stats.refused_symbols["ETH/BTC"]
        assert pm.position_tracker.last_price("ETH/USDT") is None


async def test_watching_a_cross_pair_also_watches_its_conversion_pair():
    feed = ScriptedFeed(("BTC/USDT",), watchable=True)
    async with quiet_manager() as pm, PricePipeline(pm, feed, store=None) as pipeline:
        await pipeline.watch("ada/eur")
        assert feed.symbols == {"BTC/USDT", "ADA/EUR", "EUR/USDT"}
        feed.push(tick("ADA/EUR", 0.5), tick("EUR/USDT", 1.1))
        await pipeline.flush()
        assert pm.position_tracker.last_price("ADA/USDT") == D("0.55")


async def test_a_fixed_feed_refuses_to_watch_a_symbol_it_does_not_publish():
    feed = SimulatedFeed(symbols=["BTC/USDT"], seed=1)
    async with quiet_manager() as pm:
        pipeline = PricePipeline(pm, feed, store=None)
        with pytest.raises(MarketDataError, match="simulated feed has no LINK/USDT"):
            await pipeline.watch("LINK/USDT")


async def test_opening_a_position_in_a_new_symbol_watches_it_on_a_live_style_feed():
    feed = ScriptedFeed(("BTC/USDT",), watchable=True)
    async with quiet_manager(risk_limits=ROOMY) as pm:  # 30 % ETH: above the default limit
        await pm.create_position("ETH/USDT", PositionType.LONG, 1, 3000)
        async with PricePipeline(pm, feed, store=None):
            assert "ETH/USDT" in feed.symbols  # open positions are watched on start
            await pm.create_position("SOL/USDT", PositionType.SHORT, 10, 150)
            await eventually(lambda: "SOL/USDT" in feed.symbols)


async def test_completed_bars_go_to_the_store_and_partial_ones_on_stop(bar_store):
    feed = ScriptedFeed(SYMBOLS, now=T0 + timedelta(seconds=50))
    async with quiet_manager() as pm:
        pipeline = PricePipeline(pm, feed, store=bar_store)
        await pipeline.start(run_loop=False)
        feed.push(tick("BTC/USDT", 100.0, 1, volume=2.0), tick("BTC/USDT", 105.0, 30))
        feed.push(tick("ETH/USDT", 10.0, 45))
        feed.clock_time = T0 + timedelta(seconds=61)
        feed.push(tick("BTC/USDT", 99.0, 61))
        await pipeline.flush()
        await pipeline.wait_for_bars()
        assert bar_store.bars["BTC/USDT"].iloc[0].tolist() == [100.0, 105.0, 100.0, 105.0, 2.0]
        assert bar_store.bars["ETH/USDT"]["close"].tolist() == [10.0]
        assert pipeline.stats().bars_written == 2
        await pipeline.stop()  # the open 12:01 bar is kept, not lost
        assert bar_store.bars["BTC/USDT"].index[-1] == T0 + timedelta(minutes=1)
        assert pipeline.stats().bars_written == 3


async def test_a_failed_bar_write_is_retried_on_the_next_flush(bar_store, caplog):
    feed = ScriptedFeed(SYMBOLS, now=T0 + timedelta(seconds=61))
    bar_store.fail_writes = 1
    async with quiet_manager() as pm:
        pipeline = PricePipeline(pm, feed, store=bar_store)
        await pipeline.start(run_loop=False)
        feed.push(tick("BTC/USDT", 100.0, 1))
        await pipeline.flush()
        await pipeline.wait_for_bars()
        assert "will retry" in caplog.text and "BTC/USDT" not in bar_store.bars
        await pipeline.flush()
        await pipeline.wait_for_bars()
        assert bar_store.bars["BTC/USDT"]["close"].tolist() == [100.0]
        stats = pipeline.stats()
        assert (stats.bar_write_errors, stats.bars_written) == (1, 1)
        await pipeline.stop()


async def test_without_a_store_completed_bars_are_not_kept_in_memory():
    feed = SimulatedFeed(seed=1, tick_rate_hz=80, start_time=T0, realtime=False)
    async with quiet_manager() as pm:
        pipeline = PricePipeline(pm, feed, store=None)
        await pipeline.start(run_loop=False)
        for _ in range(10):
            feed.advance(60)
            await pipeline.flush()
        assert pipeline.stats().bars_completed >= 72
        assert pipeline.bars.pending_count == 0
        await pipeline.stop()


async def test_the_pipeline_runs_on_its_own_in_real_time_and_stops_the_feed(clock):
    feed = SimulatedFeed(seed=3, tick_rate_hz=80, batch_interval_s=0.005, clock=clock)
    async with quiet_manager() as pm:
        events = PriceEvents(pm)
        pipeline = PricePipeline(pm, feed, batch_interval_s=0.005, store=None)
        await pipeline.start()
        assert feed.status is FeedStatus.LIVE
        clock.advance(1.0)
        await eventually(lambda: pipeline.stats().ticks_accepted == 80)
        await eventually(lambda: pipeline.stats().pending_ticks == 0)
        assert 1 <= len(events.batches) < 80  # coalesced
        assert pm.position_tracker.last_price("BTC/USDT") == D(repr(feed.prices()["BTC/USDT"]))
        await pipeline.stop()
        assert feed.status is FeedStatus.STOPPED
        await pipeline.stop()  # idempotent


async def test_a_feed_that_keeps_its_clock_in_the_past_is_judged_by_its_own_clock():
    past = datetime(2019, 1, 1, tzinfo=UTC)
    feed = ScriptedFeed(SYMBOLS, now=past)
    async with quiet_manager() as pm, PricePipeline(pm, feed, store=None) as pipeline:
        feed.push(Tick("BTC/USDT", 3800.0, past - timedelta(seconds=30)))
        await pipeline.flush()
        assert pipeline.stats().ticks_accepted == 1
