"""Schema versions of ``portfolio.db`` and the upgrades between them.

Version 1 is the first released schema, frozen here as DDL text: a database is always built
by running the migrations in order, starting from this text, so a brand-new file and an
upgraded old file go through the same steps. Every later change is a new
:class:`Migration` appended to :data:`MIGRATIONS` (written with ``playhouse.migrate``'s
``SqliteMigrator`` operations), plus a ``tests/store/fixtures/v<N>.db`` written by that
release, so each upgrade is tested on real old data. An upgrade runs every pending step in
one transaction (``migrator.migration_context()``: foreign-key enforcement off, checked with
``foreign_key_check`` before commit): it completes, or the file stays as it was.

Before an existing database is upgraded it is copied to
``portfolio.v<old>.backup-<time>.db`` beside it (SQLite's online backup), so a failed or
regretted upgrade never costs the trader their ledger.

The version lives in the ``schema_version`` table (one row per applied version: the upgrade
history) and is mirrored in ``PRAGMA user_version`` for tools that only read the header.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from peewee import SqliteDatabase
from playhouse.migrate import SqliteMigrator

from desktop_app.portfolio.values import utc_now

from .codec import time_text
from .errors import DatabaseUnusableError
from .models import APPLICATION_ID
from .schema_v2 import add_bar_intervals

log = logging.getLogger(__name__)

_APPEND_ONLY = """
CREATE TRIGGER "{table}_append_only_update" BEFORE UPDATE ON "{table}"
BEGIN SELECT RAISE(ABORT, 'the {table} journal is append-only'); END;
CREATE TRIGGER "{table}_append_only_delete" BEFORE DELETE ON "{table}"
BEGIN SELECT RAISE(ABORT, 'the {table} journal is append-only'); END;
"""

#: The journal tables: append-only, guarded by the triggers above.
JOURNAL_TABLES = ("fill", "cash_movement", "tag_change")

_HISTORY_TABLE = """
CREATE TABLE "{table}" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "ts_ms" INTEGER NOT NULL,
    "payload" TEXT NOT NULL
);
CREATE INDEX "{table}_ts_ms" ON "{table}" ("ts_ms");
"""

#: The first released schema. Frozen: never edit; add a migration instead.
SCHEMA_V1 = (
    """
