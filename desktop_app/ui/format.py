"""Number formatting for the trading screens: prices, sizes, money and percentages.

A price column that shows ``0.00`` for SHIB or ``64123.456789`` for BTC is useless, so the
number of decimals depends on the instrument:

* **Prices** get about five significant digits by magnitude
  (:func:`price_decimals`): BTC ``64,123.45``, SOL ``145.23``, XRP ``0.52340``,
  SHIB ``0.00001234`` (8 decimals below 0.001, the exchanges' tick size).
* **Sizes** get as many decimals as make the last digit worth roughly one cent to ten cents
  (:func:`size_decimals`): ``floor(log10(price)) + 2`` clamped to 0..8 — BTC ``0.012345``
  (6 decimals), ETH 5, SOL 4, XRP 1, SHIB 0 (``1,000,000``).
* **Money** (quote currency, e.g. USDT) has 2 decimals; **percentages** 2 decimals; halves
  round away from zero, as on a statement.

:class:`SymbolPrecision` remembers the decimals per symbol (the most ever needed), so a
column does not jump between 2 and 4 decimals when BTC crosses a threshold mid-session.
Everything here is plain Python with no Qt, so it is unit-tested directly.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

Number = Decimal | float | int

#: (lower bound of the price, decimals): the first row whose bound the price reaches wins.
PRICE_TIERS: tuple[tuple[float, int], ...] = (
    (100.0, 2),
    (1.0, 4),
    (0.01, 5),
    (0.001, 6),
)
#: Decimals below 0.001 (SHIB, PEPE): the exchanges' own tick size of 1e-8.
TINY_PRICE_DECIMALS = 8
MAX_SIZE_DECIMALS = 8
MONEY_DECIMALS = 2
PCT_DECIMALS = 2
DASH = "—"
MINUS = "−"  # a real minus sign: same width as "+" in tabular fonts


def _as_float(value: Number | None) -> float | None:
    if value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError, InvalidOperation):
        return None
    return result if math.isfinite(result) else None


def price_decimals(price: Number | None) -> int:
    """Decimals that show a price with about five significant digits (2 at least)."""
    value = _as_float(price)
    if value is None or value <= 0:
        return 2
    for bound, decimals in PRICE_TIERS:
        if value >= bound:
            return decimals
    return TINY_PRICE_DECIMALS


def size_decimals(price: Number | None) -> int:
    """Decimals for a size of an asset worth ``price`` each: ``floor(log10(price)) + 2``.

    The last shown digit is then worth between one cent and ten cents of quote currency.
    Without a price, 4 decimals (a readable middle ground).
    """
    value = _as_float(price)
    if value is None or value <= 0:
        return 4
    return max(0, min(MAX_SIZE_DECIMALS, math.floor(math.log10(value)) + 2))


class SymbolPrecision:
    """Decimals per symbol, stable over a session: the most ever needed is kept."""

    def __init__(self) -> None:
        self._price: dict[str, int] = {}
        self._size: dict[str, int] = {}

    def observe(self, symbol: str, price: Number | None) -> None:
        """Learn from a price; decimals only ever grow for a symbol."""
        if _as_float(price) is None or float(price) <= 0:  # type: ignore[arg-type]
            return
        self._price[symbol] = max(self._price.get(symbol, 0), price_decimals(price))
        self._size[symbol] = max(self._size.get(symbol, 0), size_decimals(price))

    def price_decimals(self, symbol: str, price: Number | None = None) -> int:
        if symbol not in self._price:
            self.observe(symbol, price)
        return self._price.get(symbol, price_decimals(price))

    def size_decimals(self, symbol: str, price: Number | None = None) -> int:
        if symbol not in self._size:
            self.observe(symbol, price)
        return self._size.get(symbol, size_decimals(price))

    def price(self, symbol: str, price: Number | None) -> str:
        return format_number(price, self.price_decimals(symbol, price))

    def size(self, symbol: str, size: Number | None, price: Number | None = None) -> str:
        return format_number(size, self.size_decimals(symbol, price))


def format_number(value: Number | None, decimals: int, *, sign: bool = False) -> str:
    """``1234.5`` → ``1,234.50``; a true minus sign; ``+`` when ``sign``; ``—`` for None."""
    if value is None:
        return DASH
    if isinstance(value, Decimal):
        if not value.is_finite():
            return DASH
        quantum = Decimal(1).scaleb(-decimals)
        try:
            value = value.quantize(quantum, rounding=ROUND_HALF_UP)
        except InvalidOperation:  # more digits than the context allows: fall back to float
            value = float(value)
    elif _as_float(value) is None:
        return DASH
    text = f"{value:,.{decimals}f}"
    if text.startswith("-"):
        body = text[1:]
        return body if _is_zero(body) else MINUS + body
    if sign and not _is_zero(text):
        return "+" + text
    return text


def _is_zero(text: str) -> bool:
    return not text.strip("0.,")


def format_money(value: Number | None, *, sign: bool = False) -> str:
    """Quote-currency amounts: 2 decimals with thousands separators."""
    return format_number(value, MONEY_DECIMALS, sign=sign)


def format_pct(value: Number | None, *, sign: bool = True, decimals: int = PCT_DECIMALS) -> str:
    """A percentage already in percent (``12.5`` → ``+12.50 %``)."""
    text = format_number(value, decimals, sign=sign)
    return text if text == DASH else f"{text} %"


def format_compact_money(value: Number | None) -> str:
    """Large amounts for narrow tiles: ``1.25M``, ``98.4K``; small ones in full."""
    number = _as_float(value)
    if number is None:
        return DASH
    magnitude = abs(number)
    for threshold, suffix in ((1e9, "B"), (1e6, "M")):
        if magnitude >= threshold:
            return format_number(number / threshold, 2) + suffix
    return format_money(value)


def parse_decimal(text: str) -> Decimal | None:
    """Parse what a trader types (``1,000,000``, `` 0.5 ``, ``1e-5``); None when not a number."""
    cleaned = text.strip().replace(",", "").replace("_", "").replace(" ", "")
    cleaned = cleaned.replace(MINUS, "-")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def plain_decimal(value: Decimal | None, decimals: int | None = None) -> str:
    """An editable rendering: no thousands separators, no exponent, trailing zeros trimmed."""
    if value is None:
        return ""
    if decimals is not None:
        value = value.quantize(Decimal(1).scaleb(-decimals))
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def format_timestamp(moment: datetime | None, *, seconds: bool = True) -> str:
    """Local wall-clock time for a UTC timestamp: ``2025-01-02 14:03:07``."""
    if moment is None:
        return DASH
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def format_clock(moment: datetime) -> str:
    """Time of day in local time for the event log: ``14:03:07``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%H:%M:%S")


