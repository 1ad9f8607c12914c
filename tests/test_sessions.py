"""The nox sessions, run by the real nox in a sample project whose noxfile imports them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

Sample = Callable[[str], Path]
NOXFILE = "import tasks.sessions  # noqa: F401\n"


def nox(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nox", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


def test_list_shows_every_session_with_its_docstring(sample: Sample) -> None:
    project = sample("quiet")
    (project / "noxfile.py").write_text(NOXFILE)
    done = nox(project, "--list")
    for name in ("run", "triage", "stability", "coverage", "summary", "validate_phase"):
        assert f"{name} -> " in done.stdout


def test_validate_phase_chains_every_step_and_runs_the_suite_runs_times(sample: Sample) -> None:
    project = sample("quiet")
    (project / "noxfile.py").write_text(NOXFILE)
    done = nox(project, "-s", "validate_phase", "--", "--phase", "07-nox")
    assert done.returncode == 0, done.stdout + done.stderr
    order = [
        line.split("Running session ")[1]
        for line in done.stderr.splitlines()
        if "Running session " in line
    ]
    assert order == ["run", "stability", "triage", "coverage", "summary", "validate_phase"]
    reports = project / ".phasegate/reports"
    assert json.loads((reports / "gates.json").read_text())["phase"] == "07-nox"
    # runs = 2: the run step plus exactly one stability run.
    assert sorted(p.name for p in (reports / "stability").glob("run-*.json")) == ["run-2.json"]


def test_a_failing_gate_fails_the_named_session_only(sample: Sample) -> None:
    project = sample("basic")  # failing tests, 62% coverage
    (project / "noxfile.py").write_text(NOXFILE)
    done = nox(project, "-s", "coverage", "--", "--coverage-target", "90")
    # coverage pulled in run: not named, so its failed tests are recorded, not fatal;
    # coverage was named and fails on its own gate.
    assert done.returncode == 1
    assert "Session run was successful" in done.stderr
    assert "Session coverage aborted: step coverage: a quality gate failed" in done.stderr


def test_bad_config_keeps_the_usage_exit_code(sample: Sample) -> None:
    project = sample("quiet")
    (project / "noxfile.py").write_text(NOXFILE)
    done = nox(project, "-s", "run", "--", "--runs", "zero")
    assert done.returncode == 2
    assert '--runs "zero": must be an integer >= 1' in done.stderr + done.stdout
