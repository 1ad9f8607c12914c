"""Triage rules: from one failure and its evidence to a category, a confidence and sentences a
developer can check. Pure: every fact from git, the file system or other runs comes in
through the `Probe` and `Layout` arguments, so each rule is testable with a table of cases.

The signature rules (tasks.triage_signatures) go first; what they leave is decided by where
it was raised and what changed (here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tasks.layout import Layout
from tasks.results import TestRecord
from tasks.triage.facts import (
    ASSERTION_TYPES,
    Category,
    Confidence,
    Facts,
    Probe,
    Verdict,
    first_line,
    gather_facts,
    make_verdict,
    short,
    where_raised,
)
from tasks.triage.signatures import environment_rule, flaky_rule, test_signature_rule


def classify(
    record: TestRecord, layout: Layout, probe: Probe, flaky: Mapping[str, Any] | None = None
) -> Verdict:
    """The category of one failure or error, with its evidence."""
    facts = gather_facts(record, layout)
    where, side = where_raised(facts, layout)
    for rule in (flaky_rule, environment_rule, test_signature_rule):
        verdict = rule(record, facts, layout, probe, flaky, where)
        if verdict is not None:
            return verdict
    return _by_location(record, facts, layout, probe, where, side)


def _by_location(
    record: TestRecord,
    facts: Facts,
    layout: Layout,
    probe: Probe,
    where: str,
    side: Category | None,
) -> Verdict:
    evidence = [where]
    is_assert = facts.exc_type in ASSERTION_TYPES
    change = _change_evidence(record, layout, probe)
    if change is not None:
        evidence.append(change[1])
    decided = change[0] if change is not None else None
    cause = (
        change[2][0] if change is not None and decided == Category.PRODUCTION and change[2] else ""
    )
    if not is_assert and side == Category.PRODUCTION:
        return _raised_in_production(record, facts, probe, evidence, decided, cause)
    if not is_assert and side == Category.TEST:
        return _raised_in_test(record, facts, probe, evidence, decided, cause)
    if is_assert and side == Category.PRODUCTION:
        return make_verdict(
            record,
            facts,
            Category.PRODUCTION,
            Confidence.HIGH,
            "an assert in production code failed",
            evidence,
            f"the invariant asserted at {facts.site} does not hold",
        )
    if change is not None and decided is not None:
        fix = (
            f"check the expectation at {facts.site}: the test changed, the code it runs did not"
            if decided == Category.TEST
            else f"check the change at {', '.join(change[2][:3]) or 'the code it runs'} against "
            f"the expectation at {facts.site}: one of them is wrong"
        )
        return make_verdict(
            record, facts, decided, Confidence.MEDIUM, change[1], evidence, fix, cause
        )
    if probe.runs_production(record.nodeid) == []:
        evidence.append("per-test coverage shows it executes no line of production code")
        return make_verdict(
            record,
            facts,
            Category.TEST,
            Confidence.MEDIUM,
            "the test runs no production code: the expectation that failed is its own",
            evidence,
            f"fix the test at {facts.site}: it checks nothing the product computes",
        )
    newest = probe.newest_change(record)
    if newest is not None:
        category, said, line = newest
        evidence.append(said)
        fix = (
            f"check the expectation at {facts.site}: it changed after the code it tests"
            if category == Category.TEST
            else f"check the recent change at {line} against the expectation at {facts.site}"
        )
        confidence = Confidence.LOW if change is None else Confidence.MEDIUM
        cause = line if category == Category.PRODUCTION else ""
        return make_verdict(record, facts, category, confidence, said, evidence, fix, cause)
    evidence.append("the evidence does not decide between the test's expectation and the code")
    return make_verdict(
        record,
        facts,
        Category.PRODUCTION,
        Confidence.LOW,
        "the test's expectation disagrees with what production code returns",
        evidence,
        f"decide which is right: the expectation at {facts.site} or the code under test",
    )


def _raised_in_production(
    record: TestRecord,
    facts: Facts,
    probe: Probe,
    evidence: list[str],
    decided: Category | None,
    cause: str,
) -> Verdict:
    """An exception from production code: a crash there is a production bug; a deliberate
    `raise` (the code rejecting its input) is the caller's, unless the code changed."""
    frame = facts.project_frame or {}
    line = probe.source_line(str(frame.get("path", "")), int(frame.get("lineno") or 0))
    deliberate = line.startswith("raise ") or line == "raise"
    exc = short(facts.exc_type)
    if not deliberate or decided == Category.PRODUCTION:
        return make_verdict(
            record,
            facts,
            Category.PRODUCTION,
            Confidence.HIGH,
            f"{exc} raised inside production code",
            evidence,
            f"fix the code at {facts.site}: it raises {exc}: {first_line(facts.message)}",
            cause,
        )
    evidence.append(f"the code raises it on purpose at {facts.site}: `{line}`")
    newest = None if decided is not None else probe.newest_change(record)
    if newest is not None:
        evidence.append(newest[1])
        if newest[0] == Category.PRODUCTION:
            return make_verdict(
                record,
                facts,
                Category.PRODUCTION,
                Confidence.MEDIUM,
                "production code rejects the test's input, and it changed last",
                evidence,
                f"check the recent change at {newest[2]}: should it reject this input?",
                newest[2],
            )
    return make_verdict(
        record,
        facts,
        Category.TEST,
        Confidence.MEDIUM if decided == Category.TEST or newest is not None else Confidence.LOW,
        f"production code rejects what the test passes ({exc}: {first_line(facts.message)})",
        evidence,
        f"give {record.nodeid.split('::')[-1]} input the code accepts, or expect {exc}",
    )


