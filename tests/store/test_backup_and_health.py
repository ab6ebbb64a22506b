"""Backups while trading, and a check of the whole file soon after start-up."""

from __future__ import annotations

import asyncio
import shutil

import numpy as np
import pandas as pd
import pytest

from desktop_app.portfolio import StoreError

from .conftest import manager_on


async def test_a_backup_taken_while_trading_is_a_complete_consistent_copy(data_dir, tmp_path):
    async with manager_on(data_dir) as pm:
        for i in range(20):
            await pm.create_position("BTC/USDT", "long", "0.01", 40_000 + i)
        trading = asyncio.ensure_future(pm.create_position("ETH/USDT", "long", 1, 2_000))
        path = await pm.store.backup()
        await trading
        with pytest.raises(StoreError, match="already exists"):
            await pm.store.backup(path)
        with pytest.raises(StoreError, match="cannot overwrite the database itself"):
            await pm.store.backup(data_dir / "portfolio.db")
    assert path.parent == data_dir / "backups" and path.name.startswith("portfolio-")
    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    shutil.copyfile(path, restored_dir / "portfolio.db")
    async with manager_on(restored_dir) as restored:
        assert restored.restore_mismatches == ()
        assert len(restored.get_open_positions()) in (20, 21)  # before or after the ETH trade
        assert await restored.store.check_integrity(full=True) == []


async def test_damage_outside_the_ledger_is_reported_soon_after_start(data_dir):
    async with manager_on(data_dir) as pm:
        await pm.create_position("BTC/USDT", "long", 1, 100)
        index = pd.date_range("2024-01-01", periods=20_000, freq="1min", tz="UTC")
        close = np.linspace(100, 200, len(index))
        bars = pd.DataFrame(
            {"open": close, "high": close + 1, "low": close - 1, "close": close, "volume": 1.0},
            index=index,
        )
        await pm.store.write_bars("BTC/USDT", bars)
    database = data_dir / "portfolio.db"
    content = bytearray(database.read_bytes())
    page = len(content) // 4096 * 3 // 4  # deep inside the price history, written last
    content[page * 4096 + 8 : (page + 1) * 4096] = b"\x07" * (4096 - 8)
    database.write_bytes(bytes(content))

    reported = asyncio.Event()
    errors: list[dict] = []

    def on_error(payload: dict) -> None:
        errors.append(payload)
        reported.set()

    pm = manager_on(data_dir)
    pm.register_callback("error", on_error)
    async with pm:
        assert len(pm.get_open_positions()) == 1  # the ledger itself restored fine
        await asyncio.wait_for(reported.wait(), timeout=60)
    (report,) = errors
    assert report["source"] == "store-integrity"
    assert (
        str(database) in report["message"] and "restore the file from a backup" in report["message"]
    )
    assert report["problems"]
