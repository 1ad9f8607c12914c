"""run.json: every test's outcome in the instrumented run, pytest's counts and the replay
command; and the recorder's raw output of each run (run-record.json, stability/run-N.json).

Format history:
    1: first version.
    2: coverage.impact_index; rootdir (pytest's, which node ids are relative to).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypedDict

from tasks.artifacts import Artifacts
from tasks.artifacts.store import Kind, load
from tasks.results import TestRecord, merge_reports


class RecordJSON(TypedDict):
    nodeid: str
    outcome: str
    when: str
    duration: float
    message: str
    crash_path: str | None
    crash_lineno: int | None
    longrepr: str
    exception: dict[str, Any] | None


class RunCoverage(TypedDict):
    sources: list[str]
    data_file: str
    json_report: str
    html_report: str
    impact_index: str
    contexts: bool
    core: str


class RunArtifact(TypedDict):
    run_id: str
    phase: str
    started: str
    duration: float
    exit_code: int
    python: str
    pytest_version: str
    rootdir: str
    order: str
    replay: str
    counts: dict[str, int]
    pass_rate: float | None
    test_order: list[str]
    coverage: RunCoverage | None
    coverage_note: str
    tests: list[RecordJSON]


RUN = Kind("run", RunArtifact, 2, produced_by="run")


def load_run(reports_dir: Path) -> RunArtifact:
    return load(Artifacts(reports_dir).run_json, RUN)


def tests_of(run: RunArtifact) -> list[TestRecord]:
    return [TestRecord.from_json(t) for t in run["tests"]]


def node_ids(run: RunArtifact) -> list[str]:
    """The node ids of the tests (not of modules that failed to collect)."""
    return [t["nodeid"] for t in run["tests"] if "::" in t["nodeid"]]


def raw_record(path: Path) -> dict[str, Any]:
    """The recorder's own output of one run (order, workers, reports), if still there."""
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"reports": [], "order": []}
    return data


def run_record_path(reports_dir: Path, run_index: int) -> Path:
    """The recorder output of stability run `run_index` (run 1 is the `run` step's)."""
    arts = Artifacts(reports_dir)
    return arts.run_record if run_index == 1 else arts.stability_dir / f"run-{run_index}.json"


def failing_record(reports_dir: Path, run_index: int, nodeid: str) -> TestRecord | None:
    """How `nodeid` failed in stability run `run_index`."""
    record = raw_record(run_record_path(reports_dir, run_index))
    return next((t for t in merge_reports(record["reports"]) if t.nodeid == nodeid), None)
