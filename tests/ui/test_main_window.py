"""The main window: liquidation, pause, errors, alerts, export, layout, status bar."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from desktop_app.portfolio import (
    Event,
    MemoryJournal,
    PortfolioConfig,
    PortfolioManager,
    PortfolioStatus,
    PositionType,
    StoreError,
)
from desktop_app.portfolio.values import utc_now
from desktop_app.ui.app_settings import AppSettings
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.summary_strip import DayPnl, day_start

from .helpers import find_dialog, settle, until

LEFT = Qt.MouseButton.LeftButton


def action(window, name: str) -> QAction:
    found = window.findChild(QAction, name)
    assert found is not None, name
    return found


def test_every_action_has_its_object_name_and_shortcut(run, make_desk):
    async def scenario():
        desk = await make_desk()
        expected = {
            "actionOpenPosition": "Ctrl+N",
            "actionClosePosition": "Ctrl+W",
            "actionPause": "F9",
            "actionLiquidate": "Ctrl+Shift+L",
            "actionRebalance": "Ctrl+R",
            "actionSettings": "Ctrl+,",
            "actionExport": "Ctrl+E",
        }
        for name, shortcut in expected.items():
            found = action(desk.window, name)
            assert found.shortcut() == QKeySequence(shortcut), name
            assert found.statusTip(), name
        toolbar = desk.window.toolbar
        for name in expected:
            assert action(desk.window, name) in toolbar.actions(), name
        liquidate = toolbar.widgetForAction(action(desk.window, "actionLiquidate"))
        assert liquidate.objectName() == "liquidateButton"  # styled red

    run(scenario())


async def two_positions(desk):
    await desk.manager.update_prices({"BTC/USDT": 60000, "ETH/USDT": 3000})
    await desk.book("BTC/USDT", "0.5", 60000)
    await desk.book("ETH/USDT", "4", 3000, side=PositionType.SHORT)


def test_liquidate_asks_first_with_cancel_as_default(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk()
        await two_positions(desk)
        liquidate = action(desk.window, "actionLiquidate")
        liquidate.trigger()
        box = await until(lambda: find_dialog(QMessageBox, "liquidateConfirm"))
        assert box.defaultButton() is box.escapeButton()
        assert box.defaultButton().objectName() == "cancelButton"
        assert "Close all 2 open positions" in box.text()
        assert "42,000.00 USDT" in box.text()  # 30,000 long + 12,000 short, gross
        qtbot.mouseClick(box.defaultButton(), LEFT)  # Cancel: nothing happens
        await until(lambda: find_dialog(QMessageBox, "liquidateConfirm") is None)
        await settle()
        assert len(desk.manager.get_open_positions()) == 2
        assert desk.manager.status is PortfolioStatus.ACTIVE

        liquidate.trigger()
        box = await until(lambda: find_dialog(QMessageBox, "liquidateConfirm"))
        confirm = box.findChild(type(box.defaultButton()), "confirmButton")
        assert confirm.text() == "Liquidate 2 positions"
        qtbot.mouseClick(confirm, LEFT)
        await until(lambda: desk.window.positions.model.row_count() == 0, message="flat book")
        assert desk.manager.status is PortfolioStatus.LIQUIDATED
        assert desk.window.history.closed_model.row_count() == 2
        assert desk.window.summary.status_badge.text() == "LIQUIDATED"
        assert any(
            "Liquidation closed 2 position(s)" in m for m in desk.window.event_log.messages()
        )
        pause = action(desk.window, "actionPause")
        assert pause.isChecked() and pause.text() == "Resume"  # one click to trade again
        pause.trigger()
        await until(lambda: desk.manager.status is PortfolioStatus.ACTIVE)

    run(scenario())


def test_pause_button_follows_a_pause_from_the_engine(run, make_desk):
    async def scenario():
        desk = await make_desk()
        await desk.manager.pause_portfolio("drawdown breaker")
        pause = action(desk.window, "actionPause")
        await until(pause.isChecked)
        assert "drawdown breaker" in desk.window.summary.status_badge.toolTip()
        assert any("PAUSED: drawdown breaker" in m for m in desk.window.event_log.messages())

    run(scenario())


class FullDisk(MemoryJournal):
    """A journal whose disk fills up: every append after ``room`` entries fails."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    async def append(self, effect):
        if len(self.entries) >= self.room:
            raise StoreError("Cannot write portfolio.db: the disk is full")
        await super().append(effect)


