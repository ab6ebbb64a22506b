"""Dark (default) and light themes: palette, style sheet, P&L colours and the number font.

A trading screen is read for hours: the dark theme keeps contrast high for text (about
12:1 on the base colour) and uses a green and a red that stay distinguishable for the most
common colour-vision deficiency by differing in lightness too. Numbers use a monospace font
so digits line up in columns (tabular figures) and a changing price never shifts its cell.

``apply_theme(app, name)`` switches the whole application at run time; models ask
:func:`current_theme` for colours each time they paint, so a switch only needs a repaint.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

#: Preferred fonts, first installed wins (Windows first, then the fallbacks of Linux CI).
UI_FONTS = ["Segoe UI", "Inter", "Noto Sans", "DejaVu Sans"]
NUMBER_FONTS = ["Cascadia Mono", "Consolas", "JetBrains Mono", "DejaVu Sans Mono", "Monospace"]


@dataclass(frozen=True)
class Theme:
    """Every colour the UI uses, by role."""

    name: str
    window: str
    base: str
    alternate_base: str
    raised: str
    text: str
    muted: str
    border: str
    accent: str
    selection: str
    positive: str
    negative: str
    warning: str
    danger_button: str
    tick_up: str
    tick_down: str
    on_accent: str  # text on a green/amber/red badge or button

    def color(self, role: str) -> QColor:
        return QColor(getattr(self, role))


DARK = Theme(
    name="dark",
    window="#15181d",
    base="#1b1f26",
    alternate_base="#1f242c",
    raised="#232932",
    text="#dfe4ec",
    muted="#8b95a5",
    border="#2e3540",
    accent="#4c9aff",
    selection="#25466e",
    positive="#3fb950",
    negative="#f26b5b",
    warning="#e3b341",
    danger_button="#b62324",
    tick_up="#56d364",
    tick_down="#ff8170",
    on_accent="#0b0e12",
)

LIGHT = Theme(
    name="light",
    window="#f3f4f6",
    base="#ffffff",
    alternate_base="#f7f8fa",
    raised="#ffffff",
    text="#1c2128",
    muted="#5b6472",
    border="#d3d8df",
    accent="#0b62d6",
    selection="#cfe2ff",
    positive="#137a2f",
    negative="#c4281c",
    warning="#9a6700",
    danger_button="#c62828",
    tick_up="#137a2f",
    tick_down="#c4281c",
    on_accent="#ffffff",
)

THEMES: dict[str, Theme] = {DARK.name: DARK, LIGHT.name: LIGHT}
DEFAULT_THEME = DARK.name


class _Active:
    """The theme in use (module state, switched only by :func:`apply_theme`)."""

    theme: Theme = DARK


def current_theme() -> Theme:
    return _Active.theme


def pnl_color(value: Decimal | float | None) -> QColor | None:
    """Green for a gain, red for a loss, None (the default text colour) for flat or unknown."""
    if value is None or value == 0:
        return None
    return current_theme().color("positive" if value > 0 else "negative")


def status_color(status: str) -> QColor:
    """Colour of a portfolio status badge (ACTIVE green, REDUCING/PAUSED amber, else red)."""
    key = status.lower()
    if key == "active":
        return current_theme().color("positive")
    if key in ("reducing", "paused", "demo"):
        return current_theme().color("warning")
    return current_theme().color("negative")


def number_font(size_delta: float = 0.0, *, bold: bool = False) -> QFont:
    """The monospace font for figures, sized like the application font."""
    app_font = QApplication.font()
    font = QFont(app_font)
    font.setFamilies(NUMBER_FONTS)
    font.setStyleHint(QFont.StyleHint.Monospace)
    size = app_font.pointSizeF() if app_font.pointSizeF() > 0 else 9.0
    font.setPointSizeF(max(6.0, size - 0.5 + size_delta))
    font.setBold(bold)
    return font


def _palette(theme: Theme) -> QPalette:
    palette = QPalette()
    c = theme.color
    roles = QPalette.ColorRole
    palette.setColor(roles.Window, c("window"))
    palette.setColor(roles.WindowText, c("text"))
    palette.setColor(roles.Base, c("base"))
    palette.setColor(roles.AlternateBase, c("alternate_base"))
    palette.setColor(roles.ToolTipBase, c("raised"))
    palette.setColor(roles.ToolTipText, c("text"))
    palette.setColor(roles.PlaceholderText, c("muted"))
    palette.setColor(roles.Text, c("text"))
    palette.setColor(roles.Button, c("raised"))
    palette.setColor(roles.ButtonText, c("text"))
    palette.setColor(roles.BrightText, QColor("#ffffff"))
    palette.setColor(roles.Highlight, c("selection"))
    palette.setColor(roles.HighlightedText, c("text"))
    palette.setColor(roles.Link, c("accent"))
    palette.setColor(roles.Mid, c("border"))
    palette.setColor(roles.Dark, c("window"))
    palette.setColor(roles.Light, c("raised"))
    for role in (roles.Text, roles.WindowText, roles.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, c("muted"))
    return palette


def check_mark_path() -> str:
    """The check mark drawn in ticked boxes (a bundled PNG; empty when missing)."""
    from desktop_app.resources import resource_path

    try:
        return resource_path("icons", "check-mark.png").as_posix()
    except FileNotFoundError:
        return ""


def style_sheet(theme: Theme) -> str:
    """The few things a palette cannot express: borders, headers, badges, the red button."""
    t = theme
    check_mark = check_mark_path()
    return f"""
