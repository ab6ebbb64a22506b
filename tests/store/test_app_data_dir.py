"""The app uses --data-dir, says which folder it uses, and a second instance is refused."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.store import Store


def run_app(*args: str) -> subprocess.CompletedProcess[str]:
    launcher = shutil.which("portfolio-desk", path=str(Path(sys.executable).parent))
    if launcher is None:
        pytest.fail("the portfolio-desk launcher is not installed in this environment")
    return subprocess.run(
        [launcher, *args],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_app_logs_the_data_folder_it_uses(data_dir):
    done = run_app("--data-dir", str(data_dir), "--quit-after", "0.5")
    assert done.returncode == 0, done.stderr
    assert f"data folder: {data_dir}" in done.stderr
    assert f"portfolio database: {data_dir / 'portfolio.db'}" in done.stderr
    assert (data_dir / "portfolio.db").exists()


async def test_a_second_app_on_the_same_folder_exits_with_a_clear_message(data_dir):
    store = Store(data_dir)
    await store.open()
    try:
        done = run_app("--data-dir", str(data_dir), "--quit-after", "0.5")
    finally:
        await store.close()
    assert done.returncode == 2
    assert "Another Portfolio Desk is using the data folder" in done.stderr
    assert "portfolio ready" not in done.stderr
