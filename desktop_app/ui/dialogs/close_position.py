"""The close ticket: full or partial close of one position, with a P&L preview.

The preview uses the ledger's own average-cost rule, so what it shows is what gets booked::

    cost of the closed part = cost_basis × size / open size
    realized P&L            = side × (size × price − cost of the closed part) − fee

where side is +1 for a long and −1 for a short. A 100 % close sends no size at all, so the
engine closes exactly what is open (no dust left by rounding a percentage).

In *market order* mode (:mod:`.market_order`) the close goes through the executor as a
reduce-only order on this position; the preview uses the expected fill price and fee.
"""

from __future__ import annotations

import uuid
from decimal import ROUND_DOWN, Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.portfolio import PortfolioManager, Position, TradeResult
from desktop_app.portfolio.values import ledger_math
from desktop_app.ui.bridge import EngineBridge, PriceFlush
from desktop_app.ui.format import SymbolPrecision, format_money
from desktop_app.ui.theme import number_font, pnl_color

from .common import (
    DecimalEdit,
    error_label,
    hrow,
    set_invalid,
    show_error,
)
from .market_order import describe_market_fill, expected_fill, order_type_combo
from .ticket import Ticket, price_and_fee_problems

BPS = Decimal(10_000)
PERCENT_BUTTONS = (25, 50, 75, 100)


def preview_realized_pnl(
    position: Position, size: Decimal, price: Decimal, fee: Decimal
) -> Decimal:
    """Realized P&L of closing ``size`` at ``price`` (see the module docstring)."""
    with ledger_math():
        cost = position.cost_basis * size / position.size
        return position.sign * (size * price - cost) - fee


