"""Test-suite wide setup: no display, no writes outside temp dirs, coroutine tests.

* ``QT_QPA_PLATFORM=offscreen`` so every Qt test runs on a machine with no display.
* ``PORTFOLIO_DESK_DATA_DIR`` points at a session temp dir so nothing ever touches the
  trader's real data folder.
* ``async def test_...`` functions run on a fresh asyncio loop (engine tests; the GUI tests
  drive a qasync loop themselves, see tests/ui/conftest.py).
* ``tests/benchmarks`` is collected only when asked for explicitly:
  ``uv run pytest tests/benchmarks``.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from desktop_app.lazy import pd

# pandas loads on the main thread before any test runs a Qt loop beside worker threads
# (see desktop_app.lazy); the app's own lazy loading is tested through real app processes.
pd.load()

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault(
    "PORTFOLIO_DESK_DATA_DIR", tempfile.mkdtemp(prefix="portfolio-desk-test-data-")
)

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150
)
settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

TESTS_DIR = Path(__file__).parent
BENCHMARKS_DIR = TESTS_DIR / "benchmarks"
#: The real market data shared beside the repository (never copied into it).
PRICES_DIR = Path(
    os.environ.get("PORTFOLIO_DESK_PRICES_DIR", TESTS_DIR.parent.parent / "shared/data/prices")
)


def _benchmarks_requested(config: pytest.Config) -> bool:
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if path == BENCHMARKS_DIR or BENCHMARKS_DIR in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path == BENCHMARKS_DIR and not _benchmarks_requested(config):
        return True
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        kwargs = {name: pyfuncitem.funcargs[name] for name in names}
        asyncio.run(pyfuncitem.obj(**kwargs))
        return True
    return None


@pytest.fixture(autouse=True)
def _private_default_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> Path:
    """Each test gets its own default data dir: nothing leaks between tests."""
    path = tmp_path_factory.mktemp("default-data-dir")
    monkeypatch.setenv("PORTFOLIO_DESK_DATA_DIR", str(path))
    return path


@pytest.fixture
def prices_dir() -> Path:
    """The shared real price files; tests that need them skip with a reason when absent."""
    if not (PRICES_DIR / "BTC-USDT_1d.csv").exists():
        pytest.skip(f"real price data not found at {PRICES_DIR}")
    return PRICES_DIR
