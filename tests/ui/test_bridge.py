"""The engine → Qt bridge: coalesced prices, weak registration, clean detach."""

from __future__ import annotations

import gc

from desktop_app.portfolio import Event, PortfolioConfig, PortfolioManager, PositionType
from desktop_app.ui.bridge import EngineBridge, _WeakRelay

from .helpers import until


def manager() -> PortfolioManager:
    return PortfolioManager(
        PortfolioConfig(initial_capital=1_000_000, performance_update_interval_s=0)
    )


def test_a_burst_of_price_batches_reaches_qt_as_one_flush(run):
    async def scenario():
        engine = manager()
        await engine.initialize()
        await engine.update_prices({"BTC/USDT": 60000})
        bridge = EngineBridge(engine)
        flushes = []
        bridge.pricesUpdated.connect(flushes.append)
        for step in range(200):
            await engine.update_prices({"BTC/USDT": 60000 + step, "ETH/USDT": 3000 - step})
        await until(lambda: flushes, message="a flush")
        assert len(flushes) == 1
        flush = flushes[0]
        assert flush.batches == 200
        assert flush.prices["BTC/USDT"] == 60199 and flush.prices["ETH/USDT"] == 2801
        assert flush.direction["BTC/USDT"] == 1 and flush.direction["ETH/USDT"] == -1
        assert bridge.last_tick_age_s() is not None
        bridge.detach()
        await engine.shutdown()

    run(scenario())


def test_engine_events_arrive_as_signals(run):
    async def scenario():
        engine = manager()
        await engine.initialize()
        bridge = EngineBridge(engine)
        opened, statuses = [], []
        bridge.positionOpened.connect(opened.append)
        bridge.statusChanged.connect(statuses.append)
        position = await engine.create_position("ETH/USDT", PositionType.LONG, 1, 3000)
        await engine.pause_portfolio("test")
        assert [p.position_id for p in opened] == [position.position_id]
        assert [s.value for s in statuses] == ["paused"]
        bridge.detach()
        await engine.shutdown()

    run(scenario())


def test_a_deleted_bridge_unregisters_itself_and_never_leaks(run):
    async def scenario():
        engine = manager()
        await engine.initialize()
        bridge = EngineBridge(engine)
        assert engine.events.has_handlers(Event.POSITION_OPENED)
        del bridge
        gc.collect()
        await engine.create_position("ETH/USDT", PositionType.LONG, 1, 3000)
        handlers = engine.events._handlers[Event.POSITION_OPENED.value]
        assert not any(isinstance(handler, _WeakRelay) for handler in handlers)
        await engine.shutdown()

    run(scenario())


def test_detach_stops_every_signal(run):
    async def scenario():
        engine = manager()
        await engine.initialize()
        bridge = EngineBridge(engine)
        opened = []
        bridge.positionOpened.connect(opened.append)
        bridge.detach()
        await engine.create_position("ETH/USDT", PositionType.LONG, 1, 3000)
        assert opened == []
        relays = [
            handler
            for event in Event
            for handler in engine.events._handlers[event.value]
            if isinstance(handler, _WeakRelay)
        ]
        assert relays == []
        await engine.shutdown()

    run(scenario())


def test_merged_flushes_keep_the_latest_price_and_the_last_real_move():
    from datetime import UTC, datetime
    from decimal import Decimal as D

    from desktop_app.ui.bridge import PriceFlush, merge_flushes

    t0, t1 = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, 0, 0, 1, tzinfo=UTC)
    earlier = PriceFlush(
        {"BTC/USDT": D(100), "ETH/USDT": D(10)},
        {"BTC/USDT": 1, "ETH/USDT": -1},
        t0,
        D(1000),
        D(5),
        2,
    )
    later = PriceFlush(
        {"BTC/USDT": D(101), "SOL/USDT": D(3)}, {"BTC/USDT": 0, "SOL/USDT": 1}, t1, D(1010), D(6), 3
    )
    merged = merge_flushes(earlier, later)
    assert merged.prices == {"BTC/USDT": D(101), "ETH/USDT": D(10), "SOL/USDT": D(3)}
    # BTC's later tick did not move it: the earlier up-tick still colours the cell
    assert merged.direction == {"BTC/USDT": 1, "ETH/USDT": -1, "SOL/USDT": 1}
    assert (merged.timestamp, merged.equity, merged.total_unrealized_pnl) == (t1, D(1010), D(6))
    assert merged.batches == 5
