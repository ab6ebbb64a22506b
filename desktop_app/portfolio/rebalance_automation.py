"""The rebalancer's automated strategies: grids driven by price batches, scheduled DCA.

:class:`GridEngine` listens to ``price_update``; a batch that crosses grid levels becomes a
GRID plan executed like any other (through the order desk, with the risk checks), and the
grid's cells flip only for orders that traded. :class:`DcaEngine` keeps DCA schedules and
runs the due slices when the rebalancer's automation loop (or a test) calls ``run_due``.
Both persist their whole state through the rebalancer's state backend (the store when there
is one) after every change, and both share the rebalancer's execution lock, so grid fills,
DCA slices and manual rebalances never interleave.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Awaitable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .dca import DcaSchedule, DcaStatus
from .errors import ConfigError, PortfolioError, UnknownPositionError
from .grid import GridFill, GridSpec, GridState, grid_crossings
from .position_tracker import new_id
from .rebalance_config import RebalanceStrategy
from .rebalance_execution import HALTED
from .rebalance_plan import RebalancePlan, RebalanceResult
from .rebalance_sizing import take_snapshot
from .records import OrderSide
from .values import ZERO, Number, fmt, ledger_math, positive

if TYPE_CHECKING:
    from .orders import OrderResult
    from .rebalance_plan import PlannedOrder
    from .rebalancer import Rebalancer

log = logging.getLogger(__name__)

__all__ = ["DcaEngine", "GridEngine"]

GRID_KEY = "rebalance.grids"
DCA_KEY = "rebalance.dca_schedules"


def _band(state: GridState) -> tuple[int, int] | None:
    """Which side of every level the last price is on (what crossings depend on)."""
    if state.last_price is None:
        return None
    prices = state.spec.prices
    return bisect.bisect_left(prices, state.last_price), bisect.bisect_right(
        prices, state.last_price
    )


class GridEngine:
    """Grids per symbol: detect crossings in price batches and trade them."""

    def __init__(self, rebalancer: Rebalancer) -> None:
        self._r = rebalancer
        self.states: dict[str, GridState] = {}
        self._saved_bands: dict[str, tuple[int, int] | None] = {}

    async def load(self) -> None:
        stored = await self._r.state.get_setting(GRID_KEY, {}) or {}
        for symbol, data in stored.items():
            try:
                self.states[symbol] = GridState.from_dict(data)
            except (KeyError, TypeError, ValueError, PortfolioError) as exc:
                log.error("the stored grid of %s cannot be read and is ignored: %s", symbol, exc)
        self._saved_bands = {s: _band(state) for s, state in self.states.items()}

    async def save(self) -> None:
        payload = {symbol: state.to_dict() for symbol, state in self.states.items()}
        await self._r.state.set_setting(GRID_KEY, payload)
        self._saved_bands = {s: _band(state) for s, state in self.states.items()}

    async def configure(
        self, symbol: str, lower: Number, upper: Number, levels: int, size: Number
    ) -> GridState:
        """Start (or replace) the grid of ``symbol``; every cell starts waiting to buy."""
        spec = GridSpec.build(symbol, lower, upper, levels, size)
        minimum = self._r.config.min_order_value
        with ledger_math():
            smallest = spec.size_per_level * spec.lower
        if smallest < minimum:
            raise ConfigError(
                f"{fmt(spec.size_per_level)} {spec.symbol} at the grid's lowest level is worth "
                f"{fmt(smallest, 2)}, below the minimum order value {fmt(minimum)}"
            )
        price = self._r.manager.position_tracker.last_price(spec.symbol)
        async with self._r._execution_lock:
            state = GridState.start(spec, price)
            self.states[spec.symbol] = state
            await self.save()
        return state

    async def remove(self, symbol: str) -> bool:
        async with self._r._execution_lock:
            removed = self.states.pop(symbol, None) is not None
            if removed:
                await self.save()
        return removed

    def plan(self, prices: Mapping[str, Decimal]) -> RebalancePlan:
        """The grid orders the move from each grid's last price to ``prices`` triggers."""
        rebalancer, cost = self._r, self._r.cost_model
        minimum = rebalancer.config.min_order_value
        orders, skipped = [], []
        for symbol, state in sorted(self.states.items()):
            price = prices.get(symbol)
            if price is None:
                continue
            for cell, side, level in grid_crossings(state, price):
                size = state.spec.size_per_level
                verb = "fell through" if side is OrderSide.BUY else "rose through"
                reason = f"grid cell {cell}: price {verb} {fmt(level)}"
                with ledger_math():
                    value = size * price
                if value < minimum:
                    skipped.append((symbol, f"{reason}; {fmt(value, 2)} is below the minimum"))
                    continue
                orders.append(
                    cost.order(
                        symbol,
                        side,
                        size,
                        price,
                        reason,
                        reduce_only=side is OrderSide.SELL,
                        grid_cell=cell,
                    )
                )
        orders.sort(key=lambda o: (o.side is OrderSide.BUY, o.symbol))
        priced = sorted(s for s in self.states if s in prices)
        snapshot = take_snapshot(rebalancer.manager.position_tracker, priced)
        note = "" if orders else "no grid level was crossed"
        return rebalancer.build_plan(
            RebalanceStrategy.GRID, snapshot, orders, skipped, {}, {}, note=note
        )

    async def filled(self, order: PlannedOrder, placed: OrderResult) -> None:
        """Flip the order's cell after it traded, and persist."""
        state = self.states.get(order.symbol)
        if state is None or order.grid_cell is None or placed.average_price is None:
            return
        prices = state.spec.prices
        level = (
            prices[order.grid_cell] if order.side is OrderSide.BUY else prices[order.grid_cell + 1]
        )
        fill = GridFill(
            order.grid_cell,
            order.side,
            level,
            placed.average_price,
            placed.filled_size,
            self._r.clock(),
        )
        self.states[order.symbol] = state.filled(fill)
        await self.save()

    async def advance(self, prices: Mapping[str, Decimal]) -> None:
        """Move each grid's last price; persist when a level now lies on the other side."""
        changed = False
        for symbol, state in list(self.states.items()):
            price = prices.get(symbol)
            if price is None or price == state.last_price:
                continue
            new = state.advanced(price)
            self.states[symbol] = new
            changed = changed or _band(new) != self._saved_bands.get(symbol)
        if changed:
            await self.save()

    def on_price_batch(self, batch: Any) -> Awaitable[Any] | None:
        """``price_update`` handler: costs nothing unless the batch prices a grid symbol."""
        if not self.states or not any(symbol in self.states for symbol in batch.prices):
            return None
        return self.process(batch.prices)

    async def process(self, prices: Mapping[str, Decimal]) -> RebalanceResult | None:
        """Trade the crossings of one price batch (batches are processed in order)."""
        rebalancer = self._r
        async with rebalancer._execution_lock:
            relevant = {s: p for s, p in prices.items() if s in self.states}
            if not relevant or rebalancer.manager._closed:  # shutting down: trade nothing
                return None
            try:
                plan = self.plan(relevant)
                if not plan.has_orders and not plan.skipped:
                    return None
                status = rebalancer.manager.status.value
                if status in HALTED:
                    result = RebalanceResult(
                        RebalanceStrategy.GRID,
                        plan,
                        reason=f"the portfolio is {status}: grid crossings were not traded",
                    )
                    log.warning("%s", result.reason)
                    await rebalancer.record(result)
                    return result
                return await rebalancer.execute_locked(plan)
            except PortfolioError as exc:
                log.warning("grid orders not placed: %s", exc)
                return None
            finally:
                await self.advance(relevant)


