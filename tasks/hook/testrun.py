"""One run of the selected tests for the hook: once, without coverage, through the same runner
and recorder as every phasegate run (an `ids:` order file for any number of node ids), within
the run's time limit; then each failure's triage category and repro command.

The categories come from triage's own rules (tasks.triage.rules.classify) without the
stability runs only a validation has (a flaky failure is not told apart here). Where it was
raised and whether the test changed since the base are weighed; so are the production lines
it runs, when the last instrumented run left an impact index.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.layout import project_layout
from tasks.orders import FILE, Order, OrderKind
from tasks.project_tools import pytest_addopts, uses_xdist
from tasks.pytest_command import Invocation
from tasks.pytest_runner import check_ran, repro_command, run_pytest
from tasks.results import TestRecord, format_counts, summarise_record

if TYPE_CHECKING:
    from tasks.artifacts.impact import ImpactArtifact

SHOWN = 10  # failures explained one by one; the log has the rest
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
    root: Path  # the project's folder it ran in


def _project_args(config: PhaseConfig) -> list[str]:
    return [
        *pytest_addopts(config.project),
        *shlex.split(os.environ.get("PYTEST_ADDOPTS", "")),
        *config.pytest_args,
    ]


def one_process(config: PhaseConfig) -> bool:
    """Whether the project's pytest args start no xdist workers."""
    return not uses_xdist(_project_args(config))


def _extra_args(config: PhaseConfig, quick: bool) -> tuple[str, ...]:
    """`--no-cov` when the project turns pytest-cov on itself (the hook runs without
    coverage); `-n0` for a `quick` run when its own args start xdist workers, whose start-up
    takes longer than a few seconds of tests (as phasegate's reruns do)."""
    args = _project_args(config)
    extra = ["--no-cov"] if any(a == "--cov" or a.startswith("--cov=") for a in args) else []
    if quick and uses_xdist(args):
        extra.append("-n0")
    return tuple(extra)


def run_selected(
    config: PhaseConfig,
    python: Path,
    nodeids: Sequence[str] | None,
    state: Path,
    console: Console,
    *,
    name: str = "run",
    echo: bool = True,
    quick: bool = False,
    piped: Path | None = None,
) -> HookRun:
    """Run `nodeids` (None: the whole suite) once; their outcomes as the recorder saw them.
    The record, log and ids file are `<state>/<name>.*`; `quick`: expected to take seconds.
    `piped`: a named pipe pytest reads the node ids from instead (tasks.hook.early)."""
    order = FILE if piped is None else Order(OrderKind.IDS, ids=piped)
    if nodeids is not None:
        ids = state / f"{name}.ids"
        ids.parent.mkdir(parents=True, exist_ok=True)
        ids.unlink(missing_ok=True)  # a head start's pipe, left by a hook that was killed
        ids.write_text("".join(f"{n}\n" for n in nodeids), encoding="utf-8")
        order = Order(OrderKind.IDS, ids=ids)
    inv = Invocation(
        label="pre-push",
        order=order,
        record=state / f"{name}.json",
        log=state / f"{name}.log",
        extra_args=_extra_args(config, quick),
        echo=echo,
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
        root=config.project,
    )


def explain_failures(
    tested: PhaseConfig,
    shown: PhaseConfig,
    python: Path,
    run: HookRun,
    failed: Sequence[TestRecord],
    base: str | None,
    index: ImpactArtifact | None = None,
) -> list[str]:
    """For each failure: its node id, triage category and why, and the repro command (shown
    for the user's own checkout, `shown`, even when a temporary worktree was `tested`).
    `index`: the impact index, when the selection has read it already."""
    # Imported here: only a push that broke something pays for triage's rules.
    from tasks.triage.probe import GitProbe
    from tasks.triage.rules import classify

    # Test code is where the tests this run collected live (a tests/ folder's helpers and
    # base classes too), as for a validation's triage.
    ran = {"rootdir": str(run.rootdir), "tests": [{"nodeid": n} for n in run.ran]}
    layout = project_layout(tested, ran)
    lines = indexed_lines(tested, {t.nodeid for t in failed}, index)
    probe = GitProbe(tested, layout, base, lines)
    rootdir = run.rootdir
    if rootdir.is_relative_to(tested.project):
        rootdir = shown.project / rootdir.relative_to(tested.project)
    said = []
    for record in failed[:SHOWN]:
        verdict = classify(record, layout, probe)
        where = f"{record.outcome} in {record.when}"
        said.append(f"  {record.nodeid} ({where})")
        said.append(f"    category: {verdict.category} ({verdict.confidence}): {verdict.reason}")
        if verdict.message:
            said.append(f"    {verdict.exception}: {verdict.message}")
        repro = repro_command(shown, python, [record.nodeid], rootdir=rootdir)
        said.append(f"    repro: {repro}")
    if len(failed) > SHOWN:
        said.append(f"  ... and {len(failed) - SHOWN} more: every one is in {run.log}")
    said.append(f"  ({TRIAGE_NOTE})")
    return said


def indexed_lines(
    config: PhaseConfig, nodeids: set[str], data: ImpactArtifact | None = None
) -> dict[str, dict[str, set[int]]]:
    """The lines each of `nodeids` executed in the last instrumented run (impact.json, when
    one exists; `data`, when already read), as triage's probe reads them: node id -> absolute
    path -> lines. They let the rules weigh which side changed since the base; without them
    the rules do without."""
    if data is None:
        data = _load_index(config)
    if data is None:
        return {}
    wanted = {i: t for i, t in enumerate(data["tests"]) if t in nodeids}
    result: dict[str, dict[str, set[int]]] = {}
    for name, entry in data["files"].items():
        where = str(config.project / name)  # an absolute name stays itself
        for line, ids in entry["lines"].items():
            for i in ids:
                if i in wanted:
                    result.setdefault(wanted[i], {}).setdefault(where, set()).add(int(line))
    return result


def _load_index(config: PhaseConfig) -> ImpactArtifact | None:
    from tasks.artifacts import Artifacts, store
    from tasks.artifacts.impact import IMPACT
    from tasks.errors import PhaseError

    path = Artifacts(config.reports_dir).impact_json
    try:
        return store.load(path, IMPACT) if path.is_file() else None
    except PhaseError:
        return None  # unreadable or another format: evidence we go without
