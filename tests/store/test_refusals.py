"""A second instance, a corrupt, foreign, too-new or locked file: a clear refusal, and the
trader's file is never changed."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from desktop_app.portfolio import PortfolioManager, StoreError
from desktop_app.store import DatabaseUnusableError, DataDirInUseError, Store

from .conftest import manager_on, quiet_config, raw_db

REPO = Path(__file__).resolve().parents[2]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of the data folder with its bytes (the lock file aside)."""
    return {
        path.name: path.read_bytes()
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name != "portfolio.lock"
    }


def child(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


HOLD_THE_FOLDER = """
    import asyncio, sys
    from desktop_app.store import Store

    async def main():
        store = Store(sys.argv[1])
        await store.open()
        print("open", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        await store.close()

    asyncio.run(main())
"""


async def test_a_second_manager_on_the_same_folder_is_refused_until_the_first_closes(data_dir):
    async with manager_on(data_dir) as first:
        await first.create_position("BTC/USDT", "long", 1, 100)
        second = manager_on(data_dir)
        with pytest.raises(DataDirInUseError) as refused:
            await second.initialize()
        await second.shutdown()
        message = str(refused.value)
        assert "Another Portfolio Desk is using the data folder" in message
        assert str(data_dir) in message and f"process {os.getpid()}" in message
        assert "--data-dir" in message
        assert len(first.get_open_positions()) == 1  # the first one is unharmed
        await first.create_position("ETH/USDT", "long", 1, 100)
    async with manager_on(data_dir) as later:  # released on close
        assert len(later.get_open_positions()) == 2


async def test_a_second_process_on_the_same_folder_is_refused(data_dir):
    holder = child(HOLD_THE_FOLDER, str(data_dir))
    try:
        assert holder.stdout.readline().strip() == "open"
        store = Store(data_dir)
        with pytest.raises(DataDirInUseError, match=f"process {holder.pid}"):
            await store.open()
        await store.close()
    finally:
        holder.communicate("\n", timeout=30)
    assert holder.returncode == 0
    store = Store(data_dir)  # free again once that process has closed it
    await store.open()
    await store.close()


async def test_this_process_is_refused_by_another_process_holding_the_folder(data_dir):
    async with manager_on(data_dir):
        refused = child(
            """
            import asyncio, sys
            from desktop_app.store import Store, DataDirInUseError

            async def main():
                store = Store(sys.argv[1])
                try:
                    await store.open()
                except DataDirInUseError as exc:
                    print(exc)
                    return 3
                return 0

            sys.exit(asyncio.run(main()))
            """,
            str(data_dir),
        )
        out, err = refused.communicate(timeout=60)
    assert refused.returncode == 3, err
    assert "Another Portfolio Desk is using the data folder" in out


async def test_a_lock_left_by_a_killed_process_does_not_block_the_next_start(data_dir):
    holder = child(HOLD_THE_FOLDER, str(data_dir))
    assert holder.stdout.readline().strip() == "open"
    holder.kill()
    holder.communicate(timeout=30)
    async with manager_on(data_dir) as pm:
        assert pm.store.is_open


async def test_a_corrupt_file_is_refused_by_name_and_left_untouched(data_dir):
    database = data_dir / "portfolio.db"
    database.write_bytes(b"This is not a database, it is a spreadsheet someone saved here.\n" * 64)
    before = snapshot(data_dir)
    pm = manager_on(data_dir)
    with pytest.raises(DatabaseUnusableError) as refused:
        await pm.initialize()
    await pm.shutdown()
    message = str(refused.value)
    assert str(database) in message
    assert "left untouched" in message and "backup" in message and "move it" in message
    assert snapshot(data_dir) == before  # no byte changed, no -wal or -shm created


async def test_a_database_with_damaged_pages_is_refused_and_left_untouched(data_dir):
    async with manager_on(data_dir) as pm:
        for i in range(30):
            await pm.create_position("BTC/USDT", "long", 1, 100 + i, tags=f"t{i}" * 40)
    database = data_dir / "portfolio.db"
    content = bytearray(database.read_bytes())
    content[100 : 4096 * 3] = b"\xff" * (4096 * 3 - 100)  # scribble over the schema pages
    database.write_bytes(bytes(content))
    before = snapshot(data_dir)
    store = Store(data_dir)
    with pytest.raises(StoreError, match="cannot use its database") as refused:
        await store.load()
    await store.close()
    assert str(database) in str(refused.value)
    assert snapshot(data_dir) == before


async def test_a_foreign_sqlite_database_is_refused_and_left_untouched(data_dir):
    with raw_db(data_dir) as db:
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
        db.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    before = snapshot(data_dir)
    store = Store(data_dir)
    with pytest.raises(DatabaseUnusableError, match="not a Portfolio Desk one"):
        await store.open()
    await store.close()
    assert snapshot(data_dir) == before


async def test_a_file_from_a_newer_version_is_refused_and_left_untouched(data_dir):
    async with manager_on(data_dir) as pm:
        await pm.create_position("BTC/USDT", "long", 1, 100)
    with raw_db(data_dir) as db:
        db.execute(
            "INSERT INTO schema_version (version, applied_at, description) "
            "VALUES (99, '2030-01-01T00:00:00.000000+00:00', 'from the future')"
        )
    before = snapshot(data_dir)
    store = Store(data_dir)
    with pytest.raises(DatabaseUnusableError, match="newer Portfolio Desk .*version 99"):
        await store.open()
    await store.close()
    assert snapshot(data_dir) == before


async def test_a_file_locked_by_another_program_refuses_a_trade_and_books_nothing(data_dir):
    store = Store(data_dir, busy_timeout_s=0.2)
    async with PortfolioManager(quiet_config(), journal=store) as pm:
        other = sqlite3.connect(data_dir / "portfolio.db", isolation_level=None, timeout=0)
        try:
            other.execute("BEGIN EXCLUSIVE")  # e.g. a database browser holding a write lock
            with pytest.raises(StoreError, match="locked by another program") as refused:
                await pm.create_position("BTC/USDT", "long", 1, 100)
            other.execute("ROLLBACK")
        finally:
            other.close()
        assert str(data_dir / "portfolio.db") in str(refused.value)
        assert pm.get_open_positions() == []
        await pm.create_position("BTC/USDT", "long", 1, 100)  # works once the lock is gone


async def test_a_file_locked_by_another_program_at_start_is_refused_clearly(data_dir):
    other = sqlite3.connect(data_dir / "portfolio.db", isolation_level=None)
    try:
        other.execute("CREATE TABLE placeholder (x)")  # make it an existing file
        other.execute("BEGIN EXCLUSIVE")
        store = Store(data_dir, busy_timeout_s=0.2)
        with pytest.raises(DatabaseUnusableError, match="locked by another program"):
            await store.open()
        await store.close()
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_the_data_folder_cannot_be_a_file(tmp_path):
    from desktop_app.store import resolve_data_dir

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="Cannot use the data folder"):
        resolve_data_dir(blocker / "inside")
