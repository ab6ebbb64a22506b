"""Tables of the Rebalance view: planned orders, their outcomes, and past rebalances.

Rows wrap the rebalancer's own records (``PlannedOrder``, ``OrderOutcome``, the stored
``RebalanceResult`` dicts) with a position in the plan as the key, so the same symbol may
appear twice (a grid's buy and sell) and a row is updated in place as its order fills.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from PySide6.QtGui import QColor

from desktop_app.portfolio.rebalance_plan import OrderOutcome, OutcomeStatus, PlannedOrder
from desktop_app.ui.format import DASH, SymbolPrecision, format_money
from desktop_app.ui.models.columns import Column, ColumnTableModel, Kind
from desktop_app.ui.theme import current_theme

OUTCOME_COLOURS = {
    OutcomeStatus.FILLED: "positive",
    OutcomeStatus.DRY_RUN: "accent",
    OutcomeStatus.PARTIALLY_FILLED: "warning",
    OutcomeStatus.SKIPPED: "muted",
    OutcomeStatus.FAILED: "negative",
    OutcomeStatus.UNBOOKED: "negative",
}


@dataclass(frozen=True)
class OrderRow:
    """Planned order ``index`` of a plan and, once placed, its outcome."""

    key: str
    index: int
    order: PlannedOrder
    outcome: OrderOutcome | None = None

    @property
    def status(self) -> str:
        return "planned" if self.outcome is None else self.outcome.status.value


class OrdersModel(ColumnTableModel[OrderRow]):
    """The plan's orders: what will be sent, at what expected price and cost; then what
    happened to each."""

    key_attr: ClassVar[str] = "key"

    def __init__(self, precision: SymbolPrecision, parent: Any = None) -> None:
        super().__init__(parent)
        p = precision
        self.columns = (
            Column("index", "#", lambda r: r.index + 1, width=34),
            Column("side", "Side", lambda r: r.order.side, kind=Kind.SIDE, width=52),
            Column("symbol", "Symbol", lambda r: r.order.symbol, width=92),
            Column(
                "size",
                "Size",
                lambda r: r.order.size,
                lambda r: p.size(r.order.symbol, r.order.size, r.order.mark_price),
                Kind.NUMBER,
                width=104,
            ),
            Column(
                "expected_price",
                "Expected price",
                lambda r: r.order.expected_price,
                lambda r: p.price(r.order.symbol, r.order.expected_price),
                Kind.NUMBER,
                "The mark plus (buy) or minus (sell) the slippage",
                width=124,
            ),
            Column(
                "notional",
                "Notional",
                lambda r: r.order.notional,
                lambda r: format_money(r.order.notional),
                Kind.NUMBER,
                width=100,
            ),
            Column(
                "cost",
                "Est. cost",
                lambda r: r.order.estimated_cost,
                lambda r: format_money(r.order.estimated_cost),
                Kind.NUMBER,
                "Estimated fee plus slippage",
                width=84,
            ),
            Column.of("status", "Result", width=96),
            Column(
                "filled",
                "Filled",
                lambda r: (
                    None if r.outcome is None or not r.outcome.traded else r.outcome.filled_size
                ),
                lambda r: (
                    DASH
                    if r.outcome is None or not r.outcome.traded
                    else p.size(r.order.symbol, r.outcome.filled_size, r.order.mark_price)
                ),
                Kind.NUMBER,
                width=100,
            ),
            Column(
                "fill_price",
                "Fill price",
                lambda r: None if r.outcome is None else r.outcome.fill_price,
                lambda r: (
                    DASH
                    if r.outcome is None or r.outcome.fill_price is None
                    else p.price(r.order.symbol, r.outcome.fill_price)
                ),
                Kind.NUMBER,
                width=100,
            ),
            Column(
                "fee",
                "Fee",
                lambda r: None if r.outcome is None or not r.outcome.traded else r.outcome.fee,
                lambda r: (
                    DASH
                    if r.outcome is None or not r.outcome.traded
                    else format_money(r.outcome.fee)
                ),
                Kind.NUMBER,
                width=76,
            ),
            Column(
                "message",
                "Note",
                lambda r: r.outcome.message if r.outcome is not None else r.order.reason,
                width=280,
            ),
        )

    def foreground(self, row: OrderRow, column: Column[Any]) -> QColor | None:
        if column.key == "status" and row.outcome is not None:
            return current_theme().color(OUTCOME_COLOURS[row.outcome.status])
        return super().foreground(row, column)


@dataclass(frozen=True)
class HistoryRow:
    """One stored rebalance result (``RebalanceResult.to_dict()``)."""

    key: str
    finished_at: datetime | None
    strategy: str
    orders: int
    filled: int
    failed: int
    cost: Decimal | None
    dry_run: bool
    summary: str

    @classmethod
    def from_record(cls, number: int, record: dict[str, Any]) -> HistoryRow:
        outcomes = record.get("outcomes") or []
        statuses = [str(o.get("status", "")) for o in outcomes]
        finished = record.get("finished_at")
        when = datetime.fromisoformat(finished) if isinstance(finished, str) else finished
        fees = Decimal(str(record.get("fees") or 0))
        slippage = Decimal(str(record.get("slippage_cost") or 0))
        return cls(
            key=f"{finished}:{number}",
            finished_at=when,
            strategy=str(record.get("strategy", "")),
            orders=len(outcomes),
            filled=sum(s in ("filled", "partially filled") for s in statuses),
            failed=sum(s in ("failed", "filled, not booked") for s in statuses),
            cost=fees + slippage,
            dry_run=bool(record.get("dry_run")),
            summary=str(record.get("summary") or record.get("reason") or ""),
        )


class RebalanceHistoryModel(ColumnTableModel[HistoryRow]):
    key_attr: ClassVar[str] = "key"

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = (
            Column.of("finished_at", "Finished", kind=Kind.TIME, width=140),
            Column.of("strategy", "Strategy", width=100),
            Column.of("orders", "Orders", kind=Kind.NUMBER, width=60),
            Column.of("filled", "Filled", kind=Kind.NUMBER, width=60),
            Column.of("failed", "Failed", kind=Kind.NUMBER, width=60),
            Column(
                "cost",
                "Cost",
                lambda r: r.cost,
                lambda r: format_money(r.cost),
                Kind.NUMBER,
                "Fees plus slippage of the fills",
                width=84,
            ),
            Column("dry_run", "Dry run", lambda r: "yes" if r.dry_run else "", width=60),
            Column.of("summary", "Summary", width=380),
        )

    def foreground(self, row: HistoryRow, column: Column[Any]) -> QColor | None:
        if column.key == "failed" and row.failed:
            return current_theme().color("negative")
        return super().foreground(row, column)
