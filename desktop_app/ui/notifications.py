"""Desktop notifications for what must not be missed: a tripped risk limit, a stale feed.

On Windows these are tray balloons / toast notifications (``QSystemTrayIcon``), so the
trader sees them with the window minimised or behind another application. Where no tray
exists (a bare X server, the offscreen platform of the tests) the window's taskbar entry is
flashed instead (``QApplication.alert``) and the status bar shows the message. Repeats of
the same message within :data:`REPEAT_SUPPRESS_S` are suppressed so a flapping feed does
not bury the desktop in balloons; every notification is still in the event log.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from PySide6.QtCore import QObject
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMainWindow, QSystemTrayIcon

from desktop_app import APP_NAME

REPEAT_SUPPRESS_S = 30.0
BALLOON_MS = 8_000


@dataclass(frozen=True)
class Notification:
    title: str
    message: str
    critical: bool = False
    at: float = field(default_factory=time.monotonic)


class Notifier(QObject):
    """Shows notifications through the tray when there is one, else flashes the window."""

    def __init__(self, window: QMainWindow, icon: QIcon) -> None:
        super().__init__(window)
        self.window = window
        self.recent: deque[Notification] = deque(maxlen=50)
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip(APP_NAME)
            self.tray.activated.connect(self._bring_to_front)
            self.tray.show()

    def notify(self, title: str, message: str, *, critical: bool = False) -> bool:
        """Show one notification; False when it repeated a recent one and was suppressed."""
        now = time.monotonic()
        for earlier in self.recent:
            if (
                earlier.title == title
                and earlier.message == message
                and now - earlier.at < REPEAT_SUPPRESS_S
            ):
                return False
        self.recent.append(Notification(title, message, critical, now))
        if self.tray is not None and self.tray.supportsMessages():
            icon = (
                QSystemTrayIcon.MessageIcon.Critical
                if critical
                else QSystemTrayIcon.MessageIcon.Warning
            )
            self.tray.showMessage(title, message, icon, BALLOON_MS)
        else:
            QApplication.alert(self.window)
        status_bar = self.window.statusBar()
        status_bar.showMessage(f"{title}: {message}", BALLOON_MS)
        return True

    def _bring_to_front(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.window.showNormal()
            self.window.raise_()
            self.window.activateWindow()

    def shutdown(self) -> None:
        if self.tray is not None:
            self.tray.hide()
