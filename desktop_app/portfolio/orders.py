"""Orders the app decides: their legs over the open positions, their results, unbooked fills.

A market order (rebalancing, liquidation, DCA and grid fills, the GUI's market mode) is
split into *legs* by :func:`plan_legs` — which open positions it reduces, which one it adds
to or opens — and its fill is shared over those legs by :func:`allocate`. The order desk
(:mod:`.order_desk`) runs the whole sequence under the ledger lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from desktop_app.execution.protocols import ExecutionFill, OrderRequest

from .errors import InvalidOrderError
from .position_tracker import PositionTracker, new_id
from .records import Fill, OrderSide, Position, PositionType
from .values import ZERO, fmt, ledger_math, pro_rata, utc_now

__all__ = [
    "LegKind",
    "OrderLeg",
    "OrderResult",
    "UnbookedFill",
    "allocate",
    "new_client_order_id",
    "plan_legs",
]


class LegKind(Enum):
    INCREASE = "increase"  # open a new position or add to one
    REDUCE = "reduce"  # partly or fully close one


@dataclass(frozen=True, slots=True)
class OrderLeg:
    """The part of an order booked against one position (``position_id`` None: a new one)."""

    kind: LegKind
    size: Decimal
    position_type: PositionType
    position_id: str | None = None


@dataclass(frozen=True)
class OrderResult:
    """A filled market order: what the executor did and the ledger fills that record it.

    Truthy. ``is_partial`` when the venue filled less than asked (the rest was cancelled).
    ``duplicate`` when the client order id had been booked before and nothing was re-sent.
    """

    request: OrderRequest
    execution: ExecutionFill | None
    fills: tuple[Fill, ...]
    positions: tuple[Position, ...]
    duplicate: bool = False

    @property
    def filled_size(self) -> Decimal:
        with ledger_math():
            return sum((fill.size for fill in self.fills), ZERO)

    @property
    def is_partial(self) -> bool:
        return self.filled_size < self.request.size

    @property
    def average_price(self) -> Decimal | None:
        size = self.filled_size
        if not size:
            return None
        with ledger_math():
            return sum((fill.notional for fill in self.fills), ZERO) / size

    @property
    def fee(self) -> Decimal:
        with ledger_math():
            return sum((fill.fee for fill in self.fills), ZERO)

    @property
    def realized_pnl(self) -> Decimal:
        with ledger_math():
            return sum((fill.realized_pnl or ZERO for fill in self.fills), ZERO)

    @property
    def slippage_cost(self) -> Decimal | None:
        """``side * (fill price - reference price) * size``: what slippage cost in money."""
        reference = self.request.reference_price
        if reference is None:
            return None
        with ledger_math():
            return sum(
                (fill.side.sign * (fill.price - reference) * fill.size for fill in self.fills),
                ZERO,
            )

    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True)
class UnbookedFill:
    """An executed trade (or the rest of one) the ledger has not recorded yet."""

    request: OrderRequest
    execution: ExecutionFill
    booked: tuple[Fill, ...]
    remaining_size: Decimal
    remaining_fee: Decimal
    error: str
    occurred_at: datetime = field(default_factory=utc_now)

    def describe(self) -> str:
        return (
            f"{self.execution.side.value.upper()} {fmt(self.remaining_size)} "
            f"{self.execution.symbol} at {fmt(self.execution.price)} (order "
            f"{self.execution.order_id}) was FILLED by the executor but is NOT in the ledger: "
            f"{self.error}"
        )


def _preference(strategy: str) -> Any:
    """Positions of the order's own strategy first, then the oldest."""
    return lambda p: (p.strategy != strategy, p.opened_at)


