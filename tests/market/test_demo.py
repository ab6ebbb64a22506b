"""The DEMO portfolio: seeded once, on a brand-new ledger, at the simulated prices."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from desktop_app.market import (
    DEMO_BOOK,
    DEMO_TARGETS,
    MarketDataError,
    PricePipeline,
    SimulatedFeed,
    is_new_ledger,
    seed_demo_portfolio,
)
from desktop_app.portfolio import Event, PositionType

from .conftest import T0, quiet_manager


async def test_a_new_ledger_gets_the_demo_book_at_the_simulated_prices():
    feed = SimulatedFeed(seed=21, start_time=T0)
    feed.step(10)
    prices = feed.prices()
    async with quiet_manager() as pm:
        changes = []
        pm.register_callback(Event.CONFIG_CHANGED, changes.append)
        assert is_new_ledger(pm)
        assert await seed_demo_portfolio(pm, prices)
        assert pm.config.demo is True and changes[-1].demo is True
        positions = pm.get_open_positions()
        assert {p.symbol for p in positions} == {item.symbol for item in DEMO_BOOK}
        by_symbol = {p.symbol: p for p in positions}
        assert by_symbol["XRP/USDT"].position_type is PositionType.SHORT
        assert by_symbol["BTC/USDT"].strategy == "core" and "demo" in by_symbol["BTC/USDT"].tags
        for position in positions:
            assert position.entry_price == D(repr(prices[position.symbol]))
        summary = await pm.get_portfolio_summary()
        assert summary["target_allocations"] == DEMO_TARGETS
        # sized on equity: BTC about 25 % of it; paid fees are the only loss at entry
        assert D("0.249") < summary["allocations"]["BTC/USDT"] < D("0.251")
        fees = summary["positions"]["total_fees"]
        assert D(0) < fees < D(20)
        assert summary["total_value"] == D(10_000) - fees
        assert not is_new_ledger(pm)


async def test_the_demo_is_never_seeded_over_existing_trades():
    async with quiet_manager() as pm:
        await pm.create_position("BTC/USDT", PositionType.LONG, "0.01", 60_000)
        assert not await seed_demo_portfolio(pm)
        assert len(pm.get_open_positions()) == 1
        assert pm.config.demo is False


async def test_a_second_seed_does_nothing():
    async with quiet_manager() as pm:
        assert await seed_demo_portfolio(pm)
        assert not await seed_demo_portfolio(pm)
        assert len(pm.get_open_positions()) == len(DEMO_BOOK)


async def test_a_portfolio_without_cash_gets_demo_capital():
    async with quiet_manager(initial_capital=0) as pm:
        assert await seed_demo_portfolio(pm)
        assert pm.position_tracker.net_deposits == D(10_000)


async def test_the_demo_needs_a_price_for_every_symbol_of_its_book():
    async with quiet_manager() as pm:
        with pytest.raises(MarketDataError, match="needs prices for"):
            await seed_demo_portfolio(pm, {"BTC/USDT": 60_000})
        assert is_new_ledger(pm) and pm.config.demo is False


async def test_the_demo_then_moves_with_the_simulated_market():
    feed = SimulatedFeed(seed=8, tick_rate_hz=400, start_time=T0, realtime=False)
    async with quiet_manager() as pm:
        await seed_demo_portfolio(pm, feed.prices())
        before = (await pm.get_portfolio_summary())["total_value"]
        async with PricePipeline(pm, feed, store=None) as pipeline:
            feed.advance(30)
            await pipeline.flush()
        after = (await pm.get_portfolio_summary())["total_value"]
        assert after != before
