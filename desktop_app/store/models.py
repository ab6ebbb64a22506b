"""The peewee models of ``portfolio.db`` (the latest schema version).

Each :class:`~desktop_app.store.store.Store` owns one ``SqliteDatabase(None)``, initialised
with its file at open (``db.init(path, ...)``), and binds its own copy of these models to it
with :func:`bind_models` — so two stores on two folders can be open in one process (a script
comparing portfolios, a test) without re-binding each other's models.

The tables are *created* from the frozen DDL in :mod:`desktop_app.store.schema` (version 1)
plus its migrations (version 2: :mod:`desktop_app.store.schema_v2`), never from these
classes; ``tests/store/test_schema.py`` checks that the two agree column by column.

Column conventions (see :mod:`desktop_app.store.codec`): money/sizes TEXT (exact Decimals),
ledger times ISO UTC TEXT, time-series times ``ts_ms`` INTEGER (epoch milliseconds, UTC),
price bars REAL (analytics are float64), JSON in TEXT.
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import (
    AutoField,
    BooleanField,
    CompositeKey,
    FloatField,
    IntegerField,
    Model,
    SqliteDatabase,
    TextField,
)

#: Application id stamped into the SQLite header ("PDSK"): marks the file as ours.
APPLICATION_ID = 0x5044534B


class _Base(Model):
    class Meta:
        database = SqliteDatabase(None)  # unbound template; bind_models() makes the real ones
        legacy_table_names = False


class SchemaVersion(_Base):
    """One row per applied schema version (the upgrade history)."""

    version = IntegerField(primary_key=True)
    applied_at = TextField()
    description = TextField()


class FillRow(_Base):
    """The fill journal: append-only (triggers refuse UPDATE and DELETE)."""

    sequence = IntegerField(primary_key=True)  # the journal's sequence number
    fill_id = TextField(unique=True)
    client_id = TextField(null=True, unique=True)
    position_id = TextField(index=True)
    symbol = TextField()
    side = TextField()
    kind = TextField()
    size = TextField()
    price = TextField()
    fee = TextField()
    fee_currency = TextField()
    timestamp = TextField()
    strategy = TextField()
    tags = TextField()
    realized_pnl = TextField()
    recorded_at = TextField()

    class Meta:
        table_name = "fill"


class CashMovementRow(_Base):
    """Deposits (+) and withdrawals (-): journal entries, append-only."""

    sequence = IntegerField(primary_key=True)
    movement_id = TextField(unique=True)
    amount = TextField()
    timestamp = TextField()
    note = TextField()
    recorded_at = TextField()

    class Meta:
        table_name = "cash_movement"


class TagChangeRow(_Base):
    """A position re-labelled: a journal entry, append-only."""

    sequence = IntegerField(primary_key=True)
    change_id = TextField(unique=True)
    position_id = TextField()
    tags = TextField()
    timestamp = TextField()
    recorded_at = TextField()

    class Meta:
        table_name = "tag_change"


class PositionRow(_Base):
    """Derived state: each position as of ``last_sequence``, written with that entry."""

    position_id = TextField(primary_key=True)
    symbol = TextField()
    position_type = TextField()
    status = TextField()
    size = TextField()
    cost_basis = TextField()
    current_price = TextField()
    realized_pnl = TextField()
    fees_paid = TextField()
    opened_at = TextField()
    closed_at = TextField(null=True)
    strategy = TextField()
    tags = TextField()
    opened_size = TextField()
    entry_value = TextField()
    closed_size = TextField()
    exit_value = TextField()
    fill_count = IntegerField()
    last_fill_at = TextField(null=True)
    lots = TextField()
    last_sequence = IntegerField()

    class Meta:
        table_name = "position"


class LedgerStateRow(_Base):
    """Derived state: the single row holding cash after the last journal entry."""

    id = IntegerField(primary_key=True)
    last_sequence = IntegerField()
    cash = TextField()
    updated_at = TextField()

    class Meta:
        table_name = "ledger_state"


class LotDisposalRow(_Base):
    """Derived: the tax lots each reducing fill consumed (FIFO), with their gains."""

    id = AutoField()
    sequence = IntegerField(index=True)  # the reducing fill (REFERENCES fill)
    position_id = TextField(index=True)
    lot_id = TextField()
    acquired_at = TextField()
    disposed_at = TextField()
    size = TextField()
    entry_price = TextField()
    exit_price = TextField()
    cost = TextField()
    proceeds = TextField()
    fee = TextField()
    gain = TextField()
    is_short = BooleanField()

    class Meta:
        table_name = "lot_disposal"


class ConfigRow(_Base):
    """Every ``PortfolioConfig`` setting, one JSON value per key."""

    key = TextField(primary_key=True)
    value = TextField()
    updated_at = TextField()

    class Meta:
        table_name = "portfolio_config"


class StatusRow(_Base):
    """Every status change (active, paused, liquidated …); the last row is current."""

    id = AutoField()
    timestamp = TextField()
    status = TextField()
    reason = TextField()

    class Meta:
        table_name = "status_history"


class SettingRow(_Base):
    """Small JSON state of the components (grid state, last rebalance time …)."""

    key = TextField(primary_key=True)
    value = TextField()
    updated_at = TextField()

    class Meta:
        table_name = "setting"


class PriceBarRow(_Base):
    """Price history per symbol and resolution (1-minute bars from the feed, imported files
    of any interval); the bar covers [ts_ms, ts_ms + interval_s s)."""

    symbol = TextField()
    interval_s = IntegerField()  # the bar's length in seconds (schema v2)
    ts_ms = IntegerField()  # bar open time
    open = FloatField()
    high = FloatField()
    low = FloatField()
    close = FloatField()
    volume = FloatField()

    class Meta:
        table_name = "price_bar"
        primary_key = CompositeKey("symbol", "interval_s", "ts_ms")
        without_rowid = True


class EquitySnapshotRow(_Base):
    """The equity curve: a snapshot after every fill or cash movement and periodically."""

    id = AutoField()
    ts_ms = IntegerField(index=True)
    equity = TextField()
    cash = TextField()
    market_value = TextField()
    gross_exposure = TextField()
    net_flow = TextField()  # deposits minus withdrawals since the previous snapshot

    class Meta:
        table_name = "equity_snapshot"


class _HistoryRow(_Base):
    id = AutoField()
    ts_ms = IntegerField(index=True)
    payload = TextField()


class RiskViolationRow(_HistoryRow):
    class Meta:
        table_name = "risk_violation"


class RiskMetricsRow(_HistoryRow):
    class Meta:
        table_name = "risk_metrics"


class RebalanceRow(_HistoryRow):
    class Meta:
        table_name = "rebalance_history"


class PerformanceMetricsRow(_HistoryRow):
    class Meta:
        table_name = "performance_metrics"


class BreakerEventRow(_HistoryRow):
    class Meta:
        table_name = "breaker_event"


HISTORY_MODELS: dict[str, type[_Base]] = {
    "risk_violation": RiskViolationRow,
    "risk_metrics": RiskMetricsRow,
    "rebalance": RebalanceRow,
    "performance_metrics": PerformanceMetricsRow,
    "breaker_event": BreakerEventRow,
}

ALL_MODELS: tuple[type[_Base], ...] = (
    SchemaVersion,
    FillRow,
    CashMovementRow,
    TagChangeRow,
    PositionRow,
    LedgerStateRow,
    LotDisposalRow,
    ConfigRow,
    StatusRow,
    SettingRow,
    PriceBarRow,
    EquitySnapshotRow,
    *HISTORY_MODELS.values(),
)


@dataclass(frozen=True)
class Models:
    """The models bound to one store's database (same names as the module's classes)."""

    SchemaVersion: type[Model]
    FillRow: type[Model]
    CashMovementRow: type[Model]
    TagChangeRow: type[Model]
    PositionRow: type[Model]
    LedgerStateRow: type[Model]
    LotDisposalRow: type[Model]
    ConfigRow: type[Model]
    StatusRow: type[Model]
    SettingRow: type[Model]
    PriceBarRow: type[Model]
    EquitySnapshotRow: type[Model]
    history: dict[str, type[Model]]


def _bound(model: type[_Base], db: SqliteDatabase) -> type[Model]:
    meta = model._meta
    options = {"database": db, "table_name": meta.table_name}
    if meta.composite_key:
        options["primary_key"] = CompositeKey(*meta.primary_key.field_names)
    if meta.without_rowid:
        options["without_rowid"] = True
    return type(model.__name__, (model,), {"Meta": type("Meta", (), options)})


def bind_models(db: SqliteDatabase) -> Models:
    """Subclasses of every model bound to ``db``; the module's classes stay unbound."""
    bound = {model.__name__: _bound(model, db) for model in ALL_MODELS}
    history = {kind: bound[model.__name__] for kind, model in HISTORY_MODELS.items()}
    names = {name: bound[name] for name in Models.__dataclass_fields__ if name != "history"}
    return Models(**names, history=history)
