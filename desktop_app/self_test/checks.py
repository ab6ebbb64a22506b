"""The self-test's standalone checks (resources, charts, the live feed) and its helpers.

Each check returns the detail shown after PASS, raises :class:`SelfTestError` with what is
wrong, or :class:`NotInstalled` for an optional part that is absent (SKIP, not FAIL).
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

#: How long a condition inside a step may take to come true.
WAIT_TIMEOUT_S = 30.0


class SelfTestError(Exception):
    """A check found the installation broken; the message says what is wrong."""


class NotInstalled(Exception):
    """An optional part is not installed here: the check is skipped, not failed."""


async def until(predicate: Callable[[], T], what: str, within_s: float = WAIT_TIMEOUT_S) -> T:
    """Await ``predicate()`` becoming truthy (its value), letting Qt and the engine run."""
    deadline = time.monotonic() + within_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SelfTestError(f"timed out after {within_s:.0f} s waiting for {what}")
        await asyncio.sleep(0.02)


def type_text(edit: Any, text: str) -> None:
    """Replace a line edit's text as typing does (``textEdited`` fires; validators run)."""
    edit.selectAll()
    edit.insert(text)


def check_resources() -> str:
    from PySide6.QtGui import QImage

    from desktop_app.market.params import SimulationParams
    from desktop_app.resources import resource_path

    icon_path = resource_path("icons", "portfolio-desk.png")
    icon = QImage(str(icon_path))
    if icon.isNull():
        raise SelfTestError(f"the app icon {icon_path} cannot be read")
    if QImage(str(resource_path("icons", "check-mark.png"))).isNull():
        raise SelfTestError("the theme's check mark cannot be read")
    params = SimulationParams.load()
    return (
        f"icon {icon.width()}×{icon.height()} px, check mark, simulation parameters for "
        f"{len(params.symbols)} symbols, from {icon_path.parents[1]}"
    )


def check_charts() -> str:
    import numpy as np
    import pyqtgraph as pg

    plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
    try:
        hours = np.arange(200, dtype=np.float64)
        times = 1.7e9 + hours * 3600.0
        equity = 10_000.0 + 400.0 * np.sin(hours / 15.0) + 3.0 * hours
        plot.plot(times, equity, pen=pg.mkPen("#3fb950", width=2))
        plot.resize(480, 280)
        image = plot.grab().toImage()
        colours = {image.pixel(x, y) for x in range(0, image.width(), 8) for y in range(0, 280, 8)}
    finally:
        plot.deleteLater()
    if image.isNull() or len(colours) < 3:
        raise SelfTestError("pyqtgraph drew an empty chart")
    return f"pyqtgraph {pg.__version__} drew a {image.width()}×{image.height()} date-axis chart"


async def check_live_feed() -> str:
    """The live exchange feed's libraries: ccxt, its CA bundle and (if any) the keyring.

    No network: a frozen build that lost ccxt's modules or certifi's ``cacert.pem`` fails
    here, not on the trader's first connection. On Windows a keyring without a usable
    backend (its entry points not bundled) would lose the API keys, so it fails too.
    """
    import ssl

    from desktop_app.ui.app_settings import keyring_module

    loop = asyncio.get_running_loop()
    try:
        ccxt_async = await loop.run_in_executor(None, importlib.import_module, "ccxt.async_support")
    except ImportError as exc:
        raise NotInstalled(f"the optional live extra is not installed ({exc})") from None
    exchange = ccxt_async.binance()
    try:
        if not exchange.has.get("fetchTickers"):
            raise SelfTestError("ccxt's Binance cannot fetch tickers")
        ssl.create_default_context(cafile=exchange.cafile)
    finally:
        await exchange.close()
    detail = f"ccxt {ccxt_async.__version__} ({len(ccxt_async.exchanges)} exchanges, CA bundle ok)"
    keyring = keyring_module()
    if keyring is None:
        return detail + "; no keyring: API keys cannot be saved"
    backend = type(keyring.get_keyring())
    name = f"{backend.__module__}.{backend.__qualname__}"
    if sys.platform == "win32" and ".fail" in backend.__module__:
        raise SelfTestError(f"the keyring has no usable backend ({name}): API keys cannot be saved")
    return detail + f"; keyring {name}"
