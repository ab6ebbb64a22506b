"""The grid models: Qt model contract, live prices without resets, sorting on values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt

from desktop_app.portfolio import PositionTracker, PositionType
from desktop_app.ui.bridge import PriceFlush
from desktop_app.ui.dialogs.allocations import AllocationModel
from desktop_app.ui.event_log import Category, EventLogModel, Level, LogEntry
from desktop_app.ui.models.columns import SORT_ROLE, VALUE_ROLE, FilterProxy
from desktop_app.ui.models.history_model import ClosedPositionsModel, DateRangeProxy, FillsModel
from desktop_app.ui.models.positions_model import PositionsModel

T0 = datetime(2025, 1, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def tracker() -> PositionTracker:
    """A real ledger with open, partly closed and closed positions."""
    ledger = PositionTracker("USDT")
    ledger.commit(ledger.prepare_cash(Decimal(100_000), timestamp=T0))

    def open_(symbol, side, size, price, minutes, **kw):
        effect = ledger.prepare_open(
            symbol, side, size, price, timestamp=T0 + timedelta(minutes=minutes), **kw
        )
        return ledger.commit(effect)

    btc = open_("BTC/USDT", PositionType.LONG, "0.5", 60000, 1, strategy="trend", tags="core")
    open_("ETH/USDT", PositionType.LONG, "4", 3000, 2, strategy="trend")
    open_("SHIB/USDT", PositionType.LONG, 100_000_000, "0.00001", 3, tags="meme")
    sol = open_("SOL/USDT", PositionType.SHORT, 40, 150, 4, strategy="hedge")
    xrp = open_("XRP/USDT", PositionType.LONG, 5000, "0.5", 5)
    ledger.commit(
        ledger.prepare_reduce(btc.position_id, 62000, "0.2", timestamp=T0 + timedelta(hours=1))
    )
    ledger.commit(ledger.prepare_reduce(xrp.position_id, "0.55", timestamp=T0 + timedelta(days=2)))
    ledger.commit(ledger.prepare_reduce(sol.position_id, 140, timestamp=T0 + timedelta(days=3)))
    ledger.update_prices({"BTC/USDT": 61000, "ETH/USDT": 3100, "SHIB/USDT": "0.000011"})
    return ledger


def positions_model(tracker: PositionTracker) -> PositionsModel:
    model = PositionsModel()
    model.load(tracker.get_all_open_positions(), tracker.equity())
    return model


def test_positions_model_honours_the_qt_model_contract(qtmodeltester, tracker):
    qtmodeltester.check(positions_model(tracker))


def test_history_models_honour_the_qt_model_contract(qtmodeltester, tracker):
    closed = ClosedPositionsModel()
    closed.load(tracker.get_closed_positions())
    qtmodeltester.check(closed)
    fills = FillsModel()
    fills.load(tracker.recent_fills())
    qtmodeltester.check(fills)


def test_event_log_and_allocation_models_honour_the_qt_model_contract(qtmodeltester):
    log = EventLogModel()
    for number in range(3):
        log.upsert(LogEntry(f"event {number}", Level.WARNING, Category.RISK), at_top=True)
    qtmodeltester.check(log)
    allocations = AllocationModel()
    allocations.load({"BTC/USDT": 0.6, "ETH/USDT": 0.3}, {"BTC/USDT": Decimal("0.55")})
    qtmodeltester.check(allocations)


def cell(model, row: int, key: str, role=Qt.ItemDataRole.DisplayRole):
    return model.data(model.index(row, model.column_index(key)), role)


def test_rows_show_per_symbol_precision_and_signed_pnl(tracker):
    model = positions_model(tracker)
    shib = model.row_of(tracker.get_all_open_positions("SHIB/USDT")[0].position_id)
    btc = model.row_of(tracker.get_all_open_positions("BTC/USDT")[0].position_id)
    assert cell(model, shib, "last_price") == "0.00001100"
    assert cell(model, shib, "size") == "100,000,000"
    assert cell(model, btc, "size") == "0.300000"
    assert cell(model, btc, "unrealized_pnl") == "+300.00"
    assert cell(model, btc, "unrealized_pnl_pct") == "+1.67 %"
    alignment = cell(model, btc, "market_value", Qt.ItemDataRole.TextAlignmentRole)
    assert alignment & Qt.AlignmentFlag.AlignRight


def test_price_flush_emits_one_data_changed_and_never_resets(qtbot, tracker):
    model = positions_model(tracker)
    changes, resets = [], []
    model.dataChanged.connect(lambda top, bottom, _roles: changes.append((top, bottom)))
    model.modelReset.connect(lambda: resets.append(True))
    flush = PriceFlush(
        prices={"BTC/USDT": Decimal(63000), "SHIB/USDT": Decimal("0.000012")},
        direction={"BTC/USDT": 1, "SHIB/USDT": 1},
        timestamp=datetime.now(UTC),
        equity=Decimal(101_000),
        total_unrealized_pnl=Decimal(0),
        batches=25,
    )
    model.apply_prices(flush)
    assert len(changes) == 1 and not resets
    top, bottom = changes[0]
    live = [n for n, c in enumerate(model.columns) if c.live]
    assert (top.column(), bottom.column()) == (min(live), max(live))
    btc = model.row_of(tracker.get_all_open_positions("BTC/USDT")[0].position_id)
    assert cell(model, btc, "unrealized_pnl") == "+900.00"


def test_proxy_sorts_on_values_not_text(tracker):
    model = positions_model(tracker)
    proxy = FilterProxy()
    proxy.setSourceModel(model)
    column = model.column_index("market_value")
    proxy.sort(column, Qt.SortOrder.DescendingOrder)
    values = [proxy.data(proxy.index(r, column), SORT_ROLE) for r in range(proxy.rowCount())]
    assert values == sorted(values, reverse=True)
    # "12,400.00" sorts above "1,100.00" although "1" < "9" as text
    texts = [proxy.data(proxy.index(r, column)) for r in range(proxy.rowCount())]
    assert texts[0] == "18,300.00"


def test_filter_matches_every_typed_word_across_text_columns(tracker):
    model = positions_model(tracker)
    proxy = FilterProxy()
    proxy.setSourceModel(model)
    proxy.set_filter_words("trend long")
    assert proxy.rowCount() == 2
    proxy.set_filter_words("meme")
    assert [proxy.data(proxy.index(0, 0))] == ["SHIB/USDT"]
    proxy.set_filter_words("")
    assert proxy.rowCount() == 3


def test_closing_a_position_removes_its_row_only(tracker):
    model = positions_model(tracker)
    removed = []
    model.rowsRemoved.connect(lambda *_: removed.append(True))
    eth = tracker.get_all_open_positions("ETH/USDT")[0]
    tracker.commit(tracker.prepare_reduce(eth.position_id, 3200))
    model.position_changed(tracker.get_position(eth.position_id))
    assert removed == [True]
    assert model.get(eth.position_id) is None and model.row_count() == 2


def test_history_date_range_keeps_only_records_inside(tracker):
    closed = ClosedPositionsModel()
    closed.load(tracker.get_closed_positions())
    proxy = DateRangeProxy()
    proxy.setSourceModel(closed)
    assert proxy.rowCount() == 2
    proxy.set_range(T0 + timedelta(days=2, hours=12), T0 + timedelta(days=4))
    assert proxy.rowCount() == 1
    assert proxy.data(proxy.index(0, closed.column_index("symbol"))) == "SOL/USDT"


def test_closed_positions_show_return_on_entry_value(tracker):
    closed = ClosedPositionsModel()
    closed.load(tracker.get_closed_positions())
    row = next(n for n, p in enumerate(closed.rows()) if p.symbol == "XRP/USDT")
    assert cell(closed, row, "realized_pnl") == "+250.00"
    assert cell(closed, row, "return_pct") == "+10.00 %"
    assert cell(closed, row, "held") == "1 d 23 h"  # opened 5 min after T0


def test_export_rows_keep_full_precision(tracker):
    model = positions_model(tracker)
    shib = model.get(tracker.get_all_open_positions("SHIB/USDT")[0].position_id)
    row = dict(zip(model.export_header(), model.export_row(shib), strict=True))
    assert row["Last"] == "0.000011"
    assert row["Size"] == "100000000"


def test_grid_cells_take_text_alignment_and_colour_from_the_model(qtbot, tracker):
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QStyleOptionViewItem

    from desktop_app.ui.grid import CellDelegate, Grid
    from desktop_app.ui.models.columns import RIGHT
    from desktop_app.ui.theme import pnl_color

    model = positions_model(tracker)
    grid = Grid("positions", model, FilterProxy())
    qtbot.addWidget(grid)
    delegate = grid.itemDelegate()
    assert isinstance(delegate, CellDelegate)
    column = [c.key for c in model.columns].index("unrealized_pnl")
    grid.sortByColumn(column, Qt.SortOrder.DescendingOrder)  # proxy rows ≠ model rows
    for row in range(grid.proxy.rowCount()):
        index = grid.proxy.index(row, column)
        option = QStyleOptionViewItem()
        delegate.initStyleOption(option, index)
        assert option.text == grid.proxy.data(index, Qt.ItemDataRole.DisplayRole)
        assert option.displayAlignment == RIGHT
        assert option.font == model.number_font
        value = grid.proxy.data(index, VALUE_ROLE)
        assert option.palette.color(QPalette.ColorRole.Text) == pnl_color(value)


def test_a_long_text_cell_reads_in_full_as_its_tooltip(tracker):
    tags = "core, breakout, earnings-week, high-conviction"
    effect = tracker.prepare_open("ADA/USDT", PositionType.LONG, 100, "0.4", tags=tags)
    ada = tracker.commit(effect)
    model = positions_model(tracker)
    row = model.row_of(ada.position_id)
    assert cell(model, row, "tags", Qt.ItemDataRole.ToolTipRole) == cell(model, row, "tags")
    assert len(cell(model, row, "tags")) > 24
    assert cell(model, row, "symbol", Qt.ItemDataRole.ToolTipRole) is None  # short: no tooltip
