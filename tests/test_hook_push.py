"""The hook on real `git push` runs to a bare remote: every form of push becomes the right
range, a failing selected test blocks with its category and repro command, a passing push is
allowed and remembered, and the pushed commit is tested even when the checkout is not it."""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

import pytest
from hookrepo import Pushed, bare_remote, line, pushed_project, run

from tasks.affected.model import CommitRange, SelectedTest, Selection
from tasks.affected.render import explain
from tasks.affected.select import select
from tasks.artifacts import Artifacts
from tasks.artifacts.coverage import wait_for_reports
from tasks.config import load_config
from tasks.console import Console
from tasks.hook.check import Where, check_head
from tasks.hook.command import guarded
from tasks.hook.hookrun import upstream_ranges
from tasks.run.step import run_step

Z40 = "0" * 40
SKIP = "phasegate: skip this check with `git push --no-verify` or `PHASEGATE_SKIP=1 git push`"
BROKEN = {"calc/__init__.py": "def add(a, b):\n    return a - b\n"}
REPRO = "repro: python -m pytest -p no:randomly tests/test_calc.py::test_add"


@pytest.fixture
def repo(tmp_path: Path) -> Pushed:
    return pushed_project(tmp_path)


def nothing_to_test(before: str, after: str) -> str:
    return (
        f"phasegate: {before[:12]}..{after[:12]}: no Python file or config changed; nothing to test"
    )


def test_a_docs_only_push_tests_nothing(repo: Pushed) -> None:
    before, after = repo.sha(), repo.commit({"README.md": "docs\n"})
    pushed = repo.push("origin", "main")
    assert pushed.returncode == 0, pushed.stdout
    assert nothing_to_test(before, after) in pushed.stdout
    assert SKIP in pushed.stdout
    assert repo.remote_sha() == after


def test_several_refs_in_one_push_are_all_checked(repo: Pushed) -> None:
    base = repo.sha()
    docs = repo.commit({"README.md": "docs\n"})
    repo.git("checkout", "-q", "-b", "feature")
    notes = repo.commit({"NOTES.md": "notes\n"})
    repo.git("checkout", "-q", "main")
    pushed = repo.push("origin", "main", "feature")
    assert pushed.returncode == 0, pushed.stdout
    assert nothing_to_test(base, docs) in pushed.stdout
    # the new branch: from the parent of the oldest commit no remote has (docs is not pushed yet)
    assert nothing_to_test(base, notes) in pushed.stdout


def test_a_deleted_branch_has_nothing_to_test(repo: Pushed) -> None:
    repo.git("push", "-q", "--no-verify", "origin", "main:refs/heads/old")
    pushed = repo.push("origin", "--delete", "old")
    assert pushed.returncode == 0, pushed.stdout
    assert "phasegate: nothing new to test (deleted refs, or commits a remote has)" in pushed.stdout


def test_tags_are_peeled_and_a_tag_of_a_pushed_commit_has_nothing_new(repo: Pushed) -> None:
    repo.git("tag", "-a", "-m", "release", "v1")
    pushed = repo.push("origin", "v1")
    assert "phasegate: nothing new to test" in pushed.stdout
    before, after = repo.sha(), repo.commit({"README.md": "docs\n"})
    repo.git("tag", "-a", "-m", "release", "v2")
    pushed = repo.push("origin", "v2")
    assert nothing_to_test(before, after) in pushed.stdout


def test_a_force_push_is_compared_with_the_merge_base(repo: Pushed) -> None:
    base = repo.sha()
    repo.commit({"README.md": "docs\n"})
    repo.git("push", "-q", "--no-verify", "origin", "main")
    repo.git("reset", "-q", "--hard", base)
    rewritten = repo.commit({"README.md": "other docs\n"}, "rewritten")
    pushed = repo.push("--force", "origin", "main")
    assert pushed.returncode == 0, pushed.stdout
    assert nothing_to_test(base, rewritten) in pushed.stdout


