"""A declarative column table over a real ``QAbstractTableModel``, keyed by row id.

Each grid declares its columns once as :class:`Column` objects (title, value, text, kind);
:class:`ColumnTableModel` answers every Qt role from that table, so display, alignment,
colour, tooltips, sorting and CSV export cannot disagree. Rows are kept in a list with an
id → row index so an update touches one row (``dataChanged``), an insert or removal uses
``beginInsertRows``/``beginRemoveRows``, and only a full reload resets the model.

Sorting uses :data:`SORT_ROLE`, which returns the *value* (a float for numbers, a POSIX
timestamp for times, lower-case text otherwise) — never the formatted text, where
``"9.00"`` would sort after ``"10.00"``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from operator import attrgetter
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont

from desktop_app.ui.format import DASH, format_timestamp
from desktop_app.ui.theme import current_theme, number_font, pnl_color

Row = TypeVar("Row")
AnyIndex = QModelIndex | QPersistentModelIndex

SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # the value to sort on
KEY_ROLE = Qt.ItemDataRole.UserRole + 2  # the row's id (position id, fill id)
VALUE_ROLE = Qt.ItemDataRole.UserRole + 3  # the raw value (exact Decimal, datetime, ...)

#: The roles a column model answers; every other role is None without looking at the row.
SERVED_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.ToolTipRole,
        SORT_ROLE,
        KEY_ROLE,
        VALUE_ROLE,
    }
)

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter
#: Every cell is enabled and selectable (built once: enum arithmetic per cell adds up).
#: Text cells longer than this show their whole text as a tooltip.
LONG_TEXT = 24
CELL_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class Kind(Enum):
    """How a column's value is shown and coloured."""

    TEXT = "text"
    NUMBER = "number"  # right-aligned, monospace
    PNL = "pnl"  # a number coloured green/red by sign
    TIME = "time"
    SIDE = "side"  # long/buy green, short/sell red


@dataclass(frozen=True)
class Column(Generic[Row]):
    """One column: ``value(row)`` is the truth, ``text(row)`` its display."""

    key: str
    title: str
    value: Callable[[Row], Any]
    text: Callable[[Row], str] | None = None
    kind: Kind = Kind.TEXT
    tooltip: str = ""
    width: int = 90
    live: bool = False  # changes with every price tick

    @property
    def numeric(self) -> bool:
        return self.kind in (Kind.NUMBER, Kind.PNL)

    @classmethod
    def of(
        cls,
        key: str,
        title: str,
        fmt: Callable[[Any], str] | None = None,
        kind: Kind = Kind.TEXT,
        **options: Any,
    ) -> Column[Any]:
        """A column over the row attribute ``key``, shown as ``fmt(value)`` (or as is)."""
        get = attrgetter(key)
        text = None if fmt is None else (lambda row: fmt(get(row)))
        return cls(key, title, get, text, kind, **options)


def sort_key(value: Any) -> Any:
    """What the proxy compares: numbers as floats, times as timestamps, text lower-cased."""
    if value is None:
        return float("-inf")
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (Decimal, int, float)):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, Enum):
        return str(value.value).lower()
    if isinstance(value, (tuple, list)):
        return ", ".join(map(str, value)).lower()
    return str(value).lower()


def default_text(value: Any) -> str:
    if value is None:
        return DASH
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, Enum):
        return str(value.value).upper()
    if isinstance(value, (tuple, list)):
        return ", ".join(map(str, value))
    return str(value)


