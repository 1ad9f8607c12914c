"""`files` and `file_floors` globs mean what they mean in coverage.py's own include/omit."""

from __future__ import annotations

import pytest

from tasks.coverage.rules import floor_gates, glob_floor_gates, matching


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        # `*` stays within a folder (fnmatch let it cross slashes)
        ("src/*.py", "src/a.py", True),
        ("src/*.py", "src/a/b.py", False),
        ("src/*/x.py", "src/a/b/x.py", False),
        # `**/` spans zero or more folders (fnmatch needed at least one)
        ("a/**/*.py", "a/x.py", True),
        ("a/**/*.py", "a/b/c/x.py", True),
        ("a/**/*.py", "b/a/x.py", False),
        # a trailing `/*` takes everything under the folder, as coverage's omit = ["src/*"]
        ("src/*", "src/a.py", True),
        ("src/*", "src/a/b.py", True),
        ("src/*", "srcx/a.py", False),
        # a glob without a slash matches a file name anywhere
        ("*.py", "deep/down/x.py", True),
        ("test_*.py", "pkg/test_a.py", True),
        ("test_*.py", "pkg/a_test.py", False),
        ("a.py", "pkg/a.py", True),
        # a leading `*/` takes any folders before; otherwise a glob is anchored at the root
        ("*/core/*.py", "core/a.py", True),
        ("*/core/*.py", "x/pkg/core/a.py", True),
        ("pkg/core/*.py", "other/pkg/core/a.py", False),
        # ... and at the end
        ("src/a.py", "src/a.pyi", False),
        # `?` and `[...]` are one character, never a slash
        ("src/a?.py", "src/ab.py", True),
        ("src?a.py", "src/a.py", False),
        ("src/[ab].py", "src/a.py", True),
        ("src/[ab].py", "src/c.py", False),
        # other regex characters are literal
        ("src/a+b.py", "src/a+b.py", True),
        ("src/a.py", "src/aXpy", False),
        # a leading ./ is the project's root, as coverage makes it absolute
        ("./src/*.py", "src/a.py", True),
    ],
)
def test_globs_match_like_coverage(pattern: str, path: str, matches: bool) -> None:
    rows = [{"file": path}]
    assert matching(rows, [pattern]) == (rows if matches else [])


ROWS = [
    {"file": "src/a.py", "percent": 95.0, "display": "95"},
    {"file": "src/sub/b.py", "percent": 10.0, "display": "10"},
    {"file": "lib/c.py", "percent": 90.0, "display": "90"},
]


@pytest.mark.parametrize(
    ("patterns", "status", "actual"),
    [
        (["src/*.py"], "pass", "1/1 meet it"),  # src/sub/b.py is not a direct child
        (["src/**/*.py"], "fail", "1/2 meet it"),
        (["*.py"], "fail", "2/3 meet it"),
        (["lib/*.py", "src/*.py"], "pass", "2/2 meet it"),
        (["src/a**.py"], "fail", "bad glob"),
    ],
)
def test_file_floor_over_globs(patterns: list[str], status: str, actual: str) -> None:
    [gate] = floor_gates(ROWS, 80.0, patterns, 0)
    assert (gate.status, gate.actual) == (status, actual)


def test_a_glob_coverage_refuses_fails_its_gate_with_the_reason() -> None:
    bad, good = glob_floor_gates(ROWS, {"src/a**.py": 50, "src/*.py": 90}, 0)
    assert (bad.name, bad.status, bad.actual, bad.detail) == (
        "file floor src/a**.py",
        "fail",
        "bad glob",
        "'src/a**.py' in file_floors is not a glob coverage.py accepts: "
        "File pattern can't include 'a**'",
    )
    assert (good.name, good.status) == ("file floor src/*.py (1 file)", "pass")
    [gate] = floor_gates(ROWS, 80.0, ["lib/*.py", "a/**b"], 0)
    assert gate.detail == (
        "'a/**b' in files is not a glob coverage.py accepts: File pattern can't include '**b'"
    )
