"""Conversion and validation of the values that enter the ledger.

Money and quantities are :class:`~decimal.Decimal` inside the engine: 1,000,000 SHIB at
0.00001 must not drift. Public methods accept ``int``, ``float``, ``str`` or ``Decimal``;
floats are converted through ``str()`` so ``0.1`` becomes ``Decimal("0.1")``, not
``0.1000000000000000055511151231257827``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Context, Decimal, InvalidOperation, localcontext

from .errors import InvalidOrderError

Number = int | float | str | Decimal

#: Context for ledger arithmetic. 60 significant digits keep every sum and product of
#: exchange-precision numbers exact; only the pro-rata cost split of a partial close rounds.
LEDGER_CONTEXT = Context(prec=60)

#: Pro-rata splits (the cost basis of a partial close, a fee shared by lots) are rounded to
#: this fixed quantum, so the remainder they leave is exact within LEDGER_CONTEXT: 1e-30 of a
#: dollar is far below any exchange's precision.
SPLIT_QUANTUM = Decimal("1e-30")

ZERO = Decimal(0)
ONE = Decimal(1)

_SYMBOL_RE = re.compile(r"^([A-Z0-9]{1,20})/([A-Z0-9]{1,20})$")


def ledger_math() -> localcontext:
    """``with ledger_math(): ...`` — run Decimal arithmetic in :data:`LEDGER_CONTEXT`."""
    return localcontext(LEDGER_CONTEXT)


def pro_rata(total: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """``total * part / whole`` rounded to :data:`SPLIT_QUANTUM` (call inside ``ledger_math``)."""
    return (total * part / whole).quantize(SPLIT_QUANTUM)


def to_decimal(value: Number, name: str = "value") -> Decimal:
    """Convert a public input to a finite Decimal or raise :class:`InvalidOrderError`."""
    if isinstance(value, bool):
        raise InvalidOrderError(f"{name} must be a number, not {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidOrderError(f"{name} must be a finite number, got {value!r}")
        result = Decimal(repr(float(value)))  # numpy's float64 reprs as "np.float64(...)"
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            raise InvalidOrderError(f"{name} must be a number, got {value!r}") from None
    else:
        # numpy scalars and similar: go through str() as the design requires
        try:
            result = Decimal(str(value))
        except (InvalidOperation, TypeError, ValueError):
            raise InvalidOrderError(f"{name} must be a number, got {value!r}") from None
    if not result.is_finite():
        raise InvalidOrderError(f"{name} must be a finite number, got {value!r}")
    return result


def positive(value: Number, name: str) -> Decimal:
    """A strictly positive Decimal (sizes, prices)."""
    result = to_decimal(value, name)
    if result <= 0:
        raise InvalidOrderError(f"{name} must be greater than zero, got {fmt(result)}")
    return result


def non_negative(value: Number, name: str) -> Decimal:
    """A Decimal >= 0 (fees, cash amounts)."""
    result = to_decimal(value, name)
    if result < 0:
        raise InvalidOrderError(f"{name} cannot be negative, got {fmt(result)}")
    return ZERO if result == 0 else result  # no "-0" fees


@dataclass(frozen=True, slots=True)
class Symbol:
    """A trading pair ``BASE/QUOTE`` such as ``BTC/USDT``."""

    base: str
    quote: str

    def __str__(self) -> str:
        return f"{self.base}/{self.quote}"


def parse_symbol(symbol: str) -> Symbol:
    """Parse ``"btc/usdt"`` or ``"BTC/USDT"`` into a :class:`Symbol`; anything else is refused."""
    if not isinstance(symbol, str):
        raise InvalidOrderError(f"symbol must be text like 'BTC/USDT', got {symbol!r}")
    match = _SYMBOL_RE.match(symbol.strip().upper())
    if match is None or match.group(1) == match.group(2):
        raise InvalidOrderError(
            f"'{symbol}' is not a trading pair; write it as BASE/QUOTE, for example BTC/USDT"
        )
    return Symbol(match.group(1), match.group(2))


def normalize_symbol(symbol: str) -> str:
    """The canonical ``BASE/QUOTE`` spelling of ``symbol`` (validated)."""
    return str(parse_symbol(symbol))


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC (the only kind of datetime the engine keeps)."""
    return datetime.now(UTC)


def as_utc(moment: datetime, name: str = "timestamp") -> datetime:
    """Refuse naive datetimes (ambiguous on a trader's machine) and convert to UTC."""
    if not isinstance(moment, datetime):
        raise InvalidOrderError(f"{name} must be a datetime, got {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidOrderError(f"{name} must carry a time zone (UTC), got a naive {moment}")
    return moment.astimezone(UTC)


def fmt(value: Decimal | None, places: int | None = None) -> str:
    """Human formatting for messages: no exponent, trailing zeros trimmed, thousands separators."""
    if value is None:
        return "—"
    if places is not None:
        return f"{value:,.{places}f}"
    text = f"{value:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
