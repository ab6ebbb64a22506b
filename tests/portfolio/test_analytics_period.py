"""Report periods: the window each MetricPeriod covers and how its returns are sampled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desktop_app.portfolio import MetricPeriod
from desktop_app.portfolio.analytics_period import resolve_window

AS_OF = datetime(2024, 3, 15, 13, 37, 20, tzinfo=UTC)
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("period", "sampling", "periods_per_year", "start"),
    [
        (MetricPeriod.HOURLY, "min", 525_600, datetime(2024, 3, 15, 12, 38, tzinfo=UTC)),
        (MetricPeriod.DAILY, "h", 8_760, datetime(2024, 3, 14, 14, tzinfo=UTC)),
        (MetricPeriod.WEEKLY, "h", 8_760, datetime(2024, 3, 8, 14, tzinfo=UTC)),
        (MetricPeriod.MONTHLY, "D", 365, datetime(2024, 2, 15, tzinfo=UTC)),
        (MetricPeriod.QUARTERLY, "D", 365, datetime(2023, 12, 17, tzinfo=UTC)),
        (MetricPeriod.YEARLY, "D", 365, datetime(2023, 3, 17, tzinfo=UTC)),
    ],
)
def test_each_period_is_its_last_bins_ending_with_the_bin_of_the_as_of_time(
    period, sampling, periods_per_year, start
):
    window = resolve_window(period, LONG_AGO, AS_OF)
    step = {"min": timedelta(minutes=1), "h": timedelta(hours=1), "D": timedelta(days=1)}
    assert window.sampling == sampling
    assert window.periods_per_year == periods_per_year
    assert window.end - window.start == period.window_periods * step[sampling]
    assert window.start == start
    assert window.start <= AS_OF < window.end
    assert not window.inception


def test_a_history_that_starts_inside_the_window_is_measured_from_its_first_snapshot():
    first = AS_OF - timedelta(days=3, hours=5)
    window = resolve_window(MetricPeriod.MONTHLY, first, AS_OF)
    assert window.inception and window.start == first
    assert window.end == datetime(2024, 3, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    ("span", "sampling"),
    [
        (timedelta(days=400), "D"),
        (timedelta(days=30), "D"),
        (timedelta(days=29, hours=23), "h"),
        (timedelta(days=2), "h"),
        (timedelta(hours=47), "min"),
        (timedelta(0), "min"),
    ],
)
def test_all_time_samples_daily_hourly_or_by_minute_by_the_length_of_the_history(span, sampling):
    window = resolve_window(MetricPeriod.ALL_TIME, AS_OF - span, AS_OF)
    assert window.sampling == sampling
    assert window.inception and window.start == AS_OF - span


def test_without_any_history_the_window_has_no_start():
    window = resolve_window(MetricPeriod.WEEKLY, None, AS_OF)
    assert window.start is None and window.inception


@pytest.mark.parametrize("text", ["monthly", "MONTHLY", "Monthly", MetricPeriod.MONTHLY])
def test_periods_are_read_from_their_value_or_name(text):
    assert MetricPeriod.parse(text) is MetricPeriod.MONTHLY


def test_all_time_is_read_with_a_space_or_dash_too():
    assert MetricPeriod.parse("all time") is MetricPeriod.parse("all-time") is MetricPeriod.ALL_TIME


def test_an_unknown_period_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="hourly, daily, weekly"):
        MetricPeriod.parse("fortnightly")
