"""The P&L view: the store's equity curve, its time-weighted drawdown, live points, ranges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from desktop_app.portfolio import PortfolioConfig, PositionType
from desktop_app.ui.views.pnl_data import EquityHistory, extend_history, live_drawdown_pct, nearest

from .helpers import until, with_views

LEFT = Qt.MouseButton.LeftButton
T0 = datetime(2025, 1, 6, 12, tzinfo=UTC)


def curve(equity: list[float], flows: list[float] | None = None, start: datetime = T0):
    index = pd.DatetimeIndex([start + timedelta(hours=h) for h in range(len(equity))])
    return pd.DataFrame({"equity": equity, "net_flow": flows or [0.0] * len(equity)}, index=index)


def test_a_deposit_is_not_a_recovery_and_a_withdrawal_is_not_a_loss():
    frame = curve([100.0, 110.0, 210.0, 205.0, 105.0], [100.0, 0.0, 100.0, 0.0, -100.0])
    history = extend_history(EquityHistory(), frame)
    # wealth 1, 1.1, 1.1 (the deposit), 1.0738 (-2.38 %), 1.0738 (the withdrawal)
    expected = [0.0, 0.0, 0.0, 100 * (205 / 210 - 1), 100 * (205 / 210 - 1)]
    np.testing.assert_allclose(history.drawdown_pct, expected, atol=1e-9)
    np.testing.assert_allclose(history.equity, frame["equity"])
    assert history.times_s[1] - history.times_s[0] == 3600


def test_extending_the_history_piece_by_piece_equals_reading_it_at_once():
    frame = curve([100.0, 90.0, 95.0, 120.0, 80.0, 81.0], [100.0, 0, 0, 30.0, 0, 0])
    whole = extend_history(EquityHistory(), frame)
    pieces = extend_history(extend_history(EquityHistory(), frame.iloc[:3]), frame.iloc[3:])
    np.testing.assert_allclose(pieces.drawdown_pct, whole.drawdown_pct)
    assert pieces.wealth_peak == pytest.approx(whole.wealth_peak)
    # a live point: 78 now with no flow since the last snapshot (81) → wealth falls 3.7 %
    drawdown, wealth = live_drawdown_pct(whole, 78.0, 0.0, 0.0)
    assert wealth == pytest.approx(whole.wealth_last * 78 / 81)
    assert drawdown == pytest.approx(100 * (wealth / whole.wealth_peak - 1))
    assert nearest(whole.times_s, whole.times_s[2] + 1000) == 2


def test_the_chart_draws_the_stored_curve_then_adds_live_points(run, make_desk):
    async def scenario():
        desk = await make_desk(
            PortfolioConfig(initial_capital=1_000_000, performance_update_interval_s=0),
            prices={"BTC/USDT": 60_000, "ETH/USDT": 3_000},
        )
        await desk.book("BTC/USDT", 2, 60_000)
        await desk.book("ETH/USDT", 10, 3_000, side=PositionType.SHORT)
        views = await with_views(desk)
        stored = await desk.manager.store.read_equity_curve()
        pnl = views.pnl
        await until(lambda: len(pnl.history) == len(stored), message="the stored curve")
        _, ys = pnl.equity_curve.getOriginalDataset()
        np.testing.assert_allclose(ys, stored["equity"].to_numpy())
        assert pnl.history.last_time == stored.index[-1].to_pydatetime()

        await desk.manager.update_prices({"BTC/USDT": 57_000, "ETH/USDT": 3_100})
        desk.window.bridge.flush_prices()
        equity = float(desk.manager.position_tracker.equity())
        await until(lambda: pnl.tail.equity, message="the live point")
        assert pnl.tail.equity[-1] == pytest.approx(equity)
        assert pnl.tail.drawdown_pct[-1] < 0  # 6,000 + 1,000 lost from the high
        # the charts redraw a moment later (at most four times a second)
        await until(lambda: f"Equity {equity:,.2f}" in pnl.headline.text(), message="redraw")
        # unrealized P&L per symbol, largest gains first
        assert pnl.bars.labels == ["ETH", "BTC"]
        assert pnl.bars.values == pytest.approx([-1_000.0, -6_000.0])

    run(scenario())


def test_range_buttons_follow_the_latest_point_until_the_trader_pans(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(prices={"BTC/USDT": 60_000})
        views = await with_views(desk)
        pnl = views.pnl
        start = datetime.now(UTC) - timedelta(days=3)
        for hours in range(0, 72, 2):
            desk.manager.store.record_equity_snapshot(
                start + timedelta(hours=hours), 1_000_000 + 100 * hours, 1_000_000, 0, 0, 0
            )
        await until(lambda: not pnl._loading, message="the first read")
        pnl.history = EquityHistory()
        await pnl.read_history()
        box = pnl.equity_plot.getPlotItem().getViewBox()
        last = max(pnl.history.times_s)
        qtbot.mouseClick(pnl.range_buttons["1D"], LEFT)
        low, high = box.viewRange()[0]
        assert high - low == pytest.approx(86_400, abs=1)  # a day wide
        assert low <= last - 0.85 * 86_400 and high >= last  # headroom to move in steps
        qtbot.mouseClick(pnl.range_buttons["ALL"], LEFT)
        assert box.viewRange()[0][0] == pytest.approx(float(pnl.history.times_s[0]), abs=1)
        box.sigRangeChangedManually.emit([True, False])  # the trader drags the chart
        assert pnl.range_name is None and pnl.range_group.checkedButton() is None
        qtbot.mouseClick(pnl.range_buttons["1H"], LEFT)
        assert pnl.range_name == "1H" and pnl.range_buttons["1H"].isChecked()
        # the crosshair prints the values of the point under it
        index = 10
        pnl.crosshair.show_at(float(pnl.history.times_s[index]), pnl.equity_plot, 0.0)
        assert f"{pnl.history.equity[index]:,.2f}" in pnl.headline.text()
        pnl.crosshair.hide()
        assert "live" in pnl.headline.text()

    run(scenario())
