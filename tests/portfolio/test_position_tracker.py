"""Hand-computed ledger cases: long, short, scale-in, partial and full close, fees, lots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from desktop_app.portfolio import (
    FillKind,
    InvalidOrderError,
    LedgerIntegrityError,
    LotMethod,
    OrderSide,
    PositionStatus,
    PositionTracker,
    PositionType,
    UnknownPositionError,
)
from desktop_app.portfolio.lots import Lot, LotBook

T0 = datetime(2025, 1, 2, 12, 0, tzinfo=UTC)


def tracker_with_cash(amount: str = "10000") -> PositionTracker:
    tracker = PositionTracker()
    tracker.commit(tracker.prepare_cash(amount, note="initial capital", timestamp=T0))
    return tracker


def open_(tracker, symbol, kind, size, price, fee=0, **kw):
    effect = tracker.prepare_open(symbol, kind, size, price, fee=fee, **kw)
    return tracker.commit(effect), effect.fill


def reduce_(tracker, pid, price, size=None, fee=0, **kw):
    effect = tracker.prepare_reduce(pid, price, size, fee=fee, **kw)
    tracker.commit(effect)
    return effect.fill


def test_long_round_trip_realizes_price_difference_minus_fees():
    t = tracker_with_cash()
    pos, fill = open_(t, "BTC/USDT", PositionType.LONG, "0.5", "40000", fee="10")
    assert fill.side is OrderSide.BUY and fill.kind is FillKind.OPEN
    assert t.cash == D("10000") - D("20000") - D("10")  # cash can go negative: margin
    assert pos.realized_pnl == D("-10")  # the opening fee is realized when paid
    close = reduce_(t, pos.position_id, "42000", fee="10.5")
    assert close.kind is FillKind.CLOSE and close.side is OrderSide.SELL
    assert close.realized_pnl == D("0.5") * (D("42000") - D("40000")) - D("10.5")  # 989.5
    closed = t.get_position(pos.position_id)
    assert closed.status is PositionStatus.CLOSED
    assert closed.realized_pnl == D("979.5")
    assert closed.fees_paid == D("20.5")
    assert closed.exit_price == D("42000")
    assert closed.entry_price == D("40000")
    assert t.cash == D("10979.5")
    assert t.realized_pnl == D("979.5")


def test_short_profits_when_price_falls_and_is_negative_market_value():
    t = tracker_with_cash()
    pos, fill = open_(t, "ETH/USDT", "short", 2, 3000, fee=3)
    assert fill.side is OrderSide.SELL and pos.position_type is PositionType.SHORT
    assert t.cash == D("10000") + D("6000") - D("3")
    t.update_prices({"ETH/USDT": "2500"})
    marked = t.get_position(pos.position_id)
    assert marked.market_value == D("-5000")
    assert marked.unrealized_pnl == D("1000")  # (3000 - 2500) * 2
    assert t.equity() == D("15997") - D("5000")  # cash + signed market value
    realized = reduce_(t, pos.position_id, 2500, size=1, fee="1.25").realized_pnl
    assert realized == D("500") - D("1.25")
    assert t.get_position(pos.position_id).status is PositionStatus.PARTIAL
    assert t.get_position(pos.position_id).unrealized_pnl == D("500")


def test_scale_in_moves_average_cost_and_partial_close_keeps_it():
    t = tracker_with_cash("100000")
    pos, _ = open_(t, "SOL/USDT", PositionType.LONG, 10, 100)
    effect = t.prepare_add(pos.position_id, 30, 120, fee=2)
    assert effect.fill.kind is FillKind.ADD
    t.commit(effect)
    scaled = t.get_position(pos.position_id)
    assert scaled.size == D(40)
    assert scaled.entry_price == D(115)  # (10*100 + 30*120) / 40
    assert scaled.cost_basis == D(4600)
    fill = reduce_(t, pos.position_id, 130, size=10)
    assert fill.realized_pnl == D(150)  # (130 - 115) * 10
    after = t.get_position(pos.position_id)
    assert after.entry_price == D(115)
    assert after.size == D(30)
    assert after.status is PositionStatus.PARTIAL
    assert after.realized_pnl == D(148)  # 150 minus the 2 fee of the add


def test_partial_close_pro_rata_cost_keeps_totals_exact_with_repeating_fractions():
    t = tracker_with_cash()
    pos, _ = open_(t, "ADA/USDT", "long", 3, 1)
    t.commit(t.prepare_add(pos.position_id, 3, 2))  # average 1.5
    pnls = [reduce_(t, pos.position_id, 1, size=D(1)).realized_pnl for _ in range(6)]
    assert sum(pnls) == D(-3)  # paid 9, received 6: exact despite thirds of cost basis
    assert t.get_position(pos.position_id).status is PositionStatus.CLOSED


def test_shib_million_units_at_tiny_price_do_not_drift():
    t = tracker_with_cash()
    pos, _ = open_(t, "SHIB/USDT", "long", 1_000_000, 0.00001)
    t.update_prices({"SHIB/USDT": 0.000012})
    assert t.get_position(pos.position_id).unrealized_pnl == D("2")
    assert t.get_position(pos.position_id).market_value == D("12")


def test_fifo_lots_record_each_disposal_with_its_acquisition():
    t = tracker_with_cash("100000")
    pos, first = open_(t, "BTC/USDT", "long", 1, 100, fee=1, timestamp=T0)
    add = t.prepare_add(pos.position_id, 1, 200, fee=2, timestamp=T0 + timedelta(days=1))
    t.commit(add)
    effect = t.prepare_reduce(pos.position_id, 300, "1.5", fee=3, timestamp=T0 + timedelta(days=2))
    t.commit(effect)
    d1, d2 = effect.disposals
    assert d1.lot_id == first.fill_id and d1.size == D(1) and d1.cost == D(100)
    assert d1.proceeds == D(300) and d1.fee == D(1) + D(2)  # open fee + 1/1.5 of close fee
    assert d1.gain == D(300) - D(100) - D(3)
    assert d2.lot_id == add.fill.fill_id and d2.size == D("0.5") and d2.cost == D(100)
    assert d2.fee == D(1) + D(1)  # half the add's fee + the rest of the close fee
    assert d1.fee + d2.fee == D(1) + D(1) + D(3)  # open fee, half the add fee, close fee
    remaining = t.get_position(pos.position_id).lots
    assert len(remaining) == 1 and remaining[0].size == D("0.5") and remaining[0].fee == D(1)


@pytest.mark.parametrize(
    ("method", "first_cost"),
    [(LotMethod.FIFO, D(100)), (LotMethod.LIFO, D(300)), (LotMethod.HIFO, D(300))],
)
def test_lot_methods_pick_the_promised_lot(method, first_cost):
    book = LotBook(
        method,
        (
            Lot("a", T0, D(1), D(100), D(0)),
            Lot("b", T0 + timedelta(days=1), D(1), D(50), D(0)),
            Lot("c", T0 + timedelta(days=2), D(1), D(300), D(0)),
        ),
    )
    (disposal,) = book.dispose(D(1), D(400), D(0), T0 + timedelta(days=3), "x")
    assert disposal.cost == first_cost


def test_average_lot_method_costs_every_unit_at_the_pool_average():
    book = LotBook(
        LotMethod.AVERAGE,
        (Lot("a", T0, D(1), D(100), D(0)), Lot("b", T0, D(1), D(300), D(0))),
    )
    (disposal,) = book.dispose(D(1), D(250), D(0), T0, "x")
    assert disposal.entry_price == D(200) and disposal.gain == D(50)


def test_closed_positions_are_listed_newest_first_and_filtered_by_symbol():
    t = tracker_with_cash("1000000")
    ids = []
    for symbol in ("BTC/USDT", "ETH/USDT", "BTC/USDT"):
        pos, _ = open_(t, symbol, "long", 1, 10)
        reduce_(t, pos.position_id, 11)
        ids.append(pos.position_id)
    assert [p.position_id for p in t.get_closed_positions()] == ids[::-1]
    assert [p.position_id for p in t.get_closed_positions(symbol="BTC/USDT")] == [ids[2], ids[0]]
    assert [p.position_id for p in t.get_closed_positions(limit=1)] == [ids[2]]


@pytest.mark.parametrize(
    ("size", "price", "fragment"),
    [
        (float("nan"), 1, "finite"),
        (float("inf"), 1, "finite"),
        (0, 1, "greater than zero"),
        (-1, 1, "greater than zero"),
        (1, 0, "greater than zero"),
        (1, "abc", "must be a number"),
        (True, 1, "must be a number"),
    ],
)
def test_bad_numbers_are_refused_with_a_clear_message(size, price, fragment):
    t = tracker_with_cash()
    with pytest.raises(InvalidOrderError, match=fragment):
        t.prepare_open("BTC/USDT", "long", size, price)
    assert t.sequence == 1  # nothing booked


@pytest.mark.parametrize("symbol", ["BTCUSDT", "BTC/", "/USDT", "BTC/BTC", "btc usdt", 42])
def test_symbols_must_be_base_slash_quote(symbol):
    with pytest.raises(InvalidOrderError, match="BASE/QUOTE|trading pair|text"):
        tracker_with_cash().prepare_open(symbol, "long", 1, 1)


def test_symbol_in_another_quote_currency_is_refused():
    with pytest.raises(InvalidOrderError, match="quoted in BTC"):
        tracker_with_cash().prepare_open("ETH/BTC", "long", 1, 1)


def test_lowercase_symbol_is_normalised():
    pos, _ = open_(tracker_with_cash(), "eth/usdt", "long", 1, 1)
    assert pos.symbol == "ETH/USDT"


def test_closing_more_than_is_open_is_refused():
    t = tracker_with_cash()
    pos, _ = open_(t, "BTC/USDT", "long", 1, 10)
    with pytest.raises(InvalidOrderError, match="only 1 is open"):
        t.prepare_reduce(pos.position_id, 10, 2)


def test_unknown_and_closed_positions_are_refused():
    t = tracker_with_cash()
    with pytest.raises(UnknownPositionError, match="no position"):
        t.prepare_reduce("nope", 1)
    pos, _ = open_(t, "BTC/USDT", "long", 1, 10)
    reduce_(t, pos.position_id, 10)
    with pytest.raises(InvalidOrderError, match="already closed"):
        t.prepare_add(pos.position_id, 1, 10)


def test_withdrawal_beyond_cash_is_refused():
    t = tracker_with_cash("100")
    with pytest.raises(InvalidOrderError, match="only 100.00 is available"):
        t.prepare_cash("-100.01")
    assert t.cash == D(100)


def test_stale_effect_cannot_be_committed():
    t = tracker_with_cash()
    first = t.prepare_open("BTC/USDT", "long", 1, 10)
    second = t.prepare_open("ETH/USDT", "long", 1, 10)
    t.commit(first)
    with pytest.raises(LedgerIntegrityError, match="prepare it again"):
        t.commit(second)


def test_replay_rebuilds_identical_positions_and_cash():
    t = tracker_with_cash()
    entries = list(t.cash_movements())
    pos, fill = open_(t, "BTC/USDT", "long", 2, 100, fee=1)
    entries.append(fill)
    effect = t.prepare_reduce(pos.position_id, 110, 1, fee=1)
    t.commit(effect)
    entries.append(effect.fill)
    retag = t.prepare_retag(pos.position_id, "swing, core")
    t.commit(retag)
    entries.append(retag.entry)
    copy = PositionTracker()
    copy.replay(entries)
    assert copy.get_position(pos.position_id) == t.get_position(pos.position_id)
    assert copy.get_position(pos.position_id).tags == ("swing", "core")
    assert copy.cash == t.cash
    assert copy.realized_pnl == t.realized_pnl


def test_replay_detects_a_tampered_fill():
    t = tracker_with_cash()
    entries = list(t.cash_movements())
    pos, fill = open_(t, "BTC/USDT", "long", 2, 100)
    effect = t.prepare_reduce(pos.position_id, 110, 1)
    t.commit(effect)
    from dataclasses import replace

    entries += [fill, replace(effect.fill, realized_pnl=D("999"))]
    with pytest.raises(LedgerIntegrityError, match="realized P&L"):
        PositionTracker().replay(entries)


def test_update_prices_is_all_or_nothing():
    t = tracker_with_cash()
    t.update_prices({"BTC/USDT": 100})
    with pytest.raises(InvalidOrderError, match="price of ETH/USDT"):
        t.update_prices({"BTC/USDT": 200, "ETH/USDT": -1})
    assert t.last_price("BTC/USDT") == D(100)


def test_open_states_pair_each_open_position_with_its_last_price():
    tracker = tracker_with_cash("100000")
    for symbol, side, size, price in (
        ("BTC/USDT", "long", "0.5", "60000"),
        ("ETH/USDT", "short", "3", "3000"),
        ("BTC/USDT", "long", "0.1", "61000"),
    ):
        tracker.commit(tracker.prepare_open(symbol, side, size, price))
    closed = tracker.prepare_open("SOL/USDT", "long", "1", "150")
    tracker.commit(closed)
    tracker.commit(tracker.prepare_reduce(closed.entry.position_id, "151"))
    tracker.update_prices({"BTC/USDT": "62000", "ETH/USDT": "2900"})
    states = {p.position_id: (p, price) for p, price in tracker.open_states()}
    marked = {p.position_id: p for p in tracker.get_all_open_positions()}
    assert states.keys() == marked.keys()  # the closed SOL position is not among them
    for position_id, (position, price) in states.items():
        assert price == marked[position_id].current_price
        assert position.sign * position.size * price == marked[position_id].market_value


def marked_totals(tracker: PositionTracker) -> dict[str, D]:
    """The summary's totals recomputed position by position from marked snapshots."""
    positions = tracker.get_all_open_positions()
    market_value = sum((p.market_value for p in positions), D(0))
    return {
        "count": D(len(positions)),
        "total_market_value": market_value,
        "long_exposure": sum((p.market_value for p in positions if p.sign > 0), D(0)),
        "short_exposure": -sum((p.market_value for p in positions if p.sign < 0), D(0)),
        "total_unrealized_pnl": sum((p.unrealized_pnl for p in positions), D(0)),
        "total_cost_basis": sum((p.cost_basis for p in positions), D(0)),
        "equity": tracker.cash + market_value,
    }


