"""The self-test's trading round trip on the real engine and the real main window.

:class:`Desk` runs the steps that need each other, in order: open the engine on the
temporary data folder, show the main window, start the simulated feed the way the app does
(:class:`~desktop_app.app.MarketSession`), open and close a position through the window's
own tickets, shut down, and prove from a fresh engine that the database kept exactly that.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from desktop_app import APP_NAME

from .checks import SelfTestError, type_text, until

SYMBOL = "BTC/USDT"
SIZE = "0.01"


@dataclass
class Desk:
    """What the steps share: the engine, the window, the feed and what was traded."""

    data_dir: Path
    log_path: Path
    manager: Any = None
    window: Any = None
    market: Any = None
    position_id: str | None = None
    realized_pnl: Decimal | None = None
    cash: Decimal | None = None

    async def open_engine(self) -> str:
        from desktop_app.app import open_manager

        self.manager = await open_manager(self.data_dir)
        store = self.manager.store
        if store is None:
            raise SelfTestError("the engine started without its database")
        return f"opened {store.path} (schema v{store.schema_version})"

    async def open_window(self) -> str:
        from PySide6.QtWidgets import QApplication

        from desktop_app.app import app_icon
        from desktop_app.ui.app_settings import AppSettings
        from desktop_app.ui.main_window import MainWindow
        from desktop_app.ui.theme import apply_theme

        app = QApplication.instance()
        assert isinstance(app, QApplication)
        settings = AppSettings(self.data_dir)
        apply_theme(app, settings.theme)
        self.window = MainWindow(
            self.manager,
            data_dir=self.data_dir,
            settings=settings,
            log_path=self.log_path,
            icon=app_icon(),
        )
        self.window.show()
        await until(self.window.isVisible, "the main window to show")
        await self.window.load_history()
        icon = self.window.windowIcon()
        sizes = sorted({size.width() for size in icon.availableSizes()})
        if icon.isNull() or 16 not in sizes or 256 not in sizes:
            raise SelfTestError(f"the window icon lacks sizes (has {sizes} px; needs 16 to 256)")
        if not self.window.windowTitle().startswith(APP_NAME):
            raise SelfTestError(f"unexpected window title {self.window.windowTitle()!r}")
        return (
            f"“{self.window.windowTitle()}” on the {app.platformName()} platform, "
            f"icon {sizes[0]}–{sizes[-1]} px"
        )

    async def start_prices(self) -> str:
        from desktop_app.app import MarketSession, build_parser

        self.market = MarketSession()
        args = build_parser().parse_args(["--feed", "simulated"])
        window = self.window
        await self.market.start(self.manager, args, window.settings, window, brand_new=False)
        if self.market.pipeline is None:
            messages = window.event_log.messages()
            raise SelfTestError(messages[-1] if messages else "the price feed did not start")
        tracker = self.manager.position_tracker
        await until(
            lambda: (
                tracker.last_price(SYMBOL) is not None
                and window.bridge.last_tick_age_s() is not None
            ),
            f"a {SYMBOL} price to reach the window",
        )
        stats = self.market.pipeline.stats()
        return (
            f"{stats.feed_name} feed {stats.feed_status.value}: {stats.ticks_accepted} ticks, "
            f"{len(tracker.prices)} symbols priced"
        )

    async def open_position(self) -> str:
        from PySide6.QtGui import QAction

        window = self.window
        action = window.findChild(QAction, "actionOpenPosition")
        if action is None:
            raise SelfTestError("the main window has no Open position action")
        action.trigger()
        dialog = window.trading.open_dialog
        if dialog is None or not dialog.isVisible():
            raise SelfTestError("the Open position ticket did not open")
        dialog.symbol.setCurrentText(SYMBOL)
        type_text(dialog.size, SIZE)
        if not dialog.ok_button.isEnabled():
            raise SelfTestError(f"the ticket refuses the order: {dialog.problems()}")
        dialog.ok_button.click()
        model = window.positions.model
        row = await until(
            lambda: (
                next((p for p in model.rows() if p.symbol == SYMBOL), None) or dialog.error.text()
            ),
            "the new position's row",
        )
        if isinstance(row, str):
            raise SelfTestError(f"the engine refused the order: {row}")
        self.position_id = row.position_id
        await until(lambda: window.trading.open_dialog is None, "the ticket to close")
        return f"LONG {row.size} {SYMBOL} at {row.entry_price} through the ticket; row shown"

    async def close_position(self) -> str:
        window = self.window
        assert self.position_id is not None
        entry = window.positions.model.get(self.position_id).entry_price
        await until(  # the feed keeps marking the position: close at a new price
            lambda: self.manager.position_tracker.last_price(SYMBOL) != entry,
            f"the {SYMBOL} price to move",
        )
        dialog = window.trading.close_position(self.position_id, 100)
        if dialog is None:
            raise SelfTestError("the Close position ticket did not open")
        await until(dialog.ok_button.isEnabled, "the Close ticket to accept the full close")
        dialog.ok_button.click()
        closed = window.history.closed_model
        position = await until(
            lambda: (
                (
                    closed.get(self.position_id)
                    if window.positions.model.get(self.position_id) is None
                    else None
                )
                or dialog.error.text()
            ),
            "the position to move to Closed positions",
        )
        if isinstance(position, str):
            raise SelfTestError(f"the engine refused the close: {position}")
        self.realized_pnl = position.realized_pnl
        self.cash = self.manager.position_tracker.cash
        return f"closed at {position.exit_price}; realized P&L {position.realized_pnl}"

    async def shut_down(self) -> None:
        """As the app does on quit: window, feed, engine (each even if another fails)."""
        window, market, manager = self.window, self.market, self.manager
        self.window = self.market = self.manager = None
        if window is not None:
            window.shutdown()
            window.hide()
            window.deleteLater()
        try:
            if market is not None:
                await market.stop()
        finally:
            if manager is not None:
                await manager.shutdown()

    async def verify_store(self) -> str:
        from desktop_app.portfolio import PortfolioManager

        await self.shut_down()
        fresh = PortfolioManager(data_dir=self.data_dir)
        await fresh.initialize()
        try:
            tracker = fresh.position_tracker
            if tracker.get_all_open_positions():
                raise SelfTestError("the restored ledger still has an open position")
            restored = [
                p for p in tracker.get_closed_positions() if p.position_id == self.position_id
            ]
            if len(restored) != 1 or restored[0].realized_pnl != self.realized_pnl:
                raise SelfTestError(
                    f"the restored closed position differs: {restored} "
                    f"(expected realized P&L {self.realized_pnl})"
                )
            if tracker.cash != self.cash:
                raise SelfTestError(f"restored cash {tracker.cash}, expected {self.cash}")
            fills = [f for f in await fresh.store.read_fills() if f.position_id == self.position_id]
            if len(fills) != 2:
                raise SelfTestError(f"the journal holds {len(fills)} fills of the trade, not 2")
            curve = await fresh.store.read_equity_curve()  # pandas, imported on first use
            if "equity" not in curve.columns:
                raise SelfTestError(f"the equity curve has no equity column: {list(curve.columns)}")
            problems = await fresh.store.check_integrity(full=True)
            if problems:
                raise SelfTestError("integrity_check: " + "; ".join(problems))
        finally:
            await fresh.shutdown()
        return (
            f"reopened: 2 fills, 0 open, realized P&L and cash {tracker.cash} match; "
            f"{len(curve)} equity snapshots; integrity ok"
        )

    def check_log(self) -> str:
        for handler in logging.getLogger().handlers:
            handler.flush()
        text = self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""
        if "portfolio database" not in text:
            raise SelfTestError(f"the log {self.log_path} lacks the engine's start-up lines")
        return f"{len(text.splitlines())} lines in {self.log_path.relative_to(self.data_dir)}"
