"""Performance view: the analytics' numbers, realized gains by lot method, and exports."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt

from desktop_app.portfolio import MetricPeriod, PortfolioConfig, PositionType
from desktop_app.portfolio.lots import LotMethod
from desktop_app.ui.format import format_money
from desktop_app.ui.views.performance_models import (
    AttributionModel,
    GainsByMethodModel,
    MetricsModel,
    MonthlyReturnsModel,
    RealizedGainsModel,
    metric_rows,
    pct,
)

from .helpers import cell_text, until, with_views

LEFT = Qt.MouseButton.LeftButton


async def traded(desk) -> None:
    """Two BTC lots bought at different prices, partly sold; an ETH short closed at a loss."""
    await desk.manager.update_prices({"BTC/USDT": 60_000, "ETH/USDT": 3_000})
    first = await desk.book("BTC/USDT", 1, 60_000, strategy="core", tags="swing")
    await desk.manager.add_to_position(first.position_id, 1, 66_000)
    await desk.manager.close_position(first.position_id, 64_000, size=1)
    short = await desk.book("ETH/USDT", 10, 3_000, side=PositionType.SHORT, strategy="hedge")
    await desk.manager.close_position(short.position_id, 3_100)
    await desk.manager.update_prices({"BTC/USDT": 65_000})


def quiet() -> PortfolioConfig:
    return PortfolioConfig(initial_capital=1_000_000, performance_update_interval_s=0)


def test_the_metrics_table_shows_the_analytics_numbers(run, make_desk):
    async def scenario():
        desk = await make_desk(quiet())
        await traded(desk)
        view = (await with_views(desk)).performance
        report = await view.build()
        expected = await desk.manager.analytics.calculate_performance_metrics(MetricPeriod.ALL_TIME)
        table = view.metrics_table
        assert cell_text(table, "total_return", "portfolio") == pct(
            expected.statistics.total_return
        )
        assert cell_text(table, "max_drawdown", "portfolio") == pct(
            expected.statistics.max_drawdown
        )
        # a trade is a closed position: the ETH short (BTC is still partly open)
        assert expected.trades.trades == 1
        assert cell_text(table, "trades", "portfolio") == "1"
        assert cell_text(table, "win_rate", "portfolio") == "0.00 %"
        benchmark = report.metrics.benchmark  # None here: no BTC bars are stored
        assert view.metrics_model.benchmark_title == (benchmark.name if benchmark else "Benchmark")
        assert view.monthly_model.rowCount() == len(
            {m.year for m in report.calendar_returns.monthly}
        )
        by_strategy = view.attribution_models["strategy"]
        assert {row.key for row in by_strategy.rows()} == {"core", "hedge"}
        hedge = by_strategy.get("hedge")
        assert hedge.realized_pnl == next(
            r.realized_pnl for r in report.attribution.by_strategy if r.key == "hedge"
        )
        assert "since inception" in view.window_label.text()

    run(scenario())


def test_realized_gains_follow_the_chosen_lot_method(run, make_desk):
    async def scenario():
        desk = await make_desk(quiet())
        await traded(desk)
        view = (await with_views(desk)).performance
        await view.build()
        totals = {}
        for method in (LotMethod.FIFO, LotMethod.HIFO):
            view.lot_method.blockSignals(True)
            view.lot_method.setCurrentIndex(view.lot_method.findData(method))
            view.lot_method.blockSignals(False)
            gains = await view.build_gains()
            engine = await desk.manager.analytics.calculate_realized_gains(method)
            assert gains.totals.gain == engine.totals.gain
            assert view.gains_model.row_count() == len(engine.rows)
            assert format_money(engine.totals.gain, sign=True) in view.gains_label.text()
            totals[method] = engine.totals.gain
        # FIFO sells the 60,000 lot (gain 4,000), HIFO the 66,000 one (a loss)
        assert totals[LotMethod.FIFO] > totals[LotMethod.HIFO]
        methods = {str(r.method.value) for r in view.methods_model.rows()}
        assert methods == {m.value for m in LotMethod}

    run(scenario())


def test_export_writes_the_files_and_reports_the_path(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(quiet())
        await traded(desk)
        views = await with_views(desk)
        view = views.performance
        qtbot.mouseClick(view.export_buttons["json"], LEFT)
        await until(lambda: view.last_export is not None, within_s=15, message="the export")
        path = view.last_export
        assert path.exists() and path.suffix == ".json"
        assert path.parent == Path(desk.manager.data_dir) / "analytics"
        assert json.loads(path.read_text(encoding="utf-8"))["metrics"]
        assert path.name in view.export_label.text()
        assert not view.progress.isVisible() and view.export_buttons["html"].isEnabled()
        log = desk.window.event_log.messages()
        assert any(str(path) in message for message in log)
        html = await view.export_report("html")
        assert html.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
        gains = await view.write_gains()
        assert gains.name.startswith("realized_gains_fifo") and gains.exists()

    run(scenario())


def test_the_performance_models_pass_the_model_tester(qtmodeltester, run, make_desk):
    async def scenario():
        desk = await make_desk(quiet())
        await traded(desk)
        report = await desk.manager.analytics.generate_performance_report()
        metrics = MetricsModel()
        metrics.set_rows(metric_rows(report.metrics))
        monthly = MonthlyReturnsModel()
        monthly.load(report.calendar_returns)
        attribution = AttributionModel("Asset")
        attribution.set_rows(report.attribution.by_asset)
        gains = RealizedGainsModel()
        gains.set_rows(report.realized_gains.rows)
        methods = GainsByMethodModel()
        methods.set_rows(report.realized_gains_by_method)
        for model in (metrics, monthly, attribution, gains, methods):
            qtmodeltester.check(model)
        assert gains.row_count() == len(report.realized_gains.rows) > 0

    run(scenario())
