"""Stress tests (``stressView``): what today's positions would lose, and what would break.

Every built-in scenario of the risk manager (``crypto_crash_30``, ``btc_crash_50``,
``crash_2022``, ``correlation_one``) plus the trader's own shocks (``BTC: -20, *: -35``, in
percent; ``*`` is every other crypto asset) run through ``RiskManager.run_stress_test`` —
the engine's P&L, equity after and breached limits, never a second calculation here. A
scenario that cannot run (no stored prices for the 2022 replay) says why in its row.
Selecting a row lists its P&L by symbol.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.portfolio import ConfigError, PortfolioManager
from desktop_app.portfolio.stress import BUILT_IN
from desktop_app.portfolio.values import utc_now
from desktop_app.ui.dialogs.common import describe_failure
from desktop_app.ui.format import DASH, format_clock, format_money, format_pct
from desktop_app.ui.grid import report_grid
from desktop_app.ui.models.columns import Column, ColumnTableModel, Kind
from desktop_app.ui.theme import current_theme

from .common import alive

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StressRow:
    """One scenario's outcome (``result`` None when it could not run: ``error`` says why)."""

    scenario: str
    description: str
    result: Any = None
    error: str = ""

    @property
    def pnl(self) -> float | None:
        return None if self.result is None else self.result.total_pnl

    @property
    def pnl_pct(self) -> float | None:
        return None if self.result is None else self.result.pnl_pct

    @property
    def breaches(self) -> str:
        if self.error:
            return f"could not run: {self.error}"
        if self.result is None:
            return ""
        return "; ".join(self.result.breaches) or "none"


@dataclass(frozen=True)
class SymbolStress:
    symbol: str
    market_value: float
    shock: float | None
    pnl: float


def parse_shocks(text: str) -> dict[str, float]:
    """``BTC: -20, *: -35`` (percent) → ``{"BTC": -0.2, "*": -0.35}``; a clear error else."""
    shocks: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, _, number = part.partition(":")
        try:
            value = Decimal(number.strip().removesuffix("%").strip())
        except InvalidOperation:
            value = None
        if not key.strip() or value is None or not value.is_finite():
            raise ConfigError("Write each shock as ASSET: percent, e.g. BTC: -20, *: -35")
        shocks[key.strip().upper()] = float(value) / 100.0
    if not shocks:
        raise ConfigError("Enter at least one shock, e.g. BTC: -20, *: -35")
    return shocks


class StressModel(ColumnTableModel[StressRow]):
    key_attr: ClassVar[str] = "scenario"

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = (
            Column("scenario", "Scenario", lambda r: r.scenario.replace("_", " "), width=130),
            Column(
                "pnl",
                "P&L",
                lambda r: r.pnl,
                lambda r: format_money(r.pnl, sign=True),
                Kind.PNL,
                "Profit or loss of the open positions in the scenario",
                width=110,
            ),
            Column.of("pnl_pct", "% equity", format_pct, Kind.PNL, width=80),
            Column(
                "equity_after",
                "Equity after",
                lambda r: None if r.result is None else r.result.equity_after,
                lambda r: DASH if r.result is None else format_money(r.result.equity_after),
                Kind.NUMBER,
                width=110,
            ),
            Column(
                "worst",
                "Worst day",
                lambda r: None if r.result is None else r.result.worst_pnl,
                lambda r: (
                    DASH
                    if r.result is None or r.result.worst_pnl is None
                    else format_money(r.result.worst_pnl, sign=True)
                ),
                Kind.PNL,
                "A replay's worst point along the way",
                width=100,
            ),
            Column.of("breaches", "Limits that would break", width=320),
            Column.of("description", "What it assumes", width=260),
        )

    def foreground(self, row: StressRow, column: Column[Any]) -> QColor | None:
        if column.key == "breaches":
            if row.error:
                return current_theme().color("muted")
            if row.result is not None and row.result.breaches:
                return current_theme().color("negative")
            return current_theme().color("positive")
        return super().foreground(row, column)


class SymbolStressModel(ColumnTableModel[SymbolStress]):
    key_attr: ClassVar[str] = "symbol"

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = (
            Column.of("symbol", "Symbol", width=96),
            Column.of("market_value", "Value now", format_money, Kind.NUMBER, width=110),
            Column(
                "shock",
                "Move",
                lambda r: r.shock,
                lambda r: DASH if r.shock is None else format_pct(100 * r.shock),
                Kind.PNL,
                "Price move applied (— : no history, not stressed)",
                width=80,
            ),
            Column.of("pnl", "P&L", lambda v: format_money(v, sign=True), Kind.PNL, width=110),
        )


def by_symbol(result: Any) -> list[SymbolStress]:
    """The scenario's position rows summed per symbol, worst first."""
    totals: dict[str, list[Any]] = {}
    for row in result.positions:
        entry = totals.setdefault(row.symbol, [0.0, row.shock, 0.0])
        entry[0] += row.market_value
        entry[2] += row.pnl
    rows = [SymbolStress(s, v, shock, pnl) for s, (v, shock, pnl) in totals.items()]
    return sorted(rows, key=lambda r: r.pnl)


