"""Every pytest process has a time limit, and a process that hangs or dies inside a test names
that test; phasegate's own helpers never import the project's modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tasks import processes
from tasks.artifacts import Artifacts
from tasks.artifacts.coverage import wait_for_reports
from tasks.config import load_config
from tasks.console import Console
from tasks.pytest_runner import run_limit
from tasks.run.step import run_step

Sample = Callable[[str], Path]
PYTHON = Path(sys.executable)


def outcomes(data: dict[str, list[dict[str, object]]]) -> dict[object, tuple[object, object]]:
    return {t["nodeid"]: (t["outcome"], t["message"]) for t in data["tests"]}


@pytest.mark.parametrize(
    ("cli", "expected"),
    [
        ({}, 3600.0),  # the default max_duration: a run longer than that fails its gate anyway
        ({"max_duration": "20m"}, 1200.0),
        ({"timeout": "90s"}, 90.0),
        ({"timeout": "10m", "max_duration": "20m"}, 600.0),
    ],
)
def test_a_full_runs_limit_is_timeout_else_max_duration(
    tmp_path: Path, cli: dict[str, str], expected: float
) -> None:
    assert run_limit(load_config(tmp_path, cli=cli, env={})) == expected


def test_a_hung_test_is_named_and_fails_the_run_with_exit_1(
    sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = sample("stuck")
    monkeypatch.setenv("STUCK", "sleep")
    done = subprocess.run(
        # Long enough for pytest to start on a busy machine: the limit counts from the spawn.
        [sys.executable, "-m", "tasks", "run", "--timeout", "5s"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "run: timed out after 5s in tests/test_stuck.py::test_stuck" in done.stdout
    run = json.loads((project / ".phasegate/reports/run.json").read_text())
    assert outcomes(run) == {
        "tests/test_stuck.py::test_before": ("passed", ""),
        "tests/test_stuck.py::test_stuck": ("error", "timed out after 5s"),
    }
    assert run["counts"]["error"] == 1
    assert run["pass_rate"] == 50.0
    [stuck] = [t for t in run["tests"] if t["outcome"] == "error"]
    assert (stuck["when"], stuck["crash_path"]) == ("call", str(project / "tests/test_stuck.py"))
    assert not list(project.rglob("*.tmp"))


def test_a_test_that_ignores_sigint_is_killed_and_still_named(
    sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = sample("stuck")
    monkeypatch.setenv("STUCK", "sleep-ignoring-sigint")
    monkeypatch.setattr(processes, "KILL_GRACE", 0.3)
    config = load_config(project, cli={"timeout": "4.5"})
    data = run_step(config, PYTHON, Console(quiet=True))
    assert outcomes(data) == {  # nothing recorded at the end: the journal tells
        "tests/test_stuck.py::test_before": ("passed", ""),
        "tests/test_stuck.py::test_stuck": ("error", "timed out after 4.5s"),
    }
    assert data["exit_code"] == -9
    assert not list(project.rglob("*.tmp"))


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("segv", "the test process died: signal SIGSEGV"),
        ("exit", "the test process died: exit 1 during the test"),
    ],
)
def test_a_test_that_kills_its_process_is_named(
    sample: Sample, monkeypatch: pytest.MonkeyPatch, how: str, message: str
) -> None:
    project = sample("stuck")
    monkeypatch.setenv("STUCK", how)
    data = run_step(load_config(project), PYTHON, Console(quiet=True))
    assert outcomes(data) == {
        "tests/test_stuck.py::test_before": ("passed", ""),
        "tests/test_stuck.py::test_stuck": ("error", message),
    }
    assert data["test_order"] == [
        "tests/test_stuck.py::test_before",
        "tests/test_stuck.py::test_stuck",
        "tests/test_stuck.py::test_after",
    ]
    record = json.loads((project / ".phasegate/reports/run-record.json").read_text())
    assert record["stopped"] == message  # the completed record replaces the recorder's
    assert not list(project.rglob("*.tmp"))


def test_the_coverage_reporter_never_imports_the_projects_tasks_module(
    sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = sample("own_tasks")  # its tasks.py raises on import
    monkeypatch.chdir(project)  # where the user runs phasegate from
    # An empty entry means the current folder: a helper must drop it, as it drops the cwd.
    monkeypatch.setenv("PYTHONPATH", os.pathsep + os.environ.get("PYTHONPATH", ""))
    run_step(load_config(project), PYTHON, Console(quiet=True))
    arts = Artifacts(project / ".phasegate/reports")
    pid = int(arts.coverage_pid.read_text())
    assert processes.wait_exit(pid, deadline=float("inf"))
    assert arts.coverage_status.is_file(), arts.coverage_reporter_log.read_text()
    assert wait_for_reports(arts, project) is None
    assert json.loads(arts.coverage_report_json.read_text())["totals"]["percent_covered"] == 100
