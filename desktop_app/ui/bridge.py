"""The one bridge from engine events to Qt signals.

The engine knows nothing about Qt: it calls plain callbacks registered with
``PortfolioManager.register_callback``. :class:`EngineBridge` registers one relay per event
and re-emits it as a Qt signal, so widgets connect to signals and never to the engine.

* **Weakly held.** The engine's event bus holds only :class:`_WeakRelay` objects that point
  at the bridge through a weak reference. When the window (and with it the bridge) is gone,
  the next event finds the reference dead and the relay unregisters itself: a closed window
  never leaks and never receives events. :meth:`EngineBridge.detach` unregisters eagerly.
* **Coalesced prices.** A feed may deliver hundreds of ``price_update`` batches a second.
  The bridge merges them (last price per symbol wins, the tick direction is kept) and
  emits ``pricesUpdated`` at most every :data:`PRICE_FLUSH_MS` milliseconds — one repaint
  of the grids per flush, about ten a second.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.portfolio import Event, PortfolioManager

log = logging.getLogger(__name__)

#: Coalescing window of price ticks: at most 10 repaints a second.
PRICE_FLUSH_MS = 100


@dataclass(frozen=True)
class PriceFlush:
    """Everything that changed since the previous flush.

    ``direction`` is +1 / -1 / 0 per symbol: the last price against the one before it (for
    up/down tick colouring). ``batches`` counts the engine batches merged into this flush.
    """

    prices: Mapping[str, Decimal]
    direction: Mapping[str, int]
    timestamp: datetime
    equity: Decimal
    total_unrealized_pnl: Decimal
    batches: int


def merge_flushes(earlier: PriceFlush, later: PriceFlush) -> PriceFlush:
    """One flush worth both: the later price per symbol wins, a tick direction is kept
    unless a later move replaced it, totals and time are the later ones."""
    direction = dict(earlier.direction)
    direction.update(
        {symbol: d for symbol, d in later.direction.items() if d or symbol not in direction}
    )
    return PriceFlush(
        prices={**earlier.prices, **later.prices},
        direction=direction,
        timestamp=later.timestamp,
        equity=later.equity,
        total_unrealized_pnl=later.total_unrealized_pnl,
        batches=earlier.batches + later.batches,
    )


@dataclass
class _PendingPrices:
    prices: dict[str, Decimal] = field(default_factory=dict)
    direction: dict[str, int] = field(default_factory=dict)
    timestamp: datetime | None = None
    equity: Decimal = Decimal(0)
    unrealized: Decimal = Decimal(0)
    batches: int = 0


class _WeakRelay:
    """What the engine's event bus holds: a callable pointing weakly at the bridge."""

    def __init__(self, bridge: EngineBridge, event: Event) -> None:
        self._bridge = weakref.ref(bridge)
        self._event = event
        self._bus = weakref.ref(bridge.manager.events)

    def __call__(self, payload: Any) -> None:
        bridge = self._bridge()
        if bridge is None or not shiboken6.isValid(bridge):
            bus = self._bus()
            if bus is not None:
                bus.unregister(self._event, self)
            return
        bridge.relay(self._event, payload)

    def __repr__(self) -> str:
        return f"<bridge relay for {self._event.value}>"


class EngineBridge(QObject):
    """Engine events in, Qt signals out. Create one per window; ``detach()`` when closing."""

    positionOpened = Signal(object)  # Position
    positionUpdated = Signal(object)  # Position
    positionClosed = Signal(object)  # Position
    fillBooked = Signal(object)  # Fill
    cashMoved = Signal(object)  # CashMovement
    pricesUpdated = Signal(object)  # PriceFlush
    statusChanged = Signal(object)  # PortfolioStatus
    portfolioPaused = Signal(str)  # reason
    portfolioResumed = Signal()
    liquidationCompleted = Signal(object)  # LiquidationResult
    configChanged = Signal(object)  # PortfolioConfig
    riskLimitExceeded = Signal(object)  # risk violation or metrics
    rebalanceCompleted = Signal(object)  # rebalance result
    performanceUpdated = Signal(object)  # summary dict
    engineError = Signal(object)  # {"source", "message", "exception"}

    def __init__(self, manager: PortfolioManager, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.manager = manager
        self._pending = _PendingPrices()
        self._last_prices: dict[str, Decimal] = dict(manager.position_tracker.prices)
        self._last_tick_monotonic: float | None = None
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(PRICE_FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush_prices)
        self._relays: dict[Event, _WeakRelay] = {}
        for event in Event:
            relay = _WeakRelay(self, event)
            manager.register_callback(event, relay)
            self._relays[event] = relay

    # ------------------------------------------------------------------ engine side
    def relay(self, event: Event, payload: Any) -> None:
        """Turn one engine event into its signal (prices are only queued)."""
        if event is Event.PRICE_UPDATE:
            self._queue_prices(payload)
            return
        signal = {
            Event.POSITION_OPENED: self.positionOpened,
            Event.POSITION_UPDATED: self.positionUpdated,
            Event.POSITION_CLOSED: self.positionClosed,
            Event.FILL_BOOKED: self.fillBooked,
            Event.CASH_MOVED: self.cashMoved,
            Event.STATUS_CHANGED: self.statusChanged,
            Event.LIQUIDATION_COMPLETED: self.liquidationCompleted,
            Event.CONFIG_CHANGED: self.configChanged,
            Event.RISK_LIMIT_EXCEEDED: self.riskLimitExceeded,
            Event.REBALANCE_COMPLETED: self.rebalanceCompleted,
            Event.PERFORMANCE_UPDATE: self.performanceUpdated,
            Event.ERROR: self.engineError,
        }.get(event)
        if signal is not None:
            signal.emit(payload)
        elif event is Event.PORTFOLIO_PAUSED:
            self.portfolioPaused.emit(str(payload or ""))
        elif event is Event.PORTFOLIO_RESUMED:
            self.portfolioResumed.emit()

    def _queue_prices(self, batch: Any) -> None:
        pending = self._pending
        for symbol, price in batch.prices.items():
            previous = self._last_prices.get(symbol)
            if previous is not None and price != previous:
                pending.direction[symbol] = 1 if price > previous else -1
            pending.direction.setdefault(symbol, 0)
            pending.prices[symbol] = price
            self._last_prices[symbol] = price
        pending.timestamp = batch.timestamp
        pending.equity = batch.equity
        pending.unrealized = batch.total_unrealized_pnl
        pending.batches += 1
        self._last_tick_monotonic = time.monotonic()
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    # -------------------------------------------------------------------- Qt side
    def flush_prices(self) -> None:
        """Emit the coalesced prices now (the timer calls this; tests may too)."""
        pending = self._pending
        if not pending.batches or pending.timestamp is None:
            return
        self._pending = _PendingPrices()
        self.pricesUpdated.emit(
            PriceFlush(
                prices=pending.prices,
                direction=pending.direction,
                timestamp=pending.timestamp,
                equity=pending.equity,
                total_unrealized_pnl=pending.unrealized,
                batches=pending.batches,
            )
        )

    def last_tick_age_s(self) -> float | None:
        """Seconds since the last price batch arrived, or None before the first."""
        if self._last_tick_monotonic is None:
            return None
        return time.monotonic() - self._last_tick_monotonic

    def last_price(self, symbol: str) -> Decimal | None:
        return self.manager.position_tracker.last_price(symbol)

    def detach(self) -> None:
        """Stop listening to the engine (idempotent)."""
        self._flush_timer.stop()
        for event, relay in self._relays.items():
            self.manager.unregister_callback(event, relay)
        self._relays.clear()