def test_an_engine_error_is_shown_in_the_ticket_and_the_app_keeps_running(qtbot, run, make_desk):
    async def scenario():
        engine = PortfolioManager(
            PortfolioConfig(initial_capital=1_000_000, performance_update_interval_s=0),
            journal=FullDisk(room=1),  # the initial capital fits, nothing else
        )
        desk = await make_desk(manager=engine, prices={"ETH/USDT": 3000})
        action(desk.window, "actionOpenPosition").trigger()
        dialog = desk.window.trading.open_dialog
        dialog.symbol.setCurrentText("ETH/USDT")
        dialog.size.setText("1")
        dialog.size.textEdited.emit("1")
        qtbot.mouseClick(dialog.ok_button, LEFT)
        await until(dialog.error.isVisible)
        assert dialog.error.text() == "Cannot write portfolio.db: the disk is full"
        assert "Traceback" not in dialog.error.text()
        assert dialog.ok_button.isEnabled()  # the trader may retry
        assert engine.get_open_positions() == []
        dialog.reject()
        # the app still works: pausing, resuming and the grids respond
        action(desk.window, "actionPause").trigger()
        await until(lambda: engine.status is PortfolioStatus.PAUSED)

    run(scenario())


def test_a_failing_engine_callback_lands_in_the_event_log(run, make_desk):
    async def scenario():
        desk = await make_desk(prices={"ETH/USDT": 3000})

        def broken(_position):
            raise RuntimeError("strategy hook crashed")

        desk.manager.register_callback("position_opened", broken)
        await desk.book("ETH/USDT", "1", 3000)
        messages = desk.window.event_log.messages()
        assert any("strategy hook crashed" in m for m in messages)
        assert desk.window.positions.model.row_count() == 1

    run(scenario())


def test_a_risk_limit_trip_is_logged_and_notified(run, make_desk):
    async def scenario():
        desk = await make_desk()
        desk.manager.events.emit(
            Event.RISK_LIMIT_EXCEEDED,
            {
                "limit": "max_drawdown_pct",
                "value": 16.2,
                "threshold": 15.0,
                "message": "drawdown above limit",
            },
        )
        assert (
            "Risk limit exceeded: Max drawdown — 16.2 vs limit 15"
            in (desk.window.event_log.messages()[0])
        )
        notifier = desk.window.notifier
        assert notifier.recent[-1].title == "Risk limit exceeded" and notifier.recent[-1].critical
        assert "drawdown above limit" in desk.window.statusBar().currentMessage()

    run(scenario())


def test_without_a_feed_the_status_bar_says_so(run, make_desk):
    async def scenario():
        desk = await make_desk()
        label = desk.window.status_view.feed_label
        assert "no price feed" in label.text()
        assert str(desk.data_dir) in desk.window.status_view.data_dir_label.text()
        assert "ACTIVE" in desk.window.status_view.status_label.text()

    run(scenario())


def test_price_ticks_repaint_the_grid_at_most_ten_times_a_second(run, make_desk):
    async def scenario():
        desk = await make_desk(prices={"BTC/USDT": 60000})
        await desk.book("BTC/USDT", "1", 60000)
        model = desk.window.positions.model
        changes, resets = [], []
        model.dataChanged.connect(lambda *_: changes.append(True))
        model.modelReset.connect(lambda: resets.append(True))
        for step in range(300):
            await desk.manager.update_prices({"BTC/USDT": 60000 + step})
        await until(lambda: model.rows()[0].current_price == 60299)
        assert len(changes) <= 2 and not resets
        # the totals (a pass over the whole ledger) follow a moment later, at most 4× a second
        unrealized = desk.window.summary.unrealized.value
        await until(lambda: unrealized.text() == "+299.00", message="the summary strip")

    run(scenario())