def test_a_whole_new_history_runs_the_whole_suite(repo: Pushed, tmp_path: Path) -> None:
    repo.git("remote", "remove", "origin")  # no remote-tracking ref: every commit is new
    fresh = bare_remote(tmp_path / "fresh.git")
    pushed = repo.push(str(fresh), "main")
    assert pushed.returncode == 0, pushed.stdout
    assert "phasegate: the whole suite is selected: " in pushed.stdout
    assert "phasegate: 2 passed in" in pushed.stdout


def test_empty_input_exits_at_once(repo: Pushed) -> None:
    done = repo.hook_run("", "origin", str(repo.remote))
    assert (done.returncode, done.stdout) == (0, "")


def test_the_skip_variable_lets_a_breaking_push_through(repo: Pushed) -> None:
    after = repo.commit(BROKEN)
    pushed = repo.push("origin", "main", env={"PHASEGATE_SKIP": "1"})
    assert pushed.returncode == 0, pushed.stdout
    assert "phasegate: pre-push check skipped (PHASEGATE_SKIP is set)" in pushed.stdout
    assert repo.remote_sha() == after


def test_a_failing_test_blocks_with_its_category_and_repro(repo: Pushed) -> None:
    before = repo.sha()
    repo.commit(BROKEN)
    pushed = repo.push("origin", "main")
    assert pushed.returncode != 0
    out = pushed.stdout
    assert "phasegate: push blocked: 1 test(s) failed (" in out, out
    assert "  tests/test_calc.py::test_add (failed in call)\n    category: production" in out
    assert REPRO in out
    assert SKIP in out
    assert repo.remote_sha() == before


def test_a_passing_push_is_allowed_and_a_second_remote_gets_the_cached_verdict(
    repo: Pushed, tmp_path: Path
) -> None:
    after = repo.commit({"calc/__init__.py": "def add(a, b):\n    return b + a\n"})
    pushed = repo.push("origin", "main")
    assert pushed.returncode == 0, pushed.stdout
    assert "passed in" in pushed.stdout and "push allowed" in pushed.stdout
    assert repo.remote_sha() == after
    # a second remote that has the commit before: the same tree is pushed again
    backup = bare_remote(tmp_path / "backup.git")
    repo.git("remote", "add", "backup", str(backup))
    repo.git("push", "-q", "--no-verify", "backup", "HEAD~1:refs/heads/main")
    repo.git("fetch", "-q", "backup")
    pushed = repo.push("backup", "main")
    assert pushed.returncode == 0, pushed.stdout
    tree = repo.sha("HEAD^{tree}")
    assert f"phasegate: tree {tree[:12]} already passed " in pushed.stdout
    assert "(cached verdict): push allowed" in pushed.stdout
    assert "passed in" not in pushed.stdout  # nothing ran
    assert repo.remote_sha() == after


def test_the_pushed_commit_is_tested_not_the_checkout_and_the_checkout_is_untouched(
    repo: Pushed,
) -> None:
    before = repo.sha()
    repo.commit(BROKEN)
    fixed = "def add(a, b):\n    return a + b  # fixed, not committed\n"
    (repo.work / "calc" / "__init__.py").write_text(fixed)
    (repo.work / "scratch.txt").write_text("untracked\n")
    pushed = repo.push("origin", "main")
    assert pushed.returncode != 0, pushed.stdout
    assert "testing" in pushed.stdout and "in a temporary worktree" in pushed.stdout
    assert "phasegate: push blocked: 1 test(s) failed" in pushed.stdout
    assert REPRO in pushed.stdout
    assert repo.remote_sha() == before
    # the user's work is exactly as it was: no stash, no checkout, no worktree left behind
    assert (repo.work / "calc" / "__init__.py").read_text() == fixed
    assert (repo.work / "scratch.txt").read_text() == "untracked\n"
    assert repo.git("stash", "list") == ""
    assert len(repo.git("worktree", "list").splitlines()) == 1


