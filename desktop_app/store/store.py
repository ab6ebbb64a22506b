"""The Store: the portfolio's durable memory in one SQLite file, ``<data dir>/portfolio.db``.

It is the engine's :class:`~desktop_app.portfolio.journal.Journal` (``load``, ``append``,
``save_status``, ``save_config``, ``close``) plus the history the other components keep:
price bars, the equity curve, risk/rebalance/performance records, small settings, and the
full fill journal.

Guarantees:

* **Durable when acknowledged.** WAL journal with ``synchronous=FULL``: a write returns only
  after its transaction is committed and fsynced, so an acknowledged trade survives a killed
  process or a power cut. A fill, the position it changes, the lots it consumes and the cash
  after it are one transaction.
* **Never on the event loop.** Every write runs on one writer thread (see
  :mod:`~desktop_app.store.writer`), awaited; history reads use reader threads with their
  own connections. Current state is read from the engine's memory, not from here.
* **One instance per folder.** An OS lock on ``portfolio.lock`` refuses a second store on
  the same folder, in this process or another.
* **Never destroys data.** A corrupt, foreign, too-new or locked file gives a
  :class:`StoreError` naming the file and what to do; the file is not modified.
* **Idempotent fills.** ``fill.client_id`` is UNIQUE; the engine answers a repeated client
  id from memory, and the database refuses a second copy should anything slip through.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from peewee import SqliteDatabase

from desktop_app.portfolio.errors import LedgerIntegrityError, StoreError
from desktop_app.portfolio.journal import RestoredLedger
from desktop_app.portfolio.position_tracker import LedgerEffect, PositionTracker
from desktop_app.portfolio.records import CashMovement, Fill
from desktop_app.portfolio.restore_check import StateMismatch
from desktop_app.portfolio.values import normalize_symbol, utc_now

from . import bars as bar_io
from . import codec, history, ledger_io
from .bar_intervals import MINUTE_S, BarInterval, check_interval, describe_interval
from .database import DatabaseFile
from .errors import PriceDataError
from .instance_lock import InstanceLock
from .models import bind_models
from .paths import analytics_dir, database_path
from .writer import READER_THREAD_NAME, WRITER_THREAD_NAME, Worker

log = logging.getLogger(__name__)

T = TypeVar("T")

ProgressCallback = Callable[[int, int], Any]


class Store:
    """One portfolio's database. ``await store.open()`` (or ``load()``) before use."""

    def __init__(self, data_dir: str | Path, *, busy_timeout_s: float = 5.0) -> None:
        self.data_dir = Path(data_dir)
        self.path = database_path(self.data_dir)
        self._file = DatabaseFile(self.path, busy_timeout_s)
        self._db = SqliteDatabase(None)
        self._models = bind_models(self._db)
        self._lock = InstanceLock(self.data_dir)
        self._writer = Worker(WRITER_THREAD_NAME)
        self._readers = Worker(READER_THREAD_NAME, threads=2)
        self._state = "new"  # new → open → closed
        self._last_sequence = 0
        self._schema = (0, 0)  # (version found, version now)
        self._settings: dict[str, str] = {}
        self._snapshots = history.SnapshotQueue()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r}, {self._state})"

    @property
    def is_open(self) -> bool:
        return self._state == "open"

    @property
    def schema_version(self) -> int:
        return self._schema[1]

    @property
    def analytics_dir(self) -> Path:
        """``<data dir>/analytics`` (created on first use): where exports go."""
        return analytics_dir(self.data_dir)

    # ------------------------------------------------------------------ lifecycle
    async def open(self) -> None:
        """Lock the folder, open (or create) the database and bring its schema up to date."""
        if self._state == "closed":
            raise StoreError(f"The database {self.path} was closed; open a new Store")
        if self._state == "open":
            return
        await self._writer.run(self._open_sync)

    def _open_sync(self) -> None:
        if self._state != "new":
            return
        self._lock.acquire()
        try:
            self._schema = self._file.open(self._db)
            with self._file.translated("open"):
                self._last_sequence = ledger_io.last_sequence(self._db)
                self._settings = dict(
                    self._db.execute_sql('SELECT "key", "value" FROM "setting"').fetchall()
                )
        except BaseException:
            if not self._db.deferred and not self._db.is_closed():
                self._db.close()
            self._lock.release()
            raise
        self._state = "open"
        before, now = self._schema
        log.info(
            "portfolio database: %s (schema v%d%s, %d journal entries)",
            self.path,
            now,
            "" if before in (0, now) else f", upgraded from v{before}",
            self._last_sequence,
        )

    async def close(self) -> None:
        """Write what is pending, close the file and release the folder lock."""
        if self._state == "closed":
            return
        was_open = self._state == "open"
        self._state = "closed"
        try:
            if was_open:
                await self._writer.run(self._close_sync)
        finally:
            await asyncio.to_thread(self._shutdown_threads)

    def _close_sync(self) -> None:
        try:
            with self._file.translated("save the last equity snapshots"):
                self._snapshots.write(self._db)
        finally:
            self._db.close()
            self._lock.release()

    def _shutdown_threads(self) -> None:
        self._readers.shutdown()
        self._writer.shutdown()
        self._lock.release()

    async def _ready(self) -> None:
        if self._state != "open":
            await self.open()

    async def _write(self, action: str, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in one IMMEDIATE transaction on the writer thread."""
        await self._ready()

        def job() -> T:
            with self._file.translated(action), self._db.atomic("IMMEDIATE"):
                result = fn(*args)
                self._snapshots.write(self._db)
                return result

        return await self._writer.run(job)

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on a reader thread with its own connection (WAL: no waiting)."""
        await self._ready()

        def job() -> T:
            with self._file.translated("read"), self._db.connection_context():
                return fn(*args)

        return await self._readers.run(job)

    # -------------------------------------------------------------- the Journal
    async def load(self) -> RestoredLedger | None:
        """Open, then read back the journal and the stored state (None: a brand-new ledger)."""
        await self._ready()

        def job() -> RestoredLedger | None:
            with self._file.translated("read the ledger"):
                try:
                    return ledger_io.load_ledger(self._db)
                except LedgerIntegrityError as exc:
                    raise LedgerIntegrityError(
                        f"The fill journal in {self.path} is damaged: {exc}. Nothing was "
                        f"changed; keep the file for inspection and restore it from a backup."
                    ) from exc

        return await self._writer.run(job)

    async def verify_positions(self, tracker: PositionTracker) -> list[StateMismatch]:
        """The stored positions against ``tracker``'s after a replay (see ``restore_check``)."""
        await self._ready()
        replayed = tracker.get_all_positions()

        def job() -> list[StateMismatch]:
            with self._file.translated("read the positions"):
                return ledger_io.verify_positions(self._db, replayed)

        return await self._writer.run(job)

    async def append(self, effect: LedgerEffect) -> None:
        """Store one journal entry and the derived state it produces, in one transaction."""
        await self._ready()
        entry = effect.entry

        def job() -> None:
            if entry.sequence != self._last_sequence + 1:
                raise StoreError(
                    f"Journal entry {entry.sequence} arrived out of order (the database holds "
                    f"{self._last_sequence}); it was not saved. Restart Portfolio Desk."
                )
            with self._file.translated("save the trade"), self._db.atomic("IMMEDIATE"):
                ledger_io.write_effect(self._models, effect, codec.time_text(utc_now()))
                self._snapshots.write(self._db)
            self._last_sequence = entry.sequence

        await self._writer.run(job)

    async def save_status(self, status: str, reason: str) -> None:
        """Append a status change (the last one is the current status)."""
        row = {"timestamp": codec.time_text(utc_now()), "status": status, "reason": reason}
        await self._write(
            "save the portfolio status", lambda: self._models.StatusRow.insert(**row).execute()
        )

    async def save_config(self, config: Mapping[str, Any]) -> None:
        """Store every setting of the portfolio configuration (one JSON value per key)."""
        now = codec.time_text(utc_now())
        rows = [
            {"key": key, "value": codec.to_json(value, f"setting {key}"), "updated_at": now}
            for key, value in config.items()
        ]

        def write() -> None:
            for row in rows:
                ledger_io.upsert(self._models.ConfigRow, row)

        await self._write("save the configuration", write)

    # ------------------------------------------------------------------- history
    async def read_fills(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        symbol: str | None = None,
    ) -> list[Fill]:
        """The full fill journal (oldest first), optionally within [start, end] / one symbol."""
        wanted = None if symbol is None else normalize_symbol(symbol)
        return await self._read(history.read_fills, self._db, start, end, wanted)

    async def read_cash_movements(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[CashMovement]:
        """Every deposit and withdrawal (oldest first), optionally within [start, end]."""
        return await self._read(history.read_cash_movements, self._db, start, end)

    async def read_lot_disposals(self, position_id: str | None = None) -> list[Any]:
        """The tax lots every reducing fill consumed (``LotDisposal`` records, oldest first)."""
        return await self._read(history.read_disposals, self._db, position_id)

    def record_equity_snapshot(
        self,
        timestamp: datetime,
        equity: Decimal,
        cash: Decimal,
        market_value: Decimal,
        gross_exposure: Decimal,
        net_flow: Decimal,
    ) -> None:
        """Queue one point of the equity curve; written with the next transaction.

        Queuing (not awaiting) keeps a trade at one fsync: the point after a fill rides along
        with the next write, a :meth:`flush` or :meth:`close`. A crash can lose the points
        queued since then, never a journal entry.
        """
        self._snapshots.add(timestamp, equity, cash, market_value, gross_exposure, net_flow)

    async def flush(self) -> None:
        """Write queued equity snapshots now.

        Always a (possibly empty) job on the writer thread: a write already running may have
        taken the queued snapshots without having committed them yet, and a read right after
        this must see them.
        """
        await self._write("save the equity curve", lambda: None)

    async def read_equity_curve(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> Any:
        """The equity curve: a DataFrame indexed by UTC time with float columns ``equity,
        cash, market_value, gross_exposure, net_flow``."""
        await self.flush()
        return await self._read(history.read_equity_curve, self._db, start, end)

    async def last_equity_time(self) -> datetime | None:
        """When the latest equity snapshot was taken (market time), or None."""
        await self.flush()
        return await self._read(history.last_equity_time, self._db)

    async def append_record(
        self, kind: str, payload: Mapping[str, Any], timestamp: datetime | None = None
    ) -> None:
        """Append to a history table: ``kind`` is one of :data:`history.RECORD_KINDS`."""
        model = history.record_model(self._models, kind)
        row = history.record_row(payload, timestamp)
        await self._write(f"save the {kind} record", lambda: model.insert(**row).execute())

    async def read_records(
        self,
        kind: str,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Records of ``kind`` oldest first (with ``limit``: the latest ``limit`` of them)."""
        model = history.record_model(self._models, kind)
        return await self._read(history.read_records, self._db, model, start, end, limit)

    # ------------------------------------------------------------------ settings
    async def get_setting(self, key: str, default: Any = None) -> Any:
        """A small JSON-able value stored with :meth:`set_setting` (from memory)."""
        await self._ready()
        text = self._settings.get(key)
        return default if text is None else codec.from_json(text)

    async def set_setting(self, key: str, value: Any) -> None:
        text = codec.to_json(value, f"setting {key!r}")
        row = {"key": key, "value": text, "updated_at": codec.time_text(utc_now())}

        def write() -> None:
            ledger_io.upsert(self._models.SettingRow, row)

        await self._write(f"save the setting {key!r}", write)
        self._settings[key] = text

    # ------------------------------------------------------------------- prices
    async def write_bars(self, symbol: str, bars: Any, interval_s: int = MINUTE_S) -> int:
        """Upsert bars of one interval (a DataFrame indexed by UTC open time: open, high,
        low, close, volume), keyed by (symbol, interval_s, open time).

        ``interval_s`` defaults to the live feed's 1-minute bars; imported history passes
        its own (3600, 86400 …). Bars of one interval must be whole intervals apart.
        """
        name = _bar_symbol(symbol)
        interval = _bar_interval(interval_s)
        ts_ms, values = bar_io.arrays_from_frame(bars, interval)
        return await self._write(
            "save price bars", bar_io.upsert_bars, self._db, name, interval, ts_ms, values
        )

    async def read_bars(
        self,
        symbol: str,
        start: datetime | None = None,
        end: datetime | None = None,
        interval_s: int | None = None,
    ) -> Any:
        """Bars of ``symbol`` with open time in [start, end], oldest first (empty if none).

        A DataFrame indexed by open time (UTC) with float columns open, high, low, close,
        volume and the int column ``interval_s``: each close belongs at open + interval.
        With ``interval_s``: the bars of that resolution only. Without: one series over
        every stored resolution, finer bars winning wherever they exist (the merge rule of
        :mod:`~desktop_app.store.bar_intervals`).
        """
        interval = None if interval_s is None else _bar_interval(interval_s)
        return await self._read(
            bar_io.read_bars, self._db, _bar_symbol(symbol), start, end, interval
        )

    async def bar_symbols(self) -> list[str]:
        return await self._read(bar_io.bar_symbols, self._db)

    async def bar_intervals(self, symbol: str) -> list[BarInterval]:
        """The resolutions stored for ``symbol``, finest first, each with its first and last
        open time and its number of bars."""
        return await self._read(bar_io.bar_intervals, self._db, _bar_symbol(symbol))

    async def last_closes(self, symbols: Iterable[str]) -> dict[str, tuple[float, datetime]]:
        """Each symbol's latest stored close and its bar's end time (any interval)."""
        wanted = [_bar_symbol(symbol) for symbol in symbols]
        return await self._read(bar_io.last_closes, self._db, wanted)

    async def last_bar_time(self, symbol: str, interval_s: int | None = None) -> datetime | None:
        """The open time of ``symbol``'s latest bar of ``interval_s`` (None: of any)."""
        interval = None if interval_s is None else _bar_interval(interval_s)
        return await self._read(bar_io.last_bar_time, self._db, _bar_symbol(symbol), interval)

    async def import_bars_csv(
        self,
        path: str | Path,
        symbol: str,
        progress: ProgressCallback | None = None,
        interval_s: int | None = None,
    ) -> int:
        """Import an OHLCV CSV file as ``symbol``'s bars, all or nothing; returns the rows.

        The bars are stored under ``interval_s``, or the interval inferred from the file
        (its smallest spacing); a file whose times are not on that grid is refused with the
        lines that are off it. Other resolutions of the symbol stay as they are.

        ``progress(rows_done, rows_total)`` is called on the event loop's thread (safe for
        a GUI progress bar) after each chunk. Cancelling the awaiting task rolls back.
        """
        from .csv_import import read_ohlcv_csv

        name = _bar_symbol(symbol)
        interval = None if interval_s is None else _bar_interval(interval_s)
        await self._ready()
        parsed = await self._readers.run(read_ohlcv_csv, path, interval)
        loop = asyncio.get_running_loop()
        report = None
        if progress is not None:

            def report(done: int, total: int) -> None:
                loop.call_soon_threadsafe(_safe_progress, progress, done, total)

            report(0, len(parsed))
        cancelled = threading.Event()
        try:
            count = await self._write(
                f"import {path}",
                lambda: bar_io.upsert_bars(
                    self._db,
                    name,
                    parsed.interval_s,
                    parsed.ts_ms,
                    parsed.values,
                    progress=report,
                    cancelled=cancelled,
                ),
            )
        except asyncio.CancelledError:
            cancelled.set()
            raise
        log.info(
            "imported %d %s bars (%s) from %s",
            count,
            name,
            describe_interval(parsed.interval_s),
            path,
        )
        return count

    # ------------------------------------------------------------------ backups
    async def backup(self, target: str | Path | None = None) -> Path:
        """A consistent copy of the whole database while trading goes on; returns its path.

        Default target: ``<data dir>/backups/portfolio-<YYYYmmdd_HHMMSS>.db`` (UTC). Uses
        SQLite's online backup from a reader connection, so it never blocks the writer and
        the copy is a single point in time even while trades are being booked.
        """
        if target is None:
            stamp = utc_now().strftime("%Y%m%d_%H%M%S")
            path = self.data_dir / "backups" / f"portfolio-{stamp}.db"
        else:
            path = Path(target)
        if path.resolve() == self.path.resolve():
            raise StoreError(f"A backup cannot overwrite the database itself ({self.path})")
        if path.exists():
            raise StoreError(f"{path} already exists; choose another name for the backup")

        def copy(db: SqliteDatabase) -> Path:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + ".partial")
            target_db = sqlite3.connect(partial)
            try:
                db.connection().backup(target_db)
            finally:
                target_db.close()
            partial.replace(path)
            return path

        written = await self._read(copy, self._db)
        log.info("portfolio database backed up to %s", written)
        return written

    # ----------------------------------------------------------------- checking
    async def check_integrity(self, *, full: bool = False) -> list[str]:
        """SQLite's own check of the file: [] when healthy, else its complaints.

        ``full`` runs ``integrity_check`` (also checks indexes against tables); the default
        ``quick_check`` is faster.
        """
        pragma = "integrity_check" if full else "quick_check"

        def check(db: SqliteDatabase) -> list[str]:
            rows = [row[0] for row in db.execute_sql(f"PRAGMA {pragma}").fetchall()]
            return [] if rows == ["ok"] else rows

        return await self._read(check, self._db)


def _bar_symbol(symbol: str) -> str:
    try:
        return normalize_symbol(symbol)
    except ValueError as exc:
        raise PriceDataError(str(exc)) from None


def _bar_interval(interval_s: Any) -> int:
    try:
        return check_interval(interval_s)
    except ValueError as exc:
        raise PriceDataError(str(exc)) from None


def _safe_progress(progress: ProgressCallback, done: int, total: int) -> None:
    try:
        progress(done, total)
    except Exception:
        log.exception("the import progress callback failed")
