"""Schema versions: every older database opens with today's code and loses nothing; upgrades
back the file up first and are all-or-nothing; the models agree with the migrated schema."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from peewee import TextField

from desktop_app.portfolio import PortfolioStatus, PositionStatus
from desktop_app.portfolio.restore_check import LEDGER_FIELDS
from desktop_app.store import DatabaseUnusableError, Store, latest_version, schema
from desktop_app.store.models import ALL_MODELS
from desktop_app.store.rows import FACT_COLUMNS

from .conftest import FIXTURES, manager_on, raw_db

#: One fixture per released schema version, written by that release.
OLD_VERSIONS = sorted(FIXTURES.glob("v*.db"))
DAY_S, HOUR_S, MINUTE_S = 86_400, 3_600, 60
V1_DAILY_CLOSES = [96_000.0, 97_500.25, 98_100.0]
V2_MINUTE_CLOSES = [98_150.0, 98_200.5, 98_180.0, 98_210.25, 98_250.0]  # fixtures/make_v2.py


async def check_v1_bars(store) -> None:
    """v1 stored three daily BTC/USDT bars without an interval: the upgrade infers a day."""
    bars = await store.read_bars("BTC/USDT")
    assert bars["close"].tolist() == V1_DAILY_CLOSES
    assert bars["interval_s"].tolist() == [DAY_S] * 3
    assert bars.index[0] == datetime(2025, 1, 2, 9, 30, tzinfo=UTC)
    assert [i.interval_s for i in await store.bar_intervals("BTC/USDT")] == [DAY_S]


async def check_v2_bars(store) -> None:
    """v2 holds BTC/USDT daily bars followed by feed minutes, and hourly ETH/USDT bars."""
    daily = await store.read_bars("BTC/USDT", interval_s=DAY_S)
    assert daily["close"].tolist() == V1_DAILY_CLOSES
    minutes = await store.read_bars("BTC/USDT", interval_s=MINUTE_S)
    assert minutes["close"].tolist() == V2_MINUTE_CLOSES
    assert minutes.index[0] == datetime(2025, 1, 5, 9, 30, tzinfo=UTC)
    merged = await store.read_bars("BTC/USDT")  # the minutes start where the days end
    assert merged["close"].tolist() == V1_DAILY_CLOSES + V2_MINUTE_CLOSES
    assert merged["interval_s"].tolist() == [DAY_S] * 3 + [MINUTE_S] * 5
    hourly = await store.read_bars("ETH/USDT")
    assert hourly["close"].tolist() == [3_300.0, 3_310.5, 3_295.25, 3_320.0]
    assert (hourly["interval_s"] == HOUR_S).all()
    assert await store.last_bar_time("BTC/USDT", DAY_S) == datetime(2025, 1, 4, 9, 30, tzinfo=UTC)


#: What each fixture's price bars must read as today, by file name.
CHECK_BARS = {"v1": check_v1_bars, "v2": check_v2_bars}


def copy_fixture(fixture: Path, folder: Path) -> Path:
    shutil.copyfile(fixture, folder / "portfolio.db")
    return folder


def test_there_is_a_fixture_for_every_released_version():
    assert [path.name for path in OLD_VERSIONS] == [
        f"v{version}.db" for version in range(1, latest_version() + 1)
    ]


@pytest.mark.parametrize("fixture", OLD_VERSIONS, ids=lambda path: path.stem)
async def test_a_database_from_every_released_version_opens_with_nothing_lost(fixture, data_dir):
    copy_fixture(fixture, data_dir)
    errors: list = []
    pm = manager_on(data_dir)
    pm.register_callback("error", errors.append)
    await pm.initialize()
    try:
        assert errors == [] and pm.restore_mismatches == ()
        tracker = pm.position_tracker
        # the ledger every fixture holds (see fixtures/make_v1.py), checked by hand:
        assert tracker.sequence == 9
        assert tracker.cash == (
            D(10_000) - D("0.1") * 40_000 - 4 + 1 * 2_500 - D("2.5") - D("0.05") * 42_000
            - D("2.1") + D("0.075") * 45_000 - D("3.375") + 1_000 - 250 - 1 * 2_400 - D("2.4")
        )  # fmt: skip
        assert tracker.net_deposits == D(10_750)
        btc = pm.get_position("v1-id-0003")
        assert (btc.symbol, btc.status, btc.size) == (
            "BTC/USDT",
            PositionStatus.PARTIAL,
            D("0.075"),
        )
        assert btc.cost_basis == D(3_050)
        assert btc.realized_pnl == D("0.075") * 45_000 - D(3_050) - D("3.375") - 4 - D("2.1")
        assert btc.tags == ("core",)
        assert [(lot.lot_id, lot.size) for lot in btc.lots] == [
            ("v1-id-0002", D("0.025")),
            ("v1-id-0006", D("0.05")),
        ]
        eth = pm.get_position("v1-id-0005")
        assert (eth.status, eth.strategy, eth.tags) == (
            PositionStatus.CLOSED,
            "hedge",
            ("hedge", "eth"),
        )
        assert eth.realized_pnl == D(100) - D("2.4") - D("2.5")
        assert pm.status is PortfolioStatus.PAUSED and pm.status_reason == "v1 fixture"
        assert pm.config.target_allocations == {"BTC/USDT": 0.6, "ETH/USDT": 0.2}
        assert pm.config.initial_capital == D(10_000)
        again = await pm.create_position("BTC/USDT", "long", 1, 1, client_id="v1-open-btc")
        assert again.position_id == "v1-id-0003"  # idempotency survives the upgrade

        store = pm.store
        fills = await store.read_fills()
        assert [(f.sequence, f.fill_id, f.kind.value, f.size, f.price, f.fee) for f in fills] == [
            (2, "v1-id-0002", "open", D("0.1"), D(40_000), D(4)),
            (3, "v1-id-0004", "open", D(1), D(2_500), D("2.5")),
            (4, "v1-id-0006", "add", D("0.05"), D(42_000), D("2.1")),
            (5, "v1-id-0007", "reduce", D("0.075"), D(45_000), D("3.375")),
            (9, "v1-id-0011", "close", D(1), D(2_400), D("2.4")),
        ]
        assert fills[0].timestamp == datetime(2025, 1, 2, 9, 31, tzinfo=UTC)
        assert fills[0].client_id == "v1-open-btc"
        movements = await store.read_cash_movements()
        assert [(m.amount, m.note) for m in movements] == [
            (D(10_000), "initial capital"),
            (D(1_000), "top up"),
            (D(-250), "fees"),
        ]
        disposals = await store.read_lot_disposals()
        assert [(d.lot_id, d.size, d.gain) for d in disposals] == [
            ("v1-id-0002", D("0.075"), D("368.625")),
            ("v1-id-0004", D(1), D("95.1")),
        ]
        await CHECK_BARS[fixture.stem](store)
        for kind in ("risk_violation", "risk_metrics", "rebalance", "performance_metrics"):
            (record,) = await store.read_records(kind)
            assert record["kind"] == kind and record["value"] == "1.25"
        assert await store.get_setting("grid_state") == {"levels": [1, 2, 3], "active": True}
        curve = await store.read_equity_curve()
        assert len(curve) >= 9 and curve["net_flow"].sum() == 10_750.0
    finally:
        await pm.shutdown()
    with raw_db(data_dir) as db:
        versions = [row[0] for row in db.execute('SELECT "version" FROM "schema_version"')]
    assert versions == list(range(1, latest_version() + 1))


def table_columns(db: sqlite3.Connection) -> dict[str, list[str]]:
    tables = [
        row[0]
        for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    ]
    return {
        table: [col[1] for col in db.execute(f'PRAGMA table_info("{table}")')] for table in tables
    }


async def test_the_models_agree_with_the_schema_the_migrations_build(data_dir):
    store = Store(data_dir)
    await store.open()
    await store.close()
    with raw_db(data_dir) as db:
        built = table_columns(db)
    modelled = {
        model._meta.table_name: [field.column_name for field in model._meta.sorted_fields]
        for model in ALL_MODELS
    }
    assert built == modelled


def test_the_fact_columns_follow_the_ledger_fields_of_the_start_up_check():
    assert FACT_COLUMNS == LEDGER_FIELDS


def test_every_fixture_has_its_bar_checks():
    assert sorted(CHECK_BARS) == [path.stem for path in OLD_VERSIONS]


def add_note_column(db, migrator) -> None:
    migrator.migrate(migrator.add_column("fill", "note", TextField(default="")))


def broken_migration(db, migrator) -> None:
    migrator.migrate(migrator.add_column("fill", "venue", TextField(default="")))
    raise RuntimeError("migration bug")


async def test_an_upgrade_backs_the_file_up_then_migrates_every_row(data_dir, monkeypatch):
    copy_fixture(FIXTURES / "v1.db", data_dir)
    new = latest_version() + 1
    monkeypatch.setattr(
        schema,
        "MIGRATIONS",
        [*schema.MIGRATIONS, schema.Migration(new, "fill notes", add_note_column)],
    )
    async with manager_on(data_dir) as pm:
        assert pm.store.schema_version == new
        assert pm.restore_mismatches == ()
        assert len(await pm.store.read_fills()) == 5
    (backup,) = data_dir.glob("portfolio.v1.backup-*.db")
    with sqlite3.connect(backup) as old:
        assert old.execute('SELECT MAX("version") FROM "schema_version"').fetchone() == (1,)
        assert old.execute('SELECT COUNT(*) FROM "fill"').fetchone() == (5,)
    old.close()
    with raw_db(data_dir) as db:
        assert db.execute('SELECT "note" FROM "fill" LIMIT 1').fetchone() == ("",)
        assert db.execute("PRAGMA user_version").fetchone() == (new,)
        descriptions = db.execute('SELECT "description" FROM "schema_version"').fetchall()
    assert descriptions == [
        ("first release",),
        ("price bars carry their interval",),
        ("fill notes",),
    ]


async def test_a_failing_upgrade_changes_nothing_in_the_database(data_dir, monkeypatch):
    copy_fixture(FIXTURES / "v1.db", data_dir)
    broken = schema.Migration(latest_version() + 1, "broken", broken_migration)
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, broken])
    store = Store(data_dir)
    with pytest.raises(DatabaseUnusableError, match="migration bug"):
        await store.open()
    await store.close()
    with raw_db(data_dir) as db:
        assert db.execute('SELECT MAX("version") FROM "schema_version"').fetchone() == (1,)
        columns = [col[1] for col in db.execute('PRAGMA table_info("fill")')]
    assert "venue" not in columns
    with raw_db(data_dir) as db:  # the v2 step that ran before the broken one was undone too
        bar_columns = [col[1] for col in db.execute('PRAGMA table_info("price_bar")')]
    assert "interval_s" not in bar_columns
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:-1])
    async with manager_on(data_dir) as pm:  # today's version still opens it
        assert pm.restore_mismatches == () and pm.position_tracker.sequence == 9
