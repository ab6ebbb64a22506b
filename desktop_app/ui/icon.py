"""The application icon, drawn with QPainter: rising candlesticks on a dark tile.

``python -m desktop_app.ui.icon`` regenerates ``resources/icons/portfolio-desk.png``
(256 px) and ``resources/icons/portfolio-desk.ico`` (16–256 px, PNG-compressed entries, as
Windows Vista and later read them) — the packaging step needs both — and the check mark
the theme draws in ticked boxes (``check-mark.png``). The drawing is done
per size rather than scaled down, so the 16 px icon stays crisp: small sizes drop the
trend line and use whole-pixel geometry.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
)

ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
GREEN = QColor("#3fb950")
RED = QColor("#f26b5b")


def draw_icon(size: int) -> QImage:
    """The icon at ``size`` × ``size`` pixels, transparent outside the rounded tile."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)
    margin = max(0.5, s * 0.03)
    tile = QRectF(margin, margin, s - 2 * margin, s - 2 * margin)
    gradient = QLinearGradient(tile.topLeft(), tile.bottomLeft())
    gradient.setColorAt(0.0, QColor("#243447"))
    gradient.setColorAt(1.0, QColor("#0f161f"))
    painter.setPen(QPen(QColor("#3a4d63"), max(1.0, s / 64)))
    painter.setBrush(gradient)
    painter.drawRoundedRect(tile, s * 0.2, s * 0.2)

    # three candles: (centre x, body top, body bottom, wick top, wick bottom, rising)
    candles = (
        (0.30, 0.52, 0.70, 0.44, 0.78, False),
        (0.50, 0.40, 0.60, 0.32, 0.68, True),
        (0.70, 0.24, 0.46, 0.16, 0.54, True),
    )
    body_w = max(2.0, round(s * 0.12))
    for x, top, bottom, wick_top, wick_bottom, rising in candles:
        colour = GREEN if rising else RED
        cx = round(x * s) if size < 48 else x * s
        wick = QPen(colour, max(1.0, round(s * 0.035)))
        wick.setCapStyle(Qt.PenCapStyle.FlatCap)
        painter.setPen(wick)
        painter.drawLine(QPointF(cx, wick_top * s), QPointF(cx, wick_bottom * s))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        body = QRectF(cx - body_w / 2, top * s, body_w, (bottom - top) * s)
        painter.drawRoundedRect(body, s * 0.015, s * 0.015)

    if size >= 32:  # the trend line only reads at larger sizes
        trend = QPainterPath(QPointF(0.18 * s, 0.80 * s))
        trend.cubicTo(0.40 * s, 0.74 * s, 0.58 * s, 0.50 * s, 0.84 * s, 0.20 * s)
        pen = QPen(QColor("#8ab4f8"), s * 0.03)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(trend)
    painter.end()
    return image


def draw_check_mark(size: int = 13) -> QImage:
    """A white tick for check boxes (drawn on the accent colour in both themes)."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(QColor("#ffffff"), size / 6.5)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    tick = QPainterPath(QPointF(size * 0.22, size * 0.52))
    tick.lineTo(size * 0.42, size * 0.72)
    tick.lineTo(size * 0.78, size * 0.30)
    painter.drawPath(tick)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(images: dict[int, bytes]) -> bytes:
    """An ICO file whose entries are PNG images (ICONDIR + ICONDIRENTRY[] + data)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, blobs = [], []
    for size, blob in sorted(images.items()):
        dim = 0 if size >= 256 else size  # 0 means 256 in the directory
        entries.append(struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset))
        blobs.append(blob)
        offset += len(blob)
    return header + b"".join(entries) + b"".join(blobs)


def write_icons(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    png = folder / "portfolio-desk.png"
    ico = folder / "portfolio-desk.ico"
    png.write_bytes(png_bytes(draw_icon(256)))
    ico.write_bytes(ico_bytes({size: png_bytes(draw_icon(size)) for size in ICO_SIZES}))
    (folder / "check-mark.png").write_bytes(png_bytes(draw_check_mark()))
    return png, ico


def main() -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    folder = Path(__file__).resolve().parents[2] / "resources" / "icons"
    for path in write_icons(folder):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
