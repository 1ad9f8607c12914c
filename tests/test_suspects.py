"""The escalation rules against simulated test worlds: each world decides a test's outcome
from the tests run before it in the same process, as real shared state would."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import pytest

from tasks.stability.bisect import find_culprit, locate
from tasks.stability.reruns import bisection_hints
from tasks.stability.suspects import (
    CONSISTENT,
    NON_DETERMINISTIC,
    ORDER_DEPENDENT,
    POLLUTER,
    STATE_SETTER,
    UNRESOLVED,
    BudgetSpent,
    Hints,
    NotRun,
    escalate,
    k_of_n,
)

BEFORE = [f"t.py::test_{i}" for i in range(23)]
V = "t.py::victim"


class World:
    """Counts the processes it is asked to run, like the real runner."""

    def __init__(self, decide: object) -> None:
        self.decide = decide
        self.calls: list[list[str]] = []

    def __call__(self, tests: Sequence[str]) -> str | None:
        self.calls.append(list(tests))
        return self.decide(tests[:-1])  # type: ignore[operator]


def polluted_by(polluter: str) -> World:
    return World(lambda before: "failed" if polluter in before else "passed")


def needs(setter: str) -> World:
    return World(lambda before: "passed" if setter in before else "failed")


@pytest.mark.parametrize("position", [0, 1, 7, 11, 12, 22])
def test_bisection_finds_the_polluter_anywhere(position: int) -> None:
    world = polluted_by(BEFORE[position])
    assert find_culprit(BEFORE, V, lambda t: world(t) == "failed") == BEFORE[position]
    assert len(world.calls) <= 2 * 5  # two tries per halving of 23 tests


def test_bisection_gives_up_when_it_takes_two_tests() -> None:
    world = World(lambda before: "failed" if {BEFORE[2], BEFORE[20]} <= set(before) else "passed")
    assert find_culprit(BEFORE, V, lambda t: world(t) == "failed") is None


def _classic(before: Sequence[str], shows: object) -> tuple[str | None, bool]:
    """What the escalation did before `locate`: bisect both halves, then confirm."""
    culprit = find_culprit(before, V, shows)  # type: ignore[arg-type]
    return culprit, shows([culprit, V] if culprit else [*before, V])  # type: ignore[operator]


WORLDS = {
    **{f"polluter {i}": lambda i=i: polluted_by(BEFORE[i]) for i in (0, 1, 5, 11, 12, 22)},
    "two polluters together": lambda: World(
        lambda before: "failed" if {BEFORE[2], BEFORE[20]} <= set(before) else "passed"
    ),
    "two polluters in one half": lambda: World(
        lambda before: "failed" if {BEFORE[1], BEFORE[3]} <= set(before) else "passed"
    ),
    "either of two polluters": lambda: World(
        lambda before: "failed" if {BEFORE[4], BEFORE[15]} & set(before) else "passed"
    ),
}


@pytest.mark.parametrize("name", list(WORLDS))
def test_locate_finds_what_the_classic_bisection_finds_in_fewer_processes(name: str) -> None:
    classic, fast = WORLDS[name](), WORLDS[name]()
    expected = _classic(BEFORE, lambda t: classic(t) == "failed")
    assert locate(BEFORE, V, lambda t: fast(t) == "failed") == expected
    if expected[0] is not None:  # one culprit: one process per halving of 23, one to confirm
        assert len(fast.calls) <= 5 + 1 <= len(classic.calls)


def test_order_dependent_victim() -> None:
    result = escalate(V, ["failed", "passed"], BEFORE, [], polluted_by(BEFORE[5]))
    assert (result.kind, result.culprit, result.culprit_role) == (
        ORDER_DEPENDENT,
        BEFORE[5],
        POLLUTER,
    )
    assert result.alone == ["passed"] * 3
    assert result.in_order == ["failed"]
    assert result.flaky


def test_victim_that_failed_in_every_full_run_is_still_order_dependent() -> None:
    # The polluter ran before it in every order tried: only the reruns show it.
    result = escalate(V, ["failed", "failed", "failed"], BEFORE, None, polluted_by(BEFORE[0]))
    assert (result.kind, result.culprit) == (ORDER_DEPENDENT, BEFORE[0])


@pytest.mark.parametrize(
    ("hint", "culprit"),
    [
        (BEFORE[:3], BEFORE[1]),  # the runs narrowed it to three tests: found there
        (BEFORE[10:12], BEFORE[1]),  # a hint that does not hold: the whole list is bisected
    ],
)
def test_bisection_starts_from_the_hint_of_the_full_runs(hint: list[str], culprit: str) -> None:
    unhinted = polluted_by(culprit)
    escalate(V, ["failed", "passed"], BEFORE, [], unhinted)
    world = polluted_by(culprit)
    result = escalate(V, ["failed", "passed"], BEFORE, [], world, Hints(polluters=hint))
    assert (result.kind, result.culprit, result.culprit_role) == (
        ORDER_DEPENDENT,
        culprit,
        POLLUTER,
    )
    if hint[0] == BEFORE[0]:
        assert len(world.calls) < len(unhinted.calls)


def test_a_setter_hint_narrows_the_search_too() -> None:
    world = needs(BEFORE[3])
    result = escalate(V, ["passed", "failed"], [], BEFORE[:9], world, Hints(setters=BEFORE[2:5]))
    assert (result.kind, result.culprit, result.culprit_role) == (
        ORDER_DEPENDENT,
        BEFORE[3],
        STATE_SETTER,
    )


def test_brittle_test_needs_a_state_setter() -> None:
    result = escalate(V, ["passed", "failed"], [], BEFORE[:9], needs(BEFORE[3]))
    assert (result.kind, result.culprit, result.culprit_role) == (
        ORDER_DEPENDENT,
        BEFORE[3],
        STATE_SETTER,
    )


@pytest.mark.parametrize(
    ("full", "alone_runs"),
    [
        (["failed"], 3),  # one full run says little: three reruns alone
        (["failed", "error", "failed"], 2),  # failed every full run: two reruns confirm it
    ],
)
def test_consistent_failure_is_not_flaky(full: list[str | None], alone_runs: int) -> None:
    world = World(lambda before: "failed")
    result = escalate(V, full, BEFORE, None, world)
    assert (result.kind, result.flaky) == (CONSISTENT, False)
    assert result.alone == ["failed"] * alone_runs
    assert len(world.calls) == alone_runs  # only alone: nothing to bisect


def _sequence(outcomes: Sequence[str]) -> World:
    it: Iterator[str] = itertools.cycle(outcomes)
    return World(lambda before: next(it))


def test_mixed_outcomes_alone_are_non_deterministic_and_stop_early() -> None:
    world = _sequence(["failed", "passed"])
    result = escalate(V, ["failed"], BEFORE, None, world)
    assert (result.kind, result.alone) == (NON_DETERMINISTIC, ["failed", "passed"])
    assert len(world.calls) == 2


def test_failure_that_does_not_reproduce_is_non_deterministic() -> None:
    world = World(lambda before: "passed")
    result = escalate(V, ["failed", "passed"], BEFORE, [], world)
    assert result.kind == NON_DETERMINISTIC
    assert result.in_order == ["passed"]
    assert "does not reproduce" in result.note


def test_failing_alone_but_passed_once_without_a_setter_is_non_deterministic() -> None:
    world = World(lambda before: "failed")
    result = escalate(V, ["passed", "failed"], [], BEFORE, world)
    assert result.kind == NON_DETERMINISTIC


def test_spent_budget_leaves_the_suspect_unresolved() -> None:
    calls = itertools.count()

    def run(tests: Sequence[str]) -> str | None:
        if next(calls) >= 2:
            raise BudgetSpent
        return "passed"

    result = escalate(V, ["failed"], BEFORE, None, run)
    assert (result.kind, result.reruns, result.alone) == (UNRESOLVED, 2, ["passed", "passed"])
    assert "budget ran out after 2 rerun(s)" in result.note


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        (["passed", "failed", "error"], "passed 1 of 3"),
        (["passed", None, "skipped"], "passed 1 of 1"),
        ([], "passed 0 of 0"),
    ],
)
def test_k_of_n_counts_only_runs_that_ran_the_test(
    outcomes: list[str | None], expected: str
) -> None:
    assert k_of_n(outcomes) == expected


def test_a_culprit_that_does_not_show_again_means_non_deterministic() -> None:
    # alone x3 pass; the failing order fails; bisection blames test_1; the check passes.
    world = _sequence(["passed", "passed", "passed", "failed", "failed", "passed"])
    result = escalate(V, ["failed", "passed"], BEFORE[:2], [], world)
    assert world.calls[-1] == [BEFORE[1], V]  # the confirming two-test run
    assert (result.kind, result.culprit) == (NON_DETERMINISTIC, None)
    assert "did not show it again" in result.note


# A rerun that did not run the suspect (its process died or was stopped before it, or its id
# was not found) says nothing about it: the suspect stays unresolved, never gets a kind.
def _not_run_at(call: int, how: str) -> World:
    """Polluted by BEFORE[5]; rerun number `call` (from 1) does not run the suspect."""
    world = polluted_by(BEFORE[5])
    decide = world.decide

    def maybe(before: Sequence[str]) -> str | None:
        if len(world.calls) == call:
            if how == "raise":
                raise NotRun(f"rerun {call}: the test process died before it")
            return None
        return decide(before)  # type: ignore[operator,no-any-return]

    world.decide = maybe
    return world


@pytest.mark.parametrize(
    ("call", "where"),
    [
        (1, "alone"),
        (2, "alone, after a pass"),
        (4, "in the order it failed in"),  # was: "it passed when rerun in that order"
        (5, "while bisecting"),
        (9, "the confirming two-test run"),
    ],
)
@pytest.mark.parametrize("how", ["none", "raise"])
def test_a_rerun_that_did_not_run_the_suspect_leaves_it_unresolved(
    call: int, where: str, how: str
) -> None:
    world = _not_run_at(call, how)
    result = escalate(V, ["failed", "passed"], BEFORE, [], world)
    assert (result.kind, result.culprit, result.flaky) == (UNRESOLVED, None, False), where
    assert result.reruns == call == len(world.calls)  # it stops there: nothing more to learn
    reason = "the test process died before it" if how == "raise" else "did not run it"
    assert f"rerun {call}" in result.note
    assert reason in result.note
    assert "its kind is left undecided" in result.note


def test_without_the_missing_rerun_the_same_world_is_order_dependent() -> None:
    world = polluted_by(BEFORE[5])
    result = escalate(V, ["failed", "passed"], BEFORE, [], world)
    assert (result.kind, result.culprit, result.reruns) == (ORDER_DEPENDENT, BEFORE[5], 9)
    assert world.calls[3] == [*BEFORE, V]  # rerun 4: in the order it failed in
    assert world.calls[-1] == [BEFORE[5], V]  # rerun 9: the confirming two-test run


def test_a_suspect_not_run_when_failing_alone_is_unresolved_not_non_deterministic() -> None:
    # Fails alone; passed once after BEFORE: the in-order rerun that did not run it used to
    # read as "fails in that run's order too" and decide non-deterministic.
    outcomes = iter(["failed", "failed", "failed", None])
    result = escalate(V, ["passed", "failed"], [], BEFORE, lambda tests: next(outcomes))
    assert result.kind == UNRESOLVED
    assert result.in_order == []


def test_hints_keep_what_ran_before_in_every_failing_run_and_no_passing_one() -> None:
    def record(order: list[str]) -> dict[str, object]:
        return {"order": [*order, V], "reports": []}

    records = [record(["a", "p", "b"]), record(["b", "c"]), record(["p", "c", "a"])]
    outcomes = ["failed", "passed", "failed"]
    hints = bisection_hints(records, outcomes, V, ["a", "p", "b"], ["b", "c"])
    assert hints.polluters == ["a", "p"]  # b also ran before it where it passed
    assert hints.setters == []  # nothing ran before it only where it passed
