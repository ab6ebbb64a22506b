"""Unhandled exceptions reach the trader as a dialog and the log — and the app keeps running.

A gui-script on Windows has no console: an exception that only printed a traceback would
vanish, and one that killed the process would take the trader's screen with it. The
reporter is installed as ``sys.excepthook`` (which is also where qasync sends exceptions
of ``asyncSlot`` handlers) and as the asyncio loop's exception handler. Each exception is
logged with its traceback to the log file, and a non-modal error box names the log file.
While a box is open, further errors are counted in it rather than stacking boxes.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger("desktop_app.crash")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class ErrorReporter(QObject):
    """Logs every unhandled exception and shows it in one non-blocking error box."""

    def __init__(self, log_path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log_path = log_path
        self.parent_widget = parent
        self.box: QMessageBox | None = None
        self.count = 0
        self.last_message = ""
        self._previous_hook: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ----------------------------------------------------------------- install
    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._previous_hook = sys.excepthook
        sys.excepthook = self.excepthook
        if loop is not None:
            self._loop = loop
            loop.set_exception_handler(self.loop_exception)

    def uninstall(self) -> None:
        if self._previous_hook is not None and sys.excepthook == self.excepthook:
            sys.excepthook = self._previous_hook
        if self._loop is not None and not self._loop.is_closed():
            self._loop.set_exception_handler(None)
        self._previous_hook = None
        self._loop = None

    # ------------------------------------------------------------------- hooks
    def excepthook(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            (self._previous_hook or sys.__excepthook__)(exc_type, exc, tb)
            return
        self.report((exc_type, exc, tb))

    def loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, asyncio.CancelledError):
            return
        if isinstance(exc, BaseException):
            self.report((type(exc), exc, exc.__traceback__), context.get("message", ""))
        else:
            log.error("event loop: %s", context.get("message", context))

    # ------------------------------------------------------------------ report
    def report(self, info: ExcInfo, context: str = "") -> None:
        exc_type, exc, tb = info
        log.critical(
            "unhandled exception%s:\n%s",
            f" ({context})" if context else "",
            "".join(traceback.format_exception(exc_type, exc, tb)),
        )
        self.count += 1
        self.last_message = f"{exc_type.__name__}: {exc}"
        try:
            self._show()
        except Exception:  # the dialog itself failed: the log has it already
            log.exception("could not show the error dialog")

    def _show(self) -> None:
        where = f"\n\nDetails are in the log file:\n{self.log_path}" if self.log_path else ""
        text = (
            "Something went wrong inside Portfolio Desk. Your positions are safe: every "
            "booked trade is in the journal, and the app keeps running."
        )
        detail = f"{self.last_message}{where}"
        if self.count > 1 and self.box is not None and self.box.isVisible():
            detail = f"{self.count} errors so far; the latest:\n{detail}"
        if self.box is None or not self.box.isVisible():
            self.box = QMessageBox(self.parent_widget)
            self.box.setObjectName("errorBox")
            self.box.setIcon(QMessageBox.Icon.Critical)
            self.box.setWindowTitle("Unexpected error")
            self.box.setWindowModality(Qt.WindowModality.NonModal)
            self.box.setStandardButtons(QMessageBox.StandardButton.Close)
            self.box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.box.finished.connect(self._closed)
            self.box.setText(text)
            self.box.setInformativeText(detail)
            self.box.show()
        else:
            self.box.setInformativeText(detail)

    def _closed(self, _code: int) -> None:
        self.count = 0
        if self.box is not None:
            self.box.deleteLater()
        self.box = None
