"""`phasegate hook run`: what git's pre-push hook does, in order. The hook phasegate replaced
runs first (its failure blocks); PHASEGATE_SKIP skips; git's input (or pre-commit's
environment, or `--upstream`) becomes commit ranges; the check decides.

Imports are deferred to where they are needed: a push with nothing to test must finish well
under a second, Python's start included.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from tasks.affected.model import CommitRange
from tasks.console import Console
from tasks.hook import pushes, report
from tasks.hook.install import is_ours


def run_legacy(hook: Path, args: Sequence[str], data: bytes, env: Mapping[str, str]) -> int:
    """Run the hook phasegate replaced (`<hook>.legacy`) as git would have: the same
    arguments, the same input, git's own environment. Its exit code (0 when there is none).
    No time limit: it is the user's own hook, which git runs without one (it may prompt)."""
    legacy = hook.with_name(hook.name + ".legacy")
    if env.get("PHASEGATE_RUNNING_LEGACY") or not legacy.is_file() or is_ours(legacy):
        return 0
    if not os.access(legacy, os.X_OK):
        return 0  # git does not run a hook that is not executable either
    done = subprocess.run(
        [str(legacy), *args], input=data, env={**env, "PHASEGATE_RUNNING_LEGACY": "1"}, check=False
    )
    return done.returncode


def upstream_ranges(project: Path) -> list[CommitRange]:
    """HEAD against what it would push: merge-base(@{upstream}, HEAD)..HEAD; without an
    upstream, against what no remote has (the whole suite when every commit is new)."""
    from tasks import gitinfo
    from tasks.errors import ConfigError
    from tasks.hook.repo import GitHistory

    top = gitinfo.toplevel(project)
    head = gitinfo.head(project) if top is not None else None
    if top is None or head is None:
        raise ConfigError(f"{project}: not in a git repository with a commit; nothing to check")
    history = GitHistory(top)
    base = history.upstream_base(head)
    if base is None:
        anything, base = pushes.new_ref_base(head, history)
        if not anything:
            return []
    return [] if base == head else [CommitRange(base, head)]


def _ranges(project: Path, data: bytes, env: Mapping[str, str]) -> list[CommitRange] | None:
    """The pushed ranges; None when git sent nothing (nothing is being pushed)."""
    handed = pushes.from_pre_commit(env)
    if handed is not None:
        return handed
    updates = pushes.parse(data.decode("utf-8", "surrogateescape"))
    if not updates:
        return None
    from tasks import gitinfo
    from tasks.hook.repo import GitHistory

    top = gitinfo.toplevel(project)
    if top is None:
        from tasks.errors import ConfigError

        raise ConfigError(f"--project {project}: not in the git repository being pushed")
    return pushes.ranges(updates, GitHistory(top))


def run_hook(
    project: Path,
    hook: Path | None,
    remote_args: Sequence[str],
    stdin: BinaryIO,
    console: Console,
    *,
    explain: bool = False,
    upstream: bool = False,
) -> int:
    """The hook's exit code: 0 allows the push, anything else blocks it."""
    env = dict(os.environ)
    by_git = not upstream and pushes.from_pre_commit(env) is None
    if by_git and stdin.isatty():
        from tasks.errors import ConfigError

        raise ConfigError(
            "phasegate hook run reads the refs git pushes on its input (git runs it); to check "
            "HEAD against its upstream, run `phasegate hook run --upstream` or `nox -s prepush`"
        )
    data = stdin.read() if by_git else b""
    if hook is not None:
        code = run_legacy(hook, remote_args, data, env)
        if code != 0:
            console.write(
                f"phasegate: your previous pre-push hook ({hook}.legacy) failed (exit {code}): "
                "push blocked"
            )
            console.write(report.SKIP)
            return code
    if report.skipped(env):
        console.write("phasegate: pre-push check skipped (PHASEGATE_SKIP is set)")
        return 0
    # From here on, nothing we start sees the variables git set for the hook.
    os.environ.clear()
    os.environ.update(report.without_git_env(env))
    ranges = upstream_ranges(project) if upstream else _ranges(project, data, env)
    if ranges is None:
        return 0  # git sent no ref: nothing is pushed
    if not ranges:
        console.write("phasegate: nothing new to test (deleted refs, or commits a remote has)")
        return 0
    from tasks.config import load_config
    from tasks.hook.check import check_ranges

    code = check_ranges(load_config(project), ranges, console, explain=explain)
    console.write(report.SKIP)
    return code
