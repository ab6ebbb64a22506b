"""Where the trader's data lives: the data folder and the files in it.

Resolution order (first match wins)::

    1. an explicit folder: ``PortfolioManager(data_dir=...)`` or the app's ``--data-dir``
    2. the ``PORTFOLIO_DESK_DATA_DIR`` environment variable
    3. ``D:\\trading_data`` on Windows, when drive D: exists and is writable (the spec's
       "all data stored on D: drive")
    4. the platform's per-user data folder (platformdirs), e.g.
       ``C:\\Users\\<you>\\AppData\\Local\\Portfolio Desk`` or ``~/.local/share/Portfolio Desk``

The folder is created when missing. Inside it: ``portfolio.db`` (the database, with its
``-wal``/``-shm`` companions while open), ``portfolio.lock`` (the single-instance lock) and
``analytics/`` (exports).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from desktop_app import APP_NAME

from .errors import StoreError

ENV_VAR = "PORTFOLIO_DESK_DATA_DIR"
DATABASE_NAME = "portfolio.db"
LOCK_NAME = "portfolio.lock"
ANALYTICS_DIR = "analytics"
WINDOWS_TRADING_DIR = Path("D:\\trading_data")


def _expand(value: str | os.PathLike[str]) -> Path:
    return Path(os.path.expandvars(os.path.expanduser(os.fspath(value)))).resolve()


def _writable_dir(folder: Path) -> bool:
    """True when ``folder`` exists (or can be created) and a file can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            return True
    except OSError:
        return False


def default_data_dir(
    *,
    environ: Mapping[str, str] | None = None,
    windows: bool | None = None,
    trading_dir: Path = WINDOWS_TRADING_DIR,
) -> Path:
    """The folder used when no explicit one is given (steps 2-4 above), not yet created.

    ``windows`` and ``trading_dir`` exist so the D: rule can be tested on any platform.
    """
    env = os.environ if environ is None else environ
    configured = env.get(ENV_VAR, "").strip()
    if configured:
        return _expand(configured)
    on_windows = sys.platform == "win32" if windows is None else windows
    if on_windows and trading_dir.parent.is_dir() and _writable_dir(trading_dir):
        return trading_dir
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))


def resolve_data_dir(
    explicit: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    windows: bool | None = None,
    trading_dir: Path = WINDOWS_TRADING_DIR,
) -> Path:
    """The data folder to use, created if needed. Raises :class:`StoreError` if unusable."""
    folder = (
        _expand(explicit)
        if explicit is not None and os.fspath(explicit).strip()
        else default_data_dir(environ=environ, windows=windows, trading_dir=trading_dir)
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"Cannot use the data folder {folder}: {exc.strerror or exc}. Choose another "
            f"folder with --data-dir or the {ENV_VAR} environment variable."
        ) from exc
    if not folder.is_dir():
        raise StoreError(f"The data folder {folder} is a file, not a folder; choose another one.")
    return folder


def database_path(data_dir: Path) -> Path:
    return data_dir / DATABASE_NAME


def analytics_dir(data_dir: Path) -> Path:
    """``<data dir>/analytics`` (created): where exports are written."""
    folder = data_dir / ANALYTICS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder
