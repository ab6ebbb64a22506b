"""Number formatting per symbol: what the grids show for BTC, SOL, XRP and SHIB."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from desktop_app.ui.format import (
    SymbolPrecision,
    format_compact_money,
    format_duration,
    format_money,
    format_number,
    format_pct,
    parse_decimal,
    plain_decimal,
    price_decimals,
    size_decimals,
)


@pytest.mark.parametrize(
    ("price", "decimals"),
    [
        (Decimal("64123.45"), 2),  # BTC
        (Decimal("3187.2"), 2),  # ETH
        (Decimal("145.23"), 2),  # SOL
        (Decimal("14.2"), 4),  # LINK
        (Decimal("0.5234"), 5),  # XRP
        (Decimal("0.1234"), 5),  # DOGE
        (Decimal("0.0042"), 6),
        (Decimal("0.00001234"), 8),  # SHIB
        (Decimal("0.00000927"), 8),  # SHIB at its lows, PEPE: the exchanges' 1e-8 tick
    ],
)
def test_price_decimals_give_about_five_significant_digits(price, decimals):
    assert price_decimals(price) == decimals


def test_shib_price_shows_eight_decimals_not_zero():
    assert SymbolPrecision().price("SHIB/USDT", Decimal("0.00001234")) == "0.00001234"


@pytest.mark.parametrize(
    ("price", "decimals"),
    [
        (Decimal(64000), 6),  # BTC sizes: 0.012345
        (Decimal(3200), 5),  # ETH
        (Decimal(145), 4),  # SOL
        (Decimal("0.52"), 1),  # XRP
        (Decimal("0.00001234"), 0),  # SHIB: whole tokens
    ],
)
def test_size_decimals_make_the_last_digit_worth_cents(price, decimals):
    assert size_decimals(price) == decimals


def test_btc_size_shows_six_decimals_and_shib_size_none():
    precision = SymbolPrecision()
    assert precision.size("BTC/USDT", Decimal("0.35"), Decimal(64000)) == "0.350000"
    assert precision.size("SHIB/USDT", Decimal(150_000_000), Decimal("0.0000123")) == (
        "150,000,000"
    )


def test_symbol_precision_never_shrinks_within_a_session():
    precision = SymbolPrecision()
    precision.observe("TOKEN/USDT", Decimal("0.95"))  # 5 price decimals
    precision.observe("TOKEN/USDT", Decimal("1.05"))  # would be 4
    assert precision.price_decimals("TOKEN/USDT") == 5
    assert precision.price("TOKEN/USDT", Decimal("1.05")) == "1.05000"


def test_money_has_thousands_separators_and_a_true_minus_sign():
    assert format_money(Decimal("-1234.567")) == "−1,234.57"
    assert format_money(Decimal("1234.5"), sign=True) == "+1,234.50"
    assert format_money(Decimal("-0.001"), sign=True) == "0.00"  # no "−0.00"
    assert format_money(None) == "—"


def test_percentages_carry_a_sign_by_default():
    assert format_pct(Decimal("12.345")) == "+12.35 %"
    assert format_pct(Decimal("-3.5"), sign=False) == "−3.50 %"
    assert format_pct(None) == "—"


def test_huge_decimals_format_without_context_errors():
    assert format_number(Decimal("1e40"), 2).startswith("10,000,000,000")


def test_compact_money_for_narrow_tiles():
    assert format_compact_money(Decimal("1250000")) == "1.25M"
    assert format_compact_money(Decimal("98400.5")) == "98,400.50"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,000,000", Decimal(1_000_000)),
        (" 0.5 ", Decimal("0.5")),
        ("1e-5", Decimal("0.00001")),
        ("−2", Decimal(-2)),
        ("", None),
        ("abc", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_decimal_reads_what_traders_type(text, value):
    assert parse_decimal(text) == value


def test_plain_decimal_is_editable_text():
    assert plain_decimal(Decimal("0.000012340")) == "0.00001234"
    assert plain_decimal(Decimal("3206.171"), 2) == "3206.17"
    assert plain_decimal(Decimal(0)) == "0"


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(seconds=3.2), "3.2 s"),
        (timedelta(seconds=42), "42 s"),
        (timedelta(minutes=12), "12 min"),
        (timedelta(hours=3, minutes=20), "3 h 20 min"),
        (timedelta(days=4, hours=6), "4 d 6 h"),
    ],
)
def test_durations_read_naturally(span, text):
    assert format_duration(span) == text
