"""The tests a change to one measured production file can break, from the impact index.

Line numbers in the index hold only for the version of the file it measured (its SHA-256):
the old side of the diff when that is the base's version, the new side when it is the head's,
else every test that executed the file. A change inside a function body selects the tests
that executed any line of that function; a change that runs at import time (module level,
class bodies, decorators, def lines, default values, a function the module calls while it is
imported) selects every test that executed the file and every test file that imports the
module, directly or through other modules."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
from collections.abc import Iterable
from pathlib import Path

from tasks.affected import pyfacts
from tasks.affected.diff import Change, Hunk, blob
from tasks.affected.inputs import Inputs
from tasks.affected.picks import CHANGED_TESTS, EXECUTES_CHANGE, FILE_LEVEL, Picks
from tasks.artifacts.impact import ImpactArtifact, ImpactFile
from tasks.config import PhaseConfig
from tasks.gitinfo import no_git_env


@dataclasses.dataclass
class Scope:
    """One selection's fixed facts, and the import graph once something needs it."""

    config: PhaseConfig
    top: Path
    inputs: Inputs
    index: ImpactArtifact
    picks: Picks
    test_files: frozenset[Path]
    graph: pyfacts.ImportGraph | None = None
    contents: dict[tuple[str, str], bytes | None] = dataclasses.field(default_factory=dict)
    files: list[Path] | None = None  # the project's Python files, listed once

    def blob(self, rev: str, path: str) -> bytes | None:
        """A file's bytes at `rev` (fetched in one batch beforehand when possible)."""
        if (rev, path) not in self.contents:
            self.contents[rev, path] = blob(self.top, rev, path)
        return self.contents[rev, path]

    def nodeid(self, path: Path) -> str:
        """A file or folder as pytest names it: relative to its rootdir."""
        rootdir = self.inputs.rootdir
        return path.relative_to(rootdir).as_posix() if path.is_relative_to(rootdir) else str(path)

    def key(self, path: Path) -> str:
        """A file as the index names it: relative to the project."""
        return path.relative_to(self.config.project).as_posix()

    def roots(self) -> list[Path]:
        project = self.config.project
        return [project / "src", project, *self.config.pythonpath_dirs, self.inputs.rootdir]

    def tests_of(self, entry: ImpactFile, lines: Iterable[int] | None = None) -> set[str]:
        """The tests that executed `lines` of a file (every line when None)."""
        wanted = None if lines is None else {str(n) for n in lines}
        tests = self.index["tests"]
        return {
            tests[i]
            for line, ids in entry["lines"].items()
            if wanted is None or line in wanted
            for i in ids
        }

    def python_files(self) -> list[Path]:
        """The project's Python files, tracked or untracked but not ignored (git asked once)."""
        if self.files is not None:
            return self.files
        project = self.config.project
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.py"],
            cwd=project,
            env=no_git_env(),
            capture_output=True,
            check=False,
        ).stdout
        self.files = sorted(
            {project / n for n in out.decode("utf-8", "surrogateescape").split("\0") if n}
        )
        return self.files

    def importers(self, path: Path, reason: str) -> None:
        """Select every test file (and folder under a conftest.py) importing `path`'s module."""
        if self.graph is None:
            self.graph = pyfacts.ImportGraph(self.python_files(), self.roots())
        names = pyfacts.module_names(path, self.roots())
        for found in sorted(self.graph.importers(names)):
            if found.name == "conftest.py":
                if found.parent == self.inputs.rootdir or found.parent == self.config.project:
                    self.picks.whole_suite(f"the root conftest.py imports {self.key(path)}")
                self.picks.add(
                    [self.nodeid(found.parent)], f"{reason} (via conftest.py)", FILE_LEVEL
                )
            elif found in self.test_files:
                self.picks.add([self.nodeid(found)], reason, CHANGED_TESTS)


def sha256(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def spots(hunk: Hunk, old: bool) -> tuple[int, ...]:
    """The lines a hunk changed on one side; a pure insertion or deletion: its neighbours."""
    start, count = (hunk.old_start, hunk.old_count) if old else (hunk.new_start, hunk.new_count)
    return tuple(range(start, start + count)) if count else (start, start + 1)


def production(scope: Scope, change: Change, base: str, head: str, entry: ImpactFile) -> None:
    """Select what a change to the measured production file `change.path` can break."""
    path = scope.top / change.path
    key = scope.key(path)
    if change.status == "D":
        scope.picks.add(scope.tests_of(entry), f"executes {key} (deleted)", FILE_LEVEL)
        scope.importers(path, f"imports {key} (deleted)")
        return
    after = scope.blob(head, change.path)
    head_tree = pyfacts.parse(after or b"")
    if head_tree is None:
        scope.picks.whole_suite(f"{key} does not parse at {head[:12]}")
        return
    before = scope.blob(base, change.path)
    base_tree = pyfacts.parse(before) if before is not None else None
    matches = entry["sha256"] is not None and entry["sha256"] in (sha256(before), sha256(after))
    old = base_tree is not None and (not matches or sha256(before) == entry["sha256"])
    bodies = pyfacts.bodies(base_tree if old and base_tree is not None else head_tree)
    # Lines run at import: exact when the index measured this version, close enough else.
    imported = set(entry["import_lines"])
    for hunk in change.hunks:
        line = hunk.new_start
        body = pyfacts.innermost(bodies, *spots(hunk, old))
        if body is None or any(body.holds(n) for n in imported):
            reason = f"{key}, changed at line {line} (runs at import)"
            scope.picks.add(scope.tests_of(entry), f"executes {reason}", FILE_LEVEL)
            scope.importers(path, f"imports {reason}")
        elif not matches:
            stale = f"executes {key} (changed; the index measured another version of it)"
            scope.picks.add(scope.tests_of(entry), stale, FILE_LEVEL)
        else:
            lines = range(body.first, body.last + 1)
            reason = f"executes {body.name}() in {key}, changed at line {line}"
            scope.picks.add(scope.tests_of(entry, lines), reason, EXECUTES_CHANGE)
