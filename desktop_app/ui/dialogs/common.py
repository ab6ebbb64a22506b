"""Pieces every dialog shares: number fields, inline errors, non-blocking modality.

Nothing here ever calls ``exec()``: a nested event loop would stall the engine's coroutines
running on the same Qt loop. Dialogs are opened with ``open()`` (window-modal) and awaited
through their ``finished`` signal (:func:`wait_finished`), which keeps prices ticking and
makes every dialog drivable from tests.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QWidget,
)

from desktop_app.portfolio import PortfolioError
from desktop_app.ui.format import parse_decimal, plain_decimal
from desktop_app.ui.theme import number_font

log = logging.getLogger(__name__)


async def wait_finished(dialog: QDialog) -> int:
    """Show ``dialog`` window-modal without a nested loop; the result code when it closes."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[int] = loop.create_future()

    def finished(code: int) -> None:
        if not done.done():
            done.set_result(code)

    dialog.finished.connect(finished)
    dialog.open()
    return await done


async def confirm(
    parent: QWidget | None,
    title: str,
    text: str,
    detail: str = "",
    *,
    confirm_text: str = "OK",
    destructive: bool = False,
    object_name: str = "confirmBox",
) -> bool:
    """Ask before an irreversible action. Default (Enter/Esc) is always Cancel."""
    box = QMessageBox(parent)
    box.setObjectName(object_name)
    box.setWindowTitle(title)
    box.setIcon(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question)
    box.setText(text)
    if detail:
        box.setInformativeText(detail)
    accept = box.addButton(confirm_text, QMessageBox.ButtonRole.AcceptRole)
    accept.setObjectName("confirmButton")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    cancel.setObjectName("cancelButton")
    if destructive:
        accept.setStyleSheet("background: #b62324; color: white; font-weight: 600;")
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    try:
        await wait_finished(box)
        return box.clickedButton() is accept
    finally:
        box.deleteLater()


def describe_failure(exc: BaseException, action: str) -> str:
    """The message a trader sees when ``action`` failed.

    Engine refusals (:class:`PortfolioError`) are already written for the trader and are
    shown as they are. Anything else is a bug: it is logged with its traceback and the
    trader gets a short message pointing at the log file — never the traceback itself.
    """
    if isinstance(exc, PortfolioError):
        return str(exc)
    log.error("unexpected error while trying to %s", action, exc_info=exc)
    return (
        f"Could not {action}: unexpected {type(exc).__name__}: {exc}. "
        "Nothing was changed by this dialog; details are in the log file."
    )


def set_invalid(widget: QWidget, invalid: bool) -> None:
    """Red border on an invalid field (the ``invalid`` property in the style sheet)."""
    if widget.property("invalid") == invalid:
        return
    widget.setProperty("invalid", invalid)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def error_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setProperty("role", "error")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def show_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


class DecimalEdit(QLineEdit):
    """A number field: right-aligned, monospace, parsed exactly as a Decimal.

    ``edited_by_user`` is True once the trader typed in it, so prefilled values (a live
    price, a computed fee) stop following the market after a manual edit.
    """

    def __init__(self, name: str, parent: QWidget | None = None, *, placeholder: str = "") -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.setFont(number_font())
        self.setPlaceholderText(placeholder)
        self.edited_by_user = False
        self.textEdited.connect(self._mark_edited)

    def _mark_edited(self, _text: str) -> None:
        self.edited_by_user = True

    def value(self) -> Decimal | None:
        return parse_decimal(self.text())

    def set_value(self, value: Decimal | None, decimals: int | None = None) -> None:
        """Set programmatically (does not count as a user edit)."""
        text = plain_decimal(value, decimals)
        if text != self.text():
            self.setText(text)


def hrow(*widgets: QWidget, stretch_first: bool = True) -> QWidget:
    """Widgets side by side in one form row; the first one takes the spare width."""
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for number, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if number == 0 and stretch_first else 0)
    return holder


def compact_spin(spin: QAbstractSpinBox, width: int = 170) -> QAbstractSpinBox:
    """A number box sized for a number: right-aligned, monospace (the theme hides arrows;
    the keyboard's up/down keys and the wheel still step the value)."""
    spin.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    spin.setFont(number_font())
    spin.setMaximumWidth(width)
    spin.setMinimumWidth(110)
    return spin


def browse(
    parent: QWidget,
    target: QLineEdit,
    title: str,
    *,
    folder: bool = False,
    name_filter: str = "",
) -> QFileDialog:
    """A non-blocking file or folder chooser that writes its choice into ``target``."""
    dialog = QFileDialog(parent, title, target.text(), name_filter)
    dialog.setObjectName("browseDialog")
    if folder:
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    else:
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.fileSelected.connect(target.setText)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog
