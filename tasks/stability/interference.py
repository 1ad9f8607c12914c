"""Interference is not flakiness: a test that failed only in runs that had company (another
copy of the suite running at the same time) is confirmed by a sequential rerun in that run's
exact order before its failure counts.

- it fails there too: the failure happens without company, and counts as it was;
- it passes there, fails again the same way (the same exception) when that order runs in two
  processes side by side, and passes each time it runs alone (ALONE_RUNS): it is
  *interference* (a fixed port, a fixed file: a hazard for parallel CI). The run's outcome
  becomes the confirmed one (passed), so it fails neither the pass rate nor the flaky gate,
  and the summary reports it. The runs alone keep a test that fails every other time flaky;
  the same exception keeps a counter-file flake flaky whose file two copies tear (its first
  failure an assertion, the pair's a ValueError); a test that fails at random half the time
  still passes the three checks about 1 time in 11;
- otherwise its failure stands, and it stays a suspect, as it would be without company.

Pure: it runs tests only through the callables it is given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from tasks.artifacts.stability import InterferenceJSON
from tasks.results import BAD
from tasks.stability.batch import RunMany
from tasks.stability.suspects import BudgetSpent, NotRun, RunTests

ALONE_RUNS = 2

# Runs the given tests in two fresh processes side by side; each one's outcomes, and what
# each failure raised.
RunPair = Callable[[Sequence[str]], Sequence[tuple[Mapping[str, str], Mapping[str, str]]]]


@dataclasses.dataclass(frozen=True)
class Interference:
    nodeid: str
    runs: list[int]  # the full runs where it failed with company and passed without
    outcome: str  # what it did in those runs
    side_by_side: list[str | None]  # its outcomes in the two processes of the pair rerun

    def to_json(self) -> InterferenceJSON:
        shown = " and ".join(str(o) for o in self.side_by_side)
        runs = ", ".join(map(str, self.runs))
        return {
            "nodeid": self.nodeid,
            "runs": list(self.runs),
            "outcome": self.outcome,
            "alone_in_order": "passed",
            "side_by_side": list(self.side_by_side),
            "note": (
                f"it {self.outcome} in run {runs} while another run of the suite ran at the "
                f"same time, passed when that order was rerun on its own, and {shown} when it "
                "ran in two copies side by side: it fails when another copy of the suite runs "
                "at the same time (a fixed port, file or resource)"
            ),
        }


def candidates(
    matrix: Mapping[str, Sequence[str | None]],
    company: Mapping[int, Sequence[int]],
    settled: Sequence[str] = (),
) -> dict[int, list[str]]:
    """run index (1-based) -> its tests to confirm: they failed there, the run had company,
    and they failed in no run without company. `settled`: shown to fail without company."""
    found: dict[int, list[str]] = {}
    for nodeid, outcomes in matrix.items():
        if "::" not in nodeid or nodeid in settled:
            continue
        bad = [i for i, o in enumerate(outcomes, 1) if o in BAD]
        if bad and all(company.get(i) for i in bad):
            for index in bad:
                found.setdefault(index, []).append(nodeid)
    return found


def replay_prefix(order: Sequence[str], tests: Sequence[str]) -> list[str]:
    """A run's order up to the last of `tests` (all of them when the order is unknown)."""
    positions = [order.index(t) for t in tests if t in order]
    if len(positions) < len(tests):
        return list(tests)  # e.g. under xdist, where no single order holds them
    return list(order[: max(positions) + 1])


def passes_alone(nodeid: str, run: RunTests) -> bool:
    """It passes each of ALONE_RUNS times alone in a fresh process."""
    for _ in range(ALONE_RUNS):
        try:
            if run([nodeid]) != "passed":
                return False
        except NotRun:
            return False
    return True


def confirm(
    found: Mapping[int, Sequence[str]],
    orders: Mapping[int, Sequence[str]],
    outcomes: Mapping[int, Mapping[str, tuple[str, str]]],
    runs: tuple[RunMany, RunPair, RunTests],
    replayed: Mapping[int, Mapping[str, str] | None] | None = None,
) -> list[Interference]:
    """Confirm each run's candidates: one sequential rerun in its order, then, for those that
    passed there, one rerun side by side, then alone. `runs`: how to run tests in one process,
    in two side by side, and one alone. `outcomes`: run -> test -> (outcome, what it raised).
    `replayed`: run -> the outcomes of its sequential rerun when that already ran (None: it
    could not run). The budget running out leaves the rest as they were."""
    run_many, run_pair, run_alone = runs
    shown: dict[str, Interference] = {}
    for index in sorted(found):
        tests = found[index]
        try:
            if replayed is not None and index in replayed:
                alone = replayed[index]
                if alone is None:
                    break
            else:
                alone = run_many(replay_prefix(orders.get(index, ()), tests))
            passed = [t for t in tests if alone.get(t) == "passed"]
            pair = run_pair(replay_prefix(orders.get(index, ()), tests)) if passed else []
            for nodeid in passed:
                side = [p.get(nodeid) for p, _ in pair]
                was, raised = outcomes[index][nodeid]
                again = any(failed.get(nodeid) == raised for _, failed in pair)
                if nodeid in shown:
                    shown[nodeid].runs.append(index)
                elif again and passes_alone(nodeid, run_alone):
                    shown[nodeid] = Interference(nodeid, [index], was, side)
        except (BudgetSpent, NotRun):
            break
    return list(shown.values())