def test_the_first_push_runs_the_whole_suite_and_builds_the_index_the_next_is_selective(
    repo: Pushed,
) -> None:
    repo.commit({"calc/__init__.py": "def add(a, b):\n    return b + a\n"})
    first = repo.push("origin", "main")
    assert first.returncode == 0, first.stdout
    assert "the whole suite is selected: no impact index yet" in first.stdout
    assert "phasegate: 2 passed in" in first.stdout
    index = Artifacts(load_config(repo.work).reports_dir).impact_json
    for _ in range(600):  # the refresh runs detached, after the verdict
        if index.is_file():
            break
        time.sleep(0.1)
    assert index.is_file(), "the whole-suite push did not build the first impact index"
    repo.commit({"calc/__init__.py": "def add(a, b):\n    return a + b\n"})
    second = repo.push("origin", "main")
    assert second.returncode == 0, second.stdout
    assert "the whole suite" not in second.stdout
    assert "phasegate: 1 passed in" in second.stdout  # test_add; test_other runs no calc


def test_explain_prints_the_selection(repo: Pushed) -> None:
    before, after = (
        repo.sha(),
        repo.commit({"calc/__init__.py": "def add(a, b):\n    return a+b\n"}),
    )
    done = repo.hook_run(
        line("refs/heads/main", after, "refs/heads/main", before), "--explain", "origin", "x"
    )
    assert done.returncode == 0, done.stdout
    selection = select(load_config(repo.work), [CommitRange(before, after)])
    assert (
        f"phasegate: selection for {before[:12]}..{after[:12]}:\n" + explain(selection) + "\n"
    ) in done.stdout
    # No impact index in this repository yet: the whole suite, and why.
    assert selection.full_suite
    assert "affected: the whole suite (0 known tests, time unknown): no impact index" in done.stdout


def test_a_config_error_is_one_line_exit_2_with_the_skip_line(repo: Pushed) -> None:
    before, after = repo.sha(), repo.commit({"pyproject.toml": "[tool.phasegate]\nruns = 0\n"})
    (repo.work / "pyproject.toml").write_text("[tool.phasegate]\nruns = 0\n")
    done = repo.hook_run(line("refs/heads/main", after, "refs/heads/main", before))
    assert done.returncode == 2
    assert "phasegate: error: runs = 0" in done.stdout
    assert done.stdout.rstrip().endswith(SKIP)


def test_upstream_ranges_are_head_against_its_upstream(repo: Pushed) -> None:
    base = repo.sha()
    head = repo.commit({"README.md": "docs\n"})
    assert upstream_ranges(repo.work) == [CommitRange(base, head)]
    repo.git("push", "-q", "--no-verify", "origin", "main")
    assert upstream_ranges(repo.work) == []


def test_a_selection_runs_exactly_its_tests_and_a_file_means_every_test_in_it(
    repo: Pushed,
) -> None:
    extra = "def test_a():\n    pass\n\n\ndef test_b():\n    pass\n"
    head = repo.commit(
        {
            "tests/test_extra.py": extra,
            # A folder (a changed conftest.py's) means every test under it, nested ones too.
            "tests/sub/conftest.py": "",
            "tests/sub/deeper/test_deep.py": "def test_deep():\n    pass\n",
            "tests/subway/test_not_under.py": "def test_not():\n    pass\n",
        }
    )
    selection = Selection(
        full_suite=False,
        why=None,
        nothing_to_test=False,
        selected=(
            SelectedTest("tests/test_calc.py::test_add", ("executes calc/__init__.py:2",)),
            SelectedTest("tests/test_extra.py", ("in a changed test file",)),
            SelectedTest("tests/test_gone.py::test_x", ("failed last time",)),
            SelectedTest("tests/sub", ("under a changed conftest.py (tests/sub/conftest.py)",)),
        ),
        left_out=(SelectedTest("tests/test_other.py::test_other", ("runs calc",)),),
        known=4,
        estimated_seconds=0.1,
    )
    out = io.StringIO()
    code = check_head(
        load_config(repo.work), Where.of(repo.work), head, selection, None, Console(out)
    )
    assert code == 0, out.getvalue()
    record = json.loads((repo.work / ".git" / "phasegate" / "run.json").read_text())
    assert list(dict.fromkeys(r["nodeid"] for r in record["reports"])) == [
        "tests/test_calc.py::test_add",
        "tests/test_extra.py::test_a",
        "tests/test_extra.py::test_b",
        "tests/sub/deeper/test_deep.py::test_deep",
    ]
    text = out.getvalue()
    assert "phasegate: hook_budget left out 1 test(s): they are not run" in text
    assert "phasegate: 1 selected test(s) are not in the pushed tree" in text
    assert "phasegate: 4 passed in" in text


