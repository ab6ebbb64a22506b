"""Balance manager integration: opening balance, reconciliation, explicit adjustments."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from desktop_app.execution import (
    PaperBalanceManager,
    PaperExecutor,
    compare_holdings,
    ledger_holdings,
)
from desktop_app.portfolio import (
    ComponentUnavailableError,
    ExecutionError,
    MemoryJournal,
    PortfolioError,
    PortfolioManager,
)

from .venues import assert_ledger_consistent, quiet_config


async def test_a_new_ledger_starts_from_the_accounts_cash():
    account = PaperBalanceManager({"USDT": "2500.50"})
    async with PortfolioManager(quiet_config(), balance_manager=account) as pm:
        assert account.initialized
        summary = await pm.get_portfolio_summary()
        assert summary["total_value"] == D("2500.50")
        assert pm.position_tracker.cash_movements()[0].note == (
            "opening balance from the balance manager"
        )
        assert pm.last_reconciliation.in_sync


async def test_fills_through_the_linked_paper_account_keep_it_in_sync():
    account = PaperBalanceManager({"USDT": 10_000})
    async with PortfolioManager(quiet_config(), balance_manager=account) as pm:
        assert pm.trade_executor.account is account
        await pm.update_prices({"BTC/USDT": 40_000, "ETH/USDT": 2_000})
        await pm.place_order("BTC/USDT", "buy", "0.1")
        await pm.place_order("ETH/USDT", "buy", 2)
        await pm.place_order("ETH/USDT", "sell", "0.5")
        report = await pm.reconcile_balances()
        assert report.in_sync, report.describe()
        assert report.describe() == ["The ledger matches the account."]


async def test_an_external_trade_is_reported_and_booked_only_when_accepted():
    account = PaperBalanceManager({"USDT": 10_000})
    journal = MemoryJournal()
    async with PortfolioManager(quiet_config(), balance_manager=account, journal=journal) as pm:
        await pm.update_prices({"BTC/USDT": 50_000})
        # the trader buys on the exchange's website: the app did not see it
        account.record_external_trade("BTC/USDT", "buy", "0.02", 50_000, fee=1)
        report = await pm.reconcile_balances()
        assert not report.in_sync
        btc, usdt = report.difference("BTC"), report.difference("USDT")
        assert (btc.ledger_amount, btc.exchange_amount, btc.difference) == (0, D("0.02"), D("0.02"))
        assert btc.symbol == "BTC/USDT" and usdt.difference == D(-1001) and usdt.is_cash
        assert "the account holds 0.02, the ledger 0" in btc.describe()
        # reporting changed nothing
        assert pm.get_open_positions() == [] and pm.position_tracker.cash == D(10_000)
        # the trader accepts the BTC side at the real fill price and fee
        result = await pm.book_adjustment(btc, price=50_000, fee=1)
        position = result.positions[0]
        assert position.strategy == "reconciliation" and position.size == D("0.02")
        assert position.tags == ("reconciliation",)
        assert (await pm.reconcile_balances()).in_sync
        assert_ledger_consistent(pm, journal)


async def test_a_cash_difference_books_a_deposit_and_a_stale_one_is_refused():
    account = PaperBalanceManager({"USDT": 1_000})
    async with PortfolioManager(quiet_config(), balance_manager=account) as pm:
        account.deposit("USDT", 250)
        stale = (await pm.reconcile_balances()).difference("USDT")
        account.deposit("USDT", 50)  # more arrives before the trader clicks "accept"
        with pytest.raises(PortfolioError, match="changed since it was reported"):
            await pm.book_adjustment(stale)
        fresh = (await pm.reconcile_balances()).difference("USDT")
        assert await pm.book_adjustment(fresh) == D(1_300)
        assert pm.position_tracker.cash_movements()[-1].note.startswith("reconciliation:")
        account.withdraw("USDT", 100)
        out = (await pm.reconcile_balances()).difference("USDT")
        assert await pm.book_adjustment(out) == D(1_200)
        assert (await pm.reconcile_balances()).in_sync


async def test_an_adjustment_needs_a_price_when_none_is_known():
    account = PaperBalanceManager({"USDT": 1_000, "ADA": 500})
    async with PortfolioManager(quiet_config(), balance_manager=account) as pm:
        ada = pm.last_reconciliation.difference("ADA")  # found at start-up, not booked
        assert ada.difference == 500 and pm.get_open_positions() == []
        with pytest.raises(PortfolioError, match="No price known for ADA/USDT"):
            await pm.book_adjustment(ada)
        await pm.book_adjustment(ada, price="0.45")
        assert pm.get_open_positions()[0].entry_price == D("0.45")
        # the ADA came in by transfer: its value is the deposit the next report shows
        transfer = (await pm.reconcile_balances()).difference("USDT")
        assert transfer.difference == D(225)
        await pm.book_adjustment(transfer)
        assert (await pm.reconcile_balances()).in_sync
        assert pm.position_tracker.net_deposits == D(1_225)


async def test_reconciliation_without_a_balance_manager_says_so():
    async with PortfolioManager(quiet_config()) as pm:
        with pytest.raises(ComponentUnavailableError, match="needs a balance manager"):
            await pm.reconcile_balances()


async def test_an_account_short_of_the_ledgers_holding_books_a_sell():
    account = PaperBalanceManager({"USDT": 10_000})
    executor = PaperExecutor(fee_rate=0, slippage_bps=0, account=account)
    async with PortfolioManager(
        quiet_config(), balance_manager=account, trade_executor=executor
    ) as pm:
        await pm.update_prices({"ETH/USDT": 2_000})
        await pm.place_order("ETH/USDT", "buy", 3)
        account.record_external_trade("ETH/USDT", "sell", 1, 2_100)
        report = await pm.reconcile_balances()
        result = await pm.book_adjustment(report.difference("ETH"), price=2_100)
        assert result.fills[0].realized_pnl == D(100)
        assert (await pm.reconcile_balances()).in_sync


def test_compare_holdings_ignores_rounding_dust_and_lists_cash_first():
    report = compare_holdings(
        {"USDT": D(100), "BTC": D("0.5")},
        {"BTC": "0.500000001", "USDT": "90", "ETH": "1"},
        "USDT",
    )
    assert [d.asset for d in report.differences] == ["USDT", "ETH"]


async def test_ledger_holdings_nets_longs_and_shorts_per_asset():
    async with PortfolioManager(quiet_config()) as pm:
        await pm.create_position("BTC/USDT", "long", 2, 100)
        await pm.create_position("BTC/USDT", "short", "0.5", 100)
        holdings = ledger_holdings(pm.position_tracker)
        assert holdings == {"USDT": D(10_000) - D(200) + D(50), "BTC": D("1.5")}


class WatchedAccount(PaperBalanceManager):
    """A paper account that tells when it has been synced ``target`` times."""

    def __init__(self, balances) -> None:
        super().__init__(balances)
        self.target = 0
        self.reached = asyncio.Event()

    async def sync(self):
        balances = await super().sync()
        if self.target and self.sync_count >= self.target:
            self.reached.set()
        return balances


async def test_the_periodic_sync_announces_an_outside_trade_once_and_books_nothing():
    account = WatchedAccount({"USDT": 5_000})
    announced: list[dict] = []
    seen = asyncio.Event()

    def on_error(payload):
        if payload["source"] == "reconciliation":
            announced.append(payload)
            seen.set()

    cfg = quiet_config(balance_sync_interval_s=0.01)
    async with PortfolioManager(cfg, balance_manager=account) as pm:
        pm.register_callback("error", on_error)
        account.record_external_trade("ETH/USDT", "buy", 1, 2_000)
        await asyncio.wait_for(seen.wait(), timeout=5)
        assert "ETH: the account holds 1, the ledger 0" in announced[0]["message"]
        assert announced[0]["report"] is pm.last_reconciliation
        account.target = account.sync_count + 5  # several more syncs of the same difference
        await asyncio.wait_for(account.reached.wait(), timeout=5)
        assert len(announced) == 1
        assert pm.get_open_positions() == [] and pm.position_tracker.cash == D(5_000)


class UnreachableAccount(PaperBalanceManager):
    """An exchange account the app cannot reach (no network, revoked key)."""

    async def initialize(self) -> None:
        raise ConnectionError("exchange unreachable")


async def test_an_unreachable_account_is_reported_and_a_known_ledger_still_starts():
    journal = MemoryJournal()
    async with PortfolioManager(quiet_config(), journal=journal):
        pass  # a ledger that exists already
    errors: list = []
    manager = PortfolioManager(
        quiet_config(), journal=journal, balance_manager=UnreachableAccount()
    )
    manager.register_callback("error", errors.append)
    async with manager as pm:
        assert pm.position_tracker.cash == D(10_000)
        assert errors[0]["source"] == "balance_manager" and "unreachable" in errors[0]["message"]


async def test_a_new_ledger_cannot_start_without_the_accounts_cash():
    manager = PortfolioManager(
        quiet_config(), journal=MemoryJournal(), balance_manager=UnreachableAccount()
    )
    with pytest.raises(ExecutionError, match="could not start: exchange unreachable"):
        await manager.initialize()
    assert manager.position_tracker.cash == 0
    await manager.shutdown()
