"""Facts about the phase as a whole, measured: tests created since the base (from git and
pytest's node ids) and bug-fix commits by kind (from `fix(...)` subjects)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

from tasks import gitinfo

_FIX = re.compile(r"^fix(?:\((?P<scope>[^)]*)\))?!?:", re.IGNORECASE)
TEST_SCOPES = frozenset({"test", "tests", "testing"})
FLAKY_SCOPES = frozenset({"flaky", "flake", "flakes"})


def fix_kind(subject: str) -> str | None:
    """test / flaky / production for a conventional `fix(scope): ...` subject, else None."""
    match = _FIX.match(subject.strip())
    if not match:
        return None
    scope = (match["scope"] or "").strip().lower()
    if scope in TEST_SCOPES:
        return "test"
    if scope in FLAKY_SCOPES:
        return "flaky"
    return "production"


def count_fixes(subjects: Iterable[str]) -> dict[str, int]:
    counts = {"test": 0, "production": 0, "flaky": 0}
    for subject in subjects:
        kind = fix_kind(subject)
        if kind:
            counts[kind] += 1
    return counts


def defined_tests(source: str) -> set[str]:
    """Test functions a module defines: "test_x" and "TestClass::test_x"."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test"
            ):
                names.add(prefix + node.name)
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}::")

    visit(tree.body, "")
    return names


def _key(nodeid: str) -> tuple[str, str]:
    path, _, rest = nodeid.partition("::")
    return path, rest.split("[", 1)[0]


def tests_created(
    project: Path, base: str | None, nodeids: Iterable[str], rootdir: Path | None = None
) -> int | None:
    """How many of the current tests did not exist at `base` (None when unmeasurable).
    Node ids are relative to pytest's `rootdir` (the project when not given)."""
    if base is None:
        return None
    known: dict[str, set[str]] = {}
    created = 0
    for nodeid in nodeids:
        path, name = _key(nodeid)
        if not name:
            continue  # a module that failed to collect is not a test
        if path not in known:
            old = gitinfo.show_file(project, base, (rootdir or project) / path)
            known[path] = defined_tests(old) if old is not None else set()
        created += name not in known[path]
    return created


def fix_commits(project: Path, base: str | None) -> dict[str, int] | None:
    if base is None:
        return None
    return count_fixes(subject for _, subject in gitinfo.commits_since(project, base))
