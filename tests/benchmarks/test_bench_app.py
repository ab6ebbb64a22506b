"""Benchmarks of the trading window: cold start to first paint, and a price repaint.

* **Start-up** — from spawning ``python -m desktop_app`` to the log line the app writes on
  the main window's first paint (target: under 2 s). Each run uses a brand-new data dir,
  so it includes creating the database and, with the market package, seeding the demo.
  The first run is the coldest (files not yet in the OS cache) and is reported on its own.
* **Price repaint** — one coalesced flush applied to a grid of 1,000 open positions:
  re-marking every row, the single ``dataChanged``, and formatting every visible cell as
  a repaint would (target: well under the 100 ms flush interval).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from desktop_app.portfolio import PositionTracker, PositionType
from desktop_app.ui.bridge import PriceFlush
from desktop_app.ui.models.positions_model import PositionsModel
from tests.benchmarks.conftest import Bench, measure

STARTS = 6
SPLASH = "splash painted"
WINDOW = "window painted"


def time_to_first_paint(data_dir: Path) -> tuple[float, float]:
    """Seconds from spawning the app to its splash, and to its main window, on screen."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PORTFOLIO_DESK_DATA_DIR", None)
    started = time.perf_counter()
    splash = painted = None
    with subprocess.Popen(
        [sys.executable, "-m", "desktop_app", "--data-dir", str(data_dir), "--quit-after", "0.2"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    ) as process:
        assert process.stderr is not None
        for line in process.stderr:
            if SPLASH in line and splash is None:
                splash = time.perf_counter() - started
            if WINDOW in line and painted is None:
                painted = time.perf_counter() - started
        process.wait(timeout=60)
    assert process.returncode == 0 and painted is not None and splash is not None
    return splash, painted


def test_bench_cold_start_to_first_painted_window(bench: Bench):
    with tempfile.TemporaryDirectory() as folder:
        runs = [time_to_first_paint(Path(folder) / f"data{run}") for run in range(STARTS)]
    splash = np.array([run[0] for run in runs[1:]])
    window = np.array([run[1] for run in runs[1:]])
    bench.record("app start → main window painted (first run)", "s", value=runs[0][1])
    for name, samples in (("splash", splash), ("main window", window)):
        bench.record(
            f"app start → {name} painted (warm OS cache)",
            "s",
            p50=float(np.percentile(samples, 50)),
            p99=float(np.percentile(samples, 99)),
            value=float(np.percentile(samples, 50)),
            target="< 2 s" if name == "main window" else "< 0.5 s",
            notes=f"{len(samples)} runs, new data dir each",
        )
    assert splash.max() < window.min()  # the splash is always first


def test_bench_price_flush_on_a_thousand_positions(bench: Bench, qapp):
    tracker = PositionTracker("USDT")
    tracker.commit(tracker.prepare_cash(Decimal(10_000_000)))
    symbols = [f"C{n:03d}/USDT" for n in range(100)]
    prices = {symbol: Decimal(10 + n) for n, symbol in enumerate(symbols)}
    tracker.update_prices(prices)
    for n in range(1_000):
        symbol = symbols[n % len(symbols)]
        tracker.commit(tracker.prepare_open(symbol, PositionType.LONG, 3, prices[symbol]))
    model = PositionsModel()
    model.load(tracker.get_all_open_positions(), tracker.equity())
    visible_rows = range(40)
    step = iter(range(1, 10_000_000))

    def flush_and_paint() -> None:
        tick = next(step)
        moved = {s: p + Decimal(tick % 7) / 100 for s, p in prices.items()}
        model.apply_prices(
            PriceFlush(
                moved,
                dict.fromkeys(moved, 1),
                datetime.now(UTC),
                Decimal(10_000_000 + tick),
                Decimal(0),
                50,
            )
        )
        for row in visible_rows:
            for column in range(model.columnCount()):
                index = model.index(row, column)
                model.data(index)
                model.data(index, Qt.ItemDataRole.ForegroundRole)

    samples = measure(flush_and_paint, repeat=40, warmup=3)
    result = bench.record_samples(
        "price flush, 1,000 positions (+ 40 visible rows formatted)",
        samples,
        target="< 20 ms",
    )
    assert result.p50 is not None and result.p50 < 100


def test_bench_app_peak_memory_after_one_simulated_hour_at_1000_ticks_per_s(bench: Bench, tmp_path):
    """The whole app in a child process (see ``tests/benchmarks/app_memory.py``)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PORTFOLIO_DESK_DATA_DIR", None)
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.app_memory",
            str(tmp_path / "data"),
            "3600",
            "1000",
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    per_minute = result["rss_per_minute_mib"]
    growth = per_minute[-1] - per_minute[9]
    bench.record(
        "app: peak RSS after 1 h simulated at 1,000 ticks/s (window, engine, SQLite, feed)",
        "MiB",
        value=result["peak_rss_mib"],
        target="bounded",
        notes=(
            f"{result['ticks_accepted']:,} ticks in {result['wall_s']:.0f} s wall; RSS at start "
            f"{result['rss_at_start_mib']:.0f} MiB, growth 10→60 min {growth:+.1f} MiB, "
            f"{result['bars_written']} bars written"
        ),
    )
    assert result["ticks_accepted"] == 3_600_000
    assert len(per_minute) == 60
    assert growth < 16  # fifty more simulated minutes may add bars and snapshots, not leak
