"""Report periods: which window a report covers and how its returns are sampled.

A :class:`MetricPeriod` names a trailing window and the sampling that makes its statistics
meaningful ("the report for a window, at that sampling"). Bins are UTC and half-open,
``[label, label + step)``, like ``pandas.resample``; the window is the last ``N`` bins,
ending with the bin that holds the as-of time (by default the latest equity snapshot):

=========== ================== =========== ============================
period      window             sampling    returns (P, periods a year)
=========== ================== =========== ============================
HOURLY      last 60 minutes    1 minute    60 (525,600)
DAILY       last 24 hours      1 hour      24 (8,760)
WEEKLY      last 7 days        1 hour      168 (8,760)
MONTHLY     last 30 days       1 day       30 (365)
QUARTERLY   last 90 days       1 day       90 (365)
YEARLY      last 365 days      1 day       365 (365)
ALL_TIME    since inception    by length   daily from 30 days of history,
                                           hourly from 2 days, else minutes
=========== ================== =========== ============================

The baseline of the first return is the equity at the end of the bin before the window.
When the history starts inside the window (and always for ALL_TIME) the baseline is the
first snapshot ever ("inception"), so the first return runs from that snapshot to the end
of its bin (of the next bin when the snapshot is alone in its own) and no part of the
history is lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

from desktop_app.lazy import pd

from .analytics_report import ReportWindow
from .errors import ConfigError
from .metrics import periods_per_year

__all__ = ["MetricPeriod", "resolve_window"]

#: ALL_TIME samples daily from this much history on, hourly from the next, else by minute.
_DAILY_FROM = timedelta(days=30)
_HOURLY_FROM = timedelta(days=2)


class MetricPeriod(Enum):
    """A report's trailing window and sampling (table in :mod:`.analytics_period`)."""

    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    ALL_TIME = "all_time"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def sampling(self) -> str | None:
        """The pandas rule of the returns ('min', 'h', 'D'); None for ALL_TIME (by length)."""
        return _SAMPLING[self]

    @property
    def window_periods(self) -> int | None:
        """How many sampling bins the window spans; None for ALL_TIME (everything)."""
        return _WINDOW[self]

    @classmethod
    def parse(cls, value: MetricPeriod | str) -> MetricPeriod:
        """A period from itself, its value (``"monthly"``) or its name (``"ALL_TIME"``)."""
        if isinstance(value, MetricPeriod):
            return value
        text = str(value).strip().lower().replace(" ", "_").replace("-", "_")
        for period in cls:
            if text in (period.value, period.name.lower()):
                return period
        known = ", ".join(period.value for period in cls)
        raise ConfigError(f"unknown report period {value!r}; choose one of: {known}")


_SAMPLING = {
    MetricPeriod.HOURLY: "min",
    MetricPeriod.DAILY: "h",
    MetricPeriod.WEEKLY: "h",
    MetricPeriod.MONTHLY: "D",
    MetricPeriod.QUARTERLY: "D",
    MetricPeriod.YEARLY: "D",
    MetricPeriod.ALL_TIME: None,
}
_WINDOW = {
    MetricPeriod.HOURLY: 60,
    MetricPeriod.DAILY: 24,
    MetricPeriod.WEEKLY: 7 * 24,
    MetricPeriod.MONTHLY: 30,
    MetricPeriod.QUARTERLY: 90,
    MetricPeriod.YEARLY: 365,
    MetricPeriod.ALL_TIME: None,
}


def all_time_sampling(span: pd.Timedelta) -> str:
    """The ALL_TIME sampling for a history of length ``span``."""
    if span >= _DAILY_FROM:
        return "D"
    if span >= _HOURLY_FROM:
        return "h"
    return "min"


def resolve_window(
    period: MetricPeriod, history_start: datetime | None, as_of: datetime
) -> ReportWindow:
    """The window of ``period`` ending with the bin that holds ``as_of``.

    ``history_start`` is the time of the first equity snapshot (None without any). ``start``
    is the baseline instant: the window's first bin boundary, or ``history_start`` itself
    when the history begins inside the window (``inception``); ``end`` is the end of the
    bin holding ``as_of``.
    """
    moment = pd.Timestamp(as_of).tz_convert("UTC")
    first = None if history_start is None else pd.Timestamp(history_start).tz_convert("UTC")
    rule = period.sampling
    if rule is None:
        rule = all_time_sampling(moment - first if first is not None else pd.Timedelta(0))
    step = pd.Timedelta(1, unit=rule)
    end = moment.floor(step) + step
    count = period.window_periods
    start = None if count is None else end - count * step
    inception = start is None or first is None or first >= start
    if inception:
        start = first
    return ReportWindow(
        period=period,
        sampling=rule,
        periods_per_year=periods_per_year(rule),
        start=None if start is None else start.to_pydatetime(),
        end=end.to_pydatetime(),
        as_of=moment.to_pydatetime(),
        inception=inception,
    )