class DcaEngine:
    """DCA schedules: persisted, run when due, never retried forever."""

    def __init__(self, rebalancer: Rebalancer) -> None:
        self._r = rebalancer
        self.schedules: dict[str, DcaSchedule] = {}

    async def load(self) -> None:
        stored = await self._r.state.get_setting(DCA_KEY, []) or []
        for data in stored:
            try:
                schedule = DcaSchedule.from_dict(data)
            except (KeyError, TypeError, ValueError, PortfolioError) as exc:
                log.error("a stored DCA schedule cannot be read and is ignored: %s", exc)
                continue
            self.schedules[schedule.schedule_id] = schedule

    async def save(self) -> None:
        payload = [schedule.to_dict() for schedule in self.schedules.values()]
        await self._r.state.set_setting(DCA_KEY, payload)

    async def schedule(
        self,
        budget: Number,
        installments: int,
        interval_hours: float,
        targets: dict[str, float] | None,
        start: datetime | None,
    ) -> DcaSchedule:
        """Spend ``budget`` in ``installments`` slices, one every ``interval_hours``."""
        schedule = DcaSchedule(
            schedule_id=new_id(),
            budget=positive(budget, "DCA budget"),
            installments=installments,
            interval_hours=float(interval_hours),
            next_due_at=start or self._r.clock(),
            targets=targets,
            created_at=self._r.clock(),
        )
        async with self._r._execution_lock:
            self.schedules[schedule.schedule_id] = schedule
            await self.save()
        return schedule

    async def cancel(self, schedule_id: str) -> DcaSchedule:
        from dataclasses import replace

        async with self._r._execution_lock:
            schedule = self.schedules.get(schedule_id)
            if schedule is None:
                raise UnknownPositionError(f"There is no DCA schedule with id '{schedule_id}'")
            schedule = replace(schedule, status=DcaStatus.CANCELLED, last_message="cancelled")
            self.schedules[schedule_id] = schedule
            await self.save()
        return schedule

    async def run_due(self, now: datetime) -> list[RebalanceResult]:
        """Buy every slice due at ``now``; a halted portfolio leaves them due."""
        rebalancer = self._r
        results: list[RebalanceResult] = []
        for schedule in list(self.schedules.values()):
            slices = schedule.slices_due(now)
            if not slices:
                continue
            status = rebalancer.manager.status.value
            if status in HALTED:
                results.append(
                    RebalanceResult(
                        RebalanceStrategy.DCA,
                        reason=f"DCA slice due, but the portfolio is {status}: it stays due",
                    )
                )
                continue
            amount = schedule.amount_for(slices)
            async with rebalancer._execution_lock:
                try:
                    targets = schedule.targets or rebalancer.targets()
                    rebalancer.planner.require_targets(targets, RebalanceStrategy.DCA)
                    result = await rebalancer.execute_locked(rebalancer.dca_plan(amount, targets))
                except PortfolioError as exc:
                    result = RebalanceResult(
                        RebalanceStrategy.DCA,
                        reason=f"DCA slice of {fmt(amount, 2)} not bought: {exc}",
                    )
                    await rebalancer.record(result)
                with ledger_math():
                    spent = sum(
                        (
                            o.filled_size * (o.fill_price or ZERO) + o.fee
                            for o in result.outcomes
                            if o.traded
                        ),
                        ZERO,
                    )
                self.schedules[schedule.schedule_id] = schedule.after_run(
                    slices, amount, spent, result.summary()
                )
                await self.save()
            results.append(result)
        return results
