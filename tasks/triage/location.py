"""Triage rules by location: what the signature recognisers leave is decided by where it was
raised (the test's code or production code) and what changed since the base (git and
per-test coverage) or, without a base, which side git blame says changed last. Each rule
states its whole condition, so it can be read, and tested, on its own."""

from __future__ import annotations

from tasks.triage.case import Case, Rule
from tasks.triage.facts import Category, Confidence, Verdict, first_line, short

PRODUCTION, TEST = Category.PRODUCTION, Category.TEST


# --- an exception raised in production code ------------------------------------------------


def changed_test_calls_unchanged_code(case: Case) -> Verdict | None:
    """The test changed this phase and the production lines it runs did not: what those lines
    raise, they raised before the phase for such a call too, so the test calls them wrongly.
    (Before the raise site, which alone would blame the code.)"""
    if not case.raised_in(PRODUCTION) or case.decided != TEST:
        return None
    exc, site = short(case.facts.exc_type), case.facts.site
    deliberate = case.raise_statement is not None
    evidence = [
        *case.evidence,
        f"{exc} comes from production code that did not change since the base, called by a test "
        "that did: the test calls it in a way it does not support",
        *(_on_purpose(case) if deliberate else []),
    ]
    return case.verdict(
        TEST,
        Confidence.HIGH if deliberate else Confidence.MEDIUM,
        f"the changed test calls unchanged production code wrongly ({exc}: "
        f"{first_line(case.facts.message)})",
        evidence,
        f"give {_test_name(case)} input the code at {site} accepts, or expect {exc}"
        + ("" if deliberate else "; if the code should handle this input, fix it there"),
    )


def crash_in_production(case: Case) -> Verdict | None:
    """Production code crashed (no `raise` of its own), or raised after it changed."""
    if not case.raised_in(PRODUCTION) or case.decided == TEST:
        return None
    if case.raise_statement is not None and case.decided != PRODUCTION:
        return None
    exc = short(case.facts.exc_type)
    return case.verdict(
        PRODUCTION,
        Confidence.HIGH,
        f"{exc} raised inside production code",
        case.evidence,
        f"fix the code at {case.facts.site}: it raises {exc}: {first_line(case.facts.message)}",
        _changed_line(case),
    )


def _production_changed_under_it(case: Case) -> bool:
    """Only the production lines it runs changed, or blame says they changed last."""
    newest = case.newest
    return case.decided == PRODUCTION or (newest is not None and newest[0] == PRODUCTION)


def _on_purpose(case: Case) -> list[str]:
    return [f"the code raises it on purpose at {case.facts.site}: `{case.raise_statement}`"]


def rejected_after_change(case: Case) -> Verdict | None:
    """Production code rejects the test's input on purpose, and blame says it changed last."""
    if not case.raised_in(PRODUCTION) or case.raise_statement is None:
        return None
    newest = case.newest
    if newest is None or newest[0] != PRODUCTION:
        return None
    return case.verdict(
        PRODUCTION,
        Confidence.MEDIUM,
        "production code rejects the test's input, and it changed last",
        [*case.evidence, *_on_purpose(case), newest[1]],
        f"check the recent change at {newest[2]}: should it reject this input?",
        newest[2],
    )


def rejected_input(case: Case) -> Verdict | None:
    """Production code rejects what the test passes on purpose (a `raise`): the caller's."""
    if not case.raised_in(PRODUCTION) or case.raise_statement is None:
        return None
    if case.decided == TEST or _production_changed_under_it(case):
        return None
    newest = case.newest
    exc, message = short(case.facts.exc_type), first_line(case.facts.message)
    return case.verdict(
        TEST,
        Confidence.MEDIUM if newest is not None else Confidence.LOW,
        f"production code rejects what the test passes ({exc}: {message})",
        [*case.evidence, *_on_purpose(case), *([newest[1]] if newest else [])],
        f"give {_test_name(case)} input the code accepts, or expect {exc}",
    )


def _test_name(case: Case) -> str:
    return case.record.nodeid.split("::")[-1]


# --- an exception raised in the test's own code --------------------------------------------


def error_after_production_change(case: Case) -> Verdict | None:
    """An error in the test after the production code it runs changed (e.g. now returns
    None)."""
    if not case.raised_in(TEST) or not _production_changed_under_it(case):
        return None
    newest = case.newest
    line = _changed_line(case) or (newest[2] if newest is not None else "")
    return case.verdict(
        PRODUCTION,
        Confidence.MEDIUM if case.decided == PRODUCTION else Confidence.LOW,
        f"{short(case.facts.exc_type)} in the test, after the production code it runs changed",
        [*case.evidence, *([newest[1]] if newest else [])],
        f"check what the changed code at {line} now returns to the test at {case.facts.site}",
        line,
    )


