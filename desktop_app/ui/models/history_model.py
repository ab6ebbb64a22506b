"""The history grids: closed positions (a trade blotter) and every fill, newest first.

Both are :class:`ColumnTableModel` tables fed once at start-up (from the store's full
journal when there is one, otherwise from the engine's in-memory history) and then row by
row from ``position_closed`` / ``fill_booked`` events. :class:`DateRangeProxy` adds the date
filter (closing time for positions, execution time for fills) to the text filter.

Return % of a closed position is ``realized_pnl / entry_value × 100``: what was made on
the money put in, fees included.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from desktop_app.portfolio import Fill, Position, PositionType
from desktop_app.portfolio.values import ledger_math
from desktop_app.ui.format import (
    SymbolPrecision,
    format_duration,
    format_money,
    format_pct,
    format_timestamp,
)

from .columns import Column, ColumnTableModel, FilterProxy, Kind


def closed_return_pct(position: Position) -> Decimal | None:
    if not position.entry_value:
        return None
    with ledger_math():
        return position.realized_pnl / position.entry_value * 100


def holding_period(position: Position) -> float | None:
    if position.closed_at is None:
        return None
    return (position.closed_at - position.opened_at).total_seconds()


class ClosedPositionsModel(ColumnTableModel[Position]):
    """Closed positions, most recently closed first."""

    key_attr: ClassVar[str] = "position_id"
    time_of = staticmethod(lambda position: position.closed_at)

    def __init__(self, precision: SymbolPrecision | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        p = self.precision = precision or SymbolPrecision()
        self.columns = (
            Column.of("closed_at", "Closed", format_timestamp, Kind.TIME, width=140),
            Column.of("symbol", "Symbol", width=96),
            Column(
                "side",
                "Side",
                lambda r: "LONG" if r.position_type is PositionType.LONG else "SHORT",
                kind=Kind.SIDE,
                width=58,
            ),
            Column(
                "closed_size",
                "Size",
                lambda r: r.closed_size,
                lambda r: p.size(r.symbol, r.closed_size, r.entry_price),
                Kind.NUMBER,
                "Total size closed",
                width=108,
            ),
            Column(
                "entry_price",
                "Avg entry",
                lambda r: r.entry_price,
                lambda r: p.price(r.symbol, r.entry_price),
                Kind.NUMBER,
                width=104,
            ),
            Column(
                "exit_price",
                "Avg exit",
                lambda r: r.exit_price,
                lambda r: p.price(r.symbol, r.exit_price),
                Kind.NUMBER,
                width=104,
            ),
            Column(
                "realized_pnl",
                "Realized P&L",
                lambda r: r.realized_pnl,
                lambda r: format_money(r.realized_pnl, sign=True),
                Kind.PNL,
                "Realized P&L after every fee paid on the position",
                width=112,
            ),
            Column(
                "return_pct",
                "Return",
                closed_return_pct,
                lambda r: format_pct(closed_return_pct(r)),
                Kind.PNL,
                "Realized P&L as a percentage of the entry value",
                width=80,
            ),
            Column.of("fees_paid", "Fees", format_money, Kind.NUMBER, width=80),
            Column(
                "held",
                "Held",
                holding_period,
                lambda r: format_duration(holding_period(r)),
                Kind.NUMBER,
                "Time from opening to the final close",
                width=84,
            ),
            Column.of("opened_at", "Opened", format_timestamp, Kind.TIME, width=140),
            Column.of("strategy", "Strategy", width=90),
            Column.of("tags", "Tags", width=110),
        )

    def load(self, positions: list[Position]) -> None:
        for position in positions:
            self.precision.observe(position.symbol, position.entry_price)
        ordered = sorted(positions, key=lambda p: p.closed_at or p.opened_at, reverse=True)
        self.set_rows(ordered)

    def position_closed(self, position: Position) -> None:
        self.precision.observe(position.symbol, position.entry_price)
        self.upsert(position, at_top=True)


class FillsModel(ColumnTableModel[Fill]):
    """Every execution, newest first, bounded to ``max_rows``."""

    key_attr: ClassVar[str] = "fill_id"
    time_of = staticmethod(lambda fill: fill.timestamp)

    def __init__(
        self,
        precision: SymbolPrecision | None = None,
        parent: Any = None,
        *,
        max_rows: int = 50_000,
    ) -> None:
        super().__init__(parent)
        p = self.precision = precision or SymbolPrecision()
        self.max_rows = max_rows
        self.columns = (
            Column.of("timestamp", "Time", format_timestamp, Kind.TIME, width=140),
            Column.of("symbol", "Symbol", width=96),
            Column.of("side", "Side", kind=Kind.SIDE, width=52),
            Column.of("kind", "Kind", width=64),
            Column(
                "size",
                "Size",
                lambda r: r.size,
                lambda r: p.size(r.symbol, r.size, r.price),
                Kind.NUMBER,
                width=108,
            ),
            Column(
                "price",
                "Price",
                lambda r: r.price,
                lambda r: p.price(r.symbol, r.price),
                Kind.NUMBER,
                width=104,
            ),
            Column.of("notional", "Notional", format_money, Kind.NUMBER, width=108),
            Column.of("fee", "Fee", format_money, Kind.NUMBER, width=72),
            Column(
                "realized_pnl",
                "Realized P&L",
                lambda r: r.realized_pnl,
                lambda r: format_money(r.realized_pnl, sign=True),
                Kind.PNL,
                "P&L this fill realized (an opening fill realizes minus its fee)",
                width=110,
            ),
            Column.of("strategy", "Strategy", width=90),
            Column("position_id", "Position", lambda r: r.position_id[:8], width=80),
        )

    def load(self, fills: list[Fill]) -> None:
        for fill in fills:
            self.precision.observe(fill.symbol, fill.price)
        ordered = sorted(fills, key=lambda f: (f.timestamp, f.sequence), reverse=True)
        self.set_rows(ordered[: self.max_rows])

    def fill_booked(self, fill: Fill) -> None:
        self.precision.observe(fill.symbol, fill.price)
        self.upsert(fill, at_top=True)
        self.trim(self.max_rows)


class DateRangeProxy(FilterProxy):
    """Text filter plus ``start <= time < end`` on the model's ``time_of(row)``."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.start: datetime | None = None
        self.end: datetime | None = None

    def set_range(self, start: datetime | None, end: datetime | None) -> None:
        if (start, end) != (self.start, self.end):

            def change() -> None:
                self.start, self.end = start, end

            self.refilter(change)

    def accepts(self, row: Any) -> bool:
        if self.start is None and self.end is None:
            return True
        model = self.sourceModel()
        moment = model.time_of(row) if hasattr(model, "time_of") else None
        if moment is None:
            return True
        if self.start is not None and moment < self.start:
            return False
        return not (self.end is not None and moment >= self.end)
