from __future__ import annotations

from pathlib import Path

import pytest
from conftest import commit_all, git, write_files

from tasks import gitinfo, phase_changes
from tasks.phase_changes import count_fixes, fix_commits, fix_kind


@pytest.mark.parametrize(
    ("subject", "kind"),
    [
        ("fix(parser): handle empty input", "production"),
        ("fix: off-by-one in pager", "production"),
        ("fix(test): wrong expectation in test_total", "test"),
        ("fix(tests): isolate tmp dirs", "test"),
        ("fix(flaky): seed the clock", "flaky"),
        ("Fix(API)!: reject negative ids", "production"),
        ("feat(parser): new syntax", None),
        ("prefix: fix(parser)", None),
        ("fixup! something", None),
    ],
)
def test_fix_kind(subject: str, kind: str | None) -> None:
    assert fix_kind(subject) == kind


def test_count_fixes_with_no_match_is_zero_not_two_numbers() -> None:
    # `grep -c fix || echo 0` prints "0" twice when nothing matches; this is one count each.
    assert count_fixes(["docs: readme"]) == {"test": 0, "production": 0, "flaky": 0}


def test_defined_tests() -> None:
    source = "def test_a(): pass\nclass TestB:\n    def test_c(self): pass\ndef helper(): pass\n"
    assert phase_changes.defined_tests(source) == {"test_a", "TestB::test_c"}


def test_tests_created_and_fixes_are_measured_against_git(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {"tests/test_a.py": "def test_old():\n    pass\n"})
    base = commit_all(project, "start")
    write_files(
        project,
        {
            "tests/test_a.py": "def test_old():\n    pass\n\n\ndef test_new():\n    pass\n",
            "tests/test_b.py": "import pytest\n\n\n@pytest.mark.parametrize('x', [1, 2])\n"
            "def test_param(x):\n    pass\n",
        },
    )
    commit_all(project, "fix(tests): cover more")
    write_files(project, {"src.py": "X = 1\n"})
    commit_all(project, "fix(core): a production bug")
    nodeids = [
        "tests/test_a.py::test_old",
        "tests/test_a.py::test_new",
        "tests/test_b.py::test_param[1]",
        "tests/test_b.py::test_param[2]",
    ]
    assert phase_changes.tests_created(project, base, nodeids) == 3
    assert phase_changes.tests_created(project, None, nodeids) is None
    assert fix_commits(project, base) == {"test": 1, "production": 1, "flaky": 0}


def test_git_calls_ignore_hook_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = write_files(tmp_path / "p", {"a.txt": "1\n"})
    base = commit_all(project, "start")
    (project / "a.txt").write_text("1\n2\n")
    (project / "new.txt").write_text("x\n")
    sha = git(project, "rev-parse", "HEAD")
    # Inside a pre-push hook git sets GIT_DIR; our calls must still see the right repository.
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    assert gitinfo.changed_lines(project, base) == {
        project / "a.txt": {2},
        project / "new.txt": None,
    }
    assert gitinfo.head(project) == sha
