"""Every git call phasegate makes: argument lists, GIT_* stripped (safe in hooks), and output
read only in forms made for machines (-z, --porcelain, fixed prefixes with the user's diff
settings pinned off, as diff-cover's git_diff.py does)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tasks.errors import GitError, RepositoryRefusedError

# Set by git for hooks; they would point our calls at the wrong repository or index.
_HOOK_VARS = ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY")


def no_git_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _HOOK_VARS}


# git's hint for a repository another user owns: the command is never translated, whatever
# the locale does to the sentence around it.
_DUBIOUS = re.compile(r"^\s*git config --global --add safe\.directory (.+?)\s*$", re.MULTILINE)


def _git(cwd: Path, args: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
    """One git call. A repository git refuses because another user owns it (safe.directory:
    a checkout made by another uid, typical of containers) is an error saying so, whatever
    the caller does with failures: never taken for no repository or no such commit."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=no_git_env(), capture_output=True, check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    refused = _DUBIOUS.search(done.stderr.decode("utf-8", "replace"))
    if refused is not None:
        raise RepositoryRefusedError(
            f"{refused[1]}: git refuses this repository, another user owns it (git's "
            "safe.directory); if you trust it: git config --global --add safe.directory "
            f"{refused[1]}"
        )
    return done


def _run(cwd: Path, args: Sequence[str], check: bool = True) -> bytes:
    """git's raw output: bytes, so names keep every byte and no newline is translated."""
    done = _git(cwd, args)
    if check and done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"git {' '.join(args)} failed in {cwd}: {stderr}")
    return done.stdout


def raw(cwd: Path, *args: str) -> bytes:
    """git's output as bytes; a failure is a GitError with git's own message."""
    return _run(cwd, args)


def git(cwd: Path, *args: str, check: bool = True) -> str:
    return _run(cwd, args, check).decode("utf-8", "replace")


def _names(out: bytes) -> list[str]:
    """The names of -z output, decoded the way Python decodes file names."""
    return [os.fsdecode(name) for name in out.split(b"\0") if name]


def toplevel(cwd: Path) -> Path | None:
    """The repository root, or None when `cwd` is not in a git repository (or git is not
    installed); a repository git refuses to read is an error (`_git`)."""
    try:
        done = _git(cwd, ("rev-parse", "--show-toplevel"))
    except GitError:  # git is not installed
        return None
    # Only git's own newline goes: a folder may end with a space.
    name = os.fsdecode(done.stdout.removesuffix(b"\n")) if done.returncode == 0 else ""
    return Path(name) if name else None


def head(cwd: Path) -> str | None:
    out = git(cwd, "rev-parse", "--verify", "--quiet", "HEAD", check=False).strip()
    return out or None


def resolve(cwd: Path, ref: str) -> str:
    out = git(cwd, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).strip()
    if not out:
        raise GitError(f'base_ref = "{ref}": no such commit in {cwd}; use a branch, tag or sha')
    return out


# --- what changed since a base -----------------------------------------------------------------

# Pinned over any user config in every diff we read: fixed a/ b/ prefixes (diff.noprefix,
# diff.mnemonicPrefix), no colour, no external diff or textconv (they rewrite the lines), no
# rename or copy detection (diff.renames), no context merged into a hunk
# (diff.interHunkContext), a submodule as one line (diff.submodule). Diffs run at the top
# level, where diff.relative cuts nothing (--no-relative would need git 2.28).
_DIFF = (
    *("-c", "core.quotePath=false", "-c", "diff.noprefix=false"),
    *("-c", "diff.mnemonicPrefix=false", "diff", "--no-color", "--no-ext-diff"),
    *("--no-textconv", "--no-renames", "--submodule=short"),
)
_PATCH = ("-U0", "--inter-hunk-context=0", "--src-prefix=a/", "--dst-prefix=b/")
_HUNK = re.compile(rb"@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
# How git's quote_c_style writes a byte in a quoted name.
_ESCAPE = re.compile(rb'\\([0-7]{3}|[abtnvfr"\\])')
_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13, b'"': 34, b"\\": 92}

Hunk = tuple[int, int, int]  # lines removed, first line added, lines added


def _untracked(top: Path) -> set[Path]:
    out = _run(top, ("ls-files", "-z", "--others", "--exclude-standard"))
    return {top / n for n in _names(out)}


def _diff_names(top: Path, base: str, *options: str) -> set[Path]:
    return {top / n for n in _names(_run(top, (*_DIFF, "-z", "--name-only", *options, base, "--")))}


def added_files(cwd: Path, base: str) -> set[Path]:
    """Absolute paths that did not exist at `base`: added since, committed or not."""
    top = toplevel(cwd)
    return set() if top is None else _diff_names(top, base, "--diff-filter=A") | _untracked(top)


