"""`phasegate hook install|uninstall`: put the shim where git looks for hooks, and take it away.

Learned from pre-commit's install_uninstall.py, and past it: the hooks folder is the one git
itself names (`git rev-parse --git-path hooks`: worktrees, submodules, and `core.hooksPath`,
which pre-commit refuses); a foreign hook is kept as `pre-push.legacy` and run first, and a
second foreign hook never silently replaces the first (pre-commit moves it over the legacy
one); installing twice changes nothing. The interpreter that installed the hook is written
beside the repository's git data of this worktree (`<git dir>/phasegate/hook`), never into
a hooks folder other repositories may share.

`--force` is pre-commit's `--overwrite`: the foreign hook (and a kept legacy one) is deleted,
so only phasegate runs and `uninstall` leaves no hook behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from importlib import resources
from pathlib import Path

import tasks
from tasks import gitinfo
from tasks.artifacts.store import write_text_atomic
from tasks.errors import ConfigError

HOOK = "pre-push"
MARKER = b"phasegate-pre-push-hook"
SETUP = "hook"  # in <git dir>/phasegate/: the interpreter, the project, phasegate's package
STATE = "phasegate"  # phasegate's folder inside a git dir
PRE_COMMIT_ID = b"138fd403232d2ddd5efb44317e38bf03"  # pre-commit's hook template's own marker


@dataclasses.dataclass(frozen=True)
class HookPaths:
    """Where this worktree's pre-push hook lives, and phasegate's state beside its git data."""

    top: Path  # the worktree's top folder, where git runs hooks
    hook: Path
    git_dir: Path  # this worktree's own
    common_dir: Path  # shared by every worktree of the repository
    hooks_path: str | None  # core.hooksPath, when set

    @property
    def legacy(self) -> Path:
        return self.hook.with_name(HOOK + ".legacy")

    @property
    def setup(self) -> Path:
        return self.git_dir / STATE / SETUP


def shim_text() -> str:
    """The shim shipped with the package: the same bytes as the repository's hooks/pre-push."""
    return resources.files("tasks.hook").joinpath(HOOK).read_text(encoding="utf-8")


def is_ours(path: Path) -> bool:
    """Whether `path` is a hook phasegate wrote (any version: the marker, not the bytes)."""
    try:
        with path.open("rb") as handle:
            return MARKER in handle.read(4096)
    except OSError:
        return False


def _is_pre_commits(path: Path) -> bool:
    """pre-commit's installed hook: its template carries this identifying hash."""
    try:
        with path.open("rb") as handle:
            return PRE_COMMIT_ID in handle.read(4096)
    except OSError:
        return False


def _absolute(top: Path, out: str) -> Path:
    path = Path(out.removesuffix("\n"))
    return path if path.is_absolute() else top / path


def hook_paths(cwd: Path) -> HookPaths:
    """Ask git where the hook goes: relative answers are relative to the worktree's top."""
    top = gitinfo.toplevel(cwd)
    if top is None:
        raise ConfigError(
            f"{cwd}: not inside a git repository with a working tree; run `phasegate hook "
            "install` from the project's checkout"
        )
    hooks = _absolute(top, gitinfo.git(top, "rev-parse", "--git-path", "hooks"))
    git_dir = _absolute(top, gitinfo.git(top, "rev-parse", "--git-dir"))
    common = _absolute(top, gitinfo.git(top, "rev-parse", "--git-common-dir"))
    hooks_path = gitinfo.git(top, "config", "--get", "core.hooksPath", check=False).strip()
    return HookPaths(top, hooks / HOOK, git_dir, common, hooks_path or None)


def setup_text(paths: HookPaths, project: Path, python: str) -> str:
    """The setup file: the interpreter, the project's folder relative to the top, and the
    package the interpreter imports phasegate from."""
    if not Path(python).is_absolute():
        raise ConfigError(f"{python}: the hook needs an absolute interpreter path")
    project = project.resolve()
    if not project.is_relative_to(paths.top.resolve()):
        raise ConfigError(
            f"--project {project}: outside the repository {paths.top}; install the hook from "
            "the repository that holds the project"
        )
    rel = project.relative_to(paths.top.resolve()).as_posix() or "."
    # The shim checks this file exists before it starts Python: an uninstalled phasegate is
    # then told apart from a broken push without a second interpreter start on every push.
    package = Path(tasks.__file__).absolute()
    return f"{python}\n{rel}\n{package}\n"


