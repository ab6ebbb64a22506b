"""The views as dock widgets of the main window: creation, layout, refresh cadence.

:class:`ViewDocks` is created once, just after the window's first paint (pyqtgraph is
imported then, off the event loop). Every view sits in a ``QDockWidget`` with an object
name, so the whole arrangement — floating, tabbed, closed — is saved with the window state
in the app's settings and restored on the next start; the View menu shows and hides each
(Ctrl+1 … Ctrl+6) and *Reset layout* restores the default: Risk at the top right, the
other views tabbed below it.

Refresh cadence, cheapest first:

* each coalesced price flush (at most ten a second) feeds the P&L chart a live point and the
  per-symbol bars, and the allocation bars when visible — from the ledger totals the
  window computed once for the flush;
* the risk gauges read the risk manager once a second while visible, and at once on a risk
  event or a status change (a breaker trip also brings the Risk dock to the front);
* correlations follow the risk manager's own background recomputation; the performance
  report is rebuilt when shown and after trades (at most once a minute); stress tests run
  when first shown and on demand; the rebalance history reloads after each rebalance.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QMenu,
    QSplitter,
    QTabBar,
    QTabWidget,
    QWidget,
)

from desktop_app.ui.bridge import PriceFlush
from desktop_app.ui.event_log import Category, Level

from .allocation_view import AllocationView
from .correlation_view import CorrelationView
from .performance_view import PerformanceView
from .pnl_view import PnlView
from .rebalance_view import RebalanceView
from .risk_view import RiskView
from .stress_view import StressView

if TYPE_CHECKING:
    from desktop_app.ui.main_window import MainWindow

log = logging.getLogger(__name__)

RISK_POLL_MS = 1_000
#: The allocation table and bars follow prices once a second (weights drift slowly).
ALLOCATION_S = 1.0
CORRELATION_POLL_MS = 5_000


@dataclass(frozen=True)
class DockSpec:
    key: str
    title: str
    object_name: str
    shortcut: str
    tip: str


DOCKS = (
    DockSpec("risk", "Risk", "riskDock", "Ctrl+1", "Risk gauges against every limit"),
    DockSpec("pnl", "P&&L", "pnlDock", "Ctrl+2", "Equity curve, drawdown, P&L by symbol"),
    DockSpec("allocation", "Allocation", "allocationDock", "Ctrl+3", "Current vs target weights"),
    DockSpec("rebalance", "Rebalance", "rebalanceDock", "Ctrl+4", "Plan, preview and execute"),
    DockSpec("performance", "Performance", "performanceDock", "Ctrl+5", "Metrics and reports"),
    DockSpec(
        "correlation",
        "Correlation && stress",
        "correlationDock",
        "Ctrl+6",
        "Correlations of held symbols and stress tests",
    ),
)


class ViewDocks(QObject):
    """Every view of one main window, in its dock."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        manager = window.manager
        self.risk = RiskView(manager)
        self.pnl = PnlView(manager)
        self.allocation = AllocationView(manager)
        self.rebalance = RebalanceView(manager, window.precision)
        self.performance = PerformanceView(manager)
        self.correlation = CorrelationView(manager)
        self.stress = StressView(manager)
        correlation_and_stress = QSplitter(Qt.Orientation.Vertical)
        correlation_and_stress.setObjectName("correlationStressSplitter")
        correlation_and_stress.addWidget(self.correlation)
        correlation_and_stress.addWidget(self.stress)
        correlation_and_stress.setSizes([420, 300])
        widgets: dict[str, QWidget] = {
            "risk": self.risk,
            "pnl": self.pnl,
            "allocation": self.allocation,
            "rebalance": self.rebalance,
            "performance": self.performance,
            "correlation": correlation_and_stress,
        }
        self.docks: dict[str, QDockWidget] = {}
        self.actions: dict[str, QAction] = {}
        window.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
            | QMainWindow.DockOption.AllowNestedDocks
        )
        window.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
        for spec in DOCKS:
            dock = QDockWidget(spec.title, window)
            dock.setObjectName(spec.object_name)
            dock.setWidget(widgets[spec.key])
            dock.setFeatures(
                QDockWidget.DockWidgetFeature.DockWidgetClosable
                | QDockWidget.DockWidgetFeature.DockWidgetMovable
                | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            )
            action = dock.toggleViewAction()
            action.setObjectName(f"actionShow{spec.object_name[:-4].title()}")
            action.setShortcut(QKeySequence(spec.shortcut))
            action.setText(spec.title)
            action.setStatusTip(
                f"Show or hide {spec.title.replace('&&', '&')}: {spec.tip} ({spec.shortcut})"
            )
            self.docks[spec.key] = dock
            self.actions[spec.key] = action
        self._seen: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._allocation_at = 0.0
        size = window.size()
        self.default_layout()
        window.layout().activate()
        window.resize(size)  # the docks fit into the window; they never grow it
        self.tidy_tabs()
        self.default_state = window.saveState()
        self._add_to_view_menu()
        self._connect()
        self.risk_timer = self._timer(RISK_POLL_MS, self._poll_risk)
        self.correlation_timer = self._timer(CORRELATION_POLL_MS, self._poll_correlation)

    # ------------------------------------------------------------------ layout
    def default_layout(self) -> None:
        """Risk on top at the right; P&L, allocation and the rest tabbed below it."""
        window = self.window
        right = Qt.DockWidgetArea.RightDockWidgetArea
        docks = self.docks
        for dock in docks.values():
            dock.setFloating(False)
            window.addDockWidget(right, dock)
            dock.show()
        window.splitDockWidget(docks["risk"], docks["pnl"], Qt.Orientation.Vertical)
        for key in ("allocation", "rebalance", "performance", "correlation"):
            window.tabifyDockWidget(docks["pnl"], docks[key])
        docks["pnl"].raise_()
        window.resizeDocks([docks["risk"]], [640], Qt.Orientation.Horizontal)
        window.resizeDocks([docks["risk"], docks["pnl"]], [430, 470], Qt.Orientation.Vertical)

    def reset_layout(self) -> None:
        if not self.window.restoreState(self.default_state):
            self.default_layout()
        self.tidy_tabs()

    def restore(self, state: QByteArray | None) -> bool:
        restored = state is not None and self.window.restoreState(state)
        self.tidy_tabs()
        return restored

    def tidy_tabs(self) -> None:
        """Tabbed docks show their whole titles (scroll arrows when they do not fit), never
        titles elided to "…"."""
        self.window.layout().activate()
        for bar in self.window.findChildren(QTabBar):
            if isinstance(bar.parent(), QMainWindow):
                bar.setElideMode(Qt.TextElideMode.ElideNone)
                bar.setUsesScrollButtons(True)

    def _add_to_view_menu(self) -> None:
        menu = self.window.findChild(QMenu, "viewMenu")
        if menu is None:
            return
        menu.addSeparator()
        for key in self.docks:
            menu.addAction(self.actions[key])

    def _timer(self, interval_ms: int, slot: Callable[[], None]) -> QTimer:
        timer = QTimer(self)
        timer.setInterval(interval_ms)
        timer.timeout.connect(slot)
        timer.start()
        return timer

    # ----------------------------------------------------------------- wiring
    def _connect(self) -> None:
        bridge = self.window.bridge
        bridge.riskLimitExceeded.connect(lambda _payload: self.refresh_risk())
        bridge.statusChanged.connect(lambda _status: self.refresh_risk())
        bridge.configChanged.connect(lambda _config: self._config_changed())
        bridge.fillBooked.connect(lambda _fill: self.performance.mark_stale())
        bridge.rebalanceCompleted.connect(
            lambda _result: self.spawn(self.rebalance.load_history(), "rebalance history")
        )
        self.risk.breakerTripped.connect(self._breaker_tripped)
        self.performance.exported.connect(self._exported)
        for key, dock in self.docks.items():
            dock.visibilityChanged.connect(lambda visible, k=key: self._shown(k, visible))

    def _shown(self, key: str, visible: bool) -> None:
        if not visible:
            return
        first = key not in self._seen
        self._seen.add(key)
        if key == "risk":
            self.refresh_risk()
        elif key == "allocation":
            self.allocation.refresh()
        elif key == "performance" and (first or self.performance.stale):
            self.spawn(self.performance.build(), "building the performance report")
        elif key == "correlation":
            self._poll_correlation()
            if self.window.manager.risk_manager.latest is None and first:
                self.spawn(self.correlation.recompute_now(), "recomputing the risk metrics")
            if first:
                self.spawn(self.stress.run_builtin(), "running the stress tests")

    def spawn(self, work: Coroutine[Any, Any, Any], what: str) -> None:
        """Run ``work`` as a task the docks own: cancelled at shutdown, failures logged."""
        task = asyncio.get_running_loop().create_task(work, name=what)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())

    async def settled(self) -> None:
        """Wait for the loads in flight (tests, and the screenshot automation)."""
        while self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)

    def start(self) -> None:
        """First loads once the views are on screen."""
        self.spawn(self.pnl.read_history(), "reading the equity curve")
        self.spawn(self.rebalance.load_history(), "reading the rebalance history")
        self.refresh_risk()
        for key, dock in self.docks.items():
            if dock.isVisible() and not dock.visibleRegion().isEmpty():
                self._shown(key, True)

    def history_changed(self) -> None:
        """The store's history grew under the views (a new DEMO's months): read it, and
        compute the risk metrics on it now rather than at the next interval."""
        self.spawn(self.pnl.read_history(), "reading the equity curve")
        self.spawn(self._recompute_risk(), "computing the risk metrics")

    async def _recompute_risk(self) -> None:
        metrics = await self.window.manager.risk_manager.calculate_risk_metrics()
        self.refresh_risk()
        if self._visible("correlation"):
            self.correlation.show_metrics(metrics)

    def prices_updated(self, flush: PriceFlush, totals: Mapping[str, Any]) -> None:
        """New prices with the ledger totals the window computed for them."""
        self.pnl.prices_updated(flush.timestamp, totals)
        now = time.monotonic()
        if self._visible("allocation") and now - self._allocation_at >= ALLOCATION_S:
            self._allocation_at = now
            self.allocation.refresh(totals)

    def _visible(self, key: str) -> bool:
        dock = self.docks[key]
        return dock.isVisible() and not dock.visibleRegion().isEmpty()

    def refresh_risk(self) -> None:
        try:
            self.risk.refresh()
        except Exception:  # a gauge must never take the window down
            log.exception("could not refresh the risk gauges")

    def _poll_risk(self) -> None:
        if self._visible("risk"):
            self.refresh_risk()

    def _poll_correlation(self) -> None:
        if self._visible("correlation"):
            self.correlation.show_metrics(self.window.manager.risk_manager.latest)

    def _config_changed(self) -> None:
        self.refresh_risk()
        if self._visible("allocation"):
            self.allocation.refresh()

    def _breaker_tripped(self, tripped: bool) -> None:
        dock = self.docks["risk"]
        dock.setWindowTitle("⚠ Risk — BREAKER TRIPPED" if tripped else "Risk")
        if tripped:
            dock.show()
            dock.raise_()

    def _exported(self, path: str) -> None:
        self.window.event_log.add(f"Analytics exported to {path}", Level.SUCCESS, Category.SYSTEM)

    # ------------------------------------------------------------------ style
    def refresh_style(self) -> None:
        for view in (
            self.risk,
            self.pnl,
            self.allocation,
            self.rebalance,
            self.performance,
            self.correlation,
            self.stress,
        ):
            view.refresh_style()

    def shutdown(self) -> None:
        """Stop the timers and the loads in flight (the window is closing)."""
        for task in tuple(self._tasks):
            task.cancel()
        self.stress.shutdown()
        for timer in (
            self.risk_timer,
            self.correlation_timer,
            self.pnl.history_timer,
            self.performance.auto_timer,
            self.rebalance.stale_timer,
        ):
            timer.stop()
