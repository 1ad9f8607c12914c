"""Failures that are not the push's: a selected test that fails is run once more at the
range's base commit (in a temporary worktree); one that fails there the same way (the same
outcome, exception and message, memory addresses and checkout paths aside) was failing before the
push and does not block it. When the base run cannot tell, every failure blocks.

A test the last full run (`validate`'s run.json) saw pass, and the hook has not seen fail
since, blocks without that second run: the push is what changed (the common case of a
breaking push, which then costs one run, not two). When that record is older than the base,
a test someone else broke in between blocks too, and the skip line says how to push anyway.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from tasks.artifacts import Artifacts, store
from tasks.artifacts.run import RUN
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.errors import PhaseError
from tasks.hook import repo
from tasks.hook.testrun import HookRun, run_selected
from tasks.results import TestRecord

# What differs between two processes and two checkouts of one failure: object addresses,
# pytest's numbered temporary folders, and the checkout itself (the base runs in a worktree).
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_PYTEST_TMP = re.compile(r"pytest-\d+")


def signature(record: TestRecord, root: Path) -> tuple[str, str, str]:
    """How a failure shows, without what changes from one process or checkout to the next.
    Anything else that differs makes two failures different: then it blocks."""
    exc = str((record.exception or {}).get("type") or "")
    message = record.message.replace(str(root), "<project>")
    message = _PYTEST_TMP.sub("pytest-N", _ADDRESS.sub("0x?", message))
    return record.outcome, exc, message


def passed_last(config: PhaseConfig) -> set[str]:
    """The tests the last full run saw pass that the hook has not seen fail since."""
    from tasks.affected import last_failures

    try:
        run = store.load(Artifacts(config.reports_dir).run_json, RUN)
    except PhaseError:  # no full run yet, or an unreadable one: nothing is known to pass
        return set()
    passed = {t["nodeid"] for t in run["tests"] if t["outcome"] == "passed"}
    return passed - set(last_failures.read(config))


def failing_before(
    config: PhaseConfig,
    top: Path,
    base: str,
    python: Path,
    run: HookRun,
    state: Path,
    console: Console,
) -> set[str]:
    """The failed tests of `run` that fail the same way at `base` (only those the last full
    run did not see pass are run there)."""
    known = passed_last(config)
    run = dataclasses.replace(run, failed=tuple(t for t in run.failed if t.nodeid not in known))
    if not run.failed:
        return set()
    console.write(
        f"phasegate: {len(run.failed)} test(s) failed; checking whether they failed the same "
        f"way before this push (at {base[:12]})"
    )
    nodeids = [t.nodeid for t in run.failed]
    try:
        with repo.temporary_worktree(top, base) as tree:
            tested = repo.in_worktree(config, top, tree)
            then = run_selected(
                tested, python, nodeids, state, console, name="base", echo=False, quick=True
            )
            was = {t.nodeid: signature(t, tested.project) for t in then.failed}
    except PhaseError as exc:  # no tests there, a timeout, ...: it cannot tell
        console.write(f"phasegate: the run at the base could not tell ({exc}): they all block")
        return set()
    return {t.nodeid for t in run.failed if was.get(t.nodeid) == signature(t, run.root)}
