"""One run of the selected tests for the hook: once, without coverage, through the same runner
and recorder as every phasegate run (an `ids:` order file for any number of node ids), within
the run's time limit; then each failure's triage category and repro command.

The categories come from triage's own rules (tasks.triage.rules.classify) without what only
a validation has: no stability runs (a flaky failure is not told apart here) and no per-test
coverage (which lines of the code it runs changed is not weighed); where it was raised, and
whether the test file changed since the base, are.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.layout import project_layout
from tasks.orders import FILE, Order, OrderKind
from tasks.project_tools import pytest_addopts
from tasks.pytest_command import Invocation
from tasks.pytest_runner import check_ran, repro_command, run_pytest
from tasks.results import TestRecord, format_counts, summarise_record

TRIAGE_NOTE = (
    "categories from triage's rules without stability runs: a flaky test is not told apart"
)


@dataclasses.dataclass(frozen=True)
class HookRun:
    """What the selected tests did."""

    ran: tuple[str, ...]
    failed: tuple[TestRecord, ...]
    missing: tuple[str, ...]  # selected, but not in the pushed tree's collection
    summary: str  # pytest's counts, in its words
    duration: float
    rootdir: Path
    log: Path


def _no_cov(config: PhaseConfig) -> tuple[str, ...]:
    """`--no-cov` when the project turns pytest-cov on itself: the hook runs without coverage."""
    args = [
        *pytest_addopts(config.project),
        *shlex.split(os.environ.get("PYTEST_ADDOPTS", "")),
        *config.pytest_args,
    ]
    return ("--no-cov",) if any(a == "--cov" or a.startswith("--cov=") for a in args) else ()


def run_selected(
    config: PhaseConfig,
    python: Path,
    nodeids: Sequence[str] | None,
    state: Path,
    console: Console,
) -> HookRun:
    """Run `nodeids` (None: the whole suite) once; their outcomes as the recorder saw them."""
    order = FILE
    if nodeids is not None:
        ids = state / "run.ids"
        ids.parent.mkdir(parents=True, exist_ok=True)
        ids.write_text("".join(f"{n}\n" for n in nodeids), encoding="utf-8")
        order = Order(OrderKind.IDS, ids=ids)
    inv = Invocation(
        label="pre-push",
        order=order,
        record=state / "run.json",
        log=state / "run.log",
        extra_args=_no_cov(config),
    )
    result = run_pytest(config, python, inv, console)
    record: dict[str, Any] = check_ran(result, config, inv.log)
    tests, counts = summarise_record(record)
    return HookRun(
        ran=tuple(t.nodeid for t in tests),
        failed=tuple(t for t in tests if t.is_bad),
        missing=tuple(record.get("missing") or ()),
        summary=format_counts(counts),
        duration=result.duration,
        rootdir=Path(record.get("rootdir") or config.project),
        log=inv.log,
    )


def explain_failures(
    tested: PhaseConfig, shown: PhaseConfig, python: Path, run: HookRun, base: str | None
) -> list[str]:
    """For each failure: its node id, triage category and why, and the repro command (shown
    for the user's own checkout, `shown`, even when a temporary worktree was `tested`)."""
    # Imported here: only a push that broke something pays for triage's rules.
    from tasks.triage.probe import GitProbe
    from tasks.triage.rules import classify

    layout = dataclasses.replace(project_layout(tested, None), rootdir=run.rootdir)
    probe = GitProbe(tested, layout, base, {})
    rootdir = run.rootdir
    if rootdir.is_relative_to(tested.project):
        rootdir = shown.project / rootdir.relative_to(tested.project)
    lines = []
    for record in run.failed:
        verdict = classify(record, layout, probe)
        where = f"{record.outcome} in {record.when}"
        lines.append(f"  {record.nodeid} ({where})")
        lines.append(f"    category: {verdict.category} ({verdict.confidence}): {verdict.reason}")
        if verdict.message:
            lines.append(f"    {verdict.exception}: {verdict.message}")
        repro = repro_command(shown, python, [record.nodeid], rootdir=rootdir)
        lines.append(f"    repro: {repro}")
    lines.append(f"  ({TRIAGE_NOTE})")
    return lines
