"""The risk gauges read the risk manager's own numbers; a breaker trip cannot be missed."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop_app.portfolio import BreakerAction, PortfolioConfig, PortfolioStatus, RiskLimits
from desktop_app.ui.charts.arc_gauge import GaugeReading, GaugeState

from .helpers import until, with_views

LEFT = Qt.MouseButton.LeftButton


def config(**limits) -> PortfolioConfig:
    return PortfolioConfig(
        initial_capital=1_000_000,
        performance_update_interval_s=0,
        risk_limits=RiskLimits(**limits),
    )


def test_each_gauge_reads_the_value_and_limit_the_risk_manager_computes(run, make_desk):
    async def scenario():
        desk = await make_desk(config(max_drawdown_pct=12.0), prices={"BTC/USDT": 60_000})
        await desk.book("BTC/USDT", 3, 60_000)  # 18 % of equity
        await desk.manager.update_prices({"BTC/USDT": 57_000})  # a 9,000 loss: 0.9 %
        views = await with_views(desk)
        metrics = views.risk.refresh()
        expected = desk.manager.risk_manager.quick_metrics()
        drawdown = views.risk.gauges["drawdown"].reading
        assert drawdown.value == pytest.approx(-100 * expected.breaker_drawdown)
        assert drawdown.value == pytest.approx(0.9, abs=1e-9)
        assert drawdown.limit == 12.0 and drawdown.limit_text == "limit 12 %"
        assert drawdown.value_text == "0.90 %"
        largest = views.risk.gauges["largest"].reading
        usage = metrics.usage("max_single_position_pct")
        assert (largest.value, largest.limit) == (usage.value, usage.limit_value)
        assert largest.detail == "BTC/USDT"
        gross = views.risk.gauges["gross"].reading
        assert gross.value == pytest.approx(100 * expected.gross_exposure_pct)
        assert views.risk.gauges["daily"].reading.value == pytest.approx(0.9, abs=1e-9)
        score = views.risk.gauges["score"].reading
        assert score.value == expected.risk_score
        assert views.risk.level.text().startswith(expected.overall_risk_level.value.upper())
        var = views.risk.gauges["var"].reading
        assert var.value is None and var.state is GaugeState.UNKNOWN
        assert var.detail == "not computed yet"  # before the engine's first recomputation
        await desk.manager.risk_manager.calculate_risk_metrics()
        views.risk.refresh()
        var = views.risk.gauges["var"].reading
        assert var.value is None and var.detail == "insufficient history"  # no price bars
        assert not views.risk.banner.isVisible()

    run(scenario())


def test_a_tripped_breaker_shows_a_red_banner_a_red_gauge_and_resume_rearms_it(
    qtbot, run, make_desk
):
    async def scenario():
        desk = await make_desk(
            config(max_drawdown_pct=2.0, drawdown_action=BreakerAction.PAUSE),
            prices={"BTC/USDT": 60_000},
        )
        await desk.book("BTC/USDT", 3, 60_000)
        views = await with_views(desk)
        views.docks["pnl"].raise_()  # the risk dock stays visible; P&L is the active tab
        await desk.manager.update_prices({"BTC/USDT": 50_000})  # -30,000: 3 % drawdown
        await until(lambda: desk.manager.status is PortfolioStatus.PAUSED, message="the pause")
        banner = views.risk.banner
        await until(banner.isVisible, message="the breaker banner")
        assert "DRAWDOWN BREAKER TRIPPED" in banner.text.text()
        assert "PAUSE" in banner.text.text() and "PAUSED" in banner.text.text()
        assert views.risk.gauges["drawdown"].reading.state is GaugeState.TRIPPED
        assert "BREAKER TRIPPED" in views.docks["risk"].windowTitle()
        assert views.docks["risk"].isVisible()
        qtbot.mouseClick(banner.resume, LEFT)
        await until(lambda: desk.manager.status is PortfolioStatus.ACTIVE, message="resuming")
        await until(lambda: not banner.isVisible(), message="the banner to go")
        assert views.risk.gauges["drawdown"].reading.state is not GaugeState.TRIPPED
        assert views.docks["risk"].windowTitle() == "Risk"

    run(scenario())


@pytest.mark.parametrize(
    ("value", "state"),
    [
        (None, GaugeState.UNKNOWN),
        (0.0, GaugeState.OK),
        (11.99, GaugeState.OK),
        (12.0, GaugeState.WARNING),  # 80 % of the limit
        (15.0, GaugeState.WARNING),  # at the limit
        (15.01, GaugeState.BREACHED),
    ],
)
def test_gauge_zones_are_green_below_80_percent_amber_to_the_limit_red_beyond(value, state):
    reading = GaugeReading(value, 15.0)
    assert reading.state is state
    assert reading.top == pytest.approx(18.75)  # 125 % of the limit on the dial
    assert GaugeReading(1.0, 15.0, tripped=True).state is GaugeState.TRIPPED


def test_a_gauge_repaints_with_each_reading(qtbot):
    from desktop_app.ui.charts.arc_gauge import ArcGauge

    gauge = ArcGauge("Drawdown", "testGauge")
    qtbot.addWidget(gauge)
    gauge.resize(200, 170)
    gauge.set_reading(GaugeReading(16.0, 15.0, "16.00 %", "limit 15 %"))
    assert "OVER LIMIT" in gauge.toolTip()
    image = gauge.grab().toImage()
    assert not image.isNull() and image.width() == 200