def plan_legs(
    tracker: PositionTracker,
    symbol: str,
    side: OrderSide,
    size: Decimal,
    *,
    position_id: str | None = None,
    strategy: str = "manual",
    reduce_only: bool = False,
    allow_flip: bool = False,
) -> tuple[OrderLeg, ...]:
    """Split an order over the symbol's open positions.

    With ``position_id`` the order adds to or reduces exactly that position. Otherwise it
    first reduces the positions it closes (a sell reduces longs, a buy covers shorts), the
    order's own strategy first, then the oldest; the rest adds to the oldest open position of
    the order's strategy in its direction, or opens a new one (so P&L stays attributed to the
    strategy that traded: a grid's buys never mix into a manual position). An order that
    would close one direction and open the other (a flip) is refused unless ``allow_flip``
    (used only to record trades that already happened); a ``reduce_only`` order never
    increases.
    """
    if position_id is not None:
        position = tracker.get_position(position_id)
        if not position.is_open:
            raise InvalidOrderError(f"{position.symbol} position {position_id[:8]} is closed")
        if position.symbol != symbol:
            raise InvalidOrderError(
                f"position {position_id[:8]} holds {position.symbol}, not {symbol}"
            )
        if side is position.position_type.opening_side:
            if reduce_only:
                raise InvalidOrderError("A reduce-only order cannot add to a position")
            return (OrderLeg(LegKind.INCREASE, size, position.position_type, position_id),)
        if size > position.size:
            raise InvalidOrderError(
                f"Cannot {side.value} {fmt(size)} {symbol}: only {fmt(position.size)} is open "
                f"in position {position_id[:8]}"
            )
        return (OrderLeg(LegKind.REDUCE, size, position.position_type, position_id),)

    open_positions = tracker.get_all_open_positions(symbol)
    closing = sorted(
        (p for p in open_positions if p.position_type.closing_side is side),
        key=_preference(strategy),
    )
    legs: list[OrderLeg] = []
    remaining = size
    with ledger_math():
        for position in closing:
            if remaining <= 0:
                break
            take = min(remaining, position.size)
            legs.append(
                OrderLeg(LegKind.REDUCE, take, position.position_type, position.position_id)
            )
            remaining -= take
        reducible = size - remaining
    if remaining <= 0:
        return tuple(legs)
    if reduce_only:
        if not legs:
            raise InvalidOrderError(
                f"Nothing to reduce: there is no open {symbol} position that a {side.value} closes"
            )
        raise InvalidOrderError(
            f"Cannot {side.value} {fmt(size)} {symbol} reduce-only: only {fmt(reducible)} is open"
        )
    if legs and not allow_flip:
        raise InvalidOrderError(
            f"{side.value.capitalize()}ing {fmt(size)} {symbol} would close {fmt(reducible)} "
            f"and open the opposite side with the rest; place the close and the new position "
            f"as separate orders"
        )
    position_type = PositionType.LONG if side is OrderSide.BUY else PositionType.SHORT
    same = [
        p for p in open_positions if p.position_type is position_type and p.strategy == strategy
    ]
    target = same[0].position_id if same else None  # open_positions is oldest first
    legs.append(OrderLeg(LegKind.INCREASE, remaining, position_type, target))
    return tuple(legs)


def allocate(
    legs: Iterable[OrderLeg], filled: Decimal, fee: Decimal
) -> list[tuple[OrderLeg, Decimal, Decimal]]:
    """Give the filled size to the legs in order and split the fee pro rata by size.

    The last share takes the rounding remainder, so the shares add up to the fee exactly.
    """
    parts: list[tuple[OrderLeg, Decimal]] = []
    remaining = filled
    with ledger_math():
        for leg in legs:
            if remaining <= 0:
                break
            take = min(leg.size, remaining)
            parts.append((leg, take))
            remaining -= take
        result: list[tuple[OrderLeg, Decimal, Decimal]] = []
        fee_left = fee
        for index, (leg, take) in enumerate(parts):
            share = fee_left if index == len(parts) - 1 else pro_rata(fee, take, filled)
            fee_left -= share
            result.append((leg, take, share))
    return result


def new_client_order_id(prefix: str = "order") -> str:
    return f"{prefix}-{new_id()}"
