"""The live pre-trade risk check in the open-position ticket.

Shown only when a risk manager is attached (``manager.risk_manager``). While the trader
types, the panel waits :data:`DEBOUNCE_MS` after the last keystroke, then asks

* ``await risk_manager.check_position_risk(symbol, size, price)`` → ``(RiskAction, reason)``
  and shows ALLOW (green), REDUCE (amber) or REJECT (red) with the reason; when the answer
  also carries an ``allowed_size`` (REDUCE: the most that would pass), it is offered with a
  button. The side and strategy are passed too when the risk manager accepts them
  (``position_type=``, ``strategy=`` keywords);
* ``await risk_manager.calculate_optimal_position_size(symbol, price)`` → the suggested
  size (a number, or a record with a ``size``-like field), with a button to use it.

Answers to superseded requests are dropped, so a slow check can never overwrite the
result for what the trader typed last.
"""

from __future__ import annotations

import inspect
import logging
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from qasync import asyncSlot

from desktop_app.portfolio import PositionType
from desktop_app.ui.event_text import field_of
from desktop_app.ui.format import SymbolPrecision, parse_decimal
from desktop_app.ui.theme import current_theme

log = logging.getLogger(__name__)

DEBOUNCE_MS = 200
_ACTION_COLOURS = {"allow": "positive", "reduce": "warning", "reject": "negative"}


def suggested_size(sizing: Any) -> Decimal | None:
    """The size in a sizing answer: a plain number or a record's ``size``-like field."""
    if sizing is None or isinstance(sizing, bool):
        return None
    if isinstance(sizing, (Decimal, int, float, str)):
        value = parse_decimal(str(sizing))
    else:
        found = field_of(
            sizing, "size", "recommended_size", "optimal_size", "position_size", "quantity"
        )
        value = None if found is None else parse_decimal(str(found))
    return value if value is not None and value > 0 else None


def action_name(action: Any) -> str:
    value = getattr(action, "value", None) or getattr(action, "name", None) or str(action)
    return str(value).lower()


class RiskCheckPanel(QGroupBox):
    """ALLOW / REDUCE / REJECT for the ticket as typed, plus the suggested size."""

    useSize = Signal(object)  # Decimal

    def __init__(self, risk_manager: Any, parent: QWidget | None = None) -> None:
        super().__init__("Pre-trade risk check", parent)
        self.setObjectName("riskCheckPanel")
        self.risk_manager = risk_manager
        self._request: tuple[str, Decimal, Decimal] | None = None
        self._generation = 0
        self.action: str | None = None
        self.suggested: Decimal | None = None
        self.allowed: Decimal | None = None
        self._strategy = "manual"
        self._side = PositionType.LONG
        try:
            parameters = inspect.signature(risk_manager.check_position_risk).parameters
        except (TypeError, ValueError):
            parameters = {}
        self._keywords = {"position_type", "strategy"} & set(parameters)
        self._precision = SymbolPrecision()
        self.action_label = QLabel("—", self)
        self.action_label.setObjectName("riskActionLabel")
        self.action_label.setProperty("role", "badge")
        self.reason_label = QLabel("Enter a symbol, size and price", self)
        self.reason_label.setObjectName("riskReasonLabel")
        self.reason_label.setWordWrap(True)
        self.suggested_label = QLabel(self)
        self.suggested_label.setObjectName("suggestedSizeLabel")
        self.suggested_label.setProperty("role", "muted")
        self.use_button = QPushButton("Use suggested size", self)
        self.use_button.setObjectName("useSuggestedButton")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self._use)
        self.allowed_button = QPushButton(self)
        self.allowed_button.setObjectName("useAllowedButton")
        self.allowed_button.hide()
        self.allowed_button.clicked.connect(self._use_allowed)
        top = QHBoxLayout()
        top.addWidget(self.action_label)
        top.addWidget(self.reason_label, 1)
        top.addWidget(self.allowed_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.suggested_label, 1)
        bottom.addWidget(self.use_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(bottom)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_check)

    def request(
        self,
        symbol: str | None,
        side: PositionType,
        size: Decimal | None,
        price: Decimal | None,
        precision: SymbolPrecision,
        strategy: str = "manual",
    ) -> None:
        """Check this ticket after a short pause in typing (None: nothing to check yet)."""
        self._precision = precision
        self._side = side
        self._strategy = strategy
        self._generation += 1
        if symbol is None or size is None or price is None or size <= 0 or price <= 0:
            self._request = None
            self._timer.stop()
            self._show(None, "Enter a symbol, size and price")
            return
        self._request = (symbol, size, price)
        self._timer.start()

    @asyncSlot()
    async def run_check(self) -> None:
        request, generation = self._request, self._generation
        if request is None:
            return
        symbol, size, price = request
        options = {"position_type": self._side, "strategy": self._strategy}
        keywords = {key: value for key, value in options.items() if key in self._keywords}
        try:
            result = await self.risk_manager.check_position_risk(symbol, size, price, **keywords)
            action, reason = result
            sizing = await self.risk_manager.calculate_optimal_position_size(symbol, price)
        except Exception as exc:  # a failing check must never break the ticket
            log.warning("risk check for %s failed", symbol, exc_info=exc)
            if generation == self._generation:
                self._show(None, f"Risk check unavailable: {exc}")
            return
        if generation != self._generation:
            return  # the trader changed the ticket meanwhile
        self.suggested = suggested_size(sizing)
        self._show(action_name(action), str(reason or ""))
        allowed = getattr(result, "allowed_size", None)
        self.allowed = allowed if allowed and self.action != "allow" else None
        if self.allowed is not None:
            text = self._precision.size(symbol, self.allowed, price)
            self.allowed_button.setText(f"Use allowed {text}")
        self.allowed_button.setVisible(self.allowed is not None)
        if self.suggested is not None:
            base = symbol.split("/")[0]
            text = self._precision.size(symbol, self.suggested, price)
            self.suggested_label.setText(f"Suggested size {text} {base}")
        else:
            self.suggested_label.setText("No suggested size")
        self.use_button.setEnabled(self.suggested is not None)

    def _show(self, action: str | None, reason: str) -> None:
        self.action = action
        self.action_label.setText(action.upper() if action else "—")
        colour = _ACTION_COLOURS.get(action or "")
        theme = current_theme()
        background = theme.color(colour).name() if colour else theme.border
        self.action_label.setStyleSheet(f"background: {background};")
        self.reason_label.setText(reason)
        if action is None:
            self.suggested = None
            self.allowed = None
            self.suggested_label.setText("")
            self.use_button.setEnabled(False)
            self.allowed_button.hide()

    def _use(self) -> None:
        if self.suggested is not None:
            self.useSize.emit(self.suggested)

    def _use_allowed(self) -> None:
        if self.allowed is not None:
            self.useSize.emit(self.allowed)
