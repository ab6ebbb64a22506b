"""The two ports between the engine and a venue: placing orders and reading balances.

A :class:`TradeExecutor` turns an :class:`OrderRequest` into an :class:`ExecutionFill` (or
raises :class:`~desktop_app.portfolio.errors.ExecutionError`). Its contract:

* ``place_order`` returns only once the order has **filled** (all of it, or a part: a fill
  smaller than the request is a partial fill, and the rest is cancelled). The fill's price is
  the average execution price, its fee is in the portfolio's quote currency.
* Raising means **nothing was traded**. An executor that cannot tell (a timeout after the
  order was sent) must find out before it returns or raises; the engine books exactly what
  the executor reports.
* It must not call back into the manager's mutating methods: the manager holds its ledger
  lock while the order is in flight, so the risk check, the trade and its booking are one
  step that no other order can interleave with.

A :class:`BalanceManager` reports what the account really holds per asset; the manager
compares it with the ledger (``desktop_app.execution.reconcile``) and never changes the ledger
from it silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from desktop_app.portfolio.records import OrderSide
from desktop_app.portfolio.values import ledger_math, utc_now

__all__ = [
    "BalanceManager",
    "ExecutionFill",
    "OrderRequest",
    "SupportsLotSize",
    "TradeExecutor",
]


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A market order the engine wants filled.

    ``reference_price`` is the portfolio's last mark of the symbol when the order was decided:
    the price slippage is measured against (a paper executor fills at it plus slippage).
    ``client_order_id`` is unique per order and makes a resubmission idempotent.
    """

    symbol: str
    side: OrderSide
    size: Decimal
    client_order_id: str
    reference_price: Decimal | None = None
    reduce_only: bool = False
    strategy: str = "manual"
    reason: str = ""
    created_at: datetime = field(default_factory=utc_now)

    @property
    def reference_notional(self) -> Decimal | None:
        if self.reference_price is None:
            return None
        with ledger_math():
            return self.size * self.reference_price


@dataclass(frozen=True, slots=True)
class ExecutionFill:
    """What the venue executed for one order: average price, filled size, fee (quote)."""

    order_id: str
    client_order_id: str
    symbol: str
    side: OrderSide
    size: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    timestamp: datetime = field(default_factory=utc_now)

    @property
    def notional(self) -> Decimal:
        with ledger_math():
            return self.size * self.price

    def slippage_cost(self, reference_price: Decimal) -> Decimal:
        """What the fill price cost against ``reference_price``: ``size * |price - ref|``
        when the price moved against the order, negative when it improved."""
        with ledger_math():
            return self.side.sign * (self.price - reference_price) * self.size


@runtime_checkable
class TradeExecutor(Protocol):
    """Places market orders on a venue (paper, or an exchange the trader configured)."""

    async def place_order(self, request: OrderRequest) -> ExecutionFill:
        """Fill ``request`` (fully or partly) or raise ``ExecutionError`` (nothing traded)."""


@runtime_checkable
class SupportsLotSize(Protocol):
    """An executor that knows the venue's size increment per symbol."""

    def lot_size(self, symbol: str) -> Decimal | None:
        """The smallest size step of ``symbol`` (e.g. ``0.00001`` BTC), or None if unknown."""


@runtime_checkable
class BalanceManager(Protocol):
    """The account's real holdings per asset (``{"USDT": 1200, "BTC": 0.05}``)."""

    async def initialize(self) -> None:
        """Connect / load; called once by ``PortfolioManager.initialize``."""

    async def get_balances(self) -> dict[str, Decimal]:
        """Total balance per asset (free plus locked) as last synced."""

    async def sync(self) -> dict[str, Decimal]:
        """Fetch fresh balances from the source and return them."""
