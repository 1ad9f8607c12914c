"""Cheap suspects: the suspects that failed in every full run (each in its own order) are
rerun together in one fresh process before anything else; those that fail again there are
consistent without a process each. Only the rest get the per-test treatment (alone, in
order, bisection: tasks.stability.suspects).

Pure: it runs tests only through the callable it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from tasks.results import BAD
from tasks.stability.suspects import CONSISTENT, BudgetSpent, Escalation, NotRun

# Runs the given tests in that order in one fresh process; returns each one's outcome (a test
# it did not run is absent). Raises BudgetSpent or NotRun like `RunTests`.
RunMany = Callable[[Sequence[str]], Mapping[str, str]]


def failed_everywhere(outcomes: Sequence[str | None]) -> bool:
    """Failed in every full run that had it, and there were two or more such runs."""
    ran = [o for o in outcomes if o is not None]
    return len(ran) >= 2 and all(o in BAD for o in ran)


def batch_consistent(
    suspects: Sequence[str],
    matrix: Mapping[str, Sequence[str | None]],
    run_many: RunMany,
) -> dict[str, Escalation]:
    """The suspects shown consistent by one rerun of all that failed in every full run."""
    batch = [n for n in suspects if failed_everywhere(matrix[n])]
    if not batch:
        return {}
    try:
        outcomes = run_many(batch)
    except (BudgetSpent, NotRun):
        return {}  # each then gets its own reruns, or stays unresolved, as without a batch
    others = len(batch) - 1
    company = f" with the {others} other such suspect{'s' if others != 1 else ''}"
    return {
        nodeid: Escalation(
            nodeid,
            list(matrix[nodeid]),
            kind=CONSISTENT,
            in_order=[outcomes[nodeid]],
            reruns=1,
            note=(
                f"it failed in every full run and again when rerun in one fresh process"
                f"{company if others else ''}"
            ),
        )
        for nodeid in batch
        if outcomes.get(nodeid) in BAD
    }
