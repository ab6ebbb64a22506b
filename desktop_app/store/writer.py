"""The store's threads: one writer that owns every write, readers for history.

SQLite allows one writer at a time, and an fsync (``synchronous=FULL``) can take
milliseconds on a laptop disk, so no write ever runs on the event loop (which is the Qt
thread in the app). Every write is a job on a single dedicated thread, awaited through
``loop.run_in_executor``: writes are serialised in submission order without any lock, and the
loop keeps painting while the disk works. Reads of history (bars, the equity curve, the full
journal) run on a small reader pool with their own connections; in WAL mode they never wait
for the writer and never block it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

WRITER_THREAD_NAME = "portfolio-store-writer"
READER_THREAD_NAME = "portfolio-store-reader"


class Worker:
    """A named thread pool whose jobs are awaited from the event loop."""

    def __init__(self, name: str, threads: int = 1) -> None:
        self.name = name
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def submit(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` on this worker and wait for it (for use off the event loop)."""
        return self._pool.submit(fn, *args).result()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
