"""Benchmark: the analytics on a realistic ten-year history.

History: 3,650 daily equity snapshots and 10,000 fills in five coins (BTC, ETH, BNB, XRP,
ADA) — opens, adds, partial and full closes, longs and shorts, fees, four strategies, tags,
monthly deposits and a few withdrawals — booked through a real ``PositionTracker`` at prices
that follow the coins' real daily moves (Binance ``*-USDT_1d.csv`` log returns without their
drift, repeated to ten years, so each path is continuous and stays in range). Measured, all
in one process on the pure builder (``ReportBuilder``, what ``PortfolioAnalytics`` runs in an
executor):

* the full ``generate_performance_report()`` (ALL_TIME: metrics, benchmark, every period's
  overview, calendar table, attribution by asset/strategy/tag with allocation vs selection,
  realized gains under all four lot methods, curves);
* its parts: metrics alone, attribution alone, realized gains (one method);
* the dashboard: the snapshot-derived view (rebuilt when snapshots arrive) and the live
  overlay (every call);
* rendering the HTML report and the JSON document.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from desktop_app.portfolio import MetricPeriod, PositionTracker
from desktop_app.portfolio.analytics_build import AnalyticsInputs, ReportBuilder
from desktop_app.portfolio.analytics_dashboard import curve_view, dashboard_data
from desktop_app.portfolio.analytics_html import render_html
from desktop_app.portfolio.bar_closes import closes_at_bar_ends
from tests.benchmarks.conftest import Bench, measure

DAYS = 3_650
FILLS = 10_000
COINS = ("BTC", "ETH", "BNB", "XRP", "ADA")
START = datetime(2016, 1, 1, tzinfo=UTC)
MAX_OPEN = 40


def price_paths(prices_dir: Path) -> dict[str, np.ndarray]:
    paths = {}
    for coin in COINS:
        closes = pd.read_csv(prices_dir / f"{coin}-USDT_1d.csv", usecols=["close"])["close"]
        log_returns = np.diff(np.log(closes.to_numpy()))
        # the real day-to-day moves without their drift: a ten-year path that neither
        # explodes nor vanishes when the file's history is repeated
        steps = np.resize(log_returns - log_returns.mean(), DAYS - 1)
        growth = np.exp(np.concatenate(([0.0], np.cumsum(steps))))
        paths[f"{coin}/USDT"] = np.round(closes.iloc[0] * growth, 8)
    return paths


def build_history(prices_dir: Path) -> AnalyticsInputs:
    rng = np.random.default_rng(2024)
    paths = price_paths(prices_dir)
    symbols = list(paths)
    tracker = PositionTracker("USDT", fill_history_limit=FILLS + 1)
    effects: list = []
    commit = tracker.commit

    def book(effect):
        effects.append(effect)
        return commit(effect)

    tracker.commit = book  # type: ignore[method-assign]  # keep every effect for the store
    per_day = rng.multinomial(FILLS, np.full(DAYS, 1 / DAYS))
    snapshots = {"equity": [], "cash": [], "market_value": [], "gross_exposure": []}
    flows, times = [], []
    pending = 0.0
    open_ids: list[str] = []
    strategies = ("trend", "carry", "mean_revert", "breakout")

    def deposit(amount: float, when: datetime) -> None:
        nonlocal pending
        tracker.commit(tracker.prepare_cash(amount, timestamp=when))
        pending += amount

    deposit(100_000, START)
    for day in range(DAYS):
        noon = START + timedelta(days=day, hours=12)
        prices = {s: Decimal(repr(float(paths[s][day]))) for s in symbols}
        tracker.update_prices(prices, noon)
        if day % 30 == 29:
            deposit(1_000, noon)
        if day % 365 == 364 and tracker.cash > 5_000:
            deposit(-2_000, noon)
        for _ in range(per_day[day]):
            roll = rng.random()
            crowded = len(open_ids) >= MAX_OPEN
            if crowded and roll < 0.5:
                roll = 0.5 + roll / 2  # a full book only reduces or closes
            if not open_ids or roll < 0.35:
                symbol = symbols[rng.integers(len(symbols))]
                side = "long" if rng.random() < 0.8 else "short"
                budget = float(tracker.equity()) * 0.01
                size = Decimal(repr(round(budget / float(prices[symbol]), 6))) or Decimal("1")
                effect = tracker.prepare_open(
                    symbol,
                    side,
                    size,
                    prices[symbol],
                    fee=Decimal("0.5"),
                    strategy=strategies[rng.integers(4)],
                    tags=["core"] if rng.random() < 0.3 else [],
                    timestamp=noon,
                )
                tracker.commit(effect)
                open_ids.append(effect.position.position_id)
                continue
            pid = open_ids[rng.integers(len(open_ids))]
            position = tracker.get_position(pid)
            price = prices[position.symbol]
            if roll < 0.5:
                size = Decimal(repr(round(float(tracker.equity()) * 0.005 / float(price), 6)))
                effect = tracker.prepare_add(pid, size, price, timestamp=noon)
            elif roll < 0.75:
                effect = tracker.prepare_reduce(
                    pid, price, position.size / 2, fee=Decimal("0.25"), timestamp=noon
                )
            else:
                effect = tracker.prepare_reduce(pid, price, fee=Decimal("0.25"), timestamp=noon)
                open_ids.remove(pid)
            tracker.commit(effect)
        summary = tracker.get_portfolio_summary()
        times.append(START + timedelta(days=day, hours=23, minutes=59))
        for key, name in (
            ("equity", "equity"),
            ("cash", "cash"),
            ("market_value", "total_market_value"),
            ("gross_exposure", "gross_exposure"),
        ):
            snapshots[key].append(float(summary[name]))
        flows.append(pending)
        pending = 0.0
    curve = pd.DataFrame({**snapshots, "net_flow": flows}, index=pd.DatetimeIndex(times))
    index = pd.date_range(START, periods=DAYS, freq="D", tz="UTC")
    closes = {s: closes_at_bar_ends(pd.Series(paths[s], index=index)) for s in symbols}
    fills = tuple(reversed(tracker.recent_fills()))
    assert len(fills) == FILLS
    return (
        AnalyticsInputs(
            as_of=times[-1],
            curve=curve,
            fills=fills,
            movements=tuple(tracker.cash_movements()),
            positions=tuple(tracker.get_all_positions()),
            closes=closes,
            targets={"BTC/USDT": 0.3, "ETH/USDT": 0.2, "BNB/USDT": 0.1, "XRP/USDT": 0.1},
        ),
        tracker,
        effects,
    )


_HISTORY: list = []


@pytest.fixture
def history(prices_dir: Path):
    """Built once per session (it takes a few seconds), shared by the benchmarks."""
    if not _HISTORY:
        _HISTORY.append(build_history(prices_dir))
    return _HISTORY[0]


NOTES = f"{DAYS:,} daily snapshots, {FILLS:,} fills in {len(COINS)} coins (real daily returns)"


def test_bench_full_performance_report(bench: Bench, history) -> None:
    inputs, *_ = history
    report = ReportBuilder(inputs).report(MetricPeriod.ALL_TIME)
    assert report.metrics.statistics.periods == DAYS - 1
    assert report.realized_gains.totals.disposals > 1_000
    a = report.attribution
    assert sum(r.contribution for r in a.by_asset) == pytest.approx(a.total_return, rel=1e-9)
    samples = measure(lambda: ReportBuilder(inputs).report(MetricPeriod.ALL_TIME), repeat=10)
    bench.record_samples("analytics: full performance report", samples, notes=NOTES)


def test_bench_report_with_an_unchanged_journal(bench: Bench, history) -> None:
    inputs, *_ = history
    cache: dict = {}
    ReportBuilder(inputs, cache).report(MetricPeriod.ALL_TIME)  # the realized gains, once
    samples = measure(lambda: ReportBuilder(inputs, cache).report(MetricPeriod.ALL_TIME), repeat=10)
    bench.record_samples(
        "analytics: full performance report, no new fill since the last one",
        samples,
        notes=NOTES + "; realized gains reused (PortfolioAnalytics keeps them per journal)",
    )


@pytest.mark.parametrize(
    ("part", "run"),
    [
        ("metrics (ALL_TIME, with benchmark)", lambda b: b.metrics(MetricPeriod.ALL_TIME)),
        ("attribution (ALL_TIME)", lambda b: b.attribution(MetricPeriod.ALL_TIME)),
        ("realized gains, FIFO", lambda b: b.realized_gains()),
    ],
)
def test_bench_report_parts(bench: Bench, history, part, run) -> None:
    inputs, *_ = history
    samples = measure(lambda: run(ReportBuilder(inputs)), repeat=10)
    bench.record_samples(f"analytics: {part}", samples, notes=NOTES)


def test_bench_dashboard(bench: Bench, history) -> None:
    inputs, tracker, _ = history
    view = curve_view(inputs.curve)
    summary = tracker.get_portfolio_summary()
    positions = tracker.get_all_open_positions()
    now = datetime.now(UTC)

    def live():
        return dashboard_data(view, summary, positions, inputs.targets, {}, now, "USDT")

    assert live().equity == pytest.approx(float(summary["equity"]))
    bench.record_samples(
        "analytics: dashboard snapshot view (on new snapshots)",
        measure(lambda: curve_view(inputs.curve), repeat=20),
        notes=NOTES,
    )
    bench.record_samples(
        "analytics: dashboard live overlay (every call)",
        measure(live, repeat=200),
        target="once a second",
        notes=f"{len(positions)} open positions",
    )


def test_bench_dashboard_view_on_a_year_of_minute_snapshots(bench: Bench, prices_dir) -> None:
    minutes = pd.read_csv(prices_dir / "BTC-USDT-PERP_1m.csv", usecols=["close"])["close"]
    steps = np.resize(np.diff(np.log(minutes.to_numpy())), 525_599)
    equity = 100_000 * np.exp(np.concatenate(([0.0], np.cumsum(steps - steps.mean()))))
    index = pd.date_range("2025-01-01", periods=equity.size, freq="min", tz="UTC")
    zeros = np.zeros(equity.size)
    curve = pd.DataFrame(
        {
            "equity": equity,
            "cash": zeros,
            "market_value": zeros,
            "gross_exposure": zeros,
            "net_flow": zeros,
        },
        index=index,
    )
    bench.record_samples(
        "analytics: dashboard snapshot view, 525,600 minute snapshots",
        measure(lambda: curve_view(curve), repeat=10),
        notes="a year of the manager's once-a-minute snapshots (Bybit BTC 1m moves)",
    )


def test_bench_rendering(bench: Bench, history) -> None:
    inputs, *_ = history
    report = ReportBuilder(inputs).report(MetricPeriod.ALL_TIME)
    bench.record_samples(
        "analytics: render HTML report", measure(lambda: render_html(report), repeat=10)
    )
    bench.record_samples(
        "analytics: JSON document",
        measure(lambda: json.dumps(report.to_dict()), repeat=10),
    )


async def write_store(folder: Path, inputs: AnalyticsInputs, effects: list) -> None:
    """The same history in a real portfolio database: the schema from the Store, the rows
    bulk-inserted the way the store's own benchmark builds its big portfolio."""
    import sqlite3

    from desktop_app.portfolio import PortfolioConfig
    from desktop_app.portfolio.records import CashMovement, Fill
    from desktop_app.store import Store, codec, rows
    from tests.benchmarks.test_bench_store import RECORDED, insert_rows

    store = Store(folder)
    await store.open()
    await store.close()
    db = sqlite3.connect(folder / "portfolio.db", isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("BEGIN")
    fills, cash, positions = [], [], {}
    for effect in effects:
        entry = effect.entry
        if isinstance(entry, Fill):
            fills.append({**rows.fill_row(entry), "recorded_at": RECORDED})
            positions[entry.position_id] = rows.position_row(effect.position, entry.sequence)
        elif isinstance(entry, CashMovement):
            cash.append({**rows.cash_row(entry), "recorded_at": RECORDED})
    insert_rows(db, "fill", fills)
    insert_rows(db, "cash_movement", cash)
    insert_rows(db, "position", list(positions.values()))
    last = effects[-1]
    db.execute(
        'INSERT INTO "ledger_state" VALUES (1, ?, ?, ?)',
        (last.entry.sequence, codec.dec(last.cash), RECORDED),
    )
    config = PortfolioConfig(
        performance_update_interval_s=0,
        snapshot_interval_s=0,
        target_allocations=dict(inputs.targets),
    ).to_dict()
    insert_rows(
        db,
        "portfolio_config",
        [{"key": k, "value": codec.to_json(v), "updated_at": RECORDED} for k, v in config.items()],
    )
    curve = inputs.curve
    db.executemany(
        'INSERT INTO "equity_snapshot" ("ts_ms", "equity", "cash", "market_value", '
        '"gross_exposure", "net_flow") VALUES (?, ?, ?, ?, ?, ?)',
        [
            (int(t.value // 1_000_000), *(repr(float(v)) for v in row))
            for t, row in zip(
                curve.index,
                curve[["equity", "cash", "market_value", "gross_exposure", "net_flow"]]
                .to_numpy()
                .tolist(),
                strict=True,
            )
        ],
    )
    for symbol, closes in inputs.closes.items():
        opened = (closes.index - pd.Timedelta(days=1) + pd.Timedelta(1, "ns")).as_unit("ms")
        values = closes.to_numpy().tolist()
        db.executemany(  # daily bars
            'INSERT INTO "price_bar" ("symbol", "interval_s", "ts_ms", "open", "high", "low", '
            '"close", "volume") VALUES (?, 86400, ?, ?, ?, ?, ?, ?)',
            [
                (symbol, int(t), v, v, v, v, 1.0)
                for t, v in zip(opened.asi8.tolist(), values, strict=True)
            ],
        )
    db.execute("COMMIT")
    db.close()


async def test_bench_through_the_facade_on_a_real_store(bench: Bench, history, tmp_path) -> None:
    import time

    from desktop_app.portfolio import PortfolioConfig, PortfolioManager

    inputs, _, effects = history
    await write_store(tmp_path, inputs, effects)
    config = PortfolioConfig(performance_update_interval_s=0, snapshot_interval_s=0)
    async with PortfolioManager(config, data_dir=tmp_path) as pm:
        analytics = pm.analytics
        start = time.perf_counter()
        first = await analytics.generate_performance_report(as_of=inputs.as_of)
        cold = time.perf_counter() - start
        assert first.metrics.statistics.periods == DAYS - 1
        assert first.realized_gains.totals.disposals > 1_000
        warm = []
        for _ in range(10):
            start = time.perf_counter()
            await analytics.generate_performance_report(as_of=inputs.as_of)
            warm.append(time.perf_counter() - start)
        await analytics.get_dashboard_data()
        dashboard = []
        for _ in range(200):
            start = time.perf_counter()
            await analytics.get_dashboard_data()
            dashboard.append(time.perf_counter() - start)
    bench.record(
        "analytics facade: first report after start-up (real store)",
        "ms",
        value=cold * 1e3,
        notes=NOTES + "; reads the journal, the curve and the bars once",
    )
    bench.record_samples(
        "analytics facade: generate_performance_report(), nothing new (real store)",
        np.array(warm),
        notes=NOTES,
    )
    bench.record_samples(
        "analytics facade: get_dashboard_data() (real store)",
        np.array(dashboard),
        target="once a second",
        notes="asks the store for new snapshots, then the live overlay",
    )
