"""`phasegate affected`: its output for people and for tools, its default base (the upstream,
else what no remote has) with real pushes to a bare remote, and a project in a subfolder of
its repository."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from affected_sample import KNOWN, PROJECT, _indexed_once, change, indexed, project
from conftest import commit_all, git, write_files

from tasks.affected import render
from tasks.affected.model import CommitRange, SelectedTest, Selection
from tasks.affected.select import select
from tasks.artifacts import store
from tasks.artifacts.affected import AFFECTED
from tasks.cli import main
from tasks.config import load_config

__all__ = ["_indexed_once", "change", "project"]  # the fixtures these tests use
pytestmark = pytest.mark.xdist_group("affected")


def affected(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["affected", "--project", str(project), *args])
    return code, capsys.readouterr().out


def test_the_output_lists_each_test_with_its_reasons_then_the_counts(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (project / "pkg/calc.py").read_text().replace("x * RATE", "x * RATE * 1")
    write_files(project, {"pkg/calc.py": text})
    commit_all(project, "double")
    code, out = affected(project, capsys, "--base", "HEAD~1")
    lines = out.splitlines()
    assert code == 0
    assert lines[:4] == [
        "tests/test_calc.py::test_double",
        "    executes double() in pkg/calc.py, changed at line 9",
        "tests/test_const.py::test_rate",
        "    the impact index holds no line it executed",
    ]
    assert lines[4].startswith(f"affected: 2 selected of {KNOWN} known tests, about ")
    assert len(lines) == 5


def test_json_round_trips_through_its_schema(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_files(project, {"tests/sub/conftest.py": "X = 1\n"})
    commit_all(project, "conftest")
    code, out = affected(project, capsys, "--base", "HEAD~1", "--json")
    data = json.loads(out)
    assert (code, data.pop("format")) == (0, 1)
    selection = render.from_json(store.from_json(AFFECTED, data, "stdout"))
    config = load_config(project, env={})
    head = git(project, "rev-parse", "HEAD")
    assert selection == select(config, [CommitRange(git(project, "rev-parse", "HEAD~1"), head)])
    assert selection.selected[0] == SelectedTest(
        "tests/sub", ("under a changed conftest.py (tests/sub/conftest.py)",)
    )


@pytest.mark.parametrize(
    ("selection", "text"),
    [
        (
            Selection(True, "pyproject.toml changed: why", False, (), (), 10, 12.34),
            "affected: the whole suite (10 known tests, about 12.3s): pyproject.toml changed: why",
        ),
        (
            Selection(False, None, True, (), (), 10, 0.0),
            "affected: nothing to test: the changes touch no Python file, no configuration and "
            "no file the tests read",
        ),
        (
            Selection(False, None, False, (), (), 10, None),
            "affected: no test executes the changed code\n"
            "affected: 0 selected of 10 known tests, time unknown",
        ),
        (
            Selection(
                False,
                None,
                False,
                (SelectedTest("t.py::a", ("failed last time",)),),
                (SelectedTest("t.py::b", ("r1", "r2")),),
                3,
                1.0,
            ),
            "t.py::a\n    failed last time\n"
            "affected: 1 selected of 3 known tests, about 1.0s\n"
            "affected: 1 left out by hook_budget:\nt.py::b\n    r1\n    r2",
        ),
    ],
)
def test_explain(selection: Selection, text: str) -> None:
    assert render.explain(selection) == text


def test_the_default_base_is_the_upstream_then_what_no_remote_has(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No remote at all: every commit is new, there is nothing to compare with.
    assert affected(project, capsys)[1].startswith("affected: the whole suite (")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(project, "remote", "add", "origin", str(remote))
    git(project, "push", "-q", "origin", "main")
    write_files(project, {"tests/test_new.py": "def test_new():\n    pass\n"})
    commit_all(project, "new test")
    # A remote has the base, no upstream is set: what no remote has.
    assert affected(project, capsys)[1].startswith("tests/test_new.py\n    in a new test file\n")
    git(project, "push", "-q", "-u", "origin", "main")
    write_files(project, {"README.md": "# docs\n"})
    commit_all(project, "docs")
    # The upstream has everything but the docs commit.
    assert affected(project, capsys)[1] == render.NOTHING + "\n"


def test_a_bad_ref_is_one_line_and_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["affected", "--project", str(project), "--base", "nope"]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"phasegate: error: --base nope: no such commit in {project}; use a branch, tag or sha\n"
    )


def test_a_project_in_a_subfolder_of_its_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    project = write_files(repo / "services" / "calc", PROJECT)
    write_files(repo, {".gitignore": ".phasegate/\n__pycache__/\n", "other/readme.md": "x\n"})
    indexed(project, repo)
    base = git(repo, "rev-parse", "HEAD")
    text = (project / "pkg/calc.py").read_text().replace("x * RATE", "x * RATE * 1")
    write_files(project, {"pkg/calc.py": text, "tests/test_new.py": "def test_n():\n    pass\n"})
    write_files(repo, {"other/readme.md": "y\n", "other/pyproject.toml": "[x]\n"})
    head = commit_all(repo, "change")
    selection = select(load_config(project, env={}), [CommitRange(base, head)])
    assert [t.nodeid for t in selection.selected] == [
        "tests/test_calc.py::test_double",
        "tests/test_new.py",
        "tests/test_const.py::test_rate",
    ]
    # A configuration file above the project is the project's too (a monorepo's root).
    write_files(repo, {"requirements.txt": "pytest\n"})
    top = commit_all(repo, "deps")
    selection = select(load_config(project, env={}), [CommitRange(head, top)])
    assert (
        selection.why == "requirements.txt changed: it configures the tests or their dependencies"
    )


def test_the_command_list_follows_the_pipeline_which_affected_never_imports() -> None:
    code = (
        "import sys; from tasks.cli import COMMANDS; "
        "assert 'tasks.pipeline' not in sys.modules and 'coverage' not in sys.modules; "
        "from tasks.pipeline import ORDER; "
        "assert COMMANDS == (*ORDER, 'validate', 'combine'), COMMANDS"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


def test_a_docs_only_push_is_answered_without_coverage_or_the_index(project: Path) -> None:
    base = git(project, "rev-parse", "HEAD")
    write_files(project, {"README.md": "# more docs\n"})
    head = commit_all(project, "docs")
    code = (
        "import sys; from pathlib import Path; from tasks.config import load_config; "
        "from tasks.affected.model import CommitRange; from tasks.affected import inputs; "
        "from tasks.affected.select import select; "
        "inputs.load_index = None; "  # reading the index would fail
        f"s = select(load_config(Path({str(project)!r})), [CommitRange({base!r}, {head!r})]); "
        "assert s.nothing_to_test, s; assert 'coverage' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)
