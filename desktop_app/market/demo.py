"""The DEMO portfolio a brand-new data dir starts with, on simulated prices.

:func:`seed_demo_portfolio` books a small, plausible book — core longs in BTC and ETH,
satellites, a meme-coin sleeve and one short hedge — at the simulated market's current
prices with a 0.1 % taker fee, sets target allocations, and marks the configuration
``demo=True`` so the app labels everything DEMO. It only ever touches a brand-new ledger
(no fills yet); called on a portfolio with history it does nothing and returns False.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from desktop_app.portfolio.records import PositionType
from desktop_app.portfolio.values import Number, ledger_math, to_decimal

from .errors import MarketDataError
from .params import SimulationParams

log = logging.getLogger(__name__)

__all__ = ["DEMO_BOOK", "DEMO_CAPITAL", "DEMO_TARGETS", "is_new_ledger", "seed_demo_portfolio"]

#: Cash a demo starts with when the configuration gives none.
DEMO_CAPITAL = Decimal(10_000)
DEMO_FEE_RATE = Decimal("0.001")
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
    DemoPosition("BTC/USDT", PositionType.LONG, Decimal("0.25"), "core", ("demo", "core")),
    DemoPosition("ETH/USDT", PositionType.LONG, Decimal("0.15"), "core", ("demo", "core")),
    DemoPosition("SOL/USDT", PositionType.LONG, Decimal("0.08"), "momentum", ("demo", "alt")),
    DemoPosition("BNB/USDT", PositionType.LONG, Decimal("0.05"), "core", ("demo", "exchange")),
    DemoPosition("DOGE/USDT", PositionType.LONG, Decimal("0.03"), "meme", ("demo", "meme")),
    DemoPosition("SHIB/USDT", PositionType.LONG, Decimal("0.02"), "meme", ("demo", "meme")),
    DemoPosition("XRP/USDT", PositionType.SHORT, Decimal("0.04"), "hedge", ("demo", "hedge")),
)

#: Targets for the longs (70 %; the rest stays cash). The hedge has no target.
DEMO_TARGETS: dict[str, float] = {
    "BTC/USDT": 0.30,
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
