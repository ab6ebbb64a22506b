"""Portfolio Desk: a desktop portfolio terminal for crypto traders.

The engine (``desktop_app.portfolio``, ``market``, ``execution``, ``store``) is a plain Python
library that never imports Qt; ``desktop_app.ui`` and ``desktop_app.app`` are one client of it.
"""

from importlib.metadata import PackageNotFoundError, version

APP_NAME = "Portfolio Desk"

try:
    __version__ = version("portfolio-desk")
except PackageNotFoundError:  # running from a source tree or a frozen bundle without metadata
    __version__ = "0.1.0"
