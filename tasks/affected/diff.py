"""What a commit range changed, from git in forms made for machines: the changed names with
`--name-status -z`, the hunks of each file from a `-U0` patch (both sides' line numbers), and a
file's content at a commit through plumbing (`git cat-file`, no textconv)."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from pathlib import Path

from tasks import gitinfo
from tasks.errors import GitError

# diff settings pinned off, exactly as gitinfo reads them (prefixes, colour, renames, textconv).
_DIFF = gitinfo._DIFF
_PATCH = gitinfo._PATCH
_HUNK = re.compile(rb"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclasses.dataclass(frozen=True)
class Hunk:
    """One -U0 hunk: `old_count` lines from `old_start` became `new_count` from `new_start`
    (a count of 0: a pure insertion or deletion, after line `*_start`)."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int


@dataclasses.dataclass(frozen=True)
class Change:
    """One changed file (a path relative to the repository's top level)."""

    path: str
    status: str  # A added, D deleted, M modified, T type changed
    hunks: tuple[Hunk, ...] = ()


def run_git(top: Path, *args: str) -> bytes:
    return gitinfo.raw(top, *args)


def changed_names(top: Path, base: str, head: str) -> dict[str, str]:
    """Top-level-relative path -> status letter of every file changed in base..head."""
    out = run_git(top, *_DIFF, "-z", "--name-status", base, head, "--")
    fields = [os.fsdecode(f) for f in out.split(b"\0")]
    return {fields[i + 1]: fields[i][:1] for i in range(0, len(fields) - 1, 2) if fields[i]}


def parse_hunks(patch: bytes) -> dict[str, list[Hunk]]:
    """A -U0 patch with a/ b/ prefixes -> name (the new side's, the old one's for a deleted
    file) -> its hunks. Only git's own headers are read as headers."""
    result: dict[str, list[Hunk]] = {}
    current: list[Hunk] | None = None
    old_name: str | None = None
    in_header = False
    for line in patch.split(b"\n"):
        if line.startswith(b"diff --git "):
            current, old_name, in_header = None, None, True
        elif in_header and line.startswith(b"--- "):
            old_name = _label(line[4:], b"a/")
        elif in_header and line.startswith(b"+++ "):
            name = _label(line[4:], b"b/") or old_name
            current = None if name is None else result.setdefault(name, [])
        elif line.startswith(b"@@ "):
            in_header = False
            if current is not None and (match := _HUNK.match(line)):
                old, old_n, new, new_n = match.groups()
                current.append(Hunk(int(old), int(old_n or 1), int(new), int(new_n or 1)))
    return result


def _label(label: bytes, prefix: bytes) -> str | None:
    label = label.removesuffix(b"\t")
    if len(label) > 1 and label.startswith(b'"') and label.endswith(b'"'):
        label = gitinfo._ESCAPE.sub(
            lambda m: bytes([gitinfo._ESCAPES.get(m[1]) or int(m[1], 8)]), label[1:-1]
        )
    return os.fsdecode(label[len(prefix) :]) if label.startswith(prefix) else None


def hunks(top: Path, base: str, head: str, paths: list[str]) -> dict[str, list[Hunk]]:
    """The -U0 hunks of `paths` (top-level-relative) in base..head."""
    if not paths:
        return {}
    patch = run_git(top, *_DIFF, *_PATCH, base, head, "--", *(f":(literal){p}" for p in paths))
    return parse_hunks(patch)


def blobs(top: Path, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], bytes | None]:
    """The bytes of each (rev, path) at once, from one `git cat-file --batch` (None where it
    does not exist). A name holding a newline cannot be asked that way: asked on its own."""
    batch = [w for w in wanted if "\n" not in w[1]]
    result = {w: blob(top, *w) for w in wanted if "\n" in w[1]}
    if not batch:
        return result
    done = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=top,
        env=gitinfo.no_git_env(),
        input=b"".join(os.fsencode(f"{rev}:{path}\n") for rev, path in batch),
        capture_output=True,
        check=False,
    )
    out, pos = done.stdout, 0
    for spec in batch:
        end = out.find(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) != 3 or header[1] != b"blob":  # "<name> missing", or not a file
            result[spec] = None
            continue
        size = int(header[2])
        result[spec] = out[pos : pos + size]
        pos += size + 1
    return result


def blob(top: Path, rev: str, path: str) -> bytes | None:
    """The bytes of `path` (top-level-relative) at `rev`; None where it does not exist."""
    try:
        return run_git(top, "cat-file", "blob", f"{rev}:{path}")
    except GitError:
        return None
