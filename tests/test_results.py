from __future__ import annotations

from typing import Any

import pytest

from tasks.results import format_counts, merge_reports, normalise_counts, pass_rate


def rep(nodeid: str, when: str, outcome: str, category: str, **extra: Any) -> dict[str, Any]:
    return {
        "nodeid": nodeid,
        "when": when,
        "outcome": outcome,
        "category": category,
        "duration": 0.25,
        **extra,
    }


@pytest.mark.parametrize(
    ("reports", "outcome", "when"),
    [
        # plain outcomes: setup and teardown passing say nothing
        (
            [
                rep("t", "setup", "passed", ""),
                rep("t", "call", "passed", "passed"),
                rep("t", "teardown", "passed", ""),
            ],
            "passed",
            "call",
        ),
        (
            [
                rep("t", "setup", "passed", ""),
                rep("t", "call", "failed", "failed"),
                rep("t", "teardown", "passed", ""),
            ],
            "failed",
            "call",
        ),
        # a fixture error is an error, not a failure
        (
            [rep("t", "setup", "failed", "error"), rep("t", "teardown", "passed", "")],
            "error",
            "setup",
        ),
        # passed in call, broke in teardown: the test is an error
        (
            [
                rep("t", "setup", "passed", ""),
                rep("t", "call", "passed", "passed"),
                rep("t", "teardown", "failed", "error"),
            ],
            "error",
            "teardown",
        ),
        # failed in call and in teardown: the record explains the call failure
        (
            [
                rep("t", "setup", "passed", ""),
                rep("t", "call", "failed", "failed"),
                rep("t", "teardown", "failed", "error"),
            ],
            "failed",
            "call",
        ),
        # skips and xfail as pytest categorises them
        (
            [rep("t", "setup", "skipped", "skipped"), rep("t", "teardown", "passed", "")],
            "skipped",
            "setup",
        ),
        ([rep("t", "call", "skipped", "xfailed")], "xfailed", "call"),
        ([rep("t", "call", "passed", "xpassed")], "xpassed", "call"),
        # strict xpass: pytest itself calls it failed
        ([rep("t", "call", "failed", "failed")], "failed", "call"),
        # a module that failed to collect
        ([rep("tests/test_x.py", "collect", "failed", "error")], "error", "collect"),
        # only a passing setup: the run stopped inside the test
        ([rep("t", "setup", "passed", "")], "error", "setup"),
    ],
)
def test_merge_reports(reports: list[dict[str, Any]], outcome: str, when: str) -> None:
    [record] = merge_reports(reports)
    assert (record.outcome, record.when) == (outcome, when)
    assert record.duration == pytest.approx(0.25 * len(reports))


def test_merge_keeps_run_order() -> None:
    records = merge_reports(
        [rep("b", "call", "passed", "passed"), rep("a", "call", "passed", "passed")]
    )
    assert [r.nodeid for r in records] == ["b", "a"]


@pytest.mark.parametrize(
    ("counts", "rate"),
    [
        ({"passed": 3}, 100.0),
        ({"passed": 1, "failed": 1, "error": 2}, 25.0),
        ({"passed": 1, "skipped": 5, "xfailed": 2, "xpassed": 1}, 100.0),
        ({"skipped": 2}, None),  # no division by zero when nothing ran
        ({}, None),
    ],
)
def test_pass_rate(counts: dict[str, int], rate: float | None) -> None:
    assert pass_rate(counts) == rate


def test_counts_keep_plugin_categories() -> None:
    counts = normalise_counts({"passed": 2, "rerun": 1, "deselected": 4, "warnings": 3})
    assert counts == {
        "passed": 2,
        "failed": 0,
        "error": 0,
        "skipped": 0,
        "xfailed": 0,
        "xpassed": 0,
        "rerun": 1,
    }


@pytest.mark.parametrize(
    ("counts", "text"),
    [
        ({"passed": 3, "failed": 1}, "3 passed, 1 failed"),
        ({"error": 2, "skipped": 1}, "2 errors, 1 skipped"),
        ({"error": 1}, "1 error"),
        ({}, "no tests ran"),
    ],
)
def test_format_counts(counts: dict[str, int], text: str) -> None:
    assert format_counts(counts) == text
