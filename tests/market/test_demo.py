"""The DEMO portfolio: seeded once, on a brand-new ledger, at the simulated prices."""

from __future__ import annotations

from decimal import Decimal as D

import numpy as np
import pytest

from desktop_app.lazy import pd
from desktop_app.market import (
    DEMO_BOOK,
    DEMO_HISTORY_DAYS,
    DEMO_TARGETS,
    DemoHistoryClock,
    MarketDataError,
    PricePipeline,
    SimulatedFeed,
    is_new_ledger,
    seed_demo_history,
    seed_demo_portfolio,
)
from desktop_app.market.demo import history_start
from desktop_app.portfolio import Event, PortfolioManager, PositionType

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
        assert D("0.199") < summary["allocations"]["BTC/USDT"] < D("0.201")
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


def test_simulated_history_ends_at_the_current_prices_on_the_hour_grid():
    feed = SimulatedFeed(seed=3, start_time=T0)
    feed.step(25)
    live = SimulatedFeed(seed=3, start_time=T0)
    live.step(25)
    history = feed.history(10, 3600, seed=1)
    assert set(history) == set(feed.prices())
    for symbol, bars in history.items():
        assert len(bars) == 240 and bars.index.is_monotonic_increasing
        assert (bars.index.to_series().diff().dropna() == pd.Timedelta(hours=1)).all()
        assert bars.index[-1] + pd.Timedelta(hours=1) <= feed.now()
        assert bars["close"].iloc[-1] == feed.prices()[symbol]  # exactly today's price
        assert (bars["open"].iloc[1:].to_numpy() == bars["close"].iloc[:-1].to_numpy()).all()
        assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
        assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
        assert (bars["low"] > 0).all()
    again = feed.history(10, 3600, seed=1)["BTC/USDT"]
    assert again.equals(history["BTC/USDT"])  # reproducible from its seed
    assert feed.step(3) and [t.price for t in feed.step(2)] == [t.price for t in live.step(5)[-16:]]


def test_simulated_history_moves_like_the_model():
    feed = SimulatedFeed(seed=3)
    closes = feed.history(3 * 365, 86_400, seed=2)["BTC/USDT"]["close"].to_numpy()
    daily = np.diff(np.log(closes))
    sigma = feed.params.volatility_annual[feed.params.symbols.index("BTC/USDT")]
    assert daily.std() * np.sqrt(365) == pytest.approx(sigma, rel=0.1)


def test_bad_history_requests_are_refused():
    feed = SimulatedFeed(seed=3)
    with pytest.raises(MarketDataError, match="positive"):
        feed.history(-1)
    with pytest.raises(MarketDataError, match="no bar"):
        feed.history(0.01, 86_400)


async def test_a_new_demo_lives_through_three_months_of_history(tmp_path):
    feed = SimulatedFeed(seed=8)
    clock = DemoHistoryClock()
    async with PortfolioManager(data_dir=tmp_path, clock=clock) as pm:
        assert await seed_demo_history(pm, feed)
        assert pm.clock == feed.now  # handed over to the market once the history is played
        fills = pm.position_tracker.recent_fills(50)
        assert {fill.timestamp for fill in fills} == {clock.moment}
        assert clock.moment == history_start(feed.now())
        curve = await pm.store.read_equity_curve()
        assert curve.index[0].to_pydatetime() == clock.moment
        assert len(curve) >= DEMO_HISTORY_DAYS * 24
        bars = await pm.store.read_bars("ETH/USDT")
        assert len(bars) == DEMO_HISTORY_DAYS * 24 and (bars["interval_s"] == 3600).all()
        summary = await pm.get_portfolio_summary()
        assert summary["status"] == "active"  # the shipped history trips no breaker
        assert summary["target_allocations"] == DEMO_TARGETS
        tracker = pm.position_tracker
        marks = {p.symbol: p.current_price for p in tracker.get_all_open_positions()}
        assert marks == {s: D(repr(p)) for s, p in feed.prices().items() if s in marks}
        assert summary["total_value"] == tracker.cash + sum(
            p.market_value for p in tracker.get_all_open_positions()
        )
        metrics = await pm.risk_manager.calculate_risk_metrics()
        assert metrics.var_95 is not None and metrics.correlation is not None
        assert metrics.sharpe_ratio is not None and metrics.beta_btc is not None
        performance = await pm.analytics.calculate_performance_metrics("all_time")
        equity = curve["equity"]
        assert performance.statistics.total_return == pytest.approx(
            equity.iloc[-1] / equity.iloc[0] - 1, rel=1e-9
        )
        assert not await seed_demo_history(pm, feed)  # once only


async def test_a_demo_on_the_wall_clock_opens_now_without_replaying(tmp_path):
    feed = SimulatedFeed(seed=8)
    async with PortfolioManager(data_dir=tmp_path) as pm:
        assert await seed_demo_history(pm, feed)
        fills = pm.position_tracker.recent_fills(50)
        opened = {fill.timestamp for fill in fills}
        assert (
            len(opened) == 1
            and next(iter(opened)) >= pm.position_tracker.cash_movements()[0].timestamp
        )
        assert {p.entry_price for p in pm.position_tracker.get_all_open_positions()} <= {
            D(repr(price)) for price in feed.prices().values()
        }


def test_a_simulation_resumes_from_the_last_closes_it_is_given():
    feed = SimulatedFeed(seed=3, start_time=T0)
    moved = feed.resume_from({"BTC/USDT": 50_000.0, "ETH/USDT": 2_500.0, "PEPE/USDT": 1.0})
    assert moved == ["BTC/USDT", "ETH/USDT"]  # a symbol it does not simulate is ignored
    assert feed.prices()["BTC/USDT"] == 50_000.0
    shipped = SimulatedFeed(seed=3, start_time=T0).prices()
    assert feed.prices()["SOL/USDT"] == shipped["SOL/USDT"]
    first = {tick.symbol: tick.price for tick in feed.step(1)}
    assert first["BTC/USDT"] == pytest.approx(50_000.0, rel=0.01)  # a step on, not a jump
    with pytest.raises(MarketDataError, match="cannot resume ETH/USDT"):
        feed.resume_from({"ETH/USDT": float("nan")})
