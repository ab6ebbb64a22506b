"""The ledger survives a restart exactly, and an acknowledged change is already on disk."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from desktop_app.lazy import pd
from desktop_app.portfolio import (
    CashMovement,
    Fill,
    MemoryJournal,
    PortfolioManager,
    PortfolioStatus,
    StoreError,
    TagChange,
)
from desktop_app.store import Store
from desktop_app.store.writer import WRITER_THREAD_NAME

from .conftest import manager_on, quiet_config, raw_db


def ledger_state(pm: PortfolioManager):
    tracker = pm.position_tracker
    return (
        tracker.sequence,
        tracker.cash,
        tracker.net_deposits,
        tracker.realized_pnl,
        tracker.fees_paid,
        {p.position_id: p for p in tracker.get_all_positions()},
        tracker.cash_movements(),
        tracker.recent_fills(),
    )


async def trade_a_little(pm: PortfolioManager) -> dict[str, str]:
    btc = await pm.create_position(
        "BTC/USDT", "long", "0.3", "41234.5", fee="1.25", tags="core, swing", client_id="o-1"
    )
    await pm.add_to_position(btc.position_id, "0.2", 43_000, fee="0.75")
    await pm.close_position(btc.position_id, "44100.10", size="0.125", fee="0.5")
    shib = await pm.create_position("SHIB/USDT", "long", 1_000_000, "0.00001234", fee="0.01")
    eth = await pm.create_position("ETH/USDT", "short", "1.5", 2_500, strategy="hedge")
    await pm.close_position(eth.position_id, "2400.5", fee="0.9")
    await pm.deposit("1234.56", note="salary")
    await pm.withdraw(100)
    await pm.set_position_tags(shib.position_id, ["meme", "small"])
    await pm.set_target_allocations({"BTC/USDT": 0.55, "ETH/USDT": 0.25})
    await pm.pause_portfolio("overnight")
    return {"btc": btc.position_id, "shib": shib.position_id, "eth": eth.position_id}


async def test_restart_restores_positions_lots_cash_realized_targets_status_and_tags(data_dir):
    async with manager_on(data_dir, initial_capital=100_000) as pm:
        ids = await trade_a_little(pm)
        before = ledger_state(pm)
        assert pm.get_position(ids["btc"]).lots  # partial close left FIFO lots open
    async with manager_on(data_dir, initial_capital=100_000) as again:
        assert ledger_state(again) == before
        assert again.restore_mismatches == ()
        assert again.status is PortfolioStatus.PAUSED
        assert again.status_reason == "overnight"
        assert again.config.target_allocations == {"BTC/USDT": 0.55, "ETH/USDT": 0.25}
        assert again.get_position(ids["shib"]).tags == ("meme", "small")
        assert again.get_position(ids["btc"]).tags == ("core", "swing")


async def test_the_stored_config_wins_over_the_constructor_for_persisted_settings(data_dir):
    async with manager_on(data_dir, max_drawdown_pct=7.5) as pm:
        await pm.update_config(rebalance_threshold_pct=12.0)
    async with PortfolioManager(quiet_config(), data_dir=data_dir) as again:
        assert again.config.max_drawdown_pct == 7.5
        assert again.config.rebalance_threshold_pct == 12.0


async def test_initial_capital_is_deposited_once_not_on_every_start(data_dir):
    async with manager_on(data_dir, initial_capital=5_000) as pm:
        assert pm.position_tracker.cash == D(5_000)
    async with manager_on(data_dir, initial_capital=5_000) as again:
        assert again.position_tracker.cash == D(5_000)
        assert len(again.position_tracker.cash_movements()) == 1


async def test_an_acknowledged_trade_is_committed_before_the_call_returns(data_dir):
    async with manager_on(data_dir) as pm:
        position = await pm.create_position("BTC/USDT", "long", 1, 100, client_id="seen-1")
        with raw_db(data_dir) as other_program:  # a separate connection sees committed data only
            row = other_program.execute(
                'SELECT "size", "price", "client_id" FROM "fill" WHERE "position_id" = ?',
                (position.position_id,),
            ).fetchone()
            stored = other_program.execute(
                'SELECT "size", "status" FROM "position" WHERE "position_id" = ?',
                (position.position_id,),
            ).fetchone()
    assert row == ("1", "100", "seen-1")
    assert stored == ("1", "open")


async def test_a_fill_and_its_position_commit_together_or_not_at_all(data_dir):
    async with manager_on(data_dir) as pm:
        position = await pm.create_position("BTC/USDT", "long", 1, 100)
        before = ledger_state(pm)
        with raw_db(data_dir) as db:  # the position write fails half-way through the trade
            db.execute(
                'CREATE TRIGGER "break_position" BEFORE UPDATE ON "position" '
                "BEGIN SELECT RAISE(ABORT, 'simulated disk trouble'); END"
            )
        with pytest.raises(StoreError, match="simulated disk trouble") as refused:
            await pm.close_position(position.position_id, 110, size="0.5")
        assert str(data_dir / "portfolio.db") in str(refused.value)
        assert ledger_state(pm) == before  # nothing booked in memory
        with raw_db(data_dir) as db:
            assert db.execute('SELECT COUNT(*) FROM "fill"').fetchone() == (1,)
            db.execute('DROP TRIGGER "break_position"')
        await pm.close_position(position.position_id, 110, size="0.5")  # next one books fine
    async with manager_on(data_dir) as again:
        assert again.get_position(position.position_id).size == D("0.5")
        assert again.restore_mismatches == ()


async def test_the_same_client_id_books_once_even_across_a_restart(data_dir):
    async with manager_on(data_dir) as pm:
        first = await pm.create_position("BTC/USDT", "long", 1, 100, client_id="order-7")
        closing = await pm.close_position(first.position_id, 120, size="0.5", client_id="cl-7")
    async with manager_on(data_dir) as again:
        repeat = await again.create_position("BTC/USDT", "long", 1, 100, client_id="order-7")
        repeat_close = await again.close_position(first.position_id, 120, client_id="cl-7")
        assert repeat.position_id == first.position_id
        assert repeat_close.fill.fill_id == closing.fill.fill_id
        assert len(again.get_open_positions()) == 1
        assert again.get_position(first.position_id).size == D("0.5")
        fills = await again.store.read_fills()
        assert [f.client_id for f in fills] == ["order-7", "cl-7"]


async def test_the_journal_tables_refuse_edits_and_deletes(data_dir):
    async with manager_on(data_dir) as pm:
        await pm.create_position("BTC/USDT", "long", 1, 100)
    with raw_db(data_dir) as db:
        for statement in (
            'UPDATE "fill" SET "size" = \'2\'',
            'DELETE FROM "fill"',
            'DELETE FROM "cash_movement"',
        ):
            with pytest.raises(Exception, match="append-only"):
                db.execute(statement)


async def test_store_journal_round_trip_keeps_every_value_exact(data_dir):
    async with manager_on(data_dir, initial_capital=100_000) as pm:
        await trade_a_little(pm)
        entries = [*pm.position_tracker.cash_movements(), *pm.position_tracker.recent_fills()]
    store = Store(data_dir)
    restored = await store.load()
    await store.close()
    assert restored is not None
    kinds = [type(entry) for entry in restored.entries]
    assert kinds.count(Fill) == 6 and kinds.count(CashMovement) == 3
    assert kinds.count(TagChange) == 1
    assert [entry.sequence for entry in restored.entries] == list(range(1, 11))
    by_id = {getattr(e, "fill_id", None) or getattr(e, "movement_id", None): e for e in entries}
    for entry in restored.entries:
        if not isinstance(entry, TagChange):
            original = by_id[getattr(entry, "fill_id", None) or entry.movement_id]
            assert entry == original  # Decimals, times to the microsecond, tags, client ids
    shib = next(e for e in restored.entries if isinstance(e, Fill) and e.symbol == "SHIB/USDT")
    assert shib.price == D("0.00001234") and shib.timestamp.tzinfo is not None


async def test_a_second_manager_on_a_memory_journal_has_no_store_or_folder():
    pm = PortfolioManager(quiet_config(), journal=MemoryJournal())
    assert pm.store is None and pm.data_dir is None


async def test_the_default_manager_persists_in_the_default_data_folder(
    _private_default_data_dir,
):
    async with PortfolioManager(quiet_config()) as pm:
        assert pm.data_dir == _private_default_data_dir.resolve()
        await pm.create_position("SOL/USDT", "long", 3, 150)
    async with PortfolioManager(quiet_config()) as again:
        assert [p.symbol for p in again.get_open_positions()] == ["SOL/USDT"]


async def test_writes_run_on_the_writer_thread_and_the_loop_keeps_running(data_dir):
    async with manager_on(data_dir) as pm:
        store = pm.store
        release = threading.Event()
        busy = asyncio.ensure_future(store._writer.run(release.wait))  # hold the writer
        trade = asyncio.ensure_future(pm.create_position("BTC/USDT", "long", 1, 100))
        ticks = 0
        while ticks < 20:  # the event loop is free while the disk work waits
            await asyncio.sleep(0)
            ticks += 1
        assert not trade.done()
        release.set()
        await busy
        position = await trade
        threads: list[str] = []
        await store._writer.run(lambda: threads.append(threading.current_thread().name))
    assert position.size == 1
    assert threads[0].startswith(WRITER_THREAD_NAME)


async def test_a_caller_cancelled_mid_write_still_finds_memory_and_file_agreeing(data_dir):
    async with manager_on(data_dir) as pm:
        store = pm.store
        release = threading.Event()
        busy = asyncio.ensure_future(store._writer.run(release.wait))
        trade = asyncio.ensure_future(pm.create_position("BTC/USDT", "long", 1, 100))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        trade.cancel()  # the write is queued on the writer thread; it cannot be called back
        release.set()
        await busy
        with pytest.raises(asyncio.CancelledError):
            await trade
        assert len(pm.get_open_positions()) == 1  # memory has what the file has
        await pm.create_position("ETH/USDT", "long", 1, 100)  # and the ledger goes on
    async with manager_on(data_dir) as again:
        assert again.restore_mismatches == ()
        assert len(again.get_open_positions()) == 2


async def test_a_liquidation_interrupted_by_a_crash_comes_back_paused(data_dir):
    async with manager_on(data_dir) as pm:
        await pm.create_position("BTC/USDT", "long", 1, 100)
        await pm.store.save_status("liquidating", "liquidation requested")  # as a crash leaves it
    async with manager_on(data_dir) as again:
        assert again.status is PortfolioStatus.PAUSED
        assert "interrupted" in again.status_reason
        assert await again.resume_portfolio()


async def test_times_are_stored_in_utc_text(data_dir):
    moment = datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    async with manager_on(data_dir) as pm:
        await pm.create_position("BTC/USDT", "long", 1, 100, timestamp=moment)
    with raw_db(data_dir) as db:
        (text,) = db.execute('SELECT "timestamp" FROM "fill"').fetchone()
    assert text == "2025-03-04T05:06:07.891011+00:00"


def one_bar(open_time: datetime, close: float, interval_s: int):
    """A one-row bar frame in the store's contract (open time index, OHLCV floats)."""
    index = pd.DatetimeIndex([open_time], name="timestamp")
    row = {"open": close, "high": close, "low": close, "close": close, "volume": 1.0}
    return pd.DataFrame({key: [value] for key, value in row.items()}, index=index)


