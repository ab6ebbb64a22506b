"""The application entry point: start-up, screenshot automation, logging, data dir."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import struct
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from desktop_app import app as desktop
from desktop_app.lazy import pd
from desktop_app.portfolio import PortfolioManager
from desktop_app.ui.icon import ICO_SIZES, draw_icon
from desktop_app.ui.main_window import MainWindow

from .helpers import until


def args(**overrides) -> argparse.Namespace:
    parsed = desktop.build_parser().parse_args([])
    for key, value in overrides.items():
        setattr(parsed, key, value)
    return parsed


def test_the_app_starts_shows_the_main_window_and_quits_cleanly(run, tmp_path):
    shown: list[MainWindow] = []

    async def scenario():
        task = desktop.run_app(args(quit_after=5.0), tmp_path, tmp_path / "app.log")
        running = asyncio.ensure_future(task)

        def main_window():
            for widget in QApplication.topLevelWidgets():
                if isinstance(widget, MainWindow) and widget.isVisible():
                    return widget
            return None

        window = await until(main_window, message="the main window")
        shown.append(window)
        assert window.windowTitle().startswith("Portfolio Desk")
        assert window.findChild(object, "positionsTable") is not None
        window.close()  # closing the last window ends the app
        return await running

    assert run(scenario()) == 0
    assert shown and not shown[0].isVisible()
    assert (tmp_path / "portfolio-desk.ini").exists()  # the layout was saved


def launch(*extra: str, data_dir: Path, timeout_s: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PORTFOLIO_DESK_DATA_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", "--data-dir", str(data_dir), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def test_screenshot_saves_a_picture_of_the_main_window_and_exits_zero(tmp_path):
    png = tmp_path / "shots" / "main.png"
    done = launch("--screenshot", str(png), "--quit-after", "3", data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    image = QImage(str(png))
    assert not image.isNull()
    assert image.width() >= 1200 and image.height() >= 700
    corners = {image.pixel(x, y) for x in (5, image.width() // 2) for y in (5, image.height() // 2)}
    assert len(corners) > 1  # not a blank canvas
    log_file = tmp_path / "data" / "logs" / "portfolio-desk.log"
    text = log_file.read_text(encoding="utf-8")
    assert "window painted" in text and "screenshot saved" in text
    assert "seeded the DEMO portfolio" in text  # a brand-new data dir starts on the demo
    # ... opened three months back on simulated history, which the ledger lived through
    assert "on 90 days of simulated history" in text
    fills, curve = asyncio.run(stored_fills_and_curve(tmp_path / "data"))
    opened = min(fill.timestamp for fill in fills)
    assert timedelta(days=89) < datetime.now(UTC) - opened < timedelta(days=91)
    assert curve.index[-1] - curve.index[0] > pd.Timedelta(days=89)
    assert len(curve) > 89 * 24  # an hourly point through the history
    # a restart goes on from the last stored prices: no jump back to the shipped ones
    again = launch(  # a screenshot waits for the start-up (the feed) to finish
        "--screenshot", str(tmp_path / "again.png"), "--quit-after", "1", data_dir=tmp_path / "data"
    )
    assert again.returncode == 0, again.stderr
    text = log_file.read_text(encoding="utf-8")
    assert "simulated market resumed from the last stored closes of 8 symbols" in text


async def stored_fills_and_curve(data_dir):
    async with PortfolioManager(data_dir=data_dir) as manager:
        return await manager.store.read_fills(), await manager.store.read_equity_curve()


def test_data_dir_flag_wins_over_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTFOLIO_DESK_DATA_DIR", str(tmp_path / "env"))
    assert desktop.resolve_data_dir(tmp_path / "flag") == (tmp_path / "flag").resolve()
    assert desktop.resolve_data_dir(None) == (tmp_path / "env").resolve()


def test_logs_rotate_in_the_data_dir(tmp_path):
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    try:
        path = desktop.setup_logging(tmp_path)
        assert path == tmp_path / "logs" / "portfolio-desk.log"
        logging.getLogger("desktop_app").info("hello from the test")
        handler = next(h for h in root.handlers if hasattr(h, "maxBytes"))
        assert handler.maxBytes == desktop.LOG_FILE_BYTES and handler.backupCount == 5
        handler.flush()
        assert "hello from the test" in path.read_text(encoding="utf-8")
    finally:
        for handler in list(root.handlers):
            if handler not in saved[0]:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(saved[1])


def test_the_icon_ships_as_png_and_multi_size_ico():
    folder = Path(desktop.__file__).resolve().parents[1] / "resources" / "icons"
    png = QImage(str(folder / "portfolio-desk.png"))
    assert (png.width(), png.height()) == (256, 256)
    data = (folder / "portfolio-desk.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1) and count == len(ICO_SIZES)
    sizes = [struct.unpack_from("<B", data, 6 + 16 * n)[0] or 256 for n in range(count)]
    assert sizes == list(ICO_SIZES)


def test_the_icon_drawing_matches_the_committed_png(qapp):
    committed = QImage(
        str(Path(desktop.__file__).resolve().parents[1] / "resources/icons/portfolio-desk.png")
    )
    drawn = draw_icon(256).convertToFormat(committed.format())
    differing = sum(
        1
        for y in range(0, 256, 4)
        for x in range(0, 256, 4)
        if abs(drawn.pixelColor(x, y).lightness() - committed.pixelColor(x, y).lightness()) > 8
    )
    assert differing < 40  # of 4,096 samples; regenerate: uv run python -m desktop_app.ui.icon


@pytest.mark.parametrize("speed", ["0", "-1", "nan", "inf", "fast"])
def test_a_speed_that_is_not_a_positive_number_is_refused_at_the_command_line(speed, capsys):
    with pytest.raises(SystemExit) as stopped:
        desktop.build_parser().parse_args(["--speed", speed])
    assert stopped.value.code == 2
    assert "--speed" in capsys.readouterr().err
    assert desktop.build_parser().parse_args(["--speed", "900"]).speed == 900.0


def test_a_native_crash_leaves_its_python_stacks_in_the_crash_log(tmp_path):
    """A fault inside a C library kills the process before logging can say anything; the
    app has faulthandler write every thread's stack to <logs>/crash.log instead."""
    script = (
        "import faulthandler, sys\n"
        "from pathlib import Path\n"
        "from desktop_app.app import record_native_crashes\n"
        "assert record_native_crashes(Path(sys.argv[1])) is not None\n"
        "def deep_inside_the_app():\n"
        "    faulthandler._sigsegv()\n"
        "deep_inside_the_app()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    crash = (tmp_path / desktop.CRASH_FILE).read_text(encoding="utf-8")
    assert "Segmentation fault" in crash and "deep_inside_the_app" in crash
