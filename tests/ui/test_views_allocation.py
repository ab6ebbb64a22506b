"""Allocation: the bars and the table show the engine's weights, drift beyond the limit."""

from __future__ import annotations

import pytest

from desktop_app.portfolio import PortfolioConfig, PositionType
from desktop_app.ui.views.allocation_view import (
    CASH,
    AllocationModel,
    allocation_rows,
    chart_rows,
)

from .helpers import cell_text, with_views

TARGETS = {"BTC/USDT": 0.5, "ETH/USDT": 0.3}


def test_the_allocation_chart_matches_the_engines_weights_and_flags_drift(run, make_desk):
    async def scenario():
        desk = await make_desk(
            PortfolioConfig(
                initial_capital=1_000_000,
                performance_update_interval_s=0,
                target_allocations=TARGETS,
                rebalance_threshold_pct=10.0,
            ),
            prices={"BTC/USDT": 60_000, "ETH/USDT": 3_000, "SOL/USDT": 150},
        )
        await desk.book("BTC/USDT", 3, 60_000)  # 18 %
        await desk.book("ETH/USDT", 80, 3_000)  # 24 %
        await desk.book("SOL/USDT", 400, 150, side=PositionType.SHORT)  # -6 %
        views = await with_views(desk)
        rows = views.allocation.refresh()
        summary = await desk.manager.get_portfolio_summary()
        weights = {row.symbol: row.weight for row in rows}
        for symbol, weight in summary["allocations"].items():
            assert weights[symbol] == pytest.approx(float(weight))
        cash = rows[-1]
        assert cash.symbol == CASH
        assert cash.weight == pytest.approx(float(summary["cash"] / summary["total_value"]))
        assert cash.target == pytest.approx(0.2)
        beyond = {row.symbol for row in rows if row.beyond_limit}
        assert beyond == {"BTC/USDT"}  # 18 % vs 50 %: 32 pp; ETH 6 pp, SOL 6 pp
        # the bars are those weights, in percent, one per row
        x0 = views.allocation.current_bars.opts["x0"]
        width = views.allocation.current_bars.opts["width"]
        shown = [start + w if start >= 0 else start for start, w in zip(x0, width, strict=True)]
        assert shown == pytest.approx([100 * row.weight for row in rows])
        table = views.allocation.table
        assert cell_text(table, "BTC/USDT", "drift") == "-32.00 pp"
        assert cell_text(table, "BTC/USDT", "to_target") == "+320,000.00"
        assert "1 beyond it: BTC/USDT" in views.allocation.summary.text()

    run(scenario())


def test_allocation_rows_without_targets_show_weights_and_no_drift_limit():
    totals = {
        "equity": 1000,
        "cash": 400,
        "by_symbol": {"BTC/USDT": {"market_value": 600}},
    }
    rows = allocation_rows(totals, {}, None)
    assert [(r.symbol, r.weight, r.target) for r in rows] == [
        ("BTC/USDT", 0.6, None),
        (CASH, 0.4, None),
    ]
    assert not any(row.beyond_limit for row in rows)


def test_the_allocation_model_passes_the_model_tester(qtmodeltester):
    model = AllocationModel()
    totals = {"equity": 1000, "cash": 100, "by_symbol": {"BTC/USDT": {"market_value": 900}}}
    model.equity = 1000.0
    model.set_rows(allocation_rows(totals, {"BTC/USDT": 0.8}, 5.0))
    qtmodeltester.check(model)


def test_the_chart_shows_the_largest_assets_and_sums_the_rest_the_table_keeps_all():
    equity = 10_000
    values = {f"A{n:02d}/USDT": 100.0 * (n + 1) for n in range(20)}  # 100 .. 2,000
    totals = {
        "equity": equity,
        "cash": equity - sum(values.values()) + 9_000,
        "by_symbol": {s: {"market_value": v} for s, v in values.items()},
    }
    rows = allocation_rows(totals, {"A00/USDT": 0.25}, 5.0)  # the smallest is to grow
    shown = chart_rows(rows, 4)
    names = [r.symbol for r in shown]
    assert names[0] == "A00/USDT"  # ranked by its target, not its small holding
    assert names[1:4] == ["A19/USDT", "A18/USDT", "A17/USDT"]
    assert names[-2:] == ["+16 more", CASH]
    others = shown[-2]
    assert others.market_value == pytest.approx(sum(100.0 * (n + 1) for n in range(1, 17)))
    assert others.weight == pytest.approx(others.market_value / equity)
    assert others.target is None  # none of them has a target
    assert chart_rows(rows, 30) == rows and len(rows) == 21
