"""The coverage step's pure half: from coverage.py's JSON report, the history and what git
said about the phase, the totals, the gates, the history entry and coverage-gates.json.

Every percentage is coverage.py's: its JSON report's totals, its display precision, and its
`should_fail_under` rounding, so a gate agrees with `coverage report --fail-under`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from tasks.artifacts.coverage import CoverageArtifact, DiffCoverage, FileRow
from tasks.artifacts.history import HistoryEntry
from tasks.artifacts.run import RunArtifact, node_ids
from tasks.config import PhaseConfig
from tasks.coverage.files import coverage_gaps, total_of
from tasks.coverage.rules import (
    diff_coverage,
    diff_gate,
    floor_gates,
    fmt_pct,
    glob_floor_gates,
    increase_gate,
    precision_of,
    set_floor_gate,
    target_gate,
)
from tasks.gates import FAIL, Gate

NO_BASE = "no base commit: set base_ref or record a previous phase"
NO_CONTEXTS = (
    "the run recorded no per-test contexts (is COVERAGE_CORE=sysmon forced by a plugin?): "
    "files tested this phase and the impact index are unknown"
)


@dataclasses.dataclass(frozen=True)
class PhaseChanges:
    """What git says changed in production code since the base commit."""

    lines: dict[str, set[int] | None]  # project-relative file -> changed lines (None: new)
    added: list[str]


@dataclasses.dataclass(frozen=True)
class Gathered:
    """Everything the I/O half read: the run, coverage.py's report, the history, git."""

    run: RunArtifact
    report: Mapping[str, Any]  # coverage.py's own JSON report
    rows: list[dict[str, Any]]  # tasks.coverage.files.file_rows of the report, production only
    measured_tests: list[str]  # test files the project's coverage config also measured
    history: list[HistoryEntry]
    previous: HistoryEntry | None
    base: str | None
    changes: PhaseChanges | None  # None without a base
    tested: list[str] | None  # None when the run recorded no per-test contexts
    impact_index: str | None
    tests_created: int | None
    flaky: int | None  # None when stability did not run on this run
    commit: str | None
    today: str


def _total(g: Gathered) -> tuple[float, int, list[Gate]]:
    """The total, its display precision, and the fail-closed gate when nothing was measured.

    coverage.py's own total, or, when the project's config also measured test files, the
    total of the production files by coverage.py's own arithmetic (its Numbers)."""
    totals = g.report.get("totals", {})
    if g.rows and totals.get("num_statements"):
        precision = precision_of(totals["percent_covered_display"])
        if g.measured_tests:
            production = total_of(g.rows, precision)
            if production.n_statements:
                return production.pc_covered, precision, []
        else:
            return float(totals["percent_covered"]), precision, []
    empty = Gate(
        "coverage data",
        "measured",
        "empty",
        FAIL,
        "coverage measured no statements: check `source` in [tool.phasegate]",
    )
    return 0.0, 0, [empty]


def baseline_of(config: PhaseConfig, before: HistoryEntry | None) -> tuple[float | None, str]:
    if config.coverage_baseline is not None:
        return config.coverage_baseline, "coverage_baseline"
    if before is not None and isinstance(before.get("coverage"), int | float):
        return float(before["coverage"]), f"phase {before['phase']}"
    return None, "no baseline"


def phase_gates(
    config: PhaseConfig, g: Gathered, precision: int
) -> tuple[list[Gate], DiffCoverage | None]:
    """The gates that need the phase's changes: tested files, new files, diff coverage."""
    diff = None
    if g.changes is not None:
        diff = diff_coverage({r["file"]: r for r in g.rows}, g.changes.lines)
    tested = set_floor_gate(
        "tested this phase",
        g.rows,
        None if g.base is None else g.tested,
        config.tested_min_coverage,
        precision,
        NO_BASE if g.base is None else "the run recorded no per-test contexts",
        "no production file is executed by a test added or changed this phase",
    )
    added = set_floor_gate(
        "new files",
        g.rows,
        g.changes.added if g.changes else None,
        config.new_file_min_coverage,
        precision,
        NO_BASE,
        "no production file coverage measures was added this phase",
    )
    gates = [gate for gate in (tested, added) if gate is not None]
    return [*gates, diff_gate(diff, config.diff_min_coverage, precision)], diff