class ClosePositionDialog(QDialog, Ticket):
    """Close all or part of ``position``; books it through ``manager.close_position``."""

    action = "close the position"
    refresh_price_on_any_switch = True  # booking starts again from the live price

    def __init__(
        self,
        manager: PortfolioManager,
        bridge: EngineBridge,
        position: Position,
        *,
        precision: SymbolPrecision | None = None,
        fee_bps: Decimal = Decimal(0),
        percent: int = 100,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("closePositionDialog")
        self.manager = manager
        self.position = position
        self.precision = precision or SymbolPrecision()
        self.fee_bps = fee_bps
        self.result_trade: TradeResult | None = None
        self.market_result: Any = None  # the executor's fill, in market-order mode
        self.fill_report = ""
        self._client_id = uuid.uuid4().hex
        self._submitting = False
        self._gone = False
        side = position.position_type.value.upper()
        self.setWindowTitle(f"Close {side} {position.symbol}")
        self.base = position.symbol.split("/")[0]

        self.order_type = order_type_combo(self)
        self.header = QLabel(self)
        self.header.setObjectName("positionHeader")
        self.header.setWordWrap(True)
        self.size = DecimalEdit("closeSizeEdit", self)
        self.percent_buttons: dict[int, QPushButton] = {}
        buttons_row = QHBoxLayout()
        buttons_row.setContentsMargins(0, 0, 0, 0)
        for pct in PERCENT_BUTTONS:
            button = QPushButton(f"{pct} %", self)
            button.setObjectName(f"pct{pct}Button")
            button.clicked.connect(lambda _checked=False, p=pct: self.set_percent(p))
            self.percent_buttons[pct] = button
            buttons_row.addWidget(button)
        self.price = DecimalEdit("closePriceEdit", self)
        self.live_button = QPushButton("Live", self)
        self.live_button.setObjectName("livePriceButton")
        self.fee = DecimalEdit("closeFeeEdit", self, placeholder="0.00")
        self.preview = QLabel(self)
        self.preview.setObjectName("pnlPreview")
        self.preview.setFont(number_font(1.0, bold=True))
        self.preview_detail = QLabel(self)
        self.preview_detail.setObjectName("previewDetail")
        self.preview_detail.setProperty("role", "muted")

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("Order", self.order_type)
        form.addRow("Size", hrow(self.size, QLabel(self.base, self)))
        form.addRow("", _layout_widget(buttons_row))
        form.addRow("Price", hrow(self.price, self.live_button))
        form.addRow("Fee", hrow(self.fee, QLabel(manager.config.quote_currency, self)))
        form.addRow("Realized P&&L", self.preview)
        form.addRow("", self.preview_detail)

        self.error = error_label(self, "closeError")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("okButton")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName("cancelButton")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(440)

        self.size.textEdited.connect(lambda _t: self._changed())
        self.price.textEdited.connect(lambda _t: self._changed())
        self.fee.textEdited.connect(lambda _t: self._changed())
        self.live_button.clicked.connect(self._use_live_price)
        self.order_type.currentIndexChanged.connect(lambda _i: self._order_type_changed())
        bridge.pricesUpdated.connect(self._prices_updated)
        bridge.positionUpdated.connect(self._position_changed)
        bridge.positionClosed.connect(self._position_changed)
        self.price.set_value(position.current_price)
        self.set_percent(percent)

    # ------------------------------------------------------------------ values
    def set_percent(self, pct: int) -> None:
        """Fill the size with ``pct`` % of the open size (rounded down to the precision)."""
        position = self.position
        if pct >= 100:
            self.size.set_value(position.size)
        else:
            decimals = max(
                self.precision.size_decimals(position.symbol, position.current_price),
                -position.size.as_tuple().exponent if position.size.as_tuple().exponent < 0 else 0,
            )
            with ledger_math():
                part = (position.size * pct / 100).quantize(
                    Decimal(1).scaleb(-decimals), ROUND_DOWN
                )
            self.size.set_value(part)
        self._changed()

    def expected(self) -> Any:
        live = self.manager.position_tracker.last_price(self.position.symbol)
        return expected_fill(
            self.manager.trade_executor,
            self.position.position_type.closing_side,
            live,
            self.size.value(),
        )

    def is_full_close(self) -> bool:
        return self.size.value() == self.position.size

    def problems(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        if self._gone:
            problems["position"] = "This position has been closed meanwhile"
            return problems
        size = self.size.value()
        if size is None or size <= 0:
            problems["size"] = "Enter a size above zero"
        elif size > self.position.size:
            open_size = self.precision.size(self.position.symbol, self.position.size)
            problems["size"] = f"Only {open_size} {self.base} is open"
        problems.update(price_and_fee_problems(self.price.value(), self.entered_fee()))
        return problems

    # ------------------------------------------------------------------ events
    def _use_live_price(self) -> None:
        live = self.manager.position_tracker.last_price(self.position.symbol)
        self.price.edited_by_user = False
        self.price.set_value(live if live is not None else self.position.current_price)
        self._changed()

    def _prices_updated(self, flush: PriceFlush) -> None:
        price = flush.prices.get(self.position.symbol)
        if price is None:
            return
        if self.is_market() or not self.price.edited_by_user:
            self.price.set_value(price)
        self._changed()

    def _position_changed(self, position: Position) -> None:
        if position.position_id != self.position.position_id or self._submitting:
            return
        self.position = position
        self._gone = not position.is_open
        self._changed()

    def _changed(self) -> None:
        position = self.position
        size, price = self.size.value(), self.price.value()
        expected = self.expected() if self.is_market() else None
        if expected is not None:
            price = expected.price or price  # the P&L preview at the expected fill
            if expected.fee is None:
                self.fee.clear()
            else:
                self.fee.set_value(expected.fee, 2)
        elif not self.fee.edited_by_user:
            if size is not None and price is not None and size > 0 and price > 0:
                with ledger_math():
                    self.fee.set_value(size * price * self.fee_bps / BPS, 2)
            else:
                self.fee.clear()
        problems = self.problems()
        set_invalid(self.size, "size" in problems)
        set_invalid(self.price, "price" in problems)
        set_invalid(self.fee, "fee" in problems)
        if not self._submitting:
            show_error(self.error, next(iter(problems.values()), ""))
        self.ok_button.setEnabled(not problems and not self._submitting)
        p = self.precision
        self.header.setText(
            f"<b>{position.position_type.value.upper()} "
            f"{p.size(position.symbol, position.size, position.current_price)} "
            f"{position.symbol}</b> · avg entry {p.price(position.symbol, position.entry_price)}"
            f" · last {p.price(position.symbol, position.current_price)}"
            f" · unrealized {format_money(position.unrealized_pnl, sign=True)}"
        )
        if problems or size is None or price is None:
            self.preview.setText("—")
            self.preview.setStyleSheet("")
            self.preview_detail.setText("")
            self.ok_button.setText("Close")
            return
        fee = self.fee.value() or Decimal(0)
        realized = preview_realized_pnl(position, size, price, fee)
        colour = pnl_color(realized)
        self.preview.setText(format_money(realized, sign=True))
        self.preview.setStyleSheet(f"color: {colour.name()};" if colour else "")
        with ledger_math():
            proceeds = size * price
            remaining = position.size - size
            pct = size / position.size * 100
        remaining_text = (
            "nothing remains open"
            if remaining == 0
            else f"{p.size(position.symbol, remaining, price)} {self.base} stays open"
        )
        detail = (
            f"after fee {format_money(fee)} · notional {format_money(proceeds)} · {remaining_text}"
        )
        if expected is not None:
            quote = self.manager.config.quote_currency
            detail = expected.describe(position.symbol, p, quote) + "\n" + detail
        self.preview_detail.setText(detail)
        if expected is not None:
            verb = "Sell" if position.position_type.closing_side.sign < 0 else "Buy"
            self.ok_button.setText(f"{verb} {float(pct):.4g} % at market")
        else:
            self.ok_button.setText("Close all" if remaining == 0 else f"Close {float(pct):.4g} %")

    # ------------------------------------------------------------------ submit
    async def _book(self) -> None:
        self.result_trade = await self.manager.close_position(
            self.position.position_id,
            self.price.value(),  # type: ignore[arg-type]
            None if self.is_full_close() else self.size.value(),
            fee=self.fee.value() or Decimal(0),
            client_id=self._client_id,
        )

    async def _send_market_order(self) -> None:
        position = self.position
        expected = self.expected().price
        result = await self.manager.place_order(
            position.symbol,
            position.position_type.closing_side,
            self.size.value(),  # type: ignore[arg-type]
            position_id=position.position_id,
            reduce_only=True,
            strategy=position.strategy,
            client_order_id=f"ticket-{self._client_id}",
            reason="market close from the ticket",
        )
        self.market_result = result
        quote = self.manager.config.quote_currency
        self.fill_report = describe_market_fill(result, expected, self.precision, quote)
        self._submitting = False
        self.accept()


def _layout_widget(layout: QHBoxLayout) -> QWidget:
    holder = QWidget()
    holder.setLayout(layout)
    return holder
