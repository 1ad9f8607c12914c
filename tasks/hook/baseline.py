"""Failures that are not the push's: a selected test that fails is run once more at the
range's base commit (in a temporary worktree); one that fails there the same way (the same
outcome, exception and message, memory addresses and checkout paths aside) was failing before the
push and does not block it. When the base run cannot tell, every failure blocks.

A test the last full run (`validate`'s run.json) saw pass, and the hook has not seen fail
since, blocks without that second run: the push is what changed (the common case of a
breaking push, which then costs one run, not two). So does a test file that no longer
collects when the last full run ran tests from it (they passed: it collected then). When
that record is older than the base, a test someone else broke in between blocks too, and the
skip line says how to push anyway.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from tasks.affected.inputs import Inputs
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


def known_to_pass(found: Inputs, nodeid: str) -> bool:
    """Whether the last full run saw `nodeid` pass and the hook has not seen it fail since; for
    a test file's own failure (it did not collect), whether tests from it passed then."""
    if nodeid in found.failed:
        return False
    if "::" in nodeid:
        return nodeid in found.passed
    prefix = nodeid + "::"
    return any(passed.startswith(prefix) for passed in found.passed)


def failing_before(
    config: PhaseConfig,
    top: Path,
    base: str,
    python: Path,
    run: HookRun,
    state: Path,
    console: Console,
    found: Inputs,
) -> set[str]:
    """The failed tests of `run` that fail the same way at `base` (only those the last full
    run, as the selection read it (`found`), did not see pass are run there)."""
    unknown = tuple(t for t in run.failed if not known_to_pass(found, t.nodeid))
    run = dataclasses.replace(run, failed=unknown)
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
