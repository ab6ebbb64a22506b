"""Live exchange prices through ``ccxt.async_support`` (optional extra ``live``).

Install and run with ``uv run --extra live portfolio-desk``. This module imports without
ccxt; :meth:`CcxtFeed.start` says how to install it when it is missing.

Every ``poll_interval_s`` the feed fetches the tickers of all watched symbols in **one**
request (``fetch_tickers``) and publishes the fresh ones (a ticker whose exchange timestamp
moved) as one batch. Errors do not stop it:

* a network or exchange error → ``RECONNECTING``, retried after an exponentially growing
  delay with jitter (:func:`backoff_delay`), back to ``LIVE`` on the first good answer;
* answers whose timestamps stop moving for ``stale_after_s`` → ``STALE`` (the exchange or a
  proxy serves a frozen cache: prices shown are not current);
* rejected credentials → ``ERROR`` (retrying cannot help).

:meth:`CcxtFeed.fetch_bars` pages ``fetch_ohlcv`` for the pipeline's backfill of missing
1-minute history on start. :meth:`CcxtFeed.stop` cancels the poller and closes the
exchange's HTTP session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from desktop_app.lazy import pd
from desktop_app.portfolio.values import normalize_symbol

from .bars import bars_frame, empty_bars
from .errors import MarketDataError
from .feed import FeedBase, FeedStatus, Tick

log = logging.getLogger(__name__)

__all__ = ["CcxtFeed", "backoff_delay"]

#: A local clock further than this from the exchange's is worth a warning.
_CLOCK_WARNING_S = 5.0
INSTALL_HINT = "live prices need the 'live' extra: run `uv run --extra live portfolio-desk`"
_OHLCV_PAGE = 1000


def backoff_delay(
    attempt: int, initial_s: float, maximum_s: float, rng: random.Random | None = None
) -> float:
    """Delay before retry ``attempt`` (1, 2, ...): exponential with "equal jitter".

    ``base = min(maximum_s, initial_s * 2 ** (attempt - 1))``; the delay is uniform in
    ``[base / 2, base]``, so retries from many clients spread out but never come sooner
    than half the base.
    """
    base = min(maximum_s, initial_s * 2 ** max(0, attempt - 1))
    return base / 2 + (rng or random).uniform(0, base / 2)


def _import_ccxt() -> Any:
    try:
        import ccxt.async_support as ccxt_async
    except ImportError:
        raise MarketDataError(INSTALL_HINT) from None
    return ccxt_async


def _rebase(url: str, base_url: str) -> str:
    """``https://api.binance.com/api/v3`` on ``http://127.0.0.1:8080`` keeps ``/api/v3``."""
    old, new = urlsplit(url), urlsplit(base_url)
    return urlunsplit((new.scheme, new.netloc, new.path.rstrip("/") + old.path, old.query, ""))


