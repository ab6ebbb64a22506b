"""RiskManager: limits that enforce themselves, live risk metrics, breakers, stress tests.

The manager creates one (``manager.risk_manager``, always present). It registers a
pre-trade check that runs under the ledger lock on every opening or adding fill, so no
trade bypasses it and concurrent trades can never overshoot a limit; reducing fills always
pass. A refusal raises :class:`RiskLimitError` (REDUCE refuses too, carrying the size that
would pass); after the lock is released it is stored as a risk violation and announced as
``risk_limit_exceeded``.

The drawdown and daily-loss breakers run on every price batch; the VaR breaker and the
limit alerts on each background recomputation (``risk_update_interval_s``); the losing
streak on every closed position. See :mod:`.breakers` for the re-arm policy and
:mod:`.risk_metrics` for the level/score rule.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from .breakers import Breaker, BreakerTrip, CircuitBreakers
from .errors import ConfigError, InvalidOrderError, PortfolioError, RiskLimitError
from .events import Event
from .position_tracker import LedgerEffect
from .price_history import PriceHistory
from .records import CashMovement, Position, PositionType
from .risk_analysis import RiskAnalysis
from .risk_checks import CheckResult, PortfolioState, RiskAction, TradeProposal, evaluate_trade
from .risk_events import RiskViolation
from .risk_limits import BREAKER_LIMITS, BreakerAction, RiskLimits
from .risk_metrics import RiskLevel, RiskMetrics
from .risk_model import ReturnPanel
from .risk_var import PostTradeVar
from .status import PortfolioStatus
from .values import Number, non_negative, parse_symbol, positive

if TYPE_CHECKING:
    from .manager import PortfolioManager
    from .sizing import PositionSizing
    from .status import PriceBatch
    from .stress import StressResult, StressScenario

log = logging.getLogger(__name__)


def position_kind(value: PositionType | str) -> PositionType:
    """LONG or SHORT from an enum or its name, else a clear error."""
    if isinstance(value, PositionType):
        return value
    try:
        return PositionType(str(value).lower())
    except ValueError:
        raise InvalidOrderError(f"position type must be LONG or SHORT, got {value!r}") from None


__all__ = ["RiskAction", "RiskLevel", "RiskLimits", "RiskManager", "RiskMetrics"]

#: Violations kept in memory for the report (the store keeps them all).
VIOLATION_HISTORY = 500
_STATE_KEY = "risk.breakers"


class RiskManager:
    """Risk limits, checks, metrics, breakers and stress tests of one portfolio."""

    def __init__(self, manager: PortfolioManager) -> None:
        self._manager = manager
        self.breakers = CircuitBreakers()
        self._preset: tuple[Any, Any] = (None, None)
        self.analysis = RiskAnalysis(self)
        self._violations: deque[RiskViolation] = deque(maxlen=VIOLATION_HISTORY)
        self._pending: list[RiskViolation] = []
        self._breached: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        manager.add_pre_trade_check(self._pre_trade_check)
        manager.register_callback(Event.CASH_MOVED, self._on_cash_moved)
        manager.register_callback(Event.POSITION_CLOSED, self._on_position_closed)

    def now(self) -> datetime:
        """The portfolio's market time (a replay's clock when rehearsing)."""
        return self._manager.now()

    # ------------------------------------------------------------------ limits
    @property
    def limits(self) -> RiskLimits:
        """The limits in force: the config's ``risk_limits``, else built from its preset."""
        config = self._manager.config
        if config.risk_limits is not None:
            return config.risk_limits
        if self._preset[0] is not config:  # built once per config (read on every batch)
            self._preset = (config, RiskLimits.from_config(config))
        return self._preset[1]

    @limits.setter
    def limits(self, value: RiskLimits) -> None:
        if not isinstance(value, RiskLimits):
            raise ConfigError(f"risk limits must be a RiskLimits, got {type(value).__name__}")
        self._manager.config = self._manager.config.with_changes(risk_limits=value)
        self._spawn(self._manager.update_config(), "persist risk limits")

    async def update_limits(self, **changes: Any) -> RiskLimits:
        """Change some limits now (validated, persisted, ``config_changed`` fired)."""
        limits = self.limits.with_changes(**changes)
        await self._manager.update_config(risk_limits=limits)
        return limits

    # --------------------------------------------------------------- lifecycle
    def store(self) -> Any:
        """The manager's Store, or None (a MemoryJournal portfolio keeps no history)."""
        return getattr(self._manager, "store", None)

    async def start(self) -> None:
        """Restore the breakers' state and recent violations (called by ``initialize``)."""
        tracker = self._manager.position_tracker
        self.breakers.nav.start(float(tracker.equity()), self.now())
        store = self.store()
        if store is None:
            return
        try:
            state = await store.get_setting(_STATE_KEY)
            if state:
                self.breakers.restore(state)
            records = [
                RiskViolation.from_dict(record)
                for kind in ("risk_violation", "breaker_event")
                for record in await store.read_records(kind, limit=VIOLATION_HISTORY)
            ]
            self._violations.extend(sorted(records, key=lambda v: v.timestamp))
        except Exception:
            log.exception("could not restore the risk manager's state; starting fresh")

    async def run(self) -> None:
        """Recompute the metrics every ``risk_update_interval_s`` (the manager's task)."""
        while True:
            interval = self.limits.risk_update_interval_s
            await asyncio.sleep(interval if interval > 0 else 1.0)
            if interval <= 0:
                continue
            try:
                await self.monitor()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("risk recomputation failed")
                self._manager.events.emit(
                    Event.ERROR, {"source": "risk_manager", "message": str(exc), "exception": exc}
                )

    async def monitor(self) -> RiskMetrics:
        """One background pass: metrics, VaR breaker, limit alerts, persisted state."""
        metrics = await self.calculate_risk_metrics()
        var_pct = None if metrics.var_95 is None else 100.0 * metrics.var_95
        await self._handle_trips(self.breakers.on_var(var_pct, metrics.timestamp, self.limits))
        breached = {
            u.limit
            for u in metrics.limits
            if u.status == "breached" and u.limit not in BREAKER_LIMITS.values()
        }  # a breaker reports its own limit
        for usage in metrics.limits:
            if usage.limit in breached - self._breached:
                await self._publish(RiskViolation.exceeded(usage, metrics), "risk_violation")
        self._breached = breached
        store = self.store()
        if store is not None:
            record = metrics.to_dict()
            record.pop("correlation", None)  # recomputed on demand, not archived
            await store.append_record("risk_metrics", record)
        await self._save_state()
        return metrics

    async def close(self) -> None:
        """Persist the breakers' state and stop background work (called by ``shutdown``)."""
        for task in tuple(self._tasks):
            await asyncio.gather(task, return_exceptions=True)
        await self._save_state()

    async def drain(self) -> None:
        """Wait for breaker actions started from event handlers."""
        while self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)

    def _spawn(self, coro: Awaitable[Any], name: str) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coro, name=name)  # type: ignore[arg-type]
        except RuntimeError:
            close = getattr(coro, "close", None)
            if close is not None:
                close()
            log.error("%s needs a running event loop", name)
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _save_state(self) -> None:
        store = self.store()
        if store is None:
            return
        try:
            await store.set_setting(_STATE_KEY, self.breakers.to_dict())
        except Exception:
            log.exception("could not persist the circuit breakers' state")

    # ------------------------------------------------------------ pre-trade
    async def check_position_risk(
        self,
        symbol: str,
        size: Number,
        price: Number,
        *,
        position_type: PositionType | str = PositionType.LONG,
        strategy: str | None = None,
        fee: Number = 0,
    ) -> CheckResult:
        """Would opening ``size`` of ``symbol`` at ``price`` pass? ``action, reason = ...``.

        Advisory (the binding check runs again under the lock when the trade is booked);
        also reports the portfolio's status and any cooldown.
        """
        tracker = self._manager.position_tracker
        canonical = self.tradable_symbol(symbol)
        kind = position_kind(position_type)
        amount, fill_price = positive(size, "size"), positive(price, "price")
        trade = TradeProposal(
            symbol=canonical,
            sign=1 if kind is PositionType.LONG else -1,
            size=amount,
            price=fill_price,
            mark=tracker.last_price(canonical) or fill_price,
            fee=non_negative(fee, "fee"),
            strategy=(strategy or "manual").strip() or "manual",
        )
        status = self._manager.status
        halted = None
        if not status.allows_new_exposure:
            halted = f"the portfolio is {status.value}: only exposure-reducing trades are allowed"
        return await self._evaluate(trade, halted=halted)

    def tradable_symbol(self, symbol: str) -> str:
        """The canonical symbol, refused (like the ledger does) unless in the quote currency."""
        parsed = parse_symbol(symbol)
        quote = self._manager.config.quote_currency
        if parsed.quote != quote:
            raise InvalidOrderError(
                f"{parsed} is quoted in {parsed.quote}, but this portfolio keeps its books in "
                f"{quote}; use {parsed.base}/{quote}"
            )
        return str(parsed)

    async def _evaluate(self, trade: TradeProposal, *, halted: str | None = None) -> CheckResult:
        limits = self.limits
        state = PortfolioState.of(self._manager.position_tracker)
        check = partial(
            evaluate_trade,
            state,
            trade,
            limits,
            cooldown_until=self.breakers.cooldown(self.now()),
            halted=halted,
        )
        needs_history = (
            limits.max_var_pct is not None
            or limits.max_portfolio_risk_pct is not None
            or limits.var_budget_by_strategy_pct
            or limits.var_budget_by_symbol_pct
        )
        if not (needs_history and self.history.available):
            return check()  # O(positions) Decimal arithmetic: no executor hop
        symbols = sorted({h.symbol for h in state.holdings} | {trade.symbol})
        panel, missing = await self.panel(symbols)

        def with_history() -> CheckResult:  # numpy over the panel: in the executor
            return check(var=PostTradeVar.build(panel, state, missing))

        return await asyncio.get_running_loop().run_in_executor(None, with_history)

    async def _pre_trade_check(self, effect: LedgerEffect) -> None:
        """Registered with the manager: runs under the ledger lock before a fill is booked."""
        trade = TradeProposal.of(effect, self._manager.position_tracker)
        if trade is None:  # reducing: always allowed
            return
        result = await self._evaluate(trade)
        if result.action is RiskAction.ALLOW:
            return
        binding = result.binding
        self._pending.append(RiskViolation.refused(trade, result, None))
        verb = "open" if trade.position_id is None else "add"
        raise RiskLimitError(
            f"Cannot {verb} {trade.size.normalize():f} {trade.symbol}: {result.reason}",
            limit=binding.limit if binding else None,
            action=result.action,
            allowed_size=result.allowed_size if result.action is RiskAction.REDUCE else None,
            current=binding.current if binding else None,
            limit_value=binding.limit_value if binding else None,
        )

    async def publish_refusals(self) -> None:
        """Store and announce the refusals of the last check (after the lock is released)."""
        pending, self._pending = self._pending, []
        metrics = self.quick_metrics() if pending else None
        for violation in pending:
            await self._publish(replace(violation, metrics=metrics), "risk_violation")

    async def _publish(self, violation: RiskViolation, kind: str) -> None:
        self._violations.append(violation)
        store = self.store()
        if store is not None:
            try:
                await store.append_record(kind, violation.to_dict(), violation.timestamp)
            except Exception:
                log.exception("could not store the risk violation: %s", violation.message)
        log.warning("risk %s: %s", violation.kind, violation.message)
        self._manager.events.emit(Event.RISK_LIMIT_EXCEEDED, violation)

    def violations(self, limit: int | None = None) -> list[RiskViolation]:
        """Recent violations, newest first."""
        items = list(reversed(self._violations))
        return items if limit is None else items[:limit]

    # ------------------------------------------------------------- breakers
    async def on_price_batch(self, batch: PriceBatch) -> None:
        """Drawdown and daily-loss breakers on a price batch (cheap; called by the manager)."""
        trips = self.breakers.on_prices(float(batch.equity), batch.timestamp, self.limits)
        if trips:
            await self._handle_trips(trips)

    def _on_cash_moved(self, movement: CashMovement) -> None:
        equity = float(self._manager.position_tracker.equity())
        self.breakers.nav.flow(float(movement.amount), equity)
        self._spawn(self._save_state(), "persist breaker state")

    def _on_position_closed(self, position: Position) -> None:
        when = position.closed_at or self.now()
        trips = self.breakers.on_position_closed(float(position.realized_pnl), when, self.limits)
        if trips:
            self._spawn(self._handle_trips(trips), "consecutive-loss breaker")

    async def _handle_trips(self, trips: Sequence[BreakerTrip]) -> None:
        for trip in trips:
            log.warning("circuit breaker %s tripped: %s", trip.breaker.value, trip.message)
            await self._apply(trip)
            await self._publish(RiskViolation.tripped(trip, self.quick_metrics()), "breaker_event")
        await self._save_state()

    async def _apply(self, trip: BreakerTrip) -> None:
        reason = f"{trip.breaker.value.replace('_', ' ')} breaker: {trip.message}"
        try:
            if trip.action is BreakerAction.REDUCE:
                await self._manager.halt(PortfolioStatus.REDUCING, reason)
            elif trip.action is BreakerAction.PAUSE:
                await self._manager.halt(PortfolioStatus.PAUSED, reason)
            elif trip.action is BreakerAction.LIQUIDATE:
                await self._manager.liquidate_portfolio()
        except PortfolioError as exc:
            log.error("breaker action %s failed: %s", trip.action.value, exc)

    def rearm(self) -> list[Breaker]:
        """Re-arm tripped breakers (the manager calls this on ``resume_portfolio()``)."""
        rearmed = self.breakers.rearm()
        if rearmed:
            log.info("breakers re-armed: %s", ", ".join(b.value for b in rearmed))
            self._spawn(self._save_state(), "persist breaker state")
        return rearmed

    # --------------------------------------------------------------- metrics
    @property
    def history(self) -> PriceHistory:
        return self.analysis.history

    @property
    def latest(self) -> RiskMetrics | None:
        """The metrics of the last full recomputation (None before the first)."""
        return self.analysis.latest

    async def panel(self, symbols: Sequence[str]) -> tuple[ReturnPanel | None, list[str]]:
        """The aligned return panel of ``symbols`` and the symbols without stored bars."""
        return await self.analysis.panel(symbols)

    def quick_metrics(self) -> RiskMetrics:
        """Ledger metrics now, with the history metrics of the last recomputation."""
        return self.analysis.quick_metrics()

    async def calculate_risk_metrics(self) -> RiskMetrics:
        """Every metric, now: history refreshed from the store, numpy in an executor."""
        return await self.analysis.calculate()

    async def get_risk_report(self) -> dict[str, Any]:
        """The risk report: metrics, limits with utilisation, breakers, recent violations."""
        metrics = await self.calculate_risk_metrics()
        return self.analysis.report(metrics, self.violations(50))

    # --------------------------------------------------------- sizing, stress
    async def calculate_optimal_position_size(
        self, symbol: str, price: Number, **options: Any
    ) -> PositionSizing:
        """Recommended size: fixed-fractional, volatility target, capped half-Kelly, clipped
        to every limit (see :mod:`.sizing`)."""
        from .sizing import size_position

        return await size_position(self, symbol, price, **options)

    async def run_stress_test(
        self, scenario: StressScenario | str | dict[str, float]
    ) -> StressResult:
        """P&L per position and in total, equity after, limits that would break."""
        from .stress import run_stress_test

        return await run_stress_test(self, scenario)

    # ------------------------------------------------------------ internals
    @property
    def manager(self) -> PortfolioManager:
        return self._manager
