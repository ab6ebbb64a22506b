"""The tickets' order type: book a fill at a given price, or send a market order.

DESIGN.md: ``create_position`` / ``close_position`` book a fill at exactly the price given
(a trade made elsewhere, a manual entry) — the tickets' default, unchanged. The *market
order* mode sends the order through the portfolio's ``trade_executor``
(``PortfolioManager.place_order``) and books the fill the executor returns, with its price
after slippage and its fee. Before sending, the ticket shows what to expect from the
executor's own cost model::

    expected price = last price × (1 ± slippage_bps / 10,000)      (+ buy, − sell)
    expected fee   = size × expected price × fee_rate

An executor that publishes no such model (a live venue) fills at the market: the ticket says
so, and reports the actual fill afterwards either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from PySide6.QtWidgets import QComboBox, QWidget

from desktop_app.portfolio import OrderSide
from desktop_app.portfolio.values import ledger_math
from desktop_app.ui.format import SymbolPrecision, format_money

BPS = Decimal(10_000)


class OrderType(Enum):
    """What the ticket does; ``.value`` is what the trader reads."""

    BOOK = "Book a fill at this price"
    MARKET = "Market order through the executor"


def order_type_combo(parent: QWidget) -> QComboBox:
    combo = QComboBox(parent)
    combo.setObjectName("orderTypeCombo")
    for kind in OrderType:
        combo.addItem(kind.value, kind)
    combo.setToolTip(
        "Book a fill: record a trade at exactly the price you enter (made elsewhere, or a "
        "manual entry).\nMarket order: the executor fills it at the market, with its slippage "
        "and fee, and the ledger books that fill."
    )
    return combo


def _plain(value: Decimal | None) -> str:
    """``Decimal("0.100")`` → ``0.1``, ``Decimal("5")`` → ``5``."""
    return "" if value is None else format(value.normalize(), "f")


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value))
    except ArithmeticError:
        return None
    return result if result.is_finite() and result >= 0 else None


@dataclass(frozen=True)
class ExpectedFill:
    """The executor's expected price and fee for an order (None: the venue decides)."""

    mark: Decimal | None
    price: Decimal | None
    fee: Decimal | None
    slippage_bps: Decimal | None
    fee_rate: Decimal | None

    def describe(self, symbol: str, precision: SymbolPrecision, quote: str) -> str:
        if self.mark is None:
            return f"No live price for {symbol} yet: a market order needs one"
        if self.price is None:
            return (
                f"Fills at the market (last {precision.price(symbol, self.mark)}); the venue "
                "sets the slippage and the fee"
            )
        parts = [
            f"Expected fill ≈ {precision.price(symbol, self.price)} (last "
            f"{precision.price(symbol, self.mark)}, slippage {_plain(self.slippage_bps)} bps)"
        ]
        if self.fee is not None and self.fee_rate is not None:
            parts.append(
                f"fee ≈ {format_money(self.fee)} {quote} ({_plain(self.fee_rate * 100)} % of "
                "notional)"
            )
        return " · ".join(parts)


def expected_fill(
    executor: Any, side: OrderSide, mark: Decimal | None, size: Decimal | None
) -> ExpectedFill:
    """Price and fee the executor's published cost model gives (see the module docstring)."""
    slippage = _decimal(getattr(executor, "slippage_bps", None))
    fee_rate = _decimal(getattr(executor, "fee_rate", None))
    if mark is None or slippage is None:
        return ExpectedFill(mark, None, None, slippage, fee_rate)
    with ledger_math():
        price = mark * (1 + side.sign * slippage / BPS)
        fee = None if fee_rate is None or size is None else size * price * fee_rate
    return ExpectedFill(mark, price, fee, slippage, fee_rate)


def describe_market_fill(
    result: Any, expected: Decimal | None, precision: SymbolPrecision, quote: str
) -> str:
    """One line on what the executor did: size, average price against the expectation, fee."""
    request = result.request
    symbol = request.symbol
    price = result.average_price
    text = (
        f"Market {request.side.value.upper()} {precision.size(symbol, result.filled_size, price)}"
        f" {symbol} filled at {precision.price(symbol, price)}"
    )
    if expected is not None and price is not None and expected > 0:
        with ledger_math():
            off_bps = (price - expected) / expected * BPS
        text += f" (expected {precision.price(symbol, expected)}, {off_bps:+.1f} bps)"
    text += f", fee {format_money(result.fee)} {quote}"
    if result.is_partial:
        text += f" — partly filled: {precision.size(symbol, request.size, price)} asked"
    realized = result.realized_pnl
    if realized:
        text += f", realized {format_money(realized, sign=True)}"
    return text
