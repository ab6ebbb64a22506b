"""Ledger invariants over random sequences of trades (hypothesis).

For any sequence of valid opens, adds, partial closes, closes, price moves and cash movements:

* replaying the journal reproduces every position, the cash and the realized P&L;
* equity equals cash plus the signed market value of the open positions (shorts included);
* equity minus net deposits equals realized P&L (net of fees) plus unrealized P&L, exactly;
* the cash equals an independent model of the cash flows, to the last digit;

and an invalid call (NaN, zero, over-close, unknown id) raises and changes nothing.
"""

from __future__ import annotations

import asyncio
import decimal
from dataclasses import dataclass
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from desktop_app.portfolio import (
    MemoryJournal,
    PortfolioConfig,
    PortfolioError,
    PortfolioManager,
    PositionTracker,
    RiskLimits,
)
from desktop_app.portfolio.values import LEDGER_CONTEXT

SYMBOLS = ("BTC/USDT", "ETH/USDT", "SHIB/USDT")
sizes = st.decimals(min_value=D("0.00000001"), max_value=D("1000000"), places=8)
prices = st.decimals(min_value=D("0.00000001"), max_value=D("100000"), places=8)
fees = st.one_of(st.just(D(0)), st.decimals(min_value=D(0), max_value=D(50), places=4))
fractions = st.sampled_from([D("0.1"), D("0.25"), D("1") / D("3"), D("0.5"), D("1")])

op = st.one_of(
    st.tuples(
        st.just("open"),
        st.sampled_from(SYMBOLS),
        st.sampled_from(["long", "short"]),
        sizes,
        prices,
        fees,
    ),
    st.tuples(st.just("add"), st.integers(0, 20), sizes, prices, fees),
    st.tuples(st.just("reduce"), st.integers(0, 20), fractions, prices, fees),
    st.tuples(st.just("close"), st.integers(0, 20), prices, fees),
    st.tuples(st.just("price"), st.sampled_from(SYMBOLS), prices),
    st.tuples(st.just("cash"), st.decimals(min_value=D(-5000), max_value=D(5000), places=2)),
    st.tuples(st.just("bad"), st.integers(0, 5), st.integers(0, 20)),
)


@dataclass
class Model:
    """An independent account of the cash: every flow added up separately."""

    cash: D = D(10_000)
    deposits: D = D(10_000)


def state_of(pm: PortfolioManager):
    tracker = pm.position_tracker
    return (
        tracker.sequence,
        tracker.cash,
        tracker.realized_pnl,
        tuple(tracker.get_all_positions()),
    )


async def run_sequence(ops) -> None:
    # the test's own arithmetic runs at the ledger's precision, so "exact" means exact
    decimal.setcontext(LEDGER_CONTEXT.copy())
    journal = MemoryJournal()
    model = Model()
    # The ledger's invariants are under test, not the risk limits: random trades of any size
    # (up to 1e11 of notional on 1e4 of equity) must be booked, so no limit is enforced.
    config = PortfolioConfig(performance_update_interval_s=0, risk_limits=RiskLimits.disabled())
    pm = PortfolioManager(config, journal=journal)
    async with pm:
        for step in ops:
            kind = step[0]
            open_ids = [p.position_id for p in pm.get_open_positions()]
            if kind == "open":
                _, symbol, side, size, price, fee = step
                await pm.create_position(symbol, side, size, price, fee=fee)
                flow = size * price
                model.cash += (-flow if side == "long" else flow) - fee
            elif kind in ("add", "reduce", "close") and open_ids:
                pid = open_ids[step[1] % len(open_ids)]
                pos = pm.get_position(pid)
                if kind == "add":
                    _, _, size, price, fee = step
                    await pm.add_to_position(pid, size, price, fee=fee)
                    sign = -1 if pos.position_type.value == "long" else 1
                else:
                    if kind == "reduce":
                        _, _, fraction, price, fee = step
                        size = max(D("0.00000001"), (pos.size * fraction).quantize(D("1e-8")))
                        size = min(size, pos.size)
                        await pm.close_position(pid, price, size=size, fee=fee)
                    else:
                        _, _, price, fee = step
                        size = pos.size
                        await pm.close_position(pid, price, fee=fee)
                    sign = 1 if pos.position_type.value == "long" else -1
                model.cash += sign * size * price - fee
            elif kind == "price":
                await pm.update_prices({step[1]: step[2]})
            elif kind == "cash" and step[1] != 0:
                if step[1] > 0:
                    await pm.deposit(step[1])
                elif -step[1] <= pm.position_tracker.cash:
                    await pm.withdraw(-step[1])
                else:
                    continue
                model.cash += step[1]
                model.deposits += step[1]
            elif kind == "bad":
                before = state_of(pm)
                target = open_ids[step[2] % len(open_ids)] if open_ids else "missing"
                bad = [
                    lambda: pm.create_position("BTC/USDT", "long", float("nan"), 1),
                    lambda: pm.create_position("BTC/USDT", "short", 1, 0),
                    lambda target=target: pm.close_position(target, 1, size=D(10) ** 12),
                    lambda: pm.close_position("no-such-id", 1),
                    lambda target=target: pm.add_to_position(target, -1, 1),
                    lambda: pm.withdraw(D(10) ** 15),
                ][step[1]]
                try:
                    await bad()
                except PortfolioError:
                    pass
                else:
                    raise AssertionError(f"invalid call {step} was accepted")
                assert state_of(pm) == before

            # --- invariants after every step
            tracker = pm.position_tracker
            summary = tracker.get_portfolio_summary()
            open_positions = pm.get_open_positions()
            market_value = sum((p.market_value for p in open_positions), D(0))
            unrealized = sum((p.unrealized_pnl for p in open_positions), D(0))
            assert tracker.cash == model.cash
            assert summary["equity"] == tracker.cash + market_value
            assert summary["equity"] - model.deposits == summary["total_realized_pnl"] + unrealized
            assert summary["total_unrealized_pnl"] == unrealized

        replayed = PositionTracker()
        replayed.replay(journal.entries)
        live = {p.position_id: p for p in pm.position_tracker.get_all_positions()}
        for position in replayed.get_all_positions():
            mine = live[position.position_id]
            assert position.size == mine.size
            assert position.cost_basis == mine.cost_basis
            assert position.realized_pnl == mine.realized_pnl
            assert position.fees_paid == mine.fees_paid
            assert position.lots == mine.lots
            assert position.status == mine.status
        assert len(live) == len(replayed.get_all_positions())
        assert replayed.cash == pm.position_tracker.cash
        assert replayed.realized_pnl == pm.position_tracker.realized_pnl


@given(st.lists(op, min_size=1, max_size=40))
def test_random_trading_sequences_keep_every_ledger_invariant(ops):
    asyncio.run(run_sequence(ops))
