"""Rebalance view: previewing trades nothing; executing trades exactly the previewed plan."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from desktop_app.portfolio import OrderSide, PortfolioConfig, RebalanceStrategy, RiskLimits
from desktop_app.portfolio.rebalance_plan import OutcomeStatus
from desktop_app.ui.format import SymbolPrecision
from desktop_app.ui.views.rebalance_models import (
    HistoryRow,
    OrderRow,
    OrdersModel,
    RebalanceHistoryModel,
)

from .helpers import cell_text, find_dialog, until, with_views

LEFT = Qt.MouseButton.LeftButton


def config() -> PortfolioConfig:
    return PortfolioConfig(
        initial_capital=100_000,
        performance_update_interval_s=0,
        risk_limits=RiskLimits(max_single_position_pct=70, max_symbol_exposure_pct=70),
        target_allocations={"BTC/USDT": 0.6, "ETH/USDT": 0.3},
    )


async def drifted(desk) -> None:
    """60/30 bought, then BTC doubles: BTC 75 % (15 pp over), ETH 18.75 % (11.25 pp under)."""
    await desk.manager.update_prices({"BTC/USDT": 50_000, "ETH/USDT": 2_000})
    await desk.book("BTC/USDT", "1.2", 50_000)
    await desk.book("ETH/USDT", "15", 2_000)
    await desk.manager.update_prices({"BTC/USDT": 100_000})


def fills_of(desk) -> list:
    return list(desk.manager.position_tracker.recent_fills())


def test_preview_trades_nothing_and_execute_trades_exactly_the_plan(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(config())
        await drifted(desk)
        view = (await with_views(desk)).rebalance
        before = fills_of(desk)
        positions = {p.position_id: p.size for p in desk.manager.get_open_positions()}
        qtbot.mouseClick(view.preview_button, LEFT)
        await until(lambda: view.plan is not None, message="the plan")
        plan = view.plan
        assert plan.strategy is RebalanceStrategy.THRESHOLD and len(plan.orders) == 2
        assert fills_of(desk) == before  # a preview trades nothing
        assert {p.position_id: p.size for p in desk.manager.get_open_positions()} == positions
        assert view.orders_model.row_count() == 2
        first = f"{plan.plan_id}:0"
        assert cell_text(view.orders, first, "side") == "SELL"  # sells go first
        assert cell_text(view.orders, first, "status") == "planned"
        assert "executable" in view.summary.text()
        assert view.execute_button.isEnabled()

        qtbot.mouseClick(view.execute_button, LEFT)
        box = await until(lambda: find_dialog(QMessageBox, "rebalanceExecuteConfirm"))
        assert box.defaultButton().objectName() == "cancelButton"
        qtbot.mouseClick(box.findChild(QPushButton, "confirmButton"), LEFT)
        await until(lambda: view.result is not None, message="the rebalance")
        known = {f.fill_id for f in before}
        new = [f for f in fills_of(desk) if f.fill_id not in known]
        traded = sorted((f.symbol, f.side, f.size) for f in new)
        planned = sorted((o.symbol, o.side, o.size) for o in plan.orders)
        assert traded == planned  # exactly the plan: same symbols, sides and sizes
        assert [o.status for o in view.result.outcomes] == [OutcomeStatus.FILLED] * 2
        assert cell_text(view.orders, first, "status") == "filled"
        assert view.progress.value() == view.progress.maximum() == 2
        assert not view.execute_button.isEnabled()  # a plan is executed once
        await until(lambda: view.history_model.row_count() == 1, message="the history row")
        row = view.history_model.rows()[0]
        assert (row.strategy, row.orders, row.filled, row.failed) == ("threshold", 2, 2, 0)

    run(scenario())


def test_a_dry_run_reports_each_order_and_trades_nothing(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk(config())
        await drifted(desk)
        view = (await with_views(desk)).rebalance
        before = fills_of(desk)
        plan = await view.preview_plan()
        qtbot.mouseClick(view.dry_run_button, LEFT)
        await until(lambda: view.result is not None, message="the dry run")
        assert view.result.dry_run and fills_of(desk) == before
        assert cell_text(view.orders, f"{plan.plan_id}:1", "status") == "dry run"
        await until(lambda: view.history_model.row_count() == 1)
        assert view.history_model.rows()[0].dry_run

    run(scenario())


def test_changed_parameters_are_saved_and_used_for_the_preview(run, make_desk):
    async def scenario():
        desk = await make_desk(config())
        await drifted(desk)
        view = (await with_views(desk)).rebalance
        view.form.set_value("max_drift_pct", 40.0, enable=True)
        plan = await view.preview_plan()
        assert desk.manager.rebalancer.config.max_drift_pct == 40.0
        assert plan.orders == () and "40 pp" in plan.reason  # BTC drifted 15 pp only
        assert not view.execute_button.isEnabled()
        view.strategy.setCurrentIndex(view.strategy.findData(RebalanceStrategy.DCA))
        assert "rebalance_dca_amount" in {e.objectName() for e in view.form.editors.values()}
        view.form.set_value("dca_amount", 500.0)
        plan = await view.preview_plan()
        assert plan.strategy is RebalanceStrategy.DCA
        assert {o.side for o in plan.orders} == {OrderSide.BUY}
        assert sum(o.notional + o.estimated_fee for o in plan.orders) <= Decimal(500)

    run(scenario())


def test_a_paused_portfolio_previews_but_cannot_execute(run, make_desk):
    async def scenario():
        desk = await make_desk(config())
        await drifted(desk)
        view = (await with_views(desk)).rebalance
        await desk.manager.pause_portfolio("test")
        await view.preview_plan()
        assert view.plan is not None and view.plan.orders
        assert not view.execute_button.isEnabled() and view.dry_run_button.isEnabled()
        assert "paused" in view.execute_button.toolTip()

    run(scenario())


def test_the_rebalance_models_pass_the_model_tester(qtmodeltester, run, make_desk):
    async def scenario():
        desk = await make_desk(config())
        await drifted(desk)
        plan = await desk.manager.rebalancer.create_rebalance_plan()
        orders = OrdersModel(SymbolPrecision())
        orders.set_rows([OrderRow(f"k{n}", n, o) for n, o in enumerate(plan.orders)])
        qtmodeltester.check(orders)
        result = await desk.manager.rebalancer.execute_rebalance_plan(plan)
        history = RebalanceHistoryModel()
        history.set_rows([HistoryRow.from_record(0, result.to_dict())])
        qtmodeltester.check(history)
        assert history.rows()[0].cost == result.cost

    run(scenario())
