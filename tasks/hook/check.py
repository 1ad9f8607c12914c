"""The check: select the tests the pushed ranges can break, run them once in the pushed tree,
and decide. Shared by the git hook (`phasegate hook run`) and `nox -s prepush`.

A push is blocked (exit 1) only by a selected test that fails; it is allowed (exit 0) when
they pass, or when nothing needs testing. The tests run where the pushed commit is: in the
checkout when it is exactly that commit, else in a temporary detached worktree of it (the
user's uncommitted work is never touched: no stash, no checkout).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tasks import gitinfo
from tasks.affected.inputs import Inputs
from tasks.affected.model import CommitRange, Selection
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.errors import ConfigError, ExitCode, NoTestsError
from tasks.hook import repo, report, verdicts
from tasks.hook.install import STATE

if TYPE_CHECKING:
    from tasks.hook.testrun import HookRun


# A selection whose recorded durations add up to less runs in one process even when the
# project's own args start xdist workers: their start-up would take longer than the tests.
QUICK = 10.0


@dataclasses.dataclass(frozen=True)
class Where:
    """The repository around the project, and phasegate's state in its git data."""

    top: Path
    state: Path  # this worktree's: the run's record and log
    cache: Path  # shared by the worktrees: the verdicts

    @classmethod
    def of(cls, project: Path) -> Where:
        """Asked of git in one process (three on a git older than 2.31, or when a path holds
        a newline)."""
        asked = ("--show-toplevel", "--absolute-git-dir", "--git-common-dir")
        out = gitinfo.git(project, "rev-parse", "--path-format=absolute", *asked, check=False)
        names = out.removesuffix("\n").split("\n")
        if len(names) != len(asked) or not all(Path(n).is_absolute() for n in names):
            top = gitinfo.toplevel(project)
            if top is None:
                raise ConfigError(f"{project}: not in a git repository; the hook checks git pushes")
            names = [str(top)] + [gitinfo.git(top, "rev-parse", a).strip() for a in asked[1:]]
        top = Path(names[0])
        common = Path(names[2])
        common = common if common.is_absolute() else top / common
        return cls(top, Path(names[1]) / STATE, common / STATE / "verdicts.json")


def by_head(ranges: Sequence[CommitRange]) -> dict[str, list[CommitRange]]:
    """The ranges grouped by the commit they push: each pushed tree is tested once."""
    groups: dict[str, list[CommitRange]] = {}
    for one in ranges:
        groups.setdefault(one.head, []).append(one)
    return groups


def check_ranges(
    config: PhaseConfig, ranges: Sequence[CommitRange], console: Console, *, explain: bool
) -> int:
    """Check every pushed head; the push's exit code (1 when any selected test failed)."""
    # Imported here: the selection is the affected branch's; loaded only when there is work.
    from tasks.affected.select import selecting

    where = Where.of(config.project)
    found: Inputs | None = None  # what the selection reads, read once for every head
    worst = ExitCode.OK
    for head, group in by_head(ranges).items():
        # Within the `hook_budget` option, if set.
        selection, found = selecting(config, group, top=where.top, found=found)
        if explain:
            from tasks.affected.render import explain as explained

            console.write(f"phasegate: selection for {report.describe(group)}:")
            console.write(explained(selection))
        if selection.nothing_to_test:
            console.write(
                f"phasegate: {report.describe(group)}: no Python file or config changed; "
                "nothing to test"
            )
            continue
        base = next((r.base for r in group if r.base is not None), None)
        code = check_head(config, where, head, selection, base, console, found)
        worst = max(worst, code)
    return int(worst)


def _python(config: PhaseConfig, console: Console) -> Path:
    """The test environment's interpreter; built once when it does not exist yet (a push
    never reinstalls an existing one)."""
    from tasks.testenv import ensure_env, env_dir, env_python

    python = env_python(config)
    if not python.exists():
        console.write(
            f"phasegate: the test environment {env_dir(config)} does not exist yet: "
            "building it once (later pushes reuse it)"
        )
        python = ensure_env(config, console)
    return python


def check_head(
    config: PhaseConfig,
    where: Where,
    head: str,
    selection: Selection,
    base: str | None,
    console: Console,
    found: Inputs | None = None,
) -> ExitCode:
    """Run the selection on the pushed commit `head`; 1 when a selected test failed. `found`:
    what the selection read (read again when a test fails, if not given)."""
    # Imported here, as what they import: a push with nothing to test never needs them.
    from tasks.hook.testrun import run_selected
    from tasks.testenv import env_dir

    wanted = report.wanted(selection)
    scope = "the whole suite" if wanted is None else f"{len(wanted)} selected test(s)"
    if selection.full_suite:
        console.write(f"phasegate: the whole suite is selected: {selection.why}")
    if selection.left_out:
        console.write(
            f"phasegate: hook_budget left out {len(selection.left_out)} test(s): "
            "they are not run (see --explain)"
        )
    if wanted == []:
        console.write("phasegate: no test runs the changed code: push allowed")
        return ExitCode.OK
    python = _python(config, console)
    tree = repo.tree_of(where.top, head)
    stamp = None if config.venv == "none" else env_dir(config) / "phasegate-install.json"
    key = verdicts.key(config, python, tree, stamp)
    if verdicts.passed(where.cache, key, wanted):
        console.write(
            f"phasegate: tree {tree[:12]} already passed {scope} (cached verdict): push allowed"
        )
        return ExitCode.OK
    with _tested_config(config, where.top, head, console) as tested:
        try:
            quick = (selection.estimated_seconds or QUICK) < QUICK
            run = run_selected(tested, python, wanted, where.state, console, quick=quick)
        except NoTestsError:
            if wanted is None:
                raise
            console.write("phasegate: none of the selected tests is in the pushed tree: allowed")
            return ExitCode.OK
        outcome = _judged(config, tested, where, python, run, base, console, found)
    return _verdict(config, python, where, key, wanted, outcome, console)


@dataclasses.dataclass(frozen=True)
class Outcome:
    """A run of the selected tests, with its failures split: the push's, and those that
    failed the same way before it."""

    run: HookRun
    blocking: list[str]  # what to print about each failure the push brought
    new: int
    before: list[str]


def _judged(
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


def _verdict(
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


@contextlib.contextmanager
def _tested_config(
    config: PhaseConfig, top: Path, head: str, console: Console
) -> Iterator[PhaseConfig]:
    """The config to run the tests with: the project itself when its checkout is exactly the
    pushed commit, else the same project in a temporary worktree of that commit."""
    current = repo.head_commit(top)
    owned = (config.project / ".nox", config.project / ".phasegate", config.reports_dir)
    if current == head and not repo.checkout_differs(top, owned):
        yield config
        return
    why = "uncommitted or untracked files" if current == head else "HEAD is another commit"
    console.write(
        f"phasegate: the checkout is not what is pushed ({why}): testing {head[:12]} in a "
        "temporary worktree (your files are not touched)"
    )
    with repo.temporary_worktree(top, head) as tree:
        yield repo.in_worktree(config, top, tree)
