"""The benchmark harness: ``uv run pytest tests/benchmarks``.

Each benchmark measures with :func:`measure` (warm-up excluded, medians and tails) and
reports through the ``bench`` fixture. At the end of the session every result is written to
``benchmark-results.json`` at the repository root (a list of objects: name, unit, p50, p99,
value, baseline, ratio) and printed as a table, also saved as ``benchmark-results.md``.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS: list[BenchResult] = []


@dataclass
class BenchResult:
    name: str
    unit: str
    p50: float | None = None
    p99: float | None = None
    value: float | None = None
    baseline: float | None = None
    ratio: float | None = None
    target: str = ""
    notes: str = ""


def measure(fn: Callable[[], Any], *, repeat: int = 30, warmup: int = 3) -> np.ndarray:
    """Run ``fn`` ``warmup`` times unmeasured, then ``repeat`` times; seconds per call."""
    for _ in range(warmup):
        fn()
    samples = np.empty(repeat)
    for i in range(repeat):
        start = time.perf_counter()
        fn()
        samples[i] = time.perf_counter() - start
    return samples


class Bench:
    """Records results; ``ratio`` is baseline / value for times (how many times faster)."""

    def record(self, name: str, unit: str, **fields: Any) -> BenchResult:
        result = BenchResult(name=name, unit=unit, **fields)
        if result.ratio is None and result.baseline and result.value:
            result.ratio = result.baseline / result.value
        RESULTS.append(result)
        return result

    def record_samples(
        self,
        name: str,
        samples_s: np.ndarray,
        *,
        baseline_s: np.ndarray | None = None,
        target: str = "",
        notes: str = "",
    ) -> BenchResult:
        """Latency samples in seconds → p50/p99 in milliseconds; baseline compares medians."""
        p50 = float(np.percentile(samples_s, 50) * 1e3)
        baseline = None if baseline_s is None else float(np.percentile(baseline_s, 50) * 1e3)
        return self.record(
            name,
            "ms",
            p50=p50,
            p99=float(np.percentile(samples_s, 99) * 1e3),
            value=p50,
            baseline=baseline,
            target=target,
            notes=notes,
        )


@pytest.fixture(scope="session")
def bench() -> Bench:
    return Bench()


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> str:
    import os

    try:
        return f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        return "RAM unknown"


def machine_description() -> str:
    import os

    return (
        f"{os.cpu_count()} cores ({cpu_model()}), {memory_gib()}, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def render_table(results: list[BenchResult]) -> str:
    lines = [
        f"Machine: {machine_description()}",
        "",
        "| benchmark | unit | p50 | p99 | value | baseline | ratio | target | notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.name} | {r.unit} | {_fmt(r.p50)} | {_fmt(r.p99)} | {_fmt(r.value)} | "
        f"{_fmt(r.baseline)} | {_fmt(r.ratio)} | {r.target} | {r.notes} |"
        for r in results
    ]
    return "\n".join(lines) + "\n"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not RESULTS:
        return
    (ROOT / "benchmark-results.json").write_text(
        json.dumps([asdict(r) for r in RESULTS], indent=2) + "\n", encoding="utf-8"
    )
    table = render_table(RESULTS)
    (ROOT / "benchmark-results.md").write_text(table, encoding="utf-8")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")
        for line in table.splitlines():
            reporter.write_line(line)
