"""The rebalancer: plans toward target allocations and executes them through the order desk.

``manager.rebalancer`` (always attached) offers the spec's API::

    plan = await rebalancer.create_rebalance_plan(RebalanceStrategy.THRESHOLD)   # a preview
    result = await rebalancer.execute_rebalance_plan(plan)                      # trades
    result = await rebalancer.auto_rebalance()        # only when enabled, due and drifted
    result = await rebalancer.dca_rebalance("SHIB/USDT", 100.0)

This facade holds the configuration, the clock, the state backend and the automation loop;
the work is done by :mod:`.rebalance_planning` (strategies → costed plans),
:mod:`.rebalance_execution` (plans → orders through the order desk), and
:mod:`.rebalance_automation` (grids on price batches, DCA schedules). The math lives in
:mod:`.rebalance_targets`, :mod:`.risk_parity`, :mod:`.rebalance_sizing`, :mod:`.grid` and
:mod:`.dca`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from desktop_app.execution.protocols import SupportsLotSize

from .errors import PortfolioError, RebalanceError
from .events import Event
from .rebalance_automation import DcaEngine, GridEngine
from .rebalance_config import RebalanceConfig, RebalanceStrategy, RiskParityMethod
from .rebalance_execution import (
    HALTED,
    LAST_REBALANCE_KEY,
    TARGET_STRATEGIES,
    PlanRunner,
    ProgressCallback,
)
from .rebalance_plan import (
    OrderOutcome,
    OutcomeStatus,
    PlannedOrder,
    RebalancePlan,
    RebalanceResult,
)
from .rebalance_planning import Planner
from .rebalance_sizing import CostModel, drift_pct, take_snapshot
from .rebalance_state import MemoryState, state_backend
from .values import Number, fmt, positive, utc_now

if TYPE_CHECKING:
    from .daily_closes import DailyCloseSource

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


class Rebalancer:
    """Plans, executes and automates rebalances of one portfolio."""

    def __init__(
        self,
        manager: Any,
        *,
        closes: DailyCloseSource | None = None,
        state: Any = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.manager = manager
        self._close_source = closes
        self.clock = clock
        self._memory = state if state is not None else MemoryState()
        self._explicit_state = state is not None
        self._execution_lock = asyncio.Lock()
        self._load_lock = asyncio.Lock()
        self._loaded = False
        self.history: deque[RebalanceResult] = deque(maxlen=200)
        self.last_rebalance_at: datetime | None = None
        self.planner = Planner(self)
        self.runner = PlanRunner(self)
        self.grid = GridEngine(self)
        self.dca = DcaEngine(self)
        manager.register_callback(Event.PRICE_UPDATE, self.grid.on_price_batch)

    # ------------------------------------------------------------ plumbing
    @property
    def close_source(self) -> DailyCloseSource:
        """Daily closes for the look-back strategies: the store's bars unless injected."""
        if self._close_source is None:
            from .daily_closes import StoreDailyCloses

            self._close_source = StoreDailyCloses(self.manager)
        return self._close_source

    @close_source.setter
    def close_source(self, source: DailyCloseSource) -> None:
        """Use another source of daily closes (a backtest's DataFrame, say)."""
        self._close_source = source

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
        """The portfolio's target weights, or ``override`` validated like them."""
        return self.planner.targets(override)

    async def create_rebalance_plan(
        self,
        strategy: RebalanceStrategy | str | None = None,
        *,
        targets: Mapping[str, float] | None = None,
    ) -> RebalancePlan:
        """A preview of the rebalance ``strategy`` would make now (nothing is traded)."""
        return await self.planner.create_plan(strategy, targets)

    def dca_plan(self, amount: Number, targets: Mapping[str, float]) -> RebalancePlan:
        """A plan buying ``amount`` (fees included) toward ``targets``, most underweight first."""
        return self.planner.dca_plan(amount, targets)

    def build_plan(self, *args: Any, **kwargs: Any) -> RebalancePlan:
        """Cost, projected weights and the executability verdict of a list of orders."""
        return self.planner.build_plan(*args, **kwargs)

    # ------------------------------------------------------------ execution
    async def rebalance(self, strategy: RebalanceStrategy | str | None = None) -> RebalanceResult:
        """Plan with ``strategy`` (default: the configured one) and execute the plan."""
        plan = await self.create_rebalance_plan(strategy)
        return await self.execute_rebalance_plan(plan)

    async def execute_rebalance_plan(
        self,
        plan: RebalancePlan,
        *,
        dry_run: bool | None = None,
        progress: ProgressCallback | None = None,
    ) -> RebalanceResult:
        """Place the plan's orders (see the module docstring for every rule).

        ``dry_run`` overrides ``config.dry_run`` for this plan only (a GUI's "dry run"
        button). ``progress(done, total, outcome)`` is called after each order's outcome
        is known, in plan order, so a progress bar can follow a long rebalance.
        """
        async with self._execution_lock:
            return await self.execute_locked(plan, dry_run=dry_run, progress=progress)

    async def execute_locked(
        self,
        plan: RebalancePlan,
        *,
        dry_run: bool | None = None,
        progress: ProgressCallback | None = None,
    ) -> RebalanceResult:
        """``execute_rebalance_plan`` for callers already holding the execution lock."""
        return await self.runner.execute_locked(plan, dry_run=dry_run, progress=progress)

    async def record(self, result: RebalanceResult) -> None:
        """Keep the result, persist it, restart the interval, fire ``rebalance_completed``."""
        await self.runner.record(result)

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
                self.planner.require_targets(targets, strategy)
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
