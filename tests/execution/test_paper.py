"""PaperExecutor and PaperBalanceManager: fills, fees, slippage, lot sizes, a spot account."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from desktop_app.execution import (
    BalanceManager,
    OrderRequest,
    PaperBalanceManager,
    PaperExecutor,
    SupportsLotSize,
    TradeExecutor,
)
from desktop_app.portfolio import ExecutionError, InvalidOrderError, OrderSide


def request(side=OrderSide.BUY, size="0.5", price="50000", symbol="BTC/USDT", **kw):
    return OrderRequest(
        symbol=symbol,
        side=side,
        size=D(size),
        client_order_id="c-1",
        reference_price=None if price is None else D(price),
        **kw,
    )


def test_paper_types_satisfy_the_protocols():
    assert isinstance(PaperExecutor(), TradeExecutor)
    assert isinstance(PaperExecutor(), SupportsLotSize)
    assert isinstance(PaperBalanceManager(), BalanceManager)


async def test_buy_fills_at_mark_plus_slippage_and_pays_the_fee_rate():
    executor = PaperExecutor(fee_rate="0.001", slippage_bps=5)
    fill = await executor.place_order(request())
    assert fill.price == D("50025")  # 50,000 * (1 + 5 / 10,000)
    assert fill.fee == D("0.5") * D("50025") * D("0.001")
    assert fill.size == D("0.5") and fill.fee_currency == "USDT"
    assert fill.client_order_id == "c-1" and fill.order_id.startswith("paper-")
    assert fill.slippage_cost(D(50_000)) == D("12.5")


async def test_sell_fills_below_the_mark():
    fill = await PaperExecutor(fee_rate=0, slippage_bps=10).place_order(request(OrderSide.SELL))
    assert fill.price == D("49950") and fill.fee == 0
    assert fill.slippage_cost(D(50_000)) == D(25)


async def test_own_price_source_wins_over_the_reference_price():
    executor = PaperExecutor(slippage_bps=0, price_source={"BTC/USDT": D(51_000)}.get)
    assert (await executor.place_order(request())).price == D(51_000)


async def test_no_price_at_all_is_refused_with_a_reason():
    with pytest.raises(ExecutionError, match="No market price for BTC/USDT"):
        await PaperExecutor().place_order(request(price=None))


async def test_lot_size_is_enforced_like_an_exchange():
    executor = PaperExecutor(lot_sizes={"btc/usdt": "0.001"})
    assert executor.lot_size("BTC/USDT") == D("0.001")
    assert executor.lot_size("ETH/USDT") is None
    with pytest.raises(ExecutionError, match="not a multiple of its lot size 0.001"):
        await executor.place_order(request(size="0.0015"))
    assert (await executor.place_order(request(size="0.002"))).size == D("0.002")


def test_unrealistic_costs_are_refused():
    with pytest.raises(InvalidOrderError, match="fee rate"):
        PaperExecutor(fee_rate=1)
    with pytest.raises(InvalidOrderError, match="negative"):
        PaperExecutor(slippage_bps=-1)


async def test_linked_account_settles_fills_and_refuses_what_it_cannot_pay():
    account = PaperBalanceManager({"USDT": 1_000})
    executor = PaperExecutor(fee_rate="0.001", slippage_bps=0, account=account)
    await executor.place_order(request(size="0.01", price="50000"))
    assert account.balance("BTC") == D("0.01")
    assert account.balance("USDT") == D(1000) - D(500) - D("0.5")
    with pytest.raises(ExecutionError, match="Insufficient USDT"):
        await executor.place_order(request(size="0.01", price="50000"))
    with pytest.raises(ExecutionError, match="Insufficient BTC"):
        await executor.place_order(request(OrderSide.SELL, size="0.02"))
    assert account.balance("BTC") == D("0.01")  # refused orders move nothing


async def test_balance_manager_reports_balances_and_simulates_outside_activity():
    account = PaperBalanceManager({"usdt": "100"})
    await account.initialize()
    account.deposit("ETH", 2)
    account.record_external_trade("ETH/USDT", "sell", 1, 50, fee="0.05")
    assert await account.sync() == {"USDT": D("149.95"), "ETH": D(1)}
    assert account.sync_count == 1
    with pytest.raises(InvalidOrderError, match="holds 1"):
        account.withdraw("ETH", 2)
