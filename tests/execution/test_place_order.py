"""PortfolioManager.place_order, unbooked fills and liquidation through the trade executor."""

from __future__ import annotations

import logging
from decimal import Decimal as D

import pytest

from desktop_app.execution import PaperExecutor
from desktop_app.portfolio import (
    Event,
    ExecutionError,
    InvalidOrderError,
    PortfolioManager,
    PortfolioStatus,
    PositionType,
    RebalanceConfig,
    RiskLimitError,
    TradingHaltedError,
    UnbookedFillError,
)

from .venues import (
    FailingJournal,
    PartialExecutor,
    RefusingExecutor,
    assert_ledger_consistent,
    quiet_config,
)

ZERO_COST = {"fee_rate": 0, "slippage_bps": 0}


async def test_buy_opens_a_long_booked_at_the_executor_fill():
    async with PortfolioManager(quiet_config()) as pm:
        await pm.update_prices({"BTC/USDT": 50_000})
        result = await pm.place_order("btc/usdt", "buy", "0.1", strategy="swing", tags="core")
        fill = result.fills[0]
        assert result.execution is not None and fill.price == result.execution.price
        assert fill.price == D("50025") and fill.fee == D("0.1") * D("50025") * D("0.001")
        position = result.positions[0]
        assert position.position_type is PositionType.LONG and position.size == D("0.1")
        assert position.strategy == "swing" and position.tags == ("core",)
        assert result.slippage_cost == D("2.5") and not result.is_partial
        assert pm.position_tracker.cash == D(10_000) - fill.notional - fill.fee


async def test_default_executor_uses_the_rebalance_config_costs_and_follows_changes():
    config = quiet_config(rebalance_config=RebalanceConfig(fee_rate="0.002", slippage_bps=10))
    async with PortfolioManager(config) as pm:
        assert isinstance(pm.trade_executor, PaperExecutor)
        assert (pm.trade_executor.fee_rate, pm.trade_executor.slippage_bps) == (D("0.002"), 10)
        await pm.update_config(rebalance_config=RebalanceConfig(fee_rate=0, slippage_bps=0))
        assert (pm.trade_executor.fee_rate, pm.trade_executor.slippage_bps) == (0, 0)


async def test_sell_reduces_the_long_and_a_flip_is_refused():
    async with PortfolioManager(quiet_config(), trade_executor=PaperExecutor(**ZERO_COST)) as pm:
        await pm.update_prices({"ETH/USDT": 2_000})
        opened = await pm.place_order("ETH/USDT", "buy", 2)
        added = await pm.place_order("ETH/USDT", "buy", 1)
        assert added.positions[0].position_id == opened.positions[0].position_id
        await pm.update_prices({"ETH/USDT": 2_100})
        sold = await pm.place_order("ETH/USDT", "sell", "1.5")
        assert sold.realized_pnl == D(150) and sold.positions[0].size == D("1.5")
        with pytest.raises(InvalidOrderError, match="would close 1.5 and open the opposite"):
            await pm.place_order("ETH/USDT", "sell", 4)
        with pytest.raises(InvalidOrderError, match="reduce-only: only 1.5 is open"):
            await pm.place_order("ETH/USDT", "sell", 2, reduce_only=True)
        with pytest.raises(InvalidOrderError, match="Nothing to reduce"):
            await pm.place_order("BTC/USDT", "buy", 1, reduce_only=True)


async def test_an_order_reduces_its_own_strategys_position_first():
    async with PortfolioManager(quiet_config(), trade_executor=PaperExecutor(**ZERO_COST)) as pm:
        await pm.update_prices({"SOL/USDT": 100})
        manual = await pm.create_position("SOL/USDT", "long", 5, 90)
        grid = await pm.place_order("SOL/USDT", "buy", 2, strategy="grid")
        assert grid.positions[0].position_id != manual.position_id  # a new grid position
        sold = await pm.place_order("SOL/USDT", "sell", 2, strategy="grid")
        assert [f.position_id for f in sold.fills] == [grid.positions[0].position_id]
        assert pm.get_position(manual.position_id).size == 5


async def test_a_pre_trade_check_refuses_before_anything_is_sent():
    executor = RefusingExecutor(set(), **ZERO_COST)

    async def no_doge(effect):
        if effect.fill is not None and effect.fill.symbol == "DOGE/USDT":
            raise RiskLimitError("DOGE is on the restricted list", limit="restricted")

    async with PortfolioManager(quiet_config(), trade_executor=executor) as pm:
        pm.add_pre_trade_check(no_doge)
        await pm.update_prices({"DOGE/USDT": "0.1", "BTC/USDT": 100})
        with pytest.raises(RiskLimitError, match="restricted list"):
            await pm.place_order("DOGE/USDT", "buy", 100)
        assert executor.requests == []  # the venue never saw the order
        await pm.place_order("BTC/USDT", "buy", 1)
        assert [r.symbol for r in executor.requests] == ["BTC/USDT"]


async def test_paused_portfolio_refuses_buys_but_lets_a_market_close_through():
    async with PortfolioManager(quiet_config()) as pm:
        await pm.update_prices({"BTC/USDT": 100})
        await pm.place_order("BTC/USDT", "buy", 2)
        await pm.pause_portfolio("news")
        with pytest.raises(TradingHaltedError, match="paused \\(news\\)"):
            await pm.place_order("BTC/USDT", "buy", 1)
        closed = await pm.place_order("BTC/USDT", "sell", 2)
        assert closed.positions[0].size == 0