def history_entry(
    config: PhaseConfig, g: Gathered, total: float, increase: float | None
) -> HistoryEntry:
    meta = g.report.get("meta", {})
    run = g.run
    return {
        "phase": config.phase,
        "date": g.today,
        "commit": g.commit,
        "coverage": round(total, 4),
        "increase": None if increase is None else round(increase, 4),
        "files_tested": None if g.tested is None else len(g.tested),
        "tests_created": g.tests_created,
        "tests_total": len(node_ids(run)),
        "pass_rate": run["pass_rate"],
        "flaky": g.flaky,
        "python": run["python"],
        "coverage_version": meta.get("version"),
        "core": run["coverage"]["core"] if run["coverage"] else "ctrace",
        "branch": bool(meta.get("branch_coverage")),
    }


def measurement_warning(before: HistoryEntry | None, entry: HistoryEntry) -> str | None:
    """A warning when the previous phase was measured another way (core, branch)."""
    if before is None or before.get("core") is None:
        return None
    if (before.get("core"), before.get("branch")) == (entry.get("core"), entry.get("branch")):
        return None
    return (
        f"phase {before['phase']} was measured with core={before.get('core')}, "
        f"branch={before.get('branch')}; this one with core={entry.get('core')}, "
        f"branch={entry.get('branch')}: the increase compares different measurements"
    )


def _file_row(row: Mapping[str, Any]) -> FileRow:
    return {
        "file": row["file"],
        "statements": row["statements"],
        "missing": row["missing"],
        "percent": row["percent"],
        "display": row["display"],
        "missing_lines": row["missing_lines"],
    }


def coverage_facts(config: PhaseConfig, g: Gathered, reports: dict[str, str]) -> CoverageArtifact:
    """coverage-gates.json's content."""
    total, precision, gates = _total(g)
    baseline, baseline_note = baseline_of(config, g.previous)
    increase = None if baseline is None or not g.rows else total - baseline
    gates.append(
        target_gate("coverage target", total, config.coverage_target, precision, "total coverage")
    )
    gates.append(increase_gate(increase, config.min_increase, baseline_note))
    gates += floor_gates(g.rows, config.file_min_coverage, config.files, precision)
    gates += glob_floor_gates(g.rows, config.file_floors, precision)
    more, diff = phase_gates(config, g, precision)
    entry = history_entry(config, g, total, increase)
    warnings = [NO_CONTEXTS] if g.tested is None else []
    if g.measured_tests:
        shown = ", ".join(g.measured_tests[:3]) + (" ..." if len(g.measured_tests) > 3 else "")
        warnings.append(
            f"the project's coverage config also measures {len(g.measured_tests)} test "
            f"file(s) ({shown}): they are left out of the total and the gates; coverage.py's "
            "own reports still include them"
        )
    warning = measurement_warning(g.previous, entry)
    return {
        "base_run_id": g.run["run_id"],
        "total": total,
        "display": fmt_pct(total, precision),
        "precision": precision,
        "baseline": baseline,
        "baseline_note": baseline_note,
        "increase": increase,
        "files": [_file_row(r) for r in g.rows],
        "gaps": coverage_gaps(g.rows),
        "files_tested": g.tested or [],
        "files_added": g.changes.added if g.changes else None,
        "diff": diff,
        "impact_index": g.impact_index,
        "history_entry": entry,
        "warnings": [*warnings, *([warning] if warning else [])],
        "gates": [gate.to_json() for gate in [*gates, *more]],
        "reports": reports,
    }


def measured(g: Gathered) -> bool:
    """Whether coverage measured any production statement: only then does the phase enter
    the history."""
    return any(r["statements"] for r in g.rows)