def test_export_writes_what_the_grids_show(run, make_desk, tmp_path):
    async def scenario():
        desk = await make_desk()
        await two_positions(desk)
        eth = desk.manager.position_tracker.get_all_open_positions("ETH/USDT")[0]
        await desk.manager.close_position(eth.position_id, 2900, fee="1.5")
        written = await desk.window.trading.export_all(tmp_path / "out")
        names = sorted(path.name.rsplit("_", 2)[0] for path in written)
        assert names == ["closed_positions", "fills", "open_positions"]
        by_name = {path.name.rsplit("_", 2)[0]: path for path in written}
        with by_name["closed_positions"].open(encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        assert [(r["Symbol"], r["Realized P&L"]) for r in rows] == [("ETH/USDT", "398.5")]
        with by_name["fills"].open(encoding="utf-8-sig") as handle:
            assert len(list(csv.DictReader(handle))) == 3

    run(scenario())


def test_column_layout_survives_a_restart(run, make_desk):
    async def scenario():
        desk = await make_desk()
        header = desk.window.positions.table.horizontalHeader()
        header.resizeSection(0, 211)
        header.setSectionHidden(desk.window.positions.model.column_index("tags"), True)
        desk.window.shutdown()
        again = MainWindow(
            desk.manager, data_dir=desk.data_dir, settings=AppSettings(desk.data_dir)
        )
        try:
            restored = again.positions.table.horizontalHeader()
            assert restored.sectionSize(0) == 211
            assert restored.isSectionHidden(again.positions.model.column_index("tags"))
        finally:
            again.shutdown()
            again.deleteLater()

    run(scenario())


def test_summary_strip_shows_equity_exposure_and_day_pnl(run, make_desk):
    async def scenario():
        desk = await make_desk()
        await two_positions(desk)
        await desk.manager.update_prices({"BTC/USDT": 61000, "ETH/USDT": 3000})
        summary = desk.window.summary
        await until(lambda: summary.unrealized.value.text() == "+500.00")
        assert summary.equity.value.text() == "1,000,500.00"
        assert summary.exposure.value.text() == "42,500.00"
        assert summary.day.value.text() == "+500.00"
        assert desk.manager.position_tracker.equity() == Decimal(1_000_500)

    run(scenario())


def test_the_status_bar_follows_the_feed_and_alerts_when_it_goes_stale(run, make_desk):
    async def scenario():
        from desktop_app.market import FeedStatus, PricePipeline, SimulatedFeed

        desk = await make_desk()
        feed = SimulatedFeed(symbols=["BTC/USDT", "ETH/USDT"], seed=7, tick_rate_hz=200)
        pipeline = PricePipeline(desk.manager, feed, batch_interval_s=0.02)
        await pipeline.start()
        try:
            desk.window.set_feed(feed, pipeline)
            label = desk.window.status_view.feed_label
            await until(lambda: "last tick" in label.text() and "LIVE" in label.text())
            assert label.text().startswith("● simulated LIVE")
            assert "ticks accepted" in label.toolTip()
            feed._set_status(FeedStatus.STALE, "no price for 30 s")
            desk.window.poll_feed()
            assert "STALE" in label.text()
            assert desk.window.event_log.messages()[0] == "Price feed STALE: no price for 30 s"
            assert desk.window.notifier.recent[-1].title == "Price feed stale"
        finally:
            await pipeline.stop()

    run(scenario())


def test_history_comes_from_the_store_when_memory_keeps_only_recent_fills(run, make_desk):
    async def scenario():
        engine = PortfolioManager(
            PortfolioConfig(
                initial_capital=100_000, performance_update_interval_s=0, fill_history_limit=2
            )
        )
        await engine.initialize()
        await engine.update_prices({"ETH/USDT": 3000})
        for _ in range(3):
            position = await engine.create_position("ETH/USDT", PositionType.LONG, 1, 3000)
            await engine.close_position(position.position_id, 3010)
        midnight = day_start(utc_now())
        engine.store.record_equity_snapshot(
            midnight - timedelta(minutes=1),
            equity=Decimal(99_000),
            cash=Decimal(99_000),
            market_value=Decimal(0),
            gross_exposure=Decimal(0),
            net_flow=Decimal(0),
        )
        await engine.store.flush()
        desk = await make_desk(manager=engine)
        fills = desk.window.history.fills_model
        assert fills.row_count() == 2  # what the engine keeps in memory
        await desk.window.load_history()
        assert fills.row_count() == 6  # the whole journal
        day = desk.window.summary.day_pnl
        assert day.from_history and day.baseline_equity == Decimal(99_000)
        assert day.baseline_time == midnight
        assert "since 00:00 UTC" in desk.window.summary.day.toolTip()

    run(scenario())


def test_day_pnl_is_equity_change_net_of_todays_deposits():
    day = DayPnl()
    now = datetime(2025, 5, 2, 15, 0, tzinfo=UTC)
    midnight = day_start(now)
    day.set_history_baseline(Decimal(10_000), midnight)

    @dataclass
    class Movement:
        amount: Decimal
        timestamp: datetime

    deposits = [
        Movement(Decimal(500), midnight - timedelta(hours=2)),  # yesterday: already in base
        Movement(Decimal(2_000), midnight + timedelta(hours=9)),
    ]
    assert day.value(Decimal(12_250), deposits, now) == Decimal(250)
    # the next day starts from that day's first equity
    tomorrow = now + timedelta(days=1)
    assert day.value(Decimal(12_300), deposits, tomorrow) == Decimal(0)
    assert day.baseline_time == day_start(tomorrow) and day.basis() == "since 00:00 UTC"


def test_rebalance_previews_the_plan_then_trades_toward_the_targets(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(prices={"BTC/USDT": 60000, "ETH/USDT": 3000})
        await desk.manager.set_target_allocations({"BTC/USDT": 0.20, "ETH/USDT": 0.15})
        rebalance = action(desk.window, "actionRebalance")
        assert rebalance.isEnabled()
        rebalance.trigger()
        box = await until(lambda: find_dialog(QMessageBox, "rebalanceConfirm"))
        assert box.defaultButton().objectName() == "cancelButton"
        assert "Place 2 market order(s)" in box.text()
        assert "BUY" in box.informativeText() and "Estimated cost" in box.informativeText()
        qtbot.mouseClick(box.findChild(type(box.defaultButton()), "confirmButton"), LEFT)
        model = desk.window.positions.model
        await until(lambda: model.row_count() == 2, message="the rebalance fills")
        weights = {p.symbol: model.weight_pct(p) for p in model.rows()}
        assert 19.5 < weights["BTC/USDT"] <= 20.0 and 14.5 < weights["ETH/USDT"] <= 15.0
        log = desk.window.event_log
        await until(lambda: any(m.startswith("Rebalance threshold") for m in log.messages()))

    run(scenario())
