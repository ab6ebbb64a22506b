"""The app's identity in the Windows shell: taskbar grouping, pinning and its icon.

Without an explicit AppUserModelID Windows groups a window under the executable that
started the process; a frozen app then shows up fine, but ``pythonw.exe`` (a source
install) would show Python's icon and group with every other Python app. Setting the ID
before the first window appears makes the taskbar button carry Portfolio Desk's name and
icon, and the installer gives its shortcuts the same ID (``AppUserModelID`` in
``packaging/windows/installer.iss``) so a pinned shortcut and the running window are one
taskbar button. Does nothing outside Windows.
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)

#: ``Company.Product`` (Microsoft's format, no spaces); keep in step with installer.iss.
APP_USER_MODEL_ID = "PortfolioDesk.PortfolioDesk"


def set_app_user_model_id(app_id: str = APP_USER_MODEL_ID) -> bool:
    """Give this process ``app_id`` in the Windows shell; True when Windows accepted it."""
    if sys.platform != "win32":
        return False
    import ctypes

    try:
        result = ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID(app_id)
    except (AttributeError, OSError) as exc:  # very old Windows, or a stripped-down shell
        log.warning("could not set the taskbar identity: %s", exc)
        return False
    if result != 0:  # an HRESULT: 0 is S_OK
        log.warning("could not set the taskbar identity: HRESULT %#x", result & 0xFFFFFFFF)
        return False
    return True
