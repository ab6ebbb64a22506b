"""pandas (over a second to import) stays out of the way until history is analysed.

The window paints before pandas has loaded: importing the app, the engine, the store and the
feeds, and building a portfolio manager must not import it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

from desktop_app.lazy import LazyModule


def test_app_engine_and_a_new_manager_do_not_import_pandas(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys
        import desktop_app.app, desktop_app.portfolio, desktop_app.store, desktop_app.market
        from desktop_app.portfolio import PortfolioManager
        PortfolioManager(data_dir={str(tmp_path)!r})
        print("pandas" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "False", done.stderr


def test_a_lazy_module_loads_the_real_module_on_first_use():
    lazy = LazyModule("json")
    assert lazy.dumps([1]) == "[1]"
    assert lazy.load() is sys.modules["json"]
    assert "json" in repr(lazy)


def test_with_deferral_a_worker_thread_waits_for_the_main_threads_import():
    lazy = LazyModule("colorsys")
    lazy.defer_to_main_thread()
    loaded: list = []
    worker = threading.Thread(target=lambda: loaded.append(lazy.load()))
    worker.start()
    worker.join(0.3)
    assert worker.is_alive() and not loaded  # waiting for the main thread
    assert lazy.load() is sys.modules["colorsys"]  # the main thread imports it
    worker.join(5)
    assert loaded == [sys.modules["colorsys"]]


def test_the_app_loads_pandas_on_the_main_thread_after_its_first_paint(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--data-dir", str(tmp_path), "--quit-after", "3"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    log = done.stderr
    assert "window painted" in log and "pandas loaded on the main thread" in log
    assert log.index("window painted") < log.index("pandas loaded on the main thread")
