"""What the open and close tickets share: the order type, the price and fee checks, sending.

A ticket subclasses :class:`Ticket` (after ``QDialog``) and provides ``problems()``,
``_changed()``, ``_use_live_price()``, ``_book()`` (book a fill at the entered price) and
``_send_market_order()``; its widgets are named ``order_type``, ``price``, ``fee``,
``live_button``, ``ok_button`` and ``error``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from qasync import asyncSlot

from .common import describe_failure, show_error
from .market_order import OrderType


def price_and_fee_problems(price: Decimal | None, fee: Decimal | None) -> dict[str, str]:
    """The checks every ticket makes of its price and fee (an empty fee is zero)."""
    problems: dict[str, str] = {}
    if price is None or price <= 0:
        problems["price"] = "Enter a price above zero"
    if fee is None or fee < 0:
        problems["fee"] = "The fee must be zero or more"
    return problems


class Ticket:
    """Order-type switching and the send sequence of a trade ticket (a mixin for QDialog)."""

    #: What the ticket does, for failure messages (see ``describe_failure``).
    action: str
    #: In market mode, re-read the live price even when switching back to booking.
    refresh_price_on_any_switch = False

    # attributes and methods the dialog provides
    order_type: Any
    price: Any
    fee: Any
    live_button: Any
    ok_button: Any
    error: Any
    _submitting: bool

    if TYPE_CHECKING:  # what each ticket defines

        def problems(self) -> dict[str, str]: ...
        def _changed(self) -> None: ...
        def _use_live_price(self) -> None: ...
        async def _book(self) -> None: ...
        async def _send_market_order(self) -> None: ...

    def is_market(self) -> bool:
        return self.order_type.currentData() is OrderType.MARKET

    def entered_fee(self) -> Decimal | None:
        """The fee as typed; an empty field is zero."""
        return self.fee.value() if self.fee.text().strip() else Decimal(0)

    def _order_type_changed(self) -> None:
        """A market order fills at the executor's price and fee: those fields are its."""
        market = self.is_market()
        self.price.setReadOnly(market)
        self.fee.setReadOnly(market)
        self.live_button.setVisible(not market)
        if market or self.refresh_price_on_any_switch:
            self._use_live_price()
        else:
            self._changed()

    @asyncSlot()
    async def submit(self) -> None:
        if self.problems() or self._submitting:
            return
        self._submitting = True
        self.ok_button.setEnabled(False)
        show_error(self.error, "")
        try:
            if self.is_market():
                await self._send_market_order()
                return
            await self._book()
        except Exception as exc:
            show_error(self.error, describe_failure(exc, self.action))
            return
        finally:
            self._submitting = False
            self.ok_button.setEnabled(not self.problems())
        self.accept()  # type: ignore[attr-defined]