async def test_executor_failure_books_nothing():
    journal_entries_before = None
    async with PortfolioManager(
        quiet_config(), trade_executor=RefusingExecutor({"ADA/USDT"})
    ) as pm:
        await pm.update_prices({"ADA/USDT": "0.5"})
        journal_entries_before = pm.position_tracker.sequence
        with pytest.raises(ExecutionError, match="not tradable"):
            await pm.place_order("ADA/USDT", "buy", 100)
        assert pm.position_tracker.sequence == journal_entries_before
        assert pm.position_tracker.cash == D(10_000)


async def test_an_order_without_a_price_is_refused():
    async with PortfolioManager(quiet_config()) as pm:
        with pytest.raises(InvalidOrderError, match="No price known for XRP/USDT"):
            await pm.place_order("XRP/USDT", "buy", 1)


async def test_same_client_order_id_is_sent_and_booked_once():
    executor = RefusingExecutor(set())
    async with PortfolioManager(quiet_config(), trade_executor=executor) as pm:
        await pm.update_prices({"BTC/USDT": 100})
        first = await pm.place_order("BTC/USDT", "buy", 1, client_order_id="plan-1:0")
        again = await pm.place_order("BTC/USDT", "buy", 1, client_order_id="plan-1:0")
        assert again.duplicate and again.fills == first.fills
        assert len(executor.requests) == 1


async def test_partial_fill_books_what_filled_and_says_so():
    executor = PartialExecutor(D("0.25"), **ZERO_COST)
    async with PortfolioManager(quiet_config(), trade_executor=executor) as pm:
        await pm.update_prices({"ETH/USDT": 1_000})
        result = await pm.place_order("ETH/USDT", "buy", 4)
        assert result.is_partial and result.filled_size == 1
        assert pm.get_open_positions()[0].size == 1


async def test_fill_that_cannot_be_booked_is_kept_reported_and_booked_later(caplog):
    journal = FailingJournal()
    errors: list = []
    async with PortfolioManager(quiet_config(), journal=journal) as pm:
        pm.register_callback("error", errors.append)
        await pm.update_prices({"BTC/USDT": 20_000})
        journal.broken = True
        with caplog.at_level(logging.CRITICAL), pytest.raises(UnbookedFillError) as caught:
            await pm.place_order("BTC/USDT", "buy", "0.5")
        assert "FILLED by the executor but is NOT in the ledger" in str(caught.value)
        assert "No space left on device" in caplog.text
        # nothing is lost: the fill is kept, trading is paused, the GUI is told
        assert len(pm.unbooked_fills) == 1 and pm.unbooked_fills[0].remaining_size == D("0.5")
        assert pm.status is PortfolioStatus.PAUSED
        assert errors and errors[0]["source"] == "execution:unbooked_fill"
        assert pm.get_open_positions() == []  # the ledger did not change
        journal.broken = False
        booked = await pm.book_unbooked_fills()
        assert pm.unbooked_fills == []
        assert booked[0].fills[0].price == D("20010") and booked[0].fills[0].size == D("0.5")
        assert pm.get_open_positions()[0].size == D("0.5")
        assert_ledger_consistent(pm, journal)


async def test_liquidation_goes_through_the_executor_and_pays_fees_and_slippage():
    closed_events: list = []
    async with PortfolioManager(quiet_config()) as pm:  # default paper: 0.1 %, 5 bps
        pm.register_callback(Event.POSITION_CLOSED, closed_events.append)
        await pm.create_position("BTC/USDT", "long", 1, 50_000)
        await pm.update_prices({"BTC/USDT": 50_000})
        result = await pm.liquidate_portfolio()
        assert result.success
        fill = result.closed[0].fill
        assert fill.price == D("49975") and fill.fee == D("49.975")
        assert result.realized_pnl == D(-25) - D("49.975")
        assert pm.status is PortfolioStatus.LIQUIDATED
        assert len(closed_events) == 1


async def test_liquidation_reports_a_refused_close_and_closes_the_others():
    executor = RefusingExecutor({"ADA/USDT"}, **ZERO_COST)
    journal = FailingJournal()
    async with PortfolioManager(quiet_config(), trade_executor=executor, journal=journal) as pm:
        ada = await pm.create_position("ADA/USDT", "long", 1_000, "0.5")
        await pm.create_position("BTC/USDT", "long", "0.1", 50_000)
        await pm.create_position("ETH/USDT", "short", 1, 2_000)
        result = await pm.liquidate_portfolio()
        assert not result.success and len(result.closed) == 2
        assert result.failed == (
            (ada.position_id, "ADA/USDT", "ADA/USDT is not tradable on this venue"),
        )
        assert [p.symbol for p in pm.get_open_positions()] == ["ADA/USDT"]
        assert pm.status is PortfolioStatus.LIQUIDATED
        assert "1 position(s) could not be closed" in pm.status_reason
        assert_ledger_consistent(pm, journal)


async def test_liquidation_reports_a_partial_close():
    executor = PartialExecutor(D("0.5"), **ZERO_COST)
    async with PortfolioManager(quiet_config(), trade_executor=executor) as pm:
        pos = await pm.create_position("SOL/USDT", "long", 10, 100)
        result = await pm.liquidate_portfolio()
        assert len(result.closed) == 1 and result.closed[0].fill.size == 5
        assert result.failed == (
            (pos.position_id, "SOL/USDT", "only 5 of 10 was filled; the rest is still open"),
        )
