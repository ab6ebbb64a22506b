"""pandas (over a second to import) stays out of the way until history is analysed.

The window paints before pandas has loaded: importing the app, the engine, the store and the
feeds, and building a portfolio manager must not import it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

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
