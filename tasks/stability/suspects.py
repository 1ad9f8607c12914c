"""Escalation on suspects: every test that failed in a full run is rerun alone and in the order
it failed in, until its behaviour is classified, and an order-dependent test's culprit is found
by bisecting the tests that ran before it.

The logic is pure: it runs tests only through the `RunTests` callable it is given (a fresh
pytest process per call in the stability step; a table of outcomes in the unit tests).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Sequence

from tasks.artifacts.stability import EscalationJSON
from tasks.results import BAD
from tasks.stability.bisect import locate


class RerunKind(enum.StrEnum):
    """What a suspect's reruns showed (written to JSON as its value)."""

    CONSISTENT = "consistent"
    NON_DETERMINISTIC = "non-deterministic"
    ORDER_DEPENDENT = "order-dependent"
    UNRESOLVED = "unresolved"


class CulpritRole(enum.StrEnum):
    POLLUTER = "polluter"  # the suspect fails after it
    STATE_SETTER = "state-setter"  # the suspect passes only after it


CONSISTENT, NON_DETERMINISTIC = RerunKind.CONSISTENT, RerunKind.NON_DETERMINISTIC
ORDER_DEPENDENT, UNRESOLVED = RerunKind.ORDER_DEPENDENT, RerunKind.UNRESOLVED
FLAKY_KINDS = frozenset({NON_DETERMINISTIC, ORDER_DEPENDENT})
POLLUTER, STATE_SETTER = CulpritRole.POLLUTER, CulpritRole.STATE_SETTER

ALONE_RUNS = 3  # reruns alone, fewer when the outcomes already differ...
# ...and two when every full run (two or more) failed: a 50% flaky test fails 3 full runs and
# 2 reruns 1 time in 32, and the budget is better spent on tests that passed somewhere.
ALONE_RUNS_CONSISTENT = 2

# Runs the given tests in that order in one fresh process; returns the last one's outcome
# (None, or NotRun raised, when it did not run). Raises BudgetSpent when the rerun budget is
# used up.
RunTests = Callable[[Sequence[str]], str | None]
Outcomes = Callable[[Sequence[str]], str]  # the same, counted, where a missing outcome raised


@dataclasses.dataclass(frozen=True)
class Hints:
    """Where to bisect first, when the full runs show it: the tests that ran before the
    suspect in a failing run but in no passing one (`polluters`), and the reverse
    (`setters`). A hint that finds no culprit falls back to every test that ran before."""

    polluters: Sequence[str] | None = None
    setters: Sequence[str] | None = None


class BudgetSpent(Exception):
    """The rerun budget ran out before the next rerun could start."""


class NotRun(Exception):
    """A rerun did not run the suspect (its process died or was stopped before it, or its id
    is not replayable): it says nothing about the suspect, whose kind stays undecided."""


@dataclasses.dataclass
class Escalation:
    """What the reruns of one suspect showed."""

    nodeid: str
    full: list[str | None]  # its outcome in each full run
    kind: str = UNRESOLVED
    alone: list[str] = dataclasses.field(default_factory=list)
    in_order: list[str] = dataclasses.field(default_factory=list)
    culprit: str | None = None
    culprit_role: str | None = None
    reruns: int = 0
    note: str = ""

    @property
    def flaky(self) -> bool:
        return self.kind in FLAKY_KINDS

    def to_json(self) -> EscalationJSON:
        return {
            "nodeid": self.nodeid,
            "full": list(self.full),
            "kind": self.kind,
            "alone": list(self.alone),
            "in_order": list(self.in_order),
            "culprit": self.culprit,
            "culprit_role": self.culprit_role,
            "reruns": self.reruns,
            "note": self.note,
            "full_k_of_n": k_of_n(self.full),
            "alone_k_of_n": k_of_n(self.alone),
        }


def k_of_n(outcomes: Sequence[str | None]) -> str:
    """ "passed 2 of 3" over the outcomes that ran (skips and absences do not count)."""
    ran = [o for o in outcomes if o is not None and (o == "passed" or o in BAD)]
    return f"passed {sum(o == 'passed' for o in ran)} of {len(ran)}"


def _mixed(outcomes: Sequence[str | None]) -> bool:
    return any(o == "passed" for o in outcomes) and any(o in BAD for o in outcomes)


def is_flaky(outcomes: Sequence[str | None]) -> bool:
    """Mixed outcomes across runs (a test absent from a run says nothing)."""
    return len({o for o in outcomes if o is not None}) > 1


