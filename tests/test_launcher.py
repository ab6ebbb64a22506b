"""The packaged ``portfolio-desk`` launcher starts, runs and quits cleanly with no display."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def launcher() -> str:
    found = shutil.which("portfolio-desk", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("the portfolio-desk launcher is not installed in this environment")
    return found


def test_launcher_runs_offscreen_and_exits_zero(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PORTFOLIO_DESK_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [launcher(), "--quit-after", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "portfolio ready" in done.stderr


def test_launcher_prints_its_version():
    done = subprocess.run(
        [launcher(), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0
    assert "Portfolio Desk" in done.stdout
