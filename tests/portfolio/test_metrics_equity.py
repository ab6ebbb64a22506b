"""From equity curves and cash flows to returns: TWR, period sampling, P, and XIRR."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from desktop_app.portfolio import metrics as m


def test_a_deposit_into_a_flat_market_is_a_zero_return() -> None:
    equity = [1_000.0, 1_000.0, 1_500.0, 1_500.0]
    flows = [0.0, 0.0, 500.0, 0.0]
    np.testing.assert_array_equal(m.returns_from_equity(equity, flows), [0.0, 0.0, 0.0])
    assert m.total_return(m.returns_from_equity(equity, flows)) == 0.0


def test_without_flows_the_returns_are_simple_returns() -> None:
    # 110 / 100 - 1 = 0.1; 99 / 110 - 1 = -0.1
    np.testing.assert_allclose(m.returns_from_equity([100.0, 110.0, 99.0]), [0.1, -0.1])


def test_a_withdrawal_is_added_back_before_measuring_the_return() -> None:
    # 120 -> 70 after taking out 60: (70 - (-60)) / 120 - 1 = 130 / 120 - 1
    returns = m.returns_from_equity([100.0, 120.0, 70.0], [0.0, 0.0, -60.0])
    np.testing.assert_allclose(returns, [0.2, 1 / 12])


def test_the_flow_at_the_first_point_is_before_any_return_and_ignored() -> None:
    np.testing.assert_allclose(m.returns_from_equity([100.0, 110.0], [100.0, 0.0]), [0.1])


def test_a_period_starting_from_zero_equity_has_no_return() -> None:
    # funded during the second period: no return can be measured on 0 capital
    returns = m.returns_from_equity([0.0, 100.0, 110.0], [0.0, 100.0, 0.0])
    assert np.isnan(returns[0])
    assert returns[1] == pytest.approx(0.1)


def test_equity_series_keep_their_index_and_align_their_flows() -> None:
    times = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC")
    equity = pd.Series([100.0, 100.0, 150.0, 165.0], index=times, name="equity")
    flows = pd.Series([50.0], index=times[[2]])  # only on the deposit day
    returns = m.returns_from_equity(equity, flows)
    assert list(returns.index) == list(times[1:])
    np.testing.assert_allclose(returns.to_numpy(), [0.0, 0.0, 0.1])


def test_two_flows_at_the_same_time_add_up() -> None:
    times = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC")
    equity = pd.Series([100.0, 100.0, 200.0], index=times)
    flows = pd.Series([60.0, 40.0], index=times[[2, 2]])
    np.testing.assert_array_equal(m.returns_from_equity(equity, flows).to_numpy(), [0.0, 0.0])


def test_flows_at_times_without_an_equity_value_are_refused() -> None:
    times = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC")
    equity = pd.Series([100.0, 100.0, 150.0], index=times)
    flows = pd.Series([50.0], index=[times[1] + pd.Timedelta(hours=3)])
    with pytest.raises(ValueError, match="resample_equity"):
        m.returns_from_equity(equity, flows)


def _hourly_equity() -> tuple[pd.Series, pd.Series]:
    """Five days of hourly snapshots of 10 units of a market; one deposit, one withdrawal.

    Day 2 the market rises 2 %, day 3 is flat with a 500 deposit at 13:30, day 4 falls 1 %,
    and 200 are withdrawn at 23:30 on day 4 (after its last snapshot); day 5 is flat.
    """
    times = pd.date_range("2024-03-01", periods=5 * 24, freq="h", tz="UTC")
    hourly = np.ones(times.size)
    hourly[24:48] = 1.02 ** (1 / 24)
    hourly[72:96] = 0.99 ** (1 / 24)
    market = 100.0 * np.cumprod(hourly)
    units = np.full(times.size, 10.0)
    units[62:] += 500.0 / market[61]  # bought at 13:30 on day 3, flat market
    units[96:] -= 200.0 / market[95]  # sold at 23:30 on day 4, flat market
    flows = pd.Series(
        [500.0, -200.0],
        index=pd.DatetimeIndex(["2024-03-03 13:30", "2024-03-04 23:30"], tz="UTC"),
    )
    return pd.Series(units * market, index=times), flows


def test_resampled_daily_returns_are_the_market_moves_despite_the_flows() -> None:
    equity, flows = _hourly_equity()
    returns = m.resample_equity(equity, flows, "D")
    assert list(returns.index.strftime("%Y-%m-%d")) == [
        "2024-03-02",
        "2024-03-03",
        "2024-03-04",
        "2024-03-05",
    ]
    np.testing.assert_allclose(returns.to_numpy(), [0.02, 0.0, -0.01, 0.0], atol=1e-12)


def test_a_flow_after_the_last_snapshot_of_a_day_counts_in_the_next_day() -> None:
    # the 23:30 withdrawal is not in day 4's 23:00 sample; counting it on day 4 (its calendar
    # day) would turn day 4's -1 % into (1504.8 + 200) / 1520 - 1 = +12 % and day 5's 0 %
    # into 1304.8 / 1504.8 - 1 = -13 %
    equity, flows = _hourly_equity()
    returns = m.resample_equity(equity, flows, "D")
    assert returns.iloc[2] == pytest.approx(-0.01)
    assert returns.iloc[3] == pytest.approx(0.0, abs=1e-12)


def test_days_without_a_snapshot_carry_the_last_equity_forward() -> None:
    equity = pd.Series(
        [100.0, 110.0, 121.0],
        index=pd.DatetimeIndex(["2024-01-01 12:00", "2024-01-03 12:00", "2024-01-04 09:00"]),
    )
    returns = m.resample_equity(equity, rule="D")
    # Jan 2 had no snapshot: its equity is Jan 1's, a 0 % day; Jan 3 has the whole move
    np.testing.assert_allclose(returns.to_numpy(), [0.0, 0.1, 0.1])


def test_period_ends_are_in_utc() -> None:
    # 08:00 in Tokyo is 23:00 UTC the day before
    tokyo = pd.DatetimeIndex(
        ["2024-01-02 08:00", "2024-01-03 07:00", "2024-01-03 08:00"], tz="Asia/Tokyo"
    )
    returns = m.resample_equity(pd.Series([100.0, 105.0, 110.0], index=tokyo), rule="D")
    # UTC days: Jan 1 (100), Jan 2 (105 then 110 at 22:00 and 23:00 UTC)
    assert list(returns.index) == [pd.Timestamp("2024-01-02", tz="UTC")]
    assert returns.iloc[0] == pytest.approx(0.1)


def test_monthly_returns_are_labelled_by_month_end() -> None:
    times = pd.DatetimeIndex(["2024-01-15", "2024-01-31 18:00", "2024-02-29 23:59", "2024-03-02"])
    returns = m.resample_equity(pd.Series([100.0, 120.0, 90.0, 99.0], index=times), rule="ME")
    assert list(returns.index.strftime("%Y-%m-%d")) == ["2024-02-29", "2024-03-31"]
    np.testing.assert_allclose(returns.to_numpy(), [-0.25, 0.1])


def test_resample_needs_a_time_index() -> None:
    with pytest.raises(ValueError, match="DatetimeIndex"):
        m.resample_equity(pd.Series([1.0, 2.0]), rule="D")


def test_resampling_an_empty_curve_gives_no_returns() -> None:
    empty = pd.Series([], dtype="float64", index=pd.DatetimeIndex([], tz="UTC"))
    assert m.resample_equity(empty, rule="D").empty


class Period(enum.Enum):
    DAILY = "daily"
    MONTHLY = "monthly"


@pytest.mark.parametrize(
    ("freq", "expected"),
    [
        ("min", 525_600),
        ("1m", 525_600),
        ("h", 8_760),
        ("hourly", 8_760),
        ("D", 365),
        ("1d", 365),
        ("daily", 365),
        ("W", 52),
        ("weekly", 52),
        ("ME", 12),
        ("1M", 12),
        ("monthly", 12),
        ("QE", 4),
        ("quarterly", 4),
        ("YE", 1),
        ("yearly", 1),
        ("4h", 2_190),
        ("15min", 35_040),
        (Period.DAILY, 365),
        (Period.MONTHLY, 12),
    ],
)
def test_periods_per_year(freq: object, expected: float) -> None:
    assert m.periods_per_year(freq) == expected


@pytest.mark.parametrize(
    ("freq", "rule"),
    [("daily", "D"), ("1M", "ME"), ("1m", "min"), ("4h", "4h"), ("Q", "QE"), ("W", "W")],
)
def test_resample_rule_names_the_pandas_alias(freq: str, rule: str) -> None:
    assert m.resample_rule(freq) == rule
    pd.tseries.frequencies.to_offset(rule)  # pandas accepts it


@pytest.mark.parametrize("freq", ["fortnightly", "0D", "", "D D"])
def test_unknown_frequencies_are_refused(freq: str) -> None:
    with pytest.raises(ValueError, match="frequency"):
        m.periods_per_year(freq)


def test_xirr_matches_the_textbook_example() -> None:
    # the XIRR example of the spreadsheet manuals, ACT/365: 37.336 %
    rate = m.xirr(
        [-10_000, 2_750, 4_250, 3_250, 2_750],
        [
            date(2008, 1, 1),
            date(2008, 3, 1),
            date(2008, 10, 30),
            date(2009, 2, 15),
            date(2009, 4, 1),
        ],
    )
    # the manuals print 0.373362535, rounded to 9 digits
    assert rate == pytest.approx(0.373362535, abs=5e-9)
    # and it solves the equation: days since the first flow 0, 60, 303, 411, 456
    flows_and_days = [(-10_000, 0), (2_750, 60), (4_250, 303), (3_250, 411), (2_750, 456)]
    present_values = [cf / (1 + rate) ** (days / 365) for cf, days in flows_and_days]
    assert sum(present_values) == pytest.approx(0.0, abs=1e-9)


def test_xirr_of_one_year_is_the_simple_return() -> None:
    # 2021 has 365 days: 1,100 / 1,000 - 1
    assert m.xirr([-1_000.0, 1_100.0], ["2021-01-01", "2022-01-01"]) == pytest.approx(0.1)
    assert m.xirr([-1_000.0, 500.0], ["2021-01-01", "2022-01-01"]) == pytest.approx(-0.5)


def test_xirr_annualises_short_horizons() -> None:
    # +1 % in one day: 1.01 ** 365 - 1 = 36.78...
    rate = m.xirr(
        [-100.0, 101.0], [datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC)]
    )
    assert rate == pytest.approx(1.01**365 - 1, rel=1e-9)


def test_xirr_weights_money_by_time_invested() -> None:
    # 1,000 for two years, then 1,000 more for the second: 1,000 * 1.1^2 + 1,000 * 1.1 = 2,310
    rate = m.xirr([-1_000.0, -1_000.0, 2_310.0], ["2021-01-01", "2022-01-01", "2023-01-01"])
    assert rate == pytest.approx(0.1, rel=1e-12)


def test_xirr_of_getting_back_what_went_in_is_zero() -> None:
    assert m.xirr([-500.0, 200.0, 300.0], ["2024-01-01", "2024-03-01", "2024-06-01"]) == 0.0


def test_xirr_ignores_the_order_of_the_flows_and_drops_missing_ones() -> None:
    assert m.xirr(
        [1_100.0, np.nan, -1_000.0], ["2022-01-01", "2021-06-01", "2021-01-01"]
    ) == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("flows", "dates"),
    [
        ([], []),
        ([-100.0], ["2024-01-01"]),
        ([-100.0, -50.0], ["2024-01-01", "2024-02-01"]),  # no money ever came back
        ([100.0, 50.0], ["2024-01-01", "2024-02-01"]),
        ([-100.0, 110.0], ["2024-01-01", "2024-01-01"]),  # no time passed
    ],
)
def test_xirr_without_a_solution_is_none(flows: list[float], dates: list[str]) -> None:
    assert m.xirr(flows, dates) is None


def test_xirr_needs_one_date_per_flow() -> None:
    with pytest.raises(ValueError, match="one date per cash flow"):
        m.xirr([-100.0, 110.0], ["2024-01-01"])
