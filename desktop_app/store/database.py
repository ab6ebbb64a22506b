"""Opening ``portfolio.db`` without ever harming it, and naming what went wrong.

Order of the checks at open, each before anything is written:

1. the first bytes must be SQLite's header (a damaged or foreign file is refused before
   SQLite could write to it);
2. the tables must be ours and the schema version not newer than this code knows;
3. only then is the journal switched to WAL (persistent, and a write to the file) and the
   schema upgraded (after a backup copy, see :mod:`~desktop_app.store.schema`).

Every database exception is translated into a :class:`StoreError` naming the file and what
to do: locked by another program, read-only, damaged, or — for anything else — the action
that failed and SQLite's own words.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import peewee
from peewee import SqliteDatabase

from desktop_app.portfolio.errors import StoreError

from . import schema
from .errors import DatabaseUnusableError

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"

#: Connection settings. ``journal_mode=WAL`` is set once at open, after the file was
#: checked (it is persistent, and setting it writes to the file).
PRAGMAS = (
    ("foreign_keys", 1),
    ("synchronous", 2),  # FULL: fsync the WAL at every commit
    ("cache_size", -16_000),  # 16 MB page cache per connection
    ("temp_store", 2),  # MEMORY
    ("journal_size_limit", 64 * 1024 * 1024),
)


class DatabaseFile:
    """The trader's database file: safe opening and error messages that name it."""

    def __init__(self, path: Path, busy_timeout_s: float) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s

    def unusable(self, reason: str) -> DatabaseUnusableError:
        return DatabaseUnusableError(
            f"Portfolio Desk cannot use its database {self.path}: {reason}. The file was left "
            f"untouched. Restore it from a backup, or move it (with any {self.path.name}-wal "
            f"file beside it) out of {self.path.parent} to start an empty ledger; Portfolio "
            f"Desk never deletes or overwrites it."
        )

    @contextlib.contextmanager
    def translated(self, action: str) -> Iterator[None]:
        """Turn database exceptions raised inside into a :class:`StoreError` naming the file."""
        try:
            yield
        except StoreError:
            raise
        except (peewee.PeeweeException, sqlite3.Error) as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                raise DatabaseUnusableError(
                    f"The database {self.path} is locked by another program (a database "
                    f"browser, a backup or sync tool?) and could not {action} within "
                    f"{self.busy_timeout_s:g} s. Close that program and try again; nothing "
                    f"was changed."
                ) from exc
            if "readonly" in text or "read-only" in text:
                raise DatabaseUnusableError(
                    f"Portfolio Desk cannot write to {self.path}: the file or the folder "
                    f"{self.path.parent} is read-only. Check their permissions; nothing was "
                    f"changed."
                ) from exc
            if action == "open" or any(
                word in text for word in ("malformed", "not a database", "corrupt")
            ):
                raise self.unusable(text) from exc
            raise StoreError(f"Could not {action} in {self.path}: {text}") from exc

    def check_header(self) -> None:
        """Refuse a file that is not SQLite before SQLite gets a chance to write to it."""
        try:
            with self.path.open("rb") as handle:
                head = handle.read(len(SQLITE_MAGIC))
        except FileNotFoundError:
            return
        except OSError as exc:
            raise self.unusable(f"it cannot be read ({exc.strerror or exc})") from exc
        if head and head != SQLITE_MAGIC:
            raise self.unusable("it is not an SQLite database (the file is damaged or foreign)")

    def open(self, db: SqliteDatabase) -> tuple[int, int]:
        """Connect ``db`` (on this thread) and bring the schema up to date.

        Returns (schema version found, version now). On failure the connection is closed.
        """
        self.check_header()
        db.init(str(self.path), pragmas=PRAGMAS, timeout=self.busy_timeout_s)
        try:
            with self.translated("open"):
                db.connect()
                schema.check_version(db, self.path)  # read-only: refuses foreign/newer files
                mode = db.execute_sql("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    log.warning(
                        "%s cannot use WAL mode (journal mode %s); writes stay durable but "
                        "are slower. Is the data folder on a network drive?",
                        self.path,
                        mode,
                    )
                return schema.upgrade(db, self.path)
        except BaseException:
            if not db.is_closed():
                db.close()
            raise