def format_duration(span: timedelta | float | None) -> str:
    """A holding period or an age: ``45 s``, ``12 min``, ``3 h 20 min``, ``4 d 6 h``."""
    if span is None:
        return DASH
    seconds = span.total_seconds() if isinstance(span, timedelta) else float(span)
    if seconds < 0:
        seconds = 0.0
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


#: The engine's sampling rules (pandas offsets) in words: "1,081 hourly returns".
SAMPLING_NAMES = {"min": "minute", "h": "hourly", "D": "daily", "W": "weekly"}


def sampling_name(rule: str | None) -> str:
    """``"h"`` → ``"hourly"``; unknown rules are shown as they are."""
    return SAMPLING_NAMES.get(rule or "", rule or "")


#: Words traders write their own way.
SPELLINGS = {"var": "VaR", "cvar": "CVaR", "pnl": "P&L", "nav": "NAV", "dca": "DCA"}
#: Unit suffixes of field names, dropped from labels (the unit is shown separately).
UNIT_WORDS = ("pct", "percent", "bps", "hours", "minutes", "seconds", "s", "days", "ratio")


def humanize(name: str) -> str:
    """``max_single_position_pct`` → ``Max single position``; ``max_var_pct`` → ``Max VaR``."""
    words = [word for word in name.split("_") if word]
    if len(words) > 1 and words[-1] in UNIT_WORDS:
        words = words[:-1]
    text = " ".join(SPELLINGS.get(word, word) for word in words)
    return text[:1].upper() + text[1:]
