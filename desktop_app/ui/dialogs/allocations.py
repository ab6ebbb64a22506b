"""The target-allocation editor: an editable table of symbol → target weight.

Weights are typed in percent (0–100 each) and must add up to at most 100 %; whatever is
left is held as cash and shown under the table. Each row also shows the current weight
(market value / equity) and the drift ``current − target`` in percentage points, so the
trader sees what a rebalance would do. The final word on validity is the engine's own
``validate_target_allocations`` — its message is shown inline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.portfolio import ConfigError
from desktop_app.portfolio.config import validate_target_allocations
from desktop_app.ui.format import format_pct, parse_decimal
from desktop_app.ui.models.columns import LEFT, RIGHT
from desktop_app.ui.theme import current_theme, number_font

from .common import error_label, show_error

AnyIndex = QModelIndex | QPersistentModelIndex
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class AllocationRow:
    symbol: str
    target_pct: Decimal | None  # None: not a number yet
    current_pct: Decimal | None = None


class AllocationModel(QAbstractTableModel):
    """Editable rows: symbol and target %; current % and drift are read-only."""

    HEADERS = ("Symbol", "Target", "Current", "Drift")
    SYMBOL, TARGET, CURRENT, DRIFT = range(4)
    edited = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[AllocationRow] = []
        self._font = number_font()

    def load(self, targets: Mapping[str, float], current: Mapping[str, Decimal]) -> None:
        """``targets`` as weights 0..1, ``current`` as weights of equity (0..1)."""
        self.beginResetModel()
        symbols = list(targets) + [s for s in current if s not in targets]
        self._rows = [
            AllocationRow(
                symbol,
                Decimal(str(targets[symbol])) * HUNDRED if symbol in targets else Decimal(0),
                Decimal(str(current.get(symbol, 0))) * HUNDRED,
            )
            for symbol in symbols
        ]
        self.endResetModel()

    def rows(self) -> list[AllocationRow]:
        return list(self._rows)

    def add_row(self, symbol: str = "") -> int:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(AllocationRow(symbol, Decimal(0)))
        self.endInsertRows()
        self.edited.emit()
        return row

    def remove_rows(self, rows: list[int]) -> None:
        for row in sorted(set(rows), reverse=True):
            if 0 <= row < len(self._rows):
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
        self.edited.emit()

    def total_pct(self) -> Decimal:
        return sum((r.target_pct or Decimal(0) for r in self._rows), Decimal(0))

    # ------------------------------------------------------------- Qt interface
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.HEADERS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(LEFT if section == self.SYMBOL else RIGHT)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() in (self.SYMBOL, self.TARGET):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        drift = (
            row.current_pct - row.target_pct
            if row.current_pct is not None and row.target_pct is not None
            else None
        )
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                self.SYMBOL: row.symbol,
                self.TARGET: format_pct(row.target_pct, sign=False)
                if row.target_pct is not None
                else "?",
                self.CURRENT: format_pct(row.current_pct, sign=False),
                self.DRIFT: format_pct(drift),
            }.get(column)
        if role == Qt.ItemDataRole.EditRole:
            if column == self.SYMBOL:
                return row.symbol
            if column == self.TARGET:
                return "" if row.target_pct is None else format(row.target_pct.normalize(), "f")
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(LEFT if column == self.SYMBOL else RIGHT)
        if role == Qt.ItemDataRole.FontRole and column != self.SYMBOL:
            return self._font
        if role == Qt.ItemDataRole.ForegroundRole:
            theme = current_theme()
            if column == self.TARGET and (
                row.target_pct is None or not 0 <= row.target_pct <= HUNDRED
            ):
                return theme.color("negative")
            if column in (self.CURRENT, self.DRIFT):
                return theme.color("muted")
        return None

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        if not 0 <= index.row() < len(self._rows):
            return False
        row = self._rows[index.row()]
        if index.column() == self.SYMBOL:
            row = replace(row, symbol=str(value).strip().upper())
        elif index.column() == self.TARGET:
            text = str(value).replace("%", "")
            row = replace(row, target_pct=parse_decimal(text))
        else:
            return False
        self._rows[index.row()] = row
        self.dataChanged.emit(
            self.index(index.row(), 0), self.index(index.row(), self.columnCount() - 1)
        )
        self.edited.emit()
        return True


class AllocationEditor(QWidget):
    """The table, add/remove buttons, the cash remainder and the validation message."""

    changed = Signal()

    def __init__(self, quote_currency: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.quote = quote_currency
        self.model = AllocationModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("allocationTable")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.add_button = QPushButton("Add symbol", self)
        self.add_button.setObjectName("addAllocationButton")
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setObjectName("removeAllocationButton")
        self.cash_label = QLabel(self)
        self.cash_label.setObjectName("cashRemainderLabel")
        self.error = error_label(self, "allocationError")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cash_label)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "Target weights in percent of equity. They may add up to at most 100 %; "
                "the rest is held as cash.",
                self,
            )
        )
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.model.edited.connect(self._validate)
        self.model.modelReset.connect(self._validate)

    def load(self, targets: Mapping[str, float], current: Mapping[str, Decimal]) -> None:
        self.model.load(targets, current)
        self.initial = self.targets_or_none()

    def _add(self) -> None:
        row = self.model.add_row()
        index = self.model.index(row, AllocationModel.SYMBOL)
        self.table.setCurrentIndex(index)
        self.table.edit(index)

    def _remove(self) -> None:
        rows = [index.row() for index in self.table.selectionModel().selectedRows()]
        if not rows and self.table.currentIndex().isValid():
            rows = [self.table.currentIndex().row()]
        self.model.remove_rows(rows)

    def problem(self) -> str:
        """Why the table cannot be applied, or ""."""
        for row in self.model.rows():
            if not row.symbol:
                return "Every row needs a symbol (or remove the empty row)"
            if row.target_pct is None:
                return f"The target of {row.symbol} is not a number"
            if not 0 <= row.target_pct <= HUNDRED:
                return f"The target of {row.symbol} must be between 0 % and 100 %"
        try:
            validate_target_allocations(self._weights(), self.quote)
        except ConfigError as exc:
            return str(exc)
        return ""

    def _weights(self) -> dict[str, Decimal]:
        weights: dict[str, Decimal] = {}
        for row in self.model.rows():
            if row.symbol in weights:
                raise ConfigError(f"{row.symbol} appears twice in the target allocations")
            weights[row.symbol] = (row.target_pct or Decimal(0)) / HUNDRED
        return weights

    def targets_or_none(self) -> dict[str, float] | None:
        """The validated weights (0..1), or None while the table is invalid."""
        if self.problem():
            return None
        return validate_target_allocations(self._weights(), self.quote)

    def _validate(self) -> None:
        problem = self.problem()
        show_error(self.error, problem)
        total = self.model.total_pct()
        cash = HUNDRED - total
        colour = current_theme().negative if cash < 0 else current_theme().muted
        self.cash_label.setText(
            f"Allocated {format_pct(total, sign=False)} · cash {format_pct(cash, sign=False)}"
        )
        self.cash_label.setStyleSheet(f"color: {colour};")
        self.changed.emit()
