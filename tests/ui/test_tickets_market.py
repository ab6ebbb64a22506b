"""Market orders from the tickets: through the executor, with the expected and actual fill."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt

from desktop_app.portfolio import PositionType
from desktop_app.ui.dialogs.market_order import OrderType

from .helpers import until
from .test_tickets import open_ticket, type_into

LEFT = Qt.MouseButton.LeftButton
SLIP = Decimal("0.0005")  # the default paper executor: 5 bps of slippage, 0.1 % fee
FEE_RATE = Decimal("0.001")


def choose(dialog, kind: OrderType) -> None:
    dialog.order_type.setCurrentIndex(dialog.order_type.findData(kind))


def test_booking_a_fill_stays_the_default_order_type(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(prices={"BTC/USDT": 64_000})
        dialog = open_ticket(qtbot, desk, "BTC/USDT")
        assert dialog.order_type.currentData() is OrderType.BOOK
        assert not dialog.price.isReadOnly() and dialog.live_button.isVisible()

    run(scenario())


def test_a_market_buy_fills_through_the_executor_and_reports_the_fill(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(prices={"BTC/USDT": 64_000})
        dialog = open_ticket(qtbot, desk, "BTC/USDT")
        choose(dialog, OrderType.MARKET)
        assert dialog.price.isReadOnly() and not dialog.live_button.isVisible()
        type_into(qtbot, dialog.size, "0.25")
        expected = Decimal(64_000) * (1 + SLIP)  # 64,032
        assert "Expected fill ≈ 64,032.00 (last 64,000.00, slippage 5 bps)" in (
            dialog.summary.text()
        )
        assert "fee ≈ 16.01 USDT (0.1 % of notional)" in dialog.summary.text()
        assert dialog.ok_button.text() == "Buy at market"
        qtbot.mouseClick(dialog.ok_button, LEFT)
        model = desk.window.positions.model
        await until(lambda: model.row_count() == 1, message="the filled position")
        position = model.rows()[0]
        assert position.entry_price == expected  # the executor's price, not the typed one
        assert position.fees_paid == Decimal("0.25") * expected * FEE_RATE
        fill = desk.manager.position_tracker.recent_fills()[0]
        assert (fill.price, fill.size) == (expected, Decimal("0.25"))
        log = desk.window.event_log.messages()
        assert any(
            "Market BUY 0.250000 BTC/USDT filled at 64,032.00 (expected 64,032.00, +0.0 bps)"
            in message
            for message in log
        )

    run(scenario())


def test_an_open_ticket_refuses_a_market_order_that_would_reduce_a_position(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(prices={"ETH/USDT": 3_000})
        await desk.book("ETH/USDT", "2", 3_000)
        dialog = open_ticket(qtbot, desk, "ETH/USDT")
        choose(dialog, OrderType.MARKET)
        qtbot.mouseClick(dialog.short_button, LEFT)
        type_into(qtbot, dialog.size, "1")
        assert not dialog.ok_button.isEnabled()
        assert "would reduce your LONG position first" in dialog.error.text()
        choose(dialog, OrderType.BOOK)  # booking a separate short stays possible
        assert dialog.ok_button.isEnabled()

    run(scenario())


def test_a_market_close_reduces_exactly_that_position_through_the_executor(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(prices={"BTC/USDT": 60_000})
        other = await desk.book("BTC/USDT", "0.3", 60_000, strategy="swing")
        target = await desk.book("BTC/USDT", "0.5", 60_000)
        await desk.manager.update_prices({"BTC/USDT": 62_000})
        dialog = desk.window.trading.close_position(target.position_id, 50)
        choose(dialog, OrderType.MARKET)
        assert dialog.price.isReadOnly()
        expected = Decimal(62_000) * (1 - SLIP)  # a sell gets less: 61,969
        fee = Decimal("0.25") * expected * FEE_RATE
        realized = (expected - 60_000) * Decimal("0.25") - fee
        assert dialog.preview.text() == f"+{realized:,.2f}"
        assert dialog.ok_button.text() == "Sell 50 % at market"
        qtbot.mouseClick(dialog.ok_button, LEFT)
        await until(lambda: desk.window.trading.close_dialog is None, message="the close")
        closed = desk.manager.get_position(target.position_id)
        assert closed.size == Decimal("0.25") and closed.realized_pnl == realized
        assert desk.manager.get_position(other.position_id).size == Decimal("0.3")
        assert closed.position_type is PositionType.LONG

    run(scenario())
