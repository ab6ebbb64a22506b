"""What counts as a bad tick, and a warning about them that cannot flood the log.

The pipeline drops a tick for any :class:`DropReason`, counts it, and lets
:class:`DropReport` write one warning per interval that sums up what was dropped and gives
an example of each kind, so a feed spewing garbage thousands of times a second produces a
line every ``interval_s`` seconds, not thousands.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from numbers import Real

log = logging.getLogger("desktop_app.market.pipeline")

__all__ = ["DropReason", "DropReport", "check_tick", "tick_volume"]


class DropReason(Enum):
    """Why a tick never reached the engine; ``.value`` is the trader-facing text."""

    MALFORMED = "not a (symbol, price, timestamp) tick"
    NOT_A_NUMBER = "price is not a number"
    NOT_FINITE = "price is NaN or infinite"
    NOT_POSITIVE = "price is zero or negative"
    BAD_TIMESTAMP = "timestamp missing or without a time zone"
    FUTURE_TIMESTAMP = "timestamp in the future"
    STALE_TIMESTAMP = "timestamp too far in the past"
    OUT_OF_ORDER = "older than the symbol's previous tick"
    UNKNOWN_SYMBOL = "symbol is not watched by the feed"
    NO_CONVERSION = "no conversion to the portfolio currency"


class DropReport:
    """Counts drops since the last warning and writes at most one warning per interval."""

    def __init__(self, interval_s: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self.interval_s = interval_s
        self._clock = clock
        self._counts: Counter[DropReason] = Counter()
        self._examples: dict[DropReason, str] = {}
        self._last_warning: float | None = None
        self.warnings_written = 0

    def note(self, reason: DropReason, example: object) -> None:
        self._counts[reason] += 1
        if reason not in self._examples:
            self._examples[reason] = repr(example)[:120]

    def maybe_warn(self, source: str) -> bool:
        """Write the summary if there is one and the interval has passed; True if written."""
        if not self._counts:
            return False
        now = self._clock()
        if self._last_warning is not None and now - self._last_warning < self.interval_s:
            return False
        total = sum(self._counts.values())
        parts = "; ".join(
            f"{count} {reason.value} (e.g. {self._examples[reason]})"
            for reason, count in self._counts.most_common()
        )
        log.warning("%s feed: dropped %d bad tick(s): %s", source, total, parts)
        self._counts.clear()
        self._examples.clear()
        self._last_warning = now
        self.warnings_written += 1
        return True


def check_tick(price: object, when: object) -> tuple[DropReason | None, float, float]:
    """``(reason, price, epoch seconds)``; reason None when the price and time are usable."""
    if type(price) is not float:
        if isinstance(price, bool) or not isinstance(price, (Real, Decimal)):
            return DropReason.NOT_A_NUMBER, 0.0, 0.0
        try:
            price = float(price)
        except (ValueError, OverflowError):
            return DropReason.NOT_FINITE, 0.0, 0.0
    if not math.isfinite(price):
        return DropReason.NOT_FINITE, 0.0, 0.0
    if price <= 0:
        return DropReason.NOT_POSITIVE, 0.0, 0.0
    if not isinstance(when, datetime) or when.tzinfo is None or when.utcoffset() is None:
        return DropReason.BAD_TIMESTAMP, 0.0, 0.0
    return None, price, when.timestamp()


def tick_volume(value: object) -> float:
    """A tick's size if it is a sane number, else 0 (a bad size never costs the price)."""
    if type(value) is float:
        return value if value >= 0 and math.isfinite(value) else 0.0
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        return 0.0
    number = float(value)
    return number if number >= 0 and math.isfinite(number) else 0.0
