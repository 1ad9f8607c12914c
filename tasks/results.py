"""Per-test records and the pass-rate arithmetic: pure functions over plain data, no I/O.

The counts are pytest's own (its terminal summary's categories, as the recorder plugin saw
them); a test is one record even when it fails in call and errors in teardown, but the counts
follow pytest, which reports that as "1 failed, 1 error".
"""

from __future__ import annotations

import dataclasses
import decimal
import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


class Outcome(enum.StrEnum):
    """How a test ended, in pytest's own words (written to JSON as its value)."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    XFAILED = "xfailed"
    XPASSED = "xpassed"


OUTCOMES = tuple(o.value for o in Outcome)
# Outcomes that count against the pass rate; xfail, xpass (non-strict) and skip do not.
BAD = frozenset({Outcome.FAILED.value, Outcome.ERROR.value})


@dataclasses.dataclass(frozen=True)
class TestRecord:
    """One test (or one module that failed to collect) and how its run ended."""

    nodeid: str
    outcome: str  # one of OUTCOMES
    when: str  # the phase that decided it: collect, setup, call or teardown
    duration: float
    message: str = ""
    crash_path: str | None = None
    crash_lineno: int | None = None
    longrepr: str = ""
    exception: Mapping[str, Any] | None = None

    @property
    def is_bad(self) -> bool:
        return self.outcome in BAD

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TestRecord:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def _decide(category: str, when: str, outcome: str) -> str:
    if when == "collect":
        return "error"
    if category in OUTCOMES:
        return category
    if outcome == "failed":
        return "failed" if when == "call" else "error"
    return outcome


# When several phases of one test report, the record keeps the most telling one: a failure in
# call beats an error in teardown (pytest counts both; the record explains the first).
_RANK = {"failed": 5, "error": 4, "xpassed": 3, "xfailed": 2, "skipped": 1, "passed": 0}


def _fold(nodeid: str, reps: Sequence[Mapping[str, Any]]) -> TestRecord:
    decided: list[tuple[str, Mapping[str, Any]]] = []
    for rep in reps:
        when = rep.get("when") or "collect"
        outcome = _decide(rep.get("category") or "", when, rep.get("outcome", ""))
        if not (when in ("setup", "teardown") and outcome == "passed"):
            decided.append((outcome, rep))
    duration = sum(float(rep.get("duration") or 0.0) for rep in reps)
    if not decided:  # only a passing setup: the run stopped inside this test
        return TestRecord(nodeid, "error", reps[-1].get("when") or "setup", duration, "interrupted")
    outcome, rep = max(decided, key=lambda pair: _RANK.get(pair[0], 0))
    crash = rep.get("crash") or {}
    return TestRecord(
        nodeid=nodeid,
        outcome=outcome,
        when=rep.get("when") or "collect",
        duration=duration,
        message=crash.get("message") or rep.get("longrepr") or "",
        crash_path=crash.get("path"),
        crash_lineno=crash.get("lineno"),
        longrepr=rep.get("longrepr") or "",
        exception=rep.get("exception"),
    )


def merge_reports(reports: Iterable[Mapping[str, Any]]) -> list[TestRecord]:
    """Fold pytest's setup/call/teardown reports into one record per node id, in run order."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for rep in reports:
        grouped.setdefault(rep["nodeid"], []).append(rep)
    return [_fold(nodeid, reps) for nodeid, reps in grouped.items()]


def summarise_record(record: Mapping[str, Any]) -> tuple[list[TestRecord], dict[str, int]]:
    """Per-test records and pytest's counts from one recorder output."""
    tests = merge_reports(record["reports"])
    counts = record.get("counts")
    return tests, normalise_counts(counts) if counts is not None else counts_from_records(tests)


def normalise_counts(counts: Mapping[str, int]) -> dict[str, int]:
    """pytest's own counts with every outcome present (0 when pytest reported none)."""
    result = {name: int(counts.get(name, 0)) for name in OUTCOMES}
    for name, value in counts.items():
        if name not in result and name not in ("deselected", "warnings"):
            result[name] = int(value)  # e.g. "rerun" from pytest-rerunfailures
    return result


def counts_from_records(records: Sequence[TestRecord]) -> dict[str, int]:
    """Counts when pytest's terminal reporter was off: one per record."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for record in records:
        counts[record.outcome] += 1
    return counts


def pass_rate(counts: Mapping[str, int]) -> float | None:
    """passed / (passed + failed + error), in percent; None when nothing counted ran."""
    ran = counts.get("passed", 0) + counts.get("failed", 0) + counts.get("error", 0)
    if ran == 0:
        return None
    return 100.0 * counts.get("passed", 0) / ran


def collect_cause(message: str) -> str:
    """Why a module failed to collect: pytest's last `E ` line (the exception), else the
    message's first line."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    return errors[-1] if errors else (lines[0] if lines else "")


def format_counts(counts: Mapping[str, int]) -> str:
    """The counts the way pytest's summary line words them: "3 passed, 1 failed"."""
    words = {"error": "errors", "warnings": "warnings"}
    parts = []
    for name in (*OUTCOMES, *sorted(set(counts) - set(OUTCOMES))):
        value = counts.get(name, 0)
        if value:
            word = words.get(name, name) if value != 1 or name == "warnings" else name
            parts.append(f"{value} {word}")
    return ", ".join(parts) or "no tests ran"


def format_rate(rate: float | None, places: int = 2) -> str:
    """A percentage shown so that it never reads as a pass it is not: cut (never rounded up)
    at `places` decimals, so a rate below a target of at most `places` decimals, or below
    100%, always shows below it (30,001 passed and 1 failed: "99.99%", not "100.00%";
    97.996: "97.99%", below "98.00%"). A rate above 0 that would show as 0 gets more decimals
    until one shows ("0.003%"), so some passing never reads as none passing.
    """
    if rate is None or not math.isfinite(rate):
        return "n/a"
    exact = decimal.Decimal(repr(rate))  # the float's shortest decimal: 97.96 stays 97.96
    shown = exact.quantize(decimal.Decimal(1).scaleb(-places), decimal.ROUND_FLOOR)
    while shown == 0 < exact:
        places += 1
        shown = exact.quantize(decimal.Decimal(1).scaleb(-places), decimal.ROUND_FLOOR)
    return f"{shown:f}%"


def ran_before(record: Mapping[str, Any], nodeid: str) -> list[str] | None:
    """The tests that ran before `nodeid` in the same process of one recorded run, in order.

    Without xdist that is the collection order up to the test; with xdist, the tests the same
    worker started before it. None when the run did not have the test.
    """
    order: list[str] = list(record.get("order") or [])
    if not order:
        worker = next((r.get("worker") for r in record["reports"] if r["nodeid"] == nodeid), None)
        order = list(
            dict.fromkeys(
                r["nodeid"]
                for r in record["reports"]
                if r.get("when") == "setup" and r.get("worker") == worker
            )
        )
    if nodeid not in order:
        return None
    return order[: order.index(nodeid)]
