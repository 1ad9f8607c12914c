"""Rates told honestly: a pass rate or gate actual never reads as the target or 100% it
misses, and the stability runs claim a failure-rate bound only from their clean runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from tasks.artifacts.stability import RunEntry
from tasks.config import load_config
from tasks.gates import at_least
from tasks.orders import FILE
from tasks.results import format_rate, pass_rate
from tasks.stability.facts import Observed, run_entry, stability_facts, what_runs_prove
from tasks.stability.suspects import Escalation


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


# --- what the stability runs prove about a test's failure rate ----------------------------------


@pytest.mark.parametrize(
    ("clean", "runs", "unresolved", "proves"),
    [
        # every run clean: the bound, as before
        (
            3,
            3,
            0,
            "3 clean runs bound a test's failure rate below 64% at 95% confidence; "
            "a clean result is not proof of no flakiness",
        ),
        (
            1,
            1,
            0,
            "1 clean run bounds a test's failure rate below 95% at 95% confidence; "
            "a clean result is not proof of no flakiness",
        ),
        # some runs clean: the bound of those only
        (
            2,
            3,
            0,
            "2 of 3 runs were clean (pytest exited 0, no test failed or errored); they bound "
            "a test's failure rate below 78% at 95% confidence; a clean result is not proof "
            "of no flakiness",
        ),
        (
            1,
            3,
            0,
            "1 of 3 runs was clean (pytest exited 0, no test failed or errored); it bounds "
            "a test's failure rate below 95% at 95% confidence; a clean result is not proof "
            "of no flakiness",
        ),
        # no run clean: nothing is bounded
        (
            0,
            3,
            0,
            "none of the 3 runs was clean (pytest exited 0, no test failed or errored), "
            "so no test's failure rate is bounded",
        ),
        (
            0,
            1,
            0,
            "the run was not clean (pytest exited 0, no test failed or errored), "
            "so no test's failure rate is bounded",
        ),
        # the rerun budget ran out
        (
            0,
            3,
            4,
            "none of the 3 runs was clean (pytest exited 0, no test failed or errored), "
            "so no test's failure rate is bounded; 4 suspects left unresolved: the rerun "
            "budget ran out before they were classified (raise rerun_budget), or a test did "
            "not run alone (see the suspect's note)",
        ),
        (
            3,
            3,
            1,
            "3 clean runs bound a test's failure rate below 64% at 95% confidence; a clean "
            "result is not proof of no flakiness; 1 suspect left unresolved: the rerun budget "
            "ran out before it was classified (raise rerun_budget), or a test did not run "
            "alone (see the suspect's note)",
        ),
    ],
)
def test_what_runs_prove(clean: int, runs: int, unresolved: int, proves: str) -> None:
    assert what_runs_prove(clean, runs=runs, unresolved=unresolved) == proves


def _run(index: int, exit_code: int, counts: dict[str, int]) -> RunEntry:
    return run_entry(index, FILE, 1.0, exit_code, counts, "replay", "log")


def _observed(runs: list[RunEntry], kinds: list[str]) -> Observed:
    escalations = {
        f"t.py::s{i}": Escalation(f"t.py::s{i}", [], kind) for i, kind in enumerate(kinds)
    }
    return Observed("run", 1, runs, {}, escalations, 0.0, {}, {}, uncollected={})


@pytest.mark.parametrize(
    ("runs", "kinds", "start"),
    [
        ([_run(1, 0, {"passed": 3}), _run(2, 0, {"passed": 3})], ["consistent"], "2 clean runs"),
        # 200 failures in every run bound nothing
        (
            [_run(1, 1, {"passed": 3, "failed": 200}), _run(2, 1, {"passed": 3, "error": 200})],
            [],
            "none of the 2 runs was clean",
        ),
        ([_run(1, 0, {"passed": 3}), _run(2, 1, {"failed": 1})], [], "1 of 2 runs was clean"),
        # nothing ran, or pytest stopped: not clean
        ([_run(1, 5, {}), _run(2, 2, {"passed": 3})], [], "none of the 2 runs was clean"),
    ],
)
def test_stability_json_proves_only_what_its_runs_show(
    tmp_path: Path, runs: list[RunEntry], kinds: list[str], start: str
) -> None:
    config = load_config(tmp_path, env={})
    facts = stability_facts(config, [], [], _observed(runs, kinds), dt.date(2025, 1, 1))
    assert facts["proves"].startswith(start)
    assert "unresolved" not in facts["proves"]


def test_stability_json_says_the_rerun_budget_ran_out(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={})
    observed = _observed([_run(1, 0, {"passed": 3})], ["unresolved", "consistent", "unresolved"])
    facts = stability_facts(config, [], [], observed, dt.date(2025, 1, 1))
    assert facts["proves"].endswith(
        "; 2 suspects left unresolved: the rerun budget ran out before they were classified "
        "(raise rerun_budget), or a test did not run alone (see the suspect's note)"
    )
