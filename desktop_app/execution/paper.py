"""Paper trading: an executor that fills at the market with fees and slippage, and an account.

:class:`PaperExecutor` fills every market order in full at::

    price = mark * (1 + side * slippage_bps / 10_000)      (side = +1 buy, -1 sell)
    fee   = size * price * fee_rate                          (in the quote currency)

where ``mark`` is its ``price_source(symbol)`` when it has one, else the request's
``reference_price`` (the portfolio's last mark). The arithmetic is exact Decimal, so a
rebalance plan's cost estimate equals the paper fills' cost to the last digit.

:class:`PaperBalanceManager` is a simulated spot account. Linked to a paper executor
(``PaperExecutor(account=...)``) it refuses orders the balances cannot pay for, exactly like
an exchange, and moves the balances on every fill; ``record_external_trade`` simulates a
trade made outside the app, which reconciliation must then find.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal

from desktop_app.portfolio.errors import ExecutionError, InvalidOrderError
from desktop_app.portfolio.records import OrderSide
from desktop_app.portfolio.values import (
    ZERO,
    Number,
    fmt,
    ledger_math,
    non_negative,
    parse_symbol,
    positive,
    to_decimal,
    utc_now,
)

from .protocols import ExecutionFill, OrderRequest

__all__ = ["DEFAULT_FEE_RATE", "DEFAULT_SLIPPAGE_BPS", "PaperBalanceManager", "PaperExecutor"]

#: A typical spot taker fee (0.1 %) and a realistic market-order slippage (5 bps).
DEFAULT_FEE_RATE = Decimal("0.001")
DEFAULT_SLIPPAGE_BPS = Decimal(5)
BPS = Decimal(10_000)

PriceSource = Callable[[str], Decimal | None]


class PaperBalanceManager:
    """A simulated account: total balance per asset, changed only by fills and by you."""

    def __init__(self, balances: Mapping[str, Number] | None = None, *, name: str = "paper"):
        self.name = name
        self._balances: dict[str, Decimal] = {}
        for asset, amount in (balances or {}).items():
            self._balances[self._asset(asset)] = non_negative(amount, f"{asset} balance")
        self.initialized = False
        self.sync_count = 0

    @staticmethod
    def _asset(asset: str) -> str:
        code = str(asset).strip().upper()
        if not code.isalnum():
            raise InvalidOrderError(f"an asset is a code like BTC or USDT, got {asset!r}")
        return code

    async def initialize(self) -> None:
        self.initialized = True

    async def get_balances(self) -> dict[str, Decimal]:
        return {asset: amount for asset, amount in self._balances.items() if amount != 0}

    async def sync(self) -> dict[str, Decimal]:
        """A paper account is its own source of truth: syncing just reads it."""
        self.sync_count += 1
        return await self.get_balances()

    def balance(self, asset: str) -> Decimal:
        return self._balances.get(self._asset(asset), ZERO)

    def deposit(self, asset: str, amount: Number) -> Decimal:
        """Credit ``amount`` of ``asset`` (a transfer into the account)."""
        code = self._asset(asset)
        with ledger_math():
            self._balances[code] = self.balance(code) + positive(amount, "deposit")
        return self._balances[code]

    def withdraw(self, asset: str, amount: Number) -> Decimal:
        code = self._asset(asset)
        value = positive(amount, "withdrawal")
        if value > self.balance(code):
            raise InvalidOrderError(
                f"Cannot withdraw {fmt(value)} {code}: the account holds {fmt(self.balance(code))}"
            )
        with ledger_math():
            self._balances[code] = self.balance(code) - value
        return self._balances[code]

    def can_fill(self, symbol: str, side: OrderSide, size: Decimal, price: Decimal, fee: Decimal):
        """Raise :class:`ExecutionError` when a spot account could not settle this fill."""
        pair = parse_symbol(symbol)
        with ledger_math():
            if side is OrderSide.BUY:
                needed = size * price + fee
                if needed > self.balance(pair.quote):
                    raise ExecutionError(
                        f"Insufficient {pair.quote}: buying {fmt(size)} {pair.base} needs "
                        f"{fmt(needed, 2)}, the account holds {fmt(self.balance(pair.quote), 2)}"
                    )
            elif size > self.balance(pair.base):
                raise ExecutionError(
                    f"Insufficient {pair.base}: selling {fmt(size)} but the account holds "
                    f"{fmt(self.balance(pair.base))}"
                )

    def settle(self, symbol: str, side: OrderSide, size: Decimal, price: Decimal, fee: Decimal):
        """Move the balances for one fill (fee paid in the quote currency)."""
        pair = parse_symbol(symbol)
        with ledger_math():
            base = self.balance(pair.base) + side.sign * size
            quote = self.balance(pair.quote) - side.sign * size * price - fee
        self._balances[pair.base] = base
        self._balances[pair.quote] = quote

    def record_external_trade(
        self, symbol: str, side: OrderSide | str, size: Number, price: Number, fee: Number = 0
    ) -> None:
        """Simulate a trade made outside the app (on the exchange's website, say)."""
        order_side = side if isinstance(side, OrderSide) else OrderSide(str(side).lower())
        amount, fill_price = positive(size, "size"), positive(price, "price")
        fee_value = non_negative(fee, "fee")
        self.can_fill(symbol, order_side, amount, fill_price, fee_value)
        self.settle(symbol, order_side, amount, fill_price, fee_value)


class PaperExecutor:
    """Fills market orders in full at the mark plus slippage, charging ``fee_rate``."""

    def __init__(
        self,
        *,
        fee_rate: Number = DEFAULT_FEE_RATE,
        slippage_bps: Number = DEFAULT_SLIPPAGE_BPS,
        price_source: PriceSource | None = None,
        account: PaperBalanceManager | None = None,
        lot_sizes: Mapping[str, Number] | None = None,
        quote_currency: str = "USDT",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.fee_rate = non_negative(fee_rate, "fee rate")
        if self.fee_rate >= 1:
            raise InvalidOrderError(f"fee rate is a fraction (0.001 = 0.1 %), got {fee_rate}")
        self.slippage_bps = non_negative(slippage_bps, "slippage (bps)")
        if self.slippage_bps >= BPS:
            raise InvalidOrderError(f"slippage must be below 10,000 bps, got {slippage_bps}")
        self.price_source = price_source
        self.account = account
        self.quote_currency = quote_currency.upper()
        self._lots = {
            str(parse_symbol(symbol)): positive(step, f"lot size of {symbol}")
            for symbol, step in (lot_sizes or {}).items()
        }
        self._clock = clock
        self._ids = itertools.count(1)
        #: The most recent fills, oldest first (bounded: a paper log, not the ledger).
        self.fills: deque[ExecutionFill] = deque(maxlen=10_000)

    def __repr__(self) -> str:
        return f"PaperExecutor(fee_rate={self.fee_rate}, slippage_bps={self.slippage_bps})"

    def lot_size(self, symbol: str) -> Decimal | None:
        return self._lots.get(symbol)

    def fill_price(self, side: OrderSide, mark: Decimal) -> Decimal:
        """``mark * (1 ± slippage_bps / 10_000)``: a buy pays up, a sell gets less."""
        with ledger_math():
            return mark * (1 + side.sign * self.slippage_bps / BPS)

    def _mark(self, request: OrderRequest) -> Decimal:
        mark = self.price_source(request.symbol) if self.price_source is not None else None
        if mark is None:
            mark = request.reference_price
        if mark is None or mark <= 0:
            raise ExecutionError(
                f"No market price for {request.symbol}: the paper executor fills at the last "
                f"price, and none has been received yet"
            )
        return mark

    async def place_order(self, request: OrderRequest) -> ExecutionFill:
        size = to_decimal(request.size, "order size")
        if size <= 0:
            raise ExecutionError(f"Order size must be positive, got {fmt(size)}")
        step = self._lots.get(request.symbol)
        if step is not None and size % step != 0:
            raise ExecutionError(
                f"{fmt(size)} {request.symbol} is not a multiple of its lot size {fmt(step)}"
            )
        price = self.fill_price(request.side, self._mark(request))
        with ledger_math():
            fee = size * price * self.fee_rate
        if self.account is not None:
            self.account.can_fill(request.symbol, request.side, size, price, fee)
            self.account.settle(request.symbol, request.side, size, price, fee)
        fill = ExecutionFill(
            order_id=f"paper-{next(self._ids)}",
            client_order_id=request.client_order_id,
            symbol=request.symbol,
            side=request.side,
            size=size,
            price=price,
            fee=fee,
            fee_currency=self.quote_currency,
            timestamp=self._clock(),
        )
        self.fills.append(fill)
        return fill
