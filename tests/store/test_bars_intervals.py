"""Several resolutions of one symbol: each kept under its interval, read apart or merged.

The merge rule under test (``desktop_app/store/bar_intervals.py``): bars of the finest
interval are always kept; a coarser bar only where no finer bar overlaps its period. Real
files come from the shared price folder (``prices_dir``); a version-1 database with mixed
history is built by the version-1 schema itself and upgraded by today's code.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from desktop_app.store import CsvImportError, PriceDataError, Store, schema
from desktop_app.store.bars import BAR_COLUMNS

from .conftest import raw_db

DAY_S, FOUR_HOURS_S, HOUR_S, MINUTE_S = 86_400, 14_400, 3_600, 60
HEADER = "timestamp,open,high,low,close,volume\n"


def file_bars(prices_dir, name: str) -> pd.DataFrame:
    frame = pd.read_csv(prices_dir / f"{name}.csv", parse_dates=["timestamp"])
    return frame.set_index("timestamp")


def flat_bars(start: str, closes: list[float], freq: str = "1min") -> pd.DataFrame:
    index = pd.date_range(start, periods=len(closes), freq=freq, tz="UTC", name="timestamp")
    close = np.asarray(closes, dtype=float)
    return pd.DataFrame(
        {"open": close, "high": close + 1, "low": close - 1, "close": close, "volume": 1.0},
        index=index,
    )


async def test_daily_history_then_feed_minutes_read_as_one_series_finer_bars_winning(
    data_dir, prices_dir
):
    daily = file_bars(prices_dir, "BTC-USDT_1d")  # last bar opens 2026-01-05
    late_evening = flat_bars("2026-01-05 23:50", [93_000.0 + i for i in range(10)])
    next_day = flat_bars("2026-01-06 00:00", [94_000.0, 94_010.0, 94_020.0])
    store = Store(data_dir)
    try:
        assert await store.import_bars_csv(prices_dir / "BTC-USDT_1d.csv", "BTC/USDT") == 3064
        await store.write_bars("BTC/USDT", late_evening)  # the feed's 1-minute default
        await store.write_bars("BTC/USDT", next_day, interval_s=MINUTE_S)
        merged = await store.read_bars("BTC/USDT")
        only_daily = await store.read_bars("BTC/USDT", interval_s=DAY_S)
        only_minutes = await store.read_bars("BTC/USDT", interval_s=MINUTE_S)
        intervals = await store.bar_intervals("BTC/USDT")
        last_any = await store.last_bar_time("BTC/USDT")
        last_daily = await store.last_bar_time("BTC/USDT", DAY_S)
    finally:
        await store.close()
    # each resolution reads back exactly as written
    np.testing.assert_array_equal(
        only_daily[list(BAR_COLUMNS)].to_numpy(), daily[list(BAR_COLUMNS)].to_numpy()
    )
    assert len(only_minutes) == 13 and (only_minutes["interval_s"] == MINUTE_S).all()
    # merged: days up to 2026-01-04; 2026-01-05 has minutes, so its daily bar gives way
    expected_days = daily.index[daily.index < "2026-01-05"]
    assert len(merged) == len(expected_days) + 13
    assert merged.index.is_monotonic_increasing and merged.index.is_unique
    assert (merged.index[: len(expected_days)] == expected_days).all()
    assert merged["interval_s"].tolist() == [DAY_S] * len(expected_days) + [MINUTE_S] * 13
    assert merged["close"].iloc[-1] == 94_020.0
    ends = merged.index + pd.to_timedelta(merged["interval_s"], unit="s")
    assert (ends[:-1] <= merged.index[1:]).all()  # no instant is described twice
    assert [(i.interval_s, i.count) for i in intervals] == [(MINUTE_S, 13), (DAY_S, 3064)]
    assert intervals[1].first == datetime(2017, 8, 17, tzinfo=UTC) and intervals[1].label == "1 day"
    assert intervals[0].last == datetime(2026, 1, 6, 0, 2, tzinfo=UTC)
    assert last_any == datetime(2026, 1, 6, 0, 2, tzinfo=UTC)
    assert last_daily == datetime(2026, 1, 5, tzinfo=UTC)


async def test_a_windowed_read_returns_exactly_the_rows_of_the_full_read(data_dir):
    days = flat_bars("2025-03-01", [100.0, 101.0, 102.0, 103.0], freq="1D")
    evening = flat_bars("2025-03-03 20:00", [102.5, 102.6])  # inside the third day
    store = Store(data_dir)
    try:
        await store.write_bars("ETH/USDT", days, interval_s=DAY_S)
        await store.write_bars("ETH/USDT", evening)
        full = await store.read_bars("ETH/USDT")
        # a window that holds the third daily bar but none of the minutes that replace it
        window = await store.read_bars(
            "ETH/USDT",
            start=datetime(2025, 3, 2, tzinfo=UTC),
            end=datetime(2025, 3, 3, 12, tzinfo=UTC),
        )
    finally:
        await store.close()
    assert full["close"].tolist() == [100.0, 101.0, 102.5, 102.6, 103.0]
    assert full["interval_s"].tolist() == [DAY_S, DAY_S, MINUTE_S, MINUTE_S, DAY_S]
    assert window["close"].tolist() == [101.0]  # not the daily bar of 3 March
    assert window.index.tolist() == full.index[1:2].tolist()


async def test_three_resolutions_merge_finest_first(data_dir):
    store = Store(data_dir)
    try:
        await store.write_bars(
            "SOL/USDT", flat_bars("2025-03-01", [10.0, 20.0, 30.0], freq="1D"), interval_s=DAY_S
        )
        for start, closes in (("2025-03-02 08:00", [21.0, 22.0]), ("2025-03-03 08:00", [31.0])):
            four_hours = flat_bars(start, closes, freq="4h")  # 08:00 - 16:00, 08:00 - 12:00
            await store.write_bars("SOL/USDT", four_hours, interval_s=FOUR_HOURS_S)
        await store.write_bars("SOL/USDT", flat_bars("2025-03-03 10:00", [31.5, 31.6]))
        merged = await store.read_bars("SOL/USDT")
    finally:
        await store.close()
    # 1 March: its daily bar; 2 March: the 4-hour bars; 3 March: the minutes, which also
    # overlap (and so replace) the 4-hour bar of 08:00
    assert merged["close"].tolist() == [10.0, 21.0, 22.0, 31.5, 31.6]
    assert merged["interval_s"].tolist() == [DAY_S, FOUR_HOURS_S, FOUR_HOURS_S, 60, 60]


async def test_a_daily_and_an_hourly_import_of_one_symbol_coexist(data_dir, prices_dir):
    daily, hourly = file_bars(prices_dir, "SOL-USDT_1d"), file_bars(prices_dir, "SOL-USDT_1h")
    store = Store(data_dir)
    try:
        await store.import_bars_csv(prices_dir / "SOL-USDT_1d.csv", "SOL/USDT")
        await store.import_bars_csv(prices_dir / "SOL-USDT_1h.csv", "SOL/USDT")
        intervals = await store.bar_intervals("SOL/USDT")
        read_daily = await store.read_bars("SOL/USDT", interval_s=DAY_S)
        read_hourly = await store.read_bars("SOL/USDT", interval_s=HOUR_S)
        merged = await store.read_bars("SOL/USDT")
    finally:
        await store.close()
    assert [(i.interval_s, i.count) for i in intervals] == [(HOUR_S, 47_359), (DAY_S, 1_974)]
    assert intervals[0].first == datetime(2020, 8, 11, 6, tzinfo=UTC)
    assert intervals[1].first == datetime(2020, 8, 11, tzinfo=UTC)
    for read, source in ((read_daily, daily), (read_hourly, hourly)):
        np.testing.assert_array_equal(
            read[list(BAR_COLUMNS)].to_numpy(), source[list(BAR_COLUMNS)].to_numpy()
        )
    # every day of the daily file also has hourly bars, so the merged series is hourly only
    assert len(merged) == len(hourly) and (merged["interval_s"] == HOUR_S).all()


async def test_importing_the_same_file_again_replaces_its_bars_only(data_dir, prices_dir):
    store = Store(data_dir)
    try:
        await store.import_bars_csv(prices_dir / "BTC-USDT_4h.csv", "BTC/USDT")
        await store.write_bars("BTC/USDT", flat_bars("2026-01-06 12:00", [90_000.0]))
        await store.import_bars_csv(prices_dir / "BTC-USDT_4h.csv", "BTC/USDT")
        intervals = await store.bar_intervals("BTC/USDT")
    finally:
        await store.close()
    assert [(i.interval_s, i.count) for i in intervals] == [(MINUTE_S, 1), (FOUR_HOURS_S, 18_370)]


def write_csv(tmp_path, rows: list[str]):
    path = tmp_path / "prices.csv"
    path.write_text(HEADER + "".join(f"{row},10,11,9,10.5,1\n" for row in rows), encoding="utf-8")
    return path


async def test_an_import_is_refused_at_the_lines_off_its_grid(data_dir, tmp_path):
    store = Store(data_dir)
    try:
        given = write_csv(
            tmp_path,
            ["2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z", "2024-01-01T02:30:00Z",
             "2024-01-01T04:00:00Z"],
        )  # fmt: skip
        with pytest.raises(CsvImportError) as refused_given:
            await store.import_bars_csv(given, "BTC/USDT", interval_s=HOUR_S)
        inferred = write_csv(
            tmp_path,
            ["2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z", "2024-01-01T02:00:00Z",
             "2024-01-01T02:40:00Z", "2024-01-01T04:00:00Z"],
        )  # fmt: skip
        with pytest.raises(CsvImportError) as refused_inferred:
            await store.import_bars_csv(inferred, "BTC/USDT")
        single = write_csv(tmp_path, ["2024-01-01T00:00:00Z"])
        with pytest.raises(CsvImportError, match="line 2: a single bar does not show"):
            await store.import_bars_csv(single, "BTC/USDT")
        assert await store.import_bars_csv(single, "BTC/USDT", interval_s=DAY_S) == 1
        assert [i.interval_s for i in await store.bar_intervals("BTC/USDT")] == [DAY_S]
    finally:
        await store.close()
    (problem,) = refused_given.value.problems
    assert problem.line == 4
    assert "2024-01-01T02:30:00+00:00 is not on the 1 hour grid" in problem.message
    # inferred: 40 minutes (02:00 → 02:40) is the smallest spacing; 01:00 is off that grid
    (problem,) = refused_inferred.value.problems
    assert problem.line == 3
    assert "not on the file's 40 minutes grid (its smallest spacing, between lines 4 and 5)" in (
        problem.message
    )


async def test_bad_intervals_and_bars_closer_than_their_interval_are_refused(data_dir):
    minutes = flat_bars("2025-05-01 12:00", [10.0, 20.0, 30.0])
    store = Store(data_dir)
    try:
        for bad in (0, -60, 1.5, "60", True):
            with pytest.raises(PriceDataError, match="bar interval"):
                await store.write_bars("BTC/USDT", minutes, interval_s=bad)
        with pytest.raises(PriceDataError, match="not a whole number of 1 hour bars after"):
            await store.write_bars("BTC/USDT", minutes, interval_s=HOUR_S)
        with pytest.raises(PriceDataError, match="bar interval"):
            await store.read_bars("BTC/USDT", interval_s=0)
        assert (await store.read_bars("BTC/USDT")).empty
        assert await store.bar_intervals("BTC/USDT") == []
    finally:
        await store.close()


async def test_the_same_open_time_is_kept_once_per_interval(data_dir):
    store = Store(data_dir)
    try:
        await store.write_bars("BTC/USDT", flat_bars("2025-05-01", [10.0]), interval_s=DAY_S)
        await store.write_bars("BTC/USDT", flat_bars("2025-05-01", [11.0]), interval_s=HOUR_S)
        await store.write_bars("BTC/USDT", flat_bars("2025-05-01", [12.0]), interval_s=HOUR_S)
        by_interval = {
            interval: (await store.read_bars("BTC/USDT", interval_s=interval))["close"].tolist()
            for interval in (DAY_S, HOUR_S, MINUTE_S)
        }
        merged = await store.read_bars("BTC/USDT")
    finally:
        await store.close()
    assert by_interval == {DAY_S: [10.0], HOUR_S: [12.0], MINUTE_S: []}
    assert merged["close"].tolist() == [12.0] and merged["interval_s"].tolist() == [HOUR_S]


# --------------------------------------------------------------- upgrading version 1
def v1_rows(symbol: str, times: list[datetime], first_close: float) -> list[tuple]:
    rows = []
    for number, moment in enumerate(times):
        close = first_close + 0.125 * number
        ts_ms = int(moment.timestamp() * 1_000)
        rows.append((symbol, ts_ms, close - 0.5, close + 1.0, close - 1.0, close, 0.1 + number))
    return rows


async def test_a_v1_database_with_mixed_history_upgrades_with_each_bar_given_its_interval(
    data_dir, monkeypatch
):
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
    old = Store(data_dir)
    await old.open()
    await old.close()
    day0 = datetime(2024, 3, 1, tzinfo=UTC)
    daily = [day0 + timedelta(days=n) for n in (0, 1, 2, 3, 5, 6)]  # one day missing
    feed = [day0 + timedelta(days=7, hours=14, minutes=m) for m in (0, 1, 2, 3, 5)]
    lone = [day0 + timedelta(days=8, hours=9)]  # the app ran for one minute
    minutes_only = [day0 + timedelta(minutes=m) for m in (0, 1, 2, 30, 31)]
    rows = [
        *v1_rows("BTC/USDT", daily + feed + lone, 60_000.0),
        *v1_rows("ETH/USDT", minutes_only, 3_000.0),
        *v1_rows("SOL/USDT", [day0], 150.0),
    ]
    with raw_db(data_dir) as db:
        db.executemany('INSERT INTO "price_bar" VALUES (?, ?, ?, ?, ?, ?, ?)', rows)
    monkeypatch.undo()

    store = Store(data_dir)
    try:
        await store.open()
        assert store.schema_version == 2
        btc = await store.read_bars("BTC/USDT")
        eth = await store.read_bars("ETH/USDT")
        sol_intervals = await store.bar_intervals("SOL/USDT")
    finally:
        await store.close()
    assert btc["interval_s"].tolist() == [DAY_S] * 6 + [MINUTE_S] * 6
    assert eth["interval_s"].tolist() == [MINUTE_S] * 5
    assert [i.interval_s for i in sol_intervals] == [MINUTE_S]  # a lone bar: the feed's minute
    with raw_db(data_dir) as db:
        kept = db.execute(
            'SELECT "symbol", "ts_ms", "open", "high", "low", "close", "volume" FROM "price_bar" '
            'ORDER BY "symbol", "ts_ms"'
        ).fetchall()
    assert kept == sorted(rows)  # every row, every value exactly
