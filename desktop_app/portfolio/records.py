"""The ledger's records: positions (derived state), fills and cash movements (the journal).

Every record is a frozen dataclass. A :class:`Fill` or :class:`CashMovement` never changes
once booked; a :class:`Position` is a snapshot of state derived from its fills — the tracker
replaces it, it is never edited in place.

Sign conventions (all amounts in the portfolio's quote currency, e.g. USDT):

* ``market_value`` is signed: ``+size * price`` for a long, ``-size * price`` for a short, so
  ``equity = cash + sum(market_value)`` holds for both. ``notional`` is the absolute value.
* ``cost_basis`` is the entry value of the *open* size under average cost.
  ``unrealized_pnl = market_value - cost_basis`` for a long, ``cost_basis - size * price``
  for a short.
* ``realized_pnl`` includes every fee paid on the position (opening fees are realized
  when paid), so ``equity - net deposits = sum(realized_pnl) + sum(unrealized_pnl)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from .lots import Lot
from .values import ZERO, ledger_math


class PositionType(Enum):
    """Direction of a position."""

    LONG = "long"
    SHORT = "short"

    @property
    def opening_side(self) -> OrderSide:
        return OrderSide.BUY if self is PositionType.LONG else OrderSide.SELL

    @property
    def closing_side(self) -> OrderSide:
        return OrderSide.SELL if self is PositionType.LONG else OrderSide.BUY


class PositionStatus(Enum):
    """Lifecycle of a position: OPEN, PARTIAL (some of it closed), CLOSED."""

    OPEN = "open"
    PARTIAL = "partial"
    CLOSED = "closed"


class OrderSide(Enum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is OrderSide.BUY else -1


class FillKind(Enum):
    """What a fill did to its position."""

    OPEN = "open"
    ADD = "add"
    REDUCE = "reduce"
    CLOSE = "close"

    @property
    def increases(self) -> bool:
        return self in (FillKind.OPEN, FillKind.ADD)


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution booked in the ledger: the journal's unit of truth.

    ``realized_pnl`` is what this fill realized (``-fee`` for an opening or adding fill);
    it is computed by the ledger when booked and checked again on every replay.
    """

    fill_id: str
    sequence: int
    position_id: str
    symbol: str
    side: OrderSide
    kind: FillKind
    size: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    timestamp: datetime
    strategy: str = "manual"
    tags: tuple[str, ...] = ()
    client_id: str | None = None
    realized_pnl: Decimal | None = None

    @property
    def notional(self) -> Decimal:
        with ledger_math():
            return self.size * self.price

    @property
    def cash_delta(self) -> Decimal:
        """Effect on cash: a buy pays ``size * price + fee``; a sell gets ``size * price - fee``."""
        with ledger_math():
            return self.side.sign * -(self.size * self.price) - self.fee

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


@dataclass(frozen=True, slots=True)
class CashMovement:
    """A deposit (positive ``amount``) or withdrawal (negative) of quote currency."""

    movement_id: str
    sequence: int
    amount: Decimal
    timestamp: datetime
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


@dataclass(frozen=True, slots=True)
class TagChange:
    """A trader re-labelled a position; journaled so a replay restores the new tags."""

    change_id: str
    sequence: int
    position_id: str
    tags: tuple[str, ...]
    timestamp: datetime

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


JournalEntry = Fill | CashMovement | TagChange


@dataclass(frozen=True, slots=True)
class Position:
    """A snapshot of one position, marked at ``current_price``."""

    position_id: str
    symbol: str
    position_type: PositionType
    size: Decimal  # open size (0 once closed)
    cost_basis: Decimal  # entry value of the open size
    current_price: Decimal
    realized_pnl: Decimal
    fees_paid: Decimal
    opened_at: datetime
    strategy: str = "manual"
    tags: tuple[str, ...] = ()
    closed_at: datetime | None = None
    opened_size: Decimal = ZERO  # everything ever opened or added
    entry_value: Decimal = ZERO  # sum of entry price * size over opening and adding fills
    closed_size: Decimal = ZERO
    exit_value: Decimal = ZERO  # sum of exit price * size over reducing fills
    fill_count: int = 0
    last_fill_at: datetime | None = None
    price_updated_at: datetime | None = None
    lots: tuple[Lot, ...] = field(default=(), repr=False)

    @property
    def status(self) -> PositionStatus:
        if self.size == 0:
            return PositionStatus.CLOSED
        return PositionStatus.PARTIAL if self.closed_size > 0 else PositionStatus.OPEN

    @property
    def is_open(self) -> bool:
        return self.size > 0

    @property
    def sign(self) -> int:
        return 1 if self.position_type is PositionType.LONG else -1

    @property
    def entry_price(self) -> Decimal:
        """Average cost of the open size; for a closed position, the average entry price."""
        with ledger_math():
            if self.size > 0:
                return self.cost_basis / self.size
            return self.entry_value / self.opened_size if self.opened_size else ZERO

    @property
    def exit_price(self) -> Decimal | None:
        """Average price of every reducing fill, or None if nothing was closed yet."""
        if not self.closed_size:
            return None
        with ledger_math():
            return self.exit_value / self.closed_size

    @property
    def notional(self) -> Decimal:
        with ledger_math():
            return self.size * self.current_price

    @property
    def market_value(self) -> Decimal:
        with ledger_math():
            return self.sign * self.size * self.current_price

    @property
    def unrealized_pnl(self) -> Decimal:
        with ledger_math():
            return self.sign * (self.size * self.current_price - self.cost_basis)

    @property
    def unrealized_pnl_pct(self) -> Decimal | None:
        """Unrealized P&L as a percentage of the open cost basis (None when flat)."""
        if not self.cost_basis:
            return None
        with ledger_math():
            return self.unrealized_pnl / self.cost_basis * 100

    @property
    def total_pnl(self) -> Decimal:
        with ledger_math():
            return self.realized_pnl + self.unrealized_pnl

    def to_dict(self) -> dict[str, Any]:
        """Plain data (strings for Decimals, ISO times) for JSON export and the GUI."""
        data = {
            name: getattr(self, name)
            for name in (
                "position_id",
                "symbol",
                "position_type",
                "status",
                "size",
                "entry_price",
                "current_price",
                "market_value",
                "notional",
                "cost_basis",
                "unrealized_pnl",
                "unrealized_pnl_pct",
                "realized_pnl",
                "fees_paid",
                "opened_at",
                "closed_at",
                "strategy",
                "tags",
                "opened_size",
                "closed_size",
                "exit_price",
                "fill_count",
            )
        }
        return _plain(data)


def _plain(value: Any) -> Any:
    """Convert Decimals, enums, datetimes and tuples into JSON-ready values."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value
