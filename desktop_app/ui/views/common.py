"""What the views share: a check that a widget outlived an ``await``.

A view's ``asyncSlot`` handler awaits the engine (a report, a plan, a store read); the
window may close meanwhile and Qt delete the widget. Every handler checks :func:`alive`
after its awaits before touching a widget, so a late answer is dropped quietly.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtWidgets import QWidget


def alive(widget: QWidget) -> bool:
    """The widget still exists on the C++ side (and so may be updated)."""
    return shiboken6.isValid(widget)
