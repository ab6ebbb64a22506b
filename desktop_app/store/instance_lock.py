"""One Portfolio Desk per data folder: an OS file lock on ``<data dir>/portfolio.lock``.

Two engines writing one ledger would interleave their journal sequence numbers and corrupt
each other's view of the positions, so the second one is refused before it opens the
database. The lock is the operating system's, held on an open file handle for as long as the
store is open: it is released by the OS when the process exits, however it exits (a killed
process never leaves a stale lock behind).

* POSIX: ``fcntl.flock`` (per open file, so a second store in the *same* process is refused
  too — ``lockf``/``fcntl`` record locks would not be).
* Windows: ``msvcrt.locking`` on one byte far beyond the text, so the holder's description
  at the start of the file stays readable for the refusal message.

The file itself is never deleted: deleting a lock file races with the next instance.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from desktop_app.portfolio.values import utc_now

from .errors import DataDirInUseError, StoreError
from .paths import LOCK_NAME

#: The locked byte on Windows (beyond any text the file holds).
_WINDOWS_LOCK_OFFSET = 1 << 20


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (BlockingIOError, PermissionError):
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


class InstanceLock:
    """The data folder's single-instance lock; ``acquire()`` refuses when it is taken."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def holder(self) -> str:
        """Who holds the lock, as written by the holder ("" if unknown)."""
        try:
            return self.path.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return ""

    def acquire(self) -> None:
        if self._fd is not None:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        except OSError as exc:
            raise StoreError(
                f"Cannot create the lock file {self.path}: {exc.strerror or exc}. Check that "
                f"the data folder is writable."
            ) from exc
        if not _try_lock(fd):
            os.close(fd)
            holder = self.holder()
            who = f" ({holder})" if holder else ""
            raise DataDirInUseError(
                f"Another Portfolio Desk is using the data folder {self.data_dir}{who}. "
                f"Close it first, or start this one with --data-dir pointing to a different "
                f"folder."
            )
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            since = utc_now().strftime("%Y-%m-%d %H:%M:%S")
            text = f"process {os.getpid()} on {socket.gethostname()} since {since} UTC"
            os.write(fd, text.encode("utf-8"))
        except OSError:
            pass  # the description is a courtesy; the lock itself is what matters
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _unlock(fd)
        finally:
            os.close(fd)
