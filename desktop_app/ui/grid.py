"""A trading grid: a ``QTableView`` over a column model behind a sort/filter proxy.

Shared by the positions and history panels: compact rows, sortable headers (sorting on
values), movable and resizable columns whose layout is saved and restored, a
column-visibility menu on the header, and CSV export of exactly what is shown.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QByteArray, QPoint, Qt
from PySide6.QtGui import QAction, QPainter, QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QWidget

from .models.columns import KEY_ROLE, ColumnTableModel, FilterProxy

ROW_HEIGHT = 23


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
        self.apply_default_widths()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
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
