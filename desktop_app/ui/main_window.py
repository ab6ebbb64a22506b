"""The main trading window: summary strip, open positions, history, event log, status bar.

``MainWindow(manager)`` is one client of the engine: it reads snapshots from the
``PortfolioManager``, listens to its events through one :class:`EngineBridge`, and sends
every trader action back as an awaited engine call (see :mod:`.trading_actions`). It never
blocks the Qt thread: dialogs open non-modally-awaited (``open()`` + ``finished``), disk
writes run in an executor, and price ticks repaint at most ten times a second.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QIcon
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app import APP_NAME, __version__
from desktop_app.portfolio import Fill, PortfolioManager, PortfolioStatus, Position
from desktop_app.portfolio.values import utc_now

from .actions import Actions, build_menus_and_toolbar
from .app_settings import AppSettings
from .bridge import PRICE_FLUSH_MS, EngineBridge, PriceFlush, merge_flushes
from .event_log import Category, EventLog, Level
from .event_text import (
    describe_cash,
    describe_error,
    describe_fill,
    describe_liquidation,
    describe_rebalance,
    describe_risk,
    describe_status,
    is_breaker_trip,
)
from .format import SymbolPrecision
from .history_panel import HistoryPanel
from .notifications import Notifier
from .positions_panel import PositionsPanel
from .status_bar import StatusBarView
from .summary_strip import SummaryStrip, day_start
from .theme import apply_theme
from .trading_actions import TradingActions

log = logging.getLogger(__name__)

FEED_POLL_MS = 1_000
#: The ledger totals (summary strip, charts) follow prices at most this often; the grid's
#: cells at every flush. On a book of thousands of positions the totals are a long pass.
TOTALS_MS = 250
#: The positions grid is repainted at most every GRID_PAINT_SHARE × its repaint time (a
#: repaint of 30 ms: every 150 ms), never waiting more than GRID_MAX_WAIT_MS.
GRID_PAINT_SHARE = 5.0
GRID_MAX_WAIT_MS = 400
#: How far back to look for the equity recorded before today's 00:00 UTC.
HISTORY_BASELINE_LOOKBACK = timedelta(days=7)
ALERT_FEED_STATES = ("stale", "error")


def settle_startup_heap() -> None:
    """Move what start-up built (engine, ledger, widgets, pyqtgraph, pandas) out of the
    cyclic garbage collector's sight, once.

    Those objects live as long as the window; a full collection would otherwise walk all of
    them again and again — on a large book a pause of 100-200 ms on the event loop every
    few minutes. After ``gc.freeze()`` a collection walks only what was created since.
    """
    gc.collect()
    gc.freeze()


def default_data_dir() -> Path:
    from desktop_app.app import resolve_data_dir

    return resolve_data_dir(None)


class MainWindow(QMainWindow):
    """The trading window over one ``PortfolioManager``."""

    def __init__(
        self,
        manager: PortfolioManager,
        parent: QWidget | None = None,
        *,
        feed: Any = None,
        data_dir: Path | None = None,
        settings: AppSettings | None = None,
        log_path: Path | None = None,
        icon: QIcon | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.manager = manager
        self.feed = feed
        self.pipeline: Any = None
        self.data_dir = data_dir or manager.data_dir or default_data_dir()
        self.settings = settings or AppSettings(self.data_dir)
        self.log_path = log_path
        self.precision = SymbolPrecision()
        self.bridge = EngineBridge(manager, self)
        self.notifier = Notifier(self, icon or self.windowIcon())
        self._feed_state = "none"
        self._closing = False
        self.setWindowTitle(self._title())
        self.resize(1500, 900)
        self.actions_ = Actions(self)
        self.trading = TradingActions(self)
        self._build()
        self._connect()
        self.reload()
        self.restore_layout()
        self.feed_timer = QTimer(self)
        self.feed_timer.setInterval(FEED_POLL_MS)
        self.feed_timer.timeout.connect(self.poll_feed)
        self.feed_timer.start()
        self.views: Any = None  # the chart docks, installed after the first paint
        self._last_flush: PriceFlush | None = None
        self._grid_flush: PriceFlush | None = None
        self.grid_timer = QTimer(self)
        self.grid_timer.setSingleShot(True)
        self.grid_timer.timeout.connect(self._apply_grid_prices)
        self.totals_timer = QTimer(self)
        self.totals_timer.setSingleShot(True)
        self.totals_timer.setInterval(TOTALS_MS)
        self.totals_timer.timeout.connect(self._flush_totals)
        self.poll_feed()
        self.event_log.add(
            f"{APP_NAME} {__version__} ready · {self.positions.model.row_count()} open "
            f"position(s) · data in {self.data_dir}",
            Level.INFO,
            Category.SYSTEM,
        )

    # ------------------------------------------------------------------ building
    def _title(self) -> str:
        demo = " — DEMO" if self.manager.config.demo else ""
        return f"{APP_NAME}{demo} — {self.data_dir.name or self.data_dir}"

    def _build(self) -> None:
        self.toolbar = build_menus_and_toolbar(self, self.actions_)
        self.summary = SummaryStrip(self)
        self.positions = PositionsPanel(self.precision, self)
        self.history = HistoryPanel(self.precision, self)
        self.event_log = EventLog(self)
        log_panel = QWidget(self)
        log_layout = QVBoxLayout(log_panel)
        log_layout.setContentsMargins(0, 0, 0, 0)
        log_layout.setSpacing(0)
        log_title = QLabel("Event log", log_panel)
        log_title.setStyleSheet("font-weight: 600; padding: 7px 8px 6px 8px;")
        log_layout.addWidget(log_title)
        log_layout.addWidget(self.event_log, 1)

        self.bottom_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.bottom_splitter.setObjectName("bottomSplitter")
        self.bottom_splitter.addWidget(self.history)
        self.bottom_splitter.addWidget(log_panel)
        self.bottom_splitter.setStretchFactor(0, 3)
        self.bottom_splitter.setStretchFactor(1, 2)
        self.main_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.positions)
        self.main_splitter.addWidget(self.bottom_splitter)
        self.main_splitter.setStretchFactor(0, 3)
        self.main_splitter.setStretchFactor(1, 2)
        self.main_splitter.setSizes([480, 320])
        self.bottom_splitter.setSizes([900, 600])
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.summary)
        layout.addWidget(self.main_splitter, 1)
        self.setCentralWidget(central)
        self.status_view = StatusBarView(self.statusBar(), self.data_dir, self)

    def _connect(self) -> None:
        a, t, b = self.actions_, self.trading, self.bridge
        a.open_position.triggered.connect(self._open_ticket)
        a.close_position.triggered.connect(lambda: t.close_selected(100))
        a.pause.triggered.connect(t.toggle_pause)
        a.liquidate.triggered.connect(t.liquidate)
        a.rebalance.triggered.connect(t.rebalance)
        a.settings.triggered.connect(t.open_settings)
        a.export.triggered.connect(t.choose_export_folder)
        a.edit_tags.triggered.connect(t.edit_selected_tags)
        a.find.triggered.connect(self._focus_filter)
        a.reset_layout.triggered.connect(self.reset_layout)
        a.open_data_dir.triggered.connect(t.open_data_dir)
        a.about.triggered.connect(t.about)
        a.quit.triggered.connect(self.close)
        self.positions.closeRequested.connect(t.close_position)
        self.positions.tagsRequested.connect(t.edit_tags)
        self.positions.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.history.exportRequested.connect(t.choose_export_file)
        b.positionOpened.connect(self._position_changed)
        b.positionUpdated.connect(self._position_changed)
        b.positionClosed.connect(self._position_closed)
        b.fillBooked.connect(self._fill_booked)
        b.cashMoved.connect(self._cash_moved)
        b.pricesUpdated.connect(self._prices_updated)
        b.statusChanged.connect(self._status_changed)
        b.liquidationCompleted.connect(self._liquidation_completed)
        b.configChanged.connect(self._config_changed)
        b.riskLimitExceeded.connect(self._risk_limit_exceeded)
        b.rebalanceCompleted.connect(self._rebalance_completed)
        b.performanceUpdated.connect(lambda _summary: self.refresh_summary())
        b.engineError.connect(self._engine_error)

    # ------------------------------------------------------------------ state
    def reload(self) -> None:
        """Load every grid from the engine's current state (start-up only)."""
        tracker = self.manager.position_tracker
        self.positions.model.load(tracker.get_all_open_positions(), tracker.equity())
        self.history.closed_model.load(tracker.get_closed_positions())
        self.history.fills_model.load(tracker.recent_fills())
        self._status_changed(self.manager.status, log_it=False)  # refreshes the summary too
        self._selection_changed()

    async def load_history(self) -> None:
        """Load the full fill journal and the day's opening equity from the store, if any.

        The engine keeps only recent fills in memory; the store has them all. The day P&L
        starts from the last equity snapshot before 00:00 UTC, or — for a portfolio born
        today — from the first one recorded today.
        """
        store = getattr(self.manager, "store", None)
        if store is None:
            return
        try:
            self.history.fills_model.load(list(await store.read_fills()))
            midnight = day_start(utc_now())
            curve = await store.read_equity_curve(start=midnight - HISTORY_BASELINE_LOOKBACK)
            if len(curve):
                before = curve[curve.index < midnight]
                row = before.iloc[-1] if len(before) else curve.iloc[0]
                moment = midnight if len(before) else row.name.to_pydatetime()
                equity = Decimal(repr(float(row["equity"])))
                self.summary.day_pnl.set_history_baseline(equity, moment)
                self.refresh_summary()
        except Exception as exc:  # the grids keep the in-memory history
            log.exception("loading the history from the database failed")
            self.event_log.add(
                f"Could not load the full history from the database: {exc}",
                Level.ERROR,
                Category.SYSTEM,
            )

    async def history_changed(self) -> None:
        """The store's history changed under the window (a brand-new DEMO played its
        months): reload the fills and the day's baseline, and let the views read it."""
        await self.load_history()
        if self.views is not None and not self._closing:
            self.views.history_changed()

    def refresh_summary(self, totals: dict[str, Any] | None = None) -> dict[str, Any]:
        """Show the ledger totals (read now unless given); returns them for the views."""
        manager = self.manager
        totals = totals or manager.position_tracker.get_portfolio_summary()
        self.summary.update_summary(
            totals,
            status=manager.status.value,
            status_reason=manager.status_reason,
            demo=manager.config.demo,
            quote=manager.config.quote_currency,
            movements=manager.position_tracker.cash_movements(),
        )
        self.positions.show_ledger_totals(totals)
        return totals

    def _selection_changed(self, *_args: object) -> None:
        selected = self.positions.selected_position_id() is not None
        self.actions_.close_position.setEnabled(selected)
        self.actions_.edit_tags.setEnabled(selected)

    def _open_ticket(self) -> None:
        self.trading.open_position()

    def _focus_filter(self) -> None:
        self.positions.filter.setFocus()
        self.positions.filter.selectAll()

    # --------------------------------------------------------------- engine events
    def _position_changed(self, position: Position) -> None:
        self.positions.model.position_changed(position)
        self.refresh_summary()

    def _position_closed(self, position: Position) -> None:
        self.positions.model.position_changed(position)
        self.history.closed_model.position_closed(position)
        self.refresh_summary()
        self._selection_changed()

    def _fill_booked(self, fill: Fill) -> None:
        self.history.fills_model.fill_booked(fill)
        self.event_log.add(describe_fill(fill, self.precision), Level.INFO, Category.TRADE)

    def _cash_moved(self, movement: Any) -> None:
        quote = self.manager.config.quote_currency
        self.event_log.add(describe_cash(movement, quote), Level.INFO, Category.TRADE)
        self.refresh_summary()

    def _prices_updated(self, flush: PriceFlush) -> None:
        """Grid cells at every flush — unless repainting the grid takes long (a book of
        thousands), then paced so it takes at most a fifth of the time; the totals (a pass
        over the whole ledger) at most every :data:`TOTALS_MS`, for the strip and views."""
        self._grid_flush = (
            flush if self._grid_flush is None else merge_flushes(self._grid_flush, flush)
        )
        if not self.grid_timer.isActive():
            pace = GRID_PAINT_SHARE * self.positions.table.paint_ms
            self.grid_timer.start(int(min(GRID_MAX_WAIT_MS, max(0.0, pace - PRICE_FLUSH_MS))))
        self._last_flush = flush
        if not self.totals_timer.isActive():
            self.totals_timer.start()

    def _apply_grid_prices(self) -> None:
        flush, self._grid_flush = self._grid_flush, None
        if flush is not None:
            self.positions.model.apply_prices(flush)

    def _flush_totals(self) -> None:
        flush = self._last_flush
        totals = self.refresh_summary()
        if self.views is not None and flush is not None:
            self.views.prices_updated(flush, totals)

    # ------------------------------------------------------------------- views
    async def install_views(self) -> Any:
        """Create the chart docks (P&L, risk, allocation, rebalance, performance,
        correlation & stress) and restore their saved layout. Called once after the first
        paint. pyqtgraph is imported here, on the GUI thread (about 0.5 s): its import
        loads Qt libraries (OpenGL, Svg, Test) and creates Qt types, which must not happen
        on a worker thread while the event loop runs (an occasional crash at start-up)."""
        if self.views is not None or self._closing:
            return self.views
        await asyncio.sleep(0)  # let the first paint and pending events through first
        importlib.import_module("pyqtgraph")
        if self._closing:
            return None
        from .views.docks import ViewDocks

        self.views = ViewDocks(self)
        self.views.restore(self.settings.load_bytes("window/state"))
        self.views.start()
        settle_startup_heap()
        return self.views

    def _status_changed(self, status: PortfolioStatus, *, log_it: bool = True) -> None:
        manager = self.manager
        paused = status is not PortfolioStatus.ACTIVE and status is not PortfolioStatus.LIQUIDATING
        pause = self.actions_.pause
        pause.setChecked(paused)
        pause.setText("Resume" if paused else "Pause")
        pause.setToolTip(
            f"Resume trading (the portfolio is {status.value}) (F9)"
            if paused
            else "Pause: refuse new exposure until resumed; closing stays possible (F9)"
        )
        self.actions_.liquidate.setEnabled(status is not PortfolioStatus.LIQUIDATING)
        self.actions_.rebalance.setEnabled(
            manager.rebalancer is not None and status is PortfolioStatus.ACTIVE
        )
        if manager.rebalancer is None:
            self.actions_.rebalance.setToolTip("Rebalancing needs the rebalancer component")
        self.status_view.show_status(status.value, manager.status_reason, manager.config.demo)
        self.refresh_summary()
        if log_it:
            level = Level.INFO if status is PortfolioStatus.ACTIVE else Level.WARNING
            self.event_log.add(
                describe_status(status, manager.status_reason), level, Category.STATUS
            )

    def _config_changed(self, _config: Any) -> None:
        self.setWindowTitle(self._title())
        self.refresh_summary()
        self.status_view.show_status(
            self.manager.status.value, self.manager.status_reason, self.manager.config.demo
        )

    def _liquidation_completed(self, result: Any) -> None:
        text = describe_liquidation(result)
        self.event_log.add(text, Level.WARNING if result.success else Level.ERROR, Category.STATUS)
        self.notifier.notify("Portfolio liquidated", text, critical=not result.success)

    def _risk_limit_exceeded(self, payload: Any) -> None:
        text = describe_risk(payload)
        breaker = is_breaker_trip(payload)
        self.event_log.add(text, Level.ERROR if breaker else Level.WARNING, Category.RISK)
        title = "Circuit breaker tripped" if breaker else "Risk limit exceeded"
        self.notifier.notify(title, text, critical=True)

    def _rebalance_completed(self, payload: Any) -> None:
        level = Level.SUCCESS if getattr(payload, "success", True) else Level.WARNING
        self.event_log.add(describe_rebalance(payload), level, Category.REBALANCE)

    def _engine_error(self, payload: Any) -> None:
        text = describe_error(payload)
        self.event_log.add(text, Level.ERROR, Category.SYSTEM)
        self.statusBar().showMessage(text, 10_000)

    # ------------------------------------------------------------------- feed
    def set_feed(self, feed: Any, pipeline: Any = None) -> None:
        """Show ``feed`` in the status bar (``pipeline`` adds tick statistics)."""
        self.feed = feed
        self.pipeline = pipeline
        self.poll_feed()

    def report_feed_problem(self, text: str) -> None:
        """The feed could not start: say so where the trader looks; keep running."""
        self.event_log.add(text, Level.ERROR, Category.FEED)
        self.statusBar().showMessage(text, 15_000)
        self.notifier.notify("Price feed unavailable", text, critical=True)

    def poll_feed(self) -> None:
        stats = self.pipeline.stats() if self.pipeline is not None else None
        state = self.status_view.show_feed(self.feed, self.bridge.last_tick_age_s(), stats)
        if state == self._feed_state:
            return
        previous, self._feed_state = self._feed_state, state
        if self.feed is None:
            return
        message = getattr(self.feed, "status_message", "") or ""
        text = f"Price feed {state.upper()}" + (f": {message}" if message else "")
        level = {
            "live": Level.SUCCESS,
            "stale": Level.WARNING,
            "error": Level.ERROR,
        }.get(state, Level.INFO)
        self.event_log.add(text, level, Category.FEED)
        if state in ALERT_FEED_STATES and previous != state:
            self.notifier.notify("Price feed " + state, message or text, critical=state == "error")

    # ----------------------------------------------------------------- theme
    def apply_theme(self, name: str) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, name)
        self.refresh_style()

    def refresh_style(self) -> None:
        for model in (
            self.positions.model,
            self.history.closed_model,
            self.history.fills_model,
            self.event_log.log_model,
        ):
            model.refresh_style()
        self.summary.refresh_style()
        if self.views is not None:
            self.views.refresh_style()
        self._status_changed(self.manager.status, log_it=False)  # refreshes the summary too
        self._feed_state = "restyle"
        self.poll_feed()

    # ----------------------------------------------------------------- layout
    def _grids(self) -> dict[str, Any]:
        return {
            "positions": self.positions.table,
            "closed": self.history.closed_table,
            "fills": self.history.fills_table,
        }

    def save_layout(self) -> None:
        s = self.settings
        s.save_bytes("window/geometry", self.saveGeometry())
        if self.views is not None:  # before the docks exist, keep their saved arrangement
            s.save_bytes("window/state", self.saveState())
        s.save_bytes("splitter/main", self.main_splitter.saveState())
        s.save_bytes("splitter/bottom", self.bottom_splitter.saveState())
        for name, grid in self._grids().items():
            s.save_bytes(f"grid/{name}", grid.save_state())

    def restore_layout(self) -> None:
        s = self.settings
        geometry = s.load_bytes("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = s.load_bytes("window/state")
        if state is not None:
            self.restoreState(state)
        for key, splitter in (("main", self.main_splitter), ("bottom", self.bottom_splitter)):
            saved = s.load_bytes(f"splitter/{key}")
            if saved is not None:
                splitter.restoreState(saved)
        for name, grid in self._grids().items():
            grid.restore_state(s.load_bytes(f"grid/{name}"))

    def reset_layout(self) -> None:
        for grid in self._grids().values():
            grid.reset_layout()
        self.main_splitter.setSizes([480, 320])
        self.bottom_splitter.setSizes([900, 600])
        if self.views is not None:
            self.views.reset_layout()

    def shutdown(self) -> None:
        """Save the layout and stop listening to the engine (idempotent)."""
        if self._closing:
            return
        self._closing = True
        self.feed_timer.stop()
        self.totals_timer.stop()
        self.grid_timer.stop()
        if self.views is not None:
            self.views.shutdown()
        try:
            self.save_layout()
        except Exception:
            log.exception("could not save the window layout")
        self.trading.close_dialogs()
        self.bridge.detach()
        self.notifier.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
