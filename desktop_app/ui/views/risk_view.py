"""Risk gauges (``riskGauges``): every enforced limit against its measure, at a glance.

Six arc gauges read the risk manager's own metrics (``RiskManager.quick_metrics()``: the
ledger part now, with the VaR part of the engine's last background recomputation) and its
limit usages (``RiskMetrics.limits``), so a gauge shows exactly the number the engine
enforces:

=================  ==========================  ==============================================
gauge              measure                     limit
=================  ==========================  ==============================================
Drawdown           NAV fall from the breaker's ``max_drawdown_pct`` (breaker)
                   peak, %
VaR 95 %           1-day historical VaR, %     ``max_var_pct`` (breaker)
Gross exposure     Σ|market value| / equity    ``max_gross_exposure_pct`` (leverage beside)
Largest position   one position / equity       ``max_single_position_pct``
Loss today         NAV fall since 00:00 UTC    ``max_daily_loss_pct`` (breaker)
Risk score         0-100 (the engine's rule)   amber from 50 (MEDIUM), red from 80 (HIGH)
=================  ==========================  ==============================================

Green below 80 % of a limit, amber up to it, red beyond (``LimitUsage.status``). A tripped
circuit breaker is impossible to miss: a red banner across the gauges names the breaker,
what it measured and what it did, with a Resume button; its gauge turns red; the dock is
brought to the front (see :mod:`.docks`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from desktop_app.portfolio import PortfolioManager
from desktop_app.portfolio.risk_metrics import HIGH_FROM, MEDIUM_FROM, RiskLevel, RiskMetrics
from desktop_app.ui.charts.arc_gauge import ArcGauge, GaugeReading
from desktop_app.ui.dialogs.common import describe_failure
from desktop_app.ui.format import DASH, format_clock, format_money, format_pct, sampling_name
from desktop_app.ui.theme import current_theme, number_font

from .common import alive

log = logging.getLogger(__name__)

LEVEL_COLOURS = {
    RiskLevel.LOW: "positive",
    RiskLevel.MEDIUM: "warning",
    RiskLevel.HIGH: "negative",
    RiskLevel.CRITICAL: "negative",
}
#: (attribute, title, object name) of each gauge, in reading order.
GAUGES = (
    ("drawdown", "Drawdown", "drawdownGauge"),
    ("var", "VaR 95 % (1 day)", "varGauge"),
    ("gross", "Gross exposure", "grossExposureGauge"),
    ("largest", "Largest position", "largestPositionGauge"),
    ("daily", "Loss today", "dailyLossGauge"),
    ("score", "Risk score", "riskScoreGauge"),
)


def _pct(value: float | None) -> str:
    return format_pct(value, sign=False)


def _limit(limit: float | None, unit: str = "%") -> str:
    if limit is None:
        return "no limit"
    return f"limit {limit:g}{' %' if unit == '%' else unit}"


def _short_note(note: str | None) -> str:
    """The first clause of an engine note, for a one-line gauge detail."""
    if not note:
        return ""
    return note.split(":")[0] if note.startswith("insufficient history") else note


def gauge_readings(metrics: RiskMetrics, limits: Any, quote: str) -> dict[str, GaugeReading]:
    """What each gauge shows for ``metrics`` under ``limits`` (a ``RiskLimits``)."""
    tripped = set(metrics.breakers_tripped)
    usage = metrics.usage

    def measured(name: str, fallback: float | None) -> tuple[float | None, float | None]:
        found = usage(name)
        if found is not None:
            return found.value, found.limit_value
        return fallback, getattr(limits, name, None)

    readings: dict[str, GaugeReading] = {}
    value, limit = measured("max_drawdown_pct", -100.0 * metrics.breaker_drawdown)
    peak = -100.0 * metrics.current_drawdown
    readings["drawdown"] = GaugeReading(
        value,
        limit,
        _pct(value),
        _limit(limit),
        f"from the all-time high {_pct(peak)}" if abs(peak - (value or 0)) > 0.005 else "",
        tripped="drawdown" in tripped,
    )
    var_pct = None if metrics.var_95 is None else 100.0 * metrics.var_95
    value, limit = measured("max_var_pct", var_pct)
    amount = metrics.amount("var_95")
    readings["var"] = GaugeReading(
        value,
        limit,
        _pct(value),
        _limit(limit),
        f"≈ {format_money(amount)} {quote}"
        if amount is not None
        else _short_note(metrics.notes.get("var_95")) or "not computed yet",
        tripped="var" in tripped,
    )
    gross = None if metrics.gross_exposure_pct is None else 100.0 * metrics.gross_exposure_pct
    value, limit = measured("max_gross_exposure_pct", gross)
    leverage = metrics.leverage
    max_leverage = getattr(limits, "max_leverage", None)
    lever_text = "" if leverage is None else f"leverage {leverage:.2f}×"
    if lever_text and max_leverage is not None:
        lever_text += f" (limit {max_leverage:g}×)"
    readings["gross"] = GaugeReading(value, limit, _pct(value), _limit(limit), lever_text)
    largest = None if metrics.largest_position_pct is None else 100.0 * metrics.largest_position_pct
    value, limit = measured("max_single_position_pct", largest)
    readings["largest"] = GaugeReading(
        value,
        limit,
        _pct(value),
        _limit(limit),
        metrics.largest_position_symbol or ("no open position" if not largest else ""),
    )
    loss = max(0.0, -100.0 * metrics.daily_return)
    value, limit = measured("max_daily_loss_pct", loss)
    day = 100.0 * metrics.daily_return
    readings["daily"] = GaugeReading(
        value,
        limit,
        _pct(value),
        _limit(limit),
        f"today {format_pct(day)}",
        tripped="daily_loss" in tripped,
    )
    level = metrics.overall_risk_level
    readings["score"] = GaugeReading(
        metrics.risk_score,
        HIGH_FROM,
        f"{metrics.risk_score:.0f}",
        f"red from {HIGH_FROM:g}",
        level.value.upper(),
        tripped=bool(tripped),
        warn_fraction=MEDIUM_FROM / HIGH_FROM,
        scale_max=100.0,
    )
    return readings


class BreakerBanner(QFrame):
    """The red banner across the gauges while a circuit breaker is tripped."""

    resumeRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("breakerBanner")
        self.text = QLabel(self)
        self.text.setObjectName("breakerBannerText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.resume = QPushButton("Resume trading", self)
        self.resume.setObjectName("breakerResumeButton")
        self.resume.setToolTip("Re-arm the breakers at today's equity and allow new exposure")
        self.resume.clicked.connect(self.resumeRequested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 10, 8)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.resume, 0, Qt.AlignmentFlag.AlignVCenter)
        self.refresh_style()
        self.hide()

    def refresh_style(self) -> None:
        theme = current_theme()
        self.setStyleSheet(
            f"QFrame#breakerBanner {{ background: {theme.danger_button}; border-radius: 3px; }}"
            "QLabel#breakerBannerText { color: #ffffff; font-weight: 600; }"
            "QPushButton#breakerResumeButton { background: #ffffff; color: #15181d; "
            "font-weight: 700; border: none; padding: 5px 14px; }"
        )

    def show_trips(self, trips: list[Any], status: str) -> None:
        if not trips:
            self.hide()
            return
        lines = []
        for trip in trips:
            name = trip.breaker.value.replace("_", " ").upper()
            when = format_clock(trip.timestamp) if isinstance(trip.timestamp, datetime) else ""
            lines.append(
                f"⚠ {name} BREAKER TRIPPED{f' at {when}' if when else ''}: {trip.message} "
                f"→ {trip.action.value.upper()}"
            )
        lines.append(
            f"The portfolio is {status.upper()}. Resume to re-arm the breakers at today's equity."
            if status != "active"
            else "Alert only: trading continues."
        )
        self.text.setText("\n".join(lines))
        self.resume.setVisible(status != "active")
        self.show()


class RiskView(QWidget):
    """The ``riskGauges`` panel: banner, level, six gauges and the VaR line."""

    breakerTripped = Signal(bool)  # True while any breaker is tripped

    def __init__(self, manager: PortfolioManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("riskGauges")
        self.manager = manager
        self.metrics: RiskMetrics | None = None
        self._tripped = False
        self.banner = BreakerBanner(self)
        self.banner.resumeRequested.connect(self.resume)
        self.level = QLabel("—", self)
        self.level.setObjectName("riskLevelBadge")
        self.level.setProperty("role", "badge")
        self.rule = QLabel(self)
        self.rule.setObjectName("riskRuleLabel")
        self.rule.setWordWrap(True)
        self.updated = QLabel(self)
        self.updated.setProperty("role", "muted")
        self.rule.setMinimumWidth(120)
        self.gauges: dict[str, ArcGauge] = {}
        grid = QGridLayout()
        grid.setSpacing(6)
        for number, (key, title, name) in enumerate(GAUGES):
            gauge = ArcGauge(title, name, self)
            self.gauges[key] = gauge
            grid.addWidget(gauge, number // 3, number % 3)
        self.details = QLabel(self)
        self.details.setObjectName("riskDetails")
        self.details.setWordWrap(True)
        self.details.setFont(number_font(-0.5))
        self.details.setProperty("role", "muted")
        top = QHBoxLayout()
        top.addWidget(self.level, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.rule, 1)
        top.addWidget(self.updated, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.banner)
        layout.addLayout(top)
        layout.addLayout(grid, 1)
        layout.addWidget(self.details)

    # ------------------------------------------------------------------ refresh
    def refresh(self) -> RiskMetrics:
        """Read the risk manager now (ledger part live; VaR from its last recomputation)."""
        metrics = self.manager.risk_manager.quick_metrics()
        self.show_metrics(metrics)
        return metrics

    @asyncSlot()
    async def recompute(self) -> None:
        """A full recomputation through the engine (history re-read, numpy off the loop)."""
        try:
            await self.manager.risk_manager.calculate_risk_metrics()
        except Exception as exc:  # the gauges keep their last reading
            log.warning("risk recomputation failed: %s", exc)
            if alive(self):
                self.updated.setText(f"recomputation failed: {exc}")
            return
        if alive(self):
            self.refresh()

    def show_metrics(self, metrics: RiskMetrics) -> None:
        self.metrics = metrics
        risk = self.manager.risk_manager
        quote = self.manager.config.quote_currency
        for key, reading in gauge_readings(metrics, risk.limits, quote).items():
            self.gauges[key].set_reading(reading)
        level = metrics.overall_risk_level
        colour = current_theme().color(LEVEL_COLOURS[level]).name()
        self.level.setText(f"{level.value.upper()} · {metrics.risk_score:.0f}")
        self.level.setStyleSheet(f"background: {colour};")
        self.rule.setText(metrics.risk_rule)
        latest = risk.latest
        self.updated.setText(
            f"VaR as of {format_clock(latest.timestamp)}" if latest is not None else ""
        )
        self.details.setText(self._details(metrics, quote))
        trips = list(risk.breakers.tripped.values())
        self.banner.show_trips(trips, self.manager.status.value)
        tripped = bool(trips)
        if tripped != self._tripped:
            self._tripped = tripped
            self.breakerTripped.emit(tripped)

    @staticmethod
    def _details(m: RiskMetrics, quote: str) -> str:
        def money(name: str) -> str:
            amount = m.amount(name)
            return DASH if amount is None else f"{format_money(amount)}"

        def ratio(value: float | None, digits: int = 2) -> str:
            return DASH if value is None else f"{value:.{digits}f}"

        vol = None if m.portfolio_volatility is None else 100 * m.portfolio_volatility
        parts = [
            f"VaR 95/99 % {money('var_95')} / {money('var_99')} {quote}",
            f"CVaR 95 % {money('cvar_95')}",
            f"volatility {_pct(vol)} a year",
            f"beta to BTC {ratio(m.beta_btc)}",
            f"HHI {ratio(m.hhi, 3)}",
            f"{m.position_count} position(s), losing streak {m.loss_streak}",
        ]
        if m.history_sampling:
            parts.append(f"{m.history_observations:,} {sampling_name(m.history_sampling)} returns")
        return " · ".join(parts)

    @property
    def tripped(self) -> bool:
        return self._tripped

    @asyncSlot()
    async def resume(self) -> None:
        self.banner.resume.setEnabled(False)
        try:
            await self.manager.resume_portfolio()
        except Exception as exc:
            if alive(self):
                self.banner.text.setText(describe_failure(exc, "resume the portfolio"))
        if alive(self):
            self.banner.resume.setEnabled(True)
            self.refresh()

    def refresh_style(self) -> None:
        self.banner.refresh_style()
        self.details.setFont(number_font(-0.5))
        if self.metrics is not None:
            self.show_metrics(self.metrics)
        for gauge in self.gauges.values():
            gauge.update()
