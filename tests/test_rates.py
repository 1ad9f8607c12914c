"""Pass rates and gate actuals are shown so that a miss never reads as the target or 100%."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tasks.gates import at_least
from tasks.results import format_rate, pass_rate


def rate(passed: int, failed: int) -> float | None:
    return pass_rate({"passed": passed, "failed": failed})


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (None, 2, "n/a"),
        # exact values keep their digits
        (100.0, 2, "100.00%"),
        (98.0, 2, "98.00%"),
        (0.0, 2, "0.00%"),
        (rate(2449, 51), 2, "97.96%"),  # the float is a hair under 97.96: not "97.95%"
        (rate(1, 3), 2, "25.00%"),
        # a miss is cut, never rounded up to the target or to 100%
        (rate(30_001, 1), 2, "99.99%"),
        (rate(999_999, 1), 2, "99.99%"),
        (97.996, 2, "97.99%"),
        (rate(2, 1), 2, "66.66%"),
        (99.99999999, 2, "99.99%"),
        # more places on request (a target with more decimals)
        (99.9949, 3, "99.994%"),
        (rate(30_001, 1), 4, "99.9966%"),
        # some passing never shows as none passing
        (rate(1, 30_000), 2, "0.003%"),
        (rate(1, 2_999_999), 2, "0.00003%"),
        (1e-9, 2, "0.000000001%"),
        # not a number is not a rate
        (float("nan"), 2, "n/a"),
    ],
)
def test_format_rate(value: float | None, places: int, shown: str) -> None:
    assert format_rate(value, places) == shown


@pytest.mark.parametrize(
    ("actual", "target", "status", "shown", "required", "detail"),
    [
        # below: the actual never shows as the target
        (97.996, 98.0, "fail", "97.99%", ">= 98.00%", "run 1 pass rate is 97.99%, below 98.00%"),
        (
            rate(30_001, 1),
            100.0,
            "fail",
            "99.99%",
            ">= 100.00%",
            "run 1 pass rate is 99.99%, below 100.00%",
        ),
        # a target with more decimals is shown with all of them, and so is the actual
        (
            99.9949,
            99.995,
            "fail",
            "99.994%",
            ">= 99.995%",
            "run 1 pass rate is 99.994%, below 99.995%",
        ),
        (99.995, 99.995, "pass", "99.995%", ">= 99.995%", ""),
        # at or above: the actual shows at or above the target
        (98.0, 98.0, "pass", "98.00%", ">= 98.00%", ""),
        (rate(30_001, 1), 99.99, "pass", "99.99%", ">= 99.99%", ""),
        (100.0, 100.0, "pass", "100.00%", ">= 100.00%", ""),
        # not configured, nothing ran
        (rate(30_001, 1), None, "n/a", "99.99%", "not set", ""),
        (
            None,
            98.0,
            "fail",
            "n/a",
            ">= 98.00%",
            "run 1 pass rate: nothing ran (no test passed, failed or errored)",
        ),
    ],
)
def test_pass_rate_gate(
    actual: float | None,
    target: float | None,
    status: str,
    shown: str,
    required: str,
    detail: str,
) -> None:
    gate = at_least("pass rate", actual, target, what="run 1 pass rate")
    assert (gate.status, gate.actual, gate.target, gate.detail) == (
        status,
        shown,
        required,
        detail,
    )
    if target is not None and actual is not None:
        assert gate.actual == format_rate(actual, max(2, len(repr(target).partition(".")[2])))


@pytest.mark.parametrize(
    ("actual", "target", "shown", "required"),
    [
        (97.9999999, 98.0, "97.9999999s", ">= 98s"),  # %g would show "98s"
        (2.5, 2.0, "2.5s", ">= 2s"),
    ],
)
def test_other_units_show_the_exact_value(
    actual: float, target: float, shown: str, required: str
) -> None:
    gate = at_least("speed", actual, target, unit="s")
    assert (gate.actual, gate.target) == (shown, required)


@pytest.mark.parametrize("target", [50.0, 90.0, 95.0, 98.0, 99.0, 99.5, 99.9, 99.99, 100.0])
def test_a_shown_rate_reads_as_a_pass_exactly_when_it_is_one(target: float) -> None:
    """Every pass rate of up to 300 tests against common targets: the shown number is at or
    above the target shown exactly when the gate passes."""
    for ran in range(1, 301):
        for passed in range(ran + 1):
            value = rate(passed, ran - passed)
            assert value is not None
            gate = at_least("pass rate", value, target)
            shown = Decimal(gate.actual.removesuffix("%"))
            assert (shown >= Decimal(repr(target))) == (not gate.failed), (passed, ran)