def test_nox_prepush_checks_head_against_its_upstream(repo: Pushed) -> None:
    repo.commit({"noxfile.py": "import tasks.sessions  # noqa: F401\n"})
    repo.git("push", "-q", "--no-verify", "origin", "main")
    repo.commit(BROKEN)
    done = run(repo.work, [sys.executable, "-m", "nox", "-s", "prepush"])
    assert done.returncode == 1, done.stdout
    assert "phasegate: push blocked: 1 test(s) failed" in done.stdout
    assert "Session prepush failed" in done.stdout or "Session prepush aborted" in done.stdout


def test_pre_commit_hands_the_range_over_in_its_environment(repo: Pushed) -> None:
    before, after = repo.sha(), repo.commit({"README.md": "docs\n"})
    env = {"PRE_COMMIT_FROM_REF": before, "PRE_COMMIT_TO_REF": after}
    done = run(repo.work, [sys.executable, "-m", "tasks", "hook", "run"], env=env)
    assert done.returncode == 0, done.stdout
    assert nothing_to_test(before, after) in done.stdout


def test_an_internal_error_exits_3_and_still_says_how_to_skip(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def bug() -> int:
        raise RuntimeError("a phasegate bug")

    assert guarded(bug, hint=True) == 3
    err = capsys.readouterr().err
    assert "RuntimeError: a phasegate bug" in err
    assert err.rstrip().endswith(
        "phasegate: internal error (exit 3); please report it\n"
        "phasegate: skip this check with `git push --no-verify` or `PHASEGATE_SKIP=1 git push`"
    )


def test_with_an_impact_index_the_category_weighs_the_changed_lines_it_runs(
    repo: Pushed,
) -> None:
    config = load_config(repo.work)
    run_step(config, Path(sys.executable), Console(quiet=True))  # leaves impact.json
    wait_for_reports(Artifacts(config.reports_dir), config.project)
    repo.commit(BROKEN)
    pushed = repo.push("origin", "main")
    assert pushed.returncode != 0
    assert (
        "    category: production (medium): the production lines it runs (calc/__init__.py:2) "
        "changed since the base; the test did not\n"
    ) in pushed.stdout
    # The full run saw test_add pass: it blocks without a second run at the base.
    assert "failed the same way before this push" not in pushed.stdout
    assert not (repo.work / ".git" / "phasegate" / "base.json").exists()
    # Once the hook saw it fail, the next push checks the base again (it may be fixed there).
    pushed = repo.push("origin", "main")
    assert pushed.returncode != 0
    assert "checking whether they failed the same way before this push" in pushed.stdout


def test_a_test_file_the_push_stops_collecting_blocks_without_a_run_at_the_base(
    repo: Pushed,
) -> None:
    config = load_config(repo.work)
    run_step(config, Path(sys.executable), Console(quiet=True))  # test_add passed: it collected
    wait_for_reports(Artifacts(config.reports_dir), config.project)
    repo.commit({"calc/__init__.py": "def plus(a, b):\n    return a + b\n"})  # add is gone
    pushed = repo.push("origin", "main")
    assert pushed.returncode == 1, pushed.stdout
    assert "  tests/test_calc.py (error in collect)" in pushed.stdout
    assert "failed the same way before this push" not in pushed.stdout
    assert not (repo.work / ".git" / "phasegate" / "base.json").exists()
    # Once the hook saw the file fail, the next push checks the base again.
    pushed = repo.push("origin", "main")
    assert pushed.returncode == 1, pushed.stdout
    assert "checking whether they failed the same way before this push" in pushed.stdout


def test_a_temporary_worktree_gets_the_files_the_checkout_generated_for_itself(
    repo: Pushed,
) -> None:
    # setuptools-scm writes an ignored version module the package imports; an editable
    # install compiles extensions in place: a fresh worktree lacks both.
    (repo.work / ".gitignore").write_text("__pycache__/\ncalc/_version.py\n")
    (repo.work / "calc" / "_version.py").write_text("VERSION = '1.0'\n")
    uses_version = "from calc._version import VERSION\n\n\ndef add(a, b):\n    return a + b\n"
    after = repo.commit({"calc/__init__.py": uses_version})
    (repo.work / "scratch.txt").write_text("untracked: the checkout is not the pushed tree\n")
    pushed = repo.push("origin", "main")
    assert "in a temporary worktree" in pushed.stdout
    assert pushed.returncode == 0, pushed.stdout
    assert repo.remote_sha() == after


def test_a_test_failing_the_same_way_before_the_push_does_not_block_it(repo: Pushed) -> None:
    # Its message holds an object's address, which differs from one process to the next.
    old = "from calc import add\n\n\ndef test_old():\n    assert add(2, 2) == 5, object()\n"
    repo.commit({"tests/test_old.py": old})
    repo.git("push", "-q", "--no-verify", "origin", "main")
    after = repo.commit({"calc/__init__.py": "def add(a, b):\n    return b + a\n"})
    pushed = repo.push("origin", "main")
    assert pushed.returncode == 0, pushed.stdout
    assert (
        "phasegate: 1 test(s) failed the same way before this push (at its base): not caused "
        "by it, they do not block it:\n  tests/test_old.py::test_old\n"
    ) in pushed.stdout
    assert repo.remote_sha() == after
    # a push that changes how it fails, and breaks another test, is blocked by both
    repo.commit(BROKEN)
    pushed = repo.push("origin", "main")
    assert pushed.returncode != 0
    assert "phasegate: push blocked: 2 test(s) failed" in pushed.stdout
    assert "  tests/test_old.py::test_old (failed in call)" in pushed.stdout
    assert "  tests/test_calc.py::test_add (failed in call)" in pushed.stdout
    assert repo.remote_sha() == after


def test_a_quick_selection_runs_in_one_process_even_under_the_projects_xdist(
    repo: Pushed,
) -> None:
    pyproject = '[tool.phasegate]\nvenv = "none"\n\n[tool.pytest.ini_options]\naddopts = "-n 2"\n'
    head = repo.commit({"pyproject.toml": pyproject})
    quick = Selection(
        False, None, False, (SelectedTest("tests/test_calc.py::test_add", ("r",)),), (), 2, 0.1
    )
    out = io.StringIO()
    where = Where.of(repo.work)
    assert check_head(load_config(repo.work), where, head, quick, None, Console(out)) == 0
    replay = (where.state / "run.log").read_text().splitlines()[0]
    assert replay.endswith("-p no:randomly -n0"), replay
    assert "1 passed" in out.getvalue()


def test_a_failed_assert_in_a_helper_of_the_tests_folder_is_test_code(repo: Pushed) -> None:
    """A shared check in tests/ (a unittest mixin, a helper module) is the tests' code, as
    in a validation's triage: its failed assert is an expectation, not production's own
    invariant."""
    helper = {
        "tests/__init__.py": "",
        "tests/checks.py": "from calc import add\n\n\n"
        "def check_add():\n    assert add(2, 2) == 4\n",
        "tests/test_helper.py": "from tests.checks import check_add\n\n\n"
        "def test_via_helper():\n    check_add()\n",
    }
    repo.commit(helper)
    repo.git("push", "-q", "--no-verify", "origin", "main")
    repo.commit(BROKEN)
    pushed = repo.push("origin", "main")
    assert pushed.returncode != 0
    out = pushed.stdout
    assert "  tests/test_helper.py::test_via_helper (failed in call)\n" in out, out
    assert "an assert in production code failed" not in out
    reason = "production (low): the test's expectation disagrees with what production code returns"
    assert f"test_via_helper (failed in call)\n    category: {reason}\n" in out, out
