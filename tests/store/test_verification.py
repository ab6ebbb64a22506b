"""At start-up the stored positions are checked against a replay; differences are reported
loudly with both values and never "fixed"."""

from __future__ import annotations

import logging
from decimal import Decimal as D

import pytest

from desktop_app.portfolio import LedgerIntegrityError

from .conftest import manager_on, raw_db


async def book_two_positions(data_dir) -> tuple[str, str]:
    async with manager_on(data_dir) as pm:
        btc = await pm.create_position("BTC/USDT", "long", "0.2", 40_000, fee=2)
        await pm.close_position(btc.position_id, 41_000, size="0.05", fee=1)
        eth = await pm.create_position("ETH/USDT", "short", 1, 2_000)
    return btc.position_id, eth.position_id


async def reopen_and_collect_errors(data_dir):
    errors: list[dict] = []
    pm = manager_on(data_dir)
    pm.register_callback("error", errors.append)
    await pm.initialize()
    return pm, errors


async def test_a_tampered_position_is_reported_with_both_values_and_not_fixed(data_dir, caplog):
    btc_id, _ = await book_two_positions(data_dir)
    with raw_db(data_dir) as db:
        db.execute('UPDATE "position" SET "size" = \'9\' WHERE "position_id" = ?', (btc_id,))
    with caplog.at_level(logging.ERROR):
        pm, errors = await reopen_and_collect_errors(data_dir)
    try:
        assert len(errors) == 1
        report = errors[0]
        assert report["source"] == "ledger-verification"
        assert str(data_dir / "portfolio.db") in report["message"]
        (mismatch,) = report["mismatches"]
        assert mismatch.what == f"position {btc_id[:8]} (BTC/USDT) size"
        assert (mismatch.stored, mismatch.replayed) == (D(9), D("0.15"))
        assert "stored 9, replay gives 0.15" in caplog.text
        assert pm.restore_mismatches == (mismatch,)
        assert pm.get_position(btc_id).size == D("0.15")  # the engine runs on the replay
    finally:
        await pm.shutdown()
    with raw_db(data_dir) as db:  # and the stored value is still there for inspection
        stored = db.execute(
            'SELECT "size" FROM "position" WHERE "position_id" = ?', (btc_id,)
        ).fetchone()
    assert stored == ("9",)


async def test_tampered_lots_cash_and_a_missing_position_are_each_reported(data_dir):
    btc_id, eth_id = await book_two_positions(data_dir)
    with raw_db(data_dir) as db:
        db.execute('UPDATE "position" SET "lots" = \'[]\' WHERE "position_id" = ?', (btc_id,))
        db.execute('DELETE FROM "position" WHERE "position_id" = ?', (eth_id,))
        db.execute('UPDATE "ledger_state" SET "cash" = \'1000000\'')
    pm, errors = await reopen_and_collect_errors(data_dir)
    await pm.shutdown()
    found = {m.what: (m.stored, m.replayed) for m in errors[0]["mismatches"]}
    assert found["cash"] == (D(1_000_000), pm.position_tracker.cash)
    assert found[f"position {eth_id[:8]} (ETH/USDT)"] == ("missing", "present")
    stored_lots, replayed_lots = found[f"position {btc_id[:8]} (BTC/USDT) lots"]
    assert stored_lots == () and len(replayed_lots) == 1


async def test_equal_values_written_differently_are_not_a_mismatch(data_dir):
    btc_id, _ = await book_two_positions(data_dir)
    with raw_db(data_dir) as db:  # 0.15 and 0.1500 are the same amount
        db.execute('UPDATE "position" SET "size" = \'0.1500\' WHERE "position_id" = ?', (btc_id,))
    pm, errors = await reopen_and_collect_errors(data_dir)
    await pm.shutdown()
    assert errors == [] and pm.restore_mismatches == ()


async def test_a_fill_whose_stored_pnl_contradicts_the_replay_stops_the_start(data_dir):
    await book_two_positions(data_dir)
    with raw_db(data_dir) as db:
        db.execute('DROP TRIGGER "fill_append_only_update"')
        db.execute('UPDATE "fill" SET "realized_pnl" = \'5000\' WHERE "kind" = \'reduce\'')
    pm = manager_on(data_dir)
    with pytest.raises(LedgerIntegrityError, match="booked with realized P&L 5000") as stopped:
        await pm.initialize()
    assert str(data_dir / "portfolio.db") in str(stopped.value)
    await pm.shutdown()


async def test_a_gap_in_the_journal_stops_the_start(data_dir):
    await book_two_positions(data_dir)
    with raw_db(data_dir) as db:
        db.execute('DROP TRIGGER "fill_append_only_delete"')
        db.execute('DELETE FROM "fill" WHERE "kind" = \'reduce\'')
    pm = manager_on(data_dir)
    with pytest.raises(LedgerIntegrityError, match="skips or repeats entry 3") as stopped:
        await pm.initialize()
    assert str(data_dir / "portfolio.db") in str(stopped.value)
    await pm.shutdown()
