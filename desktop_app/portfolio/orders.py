"""The manager's order desk: market orders the app decides, filled by the trade executor.

``PortfolioManager.place_order`` (rebalancing, liquidation, DCA and grid fills, the GUI's
market orders) runs these steps **under the ledger lock**, so no other mutation can slip
between the risk check and the booking it allowed:

1. plan the *legs*: which open positions the order reduces and which it increases or opens
   (:func:`plan_legs`); refuse what the status forbids;
2. run every pre-trade check (the risk manager's) on each leg as it would book at the
   reference price — **before** anything is sent, because a real order cannot be undone;
3. await the executor's fill (its I/O happens before booking);
4. book the fill as the executor reported it (price after slippage, fee), split over the legs
   (:func:`allocate`). The checks are not run again: the order was approved and is now a fact
   the ledger must record.

If step 4 fails (the journal's disk is full, the executor reported a fill the ledger cannot
take), the trade still happened. The desk then records an :class:`UnbookedFill` in
``manager.unbooked_fills``, logs it as CRITICAL, emits ``error``, pauses automated trading
and raises :class:`~desktop_app.portfolio.errors.UnbookedFillError`. Nothing is lost:
``book_unbooked_fills()`` books it once the cause is fixed, and a balance reconciliation
shows the same difference.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

from desktop_app.execution.protocols import ExecutionFill, OrderRequest

from .errors import ExecutionError, InvalidOrderError, PortfolioError, UnbookedFillError
from .events import Event
from .position_tracker import LedgerEffect, PositionTracker, new_id
from .records import Fill, OrderSide, Position, PositionType
from .values import ZERO, fmt, ledger_math, pro_rata, utc_now

if TYPE_CHECKING:
    from .manager import PortfolioManager

log = logging.getLogger(__name__)

__all__ = ["LegKind", "OrderDesk", "OrderLeg", "OrderResult", "UnbookedFill", "plan_legs"]


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


class OrderDesk:
    """Runs orders for one manager. Every method expects the manager's lock to be held."""

    def __init__(self, manager: PortfolioManager) -> None:
        self._manager = manager

    @property
    def _tracker(self) -> PositionTracker:
        return self._manager.position_tracker

    def duplicate(self, request: OrderRequest) -> OrderResult | None:
        """The result of an earlier order with the same client order id, if it was booked."""
        first = self._tracker.booked(request.client_order_id)
        if first is None:
            return None
        fills = [first]
        index = 1
        while (more := self._tracker.booked(f"{request.client_order_id}#{index}")) is not None:
            fills.append(more)
            index += 1
        positions = tuple(self._tracker.get_position(f.position_id) for f in fills)
        return OrderResult(request, None, tuple(fills), positions, duplicate=True)

    def _prepare(
        self,
        leg: OrderLeg,
        request: OrderRequest,
        size: Decimal,
        price: Decimal,
        fee: Decimal,
        *,
        tags: tuple[str, ...],
        timestamp: datetime | None,
        client_id: str | None,
    ) -> LedgerEffect:
        tracker = self._tracker
        if leg.kind is LegKind.REDUCE:
            assert leg.position_id is not None
            return tracker.prepare_reduce(
                leg.position_id, price, size, fee=fee, timestamp=timestamp, client_id=client_id
            )
        if leg.position_id is not None:
            return tracker.prepare_add(
                leg.position_id, size, price, fee=fee, timestamp=timestamp, client_id=client_id
            )
        return tracker.prepare_open(
            request.symbol,
            leg.position_type,
            size,
            price,
            fee=fee,
            strategy=request.strategy,
            tags=tags,
            timestamp=timestamp,
            client_id=client_id,
        )

    async def check(self, request: OrderRequest, legs: Iterable[OrderLeg], tags: tuple) -> None:
        """Run the pre-trade checks on every leg at the reference price (nothing is booked)."""
        if request.reference_price is None:
            raise InvalidOrderError(
                f"No price known for {request.symbol}: the portfolio needs a market price "
                f"before it can place a market order"
            )
        for leg in legs:
            effect = self._prepare(
                leg,
                request,
                leg.size,
                request.reference_price,
                ZERO,
                tags=tags,
                timestamp=None,
                client_id=None,
            )
            for check in self._manager._pre_trade_checks:
                await check(effect)

    async def execute(
        self,
        request: OrderRequest,
        legs: tuple[OrderLeg, ...],
        announce: list[LedgerEffect],
        *,
        tags: tuple[str, ...] = (),
        run_checks: bool = True,
        pause_on_unbooked: bool = True,
    ) -> OrderResult:
        """Check, send, book. Raises ExecutionError when the executor did not fill."""
        if run_checks:
            await self.check(request, legs, tags)
        executor = self._manager.trade_executor
        try:
            execution = await executor.place_order(request)
        except PortfolioError:
            raise
        except Exception as exc:  # a broken executor is a failed order, never a crash
            log.exception("executor %r failed on %s", executor, request.client_order_id)
            raise ExecutionError(
                f"The trade executor failed to place the {request.symbol} order: {exc}"
            ) from exc
        return await self.book(
            request, execution, legs, announce, tags=tags, pause_on_unbooked=pause_on_unbooked
        )

    def _validate(self, request: OrderRequest, execution: ExecutionFill) -> None:
        quote = self._tracker.quote_currency
        problems = []
        if execution.symbol != request.symbol or execution.side is not request.side:
            problems.append(
                f"it reports {execution.side.value} {execution.symbol} for a "
                f"{request.side.value} {request.symbol} order"
            )
        if not 0 < execution.size <= request.size:
            problems.append(f"it filled {fmt(execution.size)} of an order for {fmt(request.size)}")
        if execution.price <= 0 or execution.fee < 0:
            problems.append(f"price {execution.price} / fee {execution.fee} are not valid")
        if execution.fee_currency.upper() != quote:
            problems.append(f"the fee is in {execution.fee_currency}, not {quote}")
        if problems:
            raise ExecutionError("The executor's fill cannot be booked: " + "; ".join(problems))

    async def book(
        self,
        request: OrderRequest,
        execution: ExecutionFill,
        legs: tuple[OrderLeg, ...],
        announce: list[LedgerEffect],
        *,
        tags: tuple[str, ...] = (),
        pause_on_unbooked: bool = True,
        first_index: int = 0,
    ) -> OrderResult:
        """Book an executed fill over ``legs``; an unbookable fill is kept and reported."""
        booked: list[Fill] = []
        positions: list[Position] = []
        try:
            self._validate(request, execution)
            for offset, (leg, size, fee) in enumerate(
                allocate(legs, execution.size, execution.fee)
            ):
                index = first_index + offset
                client_id = request.client_order_id + (f"#{index}" if index else "")
                effect = self._prepare(
                    leg,
                    request,
                    size,
                    execution.price,
                    fee,
                    tags=tags,
                    timestamp=execution.timestamp,
                    client_id=client_id,
                )
                position = await self._manager._commit(effect)
                assert position is not None and effect.fill is not None
                announce.append(effect)
                booked.append(effect.fill)
                positions.append(position)
        except Exception as exc:
            await self._unbooked(request, execution, booked, exc, pause=pause_on_unbooked)
        return OrderResult(request, execution, tuple(booked), tuple(positions))

    async def _unbooked(
        self,
        request: OrderRequest,
        execution: ExecutionFill,
        booked: list[Fill],
        exc: Exception,
        *,
        pause: bool,
    ) -> None:
        manager = self._manager
        with ledger_math():
            done = sum((fill.size for fill in booked), ZERO)
            fee_done = sum((fill.fee for fill in booked), ZERO)
            unbooked = UnbookedFill(
                request,
                execution,
                tuple(booked),
                max(execution.size - done, ZERO),
                max(execution.fee - fee_done, ZERO),
                str(exc),
            )
        manager.unbooked_fills.append(unbooked)
        message = unbooked.describe()
        log.critical("%s", message, exc_info=exc)
        if pause:
            from .manager import PortfolioStatus

            try:
                if await manager._set_status(
                    PortfolioStatus.PAUSED, "a filled order could not be booked; reconcile first"
                ):
                    manager.events.emit(Event.STATUS_CHANGED, manager.status)
                    manager.events.emit(Event.PORTFOLIO_PAUSED, manager.status_reason)
            except Exception:  # the journal may be what failed; the status stays in memory
                log.exception("could not persist the pause after an unbooked fill")
        manager.events.emit(
            Event.ERROR,
            {
                "source": "execution:unbooked_fill",
                "message": message,
                "exception": exc,
                "unbooked": unbooked,
            },
        )
        raise UnbookedFillError(message, unbooked=unbooked) from exc

    async def rebook(self, unbooked: UnbookedFill, announce: list[LedgerEffect]) -> OrderResult:
        """Book the remainder of an unbooked fill against the positions as they are now."""
        request, execution = unbooked.request, unbooked.execution
        rest = replace(execution, size=unbooked.remaining_size, fee=unbooked.remaining_fee)
        rest_request = replace(request, size=unbooked.remaining_size)
        legs = plan_legs(
            self._tracker,
            request.symbol,
            request.side,
            unbooked.remaining_size,
            strategy=request.strategy,
            allow_flip=True,
        )
        return await self.book(
            rest_request,
            rest,
            legs,
            announce,
            pause_on_unbooked=False,
            first_index=self._next_index(request.client_order_id),
        )

    def _next_index(self, client_order_id: str) -> int:
        """The first leg index of ``client_order_id`` with no booked fill yet."""
        if self._tracker.booked(client_order_id) is None:
            return 0
        index = 1
        while self._tracker.booked(f"{client_order_id}#{index}") is not None:
            index += 1
        return index


def new_client_order_id(prefix: str = "order") -> str:
    return f"{prefix}-{new_id()}"
