"""The manager's order desk: market orders filled by the trade executor, booked at their fill.

``PortfolioManager.place_order`` (and liquidation) run these steps **under the ledger
lock**, so no other mutation can slip between the risk check and the booking it allowed:

1. plan the *legs* (:func:`~.orders.plan_legs`); refuse what the status forbids;
2. run every pre-trade check (the risk manager's) on each leg as it would book at the
   reference price — **before** anything is sent, because a real order cannot be undone;
3. await the executor's fill (its I/O happens before booking; the lock stays held, so the
   check, the trade and its booking are one step no other order interleaves with);
4. book the fill as the executor reported it (price after slippage, fee), split over the legs
   (:func:`~.orders.allocate`). The checks are not run again: the order was approved and is
   now a fact the ledger must record.

If step 4 fails (the journal's disk is full, the executor reported a fill the ledger cannot
take), the trade still happened. The desk then records an :class:`~.orders.UnbookedFill` in
``manager.unbooked_fills``, logs it as CRITICAL, emits ``error``, pauses automated trading
and raises :class:`~desktop_app.portfolio.errors.UnbookedFillError`. Nothing is lost:
``book_unbooked_fills()`` books it once the cause is fixed, and a balance reconciliation
shows the same difference.

Events are announced after the lock is released, like every other mutation's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from desktop_app.execution.protocols import ExecutionFill, OrderRequest

from .errors import ExecutionError, InvalidOrderError, PortfolioError, UnbookedFillError
from .events import Event
from .orders import (
    LegKind,
    OrderLeg,
    OrderResult,
    UnbookedFill,
    allocate,
    new_client_order_id,
    plan_legs,
)
from .position_tracker import LedgerEffect, PositionTracker, normalize_tags
from .records import Fill, OrderSide, Position
from .status import PortfolioStatus, TradeResult
from .values import ZERO, Number, fmt, ledger_math, non_negative, positive

if TYPE_CHECKING:
    from .manager import PortfolioManager

log = logging.getLogger(__name__)

__all__ = ["OrderDesk"]


class OrderDesk:
    """Runs the orders of one manager. Methods named `*_locked`, and `check`, `execute`,
    `book`, `rebook`, expect the ledger lock held; the entry points take it themselves."""

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
            reason = "a filled order could not be booked; reconcile first"
            was = manager.status
            try:
                await manager._set_status(PortfolioStatus.PAUSED, reason)
            except Exception:  # the journal may be what failed: pause this session anyway
                log.exception("could not persist the pause after an unbooked fill")
                manager._status, manager._status_reason = PortfolioStatus.PAUSED, reason
            if manager.status is not was:
                manager.events.emit(Event.STATUS_CHANGED, manager.status)
                manager.events.emit(Event.PORTFOLIO_PAUSED, manager.status_reason)
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

    # ---------------------------------------------- entry points (take the lock)
    def _side(self, side: OrderSide | str) -> OrderSide:
        if isinstance(side, OrderSide):
            return side
        try:
            return OrderSide(str(side).lower())
        except ValueError:
            raise InvalidOrderError(f"order side must be BUY or SELL, got {side!r}") from None

    def _mark_price(self, symbol: str) -> Decimal | None:
        price = self._tracker.last_price(symbol)
        if price is None:
            positions = self._tracker.get_all_open_positions(symbol)
            price = positions[0].current_price if positions else None
        return price

    async def place(
        self,
        symbol: str,
        side: OrderSide | str,
        size: Number,
        *,
        position_id: str | None,
        strategy: str | None,
        tags: Iterable[str] | str | None,
        reduce_only: bool,
        client_order_id: str | None,
        reason: str,
    ) -> OrderResult:
        """``PortfolioManager.place_order`` (see there)."""
        manager = self._manager
        canonical = self._tracker._check_symbol(symbol)
        order_side, amount = self._side(side), positive(size, "order size")
        label = (strategy or "manual").strip() or "manual"
        effects: list[LedgerEffect] = []
        try:
            # a risk refusal is stored and announced once the lock is released
            async with manager._refusals_published(), manager._lock:
                request = OrderRequest(
                    symbol=canonical,
                    side=order_side,
                    size=amount,
                    client_order_id=client_order_id or new_client_order_id(),
                    reference_price=self._mark_price(canonical),
                    reduce_only=reduce_only,
                    strategy=label,
                    reason=reason,
                )
                duplicate = self.duplicate(request)
                if duplicate is not None:
                    return duplicate
                legs = plan_legs(
                    self._tracker,
                    canonical,
                    order_side,
                    amount,
                    position_id=position_id,
                    strategy=label,
                    reduce_only=reduce_only,
                )
                action = f"{order_side.value} {fmt(amount)} {canonical}"
                if any(leg.kind is LegKind.INCREASE for leg in legs):
                    manager._require_new_exposure_allowed(action)
                else:
                    manager._require_not_liquidating(action)
                return await self.execute(request, legs, effects, tags=normalize_tags(tags))
        finally:
            for effect in effects:
                manager._announce(effect)

    async def record_external(
        self,
        symbol: str,
        side: OrderSide | str,
        size: Number,
        price: Number,
        fee: Number,
        *,
        strategy: str,
        tags: Iterable[str] | str | None,
        note: str,
    ) -> OrderResult:
        """``PortfolioManager.record_external_fill`` (see there)."""
        manager = self._manager
        canonical = self._tracker._check_symbol(symbol)
        order_side = self._side(side)
        amount, fill_price = positive(size, "size"), positive(price, "price")
        request_id = new_client_order_id(strategy)
        request = OrderRequest(
            canonical, order_side, amount, request_id, fill_price, strategy=strategy, reason=note
        )
        execution = ExecutionFill(
            order_id=request_id,
            client_order_id=request_id,
            symbol=canonical,
            side=order_side,
            size=amount,
            price=fill_price,
            fee=non_negative(fee, "fee"),
            fee_currency=self._tracker.quote_currency,
        )
        effects: list[LedgerEffect] = []
        try:
            async with manager._lock:
                manager._require_not_liquidating("book an external trade")
                legs = plan_legs(
                    self._tracker, canonical, order_side, amount, strategy=strategy, allow_flip=True
                )
                return await self.book(
                    request,
                    execution,
                    legs,
                    effects,
                    tags=normalize_tags(tags),
                    pause_on_unbooked=False,
                )
        finally:
            for effect in effects:
                manager._announce(effect)

    async def book_unbooked(self) -> list[OrderResult]:
        """``PortfolioManager.book_unbooked_fills`` (see there)."""
        manager = self._manager
        booked: list[OrderResult] = []
        effects: list[LedgerEffect] = []
        try:
            async with manager._lock:
                while manager.unbooked_fills:
                    pending = manager.unbooked_fills.pop(0)
                    booked.append(await self.rebook(pending, effects))
        finally:
            for effect in effects:
                manager._announce(effect)
        return booked

    async def close_all_locked(
        self, effects: list[LedgerEffect]
    ) -> tuple[list[TradeResult], list[tuple[str, str, str]]]:
        """Close every open position through the executor (liquidation; lock held).

        No risk checks (closing only reduces exposure). Each close is its own order and
        booking; a refusal, a partial fill or an unbookable fill is listed and the rest go on.
        """
        closed: list[TradeResult] = []
        failed: list[tuple[str, str, str]] = []
        for position in self._tracker.get_all_open_positions():
            request = OrderRequest(
                symbol=position.symbol,
                side=position.position_type.closing_side,
                size=position.size,
                client_order_id=new_client_order_id("liquidation"),
                reference_price=position.current_price,
                reduce_only=True,
                strategy=position.strategy,
                reason="liquidation",
            )
            leg = OrderLeg(
                LegKind.REDUCE, position.size, position.position_type, position.position_id
            )
            try:
                result = await self.execute(
                    request, (leg,), effects, run_checks=False, pause_on_unbooked=False
                )
            except Exception as exc:  # one failure must not stop the rest
                log.exception("could not liquidate %s", position.position_id)
                failed.append((position.position_id, position.symbol, str(exc)))
                continue
            closed.append(TradeResult(result.positions[-1], result.fills[-1]))
            if result.is_partial:
                failed.append(
                    (
                        position.position_id,
                        position.symbol,
                        f"only {fmt(result.filled_size)} of {fmt(position.size)} was filled; "
                        f"the rest is still open",
                    )
                )
        return closed, failed
