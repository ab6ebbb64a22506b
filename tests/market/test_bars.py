"""1-minute bars from ticks: OHLCV, UTC minute boundaries, gaps left as gaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest

from desktop_app.market import BarAggregator, bars_frame

from .conftest import T0


def at(seconds: float) -> float:
    return (T0 + timedelta(seconds=seconds)).timestamp()


def test_ticks_in_one_minute_make_one_ohlcv_bar():
    bars = BarAggregator()
    for second, price, size in [
        (5, 100.0, 1.0),
        (20, 103.0, 0.5),
        (31, 98.5, 2.0),
        (59, 101.0, 0.25),
    ]:
        bars.add("BTC/USDT", price, at(second), size)
    assert bars.close_before(at(60)) == 1
    frame = bars.drain()["BTC/USDT"]
    assert frame.index.tolist() == [pd.Timestamp(T0)]
    assert frame.iloc[0].tolist() == [100.0, 103.0, 98.5, 101.0, 3.75]


def test_a_minute_without_ticks_is_a_gap_not_an_interpolated_bar():
    bars = BarAggregator()
    bars.add("ETH/USDT", 2000.0, at(10))
    bars.add("ETH/USDT", 2010.0, at(3 * 60 + 1))  # nothing at 12:01 and 12:02
    bars.close_all()
    frame = bars.drain()["ETH/USDT"]
    assert frame.index.tolist() == [pd.Timestamp(T0), pd.Timestamp(T0 + timedelta(minutes=3))]
    assert frame["close"].tolist() == [2000.0, 2010.0]


def test_minute_boundaries_are_utc_and_the_boundary_tick_opens_the_next_bar():
    bars = BarAggregator()
    bars.add("SOL/USDT", 150.0, at(59.999))
    bars.add("SOL/USDT", 151.0, at(60.0))
    bars.close_all()
    frame = bars.drain()["SOL/USDT"]
    assert frame["open"].tolist() == [150.0, 151.0]
    assert str(frame.index.tz) == "UTC"
    assert frame.index[1] == pd.Timestamp("2025-06-02T12:01:00Z")


def test_a_tick_stamped_in_another_time_zone_lands_in_its_utc_minute():
    bars = BarAggregator()
    cest = timezone(timedelta(hours=2))
    local = datetime(2025, 6, 2, 14, 7, 30, tzinfo=cest)  # 12:07:30 UTC
    bars.add("BTC/USDT", 100.0, local.timestamp())
    bars.close_all()
    assert bars.drain()["BTC/USDT"].index[0] == pd.Timestamp("2025-06-02T12:07:00Z")


def test_open_bars_close_when_their_minute_ends_even_without_another_tick():
    bars = BarAggregator()
    bars.add("BTC/USDT", 100.0, at(30))
    assert bars.close_before(at(59)) == 0
    assert bars.open_bar("BTC/USDT") is not None
    assert bars.close_before(at(60)) == 1
    assert bars.open_bar("BTC/USDT") is None
    assert bars.pending_count == 1


def test_a_tick_older_than_the_open_bar_is_ignored():
    bars = BarAggregator()
    bars.add("BTC/USDT", 100.0, at(70))
    assert not bars.add("BTC/USDT", 50.0, at(10))
    bars.close_all()
    assert bars.drain()["BTC/USDT"]["low"].tolist() == [100.0]


def test_symbols_are_aggregated_independently():
    bars = BarAggregator()
    bars.add("BTC/USDT", 100.0, at(1))
    bars.add("ETH/USDT", 10.0, at(2))
    bars.add("BTC/USDT", 101.0, at(61))
    bars.close_before(at(61))
    drained = bars.drain()
    assert set(drained) == {"BTC/USDT", "ETH/USDT"}
    assert bars.drain() == {}


def test_drained_bars_have_the_store_format_and_can_be_put_back():
    bars = BarAggregator()
    bars.add("BTC/USDT", 100.0, at(1))
    bars.add("BTC/USDT", 102.0, at(61))
    bars.close_all()
    frame = bars.drain()["BTC/USDT"]
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert all(dtype == "float64" for dtype in frame.dtypes)
    assert isinstance(frame.index, pd.DatetimeIndex) and frame.index.name == "timestamp"
    bars.restore([("BTC/USDT", frame)])
    pd.testing.assert_frame_equal(bars.drain()["BTC/USDT"], frame)


def test_bars_frame_of_no_rows_is_an_empty_frame_in_the_same_shape():
    frame = bars_frame([])
    assert frame.empty and list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert str(frame.index.tz) == "UTC"


@pytest.mark.parametrize("price_path", [[5.0, 4.0, 6.0, 5.5], [1e-5, 1.2e-5, 0.9e-5, 1.1e-5]])
def test_high_and_low_are_the_extremes_whatever_the_path(price_path):
    bars = BarAggregator()
    for i, price in enumerate(price_path):
        bars.add("X/USDT", price, datetime(2025, 1, 1, 0, 0, i, tzinfo=UTC).timestamp())
    bars.close_all()
    row = bars.drain()["X/USDT"].iloc[0]
    assert (row["high"], row["low"]) == (max(price_path), min(price_path))
    assert (row["open"], row["close"]) == (price_path[0], price_path[-1])
