"""Portfolio Desk: a desktop portfolio terminal for crypto traders.

The engine (``desktop_app.portfolio``, ``market``, ``execution``, ``store``) is a plain Python
library that never imports Qt; ``desktop_app.ui`` and ``desktop_app.app`` are one client of it.
"""

import os
from importlib.metadata import PackageNotFoundError, version

# One BLAS thread (unless the environment says otherwise; effective when numpy is imported
# after this package). The engine's matrices are small, and with OpenBLAS's thread per core
# every dot product on a 2-core machine with any other load waits for a descheduled helper
# thread: ~8 ms instead of microseconds (tests/benchmarks/test_bench_risk.py).
for _threads in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")

APP_NAME = "Portfolio Desk"

try:
    __version__ = version("portfolio-desk")
except PackageNotFoundError:  # running from a source tree or a frozen bundle without metadata
    __version__ = "0.1.0"
