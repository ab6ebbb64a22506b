"""The start-up splash: painted before the engine is imported.

The engine pulls in pandas, numpy and SQLite on start-up, which takes a second or more on a
modest machine. The splash (the icon, the name, the version and what is being done) is on
screen within a few hundred milliseconds of launching, so a double-click never looks
ignored; it closes when the main window is shown. It imports nothing but Qt.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from desktop_app import APP_NAME, __version__

from .icon import draw_icon

WIDTH, HEIGHT = 460, 200


def splash_pixmap() -> QPixmap:
    pixmap = QPixmap(WIDTH, HEIGHT)
    pixmap.fill(QColor("#15181d"))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor("#2e3540"))
    painter.drawRect(0, 0, WIDTH - 1, HEIGHT - 1)
    painter.drawImage(QRectF(28, 44, 96, 96), draw_icon(192))
    title = QFont(QApplication.font())
    title.setPointSizeF(20)
    title.setBold(True)
    painter.setFont(title)
    painter.setPen(QColor("#dfe4ec"))
    painter.drawText(QRectF(146, 52, WIDTH - 160, 40), Qt.AlignmentFlag.AlignLeft, APP_NAME)
    small = QFont(QApplication.font())
    small.setPointSizeF(10)
    painter.setFont(small)
    painter.setPen(QColor("#8b95a5"))
    painter.drawText(
        QRectF(146, 94, WIDTH - 160, 24), Qt.AlignmentFlag.AlignLeft, f"version {__version__}"
    )
    painter.end()
    return pixmap


class Splash(QLabel):
    """A frameless picture with a status line (``QSplashScreen`` waits up to a second for
    the window system on show, which is exactly the time it is meant to save)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("startupSplash")
        self.setWindowFlags(
            Qt.WindowType.SplashScreen
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
        )
        self.base = splash_pixmap()
        self.stage = ""
        self.setPixmap(self.base)
        self.setFixedSize(self.base.size())

    def set_stage(self, text: str) -> None:
        self.stage = text
        pixmap = QPixmap(self.base)
        painter = QPainter(pixmap)
        font = QFont(QApplication.font())
        font.setPointSizeF(9)
        painter.setFont(font)
        painter.setPen(QColor("#8b95a5"))
        painter.drawText(
            QRectF(28, HEIGHT - 40, WIDTH - 56, 24),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            text,
        )
        painter.end()
        self.setPixmap(pixmap)
        self.repaint()

    def finish(self, window: QWidget) -> None:
        """Close once ``window`` is up."""
        del window
        self.close()
        self.deleteLater()


def show_splash(app: QApplication) -> Splash:
    """Show the splash centred on the primary screen, painted before returning."""
    splash = Splash()
    screen = app.primaryScreen()
    if screen is not None:
        splash.move(screen.availableGeometry().center() - splash.rect().center())
    splash.set_stage("Loading the engine…")
    splash.show()
    app.processEvents()
    return splash


def set_stage(splash: Splash, text: str) -> None:
    splash.set_stage(text)