def test_summary_follows_every_trade_and_price_batch_exactly():
    tracker = tracker_with_cash("1000000")
    opened = []
    for symbol, side, size, price in (
        ("BTC/USDT", "long", "0.5", "60000.12"),
        ("BTC/USDT", "short", "0.2", "60100"),
        ("ETH/USDT", "short", "3.333", "3000.7"),
        ("SOL/USDT", "long", "12.5", "150.01"),  # never priced by a batch: its own price
    ):
        effect = tracker.prepare_open(symbol, side, size, price, fee="1.5")
        tracker.commit(effect)
        opened.append(effect.entry.position_id)
    snapshots = []
    for step, prices in enumerate(
        ({"BTC/USDT": "61000.5", "ETH/USDT": "2950"}, {"BTC/USDT": "59000", "ETH/USDT": "3100"})
    ):
        tracker.update_prices(prices)
        snapshots.append(tracker.get_portfolio_summary())
        if step == 0:  # a partial close and a scale-in between the batches
            tracker.commit(tracker.prepare_reduce(opened[0], "61000.5", "0.1"))
            tracker.commit(tracker.prepare_add(opened[2], "1", "2950"))
        summary = tracker.get_portfolio_summary()
        expected = marked_totals(tracker)
        assert {key: D(summary[key]) for key in expected} == expected
        assert summary["by_symbol"]["SOL/USDT"]["price"] == D("150.01")
        assert summary["by_symbol"]["BTC/USDT"]["net_size"] == D("0.2")
        assert tracker.equity() == expected["equity"]
    assert snapshots[0]["equity"] != snapshots[1]["equity"]  # a new batch is a new summary
    snapshots[1]["by_symbol"]["BTC/USDT"]["count"] = 99  # each caller has its own copy
    assert tracker.get_portfolio_summary()["by_symbol"]["BTC/USDT"]["count"] == 2
