"""The DEMO portfolio a brand-new data dir starts with, on simulated prices.

:func:`seed_demo_portfolio` books a small, plausible book — core longs in BTC and ETH,
satellites, a meme-coin sleeve and one short hedge — at the simulated market's current
prices with a 0.1 % taker fee, sets target allocations, and marks the configuration
``demo=True`` so the app labels everything DEMO. It only ever touches a brand-new ledger
(no fills yet); called on a portfolio with history it does nothing and returns False.

:func:`seed_demo_history` does the same three months back and lets the engine live through
them: it stores three months of simulated hourly bars that end at today's simulated prices,
opens the book at the first bar on the engine's clock set to that time, and marks it bar by
bar, so the equity curve, drawdown, risk metrics, correlations and performance of a brand-new
DEMO have a history to show on the first start. Everything is simulated and labelled DEMO.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from desktop_app.portfolio.records import PositionType
from desktop_app.portfolio.values import Number, ledger_math, to_decimal

from .errors import MarketDataError
from .params import SimulationParams
from .simulated import bar_grid

log = logging.getLogger(__name__)

__all__ = [
    "DEMO_BOOK",
    "DEMO_CAPITAL",
    "DEMO_HISTORY_DAYS",
    "DEMO_TARGETS",
    "DemoHistoryClock",
    "history_start",
    "is_new_ledger",
    "seed_demo_history",
    "seed_demo_portfolio",
]

#: Cash a demo starts with when the configuration gives none.
DEMO_CAPITAL = Decimal(10_000)
DEMO_FEE_RATE = Decimal("0.001")
#: How far back a DEMO with history starts, its bars' interval, and its history's seed
#: (fixed: every new DEMO has the same three months, checked to trip no breaker).
DEMO_HISTORY_DAYS = 90
DEMO_HISTORY_INTERVAL_S = 3600
DEMO_HISTORY_SEED = 4
#: Significant digits of a demo position size (0.02663 BTC, 1,078,000 SHIB).
_SIZE_DIGITS = 4


@dataclass(frozen=True)
class DemoPosition:
    symbol: str
    side: PositionType
    weight: Decimal  # share of equity at entry
    strategy: str
    tags: tuple[str, ...]


DEMO_BOOK: tuple[DemoPosition, ...] = (
    DemoPosition("BTC/USDT", PositionType.LONG, Decimal("0.20"), "core", ("demo", "core")),
    DemoPosition("ETH/USDT", PositionType.LONG, Decimal("0.15"), "core", ("demo", "core")),
    DemoPosition("SOL/USDT", PositionType.LONG, Decimal("0.08"), "momentum", ("demo", "alt")),
    DemoPosition("BNB/USDT", PositionType.LONG, Decimal("0.05"), "core", ("demo", "exchange")),
    DemoPosition("DOGE/USDT", PositionType.LONG, Decimal("0.03"), "meme", ("demo", "meme")),
    DemoPosition("SHIB/USDT", PositionType.LONG, Decimal("0.02"), "meme", ("demo", "meme")),
    DemoPosition("XRP/USDT", PositionType.SHORT, Decimal("0.04"), "hedge", ("demo", "hedge")),
)

#: Targets for the longs (65 %; the rest stays cash), within the default 25 % position
#: limit. The hedge has no target.
DEMO_TARGETS: dict[str, float] = {
    "BTC/USDT": 0.25,
    "ETH/USDT": 0.20,
    "SOL/USDT": 0.08,
    "BNB/USDT": 0.06,
    "DOGE/USDT": 0.03,
    "SHIB/USDT": 0.03,
}


def is_new_ledger(manager: Any) -> bool:
    """True when no position was ever booked (cash movements alone do not count)."""
    tracker = manager.position_tracker
    return not tracker.get_all_positions() and not tracker.recent_fills(1)


def _demo_size(notional: Decimal, price: Decimal) -> Decimal:
    """``notional / price`` rounded down to :data:`_SIZE_DIGITS` significant digits."""
    with ledger_math():
        raw = notional / price
        exponent = raw.adjusted() - (_SIZE_DIGITS - 1)
        return raw.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_DOWN)


async def seed_demo_portfolio(manager: Any, prices: Mapping[str, Number] | None = None) -> bool:
    """Open the DEMO book on a brand-new ledger; returns False (and does nothing) otherwise.

    ``prices`` are the simulated feed's current prices (``SimulatedFeed.prices()``); by
    default the shipped simulation start prices. Positions are sized on equity at entry.
    """
    await manager.initialize()
    if not is_new_ledger(manager):
        log.info("not seeding the demo portfolio: the ledger already has positions")
        return False
    if prices is None:
        params = SimulationParams.load()
        prices = dict(zip(params.symbols, params.start_prices, strict=True))
    marks = {symbol: to_decimal(price, f"price of {symbol}") for symbol, price in prices.items()}
    missing = [p.symbol for p in DEMO_BOOK if p.symbol not in marks]
    if missing:
        raise MarketDataError(f"the demo needs prices for {', '.join(missing)}")
    if manager.position_tracker.cash <= 0:
        await manager.deposit(DEMO_CAPITAL, note="demo capital")
    await manager.update_prices({p.symbol: marks[p.symbol] for p in DEMO_BOOK})
    equity = manager.position_tracker.equity()
    for item in DEMO_BOOK:
        price = marks[item.symbol]
        with ledger_math():
            # the weight includes the fee, so BTC's 25 % fits a 25 %-of-equity position limit
            size = _demo_size(equity * item.weight / (1 + DEMO_FEE_RATE), price)
            fee = (size * price * DEMO_FEE_RATE).quantize(Decimal("0.0001"))
        await manager.create_position(
            item.symbol,
            item.side,
            size,
            price,
            strategy=item.strategy,
            tags=item.tags,
            fee=fee,
            client_id=f"demo-open-{item.symbol}",
        )
    await manager.set_target_allocations(DEMO_TARGETS)
    await manager.update_config(demo=True)
    log.info("seeded the DEMO portfolio: %d positions on simulated prices", len(DEMO_BOOK))
    return True


def history_start(now: datetime, days: float = DEMO_HISTORY_DAYS) -> datetime:
    """Where a DEMO history opens: ``days`` before the last hour boundary not after ``now``."""
    end_s, n_bars = bar_grid(now, days, DEMO_HISTORY_INTERVAL_S)
    return datetime.fromtimestamp(end_s - n_bars * DEMO_HISTORY_INTERVAL_S, UTC)


class DemoHistoryClock:
    """The engine's clock on a brand-new DEMO before its history is played: the history's
    start, so the opening deposit is booked where the history begins. Give it to
    ``PortfolioManager(clock=...)``; :func:`seed_demo_history` moves it on."""

    def __init__(self, now: datetime | None = None, days: float = DEMO_HISTORY_DAYS) -> None:
        self.moment = history_start(now or datetime.now(UTC), days)

    def __call__(self) -> datetime:
        return self.moment


async def seed_demo_history(
    manager: Any,
    feed: Any,
    days: float = DEMO_HISTORY_DAYS,
    *,
    seed: int = DEMO_HISTORY_SEED,
) -> bool:
    """The DEMO book opened ``days`` ago on ``feed``'s simulated history and marked to now.

    ``feed`` is a :class:`~desktop_app.market.SimulatedFeed`. On a brand-new ledger this
    stores the hourly history (when the manager has a store), runs the engine on the
    history's clock through every bar — fills, equity snapshots, breakers and the day's P&L
    all in that time — then hands the clock to the feed and marks the book at the feed's
    current prices. The book opens at the first bar not before the ledger's last entry (its
    opening deposit): a manager started on a :class:`DemoHistoryClock` lives the whole
    history, one started on the wall clock opens the book now. Returns False (and does
    nothing) on a ledger that has positions.
    """
    await manager.initialize()
    if not is_new_ledger(manager):
        log.info("not seeding the demo portfolio: the ledger already has positions")
        return False
    history = feed.history(days, DEMO_HISTORY_INTERVAL_S, seed=seed)
    symbols = [item.symbol for item in DEMO_BOOK if item.symbol in history]
    if manager.store is not None:
        for symbol, bars in history.items():
            await manager.store.write_bars(symbol, bars, interval_s=DEMO_HISTORY_INTERVAL_S)
    movements = manager.position_tracker.cash_movements()
    booked_until = movements[-1].timestamp if movements else None
    step = timedelta(seconds=DEMO_HISTORY_INTERVAL_S)
    opens = history[symbols[0]].index
    first = next(
        (k for k, at in enumerate(opens) if booked_until is None or at >= booked_until), None
    )
    clock = DemoHistoryClock()
    clock.moment = opens[first].to_pydatetime() if first is not None else booked_until
    manager.set_clock(clock)
    try:
        if first is None:  # the ledger began after the history: open the book now
            await seed_demo_portfolio(manager, feed.prices())
            return True
        frames = {symbol: history[symbol].iloc[first:] for symbol in symbols}
        await seed_demo_portfolio(
            manager, {symbol: float(frame["open"].iloc[0]) for symbol, frame in frames.items()}
        )
        closes = {symbol: frame["close"].to_numpy() for symbol, frame in frames.items()}
        for k, bar_open in enumerate(opens[first:]):
            clock.moment = bar_open.to_pydatetime() + step
            await manager.update_prices({symbol: closes[symbol][k] for symbol in symbols})
            if k % 240 == 0:
                await asyncio.sleep(0)  # the GUI keeps painting
    finally:
        manager.set_clock(feed.now)
    await manager.update_prices(feed.prices())
    if manager.store is not None:
        await manager.store.flush()
    log.info(
        "seeded the DEMO portfolio on %d days of simulated history (%d hourly bars a symbol)",
        days,
        len(opens) - (first or 0),
    )
    return True
