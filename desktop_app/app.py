"""Entry point of the desktop app: arguments, logging, QApplication, the qasync loop, wiring.

``portfolio-desk`` (a gui-script: no console window on Windows) and ``python -m desktop_app``
both land in :func:`main`. One qasync loop runs everything: the engine's coroutines and the
Qt event loop are the same loop (``qasync.run``), so no call here ever blocks it.

Data dir, in order: ``--data-dir``, ``PORTFOLIO_DESK_DATA_DIR``, the folder chosen in
Settings, ``D:\\trading_data`` on Windows when drive D: is writable, else the platform's user
data dir. Logs rotate in ``<data dir>/logs/portfolio-desk.log``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import math
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app import APP_NAME, __version__
from desktop_app.windows_shell import set_app_user_model_id

if TYPE_CHECKING:  # the engine is imported after the splash is on screen
    from desktop_app.portfolio import PortfolioManager, StoreError

log = logging.getLogger("desktop_app")

#: When this module was imported: start-up times are logged relative to it.
STARTED = time.perf_counter()

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
LOG_FILE_BYTES = 5 * 1024 * 1024
LOG_FILE_COUNT = 5
FEEDS = ("simulated", "replay", "ccxt")
DEFAULT_SCREENSHOT_DELAY_S = 2.0
#: A screenshot waits at most this long for start-up (demo, charts) after its delay.
SCREENSHOT_STARTUP_TIMEOUT_S = 30.0


def positive_number(text: str) -> float:
    """An argparse type: a finite number above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portfolio-desk",
        description=f"{APP_NAME}: live positions and P&L, risk limits, one-click pause "
        "and liquidate.",
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="the data folder (portfolio.db, logs, analytics exports); default: "
        "PORTFOLIO_DESK_DATA_DIR, else the folder chosen in Settings, else D:\\trading_data on "
        "Windows, else your user data folder",
    )
    parser.add_argument(
        "--feed",
        choices=FEEDS,
        help="price feed (default: the one chosen in Settings, else simulated)",
    )
    parser.add_argument(
        "--replay-file", type=Path, metavar="CSV", help="OHLCV CSV played back by --feed replay"
    )
    parser.add_argument(
        "--speed",
        type=positive_number,
        metavar="X",
        help="market speed: replay speed factor (60 = one hour per minute), or how much "
        "faster the simulated market moves",
    )
    parser.add_argument(
        "--exchange", metavar="NAME", help="exchange for --feed ccxt (e.g. binance)"
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="PNG",
        help="save a picture of the main window and exit (automation)",
    )
    parser.add_argument(
        "--quit-after",
        type=float,
        metavar="SECONDS",
        help="quit on its own after SECONDS (automation and smoke tests)",
    )
    parser.add_argument(
        "--self-test",
        nargs="?",
        const="",
        type=str,
        metavar="REPORT",
        help="check this installation in a temporary data folder (engine, window, a trade, "
        "the database) and exit 0 or 1; the report goes to stdout and to REPORT if given",
    )
    return parser


# --------------------------------------------------------------------------- paths
def resolve_data_dir(flag: Path | None) -> Path:
    """The data dir (see the module docstring for the order), created if needed.

    Raises :class:`~desktop_app.store.StoreError` when the folder cannot be used.
    """
    from desktop_app.store import ENV_VAR
    from desktop_app.store import resolve_data_dir as store_data_dir

    if flag is None and not os.environ.get(ENV_VAR, "").strip():
        from desktop_app.ui.app_settings import remembered_data_dir

        flag = remembered_data_dir()
    return store_data_dir(flag)


def app_icon() -> QIcon:
    """The bundled icon, or the same drawing made on the spot when the file is missing."""
    from desktop_app.resources import resource_path

    try:
        icon = QIcon(str(resource_path("icons", "portfolio-desk.png")))
        # the .ico's sizes are drawn one by one: a crisp 16-48 px title bar and taskbar
        icon.addFile(str(resource_path("icons", "portfolio-desk.ico")))
        return icon
    except FileNotFoundError:
        from PySide6.QtGui import QPixmap

        from desktop_app.ui.icon import draw_icon

        log.warning("the app icon is missing from the installation; drawing it instead")
        return QIcon(QPixmap.fromImage(draw_icon(256)))


