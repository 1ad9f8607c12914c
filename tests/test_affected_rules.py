"""The pure halves of the selection: -U0 hunks of both sides, function bodies versus
import-time lines, the static import graph, the kinds of changed files, the budget cut."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from conftest import commit_all

from tasks.affected import pyfacts
from tasks.affected.diff import Hunk, blobs, parse_hunks
from tasks.affected.kinds import Kind, classify
from tasks.affected.picks import Picks, cut, merged

PATCH = b"""diff --git a/pkg/a.py b/pkg/a.py
index 1..2 100644
--- a/pkg/a.py
+++ b/pkg/a.py
@@ -3 +3 @@ def f():
-    return 1
+    return 2
@@ -10,0 +11,2 @@ def g():
+    x = 1
+    y = 2
diff --git a/gone.py b/gone.py
deleted file mode 100644
--- a/gone.py
+++ /dev/null
@@ -1,2 +0,0 @@
-X = 1
-Y = 2
diff --git "a/sp ace\\303\\251.py" "b/sp ace\\303\\251.py"
--- "a/sp ace\\303\\251.py"
+++ "b/sp ace\\303\\251.py"
@@ -1 +1 @@
--- not a header
+++ not a header either
"""


def test_hunks_keep_both_sides_and_deleted_files_their_old_name() -> None:
    assert parse_hunks(PATCH) == {
        "pkg/a.py": [Hunk(3, 1, 3, 1), Hunk(10, 0, 11, 2)],
        "gone.py": [Hunk(1, 2, 0, 0)],
        "sp aceé.py": [Hunk(1, 1, 1, 1)],
    }


SOURCE = textwrap.dedent(
    '''
    import os
    RATE = 2


    @decorate(3)
    def outer(a=RATE):
        """Doc."""
        x = a

        def inner():
            return x

        return inner


    class C:
        size = 4

        def method(self):
            return self.size
    '''
).lstrip()


@pytest.mark.parametrize(
    ("lines", "body"),
    [
        ((2,), None),  # module level
        ((5,), None),  # a decorator
        ((6,), None),  # the def line with its default value
        ((7,), "outer"),  # the docstring is body
        ((10,), "outer"),  # a nested def runs when outer does
        ((11,), "inner"),
        ((11, 12), "outer"),  # spans inner's end: the enclosing body
        ((17,), None),  # a class body
        ((20,), "method"),
        ((20, 21), None),  # an insertion after the method's last line: maybe module level
    ],
)
def test_a_line_runs_in_a_body_or_at_import(lines: tuple[int, ...], body: str | None) -> None:
    found = pyfacts.innermost(pyfacts.bodies(ast.parse(SOURCE)), *lines)
    assert (found.name if found else None) == body


def test_imports_resolve_relative_names_and_parents() -> None:
    tree = ast.parse("import a.b\nfrom . import c\nfrom ..d import e\nfrom .f import *\n")
    assert pyfacts.imports(tree, "pkg.sub") == {
        "a",
        "a.b",
        "pkg",
        "pkg.sub",
        "pkg.sub.c",
        "pkg.d",
        "pkg.d.e",
        "pkg.sub.f",
        "pkg.sub.f.*",
    }


def test_importers_reach_through_other_modules(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "from .core import X\n",
        "pkg/core.py": "X = 1\n",
        "pkg/api.py": "from pkg import X\n",
        "pkg/alone.py": "Y = 2\n",
        "tests/test_api.py": "import pkg.api\n",
        "tests/test_alone.py": "from pkg.alone import Y\n",
        "tests/test_broken.py": "def (:\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = pyfacts.ImportGraph(sorted(tmp_path.rglob("*.py")), [tmp_path])
    found = graph.importers(pyfacts.module_names(tmp_path / "pkg/core.py", [tmp_path]))
    assert {p.relative_to(tmp_path).as_posix() for p in found} == {
        "pkg/__init__.py",
        "pkg/api.py",
        "tests/test_api.py",
        "tests/test_alone.py",  # importing pkg.alone runs pkg/__init__.py, which imports core
    }
    # Files that do not name "core" nor "pkg" were never parsed.
    assert tmp_path / "pkg/core.py" not in graph.parsed


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("pyproject.toml", Kind.CONFIG),
        ("requirements/test.txt", Kind.CONFIG),
        ("uv.lock", Kind.CONFIG),
        ("docs/requirements.txt", Kind.OTHER),
        ("tests/conftest.py", Kind.CONFTEST),
        ("tests/test_a.py", Kind.TEST),
        ("tests/data/input.json", Kind.TEST_DATA),
        ("pkg/mod.py", Kind.PYTHON),
        ("pkg/templates/page.html", Kind.PACKAGE_DATA),
        ("README.md", Kind.OTHER),
        ("docs/conf.py", Kind.PYTHON),
    ],
)
def test_kinds(tmp_path: Path, name: str, kind: Kind) -> None:
    (tmp_path / "pkg/templates").mkdir(parents=True)
    (tmp_path / "pkg/__init__.py").write_text("")
    known = {tmp_path / "tests/test_a.py"}
    assert classify(tmp_path / name, tmp_path, known, {tmp_path / "tests"}) == kind


def test_a_config_file_above_the_project_counts_and_beside_it_does_not(tmp_path: Path) -> None:
    project = tmp_path / "services" / "api"
    assert classify(tmp_path / "tox.ini", project, set(), set()) == Kind.CONFIG
    assert classify(tmp_path / "services/web/tox.ini", project, set(), set()) == Kind.OTHER


def test_a_budget_keeps_a_prefix_of_the_most_relevant() -> None:
    picks = Picks()
    picks.add(["t.py::slow"], "executes f()", 1)
    picks.add(["t.py::fast"], "unknown", 3)
    picks.add(["u.py::a", "u.py"], "in a changed test file", 2)
    picks.add(["v.py::first"], "failed last time", 0)
    entries = merged(picks)
    assert [e[0] for e in entries] == ["v.py::first", "t.py::slow", "u.py", "t.py::fast"]
    durations = {"v.py::first": 1.0, "t.py::slow": 5.0, "u.py::a": 1.0, "t.py::fast": 0.1}
    selected, left_out, seconds = cut(entries, durations, 3.0)
    assert [t.nodeid for t in selected] == ["v.py::first"]
    assert [t.nodeid for t in left_out] == ["t.py::slow", "u.py", "t.py::fast"]
    assert seconds == 1.0
    assert cut(entries, durations, None)[2] == 7.1


def test_blobs_come_in_one_batch_with_missing_ones_as_none(tmp_path: Path) -> None:
    (tmp_path / "a b.py").write_bytes(b"x = 1\n\x00binary\n")
    (tmp_path / "empty.py").write_bytes(b"")
    head = commit_all(tmp_path, "files")
    wanted = [(head, "a b.py"), (head, "empty.py"), (head, "nope.py"), (head, "new\nline.py")]
    assert blobs(tmp_path, wanted) == {
        (head, "a b.py"): b"x = 1\n\x00binary\n",
        (head, "empty.py"): b"",
        (head, "nope.py"): None,
        (head, "new\nline.py"): None,
    }
