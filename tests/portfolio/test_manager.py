"""PortfolioManager: status, liquidation, events, concurrency, validation, idempotency."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal as D

import pytest

from desktop_app.execution import PaperExecutor
from desktop_app.portfolio import (
    ConfigError,
    Event,
    InvalidOrderError,
    MemoryJournal,
    PortfolioConfig,
    PortfolioError,
    PortfolioManager,
    PortfolioStatus,
    PortfolioStrategy,
    PositionStatus,
    PositionType,
    RiskLimits,
    TradingHaltedError,
)


def quiet_config(**kw) -> PortfolioConfig:
    return PortfolioConfig(performance_update_interval_s=0, **kw)


async def test_initial_capital_is_the_starting_cash_and_is_journaled():
    journal = MemoryJournal()
    async with PortfolioManager(quiet_config(initial_capital=25_000), journal=journal) as pm:
        summary = await pm.get_portfolio_summary()
        assert summary["cash"] == D(25_000)
        assert summary["total_value"] == D(25_000)
        assert summary["status"] == "active"
        assert len(journal.entries) == 1


async def test_summary_has_the_spec_keys():
    async with PortfolioManager(quiet_config()) as pm:
        await pm.create_position("BTC/USDT", PositionType.LONG, "0.01", 50_000)
        summary = await pm.get_portfolio_summary()
    for key in ("total_value", "cash", "status", "positions"):
        assert key in summary
    for key in ("count", "total_unrealized_pnl", "total_realized_pnl", "total_market_value"):
        assert key in summary["positions"]
    assert summary["positions"]["count"] == 1
    assert summary["allocations"]["BTC/USDT"] == D(500) / D(10_000)


async def test_close_position_returns_a_truthy_result_even_at_zero_pnl():
    async with PortfolioManager(quiet_config()) as pm:
        pos = await pm.create_position("ETH/USDT", "long", 1, 2000)
        result = await pm.close_position(pos.position_id, 2000)
        assert result and result.realized_pnl == 0
        assert result.position.status is PositionStatus.CLOSED


async def test_pause_refuses_new_positions_with_a_message_and_resume_allows_them():
    async with PortfolioManager(quiet_config()) as pm:
        pos = await pm.create_position("ETH/USDT", "long", 1, 2000)
        assert await pm.pause_portfolio("lunch")
        assert pm.status is PortfolioStatus.PAUSED
        with pytest.raises(TradingHaltedError, match="paused \\(lunch\\)"):
            await pm.create_position("BTC/USDT", "long", 1, 100)
        with pytest.raises(TradingHaltedError):
            await pm.add_to_position(pos.position_id, 1, 2000)
        # closing reduces risk, so it stays possible while paused
        await pm.close_position(pos.position_id, 2100, size="0.5")
        assert not await pm.pause_portfolio()  # already paused
        assert await pm.resume_portfolio()
        await pm.create_position("BTC/USDT", "long", "0.01", 100)


async def test_liquidation_closes_everything_at_last_price_and_blocks_trading():
    events: list = []
    # a 50 % BTC position: above the default 25 % position limit, so this test permits it
    limits = RiskLimits(max_single_position_pct=50, max_symbol_exposure_pct=50)
    # a zero-cost paper executor: the closes fill at exactly the last price
    zero_cost = PaperExecutor(fee_rate=0, slippage_bps=0)
    async with PortfolioManager(quiet_config(risk_limits=limits), trade_executor=zero_cost) as pm:
        pm.register_callback("liquidation_completed", events.append)
        a = await pm.create_position("BTC/USDT", "long", "0.1", 50_000)
        await pm.create_position("ETH/USDT", "short", 1, 2_000)
        await pm.update_prices({"BTC/USDT": 51_000, "ETH/USDT": 1_900})
        result = await pm.liquidate_portfolio()
        assert result.success and len(result.closed) == 2
        assert result.realized_pnl == D(100) + D(100)
        assert pm.status is PortfolioStatus.LIQUIDATED
        assert pm.get_open_positions() == []
        assert pm.get_position(a.position_id).exit_price == D(51_000)
        with pytest.raises(TradingHaltedError, match="liquidated"):
            await pm.create_position("BTC/USDT", "long", 1, 1)
        summary = await pm.get_portfolio_summary()
        assert summary["total_value"] == D(10_200)
    assert events == [result]


async def test_sync_and_async_callbacks_fire_and_a_failing_one_is_isolated(caplog):
    calls: list[str] = []
    errors: list = []

    def broken(_):
        raise RuntimeError("boom")

    async def slow(position):
        await asyncio.sleep(0)
        calls.append(f"async:{position.symbol}")

    async with PortfolioManager(quiet_config()) as pm:
        pm.register_callback("position_opened", broken)
        pm.register_callback("position_opened", lambda p: calls.append(f"sync:{p.symbol}"))
        pm.register_callback("position_opened", slow)
        pm.register_callback("error", errors.append)
        with caplog.at_level(logging.ERROR):
            await pm.create_position("SOL/USDT", "long", 1, 100)
        await pm.events.drain()
    assert calls == ["sync:SOL/USDT", "async:SOL/USDT"]
    assert errors and errors[0]["message"] == "boom"
    assert "boom" in caplog.text


async def test_async_handler_may_call_back_into_the_engine():
    async def pause_on_open(_):
        await pm.pause_portfolio("handler paused")

    pm = PortfolioManager(quiet_config())
    async with pm:
        pm.register_callback("position_opened", pause_on_open)
        await pm.create_position("SOL/USDT", "long", 1, 100)
        await pm.events.drain()
        assert pm.status is PortfolioStatus.PAUSED


async def test_unknown_event_name_is_refused():
    async with PortfolioManager(quiet_config()) as pm:
        with pytest.raises(PortfolioError, match="Unknown event 'position_openned'"):
            pm.register_callback("position_openned", print)


async def test_events_fire_for_open_update_close_and_prices():
    seen: list[str] = []
    async with PortfolioManager(quiet_config()) as pm:
        for event in Event:
            pm.register_callback(event, lambda _p, name=event.value: seen.append(name))
        pos = await pm.create_position("BTC/USDT", "long", 2, 10)
        await pm.add_to_position(pos.position_id, 1, 10)
        await pm.close_position(pos.position_id, 11, size=1)
        await pm.close_position(pos.position_id, 11)
        await pm.update_prices({"BTC/USDT": 12})
    assert seen == [
        "fill_booked",
        "position_opened",
        "fill_booked",
        "position_updated",
        "fill_booked",
        "position_updated",
        "fill_booked",
        "position_closed",
        "price_update",
    ]


async def test_concurrent_creates_and_closes_leave_a_consistent_ledger():
    # 50 open positions: above the default limit of 10, so this test permits them
    limits = RiskLimits(max_positions=50)
    async with PortfolioManager(quiet_config(initial_capital=1_000_000, risk_limits=limits)) as pm:
        opened = await asyncio.gather(
            *(pm.create_position("BTC/USDT", "long", 1, 100 + i) for i in range(50))
        )
        await asyncio.gather(*(pm.close_position(p.position_id, 200) for p in opened[:25]))
        summary = await pm.get_portfolio_summary()
        assert summary["positions"]["count"] == 25
        expected_realized = sum(D(200 - (100 + i)) for i in range(25))
        assert summary["positions"]["total_realized_pnl"] == expected_realized
        assert pm.position_tracker.sequence == 1 + 50 + 25


async def test_bad_input_changes_nothing():
    async with PortfolioManager(quiet_config()) as pm:
        pos = await pm.create_position("BTC/USDT", "long", 1, 100)
        before = (
            pm.position_tracker.sequence,
            pm.position_tracker.cash,
            pm.get_position(pos.position_id),
        )
        bad_calls = [
            pm.create_position("BTC/USDT", "long", float("nan"), 100),
            pm.create_position("BTC/USDT", "long", 1, float("inf")),
            pm.create_position("BTCUSDT", "long", 1, 100),
            pm.create_position("BTC/USDT", "sideways", 1, 100),
            pm.close_position(pos.position_id, 100, size=2),
            pm.close_position("missing", 100),
            pm.withdraw(1_000_000),
            pm.set_target_allocations({"BTC/USDT": 0.7, "ETH/USDT": 0.4}),
            pm.set_target_allocations({"BTC/USDT": -0.1}),
        ]
        for call in bad_calls:
            with pytest.raises(PortfolioError):
                await call
        after = (
            pm.position_tracker.sequence,
            pm.position_tracker.cash,
            pm.get_position(pos.position_id),
        )
        assert after == before
        assert pm.config.target_allocations == {}


async def test_target_allocations_are_validated_and_normalised():
    async with PortfolioManager(quiet_config()) as pm:
        assert await pm.set_target_allocations({"btc/usdt": 0.6, "ETH/USDT": "0.4"})
        assert pm.config.target_allocations == {"BTC/USDT": 0.6, "ETH/USDT": 0.4}
        with pytest.raises(ConfigError, match="add up to 110.00 %"):
            await pm.set_target_allocations({"BTC/USDT": 0.6, "ETH/USDT": 0.5})


async def test_same_client_id_books_once():
    async with PortfolioManager(quiet_config()) as pm:
        first = await pm.create_position("BTC/USDT", "long", 1, 100, client_id="order-42")
        again = await pm.create_position("BTC/USDT", "long", 1, 100, client_id="order-42")
        assert again.position_id == first.position_id
        assert len(pm.get_open_positions()) == 1


async def test_every_component_of_the_spec_is_attached():
    from desktop_app.portfolio import PortfolioAnalytics, Rebalancer, RiskManager

    async with PortfolioManager(quiet_config()) as pm:
        assert isinstance(pm.risk_manager, RiskManager)
        assert isinstance(pm.rebalancer, Rebalancer)
        assert isinstance(pm.analytics, PortfolioAnalytics)


def test_strategy_presets_fill_only_the_fields_not_given():
    conservative = PortfolioConfig(strategy=PortfolioStrategy.CONSERVATIVE)
    assert conservative.max_single_position_pct == 10.0
    assert conservative.max_drawdown_pct == 5.0
    aggressive = PortfolioConfig(
        strategy=PortfolioStrategy.AGGRESSIVE, max_single_position_pct=40.0
    )
    assert aggressive.max_single_position_pct == 40.0
    assert aggressive.max_drawdown_pct == 25.0
    with pytest.raises(ConfigError, match="at most 100"):
        PortfolioConfig(max_drawdown_pct=150)


async def test_restart_from_the_journal_restores_state_and_status():
    journal = MemoryJournal()
    async with PortfolioManager(quiet_config(), journal=journal) as pm:
        pos = await pm.create_position("BTC/USDT", "long", 2, 100, fee=1, tags="core")
        await pm.close_position(pos.position_id, 110, size=1)
        await pm.deposit(500)
        await pm.set_target_allocations({"BTC/USDT": 0.5})
        await pm.pause_portfolio("overnight")
        state = (pm.get_position(pos.position_id), pm.position_tracker.cash)
    async with PortfolioManager(quiet_config(), journal=journal) as again:
        assert (again.get_position(pos.position_id), again.position_tracker.cash) == state
        assert again.status is PortfolioStatus.PAUSED
        assert again.status_reason == "overnight"
        assert again.config.target_allocations == {"BTC/USDT": 0.5}


async def test_performance_update_fires_periodically_with_the_summary():
    got: list = []
    async with PortfolioManager(PortfolioConfig(performance_update_interval_s=0.01)) as pm:
        pm.register_callback("performance_update", got.append)
        for _ in range(100):
            if got:
                break
            await asyncio.sleep(0.01)
    assert got and got[0]["total_value"] == D(10_000)


def test_invalid_input_message_names_the_value():
    with pytest.raises(InvalidOrderError, match="size must be greater than zero, got -3"):
        from desktop_app.portfolio.values import positive

        positive(-3, "size")