def setup_logging(data_dir: Path) -> Path:
    """Rotating log file in the data dir, plus stderr when there is a console."""
    log_dir = data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "portfolio-desk.log"
    formatter = logging.Formatter(LOG_FORMAT)
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    file_handler = RotatingFileHandler(
        path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_COUNT, encoding="utf-8"
    )
    file_handler.setFormatter(formatter)
    root.addHandler(file_handler)
    if sys.stderr is not None:  # pythonw (the gui-script on Windows) has no console
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(formatter)
        root.addHandler(console)
    return path


#: Where a native crash (a fault inside Qt or another C library) leaves its Python stacks.
CRASH_FILE = "crash.log"


def record_native_crashes(log_dir: Path) -> Any:
    """Have :mod:`faulthandler` append every thread's Python stack to ``<logs>/crash.log``
    if the process dies of a native fault, which the log file itself cannot record. Returns
    the open file (faulthandler keeps it for the life of the process), or None if it cannot
    be opened."""
    import faulthandler

    try:
        crash_file = (log_dir / CRASH_FILE).open("a", encoding="utf-8")
    except OSError as exc:
        log.warning("native crashes will not be recorded: %s", exc)
        return None
    faulthandler.enable(file=crash_file, all_threads=True)
    return crash_file


# ------------------------------------------------------------------------- wiring
class FirstPaint(QObject):
    """Logs the first paint of the window: the start-up time a trader actually sees.

    Then pandas is imported on the main thread (see ``desktop_app.lazy``): the window is up,
    and the engine's worker threads, which wait for it, never import it concurrently with
    the Qt loop.
    """

    def __init__(self, target: QObject) -> None:
        super().__init__(target)
        self.painted_at: float | None = None
        self.painted = asyncio.Event()
        target.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.painted_at is None:
            self.painted_at = time.perf_counter()
            log.info("window painted %.0f ms after start", (self.painted_at - STARTED) * 1000)
            watched.removeEventFilter(self)
            self.painted.set()
            QTimer.singleShot(0, load_pandas)
        return False


def load_pandas() -> None:
    """Import pandas on the main thread now (about a second, once)."""
    from desktop_app.lazy import pd

    started = time.perf_counter()
    pd.load()
    log.info("pandas loaded on the main thread in %.0f ms", (time.perf_counter() - started) * 1000)


def replay_file(args: argparse.Namespace, settings: Any) -> Path | None:
    """The history file ``--feed replay`` plays: the flag, else the saved setting."""
    if args.replay_file:
        return Path(args.replay_file)
    return Path(settings.replay_file) if settings.replay_file else None


def ledger_dir(data_dir: Path, args: argparse.Namespace, settings: Any) -> Path:
    """Where the portfolio lives: the data dir, or a rehearsal ledger for a replay.

    A replay rehearses on history — its prices and its clock are years old — so it trades
    in its own ledger, ``<data dir>/rehearsals/<file name>``, and never touches the real
    one. Each history file keeps its rehearsal between runs.
    """
    if (args.feed or settings.feed) != "replay":
        return data_dir
    played = replay_file(args, settings)
    return data_dir / "rehearsals" / (played.stem if played else "stored-bars")


def first_bar_time(path: Path | None) -> datetime | None:
    """The first timestamp of an OHLCV CSV (read without loading the file), or None."""
    if path is None:
        return None
    try:
        with path.open(encoding="utf-8") as handle:
            handle.readline()  # the header
            first = handle.readline().split(",", 1)[0].strip()
        moment = datetime.fromisoformat(first)
    except (OSError, ValueError):
        return None  # the feed reports the bad file when it tries to load it
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class RehearsalClock:
    """Market time of a rehearsal: the replay feed's clock once it plays, else where the
    replay starts — the file's first bar for a new rehearsal, or where the last session
    stopped. The ledger never sees the wall clock, so its equity curve is history's."""

    def __init__(self, start: datetime | None) -> None:
        self.start = start or datetime.now(UTC)
        self.feed: Any = None

    def __call__(self) -> datetime:
        return self.feed.now() if self.feed is not None else self.start

    async def resume_from(self, manager: PortfolioManager) -> datetime | None:
        """Continue where the ledger's market time stopped: its last fill, cash movement or
        equity snapshot (None: a new rehearsal, which starts at the file's first bar)."""
        tracker = manager.position_tracker
        moments = [entry.timestamp for entry in tracker.recent_fills(1)]
        moments += [movement.timestamp for movement in tracker.cash_movements()[-1:]]
        if manager.store is not None and (last := await manager.store.last_equity_time()):
            moments.append(last)
        if not moments:
            return None
        self.start = max(moments)
        return self.start


