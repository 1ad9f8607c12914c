"""Nothing lost, nothing half-written, no traceback for a problem on the user's side: a full
disk, a read-only folder, a lone surrogate, a coverage file of another version, a crashing
conftest, a corrupt artifact, a reports folder deleted mid-run. Files phasegate did not write
are never deleted; an earlier run's artifacts never look current; the history lives outside
the disposable reports folder and moves there once from its old place."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import coverage
import pytest
from conftest import commit_all, git, write_files
from coverage.sqldata import SCHEMA_VERSION

from tasks import pipeline
from tasks.artifacts import write_text_atomic
from tasks.cli import main

Sample = Callable[[str], Path]
REPORTS = Path(".phasegate") / "reports"


def phasegate(project: Path, *args: str) -> int:
    return main(["--project", str(project), *args])


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.fixture
def umask() -> Iterator[Callable[[int], None]]:
    saved = os.umask(0o022)
    yield os.umask
    os.umask(saved)


# --- the disk and the folders -----------------------------------------------------------------


def test_a_full_disk_while_writing_the_history_leaves_it_as_it_was(
    sample: Sample, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sample("quiet")
    assert phasegate(project, "run") == 0
    trending = project / ".phasegate" / "trending.json"
    before = json.dumps({"format": 2, "phases": [{"phase": "00-start", "coverage": 10.0}]})
    trending.write_text(before)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    capsys.readouterr()
    assert phasegate(project, "coverage") == 2
    assert error_line(capsys) == (
        f"phasegate: error: {trending}: No space left on device; free some space "
        '(trending = ".phasegate/trending.json", the default)\n'
    )
    assert trending.read_text() == before
    assert not list(project.rglob("*.tmp"))


def test_a_read_only_reports_folder_is_one_line_naming_the_flag(
    sample: Sample, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sample("quiet")
    assert phasegate(project, "validate", "--reports-dir", "out") == 0
    summary = project / "out" / "PHASE-SUMMARY.md"
    before = summary.read_text()

    def read_only(*args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(kwargs["dir"]))

    monkeypatch.setattr("tasks.artifacts.store.tempfile.mkstemp", read_only)
    capsys.readouterr()
    assert phasegate(project, "summary", "--reports-dir", "out") == 2
    chart = project / "out" / "PHASE-SUMMARY-coverage.svg"
    assert error_line(capsys) == (
        f"phasegate: error: {chart}: Read-only file system; choose a writable folder "
        '(--reports-dir "out")\n'
    )
    assert summary.read_text() == before


def test_a_bug_still_exits_3_with_its_trace(
    sample: Sample, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object) -> None:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "/nowhere")

    monkeypatch.setitem(pipeline.STEPS, "summary", broken)
    assert phasegate(sample("quiet"), "summary") == 3
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert err.endswith(
        "phasegate: internal error (exit 3); please report it with the trace above\n"
    )


def test_atomic_writes_get_the_usual_permissions_and_survive_a_lone_surrogate(
    tmp_path: Path, umask: Callable[[int], None]
) -> None:
    path = tmp_path / "deep" / "failures.txt"
    umask(0o027)
    write_text_atomic(path, "ValueError: caf\udce9\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text(encoding="utf-8") == "ValueError: caf\\udce9\n"
    umask(0o022)
    write_text_atomic(path, "again\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in path.parent.iterdir()) == ["failures.txt"]


# --- the user's project and the artifacts -------------------------------------------------------

SURROGATE = {
    "pyproject.toml": '[tool.phasegate]\nvenv = "none"\nruns = 1\n',
    "pkg/__init__.py": "def one():\n    return 1\n",
    "tests/test_text.py": """
        from pkg import one


        def test_says_cafe():
            raise ValueError("caf\\udce9 %d" % one())
        """,
}


def test_a_lone_surrogate_in_a_failure_message_is_written_escaped(tmp_path: Path) -> None:
    project = write_files(tmp_path / "proj", SURROGATE)
    assert phasegate(project, "validate") == 1
    failures = (project / REPORTS / "failures.txt").read_text(encoding="utf-8")
    assert "  error: ValueError: caf\\udce9 1\n" in failures
    assert "status: failed" in (project / REPORTS / "PHASE-SUMMARY.md").read_text()


def test_a_coverage_file_of_another_version_is_one_line(
    sample: Sample, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sample("quiet")
    assert phasegate(project, "run") == 0
    data = project / REPORTS / "coverage" / ".coverage"
    with sqlite3.connect(data) as db:
        db.execute("update coverage_schema set version = 99")
    db.close()
    capsys.readouterr()
    assert phasegate(project, "triage") == 2
    assert error_line(capsys) == (
        f"phasegate: error: coverage.py: Couldn't use data file '{data}': wrong schema: 99 "
        f"instead of {SCHEMA_VERSION}; rerun `phasegate run` to measure again (if this comes "
        f"back, the test environment's coverage.py is not phasegate's "
        f"{coverage.__version__}: install the same version in both)\n"
    )


def test_a_crash_in_the_users_conftest_is_exit_2_not_a_bug(
    sample: Sample, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sample("quiet")
    (project / "tests" / "conftest.py").write_text("import os\n\nos._exit(7)\n")
    assert phasegate(project, "run") == 2
    err = error_line(capsys)
    assert err.startswith("phasegate: error: pytest stopped before reporting (exit 7); full log: ")


def test_a_corrupt_artifact_is_exit_2_not_a_bug(
    sample: Sample, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sample("quiet")
    assert phasegate(project, "run") == 0
    run_json = project / REPORTS / "run.json"
    run_json.write_text("{")
    capsys.readouterr()
    assert phasegate(project, "coverage") == 2
    assert error_line(capsys) == (
        f"phasegate: error: {run_json}: not valid JSON (Expecting property name enclosed in "
        "double quotes: line 1 column 2 (char 1)); rerun `phasegate run`\n"
    )
    assert run_json.read_text() == "{"


VANISHING = {
    "pyproject.toml": '[tool.phasegate]\nvenv = "none"\nruns = 1\n',
    "pkg/__init__.py": "def one():\n    return 1\n",
    "tests/test_clean.py": """
        import pathlib
        import shutil

        from pkg import one


        def test_cleans_up_too_much():
            root = pathlib.Path(__file__).resolve().parent.parent
            shutil.rmtree(root / ".phasegate" / "reports")
            assert one() == 1
        """,
}


def test_a_reports_folder_deleted_during_the_run_is_reported_as_that(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_files(tmp_path / "proj", VANISHING)
    assert phasegate(project, "validate") == 2
    assert error_line(capsys) == (
        f"phasegate: error: the reports folder {project / REPORTS} vanished during the run "
        "(deleted or replaced by something else); what phasegate wrote there is lost: "
        f"rerun `phasegate --project {project} validate`\n"
    )


# --- only phasegate's own files are deleted; nothing stale looks current ----------------------


def test_a_reports_dir_of_the_project_keeps_its_own_files(sample: Sample) -> None:
    project = sample("quiet")
    plan = write_files(project, {"docs/coverage/PLAN.md": "# the plan\n"}) / "docs/coverage/PLAN.md"
    commit_all(project, "a plan")
    assert phasegate(project, "run", "--reports-dir", "docs") == 0
    html = project / "docs" / "coverage" / "html"
    (html / "stale_py.html").write_text("from an earlier run")
    assert phasegate(project, "run", "--reports-dir", "docs") == 0
    assert plan.read_text() == "# the plan\n"
    assert (html / "index.html").is_file()  # phasegate made html/: it may replace it whole
    assert not (html / "stale_py.html").exists()
    assert not (project / "docs" / ".gitignore").exists()
    assert git(project, "status", "--porcelain", "--", "docs/coverage/PLAN.md") == ""


def test_a_run_that_stops_early_leaves_nothing_of_the_last_run_looking_current(
    sample: Sample, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sample("quiet")
    assert phasegate(project, "validate") == 0
    reports = project / REPORTS
    assert "status: passed" in (reports / "PHASE-SUMMARY.md").read_text()
    (project / "no_tests").mkdir()
    assert phasegate(project, "validate", "--tests", "no_tests") == 2
    assert 'no tests collected from --tests "no_tests"' in capsys.readouterr().err
    gone = ["run.json", "gates.json", "triage.json", "stability.json", "coverage-gates.json"]
    assert [name for name in gone if (reports / name).exists()] == []
    summary = (reports / "PHASE-SUMMARY.md").read_text()
    assert "status: passed" not in summary
    head, note = summary.split("\n---\n\n")[0], summary.split("\n---\n\n")[1].splitlines()[0]
    assert "\nstatus: stale\n" in head + "\n"
    assert note.startswith("> **Stale:** written by an earlier run. A new run started at ")
    assert note.endswith(
        "and has not written its summary (yet): see its run.log and the step that stopped."
    )


# --- where the history lives --------------------------------------------------------------------


def test_the_history_and_reports_move_once_from_their_old_default_place(
    sample: Sample, capsys: pytest.CaptureFixture[str]
) -> None:
    project = sample("quiet")
    old = project / "reports" / "phasegate"
    history = json.dumps({"format": 2, "phases": [{"phase": "00-start", "coverage": 10.0}]})
    seen = json.dumps({"format": 1, "tests": {}})
    write_files(old, {"trending.json": history, "flaky-seen.json": seen, "run.log": "old\n"})
    assert phasegate(project, "run") == 0
    out = capsys.readouterr().out
    assert (
        "phasegate: moved reports/phasegate/trending.json and reports/phasegate/flaky-seen.json "
        "to .phasegate/, the history's new default place\n"
    ) in out
    assert (
        "phasegate: moved the reports folder reports/phasegate to .phasegate/reports, its new "
        "default place (build tools took reports/ for a package)\n"
    ) in out
    assert (project / ".phasegate" / "trending.json").read_text() == history
    assert (project / ".phasegate" / "flaky-seen.json").read_text() == seen
    assert not (project / "reports").exists()
    assert (project / REPORTS / ".gitignore").read_text().splitlines()[-1] == "*"
    assert phasegate(project, "run") == 0
    assert "moved" not in capsys.readouterr().out  # once


def test_git_sees_the_history_but_not_the_reports_nor_the_lock(sample: Sample) -> None:
    project = sample("quiet")
    commit_all(project, "start")
    assert phasegate(project, "validate") == 0
    status = git(project, "status", "--porcelain", "--untracked-files=all")
    assert sorted(status.splitlines()) == [
        "?? .phasegate/.gitignore",
        "?? .phasegate/trending.json",
    ]
