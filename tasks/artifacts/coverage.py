"""coverage-gates.json: coverage.py's totals for the run, the per-file table, the gaps, the
files tested and added this phase, diff coverage, the history entry and the gates.

Also how a reader waits for coverage.py's own reports, which the run step has written in the
background (the status file is written last: present means finished).

Format history:
    1: first version.
    2: files_added, diff, impact_index; files_tested [] when unknown.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TypedDict

from tasks.artifacts import Artifacts
from tasks.artifacts.gates import GateJSON
from tasks.artifacts.history import HistoryEntry
from tasks.artifacts.store import Kind, load_fresh
from tasks.processes import (
    background_running,
    helper_env,
    helper_python,
    run_limited,
    stop_background,
)


class FileRow(TypedDict):
    file: str
    statements: int
    missing: int
    percent: float
    display: str
    missing_lines: list[int]


class Gap(TypedDict):
    file: str
    missing: int
    display: str


class DiffFile(TypedDict):
    file: str
    covered: int
    coverable: int
    missed_lines: list[int]


class DiffCoverage(TypedDict):
    covered: int
    coverable: int
    percent: float | None
    files: list[DiffFile]
    unmeasured: list[str]


class CoverageArtifact(TypedDict):
    base_run_id: str
    total: float
    display: str
    precision: int
    baseline: float | None
    baseline_note: str
    increase: float | None
    files: list[FileRow]
    gaps: list[Gap]
    files_tested: list[str]
    files_added: list[str] | None
    diff: DiffCoverage | None
    impact_index: str | None
    history_entry: HistoryEntry
    warnings: list[str]
    gates: list[GateJSON]
    reports: dict[str, str]


COVERAGE = Kind("coverage", CoverageArtifact, 2, produced_by="coverage")


def load_coverage(reports_dir: Path, run_id: str) -> CoverageArtifact | None:
    """Coverage evidence made from the run `run_id` (stale evidence is ignored)."""
    return load_fresh(Artifacts(reports_dir).coverage_json, COVERAGE, run_id)


# The background reporter's time limit: it stops itself then, and so does whoever waits.
REPORT_TIMEOUT = 900.0


def reporter_command(arts: Artifacts, project: Path, run_id: str) -> list[str]:
    """The background reporter's command line (`tasks.run.reporter`); it runs in the project's
    folder, which `helper_python` keeps off its sys.path."""
    return helper_python("tasks.run.reporter", str(arts.root), str(project), run_id)


def _reporter_pid(arts: Artifacts) -> int | None:
    try:
        return int(arts.coverage_pid.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def wait_for_reports(arts: Artifacts, project: Path, timeout: float = REPORT_TIMEOUT) -> str | None:
    """Wait for the background reports; write them here if that process is gone.

    Returns the error message of a failed report, or None.
    """
    deadline = time.monotonic() + timeout
    pid = _reporter_pid(arts)
    while not arts.coverage_status.is_file() and pid is not None and background_running(pid):
        if time.monotonic() >= deadline:
            stop_background(pid)
            return (
                f"the coverage reports took longer than {timeout:g}s and were stopped; "
                f"see {arts.coverage_reporter_log}"
            )
        time.sleep(0.05)
    if not arts.coverage_status.is_file():  # the background process is gone: report here
        run_id = json.loads(arts.run_json.read_text(encoding="utf-8"))["run_id"]
        command = reporter_command(arts, project, run_id)
        run_limited(command, timeout, log=arts.coverage_reporter_log, env=helper_env())
    if not arts.coverage_status.is_file():
        return f"the coverage reports were not written; see {arts.coverage_reporter_log}"
    error: str | None = json.loads(arts.coverage_status.read_text(encoding="utf-8")).get("error")
    return error
