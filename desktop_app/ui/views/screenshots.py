"""Pictures of every view on the DEMO portfolio: ``python -m desktop_app.ui.views.screenshots``.

The README's "Views" pictures (``resources/screenshots/view-*.png``). A throw-away data dir
gets the DEMO portfolio; the simulated market then runs fast (a day of market time in
about half a minute, the manager on the feed's clock, as a rehearsal does), so the equity
curve, drawdown and stored bars have a history to show. Each dock is then floated at a
readable size and grabbed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

#: Market seconds per wall-clock second while the history is made.
SPEED = 2_880.0
RUN_S = 30.0
SIZE = (1100, 680)


async def take(out_dir: Path, data_dir: Path, run_s: float) -> list[Path]:
    from desktop_app.market import PricePipeline, SimulatedFeed, seed_demo_portfolio
    from desktop_app.portfolio import PortfolioManager
    from desktop_app.ui.app_settings import AppSettings
    from desktop_app.ui.main_window import MainWindow

    manager = PortfolioManager(data_dir=data_dir)
    await manager.initialize()
    feed = SimulatedFeed(seed=7, speed=SPEED, tick_rate_hz=40.0)
    manager.set_clock(feed.now)
    await seed_demo_portfolio(manager)
    window = MainWindow(manager, data_dir=data_dir, settings=AppSettings(data_dir))
    window.resize(1500, 950)
    window.show()
    pipeline = PricePipeline(manager, feed)
    window.set_feed(feed, pipeline)
    await pipeline.start()
    await asyncio.sleep(run_s)
    views = await window.install_views()
    await views.settled()
    await manager.risk_manager.calculate_risk_metrics()
    views.refresh_risk()
    await views.rebalance.preview()
    await views.stress.run_builtin()
    await views.performance.refresh()
    await asyncio.sleep(3.0)
    await views.settled()
    saved = []
    for key, dock in views.docks.items():
        dock.setFloating(True)
        dock.resize(*SIZE)
        dock.show()
        dock.raise_()
        await asyncio.sleep(0.6)  # a redraw at the new size
        path = out_dir / f"view-{key}.png"
        dock.grab().save(str(path))
        saved.append(path)
    await pipeline.stop()
    window.shutdown()
    await manager.shutdown()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("resources/screenshots"))
    parser.add_argument("--run-s", type=float, default=RUN_S)
    args = parser.parse_args(argv)
    import qasync
    from PySide6.QtWidgets import QApplication

    from desktop_app.ui.theme import apply_theme

    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app, "dark")
    app.setQuitOnLastWindowClosed(False)
    with tempfile.TemporaryDirectory() as folder:
        saved = qasync.run(take(args.out, Path(folder), args.run_s))
    for path in saved:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
