"""The memory benchmark's child process: the whole app through one simulated hour.

``python -m tests.benchmarks.app_memory DATA_DIR [SECONDS] [TICKS_PER_S]`` builds what
``portfolio-desk`` builds on a brand-new data dir — the engine on a real SQLite store
seeded with the DEMO portfolio, the main window (offscreen), the simulated feed and the
price pipeline writing 1-minute bars — and drives it on the feed's own clock (not wall
time) in 100 ms steps. The engine's clock is the feed's, so equity snapshots and bars are
stamped in simulated time. Qt runs between steps, so the window's price flushes, grid and
status bar work as in the app.

It prints one JSON object: resident memory (RSS, MiB) sampled every simulated minute, the
peak RSS the kernel recorded (VmHWM) for the process, ticks accepted and the wall time taken.
A separate process, so the figure is the app's own and nothing else from the test run.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

STEP_S = 0.1
START = datetime(2026, 1, 5, tzinfo=UTC)


def rss_mib() -> float:
    """Resident set size now (Linux /proc; the benchmark runs on Linux)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib() -> float:
    """The kernel's high-water mark of this process's RSS (VmHWM). Not ``ru_maxrss``: Linux
    carries that across fork and exec, so a child would report its parent's peak."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


async def drive(data_dir: Path, seconds: float, rate: int) -> dict[str, object]:
    from desktop_app.market import PricePipeline, SimulatedFeed, seed_demo_portfolio
    from desktop_app.portfolio import PortfolioManager
    from desktop_app.ui.app_settings import AppSettings
    from desktop_app.ui.main_window import MainWindow

    feed = SimulatedFeed(seed=3, tick_rate_hz=rate, start_time=START, realtime=False)
    manager = PortfolioManager(data_dir=data_dir, clock=feed.now)
    await manager.initialize()
    await seed_demo_portfolio(manager, feed.prices())
    window = MainWindow(manager, data_dir=data_dir, settings=AppSettings(data_dir))
    window.show()
    pipeline = PricePipeline(manager, feed)
    await pipeline.start(run_loop=False)
    window.set_feed(feed, pipeline)
    await window.load_history()
    at_start = rss_mib()
    samples: list[float] = []
    steps_per_minute = round(60 / STEP_S)
    started = time.perf_counter()
    for step in range(1, round(seconds / STEP_S) + 1):
        feed.advance(STEP_S)
        await pipeline.flush()
        await asyncio.sleep(0)  # Qt's turn: the window's price flush, timers, repaints
        if step % steps_per_minute == 0:
            samples.append(rss_mib())
    await pipeline.wait_for_bars()
    wall = time.perf_counter() - started
    stats = pipeline.stats()
    equity = str((await manager.get_portfolio_summary())["total_value"])
    window.shutdown()
    window.hide()
    await pipeline.stop()
    await manager.shutdown()
    return {
        "rss_at_start_mib": at_start,
        "rss_per_minute_mib": samples,
        "peak_rss_mib": peak_rss_mib(),
        "ticks_accepted": stats.ticks_accepted,
        "bars_written": stats.bars_written,
        "wall_s": wall,
        "total_value": equity,
    }


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtWidgets import QApplication

    from desktop_app.lazy import pd

    pd.load()
    data_dir = Path(argv[0])
    seconds = float(argv[1]) if len(argv) > 1 else 3600.0
    rate = int(argv[2]) if len(argv) > 2 else 1_000
    app = QApplication([])
    app.setQuitOnLastWindowClosed(False)
    result = qasync.run(drive(data_dir, seconds, rate))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
