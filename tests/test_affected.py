"""`select`: which tests a range of commits can break, on a sample project with a real
instrumented run (its impact index) and a real git history, one commit per case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from affected_sample import KNOWN, Commit, _indexed_once, change, project
from conftest import commit_all, git, write_files

from tasks.affected import last_failures
from tasks.affected.inputs import NO_INDEX
from tasks.affected.model import CommitRange, Selection
from tasks.affected.select import select
from tasks.config import load_config

__all__ = ["_indexed_once", "change", "project"]  # the fixtures these tests use
pytestmark = pytest.mark.xdist_group("affected")


def chosen(selection: Selection) -> dict[str, tuple[str, ...]]:
    return {t.nodeid: t.reasons for t in selection.selected}


UNKNOWN = {"tests/test_const.py::test_rate": ("the impact index holds no line it executed",)}


def calc_with(old: str, new: str, project: Path) -> str:
    text = (project / "pkg/calc.py").read_text()
    assert old in text
    return text.replace(old, new)


def test_a_change_in_a_function_body_selects_the_tests_that_ran_that_function(
    project: Path, change: Commit
) -> None:
    selection = change({"pkg/calc.py": calc_with("x * RATE", "x * RATE * 1", project)})
    assert (selection.full_suite, selection.nothing_to_test) == (False, False)
    assert chosen(selection) == {
        "tests/test_calc.py::test_double": ("executes double() in pkg/calc.py, changed at line 9",),
        **UNKNOWN,
    }
    assert selection.known == KNOWN


def test_a_stale_index_falls_back_to_every_test_of_the_edited_file(
    project: Path, change: Commit
) -> None:
    change({"pkg/calc.py": "# a new first line\n" + (project / "pkg/calc.py").read_text()})
    selection = change({"pkg/calc.py": calc_with("x * RATE", "x * RATE * 1", project)})
    stale = ("executes pkg/calc.py (changed; the index measured another version of it)",)
    assert chosen(selection) == {
        "tests/test_calc.py::test_add": stale,
        "tests/test_calc.py::test_double": stale,
        "tests/sub/test_sub.py::test_sub": stale,
        **UNKNOWN,
    }


def test_a_conftest_change_selects_every_test_under_it(change: Commit) -> None:
    selection = change({"tests/sub/conftest.py": "X = 1\n"})
    assert chosen(selection) == {
        "tests/sub": ("under a changed conftest.py (tests/sub/conftest.py)",),
        **UNKNOWN,
    }


@pytest.mark.parametrize(
    ("name", "text", "why"),
    [
        # configuration and dependencies
        (
            "pyproject.toml",
            '[tool.phasegate]\nvenv = "none"\n',
            "pyproject.toml changed: it configures the tests or their dependencies",
        ),
        ("requirements-dev.txt", "pytest\n", "requirements-dev.txt changed: it configures"),
        # a data file the package reads (testmon misses these)
        ("pkg/data.json", "[]\n", "pkg/data.json changed: a data file inside a source package"),
        # a file coverage never measured
        ("pkg/fresh.py", "X = 1\n", "pkg/fresh.py changed and coverage never measured it"),
        # a conftest.py at pytest's rootdir
        ("conftest.py", "", "conftest.py changed: every test runs under it"),
    ],
)
def test_changes_the_selection_cannot_see_through_run_the_whole_suite(
    change: Commit, name: str, text: str, why: str
) -> None:
    selection = change({name: text})
    assert selection.full_suite
    assert selection.why is not None and selection.why.startswith(why)
    assert selection.selected == ()


def test_a_file_that_no_longer_parses_runs_the_whole_suite(project: Path, change: Commit) -> None:
    selection = change({"pkg/calc.py": calc_with("return a + b", "return a +", project)})
    assert selection.full_suite
    assert selection.why is not None
    assert selection.why.startswith("pkg/calc.py does not parse at ")


def test_a_new_test_file_and_the_tests_the_index_does_not_know_are_selected(
    change: Commit,
) -> None:
    selection = change({"tests/test_new.py": "def test_new():\n    pass\n"})
    assert chosen(selection) == {"tests/test_new.py": ("in a new test file",), **UNKNOWN}


def test_tests_that_failed_last_time_are_selected_first(project: Path, change: Commit) -> None:
    last_failures.record(load_config(project, env={}), ["tests/test_calc.py::test_add"])
    selection = change({"pkg/calc.py": calc_with("return x\n", "return x + 0\n", project)})
    assert [t.nodeid for t in selection.selected] == [
        "tests/test_calc.py::test_add",
        "tests/test_const.py::test_rate",
    ]
    assert selection.selected[0].reasons == ("failed last time",)
    assert ".phasegate/last-failures.json" not in git(project, "status", "--porcelain")


def test_an_import_time_change_selects_the_files_tests_and_every_importer(
    project: Path, change: Commit
) -> None:
    selection = change({"pkg/calc.py": calc_with("RATE = 2", "RATE = 3", project)})
    why = "pkg/calc.py, changed at line 1 (runs at import)"
    assert chosen(selection) == {
        "tests/test_calc.py": (f"imports {why}", f"executes {why}"),
        "tests/sub/test_sub.py": (f"imports {why}", f"executes {why}"),
        "tests/test_const.py": (f"imports {why}", UNKNOWN["tests/test_const.py::test_rate"][0]),
    }


def test_a_docs_only_change_has_nothing_to_test(project: Path, change: Commit) -> None:
    selection = change({"README.md": "# more\n", "docs/guide.md": "text\n"})
    assert selection == Selection(False, None, True, (), (), KNOWN, 0.0, str(project.resolve()))


def test_several_ranges_select_the_union(project: Path) -> None:
    base = git(project, "rev-parse", "HEAD")
    write_files(project, {"tests/sub/conftest.py": "X = 1\n"})
    first = commit_all(project, "one")
    write_files(project, {"pkg/calc.py": calc_with("x * RATE", "x * RATE * 1", project)})
    second = commit_all(project, "two")
    config = load_config(project, env={})
    selection = select(config, [CommitRange(base, first), CommitRange(first, second)])
    assert set(chosen(selection)) == {
        "tests/sub",
        "tests/test_calc.py::test_double",
        "tests/test_const.py::test_rate",
    }
    assert select(config, [CommitRange(None, second)]).full_suite


def test_a_budget_keeps_the_most_relevant_and_reports_the_rest(
    project: Path, change: Commit
) -> None:
    last_failures.record(load_config(project, env={}), ["tests/test_calc.py::test_add"])
    selection = change({"tests/test_new.py": "def test_new():\n    pass\n"}, budget=1e-9)
    assert [t.nodeid for t in selection.selected] == ["tests/test_calc.py::test_add"]
    assert [t.nodeid for t in selection.left_out] == [
        "tests/test_new.py",
        "tests/test_const.py::test_rate",
    ]


def test_an_index_that_cannot_be_trusted_runs_the_whole_suite_and_says_why(
    project: Path,
) -> None:
    write_files(project, {"pkg/calc.py": calc_with("x * RATE", "x * RATE * 1", project)})
    ranges = [CommitRange(git(project, "rev-parse", "HEAD"), commit_all(project, "double"))]
    other = load_config(project, env={"PHASEGATE_PYTEST_ARGS": "-x"})
    assert select(other, ranges).why == (
        "the impact index was made with other settings (pytest_args was [] for the index, is "
        "['-x'] now): rerun `phasegate run`"
    )
    index = project / ".phasegate/reports/impact.json"
    data = json.loads(index.read_text())
    index.write_text(json.dumps({**data, "format": 1}))
    config = load_config(project, env={})
    assert select(config, ranges).why == (
        f"the impact index cannot be used ({index}: format 1, expected 2; rerun `phasegate run`)"
    )
    index.unlink()
    assert select(config, ranges).why == NO_INDEX
    assert NO_INDEX.startswith(
        "no impact index yet: the first push runs the whole suite; later pushes run only what "
        "they can break"
    )
