"""Numbers straight out of numpy and pandas enter the ledger like Python numbers."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from desktop_app.portfolio import InvalidOrderError
from desktop_app.portfolio.values import positive, to_decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.float64(11454.0), Decimal("11454.0")),
        (np.float64(0.1), Decimal("0.1")),
        (np.float32(0.5), Decimal("0.5")),
        (np.int64(7), Decimal("7")),
    ],
)
def test_numpy_scalars_convert_through_their_shortest_decimal_text(value, expected):
    assert to_decimal(value) == expected


def test_a_numpy_nan_price_is_refused_with_a_trader_message():
    with pytest.raises(InvalidOrderError, match="finite"):
        positive(np.float64("nan"), "price")
