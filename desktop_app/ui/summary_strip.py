"""The summary strip across the top: equity, cash, P&L, day P&L, exposure, status.

Values come from the ledger's own summary (``equity = cash + Σ market value``; exposure is
gross, ``Σ |market value|``, shown also as a percentage of equity). Day P&L is::

    day_pnl = equity_now − equity_at_day_start − net_deposits_since_day_start

with the day starting at 00:00 UTC (the crypto trading day). The equity at the day start is
the store's last equity snapshot before midnight when a store is attached; otherwise the
strip falls back to the equity when this session first saw the day, and says so in the
tooltip.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop_app.portfolio.values import ledger_math, utc_now

from .format import format_money, format_pct
from .theme import current_theme, number_font, pnl_color, status_color


def day_start(moment: datetime) -> datetime:
    """00:00 UTC of the day ``moment`` falls in."""
    utc = moment.astimezone(UTC)
    return utc.replace(hour=0, minute=0, second=0, microsecond=0)


class DayPnl:
    """Equity at the start of the trading day, and the P&L made since."""

    def __init__(self) -> None:
        self.baseline_equity: Decimal | None = None
        self.baseline_time: datetime | None = None
        self.from_history = False

    def set_history_baseline(self, equity: Decimal, moment: datetime) -> None:
        """The equity recorded at ``moment`` today (00:00 UTC, or the first record of a
        portfolio born today), from the store."""
        self.baseline_equity = equity
        self.baseline_time = moment
        self.from_history = True

    def value(self, equity: Decimal, movements: list[Any], now: datetime | None = None) -> Decimal:
        now = now or utc_now()
        start = day_start(now)
        if self.baseline_time is None or self.baseline_time < start:
            # A new day (or the first look at this one): the baseline is today's first equity.
            rolled_over = self.baseline_time is not None
            self.baseline_equity = equity
            self.baseline_time = start if rolled_over else now
            self.from_history = rolled_over
        assert self.baseline_equity is not None
        with ledger_math():
            flows = sum(
                (m.amount for m in movements if m.timestamp >= self.baseline_time),
                Decimal(0),
            )
            return equity - self.baseline_equity - flows

    def basis(self) -> str:
        if self.baseline_time is None:
            return ""
        if self.from_history and self.baseline_time == day_start(self.baseline_time):
            return "since 00:00 UTC"
        local = self.baseline_time.astimezone().strftime("%H:%M")
        if self.from_history:
            return f"since {local}, the first equity recorded today"
        return f"since this session began at {local} (no equity history before it)"


class Tile(QFrame):
    """A titled figure with an optional second line."""

    def __init__(self, title: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setProperty("role", "tile")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 6, 14, 6)
        layout.setSpacing(1)
        self.title = QLabel(title.upper(), self)
        self.title.setProperty("role", "tileTitle")
        self.value = QLabel("—", self)
        self.value.setObjectName(f"{name}Value")
        self.value.setFont(number_font(3.5, bold=True))
        self.detail = QLabel("", self)
        self.detail.setFont(number_font(-0.5))
        self.detail.setProperty("role", "muted")
        layout.addWidget(self.title)
        layout.addWidget(self.value)
        layout.addWidget(self.detail)

    def set(self, text: str, detail: str = "", color: Any = None, detail_color: Any = None) -> None:
        self.value.setText(text)
        self.detail.setText(detail)
        self.value.setStyleSheet(f"color: {color.name()};" if color is not None else "")
        self.detail.setStyleSheet(
            f"color: {detail_color.name()};" if detail_color is not None else ""
        )

    def refresh_fonts(self) -> None:
        self.value.setFont(number_font(3.5, bold=True))
        self.detail.setFont(number_font(-0.5))


class SummaryStrip(QFrame):
    """Figures of the whole portfolio plus the status badge."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("summaryStrip")
        self.day_pnl = DayPnl()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 10, 0)
        layout.setSpacing(0)
        self.equity = Tile("Equity", "equityTile", self)
        self.cash = Tile("Cash", "cashTile", self)
        self.unrealized = Tile("Unrealized P&L", "unrealizedTile", self)
        self.realized = Tile("Realized P&L", "realizedTile", self)
        self.day = Tile("Day P&L", "dayPnlTile", self)
        self.exposure = Tile("Exposure", "exposureTile", self)
        self.exposure.setToolTip(
            "Gross exposure Σ|market value| (long + short); net = long − short"
        )
        self.tiles = (
            self.equity,
            self.cash,
            self.unrealized,
            self.realized,
            self.day,
            self.exposure,
        )
        for tile in self.tiles:
            layout.addWidget(tile)
        layout.addStretch(1)
        self.demo_badge = QLabel("DEMO", self)
        self.demo_badge.setObjectName("demoBadge")
        self.demo_badge.setProperty("role", "badge")
        self.demo_badge.setToolTip("A demo portfolio on simulated prices: no real money")
        self.demo_badge.hide()
        self.status_badge = QLabel("ACTIVE", self)
        self.status_badge.setObjectName("statusBadge")
        self.status_badge.setProperty("role", "badge")
        self.status_badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status_badge.setMinimumWidth(110)
        layout.addWidget(self.demo_badge, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addSpacing(8)
        layout.addWidget(self.status_badge, 0, Qt.AlignmentFlag.AlignVCenter)
        self.quote = "USDT"
        #: What the badges show now: restyling them repolishes, so only on a change.
        self._badges: tuple[Any, ...] | None = None

    def update_summary(
        self,
        totals: Mapping[str, Any],
        *,
        status: str,
        status_reason: str,
        demo: bool,
        quote: str,
        movements: list[Any],
    ) -> None:
        """Show the ledger totals (``PositionTracker.get_portfolio_summary`` keys)."""
        self.quote = quote
        equity: Decimal = totals["equity"]
        unrealized: Decimal = totals["total_unrealized_pnl"]
        realized: Decimal = totals["total_realized_pnl"]
        gross: Decimal = totals["gross_exposure"]
        net: Decimal = totals["net_exposure"]
        with ledger_math():
            profit = equity - totals["net_deposits"]
            total_return = profit / totals["net_deposits"] * 100 if totals["net_deposits"] else None
            gross_pct = gross / equity * 100 if equity > 0 else None
            cash_pct = totals["cash"] / equity * 100 if equity > 0 else None
            day = self.day_pnl.value(equity, movements)
            day_start_equity = self.day_pnl.baseline_equity
            day_pct = day / day_start_equity * 100 if day_start_equity else None
        self.equity.set(
            format_money(equity),
            f"{quote} · total {format_pct(total_return)}",
            detail_color=pnl_color(profit),
        )
        self.cash.set(format_money(totals["cash"]), f"{format_pct(cash_pct, sign=False)} of equity")
        self.unrealized.set(
            format_money(unrealized, sign=True),
            f"{totals['count']} open position(s)",
            pnl_color(unrealized),
        )
        self.realized.set(
            format_money(realized, sign=True),
            f"fees {format_money(totals['total_fees'])}",
            pnl_color(realized),
        )
        self.day.set(format_money(day, sign=True), format_pct(day_pct), pnl_color(day))
        self.day.setToolTip(f"P&L {self.day_pnl.basis()}, net of deposits and withdrawals")
        self.exposure.set(
            format_money(gross),
            f"{format_pct(gross_pct, sign=False)} gross · net {format_money(net)}",
        )
        self.set_status(status, status_reason, demo)

    def set_status(self, status: str, reason: str, demo: bool) -> None:
        shown = (status, reason, demo, current_theme().name)
        if shown == self._badges:
            return
        self._badges = shown
        text = status.upper()
        color = status_color(status)
        self.status_badge.setText(text)
        self.status_badge.setToolTip(reason or f"The portfolio is {status}")
        self.status_badge.setStyleSheet(f"background: {color.name()};")
        self.demo_badge.setVisible(demo)
        self.demo_badge.setStyleSheet(f"background: {current_theme().warning};")

    def refresh_style(self) -> None:
        self._badges = None
        for tile in self.tiles:
            tile.refresh_fonts()
