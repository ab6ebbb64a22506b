"""Pairs quoted in another currency are valued through their conversion pair, or refused."""

from __future__ import annotations

import pytest

from desktop_app.market import MarketDataError, PriceConverter, Valuation, plan_valuation


def test_a_pair_in_the_portfolio_currency_is_valued_directly():
    assert plan_valuation("BTC/USDT", {"BTC/USDT"}, "USDT") == Valuation("BTC/USDT", "BTC/USDT")


def test_a_cross_pair_is_valued_through_the_quote_currencys_usdt_pair():
    plan = plan_valuation("ETH/BTC", {"ETH/BTC", "BTC/USDT"}, "USDT")
    assert plan == Valuation("ETH/BTC", "ETH/USDT", "BTC/USDT", invert=False)


def test_an_inverse_conversion_pair_divides():
    plan = plan_valuation("BTC/EUR", {"BTC/EUR", "USDT/EUR"}, "USDT")
    assert plan == Valuation("BTC/EUR", "BTC/USDT", "USDT/EUR", invert=True)


def test_the_direct_pair_wins_over_a_cross():
    assert plan_valuation("ETH/BTC", {"ETH/BTC", "ETH/USDT", "BTC/USDT"}, "USDT").target is None


def test_a_pair_with_no_conversion_is_refused_naming_the_pair_to_watch():
    with pytest.raises(MarketDataError, match="no BTC/USDT .* price is watched.*watch BTC/USDT"):
        plan_valuation("ETH/BTC", {"ETH/BTC"}, "USDT")


def test_converter_marks_cross_pairs_with_the_latest_rate():
    converter = PriceConverter("USDT")
    converter.plan({"ETH/BTC", "BTC/USDT", "BTC/EUR", "USDT/EUR"})
    out = converter.convert({"ETH/BTC": 0.05, "BTC/USDT": 60_000.0, "USDT/EUR": 0.9})
    assert out == {"ETH/USDT": pytest.approx(3000.0), "BTC/USDT": 60_000.0}
    # BTC/EUR would mark BTC/USDT, but the direct BTC/USDT price wins: history only
    assert converter.valuation("BTC/EUR") == Valuation("BTC/EUR", None)


def test_a_moving_rate_re_marks_every_pair_converted_through_it():
    converter = PriceConverter("USDT")
    converter.plan({"ETH/BTC", "SOL/BTC", "BTC/USDT"})
    converter.convert({"ETH/BTC": 0.05, "SOL/BTC": 0.002, "BTC/USDT": 50_000.0})
    out = converter.convert({"BTC/USDT": 60_000.0})
    assert out == {
        "BTC/USDT": 60_000.0,
        "ETH/USDT": pytest.approx(3000.0),
        "SOL/USDT": pytest.approx(120.0),
    }


def test_a_cross_waits_for_its_rate_before_marking_anything():
    converter = PriceConverter("USDT")
    converter.plan({"ETH/BTC", "BTC/USDT"})
    assert converter.convert({"ETH/BTC": 0.05}) == {}
    assert converter.convert({"BTC/USDT": 40_000.0}) == {
        "BTC/USDT": 40_000.0,
        "ETH/USDT": pytest.approx(2000.0),
    }


def test_refused_symbols_are_reported_and_their_prices_ignored():
    converter = PriceConverter("USDT")
    converter.plan({"ETH/BTC", "SOL/USDT"})
    assert set(converter.refused) == {"ETH/BTC"}
    assert not converter.accepts("ETH/BTC")
    assert converter.convert({"ETH/BTC": 0.05, "SOL/USDT": 150.0}) == {"SOL/USDT": 150.0}


def test_a_rate_pair_is_kept_as_history_but_marks_nothing():
    converter = PriceConverter("USDT")
    converter.plan({"USDT/EUR"})
    assert converter.accepts("USDT/EUR")
    assert converter.convert({"USDT/EUR": 0.92}) == {}