QMainWindow, QDialog {{ background: {t.window}; }}
QToolBar {{ background: {t.window}; border: none; border-bottom: 1px solid {t.border};
    spacing: 4px; padding: 3px 6px; }}
QToolBar QToolButton {{ padding: 4px 10px; border-radius: 4px; border: 1px solid transparent; }}
QToolBar QToolButton:hover {{ background: {t.raised}; border-color: {t.border}; }}
QToolBar QToolButton:checked {{ background: {t.warning}; color: {t.on_accent};
    font-weight: 600; }}
QToolBar QToolButton#liquidateButton {{ background: {t.danger_button}; color: #ffffff;
    font-weight: 600; }}
QToolBar QToolButton#liquidateButton:hover {{ border-color: #ff9d96; }}
QToolBar QToolButton#liquidateButton:disabled {{ background: {t.raised}; color: {t.muted}; }}
QTableView {{ gridline-color: {t.border}; border: 1px solid {t.border};
    selection-background-color: {t.selection}; selection-color: {t.text}; }}
QHeaderView::section {{ background: {t.raised}; color: {t.muted}; border: none;
    border-right: 1px solid {t.border}; border-bottom: 1px solid {t.border};
    padding: 4px 6px; font-weight: 600; }}
QTabWidget::pane {{ border: 1px solid {t.border}; top: -1px; }}
QTabBar::tab {{ background: {t.window}; color: {t.muted}; padding: 5px 14px;
    border: 1px solid {t.border}; border-bottom: none; margin-right: 2px; }}
QTabBar::tab:selected {{ background: {t.base}; color: {t.text}; }}
QLineEdit, QComboBox, QDateEdit, QPlainTextEdit {{
    background: {t.base}; border: 1px solid {t.border}; border-radius: 3px; padding: 3px 5px; }}
QDoubleSpinBox, QSpinBox {{ background: {t.base}; border: 1px solid {t.border};
    border-radius: 3px; padding: 3px 5px; }}
QSpinBox::up-button, QSpinBox::down-button, QDoubleSpinBox::up-button,
QDoubleSpinBox::down-button {{ width: 0px; border: none; }}
QLineEdit:focus, QComboBox:focus, QDoubleSpinBox:focus, QSpinBox:focus {{
    border-color: {t.accent}; }}
QLineEdit[invalid="true"], QComboBox[invalid="true"] {{ border-color: {t.negative}; }}
QLabel[role="error"] {{ color: {t.negative}; }}
QLabel[role="muted"] {{ color: {t.muted}; }}
QLabel[role="banner"] {{ background: {t.warning}; color: {t.on_accent}; padding: 6px 8px;
    border-radius: 3px; font-weight: 600; }}
QFrame#summaryStrip {{ background: {t.base}; border-bottom: 1px solid {t.border}; }}
QFrame[role="tile"] {{ background: transparent; border-right: 1px solid {t.border}; }}
QLabel[role="tileTitle"] {{ color: {t.muted}; font-size: 8pt; letter-spacing: 0.5px; }}
QLabel[role="badge"] {{ border-radius: 3px; padding: 3px 10px; font-weight: 700;
    color: {t.on_accent}; }}
QPushButton {{ background: {t.raised}; border: 1px solid {t.border}; border-radius: 3px;
    padding: 4px 12px; }}
QPushButton:hover {{ border-color: {t.accent}; }}
QPushButton:default {{ border-color: {t.accent}; }}
QPushButton:disabled {{ color: {t.muted}; }}
QPushButton:checked {{ background: {t.selection}; border-color: {t.accent}; }}
QPushButton[side="long"]:checked {{ background: {t.positive}; color: {t.on_accent};
    border-color: {t.positive}; font-weight: 700; }}
QPushButton[side="short"]:checked {{ background: {t.negative}; color: {t.on_accent};
    border-color: {t.negative}; font-weight: 700; }}
QCheckBox::indicator, QRadioButton::indicator {{ width: 13px; height: 13px;
    border: 1px solid {t.muted}; background: {t.base}; }}
QCheckBox::indicator {{ border-radius: 2px; }}
QRadioButton::indicator {{ border-radius: 7px; }}
QCheckBox::indicator:checked {{ background: {t.accent}; border-color: {t.accent};
    image: url({check_mark}); }}
QRadioButton::indicator:checked {{ border: 4px solid {t.accent}; width: 7px; height: 7px;
    background: #ffffff; }}
QStatusBar {{ background: {t.window}; border-top: 1px solid {t.border}; color: {t.muted}; }}
QStatusBar QLabel {{ padding: 0 8px; }}
QSplitter::handle {{ background: {t.border}; }}
"""


def apply_theme(app: QApplication, name: str | None = None) -> Theme:
    """Switch the whole application to theme ``name`` (unknown names fall back to dark)."""
    theme = THEMES.get((name or DEFAULT_THEME).lower(), DARK)
    _Active.theme = theme
    app.setStyle("Fusion")
    font = QFont(app.font())
    font.setFamilies(UI_FONTS)
    if font.pointSizeF() <= 0 or font.pointSizeF() < 9:
        font.setPointSizeF(9.5)
    app.setFont(font)
    app.setPalette(_palette(theme))
    app.setStyleSheet(style_sheet(theme))
    return theme
