"""GUI test harness: a qasync loop, an async poll helper, and a desk (engine + window).

Each scenario is a coroutine run with ``run(scenario())`` on a ``qasync.QEventLoop``
installed over pytest-qt's ``qapp``: inside it, widgets are driven with ``qtbot`` (real
clicks and typing) and conditions are awaited with :func:`until`, which lets the engine's
coroutines and Qt's events run while it polls. (``qtbot.waitUntil`` cannot step other
asyncio tasks from inside a running loop.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from desktop_app.portfolio import PortfolioConfig, PortfolioManager
from desktop_app.ui.app_settings import AppSettings
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.theme import apply_theme

from .helpers import Desk

T = TypeVar("T")


@pytest.fixture(autouse=True)
def _private_qsettings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The profile-wide QSettings (the remembered data dir) live in a temp dir."""
    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))


@pytest.fixture
def qloop(qapp: QApplication) -> Any:
    apply_theme(qapp, "dark")
    qapp.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def run(qloop: Any) -> Callable[..., Any]:
    """``run(coro, timeout=20)``: run a scenario coroutine on the qasync loop."""

    def runner(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
        return qloop.run_until_complete(asyncio.wait_for(coro, timeout))

    return runner


@pytest.fixture
def make_desk(
    qloop: Any, qtbot: Any, tmp_path: Path, run: Callable[..., Any]
) -> Callable[..., Awaitable[Desk]]:
    """``await make_desk(config=..., manager=...)`` inside a scenario."""
    created: list[Desk] = []

    async def make(
        config: PortfolioConfig | None = None,
        manager: PortfolioManager | None = None,
        prices: dict[str, Any] | None = None,
        show: bool = True,
        **window_kwargs: Any,
    ) -> Desk:
        manager = manager or PortfolioManager(
            config or PortfolioConfig(initial_capital=1_000_000, performance_update_interval_s=0)
        )
        await manager.initialize()
        if prices:
            await manager.update_prices(prices)
        data_dir = tmp_path / f"data{len(created)}"
        window = MainWindow(
            manager, data_dir=data_dir, settings=AppSettings(data_dir), **window_kwargs
        )
        qtbot.addWidget(window)
        if show:
            window.show()
        desk = Desk(manager, window, data_dir)
        created.append(desk)
        return desk

    yield make

    async def teardown() -> None:
        for desk in created:
            desk.window.shutdown()
            await desk.manager.shutdown()

    run(teardown())