def _set_aside(paths: HookPaths, force: bool) -> list[str]:
    """Move a foreign hook out of the way: kept as .legacy, or deleted with --force."""
    said: list[str] = []
    if paths.legacy.exists() and is_ours(paths.legacy):
        paths.legacy.unlink()  # our own shim as the legacy hook would run itself
    foreign = (paths.hook.exists() or paths.hook.is_symlink()) and not is_ours(paths.hook)
    if force:
        for path in (paths.hook, paths.legacy):
            if (path.exists() or path.is_symlink()) and not is_ours(path):
                path.unlink()
                said.append(f"removed {path} (--force: it will not run any more)")
        return said
    if not foreign:
        if paths.legacy.exists():
            said.append(f"{paths.legacy} runs first, as before")
        return said
    if paths.legacy.exists() or paths.legacy.is_symlink():
        raise ConfigError(
            f"{paths.hook} is not phasegate's and {paths.legacy} exists too: keeping one would "
            "lose the other; move one of them away, or pass --force to replace both"
        )
    if _is_pre_commits(paths.hook):
        raise ConfigError(
            f"{paths.hook} is pre-commit's hook, which runs its own {HOOK}.legacy: kept under "
            "that name it would run itself and fail. Add phasegate to .pre-commit-config.yaml "
            "instead (README: pre-commit users), or pass --force to replace it"
        )
    paths.hook.replace(paths.legacy)
    said.append(
        f"kept your {HOOK} hook as {paths.legacy}: it runs first, with the same arguments and "
        "input, and `phasegate hook uninstall` puts it back"
    )
    return said


def install(cwd: Path, project: Path, *, force: bool = False, python: str = "") -> list[str]:
    """Install the shim and its setup file; the lines to tell the user."""
    paths = hook_paths(cwd)
    setup = setup_text(paths, project, python or sys.executable)
    shim = shim_text()
    current = paths.hook.read_text(encoding="utf-8") if is_ours(paths.hook) else None
    kept = paths.setup.read_text(encoding="utf-8") if paths.setup.is_file() else None
    legacy_ours = paths.legacy.exists() and is_ours(paths.legacy)
    if current == shim and kept == setup and not legacy_ours and not force:
        return [f"phasegate's {HOOK} hook is already installed at {paths.hook}: nothing changed"]
    said = _set_aside(paths, force)
    paths.hook.parent.mkdir(parents=True, exist_ok=True)
    if current != shim:
        write_text_atomic(paths.hook, shim)
        paths.hook.chmod(0o755)
    write_text_atomic(paths.setup, setup)
    python_line, project_line = setup.splitlines()[:2]
    said.append(
        f"installed phasegate's {HOOK} hook at {paths.hook} (Python: {python_line}; "
        f"project: {project_line})"
    )
    if paths.hooks_path is not None:
        said.append(
            f"core.hooksPath = {paths.hooks_path}: every repository using that folder runs this "
            "hook; those where `phasegate hook install` was not run let pushes through"
        )
    return said


def remove_state(folder: Path) -> None:
    """Remove phasegate's files from one git dir's phasegate/ folder (only the names it
    writes), then the folder if that left it empty."""
    if not folder.is_dir():
        return
    runs = [f"{run}{ext}" for run in ("run", "base") for ext in (".json", ".log", ".ids")]
    for name in (SETUP, "verdicts.json", *runs, "run.journal.tmp", "base.journal.tmp"):
        (folder / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # something else is in it: not ours to delete
        folder.rmdir()


def uninstall(cwd: Path) -> list[str]:
    """Remove our shim and state, and put back the hook it replaced."""
    paths = hook_paths(cwd)
    if not is_ours(paths.hook):
        return [f"no phasegate hook at {paths.hook}: nothing removed"]
    paths.hook.unlink()
    said = [f"removed phasegate's {HOOK} hook from {paths.hook}"]
    if paths.legacy.exists() or paths.legacy.is_symlink():
        paths.legacy.replace(paths.hook)
        said.append(f"restored your previous hook: {paths.hook}")
    for folder in {paths.git_dir / STATE, paths.common_dir / STATE}:
        remove_state(folder)
    return said
