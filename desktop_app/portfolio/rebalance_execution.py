"""Rebalance execution: a plan's orders placed one by one through the order desk.

Every order goes through ``PortfolioManager.place_order`` — so the risk manager's pre-trade
checks apply to each, and fills come from the trade executor — sells first, one at a time,
each with its own outcome. A buy the cash no longer covers (an earlier sell failed, prices
moved) is shrunk to what the cash buys or skipped; after an order filled but could not be
booked, nothing more is sent. While the portfolio is paused, liquidating or liquidated,
execution is refused (automated trading is stopped; plans can still be previewed); while
reducing-only, only sells are placed. ``dry_run`` reports without trading; a plan older than
``max_plan_age_s`` is refused as stale. Every result is kept in the history (the store's
``rebalance`` records) and fires ``rebalance_completed``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from .errors import (
    PortfolioError,
    RebalanceError,
    RiskLimitError,
    TradingHaltedError,
    UnbookedFillError,
)
from .events import Event
from .rebalance_config import RebalanceStrategy
from .rebalance_plan import (
    OrderOutcome,
    OutcomeStatus,
    PlannedOrder,
    RebalancePlan,
    RebalanceResult,
)
from .rebalance_sizing import round_down, take_snapshot
from .records import OrderSide
from .values import ZERO, fmt, ledger_math

if TYPE_CHECKING:
    from .orders import OrderResult
    from .rebalancer import Rebalancer

log = logging.getLogger(__name__)

__all__ = ["HALTED", "TARGET_STRATEGIES", "PlanRunner", "ProgressCallback", "strategy_label"]

#: ``progress(done, total, outcome)``: called after each order of a plan has its outcome.
ProgressCallback = Callable[[int, int, "OrderOutcome"], None]

LAST_REBALANCE_KEY = "rebalance.last_at"
#: Strategies that trade toward targets (and so restart the rebalance interval).
TARGET_STRATEGIES = frozenset(
    {
        RebalanceStrategy.THRESHOLD,
        RebalanceStrategy.MOMENTUM,
        RebalanceStrategy.MEAN_REVERSION,
        RebalanceStrategy.RISK_PARITY,
    }
)
#: Statuses in which automated trading is stopped.
HALTED = frozenset({"paused", "liquidating", "liquidated"})


def strategy_label(strategy: RebalanceStrategy) -> str:
    """The ``strategy`` name the ledger gives positions opened by this rebalance."""
    return {RebalanceStrategy.GRID: "grid", RebalanceStrategy.DCA: "dca"}.get(strategy, "rebalance")


class PlanRunner:
    """Executes the plans of one rebalancer."""

    def __init__(self, rebalancer: Rebalancer) -> None:
        self._r = rebalancer

    def refuse_if_halted(self) -> None:
        status = self._r.manager.status.value
        if status in HALTED:
            reason = self._r.manager.status_reason
            raise TradingHaltedError(
                f"Cannot execute the rebalance: the portfolio is {status}"
                f"{f' ({reason})' if reason else ''}. Automated trading is stopped while "
                f"{status}; the plan can still be previewed. Resume the portfolio to trade."
            )

    async def execute_locked(
        self,
        plan: RebalancePlan,
        *,
        dry_run: bool | None = None,
        progress: ProgressCallback | None = None,
    ) -> RebalanceResult:
        """``execute_rebalance_plan`` for callers already holding the execution lock."""
        await self._r.load()
        self.refuse_if_halted()
        started = self._r.clock()
        if not plan.executable:
            result = RebalanceResult(plan.strategy, plan, reason=f"not executed: {plan.reason}")
            await self.record(result)
            return result
        age_s = (started - plan.created_at).total_seconds()
        if age_s > self._r.config.max_plan_age_s:
            raise RebalanceError(
                f"This plan is {age_s:.0f} s old (limit {self._r.config.max_plan_age_s:g} s): its "
                f"prices are stale. Create a new plan."
            )
        if self._r.config.dry_run if dry_run is None else dry_run:
            outcomes = tuple(
                OrderOutcome(o, OutcomeStatus.DRY_RUN, message="dry run: not placed")
                for o in plan.orders
            )
            for done, outcome in enumerate(outcomes, start=1):
                report(progress, done, len(outcomes), outcome)
            if plan.strategy is RebalanceStrategy.GRID:
                await self._r.grid.advance(plan.prices)
            result = RebalanceResult(
                plan.strategy,
                plan,
                outcomes,
                dry_run=True,
                reason="dry run: nothing traded",
                started_at=started,
                finished_at=self._r.clock(),
            )
            await self.record(result)
            return result
        outcomes = await self.place_all(plan, progress)
        if plan.strategy is RebalanceStrategy.GRID:  # its crossings are now processed
            await self._r.grid.advance(plan.prices)
        try:
            after = take_snapshot(self._r.manager.position_tracker)
            weights_after, equity_after = after.weights, after.equity
        except RebalanceError:
            weights_after, equity_after = {}, None
        result = RebalanceResult(
            plan.strategy,
            plan,
            tuple(outcomes),
            reason=plan.reason,
            weights_after=weights_after,
            equity_after=equity_after,
            started_at=started,
            finished_at=self._r.clock(),
        )
        await self.record(result)
        return result

    async def place_all(
        self, plan: RebalancePlan, progress: ProgressCallback | None = None
    ) -> list[OrderOutcome]:
        outcomes: list[OrderOutcome] = []
        async for outcome in self._outcomes(plan):
            outcomes.append(outcome)
            report(progress, len(outcomes), len(plan.orders), outcome)
        return outcomes

    async def _outcomes(self, plan: RebalancePlan) -> AsyncIterator[OrderOutcome]:
        """Place the orders one by one, yielding each one's outcome in plan order."""
        label = strategy_label(plan.strategy)
        tags = tuple(dict.fromkeys((label, plan.strategy.value)))
        stopped = ""
        for index, order in enumerate(plan.orders):
            if stopped:
                yield OrderOutcome(order, OutcomeStatus.SKIPPED, message=stopped)
                continue
            is_buy = order.side is OrderSide.BUY and not order.reduce_only
            if is_buy and self._r.manager.status.value == "reducing":
                yield (
                    OrderOutcome(
                        order, OutcomeStatus.SKIPPED, message="reducing-only: buys are not placed"
                    )
                )
                continue
            size, note = self.affordable(order) if is_buy else (order.size, "")
            if size <= 0:
                yield OrderOutcome(order, OutcomeStatus.SKIPPED, message=note)
                continue
            try:
                placed, note = await self.place(plan, index, order, size, note, label, tags)
            except UnbookedFillError as exc:
                unbooked = exc.unbooked
                execution = getattr(unbooked, "execution", None)
                yield (
                    OrderOutcome(
                        order,
                        OutcomeStatus.UNBOOKED,
                        filled_size=getattr(execution, "size", ZERO),
                        fill_price=getattr(execution, "price", None),
                        fee=getattr(execution, "fee", ZERO),
                        message=str(exc),
                    )
                )
                stopped = "not placed: an earlier order filled but could not be booked"
                continue
            except Exception as exc:  # each order's failure is reported, never fatal
                if not isinstance(exc, PortfolioError):
                    log.exception("rebalance order %s failed", order.describe())
                yield OrderOutcome(order, OutcomeStatus.FAILED, message=str(exc))
                continue
            complete = placed.filled_size == order.size
            yield (
                OrderOutcome(
                    order,
                    OutcomeStatus.FILLED if complete else OutcomeStatus.PARTIALLY_FILLED,
                    filled_size=placed.filled_size,
                    fill_price=placed.average_price,
                    fee=placed.fee,
                    slippage_cost=placed.slippage_cost or ZERO,
                    fill_ids=tuple(fill.fill_id for fill in placed.fills),
                    message=note,
                )
            )
            if plan.strategy is RebalanceStrategy.GRID:
                await self._r.grid.filled(order, placed)

    async def place(
        self,
        plan: RebalancePlan,
        index: int,
        order: PlannedOrder,
        size: Decimal,
        note: str,
        label: str,
        tags: tuple[str, ...],
    ) -> tuple[OrderResult, str]:
        """Place one order; when the risk manager allows only a smaller size, place that.

        A ``RiskLimitError`` carrying ``allowed_size`` (the risk manager's REDUCE verdict)
        is retried once at that size, rounded down to the lot size, if it is still worth the
        minimum order value. Grid orders are never resized (a grid unit is exact).
        """
        manager = self._r.manager

        async def send(amount: Decimal, suffix: str = "") -> OrderResult:
            return await manager.place_order(
                order.symbol,
                order.side,
                amount,
                strategy=label,
                tags=tags,
                reduce_only=order.reduce_only,
                client_order_id=f"{plan.plan_id}:{index}{suffix}",
                reason=order.reason,
            )

        try:
            return await send(size), note
        except RiskLimitError as exc:
            allowed = getattr(exc, "allowed_size", None)
            if allowed is None or plan.strategy is RebalanceStrategy.GRID:
                raise
            with ledger_math():
                smaller = round_down(Decimal(allowed), self._r.size_step(order.symbol))
                value = smaller * order.mark_price
            if not 0 < smaller < size or value < self._r.config.min_order_value:
                raise
            placed = await send(smaller, ":risk")
            return placed, f"reduced from {fmt(size)} to {fmt(smaller)} by the risk limits: {exc}"

    def affordable(self, order: PlannedOrder) -> tuple[Decimal, str]:
        """The planned buy size, or less when the cash no longer covers it."""
        tracker = self._r.manager.position_tracker
        mark = tracker.last_price(order.symbol) or order.mark_price
        cost = self._r.cost_model
        with ledger_math():
            needed = order.size * cost.buy_cost_per_unit(mark)
            cash = tracker.cash
            if needed <= cash:
                return order.size, ""
            size = round_down(
                max(cash, ZERO) / cost.buy_cost_per_unit(mark), self._r.size_step(order.symbol)
            )
            value = size * mark
        if value < self._r.config.min_order_value:
            return ZERO, (
                f"not enough cash: {fmt(cash, 2)} available, {fmt(needed, 2)} needed "
                f"(an earlier sell failed or prices moved)"
            )
        return size, f"reduced from {fmt(order.size)} to {fmt(size)}: not enough cash"

    async def record(self, result: RebalanceResult) -> None:
        """Keep the result, persist it, restart the interval, fire ``rebalance_completed``."""
        self._r.history.append(result)
        try:
            await self._r.state.append_record("rebalance", result.to_dict(), result.finished_at)
            if result.executed and result.strategy in TARGET_STRATEGIES:
                self._r.last_rebalance_at = result.finished_at
                await self._r.state.set_setting(LAST_REBALANCE_KEY, result.finished_at.isoformat())
        except Exception as exc:  # the trades stand; losing their history must be loud
            log.exception("could not store the rebalance history")
            self._r.manager.events.emit(
                Event.ERROR,
                {"source": "rebalancer:history", "message": str(exc), "exception": exc},
            )
        self._r.manager.events.emit(Event.REBALANCE_COMPLETED, result)


def report(progress: ProgressCallback | None, done: int, total: int, outcome: OrderOutcome) -> None:
    """Call ``progress``; a failing progress callback is logged and never stops the orders."""
    if progress is None:
        return
    try:
        progress(done, total, outcome)
    except Exception:
        log.exception("a rebalance progress callback failed")