def escalate(
    nodeid: str,
    full: Sequence[str | None],
    failed_after: Sequence[str] | None,
    passed_after: Sequence[str] | None,
    run: RunTests,
    hints: Hints = Hints(),
) -> Escalation:
    """Classify one suspect. `failed_after`/`passed_after`: the tests that ran before it in a
    full run where it failed / passed (None when there was no such run)."""
    result = Escalation(nodeid, list(full))

    def run_counted(tests: Sequence[str]) -> str:
        outcome, why = None, ""
        try:
            outcome = run(tests)
        except NotRun as exc:
            why = str(exc)
        result.reruns += 1
        if outcome is None:
            raise NotRun(why or f"rerun {result.reruns} did not run it")
        return outcome

    try:
        _classify(result, (failed_after, passed_after), run_counted, hints)
    except BudgetSpent:
        result.kind = UNRESOLVED
        result.note = f"the rerun budget ran out after {result.reruns} rerun(s)"
    except NotRun as exc:
        result.kind, result.culprit, result.culprit_role = UNRESOLVED, None, None
        result.note = f"{exc}, so its kind is left undecided"
    else:
        return result
    result.note += f"; alone it {k_of_n(result.alone) if result.alone else 'was not rerun'}"
    return result


def _classify(
    result: Escalation,
    after: tuple[Sequence[str] | None, Sequence[str] | None],
    run: Outcomes,
    hints: Hints,
) -> None:
    nodeid = result.nodeid
    failed_after, passed_after = after
    ran = [o for o in result.full if o is not None]
    always_failed = len(ran) >= 2 and all(o in BAD for o in ran)
    for _ in range(ALONE_RUNS_CONSISTENT if always_failed else ALONE_RUNS):
        result.alone.append(run([nodeid]))
        if _mixed(result.alone):
            break
    alone = k_of_n(result.alone)
    if _mixed(result.alone):
        result.kind = NON_DETERMINISTIC
        result.note = f"run alone in a fresh process it {alone}: the outcome varies by itself"
        return
    if all(o in BAD for o in result.alone):
        _fails_alone(result, passed_after, run, alone, hints.setters)
    else:
        _passes_alone(result, failed_after, run, alone, hints.polluters)


def _fails_alone(
    result: Escalation,
    passed_after: Sequence[str] | None,
    run: Outcomes,
    alone: str,
    hint: Sequence[str] | None,
) -> None:
    nodeid = result.nodeid
    if passed_after is None:
        result.kind = CONSISTENT
        result.note = f"it failed in every full run and alone ({alone})"
        return
    # It passed in some full run: does it need a test before it to pass?
    outcome = run([*passed_after, nodeid])
    result.in_order.append(outcome)
    if outcome != "passed":
        result.kind = NON_DETERMINISTIC
        result.note = (
            f"it passed in a full run, but fails alone ({alone}) and in that run's order: "
            "its outcome varies with something other than the order"
        )
        return
    shows = lambda t: run(t) == "passed"  # noqa: E731
    if _order_dependency(result, passed_after, shows, STATE_SETTER, hint):
        result.note = f"it fails alone ({alone}) and passes only after other tests" + (
            f": it passes after {result.culprit} sets up state it relies on"
            if result.culprit
            else " (no single test is enough)"
        )


def _passes_alone(
    result: Escalation,
    failed_after: Sequence[str] | None,
    run: Outcomes,
    alone: str,
    hint: Sequence[str] | None,
) -> None:
    nodeid = result.nodeid
    if not failed_after:
        result.kind = NON_DETERMINISTIC
        result.note = f"it failed in a full run with no test before it, and alone it {alone}"
        return
    outcome = run([*failed_after, nodeid])
    result.in_order.append(outcome)
    if outcome not in BAD:
        result.kind = NON_DETERMINISTIC
        result.note = (
            f"alone it {alone}, and it passed when rerun in the order it failed in: "
            "the failure does not reproduce on demand"
        )
        return
    if _order_dependency(result, failed_after, lambda t: run(t) in BAD, POLLUTER, hint):
        result.note = f"alone it {alone}, but it fails after the tests that ran before it" + (
            f": {result.culprit} leaves state behind that breaks it"
            if result.culprit
            else " (no single test is enough to break it)"
        )


def _order_dependency(
    result: Escalation,
    before: Sequence[str],
    shows: Callable[[Sequence[str]], bool],
    role: str,
    hint: Sequence[str] | None = None,
) -> bool:
    """Bisect `before` for the culprit (the `hint` first, when it is narrower) and confirm
    what was found by showing it once more. True: order-dependent (with or without a single
    culprit); False: non-deterministic."""
    nodeid = result.nodeid
    culprit, confirmed = None, False
    if hint and len(hint) < len(before):
        culprit, confirmed = locate(hint, nodeid, shows, fallback=False)
        culprit = culprit if confirmed else None
    if culprit is None:
        culprit, confirmed = locate(before, nodeid, shows)
    if not confirmed:
        result.kind = NON_DETERMINISTIC
        result.note = (
            f"its outcome changed with the tests run before it, but "
            f"{'the two tests ' + culprit + ' and it' if culprit else 'that order'} did not "
            "show it again: the outcome also varies by itself"
        )
        return False
    result.kind = ORDER_DEPENDENT
    result.culprit = culprit
    result.culprit_role = role if culprit else None
    return True
