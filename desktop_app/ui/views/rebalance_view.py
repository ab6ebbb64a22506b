"""Rebalance (``rebalanceView``): choose a strategy and its parameters, preview, then trade.

1. **Strategy and parameters** — the strategy's own fields of ``RebalanceConfig`` (drift
   limit, look-backs, tilt, risk-parity method, DCA amount) and the cost limits. Previewing
   with changed parameters saves them as the rebalancing settings (``update_config``), so
   what is previewed is what automation would do.
2. **Preview** — ``create_rebalance_plan(strategy)``: the orders (sells first) with expected
   prices and costs, the estimated cost against ``max_rebalance_cost_pct``, what was skipped,
   and the weights before, after and targeted. Nothing trades.
3. **Execute** (after a confirmation whose default is Cancel) or **Dry run** —
   ``execute_rebalance_plan(plan)`` places exactly the previewed orders through the
   executor; a progress bar follows the orders and each row shows its fill. A plan older than
   ``max_plan_age_s`` cannot be executed (its prices are stale): preview again.
4. **History** — every stored rebalance, newest first.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from desktop_app.portfolio import PortfolioManager, RebalanceStrategy
from desktop_app.portfolio.rebalance_plan import RebalancePlan, RebalanceResult
from desktop_app.ui.charts.bars import GroupedBars
from desktop_app.ui.charts.setup import plot_widget, style_plot
from desktop_app.ui.dialogs.common import confirm, describe_failure, error_label, show_error
from desktop_app.ui.dialogs.dataclass_form import DataclassForm
from desktop_app.ui.format import SymbolPrecision, format_money
from desktop_app.ui.grid import report_grid
from desktop_app.ui.theme import current_theme

from .common import alive
from .rebalance_models import HistoryRow, OrderRow, OrdersModel, RebalanceHistoryModel

log = logging.getLogger(__name__)

#: The parameters each strategy reads, then the cost limits every plan is checked against.
STRATEGY_FIELDS: dict[RebalanceStrategy, tuple[str, ...]] = {
    RebalanceStrategy.THRESHOLD: ("max_drift_pct",),
    RebalanceStrategy.DCA: ("dca_amount",),
    RebalanceStrategy.GRID: (),
    RebalanceStrategy.MOMENTUM: ("momentum_lookback_days", "max_tilt_pct"),
    RebalanceStrategy.MEAN_REVERSION: ("mean_reversion_lookback_days", "max_tilt_pct"),
    RebalanceStrategy.RISK_PARITY: ("risk_parity_lookback_days", "risk_parity_method"),
}
COST_FIELDS = ("max_rebalance_cost_pct", "min_order_value")
HISTORY_ROWS = 200
STALE_CHECK_MS = 1_000


class RebalanceView(QWidget):
    """Emits ``executed(result)`` after a rebalance (or dry run) finished."""

    executed = Signal(object)

    def __init__(
        self,
        manager: PortfolioManager,
        precision: SymbolPrecision | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("rebalanceView")
        self.manager = manager
        self.precision = precision or SymbolPrecision()
        self.plan: RebalancePlan | None = None
        self.result: RebalanceResult | None = None
        self.busy = False

        self.strategy = QComboBox(self)
        self.strategy.setObjectName("rebalanceStrategyCombo")
        for strategy in RebalanceStrategy:
            self.strategy.addItem(strategy.value.replace("_", " ").title(), strategy)
        self.strategy.setCurrentIndex(self.strategy.findData(manager.rebalancer.config.strategy))
        self.form_holder = QWidget(self)
        self.form_layout = QVBoxLayout(self.form_holder)
        self.form_layout.setContentsMargins(0, 0, 0, 0)
        self.form: DataclassForm | None = None
        self.grid_note = QLabel(self)
        self.grid_note.setProperty("role", "muted")
        self.grid_note.setWordWrap(True)
        self.preview_button = QPushButton("Preview plan", self)
        self.preview_button.setObjectName("previewPlanButton")
        self.preview_button.setToolTip("Plan the rebalance at today's prices; nothing trades")
        self.execute_button = QPushButton("Execute…", self)
        self.execute_button.setObjectName("executePlanButton")
        self.dry_run_button = QPushButton("Dry run", self)
        self.dry_run_button.setObjectName("dryRunButton")
        self.dry_run_button.setToolTip("Report what would be placed, without trading")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("rebalanceProgress")
        self.progress.setFormat("%v / %m orders")
        self.progress.hide()
        self.error = error_label(self, "rebalanceError")
        self.summary = QLabel(self)
        self.summary.setObjectName("planSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)

        self.orders_model = OrdersModel(self.precision, self)
        self.orders = report_grid(
            "planOrdersTable",
            self.orders_model,
            self,
            "Preview a plan to see its orders",
            source_order=True,
        )
        self.weights_plot = plot_widget(self, name="planWeightsPlot")
        self.weights_plot.getPlotItem().setLabel("bottom", "% of equity")
        self.weights_plot.getPlotItem().setMouseEnabled(x=False, y=False)
        self.weights_plot.getPlotItem().getAxis("left").setWidth(64)
        theme = current_theme()
        self.weights = GroupedBars(
            self.weights_plot,
            [theme.muted, theme.accent, theme.warning],
            outline=[False, False, True],
        )
        self.weights_legend = QLabel(self)
        self.weights_legend.setProperty("role", "muted")
        self.weights_legend.setTextFormat(Qt.TextFormat.RichText)
        self.history_model = RebalanceHistoryModel(self)
        self.history = report_grid(
            "rebalanceHistoryTable", self.history_model, self, "No rebalance yet"
        )
        self.history.set_default_sort(0, Qt.SortOrder.DescendingOrder)

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Strategy", self))
        controls.addWidget(self.strategy)
        controls.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.execute_button)
        buttons.addWidget(self.dry_run_button)
        buttons.addWidget(self.progress, 1)
        plan_box = QWidget(self)
        plan_layout = QVBoxLayout(plan_box)
        plan_layout.setContentsMargins(0, 0, 0, 0)
        plan_layout.addWidget(self.summary)
        split = QSplitter(Qt.Orientation.Horizontal, plan_box)
        split.addWidget(self.orders)
        weights_box = QWidget(split)
        weights_layout = QVBoxLayout(weights_box)
        weights_layout.setContentsMargins(0, 0, 0, 0)
        weights_layout.addWidget(self.weights_legend)
        weights_layout.addWidget(self.weights_plot, 1)
        split.addWidget(weights_box)
        split.setSizes([620, 300])
        plan_layout.addWidget(split, 1)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("rebalanceTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(plan_box, "Plan")
        self.tabs.addTab(self.history, "History")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(controls)
        layout.addWidget(self.form_holder)
        layout.addWidget(self.grid_note)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        layout.addWidget(self.tabs, 1)

        self.strategy.currentIndexChanged.connect(lambda _i: self._strategy_chosen())
        self.preview_button.clicked.connect(self.preview)
        self.execute_button.clicked.connect(self.execute)
        self.dry_run_button.clicked.connect(self.dry_run)
        self.stale_timer = QTimer(self)
        self.stale_timer.setInterval(STALE_CHECK_MS)
        self.stale_timer.timeout.connect(self.update_buttons)
        self.stale_timer.start()
        self._legend()
        self._strategy_chosen()

    # ------------------------------------------------------------------- inputs
    def chosen_strategy(self) -> RebalanceStrategy:
        return self.strategy.currentData()

    def _strategy_chosen(self) -> None:
        strategy = self.chosen_strategy()
        if self.form is not None:
            self.form.deleteLater()
        fields = (*STRATEGY_FIELDS[strategy], *COST_FIELDS)
        self.form = DataclassForm(
            self.manager.rebalancer.config,
            self.form_holder,
            prefix="rebalance_",
            columns=1,
            only=fields,
        )
        self.form_layout.addWidget(self.form)
        self.grid_note.setVisible(strategy is RebalanceStrategy.GRID)
        if strategy is RebalanceStrategy.GRID:
            self.grid_note.setText(self._grids_text())
        self.clear_plan()

    def _grids_text(self) -> str:
        states = getattr(self.manager.rebalancer.grid, "states", {})
        if not states:
            return (
                "No grid is set up. A grid buys when a price falls through a level and sells "
                "that unit one level up (rebalancer.configure_grid)."
            )
        lines = []
        for symbol, state in states.items():
            spec = state.spec
            lines.append(
                f"{symbol}: {self.precision.price(symbol, spec.lower)} – "
                f"{self.precision.price(symbol, spec.upper)}, {spec.levels} levels × "
                f"{self.precision.size(symbol, spec.size_per_level, spec.lower)}"
            )
        return "Grids: " + "; ".join(lines)

    def clear_plan(self) -> None:
        self.plan = None
        self.orders_model.set_rows([])
        self.summary.setText("")
        self.weights.set_data([], [[], [], []])
        self.update_buttons()

    # ------------------------------------------------------------------ preview
    @asyncSlot()
    async def preview(self) -> RebalancePlan | None:
        return await self.preview_plan()

    async def preview_plan(self) -> RebalancePlan | None:
        """Save changed parameters, then plan; nothing trades."""
        if self.busy:
            return None
        show_error(self.error, "")
        self.busy = True
        self.update_buttons()
        try:
            assert self.form is not None
            changes = self.form.changes()
            if changes:
                config = self.form.build()
                await self.manager.update_config(rebalance_config=config)
                self.form.instance = self.manager.rebalancer.config
            plan = await self.manager.rebalancer.create_rebalance_plan(self.chosen_strategy())
        except Exception as exc:
            self.busy = False
            if alive(self):
                show_error(self.error, describe_failure(exc, "plan the rebalance"))
                self.update_buttons()
            return None
        self.busy = False
        if not alive(self):
            return plan
        self.show_plan(plan)
        return plan

    def show_plan(self, plan: RebalancePlan) -> None:
        self.plan = plan
        self.result = None
        self.progress.hide()
        for symbol, price in plan.prices.items():
            self.precision.observe(symbol, price)
        self.orders_model.set_rows(
            [OrderRow(f"{plan.plan_id}:{n}", n, order) for n, order in enumerate(plan.orders)]
        )
        quote = self.manager.config.quote_currency
        theme = current_theme()
        if plan.executable and plan.has_orders:
            verdict = f"<span style='color:{theme.positive}'>executable</span>"
        else:
            why = plan.reason or "no orders"
            verdict = f"<span style='color:{theme.warning}'>not executable: {why}</span>"
        text = (
            f"<b>{plan.strategy.value.replace('_', ' ').title()}</b> at "
            f"{plan.created_at.astimezone():%H:%M:%S} · {len(plan.orders)} order(s) · estimated "
            f"cost <b>{format_money(plan.estimated_cost)}</b> {quote} "
            f"({plan.estimated_cost_pct:.3f} % of equity; limit {plan.max_cost_pct:g} %) · "
            f"largest drift {plan.max_abs_drift_pct:.2f} pp · {verdict}"
        )
        if plan.skipped:
            text += "<br>Skipped: " + "; ".join(f"{s} ({why})" for s, why in plan.skipped)
        self.summary.setText(text)
        symbols = sorted(
            set(plan.weights_before) | set(plan.weights_after) | set(plan.target_weights),
            key=lambda s: -(plan.target_weights.get(s) or 0.0),
        )
        self.weights.set_data(
            [s.split("/")[0] for s in symbols],
            [
                [100 * plan.weights_before.get(s, 0.0) for s in symbols],
                [100 * plan.weights_after.get(s, 0.0) for s in symbols],
                [100 * plan.target_weights.get(s, 0.0) for s in symbols],
            ],
        )
        self.tabs.setCurrentIndex(0)
        self.update_buttons()

    def plan_age_s(self) -> float | None:
        if self.plan is None:
            return None
        return (self.manager.now() - self.plan.created_at).total_seconds()  # market time

    def update_buttons(self) -> None:
        plan = self.plan
        status = self.manager.status.value
        halted = status in ("paused", "liquidating", "liquidated")
        age = self.plan_age_s()
        stale = age is not None and age > self.manager.rebalancer.config.max_plan_age_s
        ready = (
            plan is not None
            and plan.executable
            and plan.has_orders
            and self.result is None
            and not self.busy
            and not stale
        )
        self.execute_button.setEnabled(ready and not halted)
        self.dry_run_button.setEnabled(ready)
        self.preview_button.setEnabled(not self.busy)
        if halted and plan is not None:
            self.execute_button.setToolTip(f"The portfolio is {status}: resume it to trade")
        elif stale:
            self.execute_button.setToolTip("This plan's prices are stale: preview it again")
        else:
            self.execute_button.setToolTip("Place exactly these orders, after a confirmation")

    # ------------------------------------------------------------------ execute
    @asyncSlot()
    async def execute(self) -> RebalanceResult | None:
        plan = self.plan
        if plan is None:
            return None
        confirmed = await confirm(
            self,
            "Execute rebalance",
            f"Place {len(plan.orders)} market order(s) ({plan.strategy.value})?",
            f"Estimated cost {format_money(plan.estimated_cost)} "
            f"{self.manager.config.quote_currency}, fees and slippage included. Orders are "
            "placed one by one, sells first.",
            confirm_text=f"Place {len(plan.orders)} order(s)",
            object_name="rebalanceExecuteConfirm",
        )
        if not confirmed:
            return None
        return await self.run_plan(dry_run=False)

    @asyncSlot()
    async def dry_run(self) -> RebalanceResult | None:
        return await self.run_plan(dry_run=True)

    async def run_plan(self, *, dry_run: bool) -> RebalanceResult | None:
        """Execute (or dry-run) the previewed plan, following each order."""
        plan = self.plan
        if plan is None or self.busy:
            return None
        self.busy = True
        show_error(self.error, "")
        self.progress.setRange(0, max(1, len(plan.orders)))
        self.progress.setValue(0)
        self.progress.show()
        self.update_buttons()
        try:
            result = await self.manager.rebalancer.execute_rebalance_plan(
                plan, dry_run=dry_run, progress=self._order_done
            )
        except Exception as exc:
            self.busy = False
            if alive(self):
                show_error(self.error, describe_failure(exc, "execute the rebalance"))
                self.update_buttons()
            return None
        self.busy = False
        if not alive(self):
            return result
        self.result = result
        for number, outcome in enumerate(result.outcomes):
            self._show_outcome(number, outcome)
        self.progress.setValue(len(result.outcomes))
        self.summary.setText(f"{self.summary.text()}<br><b>Result</b>: {result.summary()}")
        self.update_buttons()
        self.executed.emit(result)
        await self.load_history()
        return result

    def _order_done(self, done: int, _total: int, outcome: Any) -> None:
        if not alive(self):
            return
        self.progress.setValue(done)
        self._show_outcome(done - 1, outcome)

    def _show_outcome(self, number: int, outcome: Any) -> None:
        plan = self.plan
        if plan is None or number >= len(plan.orders):
            return
        self.orders_model.upsert(
            OrderRow(f"{plan.plan_id}:{number}", number, outcome.order, outcome)
        )

    # ------------------------------------------------------------------ history
    @asyncSlot()
    async def refresh_history(self) -> None:
        await self.load_history()

    async def load_history(self) -> list[HistoryRow]:
        try:
            records = await self.manager.rebalancer.get_rebalance_history(limit=HISTORY_ROWS)
        except Exception as exc:
            log.warning("could not read the rebalance history: %s", exc)
            return []
        if not alive(self):
            return []
        rows = [HistoryRow.from_record(n, record) for n, record in enumerate(records)]
        rows.reverse()
        self.history_model.set_rows(rows)
        return rows

    def _legend(self) -> None:
        theme = current_theme()
        self.weights_legend.setText(
            f"<span style='color:{theme.muted}'>■</span> before &nbsp; "
            f"<span style='color:{theme.accent}'>■</span> after &nbsp; "
            f"<span style='color:{theme.warning}'>□</span> target"
        )

    def refresh_style(self) -> None:
        style_plot(self.weights_plot)
        theme = current_theme()
        self.weights.colours = [theme.muted, theme.accent, theme.warning]
        self._legend()
        if self.plan is not None:
            self.show_plan(self.plan)
        for model in (self.orders_model, self.history_model):
            model.refresh_style()
