"""Statistics over closed trades (realized P&L, fees included)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from desktop_app.portfolio import metrics as m

# five closed trades: two wins (+120, +30), two losses (-50, -25), one break-even
PNLS = [120.0, -50.0, 0.0, 30.0, -25.0]


def test_win_rate_counts_winners_among_all_trades() -> None:
    # 2 wins out of 5 trades; the break-even trade is a trade but not a win
    assert m.win_rate(PNLS) == pytest.approx(0.4)


def test_profit_factor_is_gross_profit_over_gross_loss() -> None:
    # (120 + 30) / (50 + 25) = 150 / 75
    assert m.profit_factor(PNLS) == pytest.approx(2.0)


def test_expectancy_is_the_mean_pnl_per_trade() -> None:
    # (120 - 50 + 0 + 30 - 25) / 5 = 75 / 5
    assert m.expectancy(PNLS) == pytest.approx(15.0)


def test_average_and_largest_wins_and_losses() -> None:
    assert m.average_win(PNLS) == pytest.approx(75.0)  # (120 + 30) / 2
    assert m.average_loss(PNLS) == pytest.approx(-37.5)  # (-50 - 25) / 2
    assert m.largest_win(PNLS) == 120.0
    assert m.largest_loss(PNLS) == -50.0


def test_trade_statistics_report_everything_with_the_average_holding_time() -> None:
    holding = [3_600, 7_200, 60, 86_400, 1_740]  # seconds
    stats = m.trade_statistics(PNLS, holding_seconds=holding)
    assert stats == {
        "trades": 5,
        "winning_trades": 2,
        "losing_trades": 2,
        "win_rate": pytest.approx(0.4),
        "profit_factor": pytest.approx(2.0),
        "expectancy": pytest.approx(15.0),
        "average_win": pytest.approx(75.0),
        "average_loss": pytest.approx(-37.5),
        "largest_win": 120.0,
        "largest_loss": -50.0,
        "gross_profit": 150.0,
        "gross_loss": -75.0,
        # (3600 + 7200 + 60 + 86400 + 1740) / 5 = 99000 / 5
        "average_holding_seconds": pytest.approx(19_800.0),
    }


def test_holding_times_may_be_timedeltas() -> None:
    as_timedeltas = [timedelta(hours=1), timedelta(hours=3)]
    as_series = pd.Series(pd.to_timedelta(["1h", "3h"]))
    for holding in (as_timedeltas, as_series, np.array([3_600, 10_800])):
        stats = m.trade_statistics([10.0, -5.0], holding_seconds=holding)
        assert stats["average_holding_seconds"] == pytest.approx(7_200.0)


def test_decimal_pnls_from_the_ledger_are_accepted() -> None:
    pnls = [Decimal("120.00"), Decimal("-50.00"), Decimal("30.00")]
    assert m.profit_factor(pnls) == pytest.approx(3.0)


def test_profit_factor_without_a_losing_trade_is_none() -> None:
    assert m.profit_factor([10.0, 0.0, 5.0]) is None
    assert m.profit_factor([-10.0, -5.0]) == 0.0  # no winner: nothing gained per unit lost


def test_no_trades_give_none_and_zero_counts() -> None:
    stats = m.trade_statistics([])
    assert stats["trades"] == 0
    assert stats["gross_profit"] == 0.0
    for key in ("win_rate", "profit_factor", "expectancy", "average_win", "average_loss"):
        assert stats[key] is None, key
    assert stats["largest_win"] is None
    assert stats["average_holding_seconds"] is None


def test_only_winners_or_only_losers() -> None:
    assert m.average_loss([10.0, 20.0]) is None
    assert m.largest_loss([10.0, 20.0]) is None
    assert m.average_win([-10.0]) is None
    assert m.largest_win([-10.0, 0.0]) is None
    assert m.win_rate([-10.0]) == 0.0


def test_missing_pnls_are_dropped() -> None:
    assert m.win_rate([10.0, np.nan, -5.0, None]) == pytest.approx(0.5)
