"""The git questions the hook asks, with the GIT_* variables git sets inside a hook stripped
(tasks.gitinfo): the history behind a push, the pushed tree, and a temporary worktree of a
pushed commit when the checkout is not what is pushed."""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from tasks import gitinfo
from tasks.config import PhaseConfig
from tasks.errors import GitError


class GitHistory:
    """`tasks.hook.pushes.History` answered by git in the repository at `top`."""

    def __init__(self, top: Path) -> None:
        self.top = top

    def _ask(self, *args: str) -> str | None:
        out = gitinfo.git(self.top, *args, check=False).strip()
        return out or None

    def commit(self, oid: str) -> str | None:
        return self._ask("rev-parse", "--verify", "--quiet", "--end-of-options", oid + "^{commit}")

    def unpublished(self, commit: str) -> list[str]:
        out = gitinfo.git(self.top, "rev-list", "--topo-order", commit, "--not", "--remotes")
        return out.split()

    def first_parent(self, commit: str) -> str | None:
        return self._ask("rev-parse", "--verify", "--quiet", commit + "^1")

    def is_ancestor(self, ancestor: str, commit: str) -> bool:
        # No commit reachable from `ancestor` that `commit` does not reach.
        out = gitinfo.git(self.top, "rev-list", "-n1", ancestor, "--not", commit)
        return not out.strip()

    def merge_base(self, one: str, other: str) -> str | None:
        return self._ask("merge-base", one, other)

    def upstream_base(self, commit: str) -> str | None:
        upstream = self._ask("rev-parse", "--verify", "--quiet", "@{upstream}")
        return None if upstream is None else self.merge_base(upstream, commit)


def head_commit(top: Path) -> str | None:
    return gitinfo.head(top)


def tree_of(top: Path, commit: str) -> str:
    return gitinfo.git(top, "rev-parse", "--verify", commit + "^{tree}").strip()


def checkout_differs(top: Path, owned: Sequence[Path] = ()) -> bool:
    """Whether the working tree holds anything the HEAD commit does not: a changed or staged
    tracked file, or an untracked one that is not ignored (a module left out of the commit
    would make the tests pass here and fail for everyone who pulls). Untracked folders of
    phasegate's own (`owned`: the test environment, the reports) are not the project's."""
    out = gitinfo.git(top, "status", "--porcelain=v1", "-z", "--ignore-submodules=dirty")
    prefixes = tuple(
        p.resolve().relative_to(top.resolve()).as_posix() + "/"
        for p in owned
        if p.resolve().is_relative_to(top.resolve())
    )
    for entry in out.split("\0"):
        if not entry or (prefixes and entry.startswith("?? ") and entry[3:].startswith(prefixes)):
            continue
        return True
    return False


# Ignored files a checkout makes for itself that its code imports: a version module written
# by setuptools-scm, an extension compiled in place by an editable install. A fresh worktree
# lacks them, and its tests would fail for that alone.
GENERATED = (".py", ".pyi", ".so", ".pyd")


def copy_generated(top: Path, tree: Path) -> list[str]:
    """Copy the checkout's ignored Python and extension files into the worktree `tree` (only
    single files: an ignored folder, a virtualenv or a build tree, is never walked)."""
    out = gitinfo.git(
        top, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"
    )
    copied = []
    for name in out.split("\0"):
        if name and not name.endswith("/") and name.endswith(GENERATED):
            target = tree / name
            if target.parent.is_dir() and not target.exists():
                shutil.copy2(top / name, target)
                copied.append(name)
    return copied


@contextlib.contextmanager
def temporary_worktree(top: Path, commit: str) -> Iterator[Path]:
    """A detached worktree of `commit` outside the repository, removed afterwards. The
    user's checkout, index and stash are never touched. No hook runs in it (a post-checkout
    hook of the user's must not run on our copy)."""
    holder = Path(tempfile.mkdtemp(prefix="phasegate-push-"))
    where = holder / "tree"
    no_hooks = ("-c", "core.hooksPath=" + str(holder / "no-hooks"))
    try:
        gitinfo.git(top, *no_hooks, "worktree", "add", "--detach", "--quiet", str(where), commit)
        copy_generated(top, where)
        yield where
    finally:
        # Only this worktree: never `git worktree prune`, which would also forget the user's
        # worktrees that are out of reach (on a drive not mounted now).
        with contextlib.suppress(GitError):
            gitinfo.git(top, "worktree", "remove", "--force", str(where), check=False)
        shutil.rmtree(holder, ignore_errors=True)


def in_worktree(config: PhaseConfig, top: Path, tree: Path) -> PhaseConfig:
    """`config` moved into the worktree `tree`. Its sources go first on the import path, so
    an editable install of the checkout cannot hide the pushed code."""
    project = tree / config.project.resolve().relative_to(top.resolve())
    roots = ["src"] if (project / "src").is_dir() else ["."]
    return dataclasses.replace(config, project=project, pythonpath=(*roots, *config.pythonpath))
