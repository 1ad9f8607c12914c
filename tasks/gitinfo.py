"""Every git call phasegate makes: argument lists, -z output, GIT_* stripped (safe in hooks)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tasks.errors import GitError

# Set by git for hooks; they would point our calls at the wrong repository or index.
_HOOK_VARS = ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY")


def no_git_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _HOOK_VARS}


def git(cwd: Path, *args: str, check: bool = True) -> str:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=no_git_env(),
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if check and done.returncode != 0:
        raise GitError(f"git {' '.join(args)} failed in {cwd}: {done.stderr.strip()}")
    return done.stdout


def toplevel(cwd: Path) -> Path | None:
    """The repository root, or None when `cwd` is not in a git repository."""
    try:
        out = git(cwd, "rev-parse", "--show-toplevel", check=False).strip()
    except GitError:
        return None
    return Path(out) if out else None


def head(cwd: Path) -> str | None:
    out = git(cwd, "rev-parse", "--verify", "--quiet", "HEAD", check=False).strip()
    return out or None


def resolve(cwd: Path, ref: str) -> str:
    out = git(cwd, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).strip()
    if not out:
        raise GitError(f'base_ref = "{ref}": no such commit in {cwd}; use a branch, tag or sha')
    return out


def changed_files(cwd: Path, base: str) -> set[Path]:
    """Absolute paths changed since `base` (committed, staged, unstaged or untracked)."""
    top = toplevel(cwd)
    if top is None:
        return set()
    # diff names are relative to the top level; ls-files names to cwd.
    diff = git(cwd, "diff", "-z", "--name-only", "--no-renames", base, "--")
    untracked = git(cwd, "ls-files", "-z", "--others", "--exclude-standard")
    return {top / n for n in diff.split("\0") if n} | {
        cwd.resolve() / n for n in untracked.split("\0") if n
    }


def added_files(cwd: Path, base: str) -> set[Path]:
    """Absolute paths that did not exist at `base`: added since, committed or not."""
    top = toplevel(cwd)
    if top is None:
        return set()
    diff = git(cwd, "diff", "-z", "--name-only", "--no-renames", "--diff-filter=A", base, "--")
    untracked = git(cwd, "ls-files", "-z", "--others", "--exclude-standard")
    return {top / n for n in diff.split("\0") if n} | {
        cwd.resolve() / n for n in untracked.split("\0") if n
    }


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def changed_lines(cwd: Path, base: str) -> dict[Path, set[int] | None]:
    """Absolute path -> lines of the working tree changed since `base` (None: untracked).

    A pure deletion marks the lines on both sides of where it was.
    """
    top = toplevel(cwd)
    if top is None:
        return {}
    out = git(
        cwd,
        "-c",
        "core.quotepath=off",
        "diff",
        "-U0",
        "--no-renames",
        "--no-color",
        "--no-ext-diff",
        base,
        "--",
    )
    result: dict[Path, set[int] | None] = {}
    current: set[int] | None = None
    for line in out.splitlines():
        if line.startswith("+++ "):
            current = None if line == "+++ /dev/null" else set()
            if current is not None:
                result[top / line[4:].removeprefix("b/")] = current
        elif current is not None and (match := _HUNK.match(line)):
            start, count = int(match[1]), int(match[2] or 1)
            current.update(range(start, start + count) if count else (start, start + 1))
    untracked = git(cwd, "ls-files", "-z", "--others", "--exclude-standard")
    for name in untracked.split("\0"):
        if name:
            result[cwd.resolve() / name] = None
    return result


def commits_since(cwd: Path, base: str) -> list[tuple[str, str]]:
    """(sha, subject) of each commit in base..HEAD, newest first."""
    out = git(cwd, "log", "-z", "--format=%H%x1f%s", f"{base}..HEAD")
    result = []
    for entry in out.split("\0"):
        if entry.strip():
            sha, _, subject = entry.strip("\n").partition("\x1f")
            result.append((sha, subject))
    return result


def show_file(cwd: Path, rev: str, path: Path) -> str | None:
    """The text of `path` (absolute) at `rev`, or None where it did not exist."""
    top = toplevel(cwd)
    if top is None:
        return None
    rel = path.resolve().relative_to(top.resolve()).as_posix()
    try:
        return git(cwd, "show", f"{rev}:{rel}")
    except GitError:
        return None


def ever_contained(cwd: Path, path: Path, text: str) -> bool:
    """Whether any commit touching `path` added or removed `text` (git log -S)."""
    try:
        return bool(git(cwd, "log", "--format=%H", "-S", text, "--", str(path)).strip())
    except GitError:
        return False


UNCOMMITTED = "0" * 40


def commit_ages(cwd: Path) -> dict[str, int]:
    """Commit -> its age in HEAD's history, 0 for HEAD (topological, so commits made within
    the same second still compare); UNCOMMITTED is -1, newer than any commit."""
    try:
        out = git(cwd, "rev-list", "--topo-order", "HEAD")
    except GitError:
        return {UNCOMMITTED: -1}
    ages = {sha: age for age, sha in enumerate(out.split())}
    ages[UNCOMMITTED] = -1
    return ages


def blame_times(cwd: Path, path: Path) -> dict[int, tuple[str, int]] | None:
    """Line -> (commit, committer time) of its last change; uncommitted lines get commit
    UNCOMMITTED and the current time. None when git cannot blame the file (untracked, or not
    in a repository)."""
    try:
        out = git(cwd, "blame", "--porcelain", "--", str(path))
    except GitError:
        return None
    times: dict[str, int] = {}
    lines: dict[int, tuple[str, int]] = {}
    sha, final = "", 0
    for line in out.splitlines():
        if line.startswith("\t"):
            continue
        head = line.split(" ")
        if len(head[0]) == 40 and len(head) >= 3 and head[1].isdigit() and head[2].isdigit():
            sha, final = head[0], int(head[2])
            lines[final] = (sha, 0)
        elif head[0] == "committer-time" and len(head) == 2:
            times[sha] = int(head[1])
    return {n: (c, times.get(c, 0)) for n, (c, _) in lines.items()}