def export_text(value: Any) -> str:
    """Exact, machine-readable values for CSV: full-precision decimals, ISO times in UTC."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, (tuple, list)):
        return ";".join(map(str, value))
    return str(value)


class ColumnTableModel(QAbstractTableModel, Generic[Row]):
    """A read-only table over rows with ids; subclasses set ``columns`` and ``key_of``."""

    columns: ClassVar[Sequence[Column[Any]]] = ()
    #: The attribute of a row that identifies it (``position_id``, ``fill_id``, ...).
    key_attr: ClassVar[str] = "key"

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []
        self._index: dict[str, int] = {}
        self._number_font = number_font()

    # ------------------------------------------------------------------- contract
    def key_of(self, row: Row) -> str:
        return str(getattr(row, self.key_attr))

    def foreground(self, row: Row, column: Column[Any]) -> QColor | None:
        """Colour of one cell; P&L columns by sign, sides green/red. Override for more."""
        if column.kind is Kind.PNL:
            return pnl_color(column.value(row))
        if column.kind is Kind.SIDE:
            text = default_text(column.value(row)).lower()
            if text in ("long", "buy"):
                return current_theme().color("positive")
            if text in ("short", "sell"):
                return current_theme().color("negative")
        return None

    def search_text(self, row: Row) -> str:
        """Text the filter box matches against: every text column, lower-cased."""
        return " ".join(
            default_text(column.value(row)).lower()
            for column in self.columns
            if column.kind in (Kind.TEXT, Kind.SIDE)
        )

    # --------------------------------------------------------------------- access
    def row_count(self) -> int:
        return len(self._rows)

    def rows(self) -> list[Row]:
        return list(self._rows)

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    def filter_row(self, row: int) -> Row:
        """The row as the filter sees it: only text columns matter there, so a model that
        builds its displayed rows lazily (live prices) hands over the stored one."""
        return self._rows[row]

    def row_of(self, key: str) -> int | None:
        return self._index.get(key)

    def get(self, key: str) -> Row | None:
        index = self._index.get(key)
        return None if index is None else self._rows[index]

    def column_index(self, key: str) -> int:
        for number, column in enumerate(self.columns):
            if column.key == key:
                return number
        raise KeyError(key)

    # ------------------------------------------------------------------- changing
    def set_rows(self, rows: Iterable[Row]) -> None:
        """Replace everything (loading, a new date range) — never for price ticks."""
        self.beginResetModel()
        self._rows = list(rows)
        self._reindex()
        self.endResetModel()

    def update_rows(self, rows: Iterable[Row]) -> None:
        """Replace every row: one ``dataChanged`` when the ids are the same, in the same
        order (a refreshed report), else a reset."""
        new = list(rows)
        if [self.key_of(r) for r in new] != [self.key_of(r) for r in self._rows] or not new:
            self.set_rows(new)
            return
        self._rows = new
        self.dataChanged.emit(self.index(0, 0), self.index(len(new) - 1, len(self.columns) - 1))

    def upsert(self, row: Row, *, at_top: bool = False) -> None:
        """Insert a new row, or replace the one with the same id (one ``dataChanged``)."""
        key = self.key_of(row)
        existing = self._index.get(key)
        if existing is not None:
            self._rows[existing] = row
            last = len(self.columns) - 1
            self.dataChanged.emit(self.index(existing, 0), self.index(existing, last))
            return
        position = 0 if at_top else len(self._rows)
        self.beginInsertRows(QModelIndex(), position, position)
        self._rows.insert(position, row)
        if at_top:
            self._reindex()
        else:
            self._index[key] = position
        self.endInsertRows()

    def remove(self, key: str) -> Row | None:
        index = self._index.get(key)
        if index is None:
            return None
        self.beginRemoveRows(QModelIndex(), index, index)
        row = self._rows.pop(index)
        self._reindex()
        self.endRemoveRows()
        return row

    def trim(self, max_rows: int) -> None:
        """Drop the rows beyond ``max_rows`` from the end (bounded logs)."""
        if len(self._rows) <= max_rows:
            return
        self.beginRemoveRows(QModelIndex(), max_rows, len(self._rows) - 1)
        del self._rows[max_rows:]
        self._reindex()
        self.endRemoveRows()

    def _reindex(self) -> None:
        self._index = {self.key_of(row): number for number, row in enumerate(self._rows)}

    @property
    def number_font(self) -> QFont:
        """The font of numeric cells (monospace digits, so columns of numbers line up)."""
        return self._number_font

    def refresh_style(self) -> None:
        """Repaint every cell (after a theme change)."""
        self._number_font = number_font()
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(self.columns) - 1)
            )

    # --------------------------------------------------------------- Qt interface
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip or column.title
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(RIGHT if column.numeric else LEFT)
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in SERVED_ROLES:  # a delegate asks for ~7 roles per cell and repaint
            return None
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        if not 0 <= index.column() < len(self.columns):
            return None
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:  # no row needed for these two
            return int(RIGHT if column.numeric else LEFT)
        if role == Qt.ItemDataRole.FontRole:
            return self._number_font if column.numeric else None
        row = self.row_at(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(row, column)
        if role == SORT_ROLE:
            return sort_key(column.value(row))
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            value = column.value(row)
            if isinstance(value, Decimal):
                return f"{column.title}: {export_text(value)}"
            if column.kind is Kind.TEXT:  # a long text cut by its column reads in full
                text = self.display(row, column)
                return text if len(text) > LONG_TEXT else None
            return None
        if role == KEY_ROLE:
            return self.key_of(row)
        if role == VALUE_ROLE:
            return column.value(row)
        return None

    def display(self, row: Row, column: Column[Any]) -> str:
        """The text of one cell."""
        if column.text is not None:
            return column.text(row)
        return default_text(column.value(row))

    def cell(self, row_number: int, column_number: int) -> tuple[str, bool, QColor | None]:
        """What painting one cell needs, in one call: its text, whether it is a number
        (right-aligned, monospace) and its colour (None: the palette's text colour)."""
        column = self.columns[column_number]
        row = self.row_at(row_number)
        return self.display(row, column), column.numeric, self.foreground(row, column)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return CELL_FLAGS

    # -------------------------------------------------------------------- export
    def export_header(self) -> list[str]:
        return [column.title for column in self.columns]

    def export_row(self, row: Row) -> list[str]:
        return [export_text(column.value(row)) for column in self.columns]


class FilterProxy(QSortFilterProxyModel):
    """Sorts on :data:`SORT_ROLE`; filters rows whose text contains every typed word.

    Subclasses may add more conditions in :meth:`accepts` (the history grids add a date
    range).
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._words: tuple[str, ...] = ()
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def set_filter_words(self, text: str) -> None:
        words = tuple(word for word in text.lower().split() if word)
        if words != self._words:
            self.refilter(lambda: setattr(self, "_words", words))

    def refilter(self, change: Callable[[], None]) -> None:
        """Apply ``change`` to the filter state and re-run the filter."""
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+
            self.beginFilterChange()
            change()
            self.endFilterChange()
        else:  # pragma: no cover - Qt 6.8
            change()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        if not self._words and type(self).accepts is FilterProxy.accepts:
            return True  # no filter: a price flush re-checks thousands of rows, cheaply
        model = self.sourceModel()
        if not isinstance(model, ColumnTableModel) or source_row >= model.row_count():
            return True
        row = model.filter_row(source_row)
        if self._words:
            haystack = model.search_text(row)
            if not all(word in haystack for word in self._words):
                return False
        return self.accepts(row)

    def accepts(self, row: Any) -> bool:
        return True

    def source_keys(self) -> list[str]:
        """Row ids in the order the view shows them (filtered and sorted)."""
        return [self.data(self.index(number, 0), KEY_ROLE) for number in range(self.rowCount())]
