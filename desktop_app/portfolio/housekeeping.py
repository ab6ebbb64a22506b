"""The manager's background work: the equity curve, the file check, the account sync.

None of this decides anything about trading; each job reports trouble through the ``error``
event and keeps running, because a full disk or an unreachable exchange must never stop the
ledger.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import PortfolioError
from .events import Event, EventBus
from .position_tracker import LedgerEffect, PositionTracker
from .records import CashMovement, TagChange
from .values import ZERO, ledger_math, utc_now

if TYPE_CHECKING:
    from desktop_app.store import Store

log = logging.getLogger(__name__)


class EquityRecorder:
    """Points of the equity curve: after every fill or cash movement, and on the market clock.

    The timed points follow market time (the engine's clock): a price batch records a point
    once ``interval`` has passed since the last one, so a replay played at a day a second
    still gets a point per interval of its own time. A wall-clock timer flushes the points
    and records one when no prices arrive (a live market's clock is the wall clock).

    Each point carries the net deposits/withdrawals since the previous one (``net_flow``),
    which time-weighted returns take out. Recording only queues the point in the store; the
    store writes it with its next transaction (``Store.flush``), so a trade costs one fsync.
    """

    def __init__(
        self,
        store: Store | None,
        tracker: PositionTracker,
        events: EventBus,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._clock = clock
        self._tracker = tracker
        self._events = events
        self._flow_since_snapshot = ZERO
        self._last_at: datetime | None = None

    def after_commit(self, effect: LedgerEffect) -> None:
        """Account for a booked entry: cash movements are flows; tag changes are no point."""
        if isinstance(effect.entry, CashMovement):
            with ledger_math():
                self._flow_since_snapshot += effect.entry.amount
        if not isinstance(effect.entry, TagChange):
            self.record()

    def record(self) -> None:
        """Queue an equity snapshot in the store (no I/O here)."""
        if self._store is None:
            return
        summary = self._tracker.get_portfolio_summary()
        flow, self._flow_since_snapshot = self._flow_since_snapshot, ZERO
        self._last_at = at = self._clock()
        self._store.record_equity_snapshot(
            at,
            equity=summary["equity"],
            cash=summary["cash"],
            market_value=summary["total_market_value"],
            gross_exposure=summary["gross_exposure"],
            net_flow=flow,
        )

    def record_if_due(self, interval_s: float) -> bool:
        """Record a point if ``interval_s`` of market time passed since the last one."""
        if self._store is None or interval_s <= 0:
            return False
        last = self._last_at
        if last is not None and (self._clock() - last).total_seconds() < interval_s:
            return False
        self.record()
        return True

    async def run(self, interval_s: float) -> None:
        """Every ``interval_s`` of wall time: a point if one is due, and write the points."""
        assert self._store is not None
        while True:
            await asyncio.sleep(interval_s)
            self.record_if_due(interval_s)
            try:
                await self._store.flush()
            except PortfolioError as exc:  # a full disk must not end the loop
                log.error("could not save the equity curve: %s", exc)
                self._events.emit(Event.ERROR, {"source": "store", "message": str(exc)})


async def check_store_file(store: Store, events: EventBus) -> None:
    """SQLite's quick_check of the whole file, in the background after start-up.

    The restore reads the ledger's tables only; this looks at every page (price history too)
    and reports damage through the ``error`` event while there is still time to restore
    from a backup.
    """
    try:
        problems = await store.check_integrity()
    except PortfolioError as exc:
        problems = [str(exc)]
    if problems:
        message = (
            f"The database {store.path} is damaged ({' '.join(problems[0].split())}). "
            f"Back up your data folder now and restore the file from a backup."
        )
        log.error("%s", message)
        events.emit(
            Event.ERROR, {"source": "store-integrity", "message": message, "problems": problems}
        )


def _account_trouble(events: EventBus, what: str, exc: Exception) -> None:
    log.exception("%s", what)
    events.emit(Event.ERROR, {"source": "balance_manager", "message": str(exc), "exception": exc})


async def start_balance_manager(balance_manager: Any, events: EventBus) -> Exception | None:
    """Start the balance manager; an unreachable account is reported, not fatal."""
    if balance_manager is None:
        return None
    try:
        await balance_manager.initialize()
    except Exception as exc:
        _account_trouble(events, "the balance manager could not start", exc)
        return exc
    return None


async def sync_balances(manager: Any) -> None:
    """Compare with the balance manager; report new differences, book nothing."""
    from desktop_app.execution.reconcile import sync_and_report

    try:
        await sync_and_report(manager)
    except Exception as exc:  # an unreachable account must not stop the app
        _account_trouble(manager.events, "could not compare the ledger with the account", exc)


async def balance_sync_loop(manager: Any, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        await sync_balances(manager)
