"""Correlations of the held symbols (``correlationView``): the risk manager's matrix.

The matrix is the one behind the VaR (``RiskMetrics.correlation``: correlations of the
period returns over ``var_lookback_days``), taken from the engine's last full
recomputation — this view never computes one. Red is moving together (diversification
is an illusion there), blue moving apart. Without enough common price history the engine
says why, and so does the view.
"""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from qasync import asyncSlot

from desktop_app.portfolio import PortfolioManager
from desktop_app.portfolio.risk_metrics import RiskMetrics
from desktop_app.ui.charts.heat_map import HeatMap
from desktop_app.ui.format import format_clock, sampling_name

from .common import alive

log = logging.getLogger(__name__)


def correlation_matrix(metrics: RiskMetrics) -> tuple[list[str], list[list[float | None]]]:
    """Symbols (sorted) and the matrix rows from the metrics' nested mapping."""
    labels = sorted(metrics.correlation)
    rows = [[metrics.correlation[a].get(b) for b in labels] for a in labels]
    return labels, rows


class CorrelationView(QWidget):
    """The heat map, what it is based on, and a button to recompute now."""

    def __init__(self, manager: PortfolioManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("correlationView")
        self.manager = manager
        self.shown_at = None
        self.title = QLabel("<b>Correlation of held symbols</b>", self)
        self.basis = QLabel(self)
        self.basis.setObjectName("correlationBasis")
        self.basis.setProperty("role", "muted")
        self.basis.setWordWrap(True)
        self.recompute_button = QPushButton("Recompute", self)
        self.recompute_button.setObjectName("correlationRecomputeButton")
        self.recompute_button.setToolTip("Recompute the risk metrics now (reads new prices)")
        self.recompute_button.clicked.connect(self.recompute)
        self.heat_map = HeatMap("correlationHeatMap", self)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.recompute_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.basis)
        layout.addWidget(self.heat_map, 1)
        self.show_metrics(manager.risk_manager.latest)

    def show_metrics(self, metrics: RiskMetrics | None) -> None:
        """Draw the matrix of ``metrics`` (the engine's latest full recomputation)."""
        if metrics is None:
            self.heat_map.empty_text = "Waiting for the first risk recomputation…"
            self.heat_map.set_matrix([], [])
            self.basis.setText("")
            return
        if metrics.timestamp == self.shown_at:
            return
        self.shown_at = metrics.timestamp
        labels, rows = correlation_matrix(metrics)
        note = metrics.notes.get("correlation")
        if len(labels) < 2:
            self.heat_map.empty_text = note or (
                "Correlations need at least two held symbols with price history"
            )
            self.heat_map.set_matrix([], [])
        else:
            self.heat_map.set_matrix(labels, rows)
        basis = f"as of {format_clock(metrics.timestamp)}"
        if metrics.history_sampling and metrics.history_start and metrics.history_end:
            days = (metrics.history_end - metrics.history_start).total_seconds() / 86_400
            basis = (
                f"{metrics.history_observations:,} {sampling_name(metrics.history_sampling)} "
                "returns over "
                f"{days:.0f} days · " + basis
            )
        if note:
            basis += f" · {note}"
        self.basis.setText(basis)

    @asyncSlot()
    async def recompute(self) -> None:
        await self.recompute_now()

    async def recompute_now(self) -> None:
        """Ask the risk manager for a full recomputation, then show its matrix."""
        self.recompute_button.setEnabled(False)
        try:
            metrics = await self.manager.risk_manager.calculate_risk_metrics()
        except Exception as exc:
            log.warning("risk recomputation failed: %s", exc)
            metrics = None
            if alive(self):
                self.basis.setText(f"Could not recompute: {exc}")
        if not alive(self):
            return
        self.recompute_button.setEnabled(True)
        if metrics is not None:
            self.show_metrics(metrics)

    def refresh_style(self) -> None:
        self.heat_map.refresh_style()
