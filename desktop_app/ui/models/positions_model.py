"""The open-positions grid: one row per position id, live prices without model resets.

Rows are ``Position`` snapshots from the engine. A coalesced price flush (see
:mod:`desktop_app.ui.bridge`) records the new price per symbol and emits **one**
``dataChanged`` over the live columns (last price through weight) of the rows it moved —
at most ten a second, however fast the feed ticks. Rows are re-marked lazily, when a cell
is read, so a flush costs O(rows) dictionary look-ups and only the rows on screen are
rebuilt. Opening, updating and closing a position insert, replace or remove a single row.

Weight of equity is ``market_value / equity × 100`` (signed: a short has a negative
weight), using the equity of the same price batch.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any, ClassVar

from PySide6.QtGui import QColor

from desktop_app.portfolio import Position, PositionStatus, PositionType
from desktop_app.portfolio.values import ledger_math
from desktop_app.ui.bridge import PriceFlush
from desktop_app.ui.format import SymbolPrecision, format_money, format_pct, format_timestamp
from desktop_app.ui.theme import current_theme

from .columns import Column, ColumnTableModel, Kind


def _side(position: Position) -> str:
    return "LONG" if position.position_type is PositionType.LONG else "SHORT"


class PositionsModel(ColumnTableModel[Position]):
    """Open positions, keyed by ``position_id``."""

    key_attr: ClassVar[str] = "position_id"

    def __init__(self, precision: SymbolPrecision | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.precision = precision or SymbolPrecision()
        self.equity = Decimal(0)
        self._tick_direction: dict[str, int] = {}
        self._marks: dict[str, Decimal] = {}  # last price per symbol
        self._marked: dict[str, Position] = {}  # position id → row marked at its last price
        p = self.precision
        self.columns = (
            Column.of("symbol", "Symbol", width=96),
            Column("side", "Side", _side, kind=Kind.SIDE, width=58),
            Column(
                "size",
                "Size",
                lambda r: r.size,
                lambda r: p.size(r.symbol, r.size, r.current_price),
                Kind.NUMBER,
                "Open size in the base asset",
                width=108,
            ),
            Column(
                "entry_price",
                "Avg entry",
                lambda r: r.entry_price,
                lambda r: p.price(r.symbol, r.entry_price),
                Kind.NUMBER,
                "Average cost of the open size",
                width=104,
            ),
            Column(
                "last_price",
                "Last",
                lambda r: r.current_price,
                lambda r: p.price(r.symbol, r.current_price),
                Kind.NUMBER,
                "Last traded price (green/red: last tick up/down)",
                width=104,
                live=True,
            ),
            Column(
                "market_value",
                "Mkt value",
                lambda r: r.market_value,
                lambda r: format_money(r.market_value),
                Kind.NUMBER,
                "Signed market value in the quote currency (negative for shorts)",
                width=112,
                live=True,
            ),
            Column(
                "unrealized_pnl",
                "Unrealized P&L",
                lambda r: r.unrealized_pnl,
                lambda r: format_money(r.unrealized_pnl, sign=True),
                Kind.PNL,
                "Open P&L at the last price",
                width=118,
                live=True,
            ),
            Column(
                "unrealized_pnl_pct",
                "Unr. %",
                lambda r: r.unrealized_pnl_pct,
                lambda r: format_pct(r.unrealized_pnl_pct),
                Kind.PNL,
                "Unrealized P&L as a percentage of the open cost basis",
                width=80,
                live=True,
            ),
            Column(
                "weight_pct",
                "Weight",
                self.weight_pct,
                lambda r: format_pct(self.weight_pct(r), sign=False),
                Kind.NUMBER,
                "Market value as a percentage of portfolio equity",
                width=72,
                live=True,
            ),
            Column(
                "realized_pnl",
                "Realized P&L",
                lambda r: r.realized_pnl,
                lambda r: format_money(r.realized_pnl, sign=True),
                Kind.PNL,
                "P&L already realized on this position, after all fees",
                width=110,
            ),
            Column.of("strategy", "Strategy", width=90),
            Column.of("tags", "Tags", width=110),
            Column.of(
                "opened_at",
                "Opened",
                lambda v: format_timestamp(v, seconds=False),
                Kind.TIME,
                width=124,
            ),
            Column.of("status", "Status", width=70),
        )

    def weight_pct(self, position: Position) -> Decimal | None:
        if self.equity <= 0:
            return None
        with ledger_math():
            return position.market_value / self.equity * 100

    def foreground(self, row: Position, column: Column[Any]) -> QColor | None:
        if column.key == "last_price":
            direction = self._tick_direction.get(row.symbol, 0)
            if direction:
                return current_theme().color("tick_up" if direction > 0 else "tick_down")
            return None
        if column.key == "status" and row.status is PositionStatus.PARTIAL:
            return current_theme().color("warning")
        return super().foreground(row, column)

    # ------------------------------------------------------------------ marking
    def row_at(self, row: int) -> Position:
        return self._mark(self._rows[row])

    def rows(self) -> list[Position]:
        return [self._mark(position) for position in self._rows]

    def get(self, key: str) -> Position | None:
        position = super().get(key)
        return None if position is None else self._mark(position)

    def _mark(self, position: Position) -> Position:
        """``position`` at its symbol's last price (built once per price, then cached)."""
        price = self._marks.get(position.symbol)
        if price is None or price == position.current_price:
            return position
        cached = self._marked.get(position.position_id)
        if cached is not None and cached.current_price == price and cached.size == position.size:
            return cached
        marked = replace(position, current_price=price)
        self._marked[position.position_id] = marked
        return marked

    # ------------------------------------------------------------------- changes
    def load(self, positions: list[Position], equity: Decimal) -> None:
        self.equity = equity
        self._marked.clear()
        for position in positions:
            self.precision.observe(position.symbol, position.current_price)
        self.set_rows(positions)

    def position_changed(self, position: Position) -> None:
        """An opened, scaled-in or partly closed position; a closed one leaves the grid."""
        self._marked.pop(position.position_id, None)
        if not position.is_open:
            self.remove(position.position_id)
            return
        self.precision.observe(position.symbol, position.current_price)
        self.upsert(position)

    def apply_prices(self, flush: PriceFlush) -> int:
        """Re-mark the rows of symbols in ``flush``; one ``dataChanged``. Returns rows marked."""
        self._tick_direction.update({symbol: d for symbol, d in flush.direction.items() if d != 0})
        equity_moved = flush.equity != self.equity
        self.equity = flush.equity
        moved = {
            symbol for symbol, price in flush.prices.items() if self._marks.get(symbol) != price
        }
        self._marks.update(flush.prices)
        first = last = -1
        if moved:
            for number, position in enumerate(self._rows):
                if position.symbol in moved:
                    first = number if first < 0 else first
                    last = number
        if not self._rows or (first < 0 and not equity_moved):
            return 0
        if equity_moved:  # every weight moves with equity
            first, last = 0, len(self._rows) - 1
        live = [n for n, column in enumerate(self.columns) if column.live]
        self.dataChanged.emit(self.index(first, min(live)), self.index(last, max(live)))
        return last - first + 1
