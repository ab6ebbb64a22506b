"""How one fill changes one position: the ledger's arithmetic, in exactly one place.

:func:`apply_fill` folds a fill into a :class:`WorkingPosition` — a mutable stand-in for a
:class:`~desktop_app.portfolio.records.Position` with the same fields. The tracker uses it
two ways, so live booking and a replay of the journal run the *same* code:

* booking a live fill copies the position into a working one, applies the fill and takes a
  frozen snapshot (the effect's ``position``);
* a replay keeps one working position per position id, folds every stored fill into it and
  takes each snapshot once at the end. Building a 20-field frozen snapshot per fill would
  dominate a restart with a long journal; folding in place does not.

Rules (all amounts in the quote currency; call inside ``ledger_math()``):

* opening or adding: ``size += q``, ``cost_basis += q * p``, a new FIFO lot; realized ``-fee``
* reducing by ``q`` of ``size``: ``removed = cost_basis * q / size`` (the whole basis on a
  full close), realized ``= (q * p - removed) - fee`` for a long and
  ``(removed - q * p) - fee`` for a short; lots are consumed by the tracker's lot method.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from .errors import InvalidOrderError, LedgerIntegrityError
from .lots import Lot, LotBook, LotDisposal, LotMethod
from .records import Fill, FillKind, OrderSide, Position, PositionType
from .values import ZERO, fmt, pro_rata

_INCREASING = frozenset(kind for kind in FillKind if kind.increases)


class WorkingPosition:
    """A position being folded: :class:`Position`'s fields, mutable, lots as a list."""

    __slots__ = (
        "closed_at",
        "closed_size",
        "cost_basis",
        "current_price",
        "entry_value",
        "exit_value",
        "fees_paid",
        "fill_count",
        "last_fill_at",
        "lots",
        "opened_at",
        "opened_size",
        "position_id",
        "position_type",
        "price_updated_at",
        "realized_pnl",
        "size",
        "strategy",
        "symbol",
        "tags",
    )

    def __init__(self, position: Position) -> None:
        """A working copy of ``position``."""
        self.position_id = position.position_id
        self.symbol = position.symbol
        self.position_type = position.position_type
        self.size = position.size
        self.cost_basis = position.cost_basis
        self.current_price = position.current_price
        self.realized_pnl = position.realized_pnl
        self.fees_paid = position.fees_paid
        self.opened_at = position.opened_at
        self.strategy = position.strategy
        self.tags = position.tags
        self.closed_at = position.closed_at
        self.opened_size = position.opened_size
        self.entry_value = position.entry_value
        self.closed_size = position.closed_size
        self.exit_value = position.exit_value
        self.fill_count = position.fill_count
        self.last_fill_at = position.last_fill_at
        self.price_updated_at = position.price_updated_at
        self.lots: list[Lot] = list(position.lots)

    @classmethod
    def opened_by(
        cls, fill: Fill, current_price: Decimal, price_updated_at: datetime | None
    ) -> WorkingPosition:
        """The empty position an opening fill is about to fill."""
        work = cls.__new__(cls)
        work.position_id = fill.position_id
        work.symbol = fill.symbol
        work.position_type = PositionType.LONG if fill.side is OrderSide.BUY else PositionType.SHORT
        work.size = work.cost_basis = work.realized_pnl = work.fees_paid = ZERO
        work.opened_size = work.entry_value = work.closed_size = work.exit_value = ZERO
        work.current_price = current_price
        work.opened_at = fill.timestamp
        work.strategy = fill.strategy
        work.tags = fill.tags
        work.closed_at = work.last_fill_at = None
        work.fill_count = 0
        work.price_updated_at = price_updated_at
        work.lots = []
        return work

    @property
    def is_open(self) -> bool:
        return self.size > 0

    def snapshot(self) -> Position:
        return Position(
            position_id=self.position_id,
            symbol=self.symbol,
            position_type=self.position_type,
            size=self.size,
            cost_basis=self.cost_basis,
            current_price=self.current_price,
            realized_pnl=self.realized_pnl,
            fees_paid=self.fees_paid,
            opened_at=self.opened_at,
            strategy=self.strategy,
            tags=self.tags,
            closed_at=self.closed_at,
            opened_size=self.opened_size,
            entry_value=self.entry_value,
            closed_size=self.closed_size,
            exit_value=self.exit_value,
            fill_count=self.fill_count,
            last_fill_at=self.last_fill_at,
            price_updated_at=self.price_updated_at,
            lots=tuple(self.lots),
        )


def fill_cash_delta(fill: Fill) -> Decimal:
    """A buy pays ``size * price + fee``; a sell receives ``size * price - fee``."""
    notional = fill.size * fill.price
    return (-notional if fill.side is OrderSide.BUY else notional) - fill.fee


def apply_fill(
    work: WorkingPosition, fill: Fill, lot_method: LotMethod, *, report_lots: bool = True
) -> tuple[Decimal, tuple[LotDisposal, ...]]:
    """Fold ``fill`` into ``work``; returns (realized P&L of the fill, lots it consumed).

    Everything is validated before ``work`` changes. ``report_lots=False`` skips building
    the disposal records (a replay does not keep them); the lots left are the same.
    """
    if fill.symbol != work.symbol:
        raise LedgerIntegrityError(f"fill {fill.fill_id} symbol does not match its position")
    is_long = work.position_type is PositionType.LONG
    increases = fill.kind in _INCREASING
    if fill.side is not (OrderSide.BUY if is_long is increases else OrderSide.SELL):
        raise LedgerIntegrityError(f"fill {fill.fill_id} side contradicts its kind")
    notional = fill.size * fill.price
    disposals: tuple[LotDisposal, ...] = ()
    if increases:
        realized = -fill.fee
        work.lots.append(
            Lot(
                lot_id=fill.fill_id,
                acquired_at=fill.timestamp,
                size=fill.size,
                price=fill.price,
                fee=fill.fee,
                is_short=not is_long,
            )
        )
        work.size += fill.size
        work.cost_basis += notional
        work.opened_size += fill.size
        work.entry_value += notional
    else:
        size = work.size
        if fill.size > size:
            raise InvalidOrderError(
                f"Cannot close {fmt(fill.size)} {work.symbol}: only {fmt(size)} is open"
            )
        closing_all = fill.size == size
        if closing_all != (fill.kind is FillKind.CLOSE):
            raise LedgerIntegrityError(f"fill {fill.fill_id} kind does not match its size")
        removed = work.cost_basis if closing_all else pro_rata(work.cost_basis, fill.size, size)
        realized = (notional - removed if is_long else removed - notional) - fill.fee
        book = LotBook(lot_method, work.lots)
        consumed = book.dispose(
            fill.size, fill.price, fill.fee, fill.timestamp, fill.fill_id, report=report_lots
        )
        disposals = tuple(consumed)
        work.lots = list(book.lots)
        work.size = size - fill.size
        work.cost_basis = ZERO if closing_all else work.cost_basis - removed
        work.closed_size += fill.size
        work.exit_value += notional
        if closing_all:
            work.closed_at = fill.timestamp
            work.current_price = fill.price
        else:
            work.closed_at = None
    work.realized_pnl += realized
    work.fees_paid += fill.fee
    work.fill_count += 1
    work.last_fill_at = fill.timestamp
    return realized, disposals