def is_brand_new(data_dir: Path) -> bool:
    """No portfolio database in ``data_dir`` yet: the first start on this folder."""
    from desktop_app.store import database_path

    return not database_path(data_dir).exists()


async def open_manager(data_dir: Path, clock: Any = None) -> PortfolioManager:
    """The engine on ``<data dir>/portfolio.db``, restored and ready.

    Raises :class:`StoreError` (nothing changed) for a folder another Portfolio Desk is
    using, or a database that cannot be used (corrupt, foreign, newer).
    """
    from desktop_app.portfolio import PortfolioManager

    manager = PortfolioManager(data_dir=data_dir, clock=clock)
    log.info("data folder: %s", manager.data_dir)
    try:
        await manager.initialize()
    except BaseException:
        await manager.shutdown()
        raise
    return manager


async def refuse_to_start(args: argparse.Namespace, exc: StoreError) -> int:
    """A second instance, or a database that cannot be used: say so; nothing was changed.

    The message box is awaited (``open()`` + ``finished``), never ``exec()``: a nested loop
    inside this coroutine would stall qasync. Automation runs only log it.
    """
    log.error("%s", exc)
    if args.quit_after is None and args.screenshot is None:
        from desktop_app.ui.dialogs.common import wait_finished

        box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, str(exc))
        box.setObjectName("startupErrorBox")
        await wait_finished(box)
    return 2


