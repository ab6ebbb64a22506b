"""What the trader's actions do: tickets, pause/resume, liquidate, rebalance, export, tags.

Each action is an awaited engine call. A refusal from the engine (a ``PortfolioError``) is
shown where the trader looks — inline in the ticket, or in the event log and status bar for
toolbar actions — and the app carries on; unexpected exceptions go to the error reporter
through qasync's ``asyncSlot``. Dialogs open with ``open()`` and report back by signal, so
nothing here ever spins a nested event loop.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox
from qasync import asyncSlot

from desktop_app import APP_NAME, __version__
from desktop_app.portfolio import ComponentUnavailableError, InvalidOrderError, PositionType

from .dialogs.close_position import ClosePositionDialog
from .dialogs.common import confirm, describe_failure
from .dialogs.open_position import OpenPositionDialog
from .dialogs.settings import SettingsDialog
from .event_log import Category, Level
from .format import format_money
from .grid import Grid, write_csv

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger(__name__)

#: Offered in the ticket's symbol list even before any price arrived.
MAJOR_BASES = ("BTC", "ETH", "SOL", "BNB", "XRP", "ADA", "DOGE", "SHIB")


class TradingActions(QObject):
    """The window's action handlers; ``open_dialog`` etc. expose open dialogs to tests."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.manager = window.manager
        self.open_dialog: OpenPositionDialog | None = None
        self.close_dialog: ClosePositionDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.tags_dialog: QInputDialog | None = None
        self.last_export: list[Path] = []

    # ------------------------------------------------------------------ helpers
    def _log(self, text: str, level: Level = Level.INFO, category: Category = Category.TRADE):
        self.window.event_log.add(text, level, category)

    def _refused(self, exc: BaseException, action: str) -> None:
        text = describe_failure(exc, action)
        self._log(text, Level.ERROR, Category.SYSTEM)
        self.window.statusBar().showMessage(text, 10_000)

    def known_symbols(self) -> list[str]:
        tracker = self.manager.position_tracker
        quote = self.manager.config.quote_currency
        symbols = set(tracker.prices) | set(tracker.open_symbols())
        symbols |= set(self.manager.config.target_allocations)
        symbols |= {str(s) for s in getattr(self.window.feed, "symbols", None) or ()}
        symbols |= {f"{base}/{quote}" for base in MAJOR_BASES}
        return sorted(s for s in symbols if s.endswith(f"/{quote}"))

    def _strategies(self) -> list[str]:
        return sorted({p.strategy for p in self.manager.position_tracker.get_all_positions()})

    # ------------------------------------------------------------------ tickets
    def open_position(self, symbol: str | None = None) -> OpenPositionDialog:
        if self.open_dialog is not None and self.open_dialog.isVisible():
            self.open_dialog.raise_()
            return self.open_dialog
        last = self.window.settings.last_ticket()
        dialog = OpenPositionDialog(
            self.manager,
            self.window.bridge,
            symbols=self.known_symbols(),
            strategies=[last["strategy"], *self._strategies()],
            precision=self.window.precision,
            fee_bps=self.window.settings.fee_bps,
            symbol=symbol or last["symbol"] or None,
            side=PositionType.SHORT if last["side"] == "short" else PositionType.LONG,
            parent=self.window,
        )
        dialog.strategy.setCurrentText(last["strategy"])
        dialog.finished.connect(lambda code, d=dialog: self._ticket_done(d, code))
        self.open_dialog = dialog
        dialog.open()
        return dialog

    def _ticket_done(self, dialog: OpenPositionDialog, code: int) -> None:
        if code == QDialog.DialogCode.Accepted and dialog.fill_report:
            self._market_filled(dialog.fill_report)
        if code == QDialog.DialogCode.Accepted and dialog.opened is not None:
            self.window.settings.remember_ticket(
                dialog.side().value, dialog.strategy.currentText(), dialog.opened.symbol
            )
            self.window.positions.table.select_key(dialog.opened.position_id)
        dialog.deleteLater()
        if self.open_dialog is dialog:
            self.open_dialog = None

    def close_selected(self, percent: int = 100) -> ClosePositionDialog | None:
        position_id = self.window.positions.selected_position_id()
        if position_id is None:
            self.window.statusBar().showMessage("Select a position to close first", 5_000)
            return None
        return self.close_position(position_id, percent)

    def close_position(self, position_id: str, percent: int = 100) -> ClosePositionDialog | None:
        try:
            position = self.manager.get_position(position_id)
        except Exception as exc:
            self._refused(exc, "close the position")
            return None
        if not position.is_open:
            self._refused(
                InvalidOrderError(
                    f"{position.symbol} position {position_id[:8]} is already closed"
                ),
                "close the position",
            )
            return None
        if self.close_dialog is not None and self.close_dialog.isVisible():
            self.close_dialog.reject()
        dialog = ClosePositionDialog(
            self.manager,
            self.window.bridge,
            position,
            precision=self.window.precision,
            fee_bps=self.window.settings.fee_bps,
            percent=percent,
            parent=self.window,
        )
        dialog.finished.connect(lambda _code, d=dialog: self._close_done(d))
        self.close_dialog = dialog
        dialog.open()
        return dialog

    def _close_done(self, dialog: ClosePositionDialog) -> None:
        if dialog.fill_report:
            self._market_filled(dialog.fill_report)
        dialog.deleteLater()
        if self.close_dialog is dialog:
            self.close_dialog = None

    def _market_filled(self, report: str) -> None:
        """What the executor did with a ticket's market order: event log and status bar."""
        self._log(report, Level.SUCCESS)
        self.window.statusBar().showMessage(report, 10_000)

    # ------------------------------------------------------------- pause / resume
    @asyncSlot()
    async def toggle_pause(self) -> None:
        """One click pauses, the next resumes; the button follows the engine's status.

        The action is checkable: a click has already flipped its check mark, which says
        what the trader asked for.
        """
        checked = self.window.actions_.pause.isChecked()
        try:
            if checked:
                await self.manager.pause_portfolio("paused by the trader")
            else:
                await self.manager.resume_portfolio()
        except Exception as exc:
            self._refused(exc, "pause the portfolio" if checked else "resume the portfolio")
        finally:
            self.window._status_changed(self.manager.status, log_it=False)

    # ---------------------------------------------------------------- liquidate
    def liquidation_question(self) -> tuple[str, str, str]:
        totals = self.manager.position_tracker.get_portfolio_summary()
        quote = self.manager.config.quote_currency
        count = totals["count"]
        if count == 0:
            return (
                "No positions are open.",
                "Liquidating now only halts trading: the portfolio becomes LIQUIDATED until "
                "you resume it.",
                "Halt trading",
            )
        text = (
            f"Close all {count} open position{'s' if count != 1 else ''} at their last "
            f"prices? Gross value {format_money(totals['gross_exposure'])} {quote}."
        )
        detail = (
            f"Net market value {format_money(totals['total_market_value'])} {quote}; "
            f"unrealized P&L {format_money(totals['total_unrealized_pnl'], sign=True)} {quote} "
            "will be realized. The portfolio then stays LIQUIDATED until you resume it."
        )
        return text, detail, f"Liquidate {count} position{'s' if count != 1 else ''}"

    @asyncSlot()
    async def liquidate(self) -> None:
        text, detail, button = self.liquidation_question()
        confirmed = await confirm(
            self.window,
            "Liquidate portfolio",
            text,
            detail,
            confirm_text=button,
            destructive=True,
            object_name="liquidateConfirm",
        )
        if not confirmed:
            self.window.statusBar().showMessage("Liquidation cancelled", 4_000)
            return
        try:
            await self.manager.liquidate_portfolio()
        except Exception as exc:
            self._refused(exc, "liquidate the portfolio")

    # ---------------------------------------------------------------- rebalance
    @asyncSlot()
    async def rebalance(self) -> None:
        """Preview the plan, ask, then execute exactly that plan through the executor."""
        rebalancer = self.manager.rebalancer
        if rebalancer is None:
            self._refused(
                ComponentUnavailableError(
                    "Rebalancing needs the rebalancer, which is not attached"
                ),
                "rebalance",
            )
            return
        if not self.manager.config.target_allocations:
            self._log(
                "Set target allocations first (Settings → Target allocations)",
                Level.WARNING,
                Category.REBALANCE,
            )
            return
        try:
            plan = await rebalancer.create_rebalance_plan()
        except Exception as exc:
            self._refused(exc, "plan the rebalance")
            return
        if not plan.has_orders or not plan.executable:
            reason = plan.reason or "every holding is within its drift threshold"
            self._log(f"Nothing to rebalance: {reason}", Level.INFO, Category.REBALANCE)
            self.window.statusBar().showMessage(f"Nothing to rebalance: {reason}", 8_000)
            return
        confirmed = await confirm(
            self.window,
            "Rebalance",
            f"Place {len(plan.orders)} market order(s) toward the target allocations "
            f"({plan.strategy.value})?",
            self._plan_text(plan),
            confirm_text=f"Place {len(plan.orders)} order(s)",
            object_name="rebalanceConfirm",
        )
        if not confirmed:
            return
        try:
            await rebalancer.execute_rebalance_plan(plan)
        except Exception as exc:
            self._refused(exc, "rebalance")

    def _plan_text(self, plan: Any) -> str:
        size = self.window.precision.size
        lines = [
            f"{order.side.value.upper()} {size(order.symbol, order.size, order.mark_price)} "
            f"{order.symbol} ≈ {format_money(order.notional)}"
            for order in plan.orders[:10]
        ]
        if len(plan.orders) > 10:
            lines.append(f"… and {len(plan.orders) - 10} more")
        lines.append(
            f"Estimated cost {format_money(plan.estimated_cost)} "
            f"({plan.estimated_cost_pct:.2f} % of equity), fees and slippage included."
        )
        return "\n".join(lines)

    # ----------------------------------------------------------------- settings
    def open_settings(self) -> SettingsDialog:
        if self.settings_dialog is not None and self.settings_dialog.isVisible():
            self.settings_dialog.raise_()
            return self.settings_dialog
        dialog = SettingsDialog(
            self.manager, self.window.settings, self.window.data_dir, self.window
        )
        dialog.applied.connect(self._settings_applied)
        dialog.themeChosen.connect(self.window.apply_theme)
        dialog.finished.connect(lambda _code, d=dialog: self._settings_done(d))
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    def _settings_applied(self, changed: list[str]) -> None:
        self._log("Settings applied: " + ", ".join(changed), Level.SUCCESS, Category.CONFIG)
        self.window.setWindowTitle(self.window._title())

    def _settings_done(self, dialog: SettingsDialog) -> None:
        dialog.deleteLater()
        if self.settings_dialog is dialog:
            self.settings_dialog = None

    # ------------------------------------------------------------------- tags
    def edit_selected_tags(self) -> None:
        position_id = self.window.positions.selected_position_id()
        if position_id is not None:
            self.edit_tags(position_id)

    def edit_tags(self, position_id: str) -> QInputDialog | None:
        try:
            position = self.manager.get_position(position_id)
        except Exception as exc:
            self._refused(exc, "edit the tags")
            return None
        dialog = QInputDialog(self.window)
        dialog.setObjectName("tagsDialog")
        dialog.setWindowTitle(f"Tags of {position.symbol}")
        dialog.setLabelText("Tags (comma separated):")
        dialog.setTextValue(", ".join(position.tags))
        dialog.textValueSelected.connect(lambda text: self.apply_tags(position_id, text))
        dialog.finished.connect(dialog.deleteLater)
        self.tags_dialog = dialog
        dialog.open()
        return dialog

    @asyncSlot(str, str)
    async def apply_tags(self, position_id: str, text: str) -> None:
        try:
            position = await self.manager.set_position_tags(position_id, text)
        except Exception as exc:
            self._refused(exc, "change the tags")
            return
        tags = ", ".join(position.tags) or "none"
        self._log(f"Tags of {position.symbol} {position_id[:8]}: {tags}")

    # ------------------------------------------------------------------ export
    def choose_export_folder(self) -> QFileDialog:
        dialog = QFileDialog(self.window, "Export CSV files to")
        dialog.setObjectName("exportFolderDialog")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        default = self.window.data_dir / "analytics"
        default.mkdir(parents=True, exist_ok=True)
        dialog.setDirectory(str(default))
        dialog.fileSelected.connect(self.export_all_slot)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    @asyncSlot(str)
    async def export_all_slot(self, folder: str) -> None:
        await self.export_all(Path(folder))

    async def export_all(self, folder: Path) -> list[Path]:
        """Open positions, closed positions and fills as three CSV files in ``folder``."""
        stamp = datetime.now().strftime("%Y%m%d_%H%M%S")  # noqa: DTZ005 - a local file name
        grids = {
            "open_positions": self.window.positions.table,
            "closed_positions": self.window.history.closed_table,
            "fills": self.window.history.fills_table,
        }
        jobs = [(folder / f"{name}_{stamp}.csv", grid) for name, grid in grids.items()]
        return await self._write(jobs)

    def choose_export_file(self, grid: Grid) -> QFileDialog:
        name = "fills" if grid.objectName() == "fillsTable" else "closed_positions"
        stamp = datetime.now().strftime("%Y%m%d_%H%M%S")  # noqa: DTZ005 - a local file name
        default = self.window.data_dir / "analytics" / f"{name}_{stamp}.csv"
        default.parent.mkdir(parents=True, exist_ok=True)
        dialog = QFileDialog(self.window, "Export CSV", str(default), "CSV files (*.csv)")
        dialog.setObjectName("exportFileDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(lambda path: self.export_grid_slot(grid, path))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    @asyncSlot(object, str)
    async def export_grid_slot(self, grid: Grid, path: str) -> None:
        await self._write([(Path(path), grid)])

    async def _write(self, jobs: list[tuple[Path, Grid]]) -> list[Path]:
        """Snapshot the rows on the Qt thread, write the files in an executor."""
        snapshots = [(path, *grid.visible_rows()) for path, grid in jobs]
        loop = asyncio.get_running_loop()
        try:
            written = await loop.run_in_executor(
                None, lambda: [write_csv(path, header, rows) for path, header, rows in snapshots]
            )
        except OSError as exc:
            self._refused(exc, "export the CSV files")
            return []
        self.last_export = written
        rows = sum(len(rows) for _path, _header, rows in snapshots)
        where = written[0].parent if written else ""
        self._log(f"Exported {rows} row(s) to {len(written)} CSV file(s) in {where}", Level.SUCCESS)
        return written

    # ------------------------------------------------------------------- misc
    def open_data_dir(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.window.data_dir)))

    def about(self) -> QMessageBox:
        box = QMessageBox(self.window)
        box.setObjectName("aboutBox")
        box.setWindowTitle(f"About {APP_NAME}")
        box.setText(f"<b>{APP_NAME}</b> {__version__}")
        log_line = f"<br>Log: {self.window.log_path}" if self.window.log_path else ""
        box.setInformativeText(f"Data: {self.window.data_dir}{log_line}")
        box.finished.connect(box.deleteLater)
        box.open()
        return box

    def close_dialogs(self) -> None:
        for dialog in (self.open_dialog, self.close_dialog, self.settings_dialog):
            if dialog is not None and dialog.isVisible():
                dialog.reject()
