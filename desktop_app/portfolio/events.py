"""Engine events: named callbacks, sync or async, that can never break the engine.

``register_callback(name, fn)`` accepts a plain function or a coroutine function. Events are
emitted *after* the ledger lock is released, so a handler may call back into the engine (the
spec's example pauses the portfolio from a ``risk_limit_exceeded`` handler). Sync handlers run
inline; async handlers run as tasks the bus keeps a strong reference to until they finish
(:meth:`EventBus.drain` waits for them). A handler that raises is logged, reported through the
``error`` event, and the engine carries on.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from .errors import PortfolioError

log = logging.getLogger(__name__)


class Event(StrEnum):
    """Every event the engine emits. The ``.value`` is the name given to ``register_callback``."""

    POSITION_OPENED = "position_opened"  # Position
    POSITION_UPDATED = "position_updated"  # Position (scaled in or partially closed)
    POSITION_CLOSED = "position_closed"  # Position
    FILL_BOOKED = "fill_booked"  # Fill
    CASH_MOVED = "cash_moved"  # CashMovement
    RISK_LIMIT_EXCEEDED = "risk_limit_exceeded"  # risk violation / metrics
    REBALANCE_COMPLETED = "rebalance_completed"  # rebalance result
    PERFORMANCE_UPDATE = "performance_update"  # portfolio summary dict
    PRICE_UPDATE = "price_update"  # PriceBatch
    PORTFOLIO_PAUSED = "portfolio_paused"  # reason (str)
    PORTFOLIO_RESUMED = "portfolio_resumed"  # None
    STATUS_CHANGED = "status_changed"  # PortfolioStatus
    LIQUIDATION_COMPLETED = "liquidation_completed"  # LiquidationResult
    CONFIG_CHANGED = "config_changed"  # PortfolioConfig
    ERROR = "error"  # EngineErrorReport


EVENT_NAMES: frozenset[str] = frozenset(event.value for event in Event)

Callback = Callable[[Any], Any] | Callable[[Any], Awaitable[Any]]


class EventBus:
    """Named callbacks with isolation: one failing handler never stops the others."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Callback]] = {name: [] for name in EVENT_NAMES}
        self._tasks: set[asyncio.Task[Any]] = set()

    def register(self, name: str | Event, callback: Callback) -> None:
        key = name.value if isinstance(name, Event) else name
        if key not in self._handlers:
            known = ", ".join(sorted(EVENT_NAMES))
            raise PortfolioError(f"Unknown event '{key}'. Known events: {known}")
        if not callable(callback):
            raise PortfolioError(f"The handler for '{key}' is not callable: {callback!r}")
        self._handlers[key].append(callback)

    def unregister(self, name: str | Event, callback: Callback) -> bool:
        key = name.value if isinstance(name, Event) else name
        handlers = self._handlers.get(key, [])
        if callback in handlers:
            handlers.remove(callback)
            return True
        return False

    def has_handlers(self, name: Event) -> bool:
        return bool(self._handlers[name.value])

    def emit(self, name: Event, payload: Any = None) -> None:
        for callback in tuple(self._handlers[name.value]):
            try:
                result = callback(payload)
                if inspect.isawaitable(result):
                    self._track(name, callback, result)
            except Exception as exc:
                self._failed(name, callback, exc)

    def _track(self, name: Event, callback: Callback, awaitable: Awaitable[Any]) -> None:
        async def run() -> None:
            try:
                await awaitable
            except Exception as exc:
                self._failed(name, callback, exc)

        try:
            task = asyncio.get_running_loop().create_task(run())
        except RuntimeError:  # no running loop: nothing can run the coroutine
            close = getattr(awaitable, "close", None)
            if close is not None:
                close()
            log.error("async handler for %s needs a running event loop", name.value)
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _failed(self, name: Event, callback: Callback, exc: Exception) -> None:
        log.error("handler %r for event '%s' failed", callback, name.value, exc_info=exc)
        if name is not Event.ERROR:
            self.emit(
                Event.ERROR,
                {"source": f"callback:{name.value}", "message": str(exc), "exception": exc},
            )

    async def drain(self) -> None:
        """Wait until every async handler started so far has finished."""
        while self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)
