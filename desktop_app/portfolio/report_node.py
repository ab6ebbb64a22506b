"""The base of the analytics' result records: frozen dataclasses that read like a dict.

Every node is a :class:`ReportNode`: a frozen dataclass whose fields can be read as
attributes (``report.metrics.statistics.sharpe_ratio``) or as keys
(``report["metrics"]["statistics"]["sharpe_ratio"]``), iterated like a mapping, and turned
into plain JSON-ready data with :meth:`ReportNode.to_dict` (Decimals as strings so no cent is
lost, datetimes as ISO 8601 UTC, enums as their value, None as null; no NaN or inf ever
reaches the output).

The records themselves are in :mod:`.analytics_report` and :mod:`.analytics_dashboard`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any

import numpy as np

from desktop_app.lazy import pd

from .values import LEDGER_CONTEXT

__all__ = ["Curve", "ReportNode", "plain"]


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(item.name for item in fields(cls))


class ReportNode(Mapping[str, Any]):
    """Base of every result record: a frozen dataclass readable as a read-only mapping."""

    def __getitem__(self, key: str) -> Any:
        if key in _field_names(type(self)):
            return getattr(self, key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(_field_names(type(self)))

    def __len__(self) -> int:
        return len(_field_names(type(self)))

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready data: nested dicts and lists of str, float, int, bool, None."""
        return {name: plain(getattr(self, name)) for name in _field_names(type(self))}


def _iso(moment: datetime | pd.Timestamp) -> str:
    if isinstance(moment, pd.Timestamp):
        moment = moment.to_pydatetime()
    return moment.isoformat()


_SCALARS = (str, int, bool, type(None))


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data (see :class:`ReportNode`)."""
    kind = type(value)
    if kind in _SCALARS:  # exact type checks first: reports hold thousands of these
        return value
    if kind is float:
        return value + 0.0 if math.isfinite(value) else None  # + 0.0 turns -0.0 into 0.0
    if kind is Decimal:  # exact, without trailing zeros or an exponent
        return format(value.normalize(LEDGER_CONTEXT), "f") if value.is_finite() else None
    if kind is datetime:
        return value.isoformat()
    if isinstance(value, ReportNode):
        return value.to_dict()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "M":
            return np.datetime_as_string(value.astype("datetime64[ns]"), timezone="UTC").tolist()
        return [plain(item) for item in value.tolist()]
    if isinstance(value, (datetime, pd.Timestamp)):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return plain(float(value))
    if isinstance(value, Decimal):
        return plain(Decimal(value))
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    raise TypeError(f"cannot export a {type(value).__name__} in a report")


@dataclass(frozen=True, eq=False)
class Curve(ReportNode):
    """A time series for a chart: ``times`` (datetime64[ns], UTC) and float ``values``."""

    name: str
    times: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)

    @classmethod
    def from_index(cls, name: str, index: pd.DatetimeIndex, values: Any) -> Curve:
        """A curve from a (UTC or naive-UTC) DatetimeIndex and matching values."""
        stamps = pd.DatetimeIndex(index)
        if stamps.tz is not None:
            stamps = stamps.tz_convert("UTC").tz_localize(None)
        return cls(name, stamps.as_unit("ns").to_numpy(), np.asarray(values, dtype="float64"))

    @property
    def epoch_seconds(self) -> np.ndarray:
        """The times as float seconds since 1970 (what pyqtgraph's date axis reads)."""
        return self.times.astype("datetime64[ns]").astype(np.int64) / 1e9
