"""The event log: a time-stamped, colour-coded record of what happened this session.

Positions opened and closed, risk violations, circuit-breaker trips, feed status changes,
rebalances, pauses, liquidations and every error the engine reported — newest on top,
bounded to :data:`MAX_ENTRIES` so a week-long session does not grow without limit. Every
entry is also written to the log file.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from desktop_app.portfolio.values import utc_now

from .format import format_clock, format_timestamp
from .models.columns import Column, ColumnTableModel, Kind
from .theme import current_theme

log = logging.getLogger("desktop_app.events")

MAX_ENTRIES = 5_000
_sequence = itertools.count(1)


class Level(Enum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


class Category(Enum):
    TRADE = "trade"
    RISK = "risk"
    FEED = "feed"
    STATUS = "status"
    REBALANCE = "rebalance"
    CONFIG = "config"
    SYSTEM = "system"


@dataclass(frozen=True)
class LogEntry:
    message: str
    level: Level = Level.INFO
    category: Category = Category.SYSTEM
    time: datetime = field(default_factory=utc_now)
    key: str = field(default_factory=lambda: str(next(_sequence)))


_LOG_LEVELS = {
    Level.INFO: logging.INFO,
    Level.SUCCESS: logging.INFO,
    Level.WARNING: logging.WARNING,
    Level.ERROR: logging.ERROR,
}


class EventLogModel(ColumnTableModel[LogEntry]):
    """Entries newest first."""

    key_attr: ClassVar[str] = "key"
    columns = (
        Column(
            "time",
            "Time",
            lambda e: e.time,
            lambda e: format_clock(e.time),
            Kind.TIME,
            width=70,
        ),
        Column("category", "Type", lambda e: e.category, width=78),
        Column("message", "Event", lambda e: e.message, width=320),
    )

    def foreground(self, row: LogEntry, column: Column[Any]) -> QColor | None:
        theme = current_theme()
        if column.key == "time":
            return theme.color("muted")
        role = {
            Level.ERROR: "negative",
            Level.WARNING: "warning",
            Level.SUCCESS: "positive",
        }.get(row.level)
        return theme.color(role) if role else None

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid():
            entry = self.row_at(index.row())
            return f"{format_timestamp(entry.time)} · {entry.level.value}\n{entry.message}"
        return super().data(index, role)


class EventLog(QTableView):
    """The ``eventLog`` view with its own model; :meth:`add` appends an entry."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("eventLog")
        self.log_model = EventLogModel(self)
        self.setModel(self.log_model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(22)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        for number, column in enumerate(self.log_model.columns):
            header.resizeSection(number, column.width)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)

    def add(
        self,
        message: str,
        level: Level = Level.INFO,
        category: Category = Category.SYSTEM,
    ) -> LogEntry:
        entry = LogEntry(message, level, category)
        log.log(_LOG_LEVELS[level], "[%s] %s", category.value, message)
        self.log_model.upsert(entry, at_top=True)
        self.log_model.trim(MAX_ENTRIES)
        return entry

    def messages(self) -> list[str]:
        """Messages newest first (for tests and the clipboard)."""
        return [entry.message for entry in self.log_model.rows()]
