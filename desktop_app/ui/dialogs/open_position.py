"""The open-position ticket: symbol, side, size or notional, price, fee, strategy, tags.

* Size and notional are two views of one quantity: typing either computes the other from
  the price (``notional = size × price``; a size computed from a notional is rounded
  *down* to the symbol's size precision so the notional is never exceeded).
* The price starts at the live price and follows it until the trader types a price.
* The fee starts at ``notional × fee rate`` (Settings → Trading) until typed.
* Everything is validated as you type; the Open button stays disabled until the ticket is
  valid. Engine refusals (paused portfolio, risk limit, bad symbol) appear inline and the
  ticket stays open so the trader can fix it.
* With a risk manager attached, a live pre-trade check shows ALLOW / REDUCE / REJECT with
  its reason, and the suggested optimal size with a button to use it.
* Order type (:mod:`.market_order`): *book a fill at this price* (the default) or a *market
  order through the executor*, which shows the expected fill price and fee from the
  executor's cost model and reports the actual fill. A market order from this ticket only
  opens or adds: one that would first reduce a position is refused here (close it instead).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.portfolio import PortfolioManager, Position, PositionType
from desktop_app.portfolio.orders import LegKind, plan_legs
from desktop_app.portfolio.values import ledger_math, parse_symbol
from desktop_app.ui.bridge import EngineBridge, PriceFlush
from desktop_app.ui.format import SymbolPrecision, format_money, format_pct

from .common import (
    DecimalEdit,
    error_label,
    hrow,
    set_invalid,
    show_error,
)
from .market_order import describe_market_fill, expected_fill, order_type_combo
from .risk_check import RiskCheckPanel
from .ticket import Ticket, price_and_fee_problems

log = logging.getLogger(__name__)

BPS = Decimal(10_000)


class OpenPositionDialog(QDialog, Ticket):
    """A ticket for a new position; books it through ``manager.create_position``."""

    action = "open the position"

    def __init__(
        self,
        manager: PortfolioManager,
        bridge: EngineBridge,
        *,
        symbols: Iterable[str],
        strategies: Iterable[str] = ("manual",),
        precision: SymbolPrecision | None = None,
        fee_bps: Decimal = Decimal(0),
        symbol: str | None = None,
        side: PositionType = PositionType.LONG,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("openPositionDialog")
        self.setWindowTitle("Open position")
        self.manager = manager
        self.precision = precision or SymbolPrecision()
        self.fee_bps = fee_bps
        self.quote = manager.config.quote_currency
        self.opened: Position | None = None
        self.market_result: Any = None  # the executor's fill, in market-order mode
        self.fill_report = ""
        self._client_id = uuid.uuid4().hex
        self._driver = "size"  # which of size/notional the trader typed last
        self._submitting = False

        self.banner = QLabel(self)
        self.banner.setObjectName("haltedBanner")
        self.banner.setProperty("role", "banner")
        self.banner.setWordWrap(True)
        self.banner.hide()

        self.order_type = order_type_combo(self)
        self.symbol = QComboBox(self)
        self.symbol.setObjectName("symbolCombo")
        self.symbol.setEditable(True)
        self.symbol.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.symbol.addItems(sorted(set(symbols)))
        self.symbol.lineEdit().setPlaceholderText("BTC/USDT")
        self.live_label = QLabel(self)
        self.live_label.setObjectName("livePriceLabel")
        self.live_label.setProperty("role", "muted")

        self.long_button = QPushButton("Long / Buy", self)
        self.long_button.setObjectName("longButton")
        self.long_button.setProperty("side", "long")
        self.short_button = QPushButton("Short / Sell", self)
        self.short_button.setObjectName("shortButton")
        self.short_button.setProperty("side", "short")
        self.side_group = QButtonGroup(self)
        for button in (self.long_button, self.short_button):
            button.setCheckable(True)
            button.setMinimumWidth(110)
            self.side_group.addButton(button)
        (self.long_button if side is PositionType.LONG else self.short_button).setChecked(True)

        self.size = DecimalEdit("sizeEdit", self, placeholder="0.00")
        self.size_unit = QLabel(self)
        self.notional = DecimalEdit("notionalEdit", self, placeholder="0.00")
        self.price = DecimalEdit("priceEdit", self)
        self.live_button = QPushButton("Live", self)
        self.live_button.setObjectName("livePriceButton")
        self.live_button.setToolTip("Use the live price again")
        self.fee = DecimalEdit("feeEdit", self, placeholder="0.00")
        self.fee_hint = QLabel(f"{format_money(fee_bps)} bps", self)
        self.fee_hint.setProperty("role", "muted")
        self.strategy = QComboBox(self)
        self.strategy.setObjectName("strategyCombo")
        self.strategy.setEditable(True)
        self.strategy.addItems(list(dict.fromkeys(["manual", *strategies])))
        self.tags = QLineEdit(self)
        self.tags.setObjectName("tagsEdit")
        self.tags.setPlaceholderText("comma separated, e.g. swing, breakout")

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("Order", self.order_type)
        form.addRow("Symbol", hrow(self.symbol, self.live_label))
        form.addRow("Side", hrow(self.long_button, self.short_button))
        form.addRow("Size", hrow(self.size, self.size_unit))
        form.addRow("Notional", hrow(self.notional, QLabel(self.quote, self)))
        form.addRow("Price", hrow(self.price, self.live_button))
        form.addRow("Fee", hrow(self.fee, self.fee_hint))
        form.addRow("Strategy", self.strategy)
        form.addRow("Tags", self.tags)

        self.summary = QLabel(self)
        self.summary.setObjectName("orderSummary")
        self.summary.setProperty("role", "muted")
        self.summary.setWordWrap(True)

        self.risk: RiskCheckPanel | None = None
        if manager.risk_manager is not None:
            self.risk = RiskCheckPanel(manager.risk_manager, self)
            self.risk.useSize.connect(self._use_suggested_size)

        self.error = error_label(self, "openError")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("okButton")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName("cancelButton")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        if self.risk is not None:
            layout.addWidget(self.risk)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

        self.symbol.currentTextChanged.connect(self._symbol_changed)
        self.side_group.buttonToggled.connect(lambda *_: self._changed())
        self.size.textEdited.connect(lambda _t: self._typed("size"))
        self.notional.textEdited.connect(lambda _t: self._typed("notional"))
        self.price.textEdited.connect(lambda _t: self._changed())
        self.fee.textEdited.connect(lambda _t: self._changed())
        self.strategy.currentTextChanged.connect(lambda _t: self._changed())
        self.live_button.clicked.connect(self._use_live_price)
        self.order_type.currentIndexChanged.connect(lambda _i: self._order_type_changed())
        bridge.pricesUpdated.connect(self._prices_updated)
        bridge.statusChanged.connect(self._status_changed)

        if symbol:
            self.symbol.setCurrentText(symbol)
        self._symbol_changed(self.symbol.currentText())

    # ------------------------------------------------------------------ values
    def side(self) -> PositionType:
        return PositionType.LONG if self.long_button.isChecked() else PositionType.SHORT

    def expected(self) -> Any:
        side = self.side().opening_side
        return expected_fill(
            self.manager.trade_executor, side, self.live_price(), self.size.value()
        )

    def symbol_text(self) -> str:
        return self.symbol.currentText().strip().upper()

    def live_price(self) -> Decimal | None:
        try:
            symbol = str(parse_symbol(self.symbol_text()))
        except ValueError:
            return None
        return self.manager.position_tracker.last_price(symbol)

    # ------------------------------------------------------------------- events
    def _symbol_changed(self, _text: str) -> None:
        symbol = self.symbol_text()
        base = symbol.split("/")[0] if "/" in symbol else ""
        self.size_unit.setText(base)
        self.price.edited_by_user = False
        self._use_live_price()

    def _use_live_price(self) -> None:
        live = self.live_price()
        self.price.edited_by_user = False
        if live is not None:
            self.price.set_value(live)
        self._changed()

    def _prices_updated(self, flush: PriceFlush) -> None:
        try:
            symbol = str(parse_symbol(self.symbol_text()))
        except ValueError:
            return
        if symbol in flush.prices and (self.is_market() or not self.price.edited_by_user):
            self.price.set_value(flush.prices[symbol])
            self._changed()
        elif symbol in flush.prices:
            self._show_live()

    def _status_changed(self, _status: object) -> None:
        self._changed()

    def _typed(self, field: str) -> None:
        self._driver = field
        self._changed()

    def _use_suggested_size(self, size: Decimal) -> None:
        self._driver = "size"
        self.size.edited_by_user = True
        self.size.set_value(size)
        self._changed()

    # --------------------------------------------------------------- validation
    def _sync_amounts(self, price: Decimal | None) -> None:
        if price is None or price <= 0:
            return
        symbol = self.symbol_text()
        if self._driver == "size":
            size = self.size.value()
            if size is not None and size > 0:
                with ledger_math():
                    self.notional.set_value(size * price, 2)
            elif not self.size.text().strip():
                self.notional.clear()
        else:
            notional = self.notional.value()
            if notional is not None and notional > 0:
                decimals = self.precision.size_decimals(symbol, price)
                with ledger_math():
                    size = (notional / price).quantize(Decimal(1).scaleb(-decimals), ROUND_DOWN)
                self.size.set_value(size)
            elif not self.notional.text().strip():
                self.size.clear()
        if self.is_market():
            fee = self.expected().fee
            if fee is None:
                self.fee.clear()
            else:
                self.fee.set_value(fee, 2)
        elif not self.fee.edited_by_user:
            size = self.size.value()
            if size is not None and size > 0:
                with ledger_math():
                    self.fee.set_value(size * price * self.fee_bps / BPS, 2)
            else:
                self.fee.clear()

    def problems(self) -> dict[str, str]:
        """Field name → what is wrong with it; empty when the ticket can be sent."""
        problems: dict[str, str] = {}
        try:
            parsed = parse_symbol(self.symbol_text())
            if parsed.quote != self.quote:
                problems["symbol"] = (
                    f"This portfolio trades {self.quote} pairs, e.g. BTC/{self.quote}"
                )
        except ValueError as exc:
            problems["symbol"] = str(exc)
        problems.update(price_and_fee_problems(self.price.value(), self.entered_fee()))
        size = self.size.value()
        if size is None or size <= 0:
            problems["size"] = "Enter a size (or a notional) above zero"
        if self.is_market() and not {"symbol", "size"} & problems.keys():
            market = self._market_problem(size)  # type: ignore[arg-type]
            if market:
                problems["price"] = market
        return problems

    def _market_problem(self, size: Decimal) -> str:
        """Why this market order cannot be sent from an *open* ticket, if it cannot."""
        symbol = str(parse_symbol(self.symbol_text()))
        if self.live_price() is None:
            return f"No live price for {symbol} yet: a market order needs one"
        side = self.side().opening_side
        strategy = self.strategy.currentText().strip() or "manual"
        try:
            legs = plan_legs(self.manager.position_tracker, symbol, side, size, strategy=strategy)
        except Exception as exc:
            return str(exc)
        if any(leg.kind is LegKind.REDUCE for leg in legs):
            held = "SHORT" if side.sign > 0 else "LONG"
            return (
                f"A market {side.value.upper()} of {symbol} would reduce your {held} position "
                "first: close it from its row (Ctrl+W), or book a fill instead"
            )
        return ""

    def _changed(self) -> None:
        price = self.price.value()
        self._sync_amounts(price)
        problems = self.problems()
        for name, widget in (
            ("symbol", self.symbol),
            ("price", self.price),
            ("size", self.size),
            ("fee", self.fee),
        ):
            set_invalid(widget, name in problems and self._touched(name))
        if not self._submitting:
            show_error(self.error, self._first_visible_problem(problems))
        self.ok_button.setEnabled(not problems and not self._submitting)
        side = self.side().value.upper()
        if self.is_market():
            verb = "Buy" if self.side() is PositionType.LONG else "Sell"
            self.ok_button.setText(f"{verb} at market")
        else:
            self.ok_button.setText(f"Open {side}")
        self._show_live()
        self._show_halted()
        self._show_summary(problems)
        if self.risk is not None:
            valid = not {"symbol", "price", "size"} & problems.keys()
            self.risk.request(
                self.symbol_text() if valid else None,
                self.side(),
                self.size.value(),
                price,
                self.precision,
                self.strategy.currentText().strip() or "manual",
            )

    def _touched(self, name: str) -> bool:
        """Only complain about fields the trader has started on."""
        if name == "symbol":
            return bool(self.symbol_text())
        if name == "size":
            return bool(self.size.text().strip() or self.notional.text().strip())
        widget = {"price": self.price, "fee": self.fee}[name]
        return bool(widget.text().strip())

    def _first_visible_problem(self, problems: dict[str, str]) -> str:
        for name in ("symbol", "size", "price", "fee"):
            if name in problems and self._touched(name):
                return problems[name]
        return ""

    def _show_live(self) -> None:
        live = self.live_price()
        symbol = self.symbol_text()
        self.live_label.setText(
            f"last {self.precision.price(symbol, live)}" if live is not None else "no live price"
        )

    def _show_halted(self) -> None:
        status = self.manager.status
        if status.allows_new_exposure:
            self.banner.hide()
            return
        reason = f" ({self.manager.status_reason})" if self.manager.status_reason else ""
        self.banner.setText(
            f"The portfolio is {status.value.upper()}{reason}: new positions are refused "
            "until you resume it (F9)."
        )
        self.banner.show()

    def _show_summary(self, problems: dict[str, str]) -> None:
        size, price = self.size.value(), self.price.value()
        if {"size", "price"} & problems.keys() or size is None or price is None:
            self.summary.setText("")
            return
        tracker = self.manager.position_tracker
        equity = tracker.equity()
        fee = self.fee.value() or Decimal(0)
        with ledger_math():
            notional = size * price
            share = notional / equity * 100 if equity > 0 else None
            sign = 1 if self.side() is PositionType.LONG else -1
            cash_after = tracker.cash - sign * notional - fee
        text = (
            f"Notional {format_money(notional)} {self.quote} · "
            f"{format_pct(share, sign=False)} of equity · cash after {format_money(cash_after)}"
        )
        if cash_after < 0:
            text += " (uses margin)"
        if self.is_market():
            text = self.expected().describe(self.symbol_text(), self.precision, self.quote)
            text += f"\nNotional ≈ {format_money(notional)} {self.quote} · "
            text += f"{format_pct(share, sign=False)} of equity"
        self.summary.setText(text)

    # ------------------------------------------------------------------ submit
    async def _book(self) -> None:
        self.opened = await self.manager.create_position(
            self.symbol_text(),
            self.side(),
            self.size.value(),  # type: ignore[arg-type]
            self.price.value(),  # type: ignore[arg-type]
            strategy=self.strategy.currentText().strip() or "manual",
            tags=self.tags.text(),
            fee=self.fee.value() or Decimal(0),
            client_id=self._client_id,
        )

    async def _send_market_order(self) -> None:
        expected = self.expected().price
        result = await self.manager.place_order(
            self.symbol_text(),
            self.side().opening_side,
            self.size.value(),  # type: ignore[arg-type]
            strategy=self.strategy.currentText().strip() or "manual",
            tags=self.tags.text(),
            client_order_id=f"ticket-{self._client_id}",
            reason="market order from the ticket",
        )
        self.market_result = result
        self.opened = result.positions[-1] if result.positions else None
        self.fill_report = describe_market_fill(result, expected, self.precision, self.quote)
        self._submitting = False
        self.accept()