class StressView(QWidget):
    """Run the scenarios; the table of outcomes; the selected one by symbol."""

    def __init__(self, manager: PortfolioManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stressView")
        self.manager = manager
        self.running = False
        self.ran_at = None
        self._tasks: set[asyncio.Task[list[StressRow]]] = set()
        self.title = QLabel("<b>Stress tests</b> of the open positions", self)
        self.status = QLabel(self)
        self.status.setObjectName("stressStatus")
        self.status.setProperty("role", "muted")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.run_button = QPushButton("Run scenarios", self)
        self.run_button.setObjectName("stressRunButton")
        self.custom = QLineEdit(self)
        self.custom.setObjectName("stressCustomEdit")
        self.custom.setPlaceholderText("Your scenario, in %: BTC: -20, ETH: -30, *: -40")
        self.custom_button = QPushButton("Run mine", self)
        self.custom_button.setObjectName("stressCustomButton")
        self.model = StressModel(self)
        self.table = report_grid(
            "stressTable", self.model, self, "Press Run scenarios", source_order=True
        )
        self.detail_model = SymbolStressModel(self)
        self.detail = report_grid(
            "stressDetailTable", self.detail_model, self, "Select a scenario", source_order=True
        )
        self.notes = QLabel(self)
        self.notes.setObjectName("stressNotes")
        self.notes.setWordWrap(True)
        self.notes.setProperty("role", "muted")
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.status, 1)
        top.addWidget(self.run_button)
        custom = QHBoxLayout()
        custom.addWidget(self.custom, 1)
        custom.addWidget(self.custom_button)
        lower = QSplitter(Qt.Orientation.Horizontal, self)
        lower.addWidget(self.table)
        lower.addWidget(self.detail)
        lower.setSizes([640, 340])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addLayout(custom)
        layout.addWidget(lower, 1)
        layout.addWidget(self.notes)
        self.run_button.clicked.connect(self.run_all)
        self.custom_button.clicked.connect(self.run_custom)
        self.custom.returnPressed.connect(self.run_custom)
        self.table.selectionModel().selectionChanged.connect(self._selected)

    async def run(self, scenarios: Mapping[str, Any]) -> list[StressRow]:
        """Run ``scenarios`` (name → scenario spec) one after the other; rows replaced."""
        if self.running:
            return []
        self.running = True
        self.run_button.setEnabled(False)
        self.custom_button.setEnabled(False)
        rows = []
        try:
            for number, (name, spec) in enumerate(scenarios.items(), start=1):
                self.status.setText(f"running {number}/{len(scenarios)}…")
                description = getattr(spec, "description", "your shocks")
                try:
                    result = await self.manager.risk_manager.run_stress_test(spec)
                except Exception as exc:
                    rows.append(StressRow(name, description, error=describe_failure(exc, "run it")))
                else:
                    rows.append(StressRow(name, result.description, result))
                if not alive(self):
                    return rows
                self.model.upsert(rows[-1])
        finally:
            self.running = False
            if alive(self):
                self.run_button.setEnabled(True)
                self.custom_button.setEnabled(True)
        if not alive(self):
            return rows
        self.ran_at = format_clock(utc_now())
        self.status.setText(f"ran at {self.ran_at}")
        if rows:
            self.table.select_key(rows[0].scenario)
        return rows

    def run_all(self) -> asyncio.Task[list[StressRow]]:
        """The Run button: every built-in scenario, in a task :meth:`shutdown` cancels."""
        return self._start(self.run_builtin())

    async def run_builtin(self) -> list[StressRow]:
        return await self.run(dict(BUILT_IN))

    def run_custom(self) -> asyncio.Task[list[StressRow]] | None:
        """The trader's own shocks (refused with the reason when they do not parse)."""
        try:
            shocks = parse_shocks(self.custom.text())
        except ConfigError as exc:
            self.status.setText(str(exc))
            return None
        return self._start(self.run({"custom": shocks}))

    def _start(self, work: Coroutine[Any, Any, list[StressRow]]) -> asyncio.Task[list[StressRow]]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def shutdown(self) -> None:
        """Cancel the runs in flight (the window is closing)."""
        for task in tuple(self._tasks):
            task.cancel()

    def _selected(self, *_args: object) -> None:
        keys = self.table.selected_keys()
        row = self.model.get(keys[0]) if keys else None
        if row is None or row.result is None:
            self.detail_model.set_rows([])
            self.notes.setText(row.breaches if row is not None else "")
            return
        self.detail_model.set_rows(by_symbol(row.result))
        self.notes.setText(" · ".join(row.result.notes))

    def refresh_style(self) -> None:
        self.model.refresh_style()
        self.detail_model.refresh_style()
