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
from tasks.hook.decide import judged, verdict
from tasks.hook.install import STATE

if TYPE_CHECKING:
    from tasks.hook.early import Selected


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
    where = Where.of(config.project)
    heads = by_head(ranges)
    found: Inputs | None = None  # what the selection reads, read once for every head
    worst = ExitCode.OK
    for head, group in heads.items():
        base = next((r.base for r in group if r.base is not None), None)
        if len(heads) == 1:  # a push of one commit: pytest starts while the selection is made
            code, selection, found = _head_start(config, where, head, group, console, explain)
            if code is not None:
                worst = max(worst, code)
                continue
        else:
            # Imported here: the selection is the affected branch's; loaded only with work.
            from tasks.affected.select import selecting

            # Within the `hook_budget` option, if set.
            selection, found = selecting(config, group, top=where.top, found=found)
        if explain:
            _explain(selection, group, console)
        if selection.nothing_to_test:
            console.write(
                f"phasegate: {report.describe(group)}: no Python file or config changed; "
                "nothing to test"
            )
            continue
        code = check_head(config, where, head, selection, base, console, found)
        worst = max(worst, code)
    return int(worst)


def _explain(selection: Selection, group: Sequence[CommitRange], console: Console) -> None:
    from tasks.affected.render import explain as explained

    console.write(f"phasegate: selection for {report.describe(group)}:")
    console.write(explained(selection))


def _left_out(selection: Selection, console: Console) -> None:
    if selection.left_out:
        console.write(
            f"phasegate: hook_budget left out {len(selection.left_out)} test(s): "
            "they are not run (see --explain)"
        )


def _head_start(
    config: PhaseConfig,
    where: Where,
    head: str,
    group: Sequence[CommitRange],
    console: Console,
    explain: bool,
) -> tuple[ExitCode | None, Selection, Inputs]:
    """The selection, made while pytest starts (tasks.hook.early); and the verdict when
    that pytest ran it (None: check it as without a head start)."""
    from tasks.hook.early import HeadStart

    prepared: list[tuple[Path, str]] = []

    def prepare() -> Path | None:
        ready = _ready(config, where, head)
        prepared.extend([ready] if ready is not None else [])
        return ready[0] if ready is not None else None

    def announce(selection: Selection) -> None:
        if explain:
            _explain(selection, group, console)
        _left_out(selection, console)

    start = HeadStart(config, where.top, group, console, announce)
    try:
        selected, run = start.run(prepare, where.state)
    except NoTestsError:  # the selected tests ran: none is in the pushed tree
        console.write("phasegate: none of the selected tests is in the pushed tree: allowed")
        return ExitCode.OK, *_selected(start.result)
    selection, found = _selected(selected)
    if run is None:
        return None, selection, found
    python, key = prepared[0]
    base = next((r.base for r in group if r.base is not None), None)
    outcome = judged(config, config, where, python, run, base, console, found)
    code = verdict(config, python, where, key, report.wanted(selection), outcome, console)
    return code, selection, found


def _selected(selected: Selected) -> tuple[Selection, Inputs]:
    if selected.selection is None or selected.found is None:
        raise RuntimeError("a head start ended without a selection or an error")
    return selected.selection, selected.found


def _ready(config: PhaseConfig, where: Where, head: str) -> tuple[Path, str] | None:
    """The interpreter and the verdict key when a head start cannot change what runs: one
    pytest process, the checkout is the pushed commit, the test environment exists, no verdict
    is cached for the tree."""
    from tasks.hook.testrun import one_process
    from tasks.testenv import env_dir, env_python, is_installed, stamp_path

    python = env_python(config)
    if not one_process(config) or not is_installed(config):
        return None
    owned = (config.project / ".nox", config.project / ".phasegate", config.reports_dir)
    if repo.head_commit(where.top) != head or repo.checkout_differs(where.top, owned):
        return None
    stamp = None if config.venv == "none" else stamp_path(env_dir(config))
    key = verdicts.key(config, python, repo.tree_of(where.top, head), stamp)
    return None if verdicts.known(where.cache, key) else (python, key)


def push_interpreter(config: PhaseConfig, console: Console) -> Path:
    """The test environment's interpreter; built when it does not exist yet or its install
    never finished (a push never reinstalls a finished one)."""
    from tasks.testenv import ensure_env, env_dir, env_python, is_installed

    if is_installed(config):
        return env_python(config)
    console.write(
        f"phasegate: the test environment {env_dir(config)} does not exist yet (or its "
        "install did not finish): building it once (later pushes reuse it)"
    )
    return ensure_env(config, console)


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
    from tasks.testenv import env_dir, stamp_path

    wanted = report.wanted(selection)
    scope = "the whole suite" if wanted is None else f"{len(wanted)} selected test(s)"
    if selection.full_suite:
        console.write(f"phasegate: the whole suite is selected: {selection.why}")
    _left_out(selection, console)
    if wanted == []:
        console.write("phasegate: no test runs the changed code: push allowed")
        return ExitCode.OK
    python = push_interpreter(config, console)
    tree = repo.tree_of(where.top, head)
    stamp = None if config.venv == "none" else stamp_path(env_dir(config))
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
        outcome = judged(config, tested, where, python, run, base, console, found)
    return verdict(config, python, where, key, wanted, outcome, console)


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