class MarketSession:
    """The price feed and the pipeline that marks the portfolio.

    Started after the window's first paint: the market package pulls in pandas and numpy,
    which are imported on a worker thread so the window is up (and responsive) at once. A
    brand-new data dir on the simulated feed starts on the DEMO portfolio. Anything that
    stops the feed from starting (a missing ``live`` extra, a bad replay file) is reported
    in the event log and the status bar; the app keeps running without prices.
    """

    def __init__(self, rehearsal: RehearsalClock | None = None, opening_clock: Any = None) -> None:
        self.feed: Any = None
        self.pipeline: Any = None
        self.rehearsal = rehearsal
        #: A brand-new DEMO's clock (three months back) until its history is played.
        self.opening_clock = opening_clock

    async def start(self, manager: PortfolioManager, *args: Any, **kwargs: Any) -> None:
        try:
            await self._start(manager, *args, **kwargs)
        finally:
            if self.opening_clock is not None and manager.clock is self.opening_clock:
                from desktop_app.portfolio.values import utc_now

                manager.set_clock(utc_now)  # no DEMO history after all (no feed)

    async def _start(
        self,
        manager: PortfolioManager,
        args: argparse.Namespace,
        settings: Any,
        window: Any,
        *,
        brand_new: bool,
    ) -> None:
        from desktop_app.portfolio import PortfolioError

        loop = asyncio.get_running_loop()
        kind = args.feed or settings.feed
        try:
            market = await loop.run_in_executor(None, importlib.import_module, "desktop_app.market")
        except ImportError as exc:
            window.report_feed_problem(f"No price feed: the market package is missing ({exc})")
            return
        options = self.feed_options(kind, manager, args, settings)
        if kind == "replay" and self.rehearsal is not None:
            options["replay_start"] = self.rehearsal.start
        try:
            feed = await loop.run_in_executor(None, lambda: market.create_feed(kind, **options))
        except (PortfolioError, OSError, ValueError) as exc:
            window.report_feed_problem(f"The {kind} price feed cannot start: {exc}")
            return
        self.feed = feed
        if kind == "simulated" and not brand_new and manager.store is not None:
            await self.resume_simulation(manager, feed)
        if kind == "replay" and self.rehearsal is not None:  # on the history's own clock
            self.rehearsal.feed = feed
            window.event_log.add(
                f"Rehearsal on history: prices and time come from the replay; this ledger "
                f"({manager.data_dir}) is separate from your real portfolio"
            )
        if brand_new and kind == "simulated":
            if await market.seed_demo_history(manager, feed):
                window.event_log.add(
                    "A brand-new data folder: started on the DEMO portfolio, opened "
                    f"{market.DEMO_HISTORY_DAYS} days ago on simulated prices (no real money)"
                )
                await window.history_changed()
            else:
                manager.set_clock(feed.now)
        self.pipeline = market.PricePipeline(manager, feed)
        try:
            await self.pipeline.start()
        except PortfolioError as exc:
            window.report_feed_problem(f"The {kind} price feed cannot start: {exc}")
        window.set_feed(feed, self.pipeline)

    @staticmethod
    async def resume_simulation(manager: PortfolioManager, feed: Any) -> None:
        """The simulated market goes on from the last stored closes of the last session, so a
        restart does not jump back to the shipped start prices."""
        from desktop_app.portfolio import PortfolioError

        try:
            closes = await manager.store.last_closes(feed.prices())
            moved = feed.resume_from({symbol: close for symbol, (close, _) in closes.items()})
        except PortfolioError as exc:
            log.warning("the simulated market starts from its shipped prices: %s", exc)
            return
        if moved:
            log.info(
                "simulated market resumed from the last stored closes of %d symbols", len(moved)
            )

    @staticmethod
    def feed_options(
        kind: str, manager: PortfolioManager, args: argparse.Namespace, settings: Any
    ) -> dict[str, Any]:
        if kind == "replay":
            replay = replay_file(args, settings)
            return {
                "replay_files": [replay] if replay else [],
                "speed": args.speed or settings.replay_speed,
            }
        if kind == "ccxt":
            tracker = manager.position_tracker
            symbols = set(tracker.open_symbols()) | set(manager.config.target_allocations)
            quote = manager.config.quote_currency
            return {
                "symbols": sorted(symbols) or [f"BTC/{quote}", f"ETH/{quote}"],
                "exchange_id": args.exchange or settings.exchange,
            }
        return {"speed": args.speed} if args.speed else {}

    async def stop(self) -> None:
        if self.pipeline is not None:
            await self.pipeline.stop()
        elif self.feed is not None:
            await self.feed.stop()


