"""Pictures of every view on the DEMO portfolio: ``python -m desktop_app.ui.views.screenshots``.

The README's "Views" pictures (``resources/screenshots/view-*.png``). A throw-away data dir
gets the DEMO portfolio as a brand-new data dir does in the app: opened three months back on
simulated history (``seed_demo_history``), so the equity curve, drawdown, risk metrics,
correlations and performance have a history to show; the simulated market then runs live
for a few seconds. Each dock is then floated at a readable size and grabbed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

#: Market seconds per wall-clock second of the live run after the history.
SPEED = 60.0
RUN_S = 5.0
SIZE = (1100, 680)


async def take(out_dir: Path, data_dir: Path, run_s: float) -> list[Path]:
    from desktop_app.market import DemoHistoryClock, PricePipeline, SimulatedFeed, seed_demo_history
    from desktop_app.portfolio import PortfolioManager
    from desktop_app.ui.app_settings import AppSettings
    from desktop_app.ui.main_window import MainWindow

    manager = PortfolioManager(data_dir=data_dir, clock=DemoHistoryClock())
    await manager.initialize()
    feed = SimulatedFeed(seed=7, speed=SPEED, tick_rate_hz=40.0)
    await seed_demo_history(manager, feed)
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
    assert views.rebalance.form is not None  # a plan with orders: drift beyond 3 points
    views.rebalance.form.set_value("max_drift_pct", 3.0)
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
