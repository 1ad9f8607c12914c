"""The `Probe` the triage step hands to the rules: answers from git (since the base) and
per-test coverage, read once per step and cached."""

from __future__ import annotations

import ast
import datetime as dt
import linecache
from pathlib import Path

from tasks import gitinfo
from tasks.config import PhaseConfig
from tasks.layout import Layout
from tasks.results import TestRecord
from tasks.triage.facts import Category


class GitProbe:
    """Answers the rules' questions from git (since the base) and per-test coverage."""

    def __init__(
        self,
        config: PhaseConfig,
        layout: Layout,
        base: str | None,
        tests_lines: dict[str, dict[str, set[int]]],
    ) -> None:
        self.project = config.project
        self.layout = layout
        self.base = base
        self.tests_lines = tests_lines
        self.repo = gitinfo.toplevel(config.project) is not None
        self.changed = gitinfo.changed_lines(config.project, base) if base else {}
        self._blame: dict[Path, dict[int, tuple[str, int]] | None] = {}
        self._ages: dict[str, int] | None = None
        # Many failures ask about one module (fifty tests importing one missing name): one
        # `git log -S` and one parse each.
        self._ever_had: dict[tuple[Path, str], bool | None] = {}
        self._names: dict[Path, list[str]] = {}

    def ever_had(self, module: Path, name: str) -> bool | None:
        if not self.repo:
            return None
        if (module, name) not in self._ever_had:
            self._ever_had[module, name] = gitinfo.ever_contained(self.project, module, name)
        return self._ever_had[module, name]

    def names_in(self, module: Path) -> list[str]:
        if module not in self._names:
            self._names[module] = _top_level_names(module)
        return self._names[module]

    def test_changed(self, test_file: Path) -> bool | None:
        return None if self.base is None else test_file.resolve() in self.changed

    def production_changed(self, nodeid: str) -> tuple[bool, list[str]] | None:
        """Whether lines this test executes in production code changed since the base."""
        if self.base is None or nodeid not in self.tests_lines:
            return None
        ran = {
            f: lines
            for f, lines in self.tests_lines[nodeid].items()
            if not self.layout.is_test_code(f)
        }
        changed = []
        for name, lines in ran.items():
            path = Path(name)
            if path in self.changed:
                changed_here = self.changed[path]
                hit = lines if changed_here is None else changed_here & lines
                if hit:
                    changed.append(f"{self.layout.rel(name)}:{min(hit)}")
        if changed:
            return True, sorted(changed)
        return False, [self.layout.rel(f) for f in sorted(ran)]

    def source_line(self, path: str, lineno: int) -> str:
        """The stripped source line (empty when unreadable)."""
        return linecache.getline(path, lineno).strip() if path and lineno else ""

    def runs_production(self, nodeid: str) -> list[str] | None:
        """The production files the test executes (None without per-test coverage)."""
        if not self.tests_lines:
            return None
        files = self.tests_lines.get(nodeid, {})
        return sorted(self.layout.rel(f) for f in files if not self.layout.is_test_code(f))

    def newest_change(self, record: TestRecord) -> tuple[Category, str, str] | None:
        """Which changed last, by git blame: the test's own lines or the production lines it
        executes. (test|production, a sentence, the newest changed line as file:line), or None
        when blame cannot tell them apart."""
        if not self.repo or record.nodeid not in self.tests_lines:
            return None
        test_side = _test_lines(self.layout.test_file(record.nodeid), record)
        production = {
            Path(f): lines
            for f, lines in self.tests_lines[record.nodeid].items()
            if not self.layout.is_test_code(f)
        }
        newest_test = self._newest(test_side)
        newest_production = self._newest(production)
        if newest_test is None or newest_production is None:
            return None
        (t_age, t_sha, t_time, t_where) = newest_test
        (p_age, p_sha, p_time, p_where) = newest_production
        if t_sha == p_sha:
            return self._edited_expectation(record, test_side, t_sha, t_time)
        test_said = f"the test's own lines last changed in {_commit(t_sha, t_time)} ({t_where})"
        prod_said = (
            f"the newest production line it executes changed in {_commit(p_sha, p_time)} "
            f"({p_where})"
        )
        if t_age < p_age:
            return Category.TEST, f"{test_said}, after {prod_said}", t_where
        return Category.PRODUCTION, f"{prod_said}, after {test_said}", p_where

    def _edited_expectation(
        self, record: TestRecord, test_side: dict[Path, set[int]], sha: str, when: int
    ) -> tuple[Category, str, str] | None:
        """The test and the code changed in one commit. If that commit edited the very line
        that failed in a test that is older than it, the expectation was edited: lean test."""
        if not record.crash_path or record.crash_lineno is None:
            return None
        crash = Path(record.crash_path).resolve()
        lines = test_side.get(crash)
        blame = self._blame.get(crash)
        if not lines or blame is None or record.crash_lineno not in lines:
            return None
        if blame.get(record.crash_lineno, ("", 0))[0] != sha:
            return None
        if all(blame.get(n, (sha, 0))[0] == sha for n in lines):
            return None  # a new test, written with the code: nothing is older
        where = f"{self.layout.rel(str(crash))}:{record.crash_lineno}"
        return (
            Category.TEST,
            f"{_commit(sha, when)} changed both the code and the line that fails ({where}), "
            "in a test that is older than it: the expectation was edited",
            where,
        )

    def _newest(self, lines_by_file: dict[Path, set[int]]) -> tuple[int, str, int, str] | None:
        """(age, commit, time, file:line) of the most recent change among the lines."""
        if self._ages is None:
            self._ages = gitinfo.commit_ages(self.project)
        best: tuple[int, str, int, str] | None = None
        for path, lines in lines_by_file.items():
            if path not in self._blame:
                self._blame[path] = gitinfo.blame_times(self.project, path)
            blame = self._blame[path]
            if blame is None:
                continue
            for n in sorted(lines):
                if n in blame:
                    sha, when = blame[n]
                    age = self._ages.get(sha, len(self._ages))
                    if best is None or age < best[0]:
                        best = (age, sha, when, f"{self.layout.rel(str(path))}:{n}")
        return best


def _top_level_names(module: Path) -> list[str]:
    """The names a module defines or imports at its top level ([] when it cannot be read)."""
    try:
        tree = ast.parse(module.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return []
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names += [(a.asname or a.name).split(".")[0] for a in node.names]
    return names


def _commit(sha: str, when: int) -> str:
    if sha == gitinfo.UNCOMMITTED:
        return "uncommitted changes"
    day = dt.datetime.fromtimestamp(when, dt.UTC).date().isoformat()
    return f"commit {sha[:8]} of {day}"


def _test_lines(path: Path, record: TestRecord) -> dict[Path, set[int]]:
    """The lines of the test function itself (decorators included), in its file `path`."""
    names = record.nodeid.split("::")[1:]
    result: dict[Path, set[int]] = {}
    try:
        tree: ast.AST = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return result
    node: ast.AST | None = tree
    for name in (n.split("[", 1)[0] for n in names):
        body = getattr(node, "body", [])
        node = next(
            (
                child
                for child in body
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and child.name == name
            ),
            None,
        )
        if node is None:
            return result
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        result[path.resolve()] = set(range(first, (node.end_lineno or node.lineno) + 1))
    return result