CREATE TABLE "schema_version" (
    "version" INTEGER NOT NULL PRIMARY KEY,
    "applied_at" TEXT NOT NULL,
    "description" TEXT NOT NULL
);
CREATE TABLE "fill" (
    "sequence" INTEGER NOT NULL PRIMARY KEY CHECK ("sequence" > 0),
    "fill_id" TEXT NOT NULL UNIQUE,
    "client_id" TEXT UNIQUE,
    "position_id" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" TEXT NOT NULL CHECK ("side" IN ('buy', 'sell')),
    "kind" TEXT NOT NULL CHECK ("kind" IN ('open', 'add', 'reduce', 'close')),
    "size" TEXT NOT NULL,
    "price" TEXT NOT NULL,
    "fee" TEXT NOT NULL,
    "fee_currency" TEXT NOT NULL,
    "timestamp" TEXT NOT NULL,
    "strategy" TEXT NOT NULL,
    "tags" TEXT NOT NULL,
    "realized_pnl" TEXT NOT NULL,
    "recorded_at" TEXT NOT NULL
);
CREATE INDEX "fill_position_id" ON "fill" ("position_id");
CREATE INDEX "fill_symbol_timestamp" ON "fill" ("symbol", "timestamp");
CREATE INDEX "fill_timestamp" ON "fill" ("timestamp");
CREATE TABLE "cash_movement" (
    "sequence" INTEGER NOT NULL PRIMARY KEY CHECK ("sequence" > 0),
    "movement_id" TEXT NOT NULL UNIQUE,
    "amount" TEXT NOT NULL,
    "timestamp" TEXT NOT NULL,
    "note" TEXT NOT NULL,
    "recorded_at" TEXT NOT NULL
);
CREATE TABLE "tag_change" (
    "sequence" INTEGER NOT NULL PRIMARY KEY CHECK ("sequence" > 0),
    "change_id" TEXT NOT NULL UNIQUE,
    "position_id" TEXT NOT NULL,
    "tags" TEXT NOT NULL,
    "timestamp" TEXT NOT NULL,
    "recorded_at" TEXT NOT NULL
);
CREATE TABLE "position" (
    "position_id" TEXT NOT NULL PRIMARY KEY,
    "symbol" TEXT NOT NULL,
    "position_type" TEXT NOT NULL CHECK ("position_type" IN ('long', 'short')),
    "status" TEXT NOT NULL CHECK ("status" IN ('open', 'partial', 'closed')),
    "size" TEXT NOT NULL,
    "cost_basis" TEXT NOT NULL,
    "current_price" TEXT NOT NULL,
    "realized_pnl" TEXT NOT NULL,
    "fees_paid" TEXT NOT NULL,
    "opened_at" TEXT NOT NULL,
    "closed_at" TEXT,
    "strategy" TEXT NOT NULL,
    "tags" TEXT NOT NULL,
    "opened_size" TEXT NOT NULL,
    "entry_value" TEXT NOT NULL,
    "closed_size" TEXT NOT NULL,
    "exit_value" TEXT NOT NULL,
    "fill_count" INTEGER NOT NULL,
    "last_fill_at" TEXT,
    "lots" TEXT NOT NULL,
    "last_sequence" INTEGER NOT NULL
);
CREATE INDEX "position_status_symbol" ON "position" ("status", "symbol");
CREATE TABLE "ledger_state" (
    "id" INTEGER NOT NULL PRIMARY KEY CHECK ("id" = 1),
    "last_sequence" INTEGER NOT NULL,
    "cash" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL
);
CREATE TABLE "lot_disposal" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "sequence" INTEGER NOT NULL REFERENCES "fill" ("sequence"),
    "position_id" TEXT NOT NULL,
    "lot_id" TEXT NOT NULL,
    "acquired_at" TEXT NOT NULL,
    "disposed_at" TEXT NOT NULL,
    "size" TEXT NOT NULL,
    "entry_price" TEXT NOT NULL,
    "exit_price" TEXT NOT NULL,
    "cost" TEXT NOT NULL,
    "proceeds" TEXT NOT NULL,
    "fee" TEXT NOT NULL,
    "gain" TEXT NOT NULL,
    "is_short" INTEGER NOT NULL
);
CREATE INDEX "lot_disposal_sequence" ON "lot_disposal" ("sequence");
CREATE INDEX "lot_disposal_position_id" ON "lot_disposal" ("position_id");
CREATE TABLE "portfolio_config" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL
);
CREATE TABLE "status_history" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "timestamp" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT NOT NULL
);
CREATE TABLE "setting" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL
);
CREATE TABLE "price_bar" (
    "symbol" TEXT NOT NULL,
    "ts_ms" INTEGER NOT NULL,
    "open" REAL NOT NULL,
    "high" REAL NOT NULL,
    "low" REAL NOT NULL,
    "close" REAL NOT NULL,
    "volume" REAL NOT NULL,
    PRIMARY KEY ("symbol", "ts_ms")
) WITHOUT ROWID;
CREATE TABLE "equity_snapshot" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "ts_ms" INTEGER NOT NULL,
    "equity" TEXT NOT NULL,
    "cash" TEXT NOT NULL,
    "market_value" TEXT NOT NULL,
    "gross_exposure" TEXT NOT NULL,
    "net_flow" TEXT NOT NULL
);
CREATE INDEX "equity_snapshot_ts_ms" ON "equity_snapshot" ("ts_ms");
"""
    + "".join(
        _HISTORY_TABLE.format(table=table)
        for table in (
            "risk_violation",
            "risk_metrics",
            "rebalance_history",
            "performance_metrics",
            "breaker_event",
        )
    )
    + "".join(_APPEND_ONLY.format(table=table) for table in JOURNAL_TABLES)
)


@dataclass(frozen=True)
class Migration:
    """One step from ``version - 1`` to ``version``; ``apply`` runs inside a transaction."""

    version: int
    description: str
    apply: Callable[[SqliteDatabase, SqliteMigrator], None]


def _create_v1(db: SqliteDatabase, migrator: SqliteMigrator) -> None:
    for statement in _statements(SCHEMA_V1):
        db.execute_sql(statement)


def _statements(script: str) -> list[str]:
    """Split a DDL script into statements (triggers keep their inner ``;``)."""
    statements: list[str] = []
    buffer = ""
    for line in script.strip().splitlines():
        buffer += line + "\n"
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement: {buffer!r}")
    return statements


#: Every schema version in order. Append; never edit a released one.
MIGRATIONS: list[Migration] = [
    Migration(1, "first release", _create_v1),
    Migration(2, "price bars carry their interval", add_bar_intervals),
]


def latest_version() -> int:
    return MIGRATIONS[-1].version


def current_version(db: SqliteDatabase, path: Path) -> int:
    """The applied version: 0 for an empty file. Refuses a file that is not ours."""
    tables = {
        row[0] for row in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    if not tables:
        return 0
    if "schema_version" not in tables:
        raise DatabaseUnusableError(
            f"{path} is an SQLite database, but not a Portfolio Desk one (it has no schema "
            f"version). It was left untouched. Choose another data folder with --data-dir, "
            f"or move the file away."
        )
    row = db.execute_sql('SELECT MAX("version") FROM "schema_version"').fetchone()
    return int(row[0] or 0)


def check_version(db: SqliteDatabase, path: Path) -> int:
    """The applied version, read without writing; refuses a foreign or too-new file."""
    found = current_version(db, path)
    latest = latest_version()
    if found > latest:
        raise DatabaseUnusableError(
            f"{path} was written by a newer Portfolio Desk (schema version {found}; this one "
            f"knows up to {latest}). Update Portfolio Desk; the file was left untouched."
        )
    return found


def upgrade(db: SqliteDatabase, path: Path) -> tuple[int, int]:
    """Bring the database to :func:`latest_version`; returns (version before, after)."""
    before = check_version(db, path)
    latest = latest_version()
    if before == latest:
        return before, before
    if before > 0:
        backup = backup_copy(db, path, before)
        log.warning(
            "upgrading %s from schema v%d to v%d (backup: %s)", path, before, latest, backup
        )
    else:
        backup = None
    migrator = SqliteMigrator(db)
    migration = MIGRATIONS[0]
    try:
        with migrator.migration_context():  # one transaction: every step, or none
            for migration in MIGRATIONS:
                if migration.version > before:
                    _run(db, migrator, migration, path)
    except DatabaseUnusableError:
        raise
    except Exception as exc:
        kept = f"; the file from before the upgrade is also at {backup}" if backup else ""
        raise DatabaseUnusableError(
            f"Upgrading {path} to schema v{migration.version} failed ({exc}). The database "
            f"was left as it was (schema v{before}){kept}. Please report this."
        ) from exc
    if before == 0:
        db.execute_sql(f"PRAGMA application_id = {APPLICATION_ID}")
    return before, latest


def _run(db: SqliteDatabase, migrator: SqliteMigrator, migration: Migration, path: Path) -> None:
    """One migration, inside the upgrade's transaction.

    The journal's append-only guards are lifted for the migration only (a new column with a
    default is filled by an UPDATE; a table rebuild copies rows) and put back before commit.
    """
    existing = {
        row[0] for row in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    guarded = [table for table in JOURNAL_TABLES if f"{table}_append_only_update" in existing]
    for table in guarded:
        db.execute_sql(f'DROP TRIGGER "{table}_append_only_update"')
        db.execute_sql(f'DROP TRIGGER "{table}_append_only_delete"')
    migration.apply(db, migrator)
    for table in guarded:
        for statement in _statements(_APPEND_ONLY.format(table=table)):
            db.execute_sql(statement)
    broken = db.execute_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise DatabaseUnusableError(
            f"Upgrading {path} to schema v{migration.version} would break {len(broken)} "
            f"references; nothing was changed. Please report this."
        )
    db.execute_sql(
        'INSERT INTO "schema_version" ("version", "applied_at", "description") VALUES (?, ?, ?)',
        (migration.version, time_text(utc_now()), migration.description),
    )
    db.execute_sql(f"PRAGMA user_version = {int(migration.version)}")


def backup_copy(db: SqliteDatabase, path: Path, version: int) -> Path:
    """A consistent copy of the database beside it (SQLite online backup)."""
    stamp = utc_now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.v{version}.backup-{stamp}{path.suffix}")
    with sqlite3.connect(target) as copy:
        db.connection().backup(copy)
    copy.close()
    return target