class CcxtFeed(FeedBase):
    """Polled live tickers of one exchange (Binance by default)."""

    def __init__(
        self,
        symbols: Sequence[str] = (),
        *,
        exchange_id: str = "binance",
        poll_interval_s: float = 2.0,
        stale_after_s: float = 30.0,
        backoff_initial_s: float = 1.0,
        backoff_max_s: float = 60.0,
        request_timeout_s: float = 10.0,
        api_base_url: str | None = None,
        exchange_config: Mapping[str, Any] | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__([normalize_symbol(s) for s in symbols])
        self.name = exchange_id
        self.exchange_id = exchange_id
        self.poll_interval_s = poll_interval_s
        self.stale_after_s = stale_after_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.request_timeout_s = request_timeout_s
        self.api_base_url = api_base_url
        self.exchange_config = dict(exchange_config or {})
        self._rng = rng or random.Random()
        self._clock = clock
        self.exchange: Any = None
        self._task: asyncio.Task[None] | None = None
        self._last_exchange_ms: dict[str, int] = {}
        self._last_fresh: float | None = None
        self.failures = 0  # consecutive failed polls
        self.polls = 0
        self.last_backoff_s: float | None = None
        self.rejected_symbols: dict[str, str] = {}
        #: exchange clock minus this computer's clock, measured on connect
        self.clock_offset_s = 0.0

    # ------------------------------------------------------------- exchange
    def _create_exchange(self) -> Any:
        ccxt_async = _import_ccxt()
        factory = getattr(ccxt_async, self.exchange_id, None)
        if factory is None:
            raise MarketDataError(f"ccxt does not know an exchange called '{self.exchange_id}'")
        options = {"defaultType": "spot", "fetchMarkets": {"types": ["spot"]}}
        config = {
            "enableRateLimit": True,
            "timeout": int(self.request_timeout_s * 1000),
            **self.exchange_config,
        }
        config["options"] = {**options, **dict(self.exchange_config.get("options", {}))}
        exchange = factory(config)
        if self.api_base_url:
            api = exchange.urls.get("api")
            if isinstance(api, dict):
                exchange.urls["api"] = {k: _rebase(v, self.api_base_url) for k, v in api.items()}
            else:
                exchange.urls["api"] = _rebase(api, self.api_base_url)
        return exchange

    async def _connect(self) -> None:
        """Learn the exchange's clock and markets; drop symbols it does not list."""
        if self.exchange.has.get("fetchTime"):
            asked = time.time()
            server_ms = await self.exchange.fetch_time()
            answered = time.time()
            self.clock_offset_s = server_ms / 1000 - (asked + answered) / 2
            if abs(self.clock_offset_s) > _CLOCK_WARNING_S:
                log.warning(
                    "this computer's clock is %.0f s %s %s's; prices are timed by the exchange",
                    abs(self.clock_offset_s),
                    "behind" if self.clock_offset_s > 0 else "ahead of",
                    self.exchange_id,
                )
        markets = await self.exchange.load_markets()
        for symbol in sorted(self._symbols):
            if symbol not in markets:
                self._reject(symbol, f"{self.exchange_id} has no {symbol} market")

    def _reject(self, symbol: str, reason: str) -> None:
        log.warning("%s: %s; not watching it", self.exchange_id, reason)
        self.rejected_symbols[symbol] = reason
        self._symbols = self._symbols - {symbol}

    def now(self) -> datetime:
        """The exchange's time (this computer's clock corrected by the measured offset),
        which the exchange's own timestamps are judged against."""
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset_s)

    # -------------------------------------------------------------- watching
    async def watch(self, *symbols: str) -> None:
        """Add symbols; refused with :class:`MarketDataError` if the exchange lists none."""
        names = [normalize_symbol(s) for s in symbols]
        markets = getattr(self.exchange, "markets", None) if self.exchange else None
        if markets:
            unknown = [s for s in names if s not in markets]
            if unknown:
                raise MarketDataError(
                    f"{self.exchange_id} has no {', '.join(unknown)} market; check the symbol"
                )
        self._symbols = self._symbols | set(names)

    async def unwatch(self, *symbols: str) -> None:
        self._symbols = self._symbols - {normalize_symbol(s) for s in symbols}

    # --------------------------------------------------------------- running
    async def start(self) -> None:
        """Create the exchange client and start polling (returns at once)."""
        if self._task is not None and not self._task.done():
            return
        if self.exchange is None:
            try:
                self.exchange = self._create_exchange()
            except MarketDataError as exc:
                self._set_status(FeedStatus.ERROR, str(exc))
                raise
        self._set_status(FeedStatus.CONNECTING, f"connecting to {self.exchange_id}")
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"{self.exchange_id}-feed"
        )

    async def stop(self) -> None:
        """Stop polling and close the exchange session (idempotent)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        exchange, self.exchange = self.exchange, None
        if exchange is not None:
            await exchange.close()
        self._set_status(FeedStatus.STOPPED, "stopped")

    async def _run(self) -> None:
        ccxt_async = _import_ccxt()
        fatal = (
            ccxt_async.AuthenticationError,
            ccxt_async.PermissionDenied,
            ccxt_async.AccountSuspended,
        )
        while True:
            try:
                await self.poll_once()
                delay = self.poll_interval_s
            except asyncio.CancelledError:
                raise
            except fatal as exc:
                self._set_status(FeedStatus.ERROR, f"{self.exchange_id} refused access: {exc}")
                return
            except Exception as exc:  # network, exchange or parsing trouble: retry
                if isinstance(exc, ccxt_async.BaseError):
                    log.debug("%s poll failed", self.exchange_id, exc_info=exc)
                else:  # not the exchange's doing: worth a traceback in the log
                    log.exception("%s poll failed unexpectedly", self.exchange_id)
                self.failures += 1
                delay = self.last_backoff_s = backoff_delay(
                    self.failures, self.backoff_initial_s, self.backoff_max_s, self._rng
                )
                reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
                self._set_status(
                    FeedStatus.RECONNECTING,
                    f"{type(exc).__name__}: {reason} — retry {self.failures} in {delay:.1f} s",
                )
            await asyncio.sleep(delay)

    async def poll_once(self) -> list[Tick]:
        """One poll: load markets if needed, fetch every watched ticker, publish fresh ones."""
        if not self.exchange.markets:
            await self._connect()
        symbols = sorted(self._symbols)
        ticks: list[Tick] = []
        if symbols:
            if self.exchange.has.get("fetchTickers"):
                tickers = await self.exchange.fetch_tickers(symbols)
            else:
                found = await asyncio.gather(*(self.exchange.fetch_ticker(s) for s in symbols))
                tickers = {t["symbol"]: t for t in found}
            ticks = self._fresh_ticks(symbols, tickers)
        self.polls += 1
        self.failures = 0
        now = self._clock()
        if ticks or not symbols or self._last_fresh is None:
            self._last_fresh = now
        if now - self._last_fresh > self.stale_after_s:
            self._set_status(
                FeedStatus.STALE,
                f"no new {self.exchange_id} price for {now - self._last_fresh:.0f} s",
            )
        else:
            watched = f"{len(symbols)} symbol(s)" if symbols else "no symbols yet"
            self._set_status(FeedStatus.LIVE, f"{self.exchange_id} live, {watched}")
        self._publish(ticks)
        return ticks

    def _fresh_ticks(self, symbols: Sequence[str], tickers: Mapping[str, Any]) -> list[Tick]:
        ticks: list[Tick] = []
        for symbol in symbols:
            ticker = tickers.get(symbol)
            if not ticker:
                continue
            price = ticker.get("last")
            if price is None:
                price = ticker.get("close")
            stamp = ticker.get("timestamp")
            if stamp is None:  # the exchange gives no time: take the moment we heard it
                when = self.now()
            else:
                if stamp <= self._last_exchange_ms.get(symbol, -1):
                    continue  # the same ticker again: not fresh
                self._last_exchange_ms[symbol] = stamp
                when = datetime.fromtimestamp(stamp / 1000, UTC)
            ticks.append(Tick(symbol, price, when))
        return ticks

    # --------------------------------------------------------------- history
    async def fetch_bars(self, symbol: str, since: datetime, until: datetime) -> pd.DataFrame:
        """Completed 1-minute bars with open times in ``[since, until)``, paged by 1,000."""
        if self.exchange is None:
            raise MarketDataError("start the live feed before fetching history")
        await self.exchange.load_markets()
        until_ms = int(until.timestamp() * 1000)
        cursor = int(since.timestamp() * 1000)
        rows: list[tuple[int, float, float, float, float, float]] = []
        while cursor < until_ms:
            page = await self.exchange.fetch_ohlcv(symbol, "1m", since=cursor, limit=_OHLCV_PAGE)
            page = [r for r in page if cursor <= r[0] < until_ms]
            if not page:
                break
            rows.extend((int(r[0] // 60_000), r[1], r[2], r[3], r[4], r[5] or 0.0) for r in page)
            cursor = int(page[-1][0]) + 60_000
        if not rows:
            return empty_bars()
        frame = bars_frame(rows)
        return frame[~frame.index.duplicated(keep="last")]

    @property
    def seconds_since_fresh(self) -> float | None:
        return None if self._last_fresh is None else self._clock() - self._last_fresh
