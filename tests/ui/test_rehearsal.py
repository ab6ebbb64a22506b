"""A replay rehearses on history in its own ledger, on the history's own clock."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from desktop_app import app as desktop

from .test_app import args, launch


def history_file(prices_dir, tmp_path, days: int = 400):
    """The first ``days`` daily BTC bars of the real file, as the app's user would pick."""
    lines = (prices_dir / "BTC-USDT_1d.csv").read_text().splitlines()[: days + 1]
    path = tmp_path / "BTC-USDT_1d.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_replay_trades_in_a_rehearsal_ledger_beside_the_real_one(tmp_path):
    settings = type("Settings", (), {"feed": "simulated", "replay_file": ""})()
    replay = args(feed="replay", replay_file=tmp_path / "ETH-USDT_4h.csv")
    assert desktop.ledger_dir(tmp_path, replay, settings) == tmp_path / "rehearsals/ETH-USDT_4h"
    assert desktop.ledger_dir(tmp_path, args(feed="simulated"), settings) == tmp_path


def test_the_rehearsal_clock_starts_at_the_first_bar_until_the_feed_plays(prices_dir, tmp_path):
    path = history_file(prices_dir, tmp_path)
    start = desktop.first_bar_time(path)
    assert start == datetime(2017, 8, 17, tzinfo=UTC)
    clock = desktop.RehearsalClock(start)
    assert clock() == start
    assert desktop.first_bar_time(tmp_path / "missing.csv") is None


def test_rehearsal_time_is_history_and_resumes_where_it_stopped(prices_dir, tmp_path):
    path = history_file(prices_dir, tmp_path)
    for _ in range(2):
        done = launch(
            "--feed", "replay", "--replay-file", str(path), "--speed", "1000000",
            "--quit-after", "2.5", data_dir=tmp_path / "data",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert not (tmp_path / "data/portfolio.db").exists()  # the real ledger was not touched
    db = sqlite3.connect(tmp_path / "data/rehearsals/BTC-USDT_1d/portfolio.db")
    stamps = [row[0] for row in db.execute('SELECT "ts_ms" FROM "equity_snapshot" ORDER BY "id"')]
    (deposit_time,) = db.execute('SELECT "timestamp" FROM "cash_movement"').fetchone()
    db.close()
    assert deposit_time.startswith("2017-08-17")  # the initial capital: the first bar's time
    assert stamps == sorted(stamps)  # the second session continued, never went back
    last = datetime.fromtimestamp(stamps[-1] / 1000, UTC)
    assert datetime(2017, 8, 17, tzinfo=UTC) < last < datetime(2018, 9, 30, tzinfo=UTC)