def changed_lines(cwd: Path, base: str) -> dict[Path, set[int] | None]:
    """Absolute path -> lines of the working tree changed since `base` (None: every line, for
    an untracked file, a file git sees as binary, or one whose hunks could not be read).

    The names come from `--numstat -z`; the hunks of each file from a -U0 patch, checked
    against those counts. A pure deletion marks the lines on both sides of where it was.
    """
    top = toplevel(cwd)
    if top is None:
        return {}
    stats = _run(top, (*_DIFF, "-z", "--numstat", "--diff-filter=d", base, "--"))
    hunks = parse_patch(_run(top, (*_DIFF, *_PATCH, "--diff-filter=d", base, "--")))
    result: dict[Path, set[int] | None] = {}
    for name, counts in parse_numstat(stats).items():
        here = hunks.get(name, [])
        if counts is None or counts != (sum(h[2] for h in here), sum(h[0] for h in here)):
            result[top / name] = None  # binary, or a patch we misread: count it all as changed
        elif here:
            result[top / name] = {n for h in here for n in _hunk_lines(h)}
    result.update(dict.fromkeys(_untracked(top)))
    return result


def _hunk_lines(hunk: Hunk) -> range:
    _, start, count = hunk
    return range(start, start + count) if count else range(start, start + 2)


def parse_numstat(out: bytes) -> dict[str, tuple[int, int] | None]:
    """`diff --numstat -z --no-renames` -> name -> (added, deleted); None for a binary file."""
    result: dict[str, tuple[int, int] | None] = {}
    for record in out.split(b"\0"):
        added, _, rest = record.partition(b"\t")
        deleted, _, name = rest.partition(b"\t")
        if name:
            numbers = added.isdigit() and deleted.isdigit()
            result[os.fsdecode(name)] = (int(added), int(deleted)) if numbers else None
    return result


def parse_patch(patch: bytes) -> dict[str, list[Hunk]]:
    """A -U0 patch with a/ b/ prefixes -> new-side name -> its hunks.

    Only git's own headers are read as headers: "+++ " before a file's first hunk, "@@ " and
    "diff --git " at a line's start (a content line starts with "+", "-", " " or "\\").
    """
    result: dict[str, list[Hunk]] = {}
    current: list[Hunk] | None = None
    in_header = False
    for line in patch.split(b"\n"):
        if line.startswith(b"diff --git "):
            current, in_header = None, True
        elif in_header and line.startswith(b"+++ "):
            name = _label(line[4:])
            current = None if name is None else result.setdefault(name, [])
        elif line.startswith(b"@@ "):
            in_header = False
            if current is not None and (match := _HUNK.match(line)):
                removed, start, added = match.groups()
                current.append((int(removed or 1), int(start), int(added or 1)))
    return result


def _label(label: bytes) -> str | None:
    """The name in a "+++ " header: git ends a name holding a space with a tab, and quotes
    one holding a control character, '"', '\\' or (core.quotePath) a non-ASCII byte."""
    label = label.removesuffix(b"\t")  # a tab in the name itself is quoted as \t
    if len(label) > 1 and label.startswith(b'"') and label.endswith(b'"'):
        label = _ESCAPE.sub(lambda m: bytes([_ESCAPES.get(m[1]) or int(m[1], 8)]), label[1:-1])
    return os.fsdecode(label[2:]) if label.startswith(b"b/") else None


# log.showSignature would add gpg's words to the output, log.follow follow renames, a textconv
# rewrite what -S searches; the pathspec is a path, never a glob.
_LOG = (
    *("--literal-pathspecs", "log", "--no-color", "--no-show-signature", "--no-follow"),
    *("--no-textconv", "--no-ext-diff", "--encoding=UTF-8"),
)


def commits_since(cwd: Path, base: str) -> list[tuple[str, str]]:
    """(sha, subject) of each commit in base..HEAD, newest first."""
    out = git(cwd, *_LOG, "-z", "--format=%H%x1f%s", f"{base}..HEAD")
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
        return git(cwd, "cat-file", "blob", f"{rev}:{rel}")  # plumbing: no textconv
    except GitError:
        return None


def ever_contained(cwd: Path, path: Path, text: str) -> bool:
    """Whether any commit touching `path` added or removed `text` (git log -S)."""
    try:
        return bool(git(cwd, *_LOG, "--format=%H", "-S", text, "--", str(path)).strip())
    except GitError:
        return False


UNCOMMITTED = "0" * 40
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256


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
        out = git(cwd, "blame", "--porcelain", "--no-textconv", "--", str(path))
    except GitError:
        return None
    times: dict[str, int] = {}
    lines: dict[int, tuple[str, int]] = {}
    sha, final = "", 0
    for line in out.split("\n"):  # not splitlines(): a line's own \r or \f is content
        if line.startswith("\t"):
            continue
        head = line.split(" ")
        if _SHA.fullmatch(head[0]) and len(head) >= 3 and head[1].isdigit() and head[2].isdigit():
            # Uncommitted lines are all zeros: 40 of them, or 64 in a SHA-256 repository.
            sha, final = head[0] if head[0].strip("0") else UNCOMMITTED, int(head[2])
            lines[final] = (sha, 0)
        elif head[0] == "committer-time" and len(head) == 2:
            times[sha] = int(head[1])
    return {n: (c, times.get(c, 0)) for n, (c, _) in lines.items()}
