"""History: closed positions (``historyTable``) and fills (``fillsTable``) with a date
filter, a text filter and CSV export of what is shown.

Date ranges are chosen in local calendar days (``From`` 00:00 to the end of ``To``) and
compared with the UTC timestamps of the records; presets cover the usual questions
(today, 7 and 30 days, this year, everything).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .format import SymbolPrecision
from .grid import Grid
from .models.history_model import ClosedPositionsModel, DateRangeProxy, FillsModel

PRESETS = (
    ("All time", None),
    ("Today", 0),
    ("Last 7 days", 6),
    ("Last 30 days", 29),
    ("This year", "year"),
    ("Custom range", "custom"),
)


def local_day_bounds(first: QDate, last: QDate) -> tuple[datetime, datetime]:
    """``first`` 00:00 local to the end of ``last``, as aware datetimes."""
    start = datetime.combine(first.toPython(), time()).astimezone()
    end = datetime.combine(last.toPython() + timedelta(days=1), time()).astimezone()
    return start, end


class HistoryPanel(QWidget):
    """Emits ``exportRequested(grid)`` when the trader asks to export the visible grid."""

    exportRequested = Signal(object)

    def __init__(self, precision: SymbolPrecision, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.closed_model = ClosedPositionsModel(precision, self)
        self.closed_proxy = DateRangeProxy(self)
        self.closed_table = Grid("historyTable", self.closed_model, self.closed_proxy, self)
        self.closed_table.empty_text = "No closed positions in this period"
        self.closed_table.set_default_sort(0, Qt.SortOrder.DescendingOrder)  # newest first
        self.fills_model = FillsModel(precision, self)
        self.fills_proxy = DateRangeProxy(self)
        self.fills_table = Grid("fillsTable", self.fills_model, self.fills_proxy, self)
        self.fills_table.empty_text = "No fills in this period"
        self.fills_table.set_default_sort(0, Qt.SortOrder.DescendingOrder)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("historyTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.closed_table, "Closed positions")
        self.tabs.addTab(self.fills_table, "Fills")

        self.preset = QComboBox(self)
        self.preset.setObjectName("historyRangeCombo")
        for label, value in PRESETS:
            self.preset.addItem(label, value)
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-29), self)
        self.date_from.setObjectName("historyFromDate")
        self.date_to = QDateEdit(today, self)
        self.date_to.setObjectName("historyToDate")
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.filter = QLineEdit(self)
        self.filter.setObjectName("historyFilter")
        self.filter.setPlaceholderText("Filter: symbol, side, strategy, tag…")
        self.filter.setClearButtonEnabled(True)
        self.export_button = QPushButton("Export CSV…", self)
        self.export_button.setObjectName("historyExportButton")
        self.export_button.setToolTip("Save the rows shown (filtered and sorted) as CSV")

        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 8, 4)
        title = QLabel("History", self)
        title.setStyleSheet("font-weight: 600;")
        bar.addWidget(title)
        bar.addSpacing(10)
        bar.addWidget(self.preset)
        bar.addWidget(self.date_from)
        bar.addWidget(QLabel("–", self))
        bar.addWidget(self.date_to)
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.tabs, 1)

        self.preset.currentIndexChanged.connect(self._preset_chosen)
        self.date_from.dateChanged.connect(self._dates_edited)
        self.date_to.dateChanged.connect(self._dates_edited)
        self.filter.textChanged.connect(self._filter_changed)
        self.export_button.clicked.connect(lambda: self.exportRequested.emit(self.current_grid()))
        self._preset_chosen(0)

    def current_grid(self) -> Grid:
        return (
            self.fills_table
            if self.tabs.currentWidget() is self.fills_table
            else (self.closed_table)
        )

    def grids(self) -> tuple[Grid, Grid]:
        return self.closed_table, self.fills_table

    def _filter_changed(self, text: str) -> None:
        self.closed_proxy.set_filter_words(text)
        self.fills_proxy.set_filter_words(text)

    def _preset_chosen(self, _index: int) -> None:
        value = self.preset.currentData()
        custom = value == "custom"
        self.date_from.setEnabled(custom)
        self.date_to.setEnabled(custom)
        if custom:
            self._apply_range()
            return
        today = QDate.currentDate()
        if value is None:
            self._set_range(None, None)
            return
        first = QDate(today.year(), 1, 1) if value == "year" else today.addDays(-int(value))
        for edit, date in ((self.date_from, first), (self.date_to, today)):
            edit.blockSignals(True)
            edit.setDate(date)
            edit.blockSignals(False)
        self._apply_range()

    def _dates_edited(self, _date: QDate) -> None:
        if self.preset.currentData() == "custom":
            self._apply_range()

    def set_custom_range(self, first: QDate, last: QDate) -> None:
        """Filter to ``first``..``last`` inclusive (automation and tests)."""
        self.preset.setCurrentIndex(self.preset.findData("custom"))
        self.date_from.setDate(first)
        self.date_to.setDate(last)
        self._apply_range()

    def _apply_range(self) -> None:
        first, last = self.date_from.date(), self.date_to.date()
        if last < first:
            first, last = last, first
        self._set_range(*local_day_bounds(first, last))

    def _set_range(self, start: datetime | None, end: datetime | None) -> None:
        self.closed_proxy.set_range(start, end)
        self.fills_proxy.set_range(start, end)
