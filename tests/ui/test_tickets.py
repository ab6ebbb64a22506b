"""Opening and closing positions through the real tickets, as a trader does."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from desktop_app.portfolio import PortfolioConfig, PortfolioManager, PortfolioStatus, PositionType
from desktop_app.portfolio.risk_limits import RiskLimits

from .helpers import settle, until

LEFT = Qt.MouseButton.LeftButton
PRICES = {"BTC/USDT": 64000, "ETH/USDT": 3200, "SHIB/USDT": "0.00001234"}


def action(window, name: str) -> QAction:
    found = window.findChild(QAction, name)
    assert found is not None, name
    return found


def type_into(qtbot, edit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def open_ticket(qtbot, desk, symbol: str):
    action(desk.window, "actionOpenPosition").trigger()
    dialog = desk.window.trading.open_dialog
    assert dialog is not None and dialog.isVisible()
    type_into(qtbot, dialog.symbol.lineEdit(), symbol)
    return dialog


def test_open_position_through_the_ticket_shows_its_row(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(prices=PRICES)
        dialog = open_ticket(qtbot, desk, "BTC/USDT")
        assert dialog.price.text() == "64000"  # prefilled with the live price
        assert not dialog.ok_button.isEnabled()  # no size yet
        type_into(qtbot, dialog.size, "0.25")
        assert dialog.notional.text() == "16000"
        assert dialog.fee.text() == "16"  # 10 bps of 16,000
        type_into(qtbot, dialog.tags, "swing, breakout")
        assert dialog.ok_button.isEnabled()
        assert dialog.ok_button.text() == "Open LONG"
        qtbot.mouseClick(dialog.ok_button, LEFT)
        model = desk.window.positions.model
        await until(lambda: model.row_count() == 1, message="the new row")
        position = model.rows()[0]
        assert (position.symbol, position.size, position.entry_price) == (
            "BTC/USDT",
            Decimal("0.25"),
            Decimal(64000),
        )
        assert position.tags == ("swing", "breakout")
        assert position.fees_paid == Decimal(16)
        await until(lambda: desk.window.trading.open_dialog is None, message="the ticket to close")
        assert desk.window.positions.selected_position_id() == position.position_id
        assert any("Opened LONG" in m for m in desk.window.event_log.messages())

    run(scenario())


def test_a_notional_computes_the_size_from_the_live_price(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(prices=PRICES)
        dialog = open_ticket(qtbot, desk, "SHIB/USDT")
        qtbot.mouseClick(dialog.short_button, LEFT)
        type_into(qtbot, dialog.notional, "1,000")
        # 1,000 / 0.00001234 = 81,037,277.1… rounded down to whole SHIB
        assert dialog.size.text() == "81037277"
        assert dialog.ok_button.text() == "Open SHORT"
        qtbot.mouseClick(dialog.ok_button, LEFT)
        model = desk.window.positions.model
        await until(lambda: model.row_count() == 1)
        assert model.rows()[0].position_type is PositionType.SHORT

    run(scenario())


def test_invalid_inputs_keep_ok_disabled_with_the_reason_inline(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(prices=PRICES)
        dialog = open_ticket(qtbot, desk, "BTCUSDT")
        type_into(qtbot, dialog.size, "1")
        assert not dialog.ok_button.isEnabled()
        assert "BASE/QUOTE" in dialog.error.text() and dialog.error.isVisible()
        type_into(qtbot, dialog.symbol.lineEdit(), "BTC/EUR")
        assert not dialog.ok_button.isEnabled()
        assert "USDT pairs" in dialog.error.text()
        type_into(qtbot, dialog.symbol.lineEdit(), "BTC/USDT")
        assert dialog.ok_button.isEnabled()
        for bad_size in ("abc", "0", "-1"):
            type_into(qtbot, dialog.size, bad_size)
            assert not dialog.ok_button.isEnabled(), bad_size
            assert dialog.size.property("invalid") is True
        type_into(qtbot, dialog.size, "1")
        type_into(qtbot, dialog.price, "0")
        assert not dialog.ok_button.isEnabled()
        assert "price above zero" in dialog.error.text()
        type_into(qtbot, dialog.price, "63000")
        type_into(qtbot, dialog.fee, "-5")
        assert not dialog.ok_button.isEnabled()
        type_into(qtbot, dialog.fee, "5")
        assert dialog.ok_button.isEnabled() and not dialog.error.isVisible()
        qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Cancel), LEFT)
        await settle()
        assert desk.manager.get_open_positions() == []

    run(scenario())


def test_pause_refuses_opening_with_a_message_and_resume_allows_it(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(prices=PRICES)
        pause = action(desk.window, "actionPause")
        assert pause.isCheckable() and pause.shortcut() == QKeySequence("F9")
        pause.trigger()  # one click pauses
        await until(lambda: desk.manager.status is PortfolioStatus.PAUSED)
        assert pause.isChecked() and pause.text() == "Resume"
        assert desk.window.summary.status_badge.text() == "PAUSED"
        dialog = open_ticket(qtbot, desk, "ETH/USDT")
        assert dialog.banner.isVisible() and "PAUSED" in dialog.banner.text()
        type_into(qtbot, dialog.size, "2")
        qtbot.mouseClick(dialog.ok_button, LEFT)
        await until(dialog.error.isVisible, message="the refusal")
        assert "paused" in dialog.error.text() and "Resume it first" in dialog.error.text()
        assert dialog.isVisible() and desk.manager.get_open_positions() == []
        pause.trigger()  # one click resumes
        await until(lambda: desk.manager.status is PortfolioStatus.ACTIVE)
        assert not pause.isChecked() and pause.text() == "Pause"
        assert not dialog.banner.isVisible()
        qtbot.mouseClick(dialog.ok_button, LEFT)
        await until(lambda: desk.window.positions.model.row_count() == 1)

    run(scenario())


def test_partial_close_through_the_ticket_realizes_pnl(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(prices={"BTC/USDT": 60000})
        position = await desk.book("BTC/USDT", "0.5", 60000)
        await desk.manager.update_prices({"BTC/USDT": 62000})
        table = desk.window.positions.table
        assert table.select_key(position.position_id)
        close = action(desk.window, "actionClosePosition")
        assert close.isEnabled() and close.shortcut() == QKeySequence("Ctrl+W")
        close.trigger()
        dialog = desk.window.trading.close_dialog
        assert dialog is not None and dialog.isVisible()
        assert dialog.price.text() == "62000"  # the live price
        qtbot.mouseClick(dialog.percent_buttons[50], LEFT)
        assert dialog.size.text() == "0.25"
        # (62,000 − 60,000) × 0.25 − fee 15.50 (10 bps of 15,500)
        assert dialog.preview.text() == "+484.50"
        assert dialog.ok_button.text() == "Close 50 %"
        qtbot.mouseClick(dialog.ok_button, LEFT)
        model = desk.window.positions.model
        await until(lambda: model.get(position.position_id).size == Decimal("0.25"))
        row = model.row_of(position.position_id)
        realized = model.data(model.index(row, model.column_index("realized_pnl")))
        assert realized == "+484.50"
        fills = desk.window.history.fills_model
        assert fills.rows()[0].realized_pnl == Decimal("484.50")
        assert desk.window.summary.realized.value.text() == "+484.50"

    run(scenario())


def test_full_close_moves_the_position_to_history(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(prices={"ETH/USDT": 3000})
        position = await desk.book("ETH/USDT", "1.5", 3000)
        desk.window.positions.closeRequested.emit(position.position_id, 100)
        dialog = desk.window.trading.close_dialog
        type_into(qtbot, dialog.price, "3100")
        type_into(qtbot, dialog.fee, "0")
        assert dialog.preview.text() == "+150.00" and dialog.ok_button.text() == "Close all"
        qtbot.mouseClick(dialog.ok_button, LEFT)
        await until(lambda: desk.window.positions.model.row_count() == 0)
        history = desk.window.history.closed_model
        assert [p.position_id for p in history.rows()] == [position.position_id]

    run(scenario())


def test_closing_more_than_is_open_keeps_ok_disabled(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(prices={"ETH/USDT": 3000})
        position = await desk.book("ETH/USDT", "1.5", 3000)
        dialog = desk.window.trading.close_position(position.position_id, 25)
        assert dialog.size.text() == "0.375"
        type_into(qtbot, dialog.size, "2")
        assert not dialog.ok_button.isEnabled()
        assert "Only 1.50000 ETH is open" in dialog.error.text()

    run(scenario())


def test_double_click_opens_the_close_ticket_and_the_menu_offers_parts(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(prices={"ETH/USDT": 3000})
        position = await desk.book("ETH/USDT", "2", 3000)
        table = desk.window.positions.table
        rect = table.visualRect(table.model().index(0, 2))
        qtbot.mouseClick(table.viewport(), LEFT, pos=rect.center())  # Qt wants a press first
        qtbot.mouseDClick(table.viewport(), LEFT, pos=rect.center())
        dialog = await until(lambda: desk.window.trading.close_dialog)
        assert dialog.position.position_id == position.position_id
        assert dialog.size.text() == "2"
        dialog.reject()
        desk.window.positions._context_menu(rect.center())
        menu = desk.window.positions.context_menu
        texts = [a.text() for a in menu.actions() if a.text()]
        assert texts == ["Close…", "Close 25 %…", "Close 50 %…", "Close 100 %…", "Edit tags…"]
        next(a for a in menu.actions() if a.text() == "Close 25 %…").trigger()
        menu.close()
        dialog = await until(lambda: desk.window.trading.close_dialog)
        assert dialog.size.text() == "0.5"

    run(scenario())


def test_edit_tags_from_the_context_menu(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(prices={"ETH/USDT": 3000})
        position = await desk.book("ETH/USDT", "2", 3000, tags="old")
        dialog = desk.window.trading.edit_tags(position.position_id)
        assert dialog.textValue() == "old"
        dialog.setTextValue("core, long-term")
        dialog.accept()
        model = desk.window.positions.model
        await until(lambda: model.get(position.position_id).tags == ("core", "long-term"))

    run(scenario())


def test_the_ticket_shows_the_live_risk_check_and_sizes(qtbot, run, make_desk):
    async def scenario():
        engine = PortfolioManager(
            PortfolioConfig(
                initial_capital=100_000,
                performance_update_interval_s=0,
                risk_limits=RiskLimits.disabled(max_single_position_pct=20.0),
            )
        )
        desk = await make_desk(manager=engine, prices=PRICES)
        dialog = open_ticket(qtbot, desk, "ETH/USDT")
        panel = dialog.risk
        assert panel is not None and panel.isVisible()
        type_into(qtbot, dialog.size, "10")  # 32,000 > 20 % of 100,000
        await until(lambda: panel.action == "reduce", message="REDUCE")
        assert panel.action_label.text() == "REDUCE"
        assert "limit 20 %" in panel.reason_label.text()
        assert panel.allowed_button.isVisible()
        assert panel.allowed_button.text() == "Use allowed 6.25000"
        assert panel.suggested_label.text() == "Suggested size 6.25000 ETH"
        qtbot.mouseClick(panel.allowed_button, LEFT)
        assert dialog.size.text() == "6.25"
        await until(lambda: panel.action == "allow", message="ALLOW")
        assert not panel.allowed_button.isVisible()
        type_into(qtbot, dialog.size, "x")
        assert panel.action_label.text() == "—"  # nothing to check on an invalid ticket
        type_into(qtbot, dialog.size, "1")
        await until(lambda: panel.action == "allow")
        await engine.pause_portfolio("risk review")
        await until(lambda: panel.action == "reject", message="REJECT while paused")
        assert "paused" in panel.reason_label.text()

    run(scenario())


def test_a_refused_ticket_shows_the_limit_and_books_nothing(qtbot, run, make_desk):
    async def scenario():
        engine = PortfolioManager(
            PortfolioConfig(
                initial_capital=100_000,
                performance_update_interval_s=0,
                risk_limits=RiskLimits.disabled(max_single_position_pct=20.0),
            )
        )
        desk = await make_desk(manager=engine, prices=PRICES)
        dialog = open_ticket(qtbot, desk, "ETH/USDT")
        type_into(qtbot, dialog.size, "10")
        qtbot.mouseClick(dialog.ok_button, LEFT)  # the trader ignores the REDUCE
        await until(dialog.error.isVisible, message="the refusal")
        assert dialog.error.text().startswith("Cannot open 10 ETH/USDT")
        assert "limit 20 %; at most 6.24" in dialog.error.text()  # the fee counts too
        assert engine.get_open_positions() == []
        await until(
            lambda: any("Risk limit exceeded" in m for m in desk.window.event_log.messages())
        )

    run(scenario())
