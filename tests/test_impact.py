"""The impact index and the phase gates that need git: one instrumented run, checked against
coverage.py's own per-test contexts and a real git history."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import commit_all, write_files
from coverage import CoverageData

from tasks import impact
from tasks.artifacts import Artifacts
from tasks.artifacts.coverage import wait_for_reports
from tasks.artifacts.impact import config_fingerprint
from tasks.config import load_config
from tasks.console import Console
from tasks.coverage.step import coverage_step
from tasks.run.step import run_step

PYTHON = Path(sys.executable)

BASE = {
    "pyproject.toml": """
        [tool.phasegate]
        venv = "none"
        runs = 1
        source = ["pkg"]
    """,
    "pkg/__init__.py": "",
    "pkg/a.py": """
        def add(a, b):
            return a + b


        def sub(a, b):
            return a - b
    """,
    "tests/test_a.py": """
        from pkg.a import add


        def test_add():
            assert add(1, 2) == 3


        def test_add_again():
            assert add(2, 2) == 4
    """,
}
PHASE = {
    "pkg/a.py": """
        def add(a, b):
            return a + b


        def sub(a, b):
            result = a - b
            return result


        def mul(a, b):
            return a * b
    """,
    "pkg/new.py": """
        def sign(x):
            if x < 0:
                return -1
            return 1
    """,
    "tests/test_new.py": """
        from pkg.a import sub
        from pkg.new import sign


        def test_sign():
            assert sign(5) == 1


        def test_sub():
            assert sub(3, 1) == 2
    """,
}


def run_and_cover(project: Path, **cli: str) -> tuple[dict[str, Any], dict[str, Any]]:
    config = load_config(project, cli=cli, env={})
    run = run_step(config, PYTHON, Console(quiet=True))
    return run, coverage_step(config, PYTHON, Console(quiet=True))


@pytest.fixture
def phase(tmp_path: Path) -> tuple[Path, str]:
    project = tmp_path / "proj"
    base = commit_all(write_files(project, BASE), "base")
    write_files(project, PHASE)
    commit_all(project, "phase work")
    return project, base


def test_diff_new_file_and_tested_file_gates_from_a_real_history(phase: tuple[Path, str]) -> None:
    project, base = phase
    # Untracked files that are not production source: never "files added this phase".
    write_files(project, {"docs/notes.md": "# notes\n", "pkg/data.json": "{}\n"})
    _, data = run_and_cover(
        project,
        base_ref=base,
        reports_dir="out",
        diff_min_coverage="70",
        new_file_min_coverage="80",
        tested_min_coverage="60",
    )
    gates = {g["name"].split(" (")[0]: g for g in data["gates"]}
    # Changed statements: a.py 6, 7 (sub, run by test_sub), 10, 11 (mul: def runs on import,
    # body never); new.py 1-4, of which line 3 never runs. 6 of 8 lines.
    assert data["diff"]["covered"] == 6
    assert data["diff"]["coverable"] == 8
    assert (gates["diff coverage"]["status"], gates["diff coverage"]["actual"]) == (
        "pass",
        "75% (6/8 lines)",
    )
    assert data["files_added"] == ["pkg/new.py"]
    assert (gates["new files"]["status"], gates["new files"]["detail"]) == (
        "fail",
        "below the floor: pkg/new.py 75%",
    )
    # test_new.py changed this phase; it runs pkg/a.py and pkg/new.py.
    assert data["files_tested"] == ["pkg/a.py", "pkg/new.py"]
    assert gates["tested this phase"]["status"] == "pass"


def test_gates_needing_a_base_fail_closed_without_one(phase: tuple[Path, str]) -> None:
    project, _ = phase
    _, data = run_and_cover(project, diff_min_coverage="70", new_file_min_coverage="80")
    gates = {g["name"]: g for g in data["gates"]}
    assert gates["diff coverage"]["status"] == "fail"
    assert gates["new files"]["status"] == "fail"
    assert gates["new files"]["detail"].startswith("no base commit")


def test_index_lists_exactly_the_tests_coverage_lists(phase: tuple[Path, str]) -> None:
    project, _ = phase
    run, _ = run_and_cover(project)
    arts = Artifacts(project / ".phasegate/reports")
    index = impact.load(arts.impact_json, project, run["run_id"])
    assert index is not None and index.per_test
    data = CoverageData(basename=str(arts.coverage_data))
    data.read()
    a_py = str(project / "pkg/a.py")
    for line, contexts in data.contexts_by_lineno(a_py).items():
        own = sorted({c.rsplit("|", 1)[0] for c in contexts if c})
        assert index.tests_for_line("pkg/a.py", line) == own
    assert index.tests_for_line("pkg/a.py", 2) == [
        "tests/test_a.py::test_add",
        "tests/test_a.py::test_add_again",
    ]
    assert index.tests_for_line("pkg/a.py", 6) == ["tests/test_new.py::test_sub"]


def test_a_stale_index_is_detected(phase: tuple[Path, str]) -> None:
    project, _ = phase
    run, _ = run_and_cover(project)
    index = impact.load(project / ".phasegate/reports/impact.json", project, run["run_id"])
    assert index is not None and index.stale_files() == []
    (project / "pkg/new.py").write_text("def sign(x):\n    return 0\n")
    assert index.stale_files() == ["pkg/new.py"]


def test_sysmon_forced_by_the_user_still_gives_per_test_contexts(
    phase: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # sys.monitoring (default from Python 3.14) records no per-test contexts; phasegate runs
    # its instrumented run with the ctrace core whatever the environment or config asks.
    project, _ = phase
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.coverage.run]\ncore = "sysmon"\n')
    monkeypatch.setenv("COVERAGE_CORE", "sysmon")
    run, _ = run_and_cover(project)
    index = impact.load(project / ".phasegate/reports/impact.json", project, run["run_id"])
    assert index is not None and index.per_test
    assert index.tests_for_line("pkg/new.py", 2) == ["tests/test_new.py::test_sign"]


def test_data_without_contexts_fails_closed(phase: tuple[Path, str]) -> None:
    # What a run under sysmon leaves: coverage data with no per-test contexts.
    project, base = phase
    config = load_config(project, cli={"base_ref": base, "tested_min_coverage": "50"}, env={})
    run = run_step(config, PYTHON, Console(quiet=True))
    arts = Artifacts(config.reports_dir)
    assert wait_for_reports(arts, project) is None
    subprocess.run(
        [
            sys.executable,
            "-m",
            "coverage",
            "run",
            f"--data-file={arts.coverage_data}",
            "--source=pkg",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests",
        ],
        cwd=project,
        check=True,
        capture_output=True,
    )
    fingerprint = config_fingerprint([], [], [], ["pkg"])
    impact.write(arts.impact_json, arts.coverage_data, project, run["run_id"], fingerprint)
    data = coverage_step(config, PYTHON, Console(quiet=True))
    gate = next(g for g in data["gates"] if g["name"] == "tested this phase")
    assert (gate["status"], gate["detail"]) == ("fail", "the run recorded no per-test contexts")
    assert any("no per-test contexts" in w for w in data["warnings"])
