"""Realized gains per lot method, pooled per asset across positions, and the tax CSV."""

from __future__ import annotations

import csv
from datetime import timedelta
from decimal import Decimal as D

import pytest

from desktop_app.portfolio import Lot, LotMethod
from desktop_app.portfolio.lots import LotBook
from desktop_app.portfolio.realized_gains import (
    CSV_COLUMNS,
    realized_gains,
    write_realized_gains_csv,
)

from .analytics_helpers import DAY, T0, Ledger


def three_buys_three_sales() -> Ledger:
    """Buy BTC at 100, 300, 200 (fees 1, 3, 2) in three positions; sell the second at 400
    (fee 4), the first at 250 (fee 2), the third at 150 (fee 1)."""
    book = Ledger(10_000, T0)
    first = book.open("BTC/USDT", "long", 1, 100, T0, fee=1)
    second = book.open("BTC/USDT", "long", 1, 300, T0 + DAY, fee=3)
    third = book.open("BTC/USDT", "long", 1, 200, T0 + 2 * DAY, fee=2)
    book.close(second, 400, T0 + 3 * DAY, fee=4)
    book.close(first, 250, T0 + 4 * DAY, fee=2)
    book.close(third, 150, T0 + 5 * DAY, fee=1)
    return book


@pytest.mark.parametrize(
    ("method", "costs", "gains", "acquired_days"),
    [
        (LotMethod.FIFO, [100, 300, 200], [295, -55, -53], [0, 1, 2]),
        (LotMethod.LIFO, [200, 300, 100], [194, -55, 48], [2, 1, 0]),
        (LotMethod.HIFO, [300, 200, 100], [93, 46, 48], [1, 2, 0]),
        (LotMethod.AVERAGE, [200, 200, 200], [195, 45, -53], [0, 1, 2]),
    ],
)
def test_each_method_matches_sales_to_purchases_of_the_asset_across_positions(
    method, costs, gains, acquired_days
):
    report = realized_gains(three_buys_three_sales().fills, method)
    assert [row.cost_basis for row in report.rows] == [D(c) for c in costs]
    assert [row.gain for row in report.rows] == [D(g) for g in gains]
    assert [row.date_acquired for row in report.rows] == [T0 + d * DAY for d in acquired_days]
    assert [row.proceeds for row in report.rows] == [D(400), D(250), D(150)]
    assert all(row.asset == "BTC" and row.method is method for row in report.rows)
    assert report.totals.gain == D(187) and report.totals.disposals == 3


def test_every_method_totals_the_ledgers_realized_pnl_once_everything_is_closed():
    book = three_buys_three_sales()
    realized = book.tracker.realized_pnl
    assert realized == D(187)
    for method in LotMethod:
        assert realized_gains(book.fills, method).totals.gain == realized


def test_while_a_lot_is_open_its_purchase_fee_is_realized_by_the_ledger_but_not_yet_taxed():
    book = Ledger(10_000, T0)
    first = book.open("BTC/USDT", "long", 1, 100, T0, fee=1)
    book.open("BTC/USDT", "long", 1, 100, T0 + DAY, fee=1)
    book.close(first, 110, T0 + 2 * DAY, fee=1)
    report = realized_gains(book.fills, LotMethod.FIFO)
    assert report.totals.gain == D(8)  # 110 - 100 - fees 1 + 1
    assert book.tracker.realized_pnl == D(7)  # the open lot's fee is realized already
    assert book.tracker.realized_pnl - report.totals.gain == -D(1)


def test_shorts_are_matched_in_their_own_pool_with_the_sale_as_proceeds():
    book = Ledger(10_000, T0)
    book.open("ETH/USDT", "long", 1, 45, T0)  # a long pool that must not be touched
    short = book.open("ETH/USDT", "short", 1, 50, T0 + DAY, fee="0.5")
    book.close(short, 40, T0 + 2 * DAY, fee="0.5")
    (row,) = realized_gains(book.fills, LotMethod.FIFO).rows
    assert row.is_short and row.asset == "ETH"
    assert (row.proceeds, row.cost_basis, row.fee, row.gain) == (D(50), D(40), D(1), D(9))
    assert row.date_acquired == T0 + DAY


def test_a_partial_sale_splits_the_lots_and_their_fees_pro_rata():
    book = Ledger(10_000, T0)
    position = book.open("BTC/USDT", "long", 2, 100, T0, fee=2)
    book.close(position, 120, T0 + DAY, size="0.5", fee="0.5")
    (row,) = realized_gains(book.fills, LotMethod.FIFO).rows
    assert row.quantity == D("0.5") and row.cost_basis == D(50) and row.proceeds == D(60)
    assert row.fee == D("0.5") + D("0.5") and row.gain == D(9)


def test_holding_more_than_a_year_is_long_term_and_the_window_filters_by_sale_date():
    book = Ledger(10_000, T0)
    a = book.open("BTC/USDT", "long", 1, 100, T0)
    b = book.open("BTC/USDT", "long", 1, 100, T0)
    book.close(a, 150, T0 + 200 * DAY)
    book.close(b, 180, T0 + 400 * DAY)
    report = realized_gains(book.fills, LotMethod.FIFO)
    assert [row.term for row in report.rows] == ["short", "long"]
    assert report.totals.short_term_gain == D(50) and report.totals.long_term_gain == D(80)
    later = realized_gains(book.fills, LotMethod.FIFO, start=T0 + 300 * DAY)
    assert [row.gain for row in later.rows] == [D(80)]


def test_the_tax_csv_has_one_row_per_disposal_with_plain_decimals_and_utc_dates(tmp_path):
    report = realized_gains(three_buys_three_sales().fills, LotMethod.HIFO)
    path = write_realized_gains_csv(report, tmp_path / "gains.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [row["gain"] for row in rows] == ["93", "46", "48"]
    assert rows[0]["date_acquired_utc"] == "2024-01-02 00:00:00"
    assert rows[0]["date_sold_utc"] == "2024-01-04 00:00:00"
    assert {row["method"] for row in rows} == {"hifo"} and rows[0]["currency"] == "USDT"
    assert sum(D(row["gain"]) for row in rows) == D(187)


def test_a_sale_without_a_known_purchase_is_left_out_with_a_note():
    book = three_buys_three_sales()
    sales_only = [fill for fill in book.fills if not fill.kind.increases]
    report = realized_gains(sales_only, LotMethod.FIFO)
    assert report.rows == () and len(report.notes) == 3


def test_average_cost_keeps_the_pool_average_after_a_sale():
    book = LotBook(
        LotMethod.AVERAGE,
        (Lot("a", T0, D(1), D(100), D(0)), Lot("b", T0 + DAY, D(1), D(200), D(0))),
    )
    first = book.dispose(D(1), D(150), D(0), T0 + 2 * DAY, "x")
    book.add(Lot("c", T0 + 3 * DAY, D(2), D(300), D(0)))
    second = book.dispose(D(3), D(300), D(0), T0 + 4 * DAY, "y")
    assert [d.cost for d in first] == [D(150)]
    # the unit left still costs 150; with 2 at 300 the average becomes 250
    assert sum(d.cost for d in second) == D(750)
    assert sum(d.cost for d in first + second) == D(100 + 200 + 600)
    assert {d.acquired_at for d in second} == {T0 + DAY, T0 + 3 * DAY}
    assert timedelta(0) < second[0].disposed_at - second[0].acquired_at
