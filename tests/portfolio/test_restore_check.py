"""The start-up comparison of stored derived state with a replay of the journal."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

from desktop_app.portfolio import PositionTracker
from desktop_app.portfolio.journal import RestoredLedger
from desktop_app.portfolio.restore_check import compare_with_replay


def booked_tracker() -> tuple[PositionTracker, list]:
    tracker = PositionTracker()
    entries = []

    def book(effect) -> None:
        tracker.commit(effect)
        entries.append(effect.entry)

    book(tracker.prepare_cash(1_000))
    book(tracker.prepare_open("BTC/USDT", "long", 2, 100, fee=1))
    book(tracker.prepare_reduce(entries[-1].position_id, 120, 1))
    return tracker, entries


def replayed(entries) -> PositionTracker:
    tracker = PositionTracker()
    tracker.replay(entries)
    return tracker


def test_state_that_matches_the_replay_reports_nothing():
    live, entries = booked_tracker()
    stored = {p.position_id: p for p in live.get_all_positions()}
    restored = RestoredLedger(tuple(entries), positions=stored, cash=live.cash, last_sequence=3)
    assert compare_with_replay(restored, replayed(entries)) == []


def test_a_marked_price_is_not_a_ledger_fact_but_every_other_field_is():
    live, entries = booked_tracker()
    (position,) = live.get_all_positions()
    stored = {position.position_id: replace(position, current_price=D(999), realized_pnl=D(5))}
    restored = RestoredLedger(tuple(entries), positions=stored, cash=D(1), last_sequence=4)
    found = {
        m.what: (m.stored, m.replayed) for m in compare_with_replay(restored, replayed(entries))
    }
    assert found == {
        "last journal entry": (4, 3),
        "cash": (D(1), live.cash),
        f"position {position.position_id[:8]} (BTC/USDT) realized_pnl": (D(5), D(19)),
    }


def test_a_journal_that_stores_no_state_has_nothing_to_compare():
    _, entries = booked_tracker()
    assert compare_with_replay(RestoredLedger(tuple(entries)), replayed(entries)) == []
