"""The open-positions panel: title with totals, a filter box and the ``positionsTable``.

Double-clicking a row asks to close that position; the context menu offers close,
close 25 / 50 / 100 % and edit tags. The panel only emits requests — the main window runs
the dialogs and talks to the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QMenu, QVBoxLayout, QWidget

from .format import SymbolPrecision, format_money
from .grid import Grid
from .models.columns import KEY_ROLE, FilterProxy
from .models.positions_model import PositionsModel
from .theme import pnl_color


class PositionsPanel(QWidget):
    """Signals ``closeRequested(position_id, percent)`` and ``tagsRequested(position_id)``."""

    closeRequested = Signal(str, int)
    tagsRequested = Signal(str)

    def __init__(self, precision: SymbolPrecision, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PositionsModel(precision, self)
        self.proxy = FilterProxy(self)
        self.table = Grid("positionsTable", self.model, self.proxy, self)
        self.table.empty_text = "No open positions — press Ctrl+N to open one"
        self.table.set_default_sort(self.model.column_index("symbol"), Qt.SortOrder.AscendingOrder)
        self.title = QLabel("Open positions", self)
        self.title.setObjectName("panelTitle")
        self.title.setStyleSheet("font-weight: 600;")
        self.totals = QLabel(self)
        self.totals.setObjectName("positionsTotals")
        self.totals.setProperty("role", "muted")
        self.filter = QLineEdit(self)
        self.filter.setObjectName("positionsFilter")
        self.filter.setPlaceholderText("Filter: symbol, side, strategy, tag…  (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMinimumWidth(320)
        self.filter.setMaximumWidth(420)
        self.filter.textChanged.connect(self.proxy.set_filter_words)
        top = QHBoxLayout()
        top.setContentsMargins(8, 6, 8, 4)
        top.addWidget(self.title)
        top.addSpacing(12)
        top.addWidget(self.totals)
        top.addStretch(1)
        top.addWidget(self.filter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.customContextMenuRequested.connect(self._context_menu)

    def show_ledger_totals(self, summary: Mapping[str, Any]) -> None:
        """The same totals from the ledger's summary, which the window computes anyway as
        prices move: summing thousands of rows again for the title would double the cost."""
        self._show_totals(
            int(summary["count"]), summary["total_market_value"], summary["total_unrealized_pnl"]
        )

    def _show_totals(self, count: int, market_value: Decimal, pnl: Decimal) -> None:
        if not count:
            self.totals.setText("")
            return
        colour = pnl_color(pnl)
        pnl_html = format_money(pnl, sign=True)
        if colour is not None:
            pnl_html = f'<span style="color:{colour.name()}">{pnl_html}</span>'
        self.totals.setText(
            f"{count} position{'s' if count != 1 else ''} · market value "
            f"{format_money(market_value)} · unrealized {pnl_html}"
        )

    def selected_position_id(self) -> str | None:
        keys = self.table.selected_keys()
        return keys[0] if keys else None

    def _double_clicked(self, index: object) -> None:
        key = self.proxy.data(self.proxy.index(index.row(), 0), KEY_ROLE)  # type: ignore[attr-defined]
        if key:
            self.closeRequested.emit(key, 100)

    def _context_menu(self, point: QPoint) -> None:
        index = self.table.indexAt(point)
        if not index.isValid():
            return
        key = self.proxy.data(self.proxy.index(index.row(), 0), KEY_ROLE)
        self.table.selectRow(index.row())
        menu = QMenu(self)
        menu.setObjectName("positionMenu")
        menu.addAction("Close…", lambda: self.closeRequested.emit(key, 100))
        menu.addSeparator()
        for pct in (25, 50, 100):
            menu.addAction(f"Close {pct} %…", lambda p=pct: self.closeRequested.emit(key, p))
        menu.addSeparator()
        menu.addAction("Edit tags…", lambda: self.tagsRequested.emit(key))
        menu.popup(self.table.viewport().mapToGlobal(point))
        self.context_menu = menu