async def test_a_restart_shows_the_last_stored_close_not_the_entry_price(data_dir):
    async with manager_on(data_dir) as pm:
        btc = await pm.create_position("BTC/USDT", "long", "0.1", 30_000)
        eth = await pm.create_position("ETH/USDT", "long", 2, 2_000)
        minute = btc.opened_at.replace(second=0, microsecond=0) + timedelta(minutes=1)
        hour = minute.replace(minute=0) - timedelta(hours=2)
        await pm.store.write_bars("BTC/USDT", one_bar(minute, 31_000.5, 60), interval_s=60)
        await pm.store.write_bars("BTC/USDT", one_bar(hour, 29_000.0, 3600), interval_s=3600)
        # ETH's only bar ended before its fill: the fill price is the newer price
        await pm.store.write_bars("ETH/USDT", one_bar(hour, 1_500.0, 3600), interval_s=3600)
        cash = pm.position_tracker.cash
    async with manager_on(data_dir) as again:
        tracker = again.position_tracker
        assert tracker.get_position(btc.position_id).current_price == D("31000.5")
        assert tracker.get_position(eth.position_id).current_price == D(2_000)
        summary = await again.get_portfolio_summary()
        assert summary["total_value"] == cash + D("3100.05") + D(4_000)
        assert summary["positions"]["total_unrealized_pnl"] == D("100.05")
