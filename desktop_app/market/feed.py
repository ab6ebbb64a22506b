"""The price-feed contract shared by the simulated, replay and live feeds.

A feed watches a set of ``BASE/QUOTE`` symbols and publishes *batches* of :class:`Tick`
``(symbol, price, timestamp, volume)`` to its subscribers; it never talks to the ledger
itself (the :class:`~desktop_app.market.pipeline.PricePipeline` validates, coalesces and
delivers). Its :class:`FeedStatus` and ``status_message`` are what the GUI's status bar
shows; status listeners hear every change.

Feeds publish what they receive. Garbage (NaN, zero, unknown symbols, timestamps from the
future) is the pipeline's to drop and count, so every feed gets the same protection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, NamedTuple, Protocol, runtime_checkable

from desktop_app.portfolio.values import utc_now

log = logging.getLogger(__name__)

__all__ = [
    "FeedBase",
    "FeedStatus",
    "PriceFeed",
    "StatusListener",
    "Tick",
    "TickSink",
]


class Tick(NamedTuple):
    """One observed price. ``price`` is in the symbol's quote currency; time is tz-aware UTC.

    ``volume`` is the base-asset size traded at this price when the source knows it (a
    replayed bar's share of volume), else 0. A plain tuple so that millions stay cheap.
    """

    symbol: str
    price: Any  # float from the feeds; the pipeline refuses anything that is not a number
    timestamp: datetime
    volume: float = 0.0


class FeedStatus(Enum):
    """Connection state of a feed; ``.value`` is what the GUI shows."""

    CONNECTING = "connecting"
    LIVE = "live"
    STALE = "stale"  # connected, but no fresh price for longer than the feed's limit
    RECONNECTING = "reconnecting"  # errors: retrying with backoff
    STOPPED = "stopped"
    ERROR = "error"  # cannot continue without the trader's help; see status_message

    @property
    def is_running(self) -> bool:
        return self not in (FeedStatus.STOPPED, FeedStatus.ERROR)


#: Receives each published batch. Called synchronously on the event loop; must be quick.
TickSink = Callable[[Sequence[Tick]], None]
#: Receives ``(status, message)`` on every status change.
StatusListener = Callable[[FeedStatus, str], None]


@runtime_checkable
class PriceFeed(Protocol):
    """What the pipeline and the GUI need from any source of prices."""

    name: str
    #: Whether the pipeline should store this feed's bars as price history. False for a
    #: replay: its history exists already, and its synthetic intrabar ticks must never
    #: overwrite real minutes in the store.
    records_history: bool

    @property
    def symbols(self) -> frozenset[str]:
        """The symbols this feed publishes (canonical ``BASE/QUOTE``)."""

    @property
    def status(self) -> FeedStatus: ...

    @property
    def status_message(self) -> str: ...

    def now(self) -> datetime:
        """The feed's current time: wall-clock UTC for live feeds, the replay/simulation
        clock for historical or stepped ones. The pipeline judges tick timestamps by it."""

    def subscribe(self, sink: TickSink) -> Callable[[], None]:
        """Deliver every published batch to ``sink``; returns a function that unsubscribes."""

    def add_status_listener(self, listener: StatusListener) -> None: ...

    async def start(self) -> None:
        """Begin publishing (returns once started; publishing runs in the background)."""

    async def stop(self) -> None:
        """Stop publishing and release every resource; idempotent."""


class FeedBase:
    """Subscribers, status and listeners: the bookkeeping every feed shares."""

    name = "feed"
    records_history = True

    def __init__(self, symbols: Sequence[str] = ()) -> None:
        self._symbols: frozenset[str] = frozenset(symbols)
        self._sinks: list[TickSink] = []
        self._status_listeners: list[StatusListener] = []
        self._status = FeedStatus.STOPPED
        self._status_message = "not started"
        self.ticks_published = 0

    @property
    def symbols(self) -> frozenset[str]:
        return self._symbols

    @property
    def status(self) -> FeedStatus:
        return self._status

    @property
    def status_message(self) -> str:
        return self._status_message

    def now(self) -> datetime:
        return utc_now()

    def subscribe(self, sink: TickSink) -> Callable[[], None]:
        self._sinks.append(sink)

        def unsubscribe() -> None:
            if sink in self._sinks:
                self._sinks.remove(sink)

        return unsubscribe

    def add_status_listener(self, listener: StatusListener) -> None:
        self._status_listeners.append(listener)

    def remove_status_listener(self, listener: StatusListener) -> None:
        if listener in self._status_listeners:
            self._status_listeners.remove(listener)

    def _set_status(self, status: FeedStatus, message: str = "") -> None:
        if status is self._status and message == self._status_message:
            return
        self._status = status
        self._status_message = message
        troubled = (FeedStatus.ERROR, FeedStatus.STALE, FeedStatus.RECONNECTING)
        level = logging.WARNING if status in troubled else logging.INFO
        log.log(level, "%s feed: %s%s", self.name, status.value, f" ({message})" if message else "")
        for listener in tuple(self._status_listeners):
            try:
                listener(status, message)
            except Exception:  # a broken listener must not stop the prices
                log.exception("status listener %r failed", listener)

    def _publish(self, ticks: Sequence[Tick]) -> None:
        if not ticks:
            return
        self.ticks_published += len(ticks)
        for sink in tuple(self._sinks):
            try:
                sink(ticks)
            except Exception:  # one failing consumer must not starve the others
                log.exception("price consumer %r failed", sink)
