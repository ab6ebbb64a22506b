"""A trading grid: a ``QTableView`` over a column model behind a sort/filter proxy.

Shared by the positions and history panels: compact rows, sortable headers (sorting on
values), movable and resizable columns whose layout is saved and restored, a
column-visibility menu on the header, and CSV export of exactly what is shown.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QByteArray, QModelIndex, QPersistentModelIndex, QPoint, QRect, Qt
from PySide6.QtGui import QAction, QFontMetrics, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from .models.columns import KEY_ROLE, LEFT, RIGHT, ColumnTableModel, FilterProxy

ROW_HEIGHT = 23
#: Weight of the newest repaint in the smoothed repaint time.
PAINT_SMOOTHING = 0.2


class CellDelegate(QStyledItemDelegate):
    """Fills a cell's style option from one call into the column model.

    The stock delegate asks the proxy for seven roles per cell, and each is three calls
    into Python (the proxy checks the row and column counts); on a grid of live prices
    repainted several times a second that was most of the repaint. Only for models that
    answer display, alignment, font and colour the standard way (no ``data`` override);
    tooltips and sorting still go through ``data``.
    """

    def __init__(self, grid: Grid) -> None:
        super().__init__(grid)
        self._proxy = grid.proxy
        self._source = grid.source
        self._metrics: tuple[object, QFontMetrics] | None = None

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        source = self._proxy.mapToSource(index)
        text, numeric, colour = self._source.cell(source.row(), source.column())
        option.index = index
        option.features |= QStyleOptionViewItem.ViewItemFeature.HasDisplay
        option.text = text
        if numeric:
            font = self._source.number_font
            if self._metrics is None or self._metrics[0] is not font:
                self._metrics = (font, QFontMetrics(font))
            option.displayAlignment = RIGHT
            option.font = font
            option.fontMetrics = self._metrics[1]
        else:
            option.displayAlignment = LEFT
        if colour is not None:
            palette = option.palette
            palette.setColor(QPalette.ColorRole.Text, colour)
            option.palette = palette


class Grid(QTableView):
    """The view; ``source`` is the column model, ``proxy`` the sort/filter proxy."""

    def __init__(
        self,
        name: str,
        source: ColumnTableModel,
        proxy: FilterProxy,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.source = source
        self.proxy = proxy
        proxy.setSourceModel(source)
        self.setModel(proxy)
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        vertical = self.verticalHeader()
        vertical.hide()
        vertical.setDefaultSectionSize(ROW_HEIGHT)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self.default_state = QByteArray()
        self.default_sort: tuple[int, Qt.SortOrder] = (-1, Qt.SortOrder.AscendingOrder)
        self.empty_text = ""
        #: How long a repaint takes, smoothed: the window paces live updates by it.
        self.paint_ms = 0.0
        if type(source).data is ColumnTableModel.data:
            self.setItemDelegate(CellDelegate(self))
        self.apply_default_widths()

    def dataChanged(
        self,
        top_left: QModelIndex | QPersistentModelIndex,
        bottom_right: QModelIndex | QPersistentModelIndex,
        roles: Sequence[int] = (),
    ) -> None:
        """Repaint only the changed columns of the rows on screen.

        The stock view repaints its whole viewport for any change of more than one cell;
        a price flush changes five live columns, so most of a repaint was spent on cells
        that had not moved.
        """
        if top_left == bottom_right or not self.isVisible():
            super().dataChanged(top_left, bottom_right, roles)
            return
        height = self.viewport().height()
        first, last = self.rowAt(0), self.rowAt(height - 1)
        last = self.model().rowCount() - 1 if last < 0 else last
        low, high = max(top_left.row(), first), min(bottom_right.row(), last)
        if first < 0 or low > high:
            return  # nothing on screen changed
        top = self.rowViewportPosition(low)
        bottom = self.rowViewportPosition(high) + self.rowHeight(high)
        header = self.horizontalHeader()
        band = QRect()
        for column in range(top_left.column(), bottom_right.column() + 1):
            if not header.isSectionHidden(column):
                left = self.columnViewportPosition(column)
                band = band.united(QRect(left, top, self.columnWidth(column), bottom - top))
        if not band.isEmpty():
            self.viewport().update(band)

    def paintEvent(self, event: QPaintEvent) -> None:
        started = time.perf_counter()
        super().paintEvent(event)
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.paint_ms += PAINT_SMOOTHING * (elapsed_ms - self.paint_ms)
        if self.empty_text and self.proxy.rowCount() == 0:
            text = self.empty_text if self.source.row_count() == 0 else "Nothing matches the filter"
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(
                self.viewport().rect().adjusted(0, 0, 0, -20),
                Qt.AlignmentFlag.AlignCenter,
                text,
            )
            painter.end()

    def keep_source_order(self) -> None:
        """No sorting: rows stay in the order the model gives them (report tables)."""
        self.setSortingEnabled(False)
        self.proxy.sort(-1)
        self.default_sort = (-1, Qt.SortOrder.AscendingOrder)

    def set_default_sort(self, column: int, order: Qt.SortOrder) -> None:
        """Sort by ``column`` now and after a layout reset."""
        self.default_sort = (column, order)
        self.sortByColumn(column, order)

    def apply_default_widths(self) -> None:
        header = self.horizontalHeader()
        for number, column in enumerate(self.source.columns):
            header.resizeSection(number, column.width)
        self.default_state = header.saveState()

    def reset_layout(self) -> None:
        header = self.horizontalHeader()
        for logical in range(header.count()):
            header.showSection(logical)
            header.moveSection(header.visualIndex(logical), logical)
        self.apply_default_widths()
        self.sortByColumn(*self.default_sort)

    def save_state(self) -> QByteArray:
        return self.horizontalHeader().saveState()

    def restore_state(self, state: QByteArray | None) -> bool:
        if state is None:
            return False
        return self.horizontalHeader().restoreState(state)

    def _header_menu(self, point: QPoint) -> None:
        header = self.horizontalHeader()
        menu = QMenu(self)
        for number, column in enumerate(self.source.columns):
            action = QAction(column.title, menu)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(number))
            action.toggled.connect(lambda on, n=number: header.setSectionHidden(n, not on))
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction("Reset columns", self.reset_layout)
        menu.popup(header.mapToGlobal(point))

    # ----------------------------------------------------------------- access
    def selected_keys(self) -> list[str]:
        rows = {index.row() for index in self.selectionModel().selectedRows()}
        if not rows and self.currentIndex().isValid():
            rows = {self.currentIndex().row()}
        return [self.proxy.data(self.proxy.index(row, 0), KEY_ROLE) for row in sorted(rows)]

    def select_key(self, key: str) -> bool:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if self.proxy.data(index, KEY_ROLE) == key:
                self.selectRow(row)
                self.setCurrentIndex(index)
                return True
        return False

    def visible_rows(self) -> tuple[list[str], list[list[str]]]:
        """Header and rows exactly as shown (filtered, sorted), with exact values."""
        header = self.source.export_header()
        rows = [
            self.source.export_row(self.source.get(key))
            for key in self.proxy.source_keys()
            if self.source.get(key) is not None
        ]
        return header, rows


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    """Write a UTF-8 CSV (with BOM, so Excel reads the symbols and the minus signs right)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def report_grid(
    name: str, model: ColumnTableModel, parent: QWidget, empty: str, *, source_order: bool = False
) -> Grid:
    """A grid over ``model`` for a report view: its own filter proxy, the text shown while it
    is empty, and (``source_order``) the model's row order kept until a header is clicked."""
    grid = Grid(name, model, FilterProxy(parent), parent)
    grid.empty_text = empty
    if source_order:
        grid.keep_source_order()
    return grid
