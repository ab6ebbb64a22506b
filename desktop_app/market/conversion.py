"""Valuing pairs quoted in another currency in the portfolio's quote currency.

The ledger books only ``BASE/<quote>`` pairs (USDT by default). A feed may still publish
``ETH/BTC`` or ``BTC/USD``; such a price marks ``ETH/USDT`` through a conversion pair::

    p(B/Q) = p(B/X) * p(X/Q)        when X/Q is watched
    p(B/Q) = p(B/X) / p(Q/X)        when Q/X is watched

A symbol with no conversion pair is refused with a message saying which pair to watch.
Pairs that only serve as a rate (``USDT/EUR``), or whose ``B/Q`` pair is watched directly
(the direct price wins), are kept as history but do not mark positions.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from desktop_app.portfolio.values import parse_symbol

from .errors import MarketDataError

__all__ = ["PriceConverter", "Valuation", "plan_valuation"]


@dataclass(frozen=True, slots=True)
class Valuation:
    """How one feed symbol's price reaches the ledger.

    ``target`` is the portfolio pair it marks (None: history only); ``leg`` the conversion
    pair (None: direct); ``invert`` divides by the leg instead of multiplying.
    """

    symbol: str
    target: str | None
    leg: str | None = None
    invert: bool = False


def plan_valuation(symbol: str, available: Collection[str], quote: str) -> Valuation:
    """How ``symbol`` is valued in ``quote`` given the watched ``available`` symbols.

    Raises :class:`MarketDataError` when it cannot be valued at all.
    """
    pair = parse_symbol(symbol)
    name = str(pair)
    if pair.quote == quote:
        return Valuation(name, name)
    if pair.base == quote:
        return Valuation(name, None)  # a rate such as USDT/EUR: a leg, not an asset
    target = f"{pair.base}/{quote}"
    if target in available:
        return Valuation(name, None)  # the direct price wins
    leg = f"{pair.quote}/{quote}"
    if leg in available:
        return Valuation(name, target, leg)
    inverse = f"{quote}/{pair.quote}"
    if inverse in available:
        return Valuation(name, target, inverse, invert=True)
    raise MarketDataError(
        f"{name} is quoted in {pair.quote}, and no {leg} (or {inverse}) price is watched to "
        f"value it in {quote}; watch {leg} too, or trade {target} instead"
    )


class PriceConverter:
    """Turns a batch of feed prices into the ledger's ``BASE/<quote>`` prices.

    Remembers the last price of every symbol so that a conversion rate moving on its own
    re-marks every pair converted through it.
    """

    def __init__(self, quote_currency: str = "USDT") -> None:
        self.quote_currency = quote_currency.upper()
        self._plan: dict[str, Valuation] = {}
        self._refused: dict[str, str] = {}
        self._dependents: dict[str, list[Valuation]] = {}
        self._last: dict[str, float] = {}

    @property
    def refused(self) -> Mapping[str, str]:
        """Symbols that cannot be valued, with the reason for the trader."""
        return dict(self._refused)

    def valuation(self, symbol: str) -> Valuation | None:
        return self._plan.get(symbol)

    def plan(self, symbols: Collection[str]) -> None:
        """(Re)compute how every watched symbol is valued."""
        available = set(symbols)
        self._plan, self._refused, self._dependents = {}, {}, {}
        for symbol in sorted(available):
            try:
                valuation = plan_valuation(symbol, available, self.quote_currency)
            except MarketDataError as exc:
                self._refused[symbol] = str(exc)
                continue
            self._plan[symbol] = valuation
            if valuation.leg is not None:
                self._dependents.setdefault(valuation.leg, []).append(valuation)
        for leg in self._dependents:  # a leg is needed even when it marks nothing itself
            self._plan.setdefault(leg, Valuation(leg, None))
            self._refused.pop(leg, None)

    def accepts(self, symbol: str) -> bool:
        return symbol in self._plan

    def convert(self, prices: Mapping[str, float]) -> dict[str, float]:
        """Ledger prices for a batch of feed prices (unplanned symbols are ignored)."""
        last = self._last
        last.update(prices)
        result: dict[str, float] = {}
        plan = self._plan
        for symbol, price in prices.items():
            valuation = plan.get(symbol)
            if valuation is None:
                continue
            if valuation.leg is None:
                if valuation.target is not None:
                    result[valuation.target] = price
            else:
                self._cross(valuation, price, result)
            for dependent in self._dependents.get(symbol, ()):
                if dependent.symbol not in prices and dependent.symbol in last:
                    self._cross(dependent, last[dependent.symbol], result)
        return result

    def _cross(self, valuation: Valuation, price: float, into: dict[str, float]) -> None:
        assert valuation.leg is not None and valuation.target is not None
        rate = self._last.get(valuation.leg)
        if rate is None:
            return  # the rate has not arrived yet; marked when it does
        into[valuation.target] = price / rate if valuation.invert else price * rate
