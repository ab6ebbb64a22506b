"""The rebalancer: plans toward target allocations and executes them through the order desk.

``manager.rebalancer`` (always attached) offers the spec's API::

    plan = await rebalancer.create_rebalance_plan(RebalanceStrategy.THRESHOLD)   # a preview
    result = await rebalancer.execute_rebalance_plan(plan)                      # trades
    result = await rebalancer.auto_rebalance()        # only when enabled, due and drifted
    result = await rebalancer.dca_rebalance("SHIB/USDT", 100.0)

How each strategy sets its goal is in :mod:`.rebalance_targets` (tilts, risk parity),
:mod:`.grid` and :mod:`.dca`; how goals become orders and what they cost is in
:mod:`.rebalance_sizing` and :mod:`.rebalance_plan`.

Execution places every order through ``PortfolioManager.place_order`` — so the risk manager's
pre-trade checks apply to each one, and fills come from the trade executor — sells first,
one order at a time. Each order's outcome is recorded; a buy that the cash no longer covers
(an earlier sell failed, prices moved) is shrunk to what the cash buys or skipped; after an
order filled but could not be booked nothing more is sent. While the portfolio is paused,
liquidating or liquidated, plans can be previewed but execution is refused (automated trading
is stopped); while reducing-only, only sells are placed. ``dry_run`` plans and reports
without trading. Every result goes to the history (the store's ``rebalance`` records) and
fires ``rebalance_completed``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from desktop_app.execution.protocols import SupportsLotSize

from .errors import PortfolioError, RebalanceError, TradingHaltedError, UnbookedFillError
from .events import Event
from .position_tracker import new_id
from .rebalance_automation import DcaEngine, GridEngine
from .rebalance_config import RebalanceConfig, RebalanceStrategy, RiskParityMethod, _enum
from .rebalance_plan import (
    OrderOutcome,
    OutcomeStatus,
    PlannedOrder,
    RebalancePlan,
    RebalanceResult,
)
from .rebalance_sizing import (
    CostModel,
    PortfolioSnapshot,
    dca_orders,
    drift_pct,
    orders_to_targets,
    project_weights,
    round_down,
    take_snapshot,
)
from .rebalance_state import MemoryState, state_backend
from .records import OrderSide
from .values import ZERO, Number, fmt, ledger_math, positive, utc_now

if TYPE_CHECKING:
    from .price_history import PriceHistory

log = logging.getLogger(__name__)

__all__ = [
    "OrderOutcome",
    "OutcomeStatus",
    "PlannedOrder",
    "RebalanceConfig",
    "RebalancePlan",
    "RebalanceResult",
    "RebalanceStrategy",
    "Rebalancer",
    "RiskParityMethod",
    "inverse_volatility_weights",
    "risk_parity_weights",
]

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
HALTED = frozenset({"paused", "liquidating", "liquidated"})


def strategy_label(strategy: RebalanceStrategy) -> str:
    """The ``strategy`` name the ledger gives positions opened by this rebalance."""
    return {RebalanceStrategy.GRID: "grid", RebalanceStrategy.DCA: "dca"}.get(strategy, "rebalance")


def _nothing_to_trade(skipped: list[tuple[str, str]]) -> str:
    if not skipped:
        return "nothing to trade"
    return "nothing to trade: " + "; ".join(f"{symbol} {why}" for symbol, why in skipped)


class Rebalancer:
    """Plans, executes and automates rebalances of one portfolio."""

    def __init__(
        self,
        manager: Any,
        *,
        history: PriceHistory | None = None,
        state: Any = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.manager = manager
        self._price_history = history
        self.clock = clock
        self._memory = state if state is not None else MemoryState()
        self._explicit_state = state is not None
        self._execution_lock = asyncio.Lock()
        self._load_lock = asyncio.Lock()
        self._loaded = False
        self.history: deque[RebalanceResult] = deque(maxlen=200)
        self.last_rebalance_at: datetime | None = None
        self.grid = GridEngine(self)
        self.dca = DcaEngine(self)
        manager.register_callback(Event.PRICE_UPDATE, self.grid.on_price_batch)

    # ------------------------------------------------------------ plumbing
    @property
    def price_history(self) -> PriceHistory:
        """Daily closes for the look-back strategies: the store's bars unless injected."""
        if self._price_history is None:
            from .price_history import StoreHistory

            self._price_history = StoreHistory(self.manager)
        return self._price_history

    @price_history.setter
    def price_history(self, source: PriceHistory) -> None:
        """Use another source of daily closes (a backtest's DataFrame, say)."""
        self._price_history = source

    @property
    def config(self) -> RebalanceConfig:
        return self.manager.config.rebalance_config

    @property
    def state(self) -> Any:
        """Where settings and history persist: the store, or memory without one."""
        return self._memory if self._explicit_state else state_backend(self.manager, self._memory)

    @property
    def cost_model(self) -> CostModel:
        return CostModel(self.config.fee_rate, self.config.slippage_bps)

    def size_step(self, symbol: str) -> Decimal:
        """The executor's lot size for ``symbol`` if it knows one, else ``10**-size_decimals``."""
        executor = self.manager.trade_executor
        if isinstance(executor, SupportsLotSize):
            step = executor.lot_size(symbol)
            if step is not None and step > 0:
                return step
        return self.config.size_step

    async def load(self) -> None:
        """Restore grids, DCA schedules and the last rebalance time (once)."""
        async with self._load_lock:
            if self._loaded:
                return
            last = await self.state.get_setting(LAST_REBALANCE_KEY)
            self.last_rebalance_at = None if last is None else datetime.fromisoformat(last)
            await self.grid.load()
            await self.dca.load()
            self._loaded = True

    async def start(self) -> None:
        """Load state and run the automation loop (DCA schedules, auto rebalance)."""
        await self.load()
        if self.config.automation_check_interval_s > 0:
            self.manager._spawn(self._automation_loop(), name="rebalance-automation")

    async def _automation_loop(self) -> None:
        while True:
            await asyncio.sleep(max(self.config.automation_check_interval_s, 1.0))
            try:
                await self.run_due()
            except Exception as exc:  # the loop must outlive any single failure
                log.exception("automated rebalancing failed")
                self.manager.events.emit(
                    Event.ERROR,
                    {"source": "rebalancer", "message": str(exc), "exception": exc},
                )

    async def run_due(self, now: datetime | None = None) -> list[RebalanceResult]:
        """Run whatever is due at ``now``: DCA slices, then the automatic rebalance."""
        await self.load()
        now = now or self.clock()
        results = await self.dca.run_due(now)
        if self.manager.config.rebalance_enabled:
            results.append(await self.auto_rebalance(now=now))
        return results

    # ------------------------------------------------------------ planning
    def targets(self, override: Mapping[str, float] | None = None) -> dict[str, float]:
        if override is not None:
            from .config import validate_target_allocations

            return validate_target_allocations(override, self.manager.config.quote_currency)
        return dict(self.manager.config.target_allocations)

    def _require_targets(self, targets: dict[str, float], strategy: RebalanceStrategy) -> None:
        if not any(w > 0 for w in targets.values()):
            raise RebalanceError(
                f"{strategy.value} rebalancing needs target allocations; set them first "
                f"(e.g. BTC/USDT 60 %, ETH/USDT 40 %)"
            )

    async def closes(self, symbols: list[str], days: int) -> Any:
        from .price_history import require_history

        frame = await self.price_history.daily_closes(symbols, days, end=self.clock())
        return require_history(frame, symbols, days)

    async def create_rebalance_plan(
        self,
        strategy: RebalanceStrategy | str | None = None,
        *,
        targets: Mapping[str, float] | None = None,
    ) -> RebalancePlan:
        """A preview of the rebalance ``strategy`` would make now (nothing is traded)."""
        await self.manager._ready()
        await self.load()
        kind: RebalanceStrategy = _enum(RebalanceStrategy, strategy or self.config.strategy)
        if kind is RebalanceStrategy.GRID:
            return self.grid.plan(self.manager.position_tracker.prices)
        base = self.targets(targets)
        if kind is RebalanceStrategy.DCA:
            self._require_targets(base, kind)
            return self.dca_plan(self.config.dca_amount, base)
        config, tracker = self.config, self.manager.position_tracker
        if kind is RebalanceStrategy.RISK_PARITY:
            goal = await self._risk_parity_goal(base)
        else:
            self._require_targets(base, kind)
            goal = base
            if kind in (RebalanceStrategy.MOMENTUM, RebalanceStrategy.MEAN_REVERSION):
                goal = await self._tilted_goal(kind, base)
        snapshot = take_snapshot(tracker, [s for s, w in goal.items() if w > 0])
        drift = drift_pct(snapshot.weights, goal)
        assert config.max_drift_pct is not None
        if kind is RebalanceStrategy.THRESHOLD:
            trade = [s for s, d in drift.items() if abs(d) > config.max_drift_pct]
        else:
            trade = list(drift)
        orders, skipped = orders_to_targets(
            snapshot, goal, trade, self.cost_model, config.min_order_value, self.size_step
        )
        if not trade:
            note = f"no asset drifted more than {config.max_drift_pct:g} pp from its target"
        else:
            note = ""
        return self.build_plan(kind, snapshot, orders, skipped, goal, drift, note=note)

    async def _tilted_goal(
        self, kind: RebalanceStrategy, base: dict[str, float]
    ) -> dict[str, float]:
        days = (
            self.config.momentum_lookback_days
            if kind is RebalanceStrategy.MOMENTUM
            else self.config.mean_reversion_lookback_days
        )
        from .rebalance_targets import rank_scores, tilt_targets, trailing_returns

        symbols = [s for s, w in base.items() if w > 0]
        returns = trailing_returns(await self.closes(symbols, days), days)
        scores = rank_scores(returns)
        if kind is RebalanceStrategy.MEAN_REVERSION:
            scores = -scores
        return tilt_targets(base, scores.to_dict(), self.config.max_tilt_pct)

    async def _risk_parity_goal(self, base: dict[str, float]) -> dict[str, float]:
        from .rebalance_targets import risk_parity_targets

        symbols = [s for s, w in base.items() if w > 0]
        invested = sum(base[s] for s in symbols)
        if not symbols:  # no targets: the long holdings, at today's invested share
            snapshot = take_snapshot(self.manager.position_tracker)
            symbols = sorted(s for s, w in snapshot.weights.items() if w > 0)
            invested = sum(snapshot.weight(s) for s in symbols)
        if not symbols:
            raise RebalanceError("Risk parity needs target allocations or open long positions")
        closes = await self.closes(symbols, self.config.risk_parity_lookback_days)
        loop = asyncio.get_running_loop()
        method = self.config.risk_parity_method
        goal = await loop.run_in_executor(None, risk_parity_targets, closes, method, invested)
        return {**dict.fromkeys(base, 0.0), **goal}

    def dca_plan(self, amount: Number, targets: Mapping[str, float]) -> RebalancePlan:
        """A plan buying ``amount`` (fees included) toward ``targets``, most underweight first."""
        money = positive(amount, "DCA amount")
        tracker = self.manager.position_tracker
        snapshot = take_snapshot(tracker, [s for s, w in targets.items() if w > 0])
        orders, skipped = dca_orders(
            snapshot, targets, money, self.cost_model, self.config.min_order_value, self.size_step
        )
        drift = drift_pct(snapshot.weights, targets)
        return self.build_plan(RebalanceStrategy.DCA, snapshot, orders, skipped, targets, drift)

    def build_plan(
        self,
        strategy: RebalanceStrategy,
        snapshot: PortfolioSnapshot,
        orders: list[PlannedOrder],
        skipped: list[tuple[str, str]],
        targets: Mapping[str, float],
        drift: Mapping[str, float],
        *,
        note: str = "",
    ) -> RebalancePlan:
        """Cost, projected weights and the executability verdict of ``orders``."""
        config = self.config
        weights_after, _ = project_weights(snapshot, orders)
        with ledger_math():
            fees = sum((o.estimated_fee for o in orders), ZERO)
            slippage = sum((o.estimated_slippage for o in orders), ZERO)
        plan = RebalancePlan(
            plan_id=new_id(),
            strategy=strategy,
            created_at=self.clock(),
            equity=snapshot.equity,
            cash=snapshot.cash,
            prices=dict(snapshot.prices),
            orders=tuple(orders),
            weights_before=snapshot.weights,
            weights_after=weights_after,
            target_weights=dict(targets),
            drift_pct=dict(drift),
            max_drift_pct=float(config.max_drift_pct or 0.0),
            estimated_fees=fees,
            estimated_slippage=slippage,
            max_cost_pct=config.max_rebalance_cost_pct,
            reason="" if orders else (note or _nothing_to_trade(skipped)),
            skipped=tuple(skipped),
        )
        if plan.estimated_cost_pct > config.max_rebalance_cost_pct:
            reason = (
                f"estimated cost {fmt(plan.estimated_cost, 2)} is "
                f"{plan.estimated_cost_pct:.3f} % of equity, above the "
                f"{config.max_rebalance_cost_pct:g} % limit (max_rebalance_cost_pct)"
            )
            plan = replace(plan, executable=False, reason=reason)
        return plan

    # ------------------------------------------------------------ execution
    async def rebalance(self, strategy: RebalanceStrategy | str | None = None) -> RebalanceResult:
        """Plan with ``strategy`` (default: the configured one) and execute the plan."""
        plan = await self.create_rebalance_plan(strategy)
        return await self.execute_rebalance_plan(plan)

    async def execute_rebalance_plan(self, plan: RebalancePlan) -> RebalanceResult:
        """Place the plan's orders (see the module docstring for every rule)."""
        async with self._execution_lock:
            return await self.execute_locked(plan)

    def _refuse_if_halted(self) -> None:
        status = self.manager.status.value
        if status in HALTED:
            reason = self.manager.status_reason
            raise TradingHaltedError(
                f"Cannot execute the rebalance: the portfolio is {status}"
                f"{f' ({reason})' if reason else ''}. Automated trading is stopped while "
                f"{status}; the plan can still be previewed. Resume the portfolio to trade."
            )

    async def execute_locked(self, plan: RebalancePlan) -> RebalanceResult:
        """``execute_rebalance_plan`` for callers already holding the execution lock."""
        await self.load()
        self._refuse_if_halted()
        started = self.clock()
        if not plan.executable:
            result = RebalanceResult(plan.strategy, plan, reason=f"not executed: {plan.reason}")
            await self.record(result)
            return result
        age_s = (started - plan.created_at).total_seconds()
        if age_s > self.config.max_plan_age_s:
            raise RebalanceError(
                f"This plan is {age_s:.0f} s old (limit {self.config.max_plan_age_s:g} s): its "
                f"prices are stale. Create a new plan."
            )
        if self.config.dry_run:
            outcomes = tuple(
                OrderOutcome(o, OutcomeStatus.DRY_RUN, message="dry run: not placed")
                for o in plan.orders
            )
            result = RebalanceResult(
                plan.strategy,
                plan,
                outcomes,
                dry_run=True,
                reason="dry run: nothing traded",
                started_at=started,
                finished_at=self.clock(),
            )
            await self.record(result)
            return result
        outcomes = await self._place_all(plan)
        try:
            after = take_snapshot(self.manager.position_tracker)
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
            finished_at=self.clock(),
        )
        await self.record(result)
        return result

    async def _place_all(self, plan: RebalancePlan) -> list[OrderOutcome]:
        label = strategy_label(plan.strategy)
        tags = tuple(dict.fromkeys((label, plan.strategy.value)))
        outcomes: list[OrderOutcome] = []
        stopped = ""
        for index, order in enumerate(plan.orders):
            if stopped:
                outcomes.append(OrderOutcome(order, OutcomeStatus.SKIPPED, message=stopped))
                continue
            is_buy = order.side is OrderSide.BUY and not order.reduce_only
            if is_buy and self.manager.status.value == "reducing":
                outcomes.append(
                    OrderOutcome(
                        order, OutcomeStatus.SKIPPED, message="reducing-only: buys are not placed"
                    )
                )
                continue
            size, note = self._affordable(order) if is_buy else (order.size, "")
            if size <= 0:
                outcomes.append(OrderOutcome(order, OutcomeStatus.SKIPPED, message=note))
                continue
            try:
                placed = await self.manager.place_order(
                    order.symbol,
                    order.side,
                    size,
                    strategy=label,
                    tags=tags,
                    reduce_only=order.reduce_only,
                    client_order_id=f"{plan.plan_id}:{index}",
                    reason=order.reason,
                )
            except UnbookedFillError as exc:
                unbooked = exc.unbooked
                execution = getattr(unbooked, "execution", None)
                outcomes.append(
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
                outcomes.append(OrderOutcome(order, OutcomeStatus.FAILED, message=str(exc)))
                continue
            complete = placed.filled_size == order.size
            outcomes.append(
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
                await self.grid.filled(order, placed)
        return outcomes

    def _affordable(self, order: PlannedOrder) -> tuple[Decimal, str]:
        """The planned buy size, or less when the cash no longer covers it."""
        tracker = self.manager.position_tracker
        mark = tracker.last_price(order.symbol) or order.mark_price
        cost = self.cost_model
        with ledger_math():
            needed = order.size * cost.buy_cost_per_unit(mark)
            cash = tracker.cash
            if needed <= cash:
                return order.size, ""
            size = round_down(
                max(cash, ZERO) / cost.buy_cost_per_unit(mark), self.size_step(order.symbol)
            )
            value = size * mark
        if value < self.config.min_order_value:
            return ZERO, (
                f"not enough cash: {fmt(cash, 2)} available, {fmt(needed, 2)} needed "
                f"(an earlier sell failed or prices moved)"
            )
        return size, f"reduced from {fmt(order.size)} to {fmt(size)}: not enough cash"

    async def record(self, result: RebalanceResult) -> None:
        """Keep the result, persist it, restart the interval, fire ``rebalance_completed``."""
        self.history.append(result)
        try:
            await self.state.append_record("rebalance", result.to_dict(), result.finished_at)
            if result.executed and result.strategy in TARGET_STRATEGIES:
                self.last_rebalance_at = result.finished_at
                await self.state.set_setting(LAST_REBALANCE_KEY, result.finished_at.isoformat())
        except Exception as exc:  # the trades stand; losing their history must be loud
            log.exception("could not store the rebalance history")
            self.manager.events.emit(
                Event.ERROR,
                {"source": "rebalancer:history", "message": str(exc), "exception": exc},
            )
        self.manager.events.emit(Event.REBALANCE_COMPLETED, result)

    async def get_rebalance_history(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Stored rebalance results, oldest first (as dicts)."""
        return await self.state.read_records("rebalance", limit=limit)

    # ------------------------------------------------------------ automation
    async def auto_rebalance(self, *, now: datetime | None = None) -> RebalanceResult:
        """Rebalance with the configured strategy if enabled, due and drifted; says why not."""
        await self.manager._ready()
        await self.load()
        now = now or self.clock()
        strategy = self.config.strategy
        interval = timedelta(hours=self.config.rebalance_interval_hours)

        def no(reason: str) -> RebalanceResult:
            return RebalanceResult(strategy, reason=reason, started_at=now, finished_at=now)

        if not self.manager.config.rebalance_enabled:
            return no("automatic rebalancing is off (rebalance_enabled is False)")
        if self.manager.status.value in HALTED:
            return no(f"the portfolio is {self.manager.status.value}: automated trading is stopped")
        if self.last_rebalance_at is not None and now - self.last_rebalance_at < interval:
            due = self.last_rebalance_at + interval
            return no(
                f"not due: the next rebalance is allowed at {due.isoformat(timespec='minutes')}"
            )
        try:
            if strategy in TARGET_STRATEGIES:
                targets = self.targets()
                self._require_targets(targets, strategy)
                snapshot = take_snapshot(self.manager.position_tracker, list(targets))
                drift = drift_pct(snapshot.weights, targets)
                largest = max((abs(d) for d in drift.values()), default=0.0)
                limit = float(self.config.max_drift_pct or 0.0)
                if largest <= limit:
                    return no(f"largest drift {largest:.2f} pp is within the {limit:g} pp limit")
            async with self._execution_lock:
                plan = await self.create_rebalance_plan(strategy)
                return await self.execute_locked(plan)
        except PortfolioError as exc:
            log.warning("automatic rebalance did not run: %s", exc)
            return no(f"did not run: {exc}")

    async def dca_rebalance(self, symbol: str, amount: Number) -> RebalanceResult:
        """Buy ``amount`` of quote value of ``symbol`` now (fees included), via the executor."""
        from .values import normalize_symbol

        await self.manager._ready()
        money = positive(amount, "DCA amount")
        if money < self.config.min_order_value:
            raise RebalanceError(
                f"A DCA buy of {fmt(money, 2)} is below the minimum order value of "
                f"{fmt(self.config.min_order_value)}"
            )
        plan = self.dca_plan(money, {normalize_symbol(symbol): 1.0})
        return await self.execute_rebalance_plan(plan)

    # grid and DCA schedule management, for the GUI and scripts
    async def configure_grid(
        self, symbol: str, lower: Number, upper: Number, levels: int, size_per_level: Number
    ) -> Any:
        await self.load()
        return await self.grid.configure(symbol, lower, upper, levels, size_per_level)

    async def remove_grid(self, symbol: str) -> bool:
        await self.load()
        return await self.grid.remove(symbol)

    async def schedule_dca(
        self,
        budget: Number,
        installments: int,
        interval_hours: float = 24.0,
        *,
        targets: Mapping[str, float] | None = None,
        start: datetime | None = None,
    ) -> Any:
        await self.load()
        clean = None if targets is None else self.targets(targets)
        return await self.dca.schedule(budget, installments, interval_hours, clean, start)

    async def cancel_dca(self, schedule_id: str) -> Any:
        await self.load()
        return await self.dca.cancel(schedule_id)


def risk_parity_weights(cov: Any, *, tol: float = 1e-10, max_iterations: int = 200) -> Any:
    """Equal-risk-contribution weights of ``cov`` (long-only, sum 1); see :mod:`.risk_parity`.

    Loaded on first use, so importing the engine does not load numpy.
    """
    from . import risk_parity

    return risk_parity.risk_parity_weights(cov, tol=tol, max_iterations=max_iterations)


def inverse_volatility_weights(cov: Any) -> Any:
    """``w_i ∝ 1/σ_i`` from the diagonal of ``cov`` (long-only, sum 1); see :mod:`.risk_parity`."""
    from . import risk_parity

    return risk_parity.inverse_volatility_weights(cov)
