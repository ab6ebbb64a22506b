"""The frozen app, built once per run by PyInstaller from ``packaging/portfolio_desk.spec``.

Only tests marked ``packaging`` use it (``uv run pytest -m packaging``; the default run
deselects them). The build goes to a temp dir, never to the repository's ``dist/``; its
size and build time are printed at the end of the run, the figures the README quotes.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time

import pytest

from .helpers import REPO, SPEC, FrozenApp, load_version_info

BUILD_TIMEOUT_S = 1_200
_built: list[FrozenApp] = []


@pytest.fixture(scope="session")
def frozen_app(tmp_path_factory: pytest.TempPathFactory) -> FrozenApp:
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.fail("PyInstaller is not installed: uv sync (the `packaging` dependency group)")
    build = tmp_path_factory.mktemp("pyinstaller")
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            str(SPEC),
            "--noconfirm",
            "--distpath",
            str(build / "dist"),
            "--workpath",
            str(build / "work"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, (
        f"PyInstaller failed:\n{done.stdout[-4000:]}\n{done.stderr[-8000:]}"
    )
    name = load_version_info().PRODUCT_NAME
    folder = build / "dist" / name
    executable = folder / (f"{name}.exe" if sys.platform == "win32" else name)
    assert executable.is_file(), f"no executable at {executable}"
    app = FrozenApp(folder, executable, elapsed)
    _built.append(app)
    return app


def pytest_terminal_summary(terminalreporter) -> None:
    for app in _built:
        terminalreporter.write_line(
            f"frozen app: {app.size_mb:.0f} MB in {app.folder.name}/, "
            f"PyInstaller build {app.build_s:.0f} s"
        )
