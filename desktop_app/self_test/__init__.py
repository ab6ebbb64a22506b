"""``portfolio-desk --self-test``: proof that this installation works, end to end.

The release build runs it on the frozen app (``packaging/windows/build.ps1`` on Windows,
``tests/packaging`` on Linux), and support can ask a trader to run it when something seems
wrong. It never touches the trader's data: everything happens in a temporary data folder
that is deleted afterwards, with the main window drawn offscreen (``QT_QPA_PLATFORM``
defaults to ``offscreen`` here, so nothing flashes on screen).

The checks, in order — each a thing a broken installation gets wrong:

1. **resources**: the icon, the theme's check mark and the simulation parameters are found
   and readable (``desktop_app.resources`` in a bundle, a wheel or a source tree);
2. **charts**: pyqtgraph (imported lazily by the chart views) draws a date-axis chart;
3. **live feed**: ccxt, its CA bundle and the keyring backend are there (no network; skipped
   when the optional ``live`` extra is not installed);
4. **engine**: a ``PortfolioManager`` opens a brand-new ``portfolio.db`` in the folder;
5. **window**: the real main window opens, with the app's icon and title;
6. **prices**: the simulated feed (``desktop_app.market``, imported at run time) marks the
   portfolio through the price pipeline, and the window receives the ticks;
7. **open** / **close**: a position is opened and then closed, at a new price, through the
   window's own tickets, and the grids show it;
8. **store**: after a clean shutdown a fresh engine on the same folder restores exactly that
   history (no open position, the closed one with the same realized P&L, the same cash, both
   fills in the journal) and SQLite's ``integrity_check`` passes;
9. **log**: the log file was written in the data folder.

A failed step skips the steps that need it. The report (one ``PASS``/``FAIL``/``SKIP`` line a
check, then the verdict) goes to stdout when there is one, and to a file when asked for (a
windowed Windows build has no stdout). Exit code: 0 when no check failed, else 1.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

from desktop_app import APP_NAME, __version__

from .runner import CheckResult, Outcome, SelfTest

__all__ = ["CheckResult", "Outcome", "SelfTest", "run_self_test"]

log = logging.getLogger(__name__)


def run_self_test(report_path: Path | None = None) -> int:
    """Run every check in a temporary data folder; print (and save) the report; 0 or 1."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtWidgets import QApplication

    from desktop_app.app import app_icon, setup_logging
    from desktop_app.lazy import pd

    pd.load()  # on the main thread, before the loop runs (see desktop_app.lazy)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName("PortfolioDesk")
    app.setQuitOnLastWindowClosed(False)
    with tempfile.TemporaryDirectory(
        prefix="portfolio-desk-self-test-", ignore_cleanup_errors=True
    ) as folder:
        data_dir = Path(folder)
        log_path = setup_logging(data_dir)
        log.info("%s %s self-test in %s", APP_NAME, __version__, data_dir)
        app.setWindowIcon(app_icon())
        test = SelfTest(data_dir, log_path)
        try:
            qasync.run(test.run())
        except Exception as exc:  # the loop itself broke: still report what ran
            log.exception("the self-test's event loop failed")
            test.record("event loop", Outcome.FAIL, f"{type(exc).__name__}: {exc}")
        text = test.report(app.platformName())
        root = logging.getLogger()
        for handler in list(root.handlers):  # Windows cannot delete an open log file
            root.removeHandler(handler)
            handler.close()
    if sys.stdout is not None:
        print(text, flush=True)
    if report_path is not None:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(text + "\n", encoding="utf-8")
    return 0 if test.passed else 1
