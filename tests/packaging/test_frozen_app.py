"""The frozen app works: what proves the PyInstaller spec right when no Windows is at hand.

The bundle is built from ``packaging/portfolio_desk.spec`` (see conftest) and run as a
trader's machine runs it: no Python, no source tree, only ``dist/Portfolio Desk``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.self_test import Outcome

from .helpers import FrozenApp, load_version_info

pytestmark = pytest.mark.packaging

RUN_TIMEOUT_S = 180
#: The Linux bundle today is ~270 MB (Qt with its ICU data, numpy/pandas, the live feed).
BUNDLE_BUDGET_MB = 320
SELF_TEST_CHECKS = (
    "resources",
    "charts",
    "live feed",
    "engine",
    "window",
    "prices",
    "open",
    "close",
    "store",
    "log",
)


def run(app: FrozenApp, *args: str, data_dir: Path, timeout_s: float = RUN_TIMEOUT_S):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PORTFOLIO_DESK_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [str(app.executable), *args],
        cwd=app.folder.parent,  # not the repository: nothing may come from the source tree
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def test_the_frozen_app_passes_its_self_test(frozen_app, tmp_path):
    trader_data = tmp_path / "trader-data"
    trader_data.mkdir()
    report = tmp_path / "report.txt"
    done = run(frozen_app, "--self-test", str(report), data_dir=trader_data)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-4000:]}"
    lines = done.stdout.splitlines()
    assert "(frozen," in lines[0]
    for check in SELF_TEST_CHECKS:
        assert f"  {Outcome.PASS.value}  {check}:" in done.stdout, check
    assert lines[-1].startswith("PASS:")
    assert report.read_text(encoding="utf-8") == done.stdout
    # the resources came from the bundle, not from a source tree
    resources = next(line for line in lines if "PASS  resources:" in line)
    assert str(frozen_app.folder) in resources
    # the self-test never touches the trader's data folder
    assert list(trader_data.iterdir()) == []


def test_the_frozen_app_prints_the_package_version(frozen_app, tmp_path):
    done = run(frozen_app, "--version", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    version = load_version_info().project_version()
    assert done.stdout.strip() == f"Portfolio Desk {version}"


def test_the_frozen_app_starts_on_the_demo_and_logs_to_its_data_dir(frozen_app, tmp_path):
    data_dir = tmp_path / "data"
    done = run(frozen_app, "--data-dir", str(data_dir), "--quit-after", "6", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr[-4000:]
    log = (data_dir / "logs" / "portfolio-desk.log").read_text(encoding="utf-8")
    assert "window painted" in log
    assert "seeded the DEMO portfolio" in log  # the market package loaded at run time
    assert (data_dir / "portfolio.db").is_file()


def bundled_modules(app: FrozenApp) -> set[str]:
    """The Python modules inside the executable's PYZ archive."""
    from PyInstaller.archive.readers import CArchiveReader

    archive = CArchiveReader(str(app.executable))
    return set(archive.open_embedded_archive("PYZ.pyz").toc)


def test_the_bundle_leaves_out_what_the_app_does_not_use(frozen_app):
    modules = bundled_modules(frozen_app)
    tops = {name.split(".")[0] for name in modules}
    for unused in ("tkinter", "pytest", "_pytest", "hypothesis", "IPython", "matplotlib"):
        assert unused not in tops, unused
    for unused in ("PySide6.QtWebEngineCore", "PySide6.Qt3DCore", "PySide6.QtNetwork"):
        assert unused not in modules, unused
    assert "pyqtgraph.examples" not in modules
    files = [p.relative_to(frozen_app.folder).as_posix() for p in frozen_app.folder.rglob("*")]
    assert not [f for f in files if "/Qt/translations/" in f]
    assert not [f for f in files if "QtWebEngine" in f or "Qt63D" in f or "Qt6Quick" in f]
    assert not [f for f in files if f.startswith("_internal/resources/screenshots")]


def test_the_bundle_holds_everything_the_app_loads_at_run_time(frozen_app):
    modules = bundled_modules(frozen_app)
    needed_modules = ("desktop_app.market", "desktop_app.self_test", "pandas", "playhouse.migrate")
    for needed in (*needed_modules, "qasync"):
        assert needed in modules, needed
    assert "ccxt.async_support" in modules  # the live feed ships with the installer
    internal = frozen_app.folder / "_internal"
    assert (internal / "resources" / "icons" / "portfolio-desk.png").is_file()
    assert (internal / "resources" / "market" / "simulation_params.json").is_file()
    assert list(internal.glob("portfolio_desk-*.dist-info"))  # __version__ from metadata
    plugins = {p.name for p in internal.rglob("*") if p.parent.name == "platforms"}
    native = "qwindows.dll" if sys.platform == "win32" else "libqxcb.so"
    assert native in plugins and any("qoffscreen" in name for name in plugins), plugins


def test_the_bundle_stays_within_its_size_budget(frozen_app):
    assert frozen_app.size_mb < BUNDLE_BUDGET_MB, (
        f"the bundle grew to {frozen_app.size_mb:.0f} MB (budget {BUNDLE_BUDGET_MB} MB): "
        "check the spec's excludes"
    )