async def run_app(
    args: argparse.Namespace, data_dir: Path, log_path: Path, splash: Any = None
) -> int:
    from desktop_app.store import StoreError
    from desktop_app.ui.app_settings import AppSettings
    from desktop_app.ui.error_reporter import ErrorReporter
    from desktop_app.ui.main_window import MainWindow
    from desktop_app.ui.theme import apply_theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    loop = asyncio.get_running_loop()
    settings = AppSettings(data_dir)
    apply_theme(app, settings.theme)
    reporter = ErrorReporter(log_path)
    reporter.install(loop)
    ledger = ledger_dir(data_dir, args, settings)
    brand_new = is_brand_new(ledger)
    rehearsal = (
        RehearsalClock(first_bar_time(replay_file(args, settings))) if ledger != data_dir else None
    )
    clock: Any = rehearsal
    if brand_new and rehearsal is None and (args.feed or settings.feed) == "simulated":
        from desktop_app.market.demo import DemoHistoryClock

        # the DEMO opens three months back (seed_demo_history), so the opening deposit is
        # booked there; should the feed not start after all, the clock goes back to the wall
        # clock (MarketSession.start) and that deposit keeps the earlier date
        clock = DemoHistoryClock()
    if splash is not None:
        from desktop_app.ui.splash import set_stage

        set_stage(splash, f"Opening {ledger}…")
    try:
        manager = await open_manager(ledger, clock)
    except StoreError as exc:
        reporter.uninstall()
        if splash is not None:
            splash.close()
        return await refuse_to_start(args, exc)
    window = MainWindow(
        manager, data_dir=ledger, settings=settings, log_path=log_path, icon=app_icon()
    )
    reporter.parent_widget = window
    first_paint = FirstPaint(window)
    window.show()
    if splash is not None:
        splash.finish(window)
    if rehearsal is not None:
        await rehearsal.resume_from(manager)
    market = MarketSession(rehearsal, opening_clock=clock if clock is not rehearsal else None)

    async def guarded(work: Any, what: str) -> None:
        try:
            await work
        except Exception:
            reporter.report(sys.exc_info(), what)  # type: ignore[arg-type]

    async def views_after_first_paint() -> None:
        await first_paint.painted.wait()
        await window.install_views()
        log.info("charts ready %.0f ms after start", (time.perf_counter() - STARTED) * 1000)

    background = {
        loop.create_task(guarded(window.load_history(), "loading the history")),
        loop.create_task(guarded(views_after_first_paint(), "opening the charts")),
        loop.create_task(
            guarded(
                market.start(manager, args, settings, window, brand_new=brand_new),
                "starting the price feed",
            )
        ),
    }

    finished: asyncio.Future[int] = loop.create_future()

    def finish(code: int = 0) -> None:
        if not finished.done():
            finished.set_result(code)

    # Quitting goes through this future, never app.quit(): qasync's loop must outlive the
    # coroutine so the engine can shut down cleanly.
    app.setQuitOnLastWindowClosed(False)
    app.lastWindowClosed.connect(finish)
    delay_s = args.quit_after
    if args.screenshot is not None and delay_s is None:
        delay_s = DEFAULT_SCREENSHOT_DELAY_S
    screenshot: asyncio.Task[None] | None = None
    if delay_s is not None and args.screenshot is None:
        QTimer.singleShot(int(delay_s * 1000), finish)
    elif delay_s is not None:

        async def shoot() -> None:
            """After the delay, and once start-up (demo, charts, history) is done: a picture
            of a half-started desk shows nothing (a loaded machine can take longer)."""
            await asyncio.sleep(delay_s)
            await asyncio.wait(background, timeout=SCREENSHOT_STARTUP_TIMEOUT_S)
            finish(save_screenshot(window, args.screenshot))

        screenshot = loop.create_task(shoot())
    try:
        return await finished
    finally:
        for task in (*background, *([screenshot] if screenshot else [])):
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        window.shutdown()
        window.hide()
        await market.stop()
        await manager.shutdown()
        reporter.uninstall()
        log.info("%s closed", APP_NAME)


def save_screenshot(window: Any, path: Path) -> int:
    """Render the window into ``path`` (PNG); the exit code."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if window.grab().save(str(path), "PNG"):
        log.info("screenshot saved to %s", path)
        return 0
    log.error("could not save the screenshot to %s", path)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, show the splash, then import the engine, open the data dir and run."""
    import qasync

    from desktop_app.ui.splash import show_splash

    args = build_parser().parse_args(argv)
    set_app_user_model_id()
    if args.self_test is not None:
        from desktop_app.self_test import run_self_test

        return run_self_test(Path(args.self_test) if args.self_test else None)
    from desktop_app.lazy import pd

    pd.defer_to_main_thread()  # loaded after the first paint (see FirstPaint)
    if sys.stderr is not None:  # until the log file exists (setup_logging replaces this)
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName("PortfolioDesk")
    splash = show_splash(app)
    log.info("splash painted %.0f ms after start", (time.perf_counter() - STARTED) * 1000)
    from desktop_app.store import StoreError

    try:
        data_dir = resolve_data_dir(args.data_dir)
    except StoreError as exc:  # before any loop runs: a plain modal box is fine here
        splash.close()
        if sys.stderr is not None:
            print(f"{APP_NAME}: {exc}", file=sys.stderr)
        if args.quit_after is None and args.screenshot is None:
            QMessageBox.critical(None, APP_NAME, str(exc))
        return 2
    log_path = setup_logging(data_dir)
    record_native_crashes(log_path.parent)  # faulthandler keeps the file open
    log.info("%s %s starting; data dir %s", APP_NAME, __version__, data_dir)
    app.setWindowIcon(app_icon())
    try:
        return qasync.run(run_app(args, data_dir, log_path, splash))
    except asyncio.CancelledError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
