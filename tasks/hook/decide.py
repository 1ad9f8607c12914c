"""The hook's verdict on a run of the selected tests: its failures split into the push's and
those that failed the same way before it (tasks.hook.baseline), what is printed, the verdict
cache, and what is kept afterwards (the last failures, the index's refresh)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from tasks.affected.inputs import Inputs
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.errors import ExitCode
from tasks.hook import verdicts

if TYPE_CHECKING:
    from tasks.hook.check import Where
    from tasks.hook.testrun import HookRun


@dataclasses.dataclass(frozen=True)
class Outcome:
    """A run of the selected tests, with its failures split: the push's, and those that
    failed the same way before it."""

    run: HookRun
    blocking: list[str]  # what to print about each failure the push brought
    new: int
    before: list[str]


def judged(
    config: PhaseConfig,
    tested: PhaseConfig,
    where: Where,
    python: Path,
    run: HookRun,
    base: str | None,
    console: Console,
    found: Inputs | None,
) -> Outcome:
    """The run's failures split into the push's and those that failed before it."""
    if not run.failed:
        return Outcome(run, [], 0, [])
    from tasks.hook.baseline import failing_before
    from tasks.hook.testrun import explain_failures

    if found is None:
        from tasks.affected.inputs import load

        found = load(config)
    before: set[str] = set()
    if base is not None:
        state = where.state
        before = failing_before(config, where.top, base, python, run, state, console, found)
    new = [t for t in run.failed if t.nodeid not in before]
    blocking = explain_failures(tested, config, python, run, new, base, found.index) if new else []
    return Outcome(run, blocking, len(new), sorted(before))


def verdict(
    config: PhaseConfig,
    python: Path,
    where: Where,
    key: str,
    wanted: list[str] | None,
    outcome: Outcome,
    console: Console,
) -> ExitCode:
    run = outcome.run
    if run.missing:
        console.write(
            f"phasegate: {len(run.missing)} selected test(s) are not in the pushed tree "
            f"(e.g. {run.missing[0]}): not run"
        )
    if outcome.before:
        console.write(
            f"phasegate: {len(outcome.before)} test(s) failed the same way before this push "
            "(at its base): not caused by it, they do not block it:"
        )
        for nodeid in outcome.before:
            console.write(f"  {nodeid}")
    if outcome.new:
        console.write(
            f"phasegate: push blocked: {outcome.new} test(s) failed "
            f"({run.summary} in {run.duration:.1f}s; log: {run.log}):"
        )
        for line in outcome.blocking:
            console.write(line)
    else:
        console.write(f"phasegate: {run.summary} in {run.duration:.1f}s: push allowed")
    if not run.failed:
        verdicts.remember(where.cache, key, wanted)  # only a clean pass is remembered
    _after(config, python, run, wanted is None, console)
    return ExitCode.GATE_FAILED if outcome.new else ExitCode.OK


def _after(config: PhaseConfig, python: Path, run: HookRun, whole: bool, console: Console) -> None:
    """After the verdict: remember what failed, refresh the index in the background (after a
    whole-suite run: the whole index, which makes the first one for a developer who never ran
    `validate`)."""
    from tasks.affected import last_failures, refresh

    try:
        last_failures.record(config, [t.nodeid for t in run.failed])
        refresh.start(config, python, [] if whole else list(run.ran))
    except Exception as exc:  # the verdict is given: bookkeeping must not overturn it
        console.write(f"phasegate: the verdict stands, but keeping its results failed: {exc!r}")
