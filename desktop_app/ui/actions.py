"""Every user action of the main window as a ``QAction``: object name, text, shortcut, tip.

UI automation finds actions by object name (``actionOpenPosition``, ``actionPause`` ...),
so the names are part of the app's interface and are listed in one table here.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QSizePolicy, QToolBar, QWidget


@dataclass(frozen=True)
class ActionSpec:
    attribute: str
    object_name: str
    text: str
    shortcut: str | QKeySequence.StandardKey | None
    tip: str
    checkable: bool = False


ACTION_SPECS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "open_position",
        "actionOpenPosition",
        "&Open position…",
        "Ctrl+N",
        "Open a new long or short position (Ctrl+N)",
    ),
    ActionSpec(
        "close_position",
        "actionClosePosition",
        "&Close position…",
        "Ctrl+W",
        "Close all or part of the selected position (Ctrl+W)",
    ),
    ActionSpec(
        "pause",
        "actionPause",
        "&Pause",
        "F9",
        "Pause: refuse new exposure until resumed; closing stays possible (F9)",
        checkable=True,
    ),
    ActionSpec(
        "liquidate",
        "actionLiquidate",
        "&Liquidate all…",
        "Ctrl+Shift+L",
        "Close every open position at its last price, after a confirmation",
    ),
    ActionSpec(
        "rebalance",
        "actionRebalance",
        "&Rebalance",
        "Ctrl+R",
        "Trade back toward the target allocations",
    ),
    ActionSpec(
        "settings",
        "actionSettings",
        "&Settings…",
        "Ctrl+,",
        "Risk limits, target allocations, rebalancing, data & feed, appearance (Ctrl+,)",
    ),
    ActionSpec(
        "export",
        "actionExport",
        "&Export CSV…",
        "Ctrl+E",
        "Export open positions, closed positions and fills to CSV files",
    ),
    ActionSpec(
        "edit_tags",
        "actionEditTags",
        "Edit &tags…",
        "Ctrl+T",
        "Change the tags of the selected position",
    ),
    ActionSpec(
        "find",
        "actionFind",
        "&Filter positions",
        QKeySequence.StandardKey.Find,
        "Type to filter the positions by symbol, side, strategy or tag",
    ),
    ActionSpec(
        "reset_layout",
        "actionResetLayout",
        "Reset &layout",
        None,
        "Restore the default column widths, panel sizes and view docks",
    ),
    ActionSpec(
        "open_data_dir",
        "actionOpenDataDir",
        "Open &data folder",
        None,
        "Show the data folder (database, exports, logs) in the file manager",
    ),
    ActionSpec(
        "about",
        "actionAbout",
        "&About Portfolio Desk",
        None,
        "Version and where the data and logs are",
    ),
    ActionSpec("quit", "actionQuit", "&Quit", "Ctrl+Q", "Close Portfolio Desk"),
)


class Actions:
    """The window's actions as attributes (``actions.pause`` ...)."""

    open_position: QAction
    close_position: QAction
    pause: QAction
    liquidate: QAction
    rebalance: QAction
    settings: QAction
    export: QAction
    edit_tags: QAction
    find: QAction
    reset_layout: QAction
    open_data_dir: QAction
    about: QAction
    quit: QAction

    def __init__(self, parent: QWidget) -> None:
        for spec in ACTION_SPECS:
            action = QAction(spec.text, parent)
            action.setObjectName(spec.object_name)
            action.setStatusTip(spec.tip)
            action.setToolTip(spec.tip)
            if spec.shortcut is not None:
                action.setShortcut(QKeySequence(spec.shortcut))
            action.setCheckable(spec.checkable)
            parent.addAction(action)
            setattr(self, spec.attribute, action)


def build_menus_and_toolbar(window: QMainWindow, a: Actions) -> QToolBar:
    """The menu bar and the trading toolbar; Liquidate sits apart at the right, in red."""
    menu = window.menuBar()
    file_menu = menu.addMenu("&File")
    file_menu.addActions([a.export, a.settings])
    file_menu.addSeparator()
    file_menu.addAction(a.open_data_dir)
    file_menu.addSeparator()
    file_menu.addAction(a.quit)
    menu.addMenu("&Trade").addActions([a.open_position, a.close_position, a.edit_tags])
    portfolio_menu = menu.addMenu("&Portfolio")
    portfolio_menu.addActions([a.pause, a.rebalance])
    portfolio_menu.addSeparator()
    portfolio_menu.addAction(a.liquidate)
    view_menu = menu.addMenu("&View")
    view_menu.setObjectName("viewMenu")  # the views add their show/hide actions here
    view_menu.addActions([a.find, a.reset_layout])
    menu.addMenu("&Help").addAction(a.about)

    toolbar = QToolBar("Trading", window)
    toolbar.setObjectName("tradingToolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    toolbar.addActions([a.open_position, a.close_position])
    toolbar.addSeparator()
    toolbar.addActions([a.pause, a.rebalance])
    toolbar.addSeparator()
    toolbar.addActions([a.export, a.settings])
    spacer = QWidget(toolbar)
    spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    toolbar.addWidget(spacer)
    toolbar.addAction(a.liquidate)
    toolbar.widgetForAction(a.liquidate).setObjectName("liquidateButton")
    window.addToolBar(toolbar)
    return toolbar
