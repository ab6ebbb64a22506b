"""PortfolioManager: the engine's one public facade.

Every mutation (open, add, close, deposit, retag, status change, liquidation) runs under one
``asyncio.Lock``: it is validated, checked by every registered pre-trade check (the risk
manager registers one), persisted through the journal, and only then applied in memory and
announced. Reads return immutable snapshots. Events fire after the lock is released, so a
handler may call back into the manager.

Persistence: without an explicit ``journal`` the manager opens a
:class:`desktop_app.store.Store` on ``<data dir>/portfolio.db`` (``data_dir``, else the
default data folder), so the spec's ``PortfolioManager(config=config)`` survives a restart.
At start-up the journal is replayed and compared with the stored positions and cash; a
difference is logged and reported through the ``error`` event with both values, never
silently "fixed".

The GUI and headless scripts use exactly this API; see ``spec/portfolio-system.md``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from desktop_app.execution.paper import PaperBalanceManager, PaperExecutor

from .analytics import PortfolioAnalytics
from .bulk import gc_paused
from .config import PortfolioConfig, PortfolioStrategy, validate_target_allocations
from .errors import ExecutionError, PortfolioError, RiskLimitError, TradingHaltedError
from .events import Callback, Event, EventBus
from .housekeeping import (
    EquityRecorder,
    balance_sync_loop,
    check_store_file,
    start_balance_manager,
    sync_balances,
)
from .journal import Journal, RestoredLedger, durably
from .order_desk import OrderDesk
from .orders import OrderResult, UnbookedFill
from .position_tracker import LedgerEffect, PositionTracker
from .rebalancer import Rebalancer
from .records import CashMovement, Fill, OrderSide, Position, PositionType
from .restore import restore_ledger
from .restore_check import StateMismatch
from .status import LiquidationResult, PortfolioStatus, PriceBatch, TradeResult
from .values import Number, fmt, ledger_math, positive, utc_now

log = logging.getLogger(__name__)

__all__ = [
    "LiquidationResult",
    "OrderResult",
    "PortfolioConfig",
    "PortfolioManager",
    "PortfolioStatus",
    "PortfolioStrategy",
    "PriceBatch",
    "TradeResult",
]

#: A pre-trade check sees the prepared effect under the ledger lock and raises to refuse it.
PreTradeCheck = Callable[[LedgerEffect], Awaitable[None]]

#: From this many journal entries on, the restored ledger is moved out of the cyclic garbage
#: collector's generations after start-up (see ``bulk.gc_paused``).
FREEZE_RESTORED_ENTRIES = 10_000


class PortfolioManager:
    """Positions, cash, status and configuration of one portfolio, behind one lock."""

    def __init__(
        self,
        config: PortfolioConfig | None = None,
        *,
        journal: Journal | None = None,
        balance_manager: Any = None,
        trade_executor: Any = None,
        data_dir: str | os.PathLike[str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config or PortfolioConfig()
        #: Market time (tz-aware UTC): the wall clock, or a replay's clock (``set_clock``).
        self.clock: Callable[[], datetime] = clock or utc_now
        self.position_tracker = PositionTracker(
            self.config.quote_currency,
            fill_history_limit=self.config.fill_history_limit,
            clock=self.now,
        )
        self.events = EventBus()
        self.balance_manager = balance_manager
        #: Orders the app decides go through this executor; without one, paper trading with
        #: the rebalance config's fee rate and slippage (rebuilt when those change).
        self._owns_executor = trade_executor is None
        self.trade_executor: Any = trade_executor or self._paper_executor()
        #: Fills the executor made that the ledger could not book (see ``orders``).
        self.unbooked_fills: list[UnbookedFill] = []
        #: The last comparison of the ledger with the balance manager's holdings.
        self.last_reconciliation: Any = None
        self._orders = OrderDesk(self)
        self.analytics = PortfolioAnalytics(self)
        from desktop_app.store import Store, resolve_data_dir  # the store imports the engine

        if journal is None:
            journal = Store(resolve_data_dir(data_dir))
        #: The SQLite store (None when the manager runs on another journal, e.g. in memory).
        self.store: Store | None = journal if isinstance(journal, Store) else None
        #: The data folder (``portfolio.db``, ``analytics/``); None without one.
        self.data_dir: Path | None = (
            self.store.data_dir
            if self.store is not None
            else (Path(data_dir) if data_dir is not None else None)
        )
        self._journal: Journal = journal
        #: Differences between the stored state and the replayed journal found at start-up.
        self.restore_mismatches: tuple[StateMismatch, ...] = ()
        self._equity = EquityRecorder(self.store, self.position_tracker, self.events, self.now)
        self._pre_trade_checks: list[PreTradeCheck] = []
        self._lock = asyncio.Lock()
        self._init_lock = asyncio.Lock()
        self._status = PortfolioStatus.ACTIVE
        self._status_reason = ""
        self._initialized = False
        self._closed = False
        self._tasks: set[asyncio.Task[Any]] = set()
        from .risk_manager import RiskManager  # it imports this module's types

        self.risk_manager = RiskManager(self)
        self.rebalancer = Rebalancer(self, clock=self.now)

    def _paper_executor(self) -> PaperExecutor:
        """The default executor: paper fills at the rebalance config's costs.

        Linked to a :class:`PaperBalanceManager` when that is the balance manager, so the
        simulated account moves with every fill.
        """
        rebalance = self.config.rebalance_config
        account = (
            self.balance_manager if isinstance(self.balance_manager, PaperBalanceManager) else None
        )
        return PaperExecutor(
            fee_rate=rebalance.fee_rate,
            slippage_bps=rebalance.slippage_bps,
            account=account,
            quote_currency=self.config.quote_currency,
        )

    # ------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> PortfolioManager:
        await self.initialize()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.shutdown()

    @property
    def initialized(self) -> bool:
        return self._initialized

    async def initialize(self) -> None:
        """Restore the journal (or start a new ledger with the initial capital)."""
        async with self._init_lock:
            if self._initialized:
                return
            if self._closed:
                raise PortfolioError("This portfolio manager was shut down; create a new one")
            account_error = await start_balance_manager(self.balance_manager, self.events)
            with gc_paused() as pause:
                restored = await self._journal.load()
                if restored is not None:
                    # a long ledger lives as long as the process: keep the collector off it
                    pause.freeze_after = len(restored.entries) >= FREEZE_RESTORED_ENTRIES
                    await self._restore(restored)
                    await self._mark_from_store()
                    if self._owns_executor:  # the stored costs may differ from the defaults
                        self.trade_executor = self._paper_executor()
            if restored is None:
                capital, note = self.config.initial_capital, "initial capital"
                if self.balance_manager is not None:
                    from desktop_app.execution.reconcile import opening_cash

                    if account_error is not None:
                        raise ExecutionError(
                            f"A new ledger starts from the account's cash, but the balance "
                            f"manager could not start: {account_error}"
                        ) from account_error
                    capital = await opening_cash(self.balance_manager, self.config.quote_currency)
                    note = "opening balance from the balance manager"
                if capital > 0:
                    effect = self.position_tracker.prepare_cash(capital, note=note)
                    await self._commit(effect)
                await self._journal.save_config(self.config.to_dict())
            await self.risk_manager.start()
            self._initialized = True
            self._spawn(self.risk_manager.run(), name="risk-monitor")
            if self.balance_manager is not None and account_error is None:
                await sync_balances(self)
                if self.config.balance_sync_interval_s > 0:
                    interval = self.config.balance_sync_interval_s
                    self._spawn(balance_sync_loop(self, interval), name="balance-sync")
            await self.rebalancer.start()
            if self.config.performance_update_interval_s > 0:
                self._spawn(self._performance_loop(), name="performance-updates")
            if self.store is not None:
                self._spawn(check_store_file(self.store, self.events), name="store-check")
                if self.config.snapshot_interval_s > 0:
                    interval = self.config.snapshot_interval_s
                    self._spawn(self._equity.run(interval), name="equity-snapshots")
            log.info(
                "portfolio ready: equity %s %s, %d open positions, status %s",
                fmt(self.position_tracker.equity(), 2),
                self.config.quote_currency,
                len(self.position_tracker.get_all_open_positions()),
                self._status.value,
            )

    async def _mark_from_store(self) -> None:
        """After a restart, open positions show the last stored close of their symbol (a bar
        that ended after their last fill) until the feed's first price, not their entry."""
        tracker = self.position_tracker
        symbols = tracker.open_symbols()
        if self.store is None or not symbols:
            return
        try:
            closes = await self.store.last_closes(symbols)
        except PortfolioError as exc:  # the prices come with the feed anyway
            log.warning("could not read the last stored prices: %s", exc)
            return
        for symbol, (price, closed_at) in closes.items():
            filled = [p.last_fill_at for p in tracker.get_all_open_positions(symbol)]
            if all(at is None or closed_at > at for at in filled):
                tracker.update_prices({symbol: repr(price)}, closed_at)

    async def _restore(self, restored: RestoredLedger) -> None:
        """Config and status from the journal, positions and cash by replaying it, verified."""
        where = f" in {self.store.path}" if self.store is not None else ""
        outcome = await restore_ledger(
            restored,
            tracker=self.position_tracker,
            journal=self._journal,
            config=self.config,
            where=where,
        )
        self.config = outcome.config
        self._status, self._status_reason = outcome.status, outcome.status_reason
        self.restore_mismatches = outcome.mismatches
        if self.restore_mismatches:
            message = (
                f"The stored positions{where} do not match a replay of the fill journal "
                f"({len(self.restore_mismatches)} difference(s)). The engine runs on the "
                f"replayed journal; the stored values were left as they are for inspection."
            )
            details = "\n".join(f"  {m}" for m in self.restore_mismatches[:50])
            log.error("%s\n%s", message, details)
            self.events.emit(
                Event.ERROR,
                {
                    "source": "ledger-verification",
                    "message": message,
                    "mismatches": self.restore_mismatches,
                },
            )

    async def shutdown(self) -> None:
        """Stop background work, let pending event handlers finish, close the journal."""
        if self._closed:
            return
        self._closed = True
        for task in tuple(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.events.drain()
        await self.risk_manager.close()
        if self._initialized:
            self._equity.record()
        await self._journal.close()
        self._initialized = False

    def _spawn(self, coro: Awaitable[Any], *, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _ready(self) -> None:
        if self._closed:
            raise PortfolioError("This portfolio manager was shut down; create a new one")
        if not self._initialized:
            await self.initialize()

    async def _performance_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.performance_update_interval_s)
            if self.events.has_handlers(Event.PERFORMANCE_UPDATE):
                self.events.emit(Event.PERFORMANCE_UPDATE, await self.get_portfolio_summary())

    # ------------------------------------------------------------------ time
    def now(self) -> datetime:
        """Market time: when fills, snapshots, breakers and reports say things happen.

        The wall clock in live trading; a replay's own clock when rehearsing on history,
        so a year replayed in minutes still has a year-long equity curve.
        """
        return self.clock()

    def set_clock(self, clock: Callable[[], datetime]) -> None:
        """Run on ``clock`` from now on (the app hands over a replay feed's clock)."""
        self.clock = clock

    # ------------------------------------------------------------ extension
    def register_callback(self, name: str | Event, callback: Callback) -> None:
        """Call ``callback(payload)`` on event ``name`` (sync or async; failures are logged)."""
        self.events.register(name, callback)

    def unregister_callback(self, name: str | Event, callback: Callback) -> bool:
        return self.events.unregister(name, callback)

    def add_pre_trade_check(self, check: PreTradeCheck) -> None:
        """Run ``check(effect)`` under the ledger lock before every fill is booked."""
        self._pre_trade_checks.append(check)

    # ------------------------------------------------------------ internals
    async def _commit(self, effect: LedgerEffect) -> Position | None:
        """Persist, then apply. Must be called with the lock held (or during start-up)."""
        position = await durably(
            self._journal.append(effect), lambda: self.position_tracker.commit(effect)
        )
        self._equity.after_commit(effect)
        return position

    async def _check_and_commit(self, effect: LedgerEffect) -> Position:
        for check in self._pre_trade_checks:
            await check(effect)
        position = await self._commit(effect)
        assert position is not None
        return position

    def _announce(self, effect: LedgerEffect) -> None:
        entry = effect.entry
        if isinstance(entry, CashMovement):
            self.events.emit(Event.CASH_MOVED, entry)
            return
        position = effect.position
        if isinstance(entry, Fill):
            self.events.emit(Event.FILL_BOOKED, entry)
        if position is None:
            return
        position = self.position_tracker.get_position(position.position_id)
        if effect.previous is None:
            self.events.emit(Event.POSITION_OPENED, position)
        elif not position.is_open and isinstance(entry, Fill):
            self.events.emit(Event.POSITION_CLOSED, position)
        else:
            self.events.emit(Event.POSITION_UPDATED, position)

    @asynccontextmanager
    async def _refusals_published(self) -> AsyncIterator[None]:
        """Store and announce risk refusals once the lock (entered after this) is released."""
        try:
            yield
        except RiskLimitError:
            await self.risk_manager.publish_refusals()
            raise

    def _require_new_exposure_allowed(self, action: str) -> None:
        if not self._status.allows_new_exposure:
            reason = f" ({self._status_reason})" if self._status_reason else ""
            raise TradingHaltedError(
                f"Cannot {action}: the portfolio is {self._status.value}{reason}. "
                f"Resume it first; closing positions is still possible."
            )

    def _require_not_liquidating(self, action: str) -> None:
        if self._status is PortfolioStatus.LIQUIDATING:
            raise TradingHaltedError(f"Cannot {action}: a liquidation is in progress")

    # --------------------------------------------------------------- trading
    async def create_position(
        self,
        symbol: str,
        position_type: PositionType | str,
        size: Number,
        entry_price: Number,
        strategy: str | None = None,
        tags: Iterable[str] | str | None = None,
        fee: Number = 0,
        *,
        fee_currency: str | None = None,
        timestamp: datetime | None = None,
        client_id: str | None = None,
    ) -> Position:
        """Book a new position filled at exactly ``entry_price``; returns it.

        The risk check runs under the lock on the post-trade portfolio; a refusal raises
        :class:`RiskLimitError` (with ``allowed_size`` when a smaller size would pass).
        """
        await self._ready()
        async with self._refusals_published(), self._lock:
            booked = self.position_tracker.booked(client_id)
            if booked is not None:
                log.info("client id %s already booked as fill %s", client_id, booked.fill_id)
                return self.position_tracker.get_position(booked.position_id)
            self._require_new_exposure_allowed(f"open a {symbol} position")
            effect = self.position_tracker.prepare_open(
                symbol,
                position_type,
                size,
                entry_price,
                fee=fee,
                fee_currency=fee_currency,
                strategy=strategy,
                tags=tags,
                timestamp=timestamp,
                client_id=client_id,
            )
            position = await self._check_and_commit(effect)
        self._announce(effect)
        return position

    async def add_to_position(
        self,
        position_id: str,
        size: Number,
        price: Number,
        fee: Number = 0,
        *,
        fee_currency: str | None = None,
        timestamp: datetime | None = None,
        client_id: str | None = None,
    ) -> Position:
        """Scale into an open position at ``price`` (its average cost moves)."""
        await self._ready()
        async with self._refusals_published(), self._lock:
            booked = self.position_tracker.booked(client_id)
            if booked is not None:
                return self.position_tracker.get_position(booked.position_id)
            self._require_new_exposure_allowed("add to a position")
            effect = self.position_tracker.prepare_add(
                position_id,
                size,
                price,
                fee=fee,
                fee_currency=fee_currency,
                timestamp=timestamp,
                client_id=client_id,
            )
            position = await self._check_and_commit(effect)
        self._announce(effect)
        return position

    async def close_position(
        self,
        position_id: str,
        price: Number,
        size: Number | None = None,
        fee: Number = 0,
        *,
        fee_currency: str | None = None,
        timestamp: datetime | None = None,
        client_id: str | None = None,
    ) -> TradeResult:
        """Close all (or ``size``) of a position at exactly ``price``.

        Closing reduces risk, so it is allowed while paused or reducing-only; only a running
        liquidation refuses it.
        """
        await self._ready()
        async with self._lock:
            booked = self.position_tracker.booked(client_id)
            if booked is not None:
                return TradeResult(self.position_tracker.get_position(booked.position_id), booked)
            self._require_not_liquidating("close a position")
            effect = self.position_tracker.prepare_reduce(
                position_id,
                price,
                size,
                fee=fee,
                fee_currency=fee_currency,
                timestamp=timestamp,
                client_id=client_id,
            )
            position = await self._check_and_commit(effect)
        self._announce(effect)
        assert effect.fill is not None
        return TradeResult(position, effect.fill)

    async def set_position_tags(
        self, position_id: str, tags: Iterable[str] | str | None
    ) -> Position:
        """Replace a position's tags (journaled, so they survive a restart)."""
        await self._ready()
        async with self._lock:
            effect = self.position_tracker.prepare_retag(position_id, tags)
            position = await self._commit(effect)
        assert position is not None
        self.events.emit(Event.POSITION_UPDATED, position)
        return position

    async def deposit(self, amount: Number, note: str = "deposit") -> Decimal:
        """Add cash; deposits are not performance (returns are time-weighted)."""
        return await self._move_cash(positive(amount, "deposit"), note)

    async def withdraw(self, amount: Number, note: str = "withdrawal") -> Decimal:
        """Take cash out; refused when it exceeds the cash balance."""
        return await self._move_cash(-positive(amount, "withdrawal"), note)

    async def _move_cash(self, amount: Decimal, note: str) -> Decimal:
        await self._ready()
        async with self._lock:
            self._require_not_liquidating("move cash")
            effect = self.position_tracker.prepare_cash(amount, note=note)
            await self._commit(effect)
        self._announce(effect)
        return self.position_tracker.cash

    # ---------------------------------------------------------------- prices
    async def update_prices(
        self, prices: Mapping[str, Number], timestamp: datetime | None = None
    ) -> PriceBatch:
        """Mark many symbols at once; P&L and ``price_update`` are computed once per batch."""
        await self._ready()
        accepted = self.position_tracker.update_prices(prices, timestamp)
        summary = self.position_tracker.get_portfolio_summary()
        batch = PriceBatch(
            prices=accepted,
            timestamp=timestamp or self.now(),
            equity=summary["equity"],
            total_unrealized_pnl=summary["total_unrealized_pnl"],
        )
        self.events.emit(Event.PRICE_UPDATE, batch)
        self._equity.record_if_due(self.config.snapshot_interval_s)  # on the market clock
        await self.risk_manager.on_price_batch(batch)  # drawdown and daily-loss breakers
        return batch

    async def update_position_price(self, symbol: str, price: Number) -> list[Position]:
        """Mark one symbol; returns its open positions at the new price."""
        batch = await self.update_prices({symbol: price})
        return self.position_tracker.get_all_open_positions(next(iter(batch.prices)))

    # ---------------------------------------------------------------- status
    @property
    def status(self) -> PortfolioStatus:
        return self._status

    @property
    def status_reason(self) -> str:
        return self._status_reason

    async def _set_status(self, status: PortfolioStatus, reason: str) -> bool:
        """Change and persist the status. Call with the lock held."""
        if status is self._status and reason == self._status_reason:
            return False

        def apply() -> None:
            self._status = status
            self._status_reason = reason

        await durably(self._journal.save_status(status.value, reason), apply)
        log.warning("portfolio status: %s%s", status.value, f" ({reason})" if reason else "")
        return True

    async def pause_portfolio(self, reason: str = "paused by the trader") -> bool:
        """Stop new exposure and automated trading. Returns False if already paused."""
        await self._ready()
        async with self._lock:
            if self._status is PortfolioStatus.PAUSED:
                return False
            self._require_not_liquidating("pause")
            await self._set_status(PortfolioStatus.PAUSED, reason)
        self.events.emit(Event.STATUS_CHANGED, self._status)
        self.events.emit(Event.PORTFOLIO_PAUSED, reason)
        return True

    async def resume_portfolio(self) -> bool:
        """Return to ACTIVE from paused, reducing-only or liquidated."""
        await self._ready()
        async with self._lock:
            if self._status is PortfolioStatus.ACTIVE:
                return False
            self._require_not_liquidating("resume")
            await self._set_status(PortfolioStatus.ACTIVE, "")
            self.risk_manager.rearm()
        self.events.emit(Event.STATUS_CHANGED, self._status)
        self.events.emit(Event.PORTFOLIO_RESUMED, None)
        return True

    async def halt(self, status: PortfolioStatus, reason: str) -> bool:
        """Restrict trading to ``status`` (a circuit breaker's action); persisted like a pause.

        Never loosens: returns False when the current status already restricts as much.
        ``resume_portfolio()`` lifts it.
        """
        await self._ready()
        async with self._lock:
            if status.restriction <= self._status.restriction:
                return False
            await self._set_status(status, reason)
        self.events.emit(Event.STATUS_CHANGED, self._status)
        if status is PortfolioStatus.PAUSED:
            self.events.emit(Event.PORTFOLIO_PAUSED, reason)
        return True

    async def liquidate_portfolio(self) -> LiquidationResult:
        """Close every open position through the trade executor; ends LIQUIDATED.

        Each close is its own order and its own committed booking, at the price the executor
        fills (last price plus slippage for paper) with its fee. A failure on one position
        (refused, partly filled, filled but not booked) is reported in the result and never
        stops the others. The risk checks do not apply: liquidating only reduces exposure.
        """
        await self._ready()
        started = self.now()
        closed: list[TradeResult] = []
        failed: list[tuple[str, str, str]] = []
        effects: list[LedgerEffect] = []
        async with self._lock:
            if self._status is PortfolioStatus.LIQUIDATING:
                raise TradingHaltedError("A liquidation is already in progress")
            await self._set_status(PortfolioStatus.LIQUIDATING, "liquidation requested")
            self.events.emit(Event.STATUS_CHANGED, self._status)
            try:
                closed, failed = await self._orders.close_all_locked(effects)
            finally:
                reason = (
                    "all positions closed"
                    if not failed
                    else f"{len(failed)} position(s) could not be closed"
                )
                await self._set_status(PortfolioStatus.LIQUIDATED, reason)
        for effect in effects:
            self._announce(effect)
        result = LiquidationResult(tuple(closed), tuple(failed), started, self.now())
        self.events.emit(Event.STATUS_CHANGED, self._status)
        self.events.emit(Event.LIQUIDATION_COMPLETED, result)
        return result

    # ---------------------------------------------------------------- orders
    async def place_order(
        self,
        symbol: str,
        side: OrderSide | str,
        size: Number,
        *,
        position_id: str | None = None,
        strategy: str | None = None,
        tags: Iterable[str] | str | None = None,
        reduce_only: bool = False,
        client_order_id: str | None = None,
        reason: str = "",
    ) -> OrderResult:
        """A market order filled by ``trade_executor`` and booked at its fill (price, fee).

        The order reduces the positions it closes (its own strategy's first, then the
        oldest), then adds to its strategy's open position in its direction or opens one
        (see ``orders.plan_legs``). Under the ledger lock: status check, pre-trade (risk)
        checks at the last price, the executor's fill, the booking (see ``order_desk``).
        Raises ``TradingHaltedError`` / ``RiskLimitError`` / ``InvalidOrderError`` (nothing
        sent), ``ExecutionError`` (not filled: nothing traded) or ``UnbookedFillError``
        (filled but not booked: kept in ``unbooked_fills``, automated trading paused). A
        ``client_order_id`` already booked returns that result without sending again.
        """
        await self._ready()
        return await self._orders.place(
            symbol,
            side,
            size,
            position_id=position_id,
            strategy=strategy,
            tags=tags,
            reduce_only=reduce_only,
            client_order_id=client_order_id,
            reason=reason,
        )

    async def record_external_fill(
        self,
        symbol: str,
        side: OrderSide | str,
        size: Number,
        price: Number,
        fee: Number = 0,
        *,
        strategy: str = "external",
        tags: Iterable[str] | str | None = None,
        note: str = "",
    ) -> OrderResult:
        """Book a trade that already happened elsewhere, netted like ``place_order``.

        Nothing is sent and no risk check runs (a limit cannot undo a trade); allowed while
        paused, refused only during a liquidation. Used by reconciliation adjustments.
        """
        await self._ready()
        return await self._orders.record_external(
            symbol, side, size, price, fee, strategy=strategy, tags=tags, note=note
        )

    async def book_unbooked_fills(self) -> list[OrderResult]:
        """Try again to book every fill the ledger missed; returns what got booked.

        A fill that still cannot be booked stays in ``unbooked_fills`` (and is raised).
        """
        await self._ready()
        return await self._orders.book_unbooked()

    # --------------------------------------------------------------- balances
    async def reconcile_balances(self) -> Any:
        """Compare the ledger with the balance manager; reports, never books."""
        from desktop_app.execution.reconcile import reconcile

        await self._ready()
        self.last_reconciliation = await reconcile(self)
        return self.last_reconciliation

    async def book_adjustment(
        self, difference: Any, price: Number | None = None, *, fee: Number = 0
    ) -> Any:
        """Book one reconciliation difference the trader accepted (see ``reconcile``)."""
        from desktop_app.execution.reconcile import book_adjustment

        await self._ready()
        return await book_adjustment(self, difference, price, fee=fee)

    # ---------------------------------------------------------- configuration
    async def set_target_allocations(self, targets: Mapping[str, Number]) -> bool:
        """Replace the target weights (0..1 each, summing to at most 1; the rest is cash)."""
        await self._ready()
        async with self._lock:
            clean = validate_target_allocations(targets, self.config.quote_currency)
            config = self.config.with_changes(target_allocations=clean)
            await durably(
                self._journal.save_config(config.to_dict()), lambda: setattr(self, "config", config)
            )
        self.events.emit(Event.CONFIG_CHANGED, self.config)
        return True

    async def update_config(self, **changes: Any) -> PortfolioConfig:
        """Apply validated configuration changes immediately and persist them."""
        await self._ready()
        async with self._lock:
            config = self.config.with_changes(**changes)
            await durably(
                self._journal.save_config(config.to_dict()), lambda: setattr(self, "config", config)
            )
            if self._owns_executor:
                self.trade_executor = self._paper_executor()
        self.events.emit(Event.CONFIG_CHANGED, self.config)
        return config

    # ----------------------------------------------------------------- reads
    def get_position(self, position_id: str) -> Position:
        return self.position_tracker.get_position(position_id)

    def get_open_positions(self) -> list[Position]:
        return self.position_tracker.get_all_open_positions()

    async def get_portfolio_summary(self) -> dict[str, Any]:
        """The live summary. Money values are Decimals in the quote currency."""
        await self._ready()
        positions = self.position_tracker.get_portfolio_summary()
        equity = positions["equity"]
        net_deposits = positions["net_deposits"]
        with ledger_math():
            profit = equity - net_deposits
            allocations = (
                {sym: row["market_value"] / equity for sym, row in positions["by_symbol"].items()}
                if equity > 0
                else {}
            )
            return {
                "total_value": equity,
                "cash": positions["cash"],
                "status": self._status.value,
                "status_reason": self._status_reason,
                "quote_currency": self.config.quote_currency,
                "initial_capital": self.config.initial_capital,
                "net_deposits": net_deposits,
                "total_pnl": profit,
                "total_return_pct": profit / net_deposits * 100 if net_deposits > 0 else None,
                "allocations": allocations,
                "target_allocations": dict(self.config.target_allocations),
                "positions": {key: value for key, value in positions.items() if key != "cash"},
                "timestamp": self.now(),
            }

    # ------------------------------------------------------------ components
    async def get_risk_report(self) -> dict[str, Any]:
        """The risk manager's report: limits and their use, metrics, breakers, violations."""
        return await self.risk_manager.get_risk_report()

    async def get_performance_report(self) -> Any:
        """The analytics' full performance report (dict-compatible)."""
        return await self.analytics.generate_performance_report()

    async def rebalance_portfolio(self, strategy: Any = None) -> Any:
        """Plan and execute a rebalance (default: the configured strategy); a RebalanceResult."""
        return await self.rebalancer.rebalance(strategy)
