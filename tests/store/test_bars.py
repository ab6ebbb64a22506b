"""Price bars: the contract's DataFrame round trip, upserts, and all-or-nothing CSV imports.

(Several resolutions of one symbol: ``test_bars_intervals.py``.)"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from desktop_app.store import CsvImportError, PriceDataError, Store
from desktop_app.store.bars import BAR_COLUMNS, INTERVAL_COLUMN

HEADER = "timestamp,open,high,low,close,volume\n"


def minute_bars(start: str, closes: list[float]) -> pd.DataFrame:
    index = pd.date_range(start, periods=len(closes), freq="1min", tz="UTC", name="timestamp")
    close = np.asarray(closes, dtype=float)
    return pd.DataFrame(
        {"open": close, "high": close + 1, "low": close - 1, "close": close, "volume": 2.5},
        index=index,
    )


async def test_bars_round_trip_as_the_contract_dataframe(data_dir):
    store = Store(data_dir)
    try:
        bars = minute_bars("2025-05-01 12:00", [100.0, 101.5, 99.25])
        assert await store.write_bars("btc/usdt", bars) == 3
        read = await store.read_bars("BTC/USDT")
        pd.testing.assert_frame_equal(
            read[list(BAR_COLUMNS)], bars, check_freq=False, check_index_type=False
        )
        assert str(read.index.tz) == "UTC"
        assert list(read.columns) == [*BAR_COLUMNS, INTERVAL_COLUMN]
        assert all(read[name].dtype == np.float64 for name in BAR_COLUMNS)
        assert read[INTERVAL_COLUMN].dtype == np.int64
        assert read[INTERVAL_COLUMN].tolist() == [60, 60, 60]  # the feed's 1-minute bars
        assert await store.bar_symbols() == ["BTC/USDT"]
        assert await store.last_bar_time("BTC/USDT") == datetime(2025, 5, 1, 12, 2, tzinfo=UTC)
        assert await store.last_bar_time("ETH/USDT") is None
    finally:
        await store.close()


async def test_writing_a_bar_again_replaces_it_and_ranges_are_inclusive(data_dir):
    store = Store(data_dir)
    try:
        await store.write_bars("BTC/USDT", minute_bars("2025-05-01 12:00", [10.0, 2e1, 30.0, 4e1]))
        await store.write_bars("BTC/USDT", minute_bars("2025-05-01 12:01", [25.0]))
        await store.write_bars("ETH/USDT", minute_bars("2025-05-01 12:00", [7.0]))
        window = await store.read_bars(
            "BTC/USDT",
            start=datetime(2025, 5, 1, 12, 1, tzinfo=UTC),
            end=datetime(2025, 5, 1, 12, 2, tzinfo=UTC),
        )
        assert window["close"].tolist() == [25.0, 30.0]
        assert await store.bar_symbols() == ["BTC/USDT", "ETH/USDT"]
        empty = await store.read_bars("SOL/USDT")
        assert empty.empty and list(empty.columns) == [*BAR_COLUMNS, INTERVAL_COLUMN]
        assert str(empty.index.tz) == "UTC"
    finally:
        await store.close()


async def test_bad_bars_are_refused_and_nothing_is_written(data_dir):
    store = Store(data_dir)
    try:
        good = minute_bars("2025-05-01 12:00", [10.0, 20.0])
        bad = good.copy()
        bad.iloc[1, bad.columns.get_loc("high")] = 15.5  # below its low
        with pytest.raises(PriceDataError, match="high 15.5 is below low 19"):
            await store.write_bars("BTC/USDT", bad)
        with pytest.raises(PriceDataError, match="time-zone-aware"):
            await store.write_bars("BTC/USDT", good.tz_localize(None))
        with pytest.raises(PriceDataError, match="missing the column"):
            await store.write_bars("BTC/USDT", good.drop(columns="volume"))
        nan = good.copy()
        nan.iloc[0, 0] = np.nan
        with pytest.raises(PriceDataError, match="open is missing"):
            await store.write_bars("BTC/USDT", nan)
        with pytest.raises(PriceDataError, match="not a trading pair"):
            await store.write_bars("BTCUSDT", good)
        assert (await store.read_bars("BTC/USDT")).empty
    finally:
        await store.close()


async def test_a_real_price_file_imports_exactly(data_dir, prices_dir):
    source = prices_dir / "BTC-USDT_1d.csv"
    expected = pd.read_csv(source, index_col="timestamp", parse_dates=True)
    store = Store(data_dir)
    try:
        count = await store.import_bars_csv(source, "BTC/USDT")
        bars = await store.read_bars("BTC/USDT")
    finally:
        await store.close()
    assert count == len(expected) == len(bars) == 3064
    assert bars.index[0] == datetime(2017, 8, 17, tzinfo=UTC)
    assert (bars[INTERVAL_COLUMN] == 86_400).all()  # inferred: the file's daily spacing
    np.testing.assert_array_equal(
        bars[list(BAR_COLUMNS)].to_numpy(), expected[list(BAR_COLUMNS)].to_numpy()
    )


async def test_every_real_file_but_the_dirty_one_imports(data_dir, prices_dir):
    store = Store(data_dir)
    try:
        for name in ("SHIB-USDT_1d.csv", "SOL-USDT_1h.csv", "BTC-USDT-PERP_1m.csv"):
            symbol = name.split("_")[0].replace("-PERP", "").replace("-", "/")
            count = await store.import_bars_csv(prices_dir / name, symbol)
            assert count == len(pd.read_csv(prices_dir / name))
        shib = await store.read_bars("SHIB/USDT")
        assert shib["open"].iloc[0] == 0.00001412  # tiny prices survive exactly
        assert await store.bar_symbols() == ["BTC/USDT", "SHIB/USDT", "SOL/USDT"]
    finally:
        await store.close()


async def test_the_real_file_with_an_impossible_bar_is_refused_at_its_line(data_dir, prices_dir):
    store = Store(data_dir)
    try:
        with pytest.raises(CsvImportError) as refused:
            await store.import_bars_csv(prices_dir / "BTC-USD_1h.csv", "BTC/USD")
        assert (await store.read_bars("BTC/USD")).empty
    finally:
        await store.close()
    (problem,) = refused.value.problems
    assert problem.line == 9860  # 2021-01-04T05:00:00Z, documented in SOURCES.md
    assert "high 33128.8 is below open/close 33287.7" in problem.message
    assert "nothing was imported" in str(refused.value)


def write_csv(folder: Path, body: str) -> Path:
    path = folder / "prices.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


async def test_every_bad_row_is_reported_by_line_and_nothing_is_half_imported(data_dir, tmp_path):
    store = Store(data_dir)
    try:
        await store.write_bars("BTC/USDT", minute_bars("2024-01-01 00:00", [5.0]))  # already there
        path = write_csv(
            tmp_path,
            "2024-01-01T00:00:00Z,10,11,9,10.5,100\n"  # line 2: fine, would replace the bar
            "2024-01-01T00:01:00Z,10,abc,9,10.5,100\n"  # line 3: not a number
            "yesterday,10,11,9,10.5,100\n"  # line 4: not a time
            "2024-01-01T00:03:00Z,10,11,9,10.5\n"  # line 5: a value short
            "2024-01-01T00:04:00Z,10,11,9,10.5,100,7\n"  # line 6: a value too many
            "\n"  # line 7: empty
            "2024-01-01T00:06:00Z,10,9,11,10.5,100\n"  # line 8: high below low
            "2024-01-01T00:07:00Z,-3,11,1,10.5,100\n"  # line 9: negative price
            "2024-01-01T00:08:00Z,10,11,9,10.5,-1\n"  # line 10: negative volume
            "2024-01-01T00:00:00Z,10,11,9,10.5,100\n",  # line 11: time already on line 2
        )
        with pytest.raises(CsvImportError) as refused:
            await store.import_bars_csv(path, "BTC/USDT")
        bars = await store.read_bars("BTC/USDT")
    finally:
        await store.close()
    problems = {problem.line: problem.message for problem in refused.value.problems}
    assert sorted(problems) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "high 'abc' is not a number" in problems[3]
    assert "timestamp 'yesterday' is not an ISO 8601 time" in problems[4]
    assert "5 values, expected 6" in problems[5]
    assert "7 values, expected 6" in problems[6]
    assert problems[7] == "the line is empty"
    assert "high 9 is below low 11" in problems[8]
    assert "open -3 must be above zero" in problems[9]
    assert "volume -1 is negative" in problems[10]
    assert "already appears on line 2" in problems[11]
    assert str(path) in str(refused.value) and "line 3:" in str(refused.value)
    assert bars["close"].tolist() == [5.0]  # the earlier bar is untouched


async def test_a_file_without_the_ohlcv_header_is_refused(data_dir, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("date,price\n2024-01-01,5\n", encoding="utf-8")
    store = Store(data_dir)
    try:
        with pytest.raises(CsvImportError, match="line 1: the header must be timestamp,open"):
            await store.import_bars_csv(path, "BTC/USDT")
        with pytest.raises(PriceDataError, match="Cannot read"):
            await store.import_bars_csv(tmp_path / "missing.csv", "BTC/USDT")
    finally:
        await store.close()


async def test_progress_is_reported_on_the_loop_thread_up_to_the_total(data_dir, prices_dir):
    seen: list[tuple[int, int, str]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total, threading.current_thread().name))

    store = Store(data_dir)
    try:
        count = await store.import_bars_csv(prices_dir / "SOL-USDT_1h.csv", "SOL/USDT", progress)
    finally:
        await store.close()
    assert seen[0][:2] == (0, count) and seen[-1][:2] == (count, count)
    assert [done for done, _, _ in seen] == sorted(done for done, _, _ in seen)
    assert len(seen) >= 3  # 47,359 rows in chunks: the bar moves more than once
    assert {name for _, _, name in seen} == {threading.current_thread().name}


async def test_cancelling_an_import_rolls_it_back(data_dir, prices_dir):
    store = Store(data_dir)
    try:
        started = asyncio.Event()
        task = asyncio.ensure_future(
            store.import_bars_csv(
                prices_dir / "SOL-USDT_1h.csv", "SOL/USDT", lambda done, total: started.set()
            )
        )
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await store.flush()  # queued behind the cancelled import on the writer thread
        assert (await store.read_bars("SOL/USDT")).empty
    finally:
        await store.close()
