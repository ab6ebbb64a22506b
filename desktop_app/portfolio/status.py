"""The portfolio's trading state and the outcomes of the manager's trading calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum

from .records import Fill, Position
from .values import ZERO, ledger_math, utc_now


class PortfolioStatus(Enum):
    """Trading state of the portfolio."""

    ACTIVE = "active"  # everything allowed
    REDUCING = "reducing"  # only trades that reduce exposure
    PAUSED = "paused"  # no new exposure, no automated trading; closing stays possible
    LIQUIDATING = "liquidating"  # liquidation in progress
    LIQUIDATED = "liquidated"  # flat after a liquidation; resume to trade again

    @property
    def allows_new_exposure(self) -> bool:
        return self is PortfolioStatus.ACTIVE

    @property
    def restriction(self) -> int:
        """How much trading the status restricts (0 ACTIVE ... 3 liquidating/liquidated)."""
        return _RESTRICTION[self]


_RESTRICTION = {
    PortfolioStatus.ACTIVE: 0,
    PortfolioStatus.REDUCING: 1,
    PortfolioStatus.PAUSED: 2,
    PortfolioStatus.LIQUIDATING: 3,
    PortfolioStatus.LIQUIDATED: 3,
}


@dataclass(frozen=True, slots=True)
class TradeResult:
    """The outcome of a close: the fill booked and the position after it. Always truthy."""

    position: Position
    fill: Fill

    @property
    def realized_pnl(self) -> Decimal:
        return self.fill.realized_pnl or ZERO

    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class PriceBatch:
    """One coalesced batch of prices as the engine accepted it."""

    prices: Mapping[str, Decimal]
    timestamp: datetime
    equity: Decimal
    total_unrealized_pnl: Decimal


@dataclass(frozen=True)
class LiquidationResult:
    """What a liquidation closed, at which prices, and what it could not close."""

    closed: tuple[TradeResult, ...] = ()
    failed: tuple[tuple[str, str, str], ...] = ()  # (position id, symbol, reason)
    started_at: datetime = field(default_factory=utc_now)
    finished_at: datetime = field(default_factory=utc_now)

    @property
    def success(self) -> bool:
        return not self.failed

    @property
    def realized_pnl(self) -> Decimal:
        with ledger_math():
            return sum((trade.realized_pnl for trade in self.closed), ZERO)

    def __bool__(self) -> bool:
        return self.success
