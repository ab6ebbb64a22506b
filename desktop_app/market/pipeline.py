"""From feed to ledger: validate, aggregate into bars, coalesce, deliver once per batch.

::

    feed ──ticks──▶ ingest (sync): validate → drop & count garbage
                                   → fold into 1-minute bars
                                   → pending[symbol] = price   (last price wins)
    every batch_interval_s ──▶ flush (async): convert to the portfolio currency
                                   → await manager.update_prices(pending, t)   (once)
                                   → completed bars → store.write_bars (background)

Ingesting is synchronous and O(1) per tick, and the pending batch holds at most one price
per symbol, so a fast feed can never build an unbounded queue: however many ticks arrive
between two flushes, the engine recomputes P&L and emits ``price_update`` once. The
backlog that matters — ticks accepted but not yet delivered — is reported by
:meth:`PricePipeline.stats` for the status bar and the benchmarks.

A tick is dropped (counted by :class:`~desktop_app.market.validation.DropReason`, with a
rate-limited warning) when its price is not a finite positive number, its timestamp is
naive, more than ``max_future_s`` ahead of or ``max_age_s`` behind the feed's clock, or
older than the symbol's previous tick, or its symbol is not watched or cannot be valued in
the portfolio's currency. The engine never sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from desktop_app.portfolio.errors import PortfolioError
from desktop_app.portfolio.events import Event
from desktop_app.portfolio.values import normalize_symbol

from .bars import BAR_SECONDS, BarAggregator
from .conversion import PriceConverter
from .errors import MarketDataError
from .feed import FeedStatus, PriceFeed, Tick
from .history import backfill_missing_bars
from .validation import DropReason, DropReport, check_tick, tick_volume

log = logging.getLogger(__name__)

__all__ = ["PipelineStats", "PricePipeline"]

_FROM_MANAGER: Any = object()


@dataclass(frozen=True)
class PipelineStats:
    """A snapshot of the pipeline for the GUI's status bar and the benchmarks."""

    feed_name: str
    feed_status: FeedStatus
    feed_message: str
    ticks_received: int
    ticks_accepted: int
    dropped: Mapping[DropReason, int]
    batches_delivered: int
    pending_ticks: int  # accepted, not yet delivered to the engine
    max_pending_ticks: int  # the largest backlog a flush has found
    last_batch_latency_ms: float | None  # time spent in manager.update_prices
    last_delivery_lag_ms: float | None  # oldest pending tick's wait before delivery
    bars_completed: int
    bars_written: int
    bar_write_errors: int
    last_tick_at: Mapping[str, datetime]
    refused_symbols: Mapping[str, str]

    @property
    def ticks_dropped(self) -> int:
        return sum(self.dropped.values())