def _raised_in_test(
    record: TestRecord,
    facts: Facts,
    probe: Probe,
    evidence: list[str],
    decided: Category | None,
    cause: str,
) -> Verdict:
    """An exception from the test's own code: the test's, unless the production code it
    runs changed and the test did not (e.g. a function that now returns None)."""
    exc = short(facts.exc_type)
    newest = None if decided is not None else probe.newest_change(record)
    if newest is not None:
        evidence.append(newest[1])
    if decided == Category.PRODUCTION or (newest is not None and newest[0] == Category.PRODUCTION):
        line = cause or (newest[2] if newest is not None else "")
        return make_verdict(
            record,
            facts,
            Category.PRODUCTION,
            Confidence.MEDIUM if decided == Category.PRODUCTION else Confidence.LOW,
            f"{exc} in the test, after the production code it runs changed",
            evidence,
            f"check what the changed code at {line} now returns to the test at {facts.site}",
            line,
        )
    if (
        decided is None
        and newest is None
        and "NoneType" in facts.message
        and probe.runs_production(record.nodeid)
    ):
        evidence.append(
            "the test got None where it expected a value, after calling production code; "
            "no git history says which side changed"
        )
        return make_verdict(
            record,
            facts,
            Category.PRODUCTION,
            Confidence.LOW,
            f"{exc} on a None the production code returned",
            evidence,
            f"check what the code called before {facts.site} returns: it gave the test None",
        )
    return make_verdict(
        record,
        facts,
        Category.TEST,
        Confidence.MEDIUM,
        f"{exc} raised in the test's own code",
        evidence,
        f"fix the test at {facts.site}: {first_line(facts.message)}",
    )


def _change_evidence(
    record: TestRecord, layout: Layout, probe: Probe
) -> tuple[Category | None, str, list[str]] | None:
    """(the side that alone changed, None when both or neither did; a sentence; the changed
    production lines it runs as file:line) from git since the base and per-test coverage."""
    test_file = layout.test_file(record.nodeid)
    test_changed = probe.test_changed(test_file)
    production = probe.production_changed(record.nodeid)
    if test_changed is None or production is None:
        return None
    prod_changed, files = production
    shown = f"{', '.join(files[:3])}{' ...' if len(files) > 3 else ''}"
    if prod_changed:
        runs = f"the production lines it runs ({shown})"
    else:
        runs = f"the production files it runs ({shown})" if files else "the production code it runs"
    lines = files if prod_changed else []
    if test_changed and not prod_changed:
        return Category.TEST, f"the test changed since the base; {runs} did not", lines
    if prod_changed and not test_changed:
        return Category.PRODUCTION, f"{runs} changed since the base; the test did not", lines
    if prod_changed:
        return None, f"both the test and {runs} changed since the base", lines
    return None, f"neither the test nor {runs} changed since the base", lines
