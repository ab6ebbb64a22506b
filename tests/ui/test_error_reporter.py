"""Unhandled exceptions become an error box naming the log file; the app keeps running."""

from __future__ import annotations

import asyncio
import logging
import sys

from PySide6.QtWidgets import QMessageBox

from desktop_app.ui.error_reporter import ErrorReporter

from .helpers import find_dialog, until


def raise_and_capture() -> tuple:
    try:
        raise ZeroDivisionError("division by zero in a chart")
    except ZeroDivisionError:
        return sys.exc_info()


def test_an_uncaught_exception_shows_one_box_with_the_log_path(qtbot, tmp_path, caplog):
    log_path = tmp_path / "logs" / "portfolio-desk.log"
    reporter = ErrorReporter(log_path)
    with caplog.at_level(logging.CRITICAL, logger="desktop_app.crash"):
        reporter.excepthook(*raise_and_capture())
        reporter.excepthook(*raise_and_capture())
    box = find_dialog(QMessageBox, "errorBox")
    assert box is not None and box is reporter.box
    assert str(log_path) in box.informativeText()
    assert "ZeroDivisionError: division by zero in a chart" in box.informativeText()
    assert "2 errors so far" in box.informativeText()  # one box, counting
    assert "Traceback" in caplog.text  # the traceback goes to the log, not the screen
    assert "Traceback" not in box.informativeText()
    box.close()
    assert find_dialog(QMessageBox, "errorBox") is None


def test_the_hooks_are_installed_and_removed(qloop, tmp_path, caplog):
    reporter = ErrorReporter(tmp_path / "app.log")
    previous = sys.excepthook
    reporter.install(qloop)
    try:
        assert sys.excepthook == reporter.excepthook
    finally:
        reporter.uninstall()
    assert sys.excepthook is previous
    with caplog.at_level(logging.ERROR):
        qloop.call_exception_handler({"message": "late", "exception": KeyError("x")})
    assert reporter.count == 0 and find_dialog(QMessageBox, "errorBox") is None


def test_an_exception_in_a_forgotten_task_reaches_the_box(run, tmp_path):
    reporter = ErrorReporter(tmp_path / "app.log")

    async def scenario():
        loop = asyncio.get_running_loop()
        reporter.install(loop)
        try:

            async def doomed():
                raise KeyError("lost order id")

            task = loop.create_task(doomed())
            await asyncio.sleep(0.01)
            # a task nobody awaits reports its exception when it is collected
            loop.call_exception_handler(
                {"message": "Task exception was never retrieved", "exception": task.exception()}
            )
            box = await until(lambda: find_dialog(QMessageBox, "errorBox"))
            assert "KeyError" in box.informativeText()
            box.close()
        finally:
            reporter.uninstall()

    run(scenario())
