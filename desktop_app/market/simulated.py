"""The simulated market: correlated geometric Brownian motion, the app's offline default.

Each *step* moves every symbol at once by the exact GBM transition over ``dt`` (see
:mod:`desktop_app.market.params`) and publishes one tick per symbol, so ``tick_rate_hz``
ticks a second means ``tick_rate_hz / len(symbols)`` steps a second. ``speed`` scales market
time against the clock (``speed=60``: a minute of market moves every second) without
changing the timestamps, which stay on the feed's clock.

Two ways to drive it, both reproducible from ``seed``:

* :meth:`SimulatedFeed.start` runs it in real time: every ``batch_interval_s`` it publishes
  the steps that fell due on ``clock`` (monotonic seconds) as one batch. After a stall
  (a suspended laptop) it jumps the whole missed interval in a single exact GBM step
  rather than replaying a burst of ticks.
* :meth:`SimulatedFeed.step` / :meth:`SimulatedFeed.advance` publish simulated time
  deterministically with no sleeping: tests and benchmarks use these, with
  ``realtime=False`` so that :meth:`SimulatedFeed.start` leaves the stepping to them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import numpy as np

from desktop_app.lazy import pd
from desktop_app.portfolio.values import as_utc, utc_now

from .errors import MarketDataError
from .feed import FeedBase, FeedStatus, Tick
from .params import SimulationParams

log = logging.getLogger(__name__)

__all__ = ["SimulatedFeed"]

SECONDS_PER_YEAR = 365 * 24 * 3600
#: After a stall longer than this (seconds), jump instead of catching up tick by tick.
MAX_CATCH_UP_S = 5.0


def bar_grid(now: datetime, days: float, interval_s: int) -> tuple[int, int]:
    """The ``interval_s`` grid of ``days`` ending at the last grid time not after ``now``:
    (that end in epoch seconds, the number of whole bars before it)."""
    end_s = int(now.timestamp()) // interval_s * interval_s
    return end_s, int(days * 86_400 // interval_s)


class SimulatedFeed(FeedBase):
    """Correlated GBM prices for the simulated basket (or a subset of it).

    ``symbols`` picks some of the basket; a symbol it lacks is refused, unless
    ``derive_missing=True``, which simulates it with parameters derived from the basket
    (:meth:`SimulationParams.with_symbols`: e.g. 200 coins for a benchmark).
    """

    name = "simulated"

    def __init__(
        self,
        params: SimulationParams | None = None,
        *,
        symbols: Sequence[str] | None = None,
        seed: int | None = None,
        tick_rate_hz: float = 40.0,
        batch_interval_s: float = 0.1,
        speed: float = 1.0,
        start_time: datetime | None = None,
        clock: Callable[[], float] = time.monotonic,
        realtime: bool = True,
        derive_missing: bool = False,
    ) -> None:
        params = params or SimulationParams.load()
        if symbols is not None:
            params = params.with_symbols(symbols) if derive_missing else params.subset(symbols)
        for name, value in (
            ("tick_rate_hz", tick_rate_hz),
            ("batch_interval_s", batch_interval_s),
            ("speed", speed),
        ):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise MarketDataError(f"{name} must be a positive number, got {value!r}")
        super().__init__(params.symbols)
        self.params = params
        self.seed = seed
        self.tick_rate_hz = float(tick_rate_hz)
        self.batch_interval_s = float(batch_interval_s)
        self.speed = float(speed)
        self.realtime = realtime
        self._clock = clock
        self._rng = np.random.default_rng(seed)
        self._order = params.symbols  # tick order within a step
        self._log_prices = np.log(np.asarray(params.start_prices))
        self._last_prices = list(params.start_prices)  # exact, not exp(log(p))
        self._mu = np.asarray(params.drift_annual)
        self._sigma = np.asarray(params.volatility_annual)
        self._chol_t = params.cholesky().T
        self._start_time = as_utc(start_time) if start_time is not None else utc_now()
        self._elapsed_s = 0.0  # feed-clock seconds since start_time
        self._step_debt = 0.0  # fractional steps owed by advance()
        self.steps_taken = 0
        self._task: asyncio.Task[None] | None = None

    # ----------------------------------------------------------------- reads
    @property
    def step_interval_s(self) -> float:
        """Clock seconds between steps: every symbol ticks once per step."""
        return len(self._order) / self.tick_rate_hz

    def now(self) -> datetime:
        """The simulation clock: the time of the last published step."""
        return self._start_time + timedelta(seconds=self._elapsed_s)

    def prices(self) -> dict[str, float]:
        """The current simulated price of every symbol."""
        return dict(zip(self._order, self._last_prices, strict=True))

    def resume_from(self, prices: Mapping[str, float]) -> list[str]:
        """Continue from ``prices`` (e.g. the last stored closes of an earlier session) instead
        of the parameters' start prices; symbols not simulated or not priced are kept.
        Returns the symbols moved. Call before the feed starts."""
        moved = []
        for k, symbol in enumerate(self._order):
            price = prices.get(symbol)
            if price is None:
                continue
            if not (isinstance(price, (int, float)) and math.isfinite(price) and price > 0):
                raise MarketDataError(f"cannot resume {symbol} from the price {price!r}")
            self._last_prices[k] = float(price)
            self._log_prices[k] = math.log(price)
            moved.append(symbol)
        return moved

    def history(
        self, days: float, interval_s: int = 3600, *, seed: int | None = None, substeps: int = 12
    ) -> dict[str, pd.DataFrame]:
        """``days`` of simulated past OHLCV bars per symbol that end at the current prices.

        The same model as the live stream (drift, volatility, correlations), drawn from its
        own random stream (``seed``) so the live ticks stay as seeded. Bars open on the
        ``interval_s`` grid; the last one closes at the last grid time not after :meth:`now`,
        at the current price. Each bar is built from ``substeps`` GBM steps: open, high, low
        and close are the path's; volume is 0 (a simulation has no volume).
        """
        if not (isinstance(interval_s, int) and interval_s > 0 and days > 0 and substeps > 0):
            raise MarketDataError("history needs a positive number of days, interval and steps")
        end_s, n_bars = bar_grid(self.now(), days, interval_s)
        if n_bars < 1:
            raise MarketDataError(f"{days} days hold no bar of {interval_s} s")
        rng = np.random.default_rng(seed)
        increments = self._log_increments(
            rng, n_bars * substeps, interval_s / substeps / SECONDS_PER_YEAR
        )
        path = np.vstack([np.zeros(len(self._order)), np.cumsum(increments, axis=0)])
        path += np.log(np.asarray(self._last_prices)) - path[-1]  # ends at today's prices
        prices = np.exp(path)
        prices[-1] = self._last_prices  # exactly, not exp(log(p))
        windows = np.lib.stride_tricks.sliding_window_view(prices, substeps + 1, axis=0)[
            ::substeps
        ]  # (bars, symbols, substeps + 1)
        opens_s = end_s - interval_s * np.arange(n_bars, 0, -1, dtype=np.int64)
        index = pd.DatetimeIndex(pd.to_datetime(opens_s, unit="s", utc=True), name="timestamp")
        frames: dict[str, pd.DataFrame] = {}
        for k, symbol in enumerate(self._order):
            window = windows[:, k, :]
            frames[symbol] = pd.DataFrame(
                {
                    "open": window[:, 0],
                    "high": window.max(axis=1),
                    "low": window.min(axis=1),
                    "close": window[:, -1],
                    "volume": np.zeros(n_bars),
                },
                index=index,
            )
        return frames

    # --------------------------------------------------------------- stepping
    def _log_increments(self, rng: np.random.Generator, steps: int, dt_years: float) -> np.ndarray:
        """``steps`` exact GBM log-price moves of every symbol over ``dt_years`` each."""
        shocks = rng.standard_normal((steps, len(self._order))) @ self._chol_t
        drift = (self._mu - self._sigma**2 / 2) * dt_years
        return drift + self._sigma * math.sqrt(dt_years) * shocks

    def _paths(self, steps: int, dt_s: float) -> np.ndarray:
        """``steps`` successive GBM log-price vectors, each ``dt_s`` clock seconds apart."""
        increments = self._log_increments(self._rng, steps, dt_s * self.speed / SECONDS_PER_YEAR)
        paths = self._log_prices + np.cumsum(increments, axis=0)
        self._log_prices = paths[-1].copy()
        return paths

    def _emit(self, paths: np.ndarray, dt_s: float) -> list[Tick]:
        symbols = self._order
        ticks: list[Tick] = []
        append = ticks.append
        base = self._elapsed_s
        start = self._start_time
        rows = np.exp(paths).tolist()
        for k, row in enumerate(rows, start=1):
            when = start + timedelta(seconds=base + k * dt_s)
            for symbol, price in zip(symbols, row, strict=True):
                append(Tick(symbol, price, when))
        self._last_prices = rows[-1]
        self._elapsed_s = base + len(paths) * dt_s
        self.steps_taken += len(paths)
        self._publish(ticks)
        return ticks

    def step(self, steps: int = 1) -> list[Tick]:
        """Publish ``steps`` steps (one tick per symbol each) at the configured rate.

        Published in batches of at most ``batch_interval_s`` of feed time (as in real time),
        with :meth:`now` at each batch's last step when it is published.
        """
        dt_s = self.step_interval_s
        chunk = max(1, round(self.batch_interval_s / dt_s))
        ticks: list[Tick] = []
        while steps > 0:
            n = min(steps, chunk)
            ticks.extend(self._emit(self._paths(n, dt_s), dt_s))
            steps -= n
        return ticks

    def advance(self, seconds: float) -> list[Tick]:
        """Publish the steps that ``seconds`` of clock time hold at ``tick_rate_hz``."""
        owed = self._step_debt + seconds / self.step_interval_s
        steps = int(owed + 1e-9)
        self._step_debt = owed - steps
        return self.step(steps)

    def jump(self, seconds: float) -> list[Tick]:
        """Move the market ``seconds`` forward in one exact GBM step (one tick per symbol)."""
        if seconds <= 0:
            return []
        return self._emit(self._paths(1, seconds), seconds)

    # -------------------------------------------------------------- real time
    async def start(self) -> None:
        """Run in real time: a batch of due steps every ``batch_interval_s``.

        With ``realtime=False`` the feed only reports LIVE; the caller steps it.
        """
        if self._task is not None and not self._task.done():
            return
        if not self.realtime:
            self._set_status(FeedStatus.LIVE, "simulated prices, stepped by the caller")
            return
        self._set_status(FeedStatus.CONNECTING, "starting the simulated market")
        self._start_time = utc_now() - timedelta(seconds=self._elapsed_s)
        self._task = asyncio.get_running_loop().create_task(
            self._run(self._clock()), name="simulated-feed"
        )
        rate = f"{self.tick_rate_hz:g} ticks/s"
        speed = "" if self.speed == 1 else f", {self.speed:g}× market speed"
        self._set_status(FeedStatus.LIVE, f"simulated prices, {rate}{speed}")

    async def _run(self, started: float) -> None:
        done_s = 0.0
        max_lag_s = max(MAX_CATCH_UP_S, 2 * self.batch_interval_s)
        try:
            while True:
                await asyncio.sleep(self.batch_interval_s)
                due_s = self._clock() - started
                lag_s = due_s - done_s
                if lag_s > max_lag_s:
                    log.info("simulated market stalled %.1f s; jumping ahead", lag_s)
                    self.jump(lag_s)
                    self._step_debt = 0.0
                else:
                    self.advance(lag_s)
                done_s = due_s
        except Exception as exc:
            log.exception("simulated feed failed")
            self._set_status(FeedStatus.ERROR, f"simulation failed: {exc}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._set_status(FeedStatus.STOPPED, "stopped")
