"""Exact text encodings between the ledger's records and database rows.

* Money and sizes are ``Decimal`` stored as TEXT in plain notation (``format(d, "f")``):
  exact, readable in any SQLite browser, never REAL.
* Ledger times are ISO 8601 UTC text with microseconds (``2025-01-02T12:00:00.000000+00:00``):
  fixed width, so text order is time order, and a restart restores them to the microsecond.
* Time-series tables (bars, equity snapshots, history records) use integer milliseconds
  since the Unix epoch (UTC) in a ``ts_ms`` column: compact and fast to turn into pandas.
* Tags and lots are JSON arrays; JSON values are written with :func:`to_json`, which turns
  Decimals into exact strings, enums into their values and datetimes into ISO text.

The rows of each table are built and decoded in :mod:`~desktop_app.store.rows`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from .errors import StoreError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def dec(value: Decimal) -> str:
    """A Decimal as exact plain-notation text (``Decimal("1E-8")`` → ``"0.00000001"``)."""
    return format(value, "f")


def time_text(moment: datetime) -> str:
    """A tz-aware datetime as fixed-width ISO 8601 UTC text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def opt_time_text(moment: datetime | None) -> str | None:
    return None if moment is None else time_text(moment)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def opt_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of a tz-aware datetime (naive times are refused)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise StoreError(f"time {moment} has no time zone; give UTC times")
    return (moment - EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def json_default(value: Any) -> Any:
    """``json.dumps(default=...)``: Decimals as exact text, enums by value, ISO times."""
    if isinstance(value, Decimal):
        return dec(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return time_text(value) if value.tzinfo is not None else value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    raise TypeError(f"{type(value).__name__} values cannot be stored")


def _finite(value: Any) -> Any:
    """Refuse NaN and infinity anywhere in a JSON value (JSON has no such numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a storable number")
    if isinstance(value, dict):
        for item in value.values():
            _finite(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _finite(item)
    return value


def to_json(value: Any, what: str = "value") -> str:
    """Compact JSON for storage; raises :class:`StoreError` naming ``what`` if impossible."""
    try:
        return json.dumps(
            value, default=json_default, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise StoreError(f"Cannot store {what}: {exc}") from None


def from_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def tags_text(tags: Sequence[str]) -> str:
    return json.dumps(list(tags), ensure_ascii=False) if tags else "[]"


def parse_tags(text: str) -> tuple[str, ...]:
    return () if text == "[]" else tuple(json.loads(text))
