"""Entry point of the desktop app: arguments, QApplication, the qasync loop, wiring.

``portfolio-desk`` (a gui-script: no console window on Windows) and ``python -m desktop_app``
both land in :func:`main`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox

from desktop_app import APP_NAME, __version__
from desktop_app.portfolio import PortfolioManager, StoreError

log = logging.getLogger("desktop_app")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portfolio-desk", description=APP_NAME)
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="FOLDER",
        help="the data folder (portfolio.db, analytics exports); default: "
        "PORTFOLIO_DESK_DATA_DIR, else D:\\trading_data on Windows, else your user data folder",
    )
    parser.add_argument(
        "--quit-after",
        type=float,
        metavar="SECONDS",
        help="quit on its own after SECONDS (automation and smoke tests)",
    )
    return parser


class SummaryWindow(QMainWindow):
    """A minimal window showing the live portfolio summary."""

    def __init__(self, manager: PortfolioManager) -> None:
        super().__init__()
        self.manager = manager
        self.setWindowTitle(f"{APP_NAME} {__version__}")
        self.label = QLabel(self)
        self.label.setObjectName("summaryLabel")
        self.setCentralWidget(self.label)
        self.resize(480, 160)

    async def refresh(self) -> None:
        summary = await self.manager.get_portfolio_summary()
        self.label.setText(
            f"Equity {summary['total_value']:,.2f} {summary['quote_currency']}   "
            f"Cash {summary['cash']:,.2f}   Status {summary['status'].upper()}"
        )


def refuse_to_start(args: argparse.Namespace, exc: StoreError) -> int:
    """A second instance, or a database that cannot be used: say so; nothing was changed."""
    log.error("%s", exc)
    if args.quit_after is None:
        QMessageBox.critical(None, APP_NAME, str(exc))
    return 2


async def run_app(args: argparse.Namespace) -> int:
    try:
        manager = PortfolioManager(data_dir=args.data_dir)
    except StoreError as exc:
        return refuse_to_start(args, exc)
    log.info("data folder: %s", manager.data_dir)
    try:
        await manager.initialize()
    except StoreError as exc:
        await manager.shutdown()
        return refuse_to_start(args, exc)
    window = SummaryWindow(manager)
    await window.refresh()
    window.show()
    finished: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def finish() -> None:
        if not finished.done():
            finished.set_result(0)

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    # Quitting goes through this future, never app.quit(): qasync's loop must outlive the
    # coroutine so the engine can shut down cleanly.
    app.setQuitOnLastWindowClosed(False)
    app.lastWindowClosed.connect(finish)
    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), finish)
    try:
        return await finished
    finally:
        await manager.shutdown()


def main(argv: Sequence[str] | None = None) -> int:
    import qasync

    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    try:
        return qasync.run(run_app(args))
    except asyncio.CancelledError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
