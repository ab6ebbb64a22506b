"""History the other components keep: the equity curve, records, settings, the full journal."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import numpy as np
import pytest

from desktop_app.portfolio import PortfolioError, StoreError
from desktop_app.store import RECORD_KINDS, Store
from desktop_app.store.history import EQUITY_COLUMNS

from .conftest import manager_on


async def test_every_fill_and_cash_movement_adds_a_point_to_the_equity_curve(data_dir):
    async with manager_on(data_dir, initial_capital=10_000) as pm:
        position = await pm.create_position("BTC/USDT", "long", 2, 1_000, fee=5)
        await pm.update_prices({"BTC/USDT": 1_100})
        await pm.deposit(500)
        await pm.withdraw(200)
        await pm.close_position(position.position_id, 1_100)
        curve = await pm.store.read_equity_curve()
    assert list(curve.columns) == list(EQUITY_COLUMNS)
    assert str(curve.index.tz) == "UTC" and curve.index.is_monotonic_increasing
    assert all(curve[name].dtype == np.float64 for name in EQUITY_COLUMNS)
    assert curve["net_flow"].tolist() == [10_000.0, 0.0, 500.0, -200.0, 0.0]
    assert curve["equity"].tolist() == [10_000.0, 9_995.0, 10_695.0, 10_495.0, 10_495.0]
    assert curve["gross_exposure"].tolist() == [0.0, 2_000.0, 2_200.0, 2_200.0, 0.0]
    assert (curve["equity"] == curve["cash"] + curve["market_value"]).all()


async def test_the_curve_has_a_point_every_snapshot_interval_and_one_at_shutdown(data_dir):
    async with manager_on(data_dir, snapshot_interval_s=0.01) as pm:
        for _ in range(500):
            if len(await pm.store.read_equity_curve()) >= 4:  # 1 for the capital, 3 periodic
                break
            await asyncio.sleep(0.01)
        during = len(await pm.store.read_equity_curve())
    assert during >= 4
    store = Store(data_dir)
    try:
        after = await store.read_equity_curve()
        window = await store.read_equity_curve(start=after.index[1], end=after.index[2])
    finally:
        await store.close()
    assert len(after) > during  # the point taken at shutdown
    assert len(window) >= 2 and window.index[0] == after.index[1]


@pytest.mark.parametrize("kind", sorted(RECORD_KINDS))
async def test_records_round_trip_with_exact_values_and_their_time(data_dir, kind):
    moment = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    store = Store(data_dir)
    try:
        await store.append_record(
            kind, {"limit": "max_drawdown", "value": D("0.1534"), "hit": True}, timestamp=moment
        )
        (record,) = await store.read_records(kind)
    finally:
        await store.close()
    assert record == {"limit": "max_drawdown", "value": "0.1534", "hit": True, "timestamp": moment}


async def test_records_filter_by_time_and_limit_to_the_latest_oldest_first(data_dir):
    start = datetime(2025, 6, 1, tzinfo=UTC)
    store = Store(data_dir)
    try:
        for day in range(5):
            await store.append_record(
                "risk_metrics", {"day": day}, timestamp=start + timedelta(days=day)
            )
        await store.append_record("rebalance", {"trades": 3}, timestamp=start)
        latest_two = await store.read_records("risk_metrics", limit=2)
        middle = await store.read_records(
            "risk_metrics", start=start + timedelta(days=1), end=start + timedelta(days=3)
        )
        stamped = {"timestamp": start + timedelta(days=9), "note": "time from the payload"}
        await store.append_record("breaker_event", stamped)
        (breaker,) = await store.read_records("breaker_event")
    finally:
        await store.close()
    assert [r["day"] for r in latest_two] == [3, 4]
    assert [r["day"] for r in middle] == [1, 2, 3]
    assert breaker["timestamp"] == start + timedelta(days=9)


async def test_an_unknown_record_kind_or_unstorable_payload_is_refused(data_dir):
    store = Store(data_dir)
    try:
        with pytest.raises(PortfolioError, match="Unknown record kind 'risk'.*risk_violation"):
            await store.append_record("risk", {"x": 1})
        with pytest.raises(StoreError, match="Cannot store the record"):
            await store.append_record("risk_metrics", {"x": float("nan")})
        with pytest.raises(StoreError, match="Cannot store the record"):
            await store.append_record("risk_metrics", {"x": object()})
        assert await store.read_records("risk_metrics") == []
    finally:
        await store.close()


async def test_settings_survive_a_restart_and_unknown_keys_give_the_default(data_dir):
    store = Store(data_dir)
    await store.set_setting("grid_state", {"levels": [100.5, 101.0], "armed": True})
    await store.set_setting("last_rebalance", datetime(2025, 1, 1, tzinfo=UTC))
    await store.set_setting("grid_state", {"levels": [99.0], "armed": False})
    await store.close()
    again = Store(data_dir)
    try:
        assert await again.get_setting("grid_state") == {"levels": [99.0], "armed": False}
        assert await again.get_setting("last_rebalance") == "2025-01-01T00:00:00.000000+00:00"
        assert await again.get_setting("missing", default=42) == 42
        value = await again.get_setting("grid_state")
        value["armed"] = True  # a copy: changing it changes nothing stored
        assert (await again.get_setting("grid_state"))["armed"] is False
    finally:
        await again.close()


async def test_read_fills_returns_the_whole_journal_filtered_by_time_and_symbol(data_dir):
    base = datetime(2025, 2, 1, tzinfo=UTC)
    async with manager_on(data_dir, initial_capital=1_000_000, fill_history_limit=2) as pm:
        for day in range(6):
            symbol = "BTC/USDT" if day % 2 == 0 else "ETH/USDT"
            await pm.create_position(
                symbol, "long", 1, 100 + day, timestamp=base + timedelta(days=day)
            )
        assert len(pm.position_tracker.recent_fills()) == 2  # memory keeps only the latest
        every = await pm.store.read_fills()
        btc = await pm.store.read_fills(symbol="btc/usdt")
        window = await pm.store.read_fills(
            start=base + timedelta(days=2), end=base + timedelta(days=4), symbol="BTC/USDT"
        )
    assert [f.price for f in every] == [D(100 + day) for day in range(6)]
    assert [f.price for f in btc] == [D(100), D(102), D(104)]
    assert [f.price for f in window] == [D(102), D(104)]


async def test_lot_disposals_record_what_each_close_consumed(data_dir):
    async with manager_on(data_dir, initial_capital=1_000_000) as pm:
        position = await pm.create_position("BTC/USDT", "long", 1, 100, fee=1)
        await pm.add_to_position(position.position_id, 1, 200, fee=1)
        closing = await pm.close_position(position.position_id, 300, size="1.5", fee=3)
        disposals = await pm.store.read_lot_disposals(position.position_id)
    assert [(d.size, d.entry_price, d.exit_price) for d in disposals] == [
        (D(1), D(100), D(300)),
        (D("0.5"), D(200), D(300)),
    ]
    assert all(d.disposal_id == closing.fill.fill_id for d in disposals)
    assert sum(d.gain for d in disposals) == D(200) + D(50) - D(3) - D(1) - D("0.5")


async def test_a_closed_store_refuses_further_use(data_dir):
    store = Store(data_dir)
    await store.open()
    await store.close()
    with pytest.raises(StoreError, match="was closed"):
        await store.read_fills()
