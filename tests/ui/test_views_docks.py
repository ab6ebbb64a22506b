"""The views live in dock widgets: named, in the View menu, rearranged and remembered."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu

from desktop_app.ui.app_settings import AppSettings
from desktop_app.ui.main_window import MainWindow

from .helpers import with_views

VIEWS = {
    "riskDock": "riskGauges",
    "pnlDock": "pnlView",
    "allocationDock": "allocationView",
    "rebalanceDock": "rebalanceView",
    "performanceDock": "performanceView",
    "correlationDock": "correlationStressSplitter",
}


def test_every_view_is_a_named_dock_listed_in_the_view_menu(run, make_desk):
    async def scenario():
        desk = await make_desk()
        await with_views(desk)
        window = desk.window
        menu = window.findChild(QMenu, "viewMenu")
        for number, (dock_name, view_name) in enumerate(VIEWS.items(), start=1):
            dock = window.findChild(QDockWidget, dock_name)
            assert dock is not None and dock.widget().objectName() == view_name
            action = dock.toggleViewAction()
            assert action in menu.actions()
            assert action.shortcut() == QKeySequence(f"Ctrl+{number}")
            assert window.findChild(QAction, action.objectName()) is action
        pnl = window.findChild(QDockWidget, "pnlDock")
        assert window.dockWidgetArea(pnl) == Qt.DockWidgetArea.RightDockWidgetArea
        assert window.findChild(QDockWidget, "riskDock").isVisible()  # always in sight
        tabs = window.tabifiedDockWidgets(pnl)
        assert {d.objectName() for d in tabs} >= {"allocationDock", "performanceDock"}

    run(scenario())


def test_the_dock_layout_persists_and_reset_restores_the_default(qtbot, run, make_desk):
    async def scenario():
        desk = await make_desk()
        views = await with_views(desk)
        window = desk.window
        performance = views.docks["performance"]
        window.removeDockWidget(performance)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, performance)
        performance.show()
        views.docks["allocation"].toggleViewAction().trigger()  # hidden from the View menu
        assert not views.docks["allocation"].isVisible()
        window.shutdown()  # saves the layout

        settings = AppSettings(desk.data_dir)
        again = MainWindow(desk.manager, data_dir=desk.data_dir, settings=settings)
        qtbot.addWidget(again)
        again.show()
        restored = await again.install_views()
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        assert again.dockWidgetArea(restored.docks["performance"]) == bottom
        assert not restored.docks["allocation"].isVisible()
        again.findChild(QAction, "actionResetLayout").trigger()
        right = Qt.DockWidgetArea.RightDockWidgetArea
        assert again.dockWidgetArea(restored.docks["performance"]) == right
        assert not restored.docks["allocation"].isHidden()
        again.shutdown()

    run(scenario())