class PricePipeline:
    """Drives ``manager.update_prices`` from ``feed`` and stores 1-minute bars."""

    def __init__(
        self,
        manager: Any,
        feed: PriceFeed,
        *,
        batch_interval_s: float = 0.1,
        store: Any = _FROM_MANAGER,
        max_future_s: float = 5.0,
        max_age_s: float = 600.0,
        warn_interval_s: float = 30.0,
        backfill_days: float = 7.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not batch_interval_s > 0:
            raise MarketDataError("batch_interval_s must be a positive number of seconds")
        self.manager = manager
        self.feed = feed
        self.batch_interval_s = batch_interval_s
        if store is _FROM_MANAGER:
            store = getattr(manager, "store", None)
        #: Where bars go; None when there is no store or the feed's bars are not history.
        self.store = store if getattr(feed, "records_history", True) else None
        self.max_future_s = max_future_s
        self.max_age_s = max_age_s
        self.backfill_days = backfill_days
        self._clock = clock
        quote = getattr(getattr(manager, "config", None), "quote_currency", "USDT")
        self.converter = PriceConverter(quote)
        self.bars = BarAggregator()
        self.drops = DropReport(warn_interval_s, clock)
        self._dropped: dict[DropReason, int] = dict.fromkeys(DropReason, 0)
        self._pending: dict[str, float] = {}
        self._pending_count = 0
        self._pending_since: float | None = None  # clock time of the oldest pending tick
        self._pending_latest_s = 0.0
        self._last_tick_s: dict[str, float] = {}
        self._planned_for: frozenset[str] | None = None
        self.ticks_received = 0
        self.ticks_accepted = 0
        self.batches_delivered = 0
        self.max_pending_ticks = 0
        self.last_batch_latency_ms: float | None = None
        self.last_delivery_lag_ms: float | None = None
        self.bars_written = 0
        self.bar_write_errors = 0
        self._unsubscribe: Callable[[], None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._bar_task: asyncio.Task[None] | None = None
        self._running = False

    # ------------------------------------------------------------- lifecycle
    async def __aenter__(self) -> PricePipeline:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self, *, run_loop: bool = True) -> None:
        """Subscribe, start the feed and (``run_loop``) flush every ``batch_interval_s``.

        ``run_loop=False`` leaves flushing to the caller (:meth:`flush`), for tests and
        benchmarks that drive a stepped feed with no sleeping.
        """
        if self._running:
            return
        self._running = True
        self._replan()
        for symbol, reason in self.converter.refused.items():
            log.warning("%s will not mark positions: %s", symbol, reason)
        self._unsubscribe = self.feed.subscribe(self.ingest)
        self.manager.register_callback(Event.POSITION_OPENED, self._on_position_opened)
        await self._watch_open_positions()
        await self.feed.start()
        if run_loop:
            self._spawn(self._run(), "price-pipeline")
        fetch_bars = getattr(self.feed, "fetch_bars", None)
        if self.store is not None and fetch_bars is not None and self.backfill_days > 0:
            self._spawn(
                backfill_missing_bars(
                    self.store, self.feed, sorted(self.feed.symbols), max_days=self.backfill_days
                ),
                "bar-backfill",
            )

    async def stop(self) -> None:
        """Stop the feed, deliver what is pending and store every bar, partial ones too."""
        if not self._running:
            return
        self._running = False
        self.manager.unregister_callback(Event.POSITION_OPENED, self._on_position_opened)
        try:
            await self.feed.stop()
        finally:
            if self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None
            for task in tuple(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            with contextlib.suppress(PortfolioError):
                await self.flush()
            await self.wait_for_bars()
            self.bars.close_all()
            await self._write_bars_now()

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(self.batch_interval_s)
            try:
                await self.flush()
            except PortfolioError as exc:  # the manager shut down under us, for example
                if not failing:  # once per failure streak, not ten times a second
                    log.error("price batches are not delivered: %s", exc)
                failing = True
            else:
                failing = False

    # ------------------------------------------------------------- watching
    def _replan(self) -> None:
        symbols = self.feed.symbols
        if symbols != self._planned_for:
            self.converter.plan(symbols)
            self._planned_for = symbols

    async def watch(self, symbol: str) -> None:
        """Watch ``symbol`` (and its conversion pair when it is quoted in another currency).

        Raises :class:`MarketDataError` when the feed cannot add symbols or the symbol cannot
        be valued in the portfolio's currency.
        """
        name = normalize_symbol(symbol)
        if name in self.feed.symbols:
            return
        add = getattr(self.feed, "watch", None)
        if add is None:
            raise MarketDataError(
                f"The {self.feed.name} feed has no {name} price; it publishes "
                f"{', '.join(sorted(self.feed.symbols))}"
            )
        quote = self.converter.quote_currency
        wanted = [name]
        base, pair_quote = name.split("/")
        if quote not in (pair_quote, base) and f"{base}/{quote}" not in self.feed.symbols:
            wanted.append(f"{pair_quote}/{quote}")
        await add(*wanted)
        self._replan()
        if name in self.converter.refused:
            raise MarketDataError(self.converter.refused[name])

    async def _watch_open_positions(self) -> None:
        if getattr(self.feed, "watch", None) is None:
            return
        for symbol in self.manager.position_tracker.open_symbols():
            try:
                await self.watch(symbol)
            except PortfolioError as exc:
                log.warning("cannot watch %s: %s", symbol, exc)

    async def _on_position_opened(self, position: Any) -> None:
        if getattr(self.feed, "watch", None) is None or position.symbol in self.feed.symbols:
            return
        try:
            await self.watch(position.symbol)
        except PortfolioError as exc:
            log.warning("cannot watch %s: %s", position.symbol, exc)

    # --------------------------------------------------------------- ingest
    def ingest(self, ticks: Sequence[Tick]) -> int:
        """Validate a published batch; returns how many ticks were accepted.

        Synchronous and cheap: called by the feed for every batch it publishes.
        """
        self._replan()
        now_s = self.feed.now().timestamp()
        latest_allowed = now_s + self.max_future_s
        earliest_allowed = now_s - self.max_age_s
        plan_accepts = self.converter.accepts
        watched = self.feed.symbols
        last_tick = self._last_tick_s
        pending = self._pending
        add_bar = self.bars.add
        accepted = 0
        latest = self._pending_latest_s
        for tick in ticks:
            reason = None
            try:
                symbol, price, when = tick[0], tick[1], tick[2]
                volume = tick[3] if len(tick) > 3 else 0.0
            except (TypeError, IndexError, KeyError):
                reason = DropReason.MALFORMED
            else:
                reason, price, epoch_s = check_tick(price, when)
                if reason is None:
                    if type(symbol) is not str or symbol not in watched:
                        reason = DropReason.UNKNOWN_SYMBOL
                    elif not plan_accepts(symbol):
                        reason = DropReason.NO_CONVERSION
                    elif epoch_s > latest_allowed:
                        reason = DropReason.FUTURE_TIMESTAMP
                    elif epoch_s < earliest_allowed:
                        reason = DropReason.STALE_TIMESTAMP
                    elif epoch_s < last_tick.get(symbol, -math.inf):
                        reason = DropReason.OUT_OF_ORDER
            if reason is not None:
                self._dropped[reason] += 1
                self.drops.note(reason, tick)
                continue
            last_tick[symbol] = epoch_s
            pending[symbol] = price
            add_bar(symbol, price, epoch_s, tick_volume(volume))
            latest = max(latest, epoch_s)
            accepted += 1
        self.ticks_received += len(ticks)
        if accepted:
            self.ticks_accepted += accepted
            self._pending_count += accepted
            self._pending_latest_s = latest
            if self._pending_since is None:
                self._pending_since = self._clock()
        if accepted != len(ticks):
            self.drops.maybe_warn(self.feed.name)
        return accepted

    # ---------------------------------------------------------------- flush
    async def flush(self) -> Any:
        """Deliver the pending prices as one batch and hand completed bars to the store.

        Returns the manager's ``PriceBatch`` (None when nothing was pending).
        """
        batch = None
        if self._pending:
            pending, self._pending = self._pending, {}
            count, self._pending_count = self._pending_count, 0
            since, self._pending_since = self._pending_since, None
            self.max_pending_ticks = max(self.max_pending_ticks, count)
            prices = {
                symbol: price
                for symbol, price in self.converter.convert(pending).items()
                if math.isfinite(price) and price > 0
            }
            if prices:
                when = datetime.fromtimestamp(self._pending_latest_s, UTC)
                started = time.perf_counter()
                batch = await self.manager.update_prices(prices, when)
                self.last_batch_latency_ms = (time.perf_counter() - started) * 1e3
                self.batches_delivered += 1
            if since is not None:
                self.last_delivery_lag_ms = (self._clock() - since) * 1e3
        self.drops.maybe_warn(self.feed.name)
        self.bars.close_before(self.feed.now().timestamp())
        if self.bars.pending_count:
            if self.store is None:
                self.bars.drain()  # no history to keep without a store
            elif self._bar_task is None or self._bar_task.done():
                # Disk never delays prices: bars are written while the next batches flow.
                self._bar_task = asyncio.get_running_loop().create_task(
                    self._write_bars_now(), name="bar-writer"
                )
        return batch

    async def _write_bars_now(self) -> None:
        bars = self.bars.drain()
        if not bars or self.store is None:
            return
        for index, (symbol, frame) in enumerate(bars.items()):
            try:
                await self.store.write_bars(symbol, frame, interval_s=BAR_SECONDS)
            except Exception as exc:  # keep them and retry on the next flush
                self.bar_write_errors += 1
                log.warning("could not store %d %s bar(s), will retry: %s", len(frame), symbol, exc)
                self.bars.restore(list(bars.items())[index:])
                return
            self.bars_written += len(frame)

    async def wait_for_bars(self) -> None:
        """Wait until the bar writes started so far have finished (tests, shutdown)."""
        task = self._bar_task
        if task is not None:
            await task

    # ---------------------------------------------------------------- stats
    def stats(self) -> PipelineStats:
        return PipelineStats(
            feed_name=self.feed.name,
            feed_status=self.feed.status,
            feed_message=self.feed.status_message,
            ticks_received=self.ticks_received,
            ticks_accepted=self.ticks_accepted,
            dropped={reason: n for reason, n in self._dropped.items() if n},
            batches_delivered=self.batches_delivered,
            pending_ticks=self._pending_count,
            max_pending_ticks=max(self.max_pending_ticks, self._pending_count),
            last_batch_latency_ms=self.last_batch_latency_ms,
            last_delivery_lag_ms=self.last_delivery_lag_ms,
            bars_completed=self.bars.bars_completed,
            bars_written=self.bars_written,
            bar_write_errors=self.bar_write_errors,
            last_tick_at={s: datetime.fromtimestamp(t, UTC) for s, t in self._last_tick_s.items()},
            refused_symbols=self.converter.refused,
        )
