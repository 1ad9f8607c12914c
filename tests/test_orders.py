"""The run-order mini-language round-trips between its parsed form and the text the recorder
plugin reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.orders import Order, OrderKind


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("file", Order(OrderKind.FILE)),
        ("reverse", Order(OrderKind.REVERSE)),
        ("shuffle:42", Order(OrderKind.SHUFFLE, seed=42)),
        ("ids:reports/rerun-1.ids", Order(OrderKind.IDS, ids=Path("reports/rerun-1.ids"))),
    ],
)
def test_order_text_round_trips(text: str, order: Order) -> None:
    assert Order.parse(text) == order
    assert str(order) == text


def test_an_unknown_order_is_refused() -> None:
    with pytest.raises(ValueError, match="'sideways' is not a valid OrderKind"):
        Order.parse("sideways")