def _none_from_production(case: Case) -> bool:
    return (
        case.decided is None
        and case.newest is None
        and "NoneType" in case.facts.message
        and bool(case.probe.runs_production(case.record.nodeid))
    )


def none_from_production(case: Case) -> Verdict | None:
    """An error on None in the test after it called production code, with no history to say
    which side changed: most likely the code returned None where it should not."""
    if not case.raised_in(TEST) or not _none_from_production(case):
        return None
    return case.verdict(
        PRODUCTION,
        Confidence.LOW,
        f"{short(case.facts.exc_type)} on a None the production code returned",
        [
            *case.evidence,
            "the test got None where it expected a value, after calling production code; "
            "no git history says which side changed",
        ],
        f"check what the code called before {case.facts.site} returns: it gave the test None",
    )


def error_in_test(case: Case) -> Verdict | None:
    """An exception from the test's own code is the test's, unless the code under it
    changed or handed it a None."""
    if not case.raised_in(TEST) or _production_changed_under_it(case):
        return None
    if _none_from_production(case):
        return None
    newest = case.newest
    return case.verdict(
        TEST,
        Confidence.MEDIUM,
        f"{short(case.facts.exc_type)} raised in the test's own code",
        [*case.evidence, *([newest[1]] if newest else [])],
        f"fix the test at {case.facts.site}: {first_line(case.facts.message)}",
    )


# --- an assertion (or an error outside the project): whose expectation is wrong ------------


def assert_in_production(case: Case) -> Verdict | None:
    if not (case.is_assert and case.side == PRODUCTION):
        return None
    return case.verdict(
        PRODUCTION,
        Confidence.HIGH,
        "an assert in production code failed",
        case.evidence,
        f"the invariant asserted at {case.facts.site} does not hold",
    )


def _expectation(case: Case) -> bool:
    """A failed expectation: an assert in the test, or an error from outside the project."""
    return case.side != PRODUCTION if case.is_assert else case.side is None


def change_decides(case: Case) -> Verdict | None:
    """Only the test, or only the production lines it runs, changed since the base."""
    change = case.change
    if not _expectation(case) or change is None or change.decided is None:
        return None
    site = case.facts.site
    fix = (
        f"check the expectation at {site}: the test changed, the code it runs did not"
        if change.decided == TEST
        else f"check the change at {', '.join(change.lines[:3]) or 'the code it runs'} against "
        f"the expectation at {site}: one of them is wrong"
    )
    return case.verdict(
        change.decided,
        Confidence.MEDIUM,
        change.sentence,
        case.evidence,
        fix,
        _changed_line(case),
    )


def runs_no_production(case: Case) -> Verdict | None:
    """Per-test coverage shows the test executes no production line."""
    if not _expectation(case) or case.decided is not None:
        return None
    if case.probe.runs_production(case.record.nodeid) != []:
        return None
    return case.verdict(
        TEST,
        Confidence.MEDIUM,
        "the test runs no production code: the expectation that failed is its own",
        [*case.evidence, "per-test coverage shows it executes no line of production code"],
        f"fix the test at {case.facts.site}: it checks nothing the product computes",
    )


def changed_last(case: Case) -> Verdict | None:
    """git blame: the side whose lines changed last is the likelier one to be wrong."""
    if not _expectation(case):
        return None
    newest = case.newest
    if newest is None:
        return None
    if case.probe.runs_production(case.record.nodeid) == []:
        return None
    category, said, line = newest
    site = case.facts.site
    fix = (
        f"check the expectation at {site}: it changed after the code it tests"
        if category == TEST
        else f"check the recent change at {line} against the expectation at {site}"
    )
    return case.verdict(
        category,
        Confidence.LOW if case.change is None else Confidence.MEDIUM,
        said,
        [*case.evidence, said],
        fix,
        line if category == PRODUCTION else "",
    )


def undecided(case: Case) -> Verdict:
    """What is left: say so, at low confidence."""
    return case.verdict(
        PRODUCTION,
        Confidence.LOW,
        "the test's expectation disagrees with what production code returns",
        [
            *case.evidence,
            "the evidence does not decide between the test's expectation and the code",
        ],
        f"decide which is right: the expectation at {case.facts.site} or the code under test",
    )


def _changed_line(case: Case) -> str:
    """The first changed production line it runs, when only production code changed."""
    change = case.change
    return (
        change.lines[0]
        if change is not None and change.decided == PRODUCTION and change.lines
        else ""
    )


# The order matters only where two rules apply; `undecided` is what is left.
LOCATION_RULES: tuple[Rule, ...] = (
    changed_test_calls_unchanged_code,
    crash_in_production,
    rejected_after_change,
    rejected_input,
    error_after_production_change,
    none_from_production,
    error_in_test,
    assert_in_production,
    change_decides,
    runs_no_production,
    changed_last,
)
