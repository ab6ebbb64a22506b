"""The Qt binding itself: guards against binding bugs the app cannot work around.

PySide6 6.12.0 on Python 3.11 drops one reference to ``None`` on every signal delivered to
a Python slot; after some tens of thousands of deliveries (minutes of live prices)
``None`` is deallocated and the interpreter aborts ("none_dealloc"). pyproject.toml
excludes that release; this test fails on any binding that brings the bug back.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QPushButton


def test_signals_delivered_to_python_slots_keep_none_alive(qtbot):
    button = QPushButton()
    qtbot.addWidget(button)
    button.setCheckable(True)
    calls: list[bool] = []
    button.toggled.connect(calls.append)
    before = sys.getrefcount(None)
    for _ in range(500):
        button.click()
    assert len(calls) == 500
    assert sys.getrefcount(None) >= before - 10  # a leak of one per delivery would be -500
