"""coverage.py's own JSON report as per-file rows, their totals by coverage.py's own
arithmetic, and the gaps the next phase should look at."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from coverage.results import Numbers

from tasks.artifacts.coverage import Gap


def numbers_of(summary: Mapping[str, Any]) -> Numbers:
    """One file's counts as coverage.py's own Numbers (precision applied when summed)."""
    return Numbers(
        n_files=1,
        n_statements=summary["num_statements"],
        n_excluded=summary.get("excluded_lines", 0),
        n_missing=summary["missing_lines"],
        n_branches=summary.get("num_branches", 0),
        n_partial_branches=summary.get("num_partial_branches", 0),
        n_missing_branches=summary.get("missing_branches", 0),
    )


def total_of(rows: Sequence[Mapping[str, Any]], precision: int) -> Numbers:
    """The total of some files with coverage.py's own arithmetic and rounding."""
    return sum((r["numbers"] for r in rows), Numbers(precision=precision))


def file_rows(report: Mapping[str, Any], project: Path) -> list[dict[str, Any]]:
    """Per-file numbers as coverage.py computed them, paths relative to the project."""
    rows = []
    for name, data in report.get("files", {}).items():
        summary = data["summary"]
        path = Path(name)
        rel = (
            path.relative_to(project).as_posix()
            if path.is_absolute() and path.is_relative_to(project)
            else Path(name).as_posix()
        )
        rows.append(
            {
                "file": rel,
                "statements": summary["num_statements"],
                "missing": summary["missing_lines"],
                "percent": summary["percent_covered"],
                "display": summary["percent_covered_display"],
                "missing_lines": data.get("missing_lines", []),
                "executed_lines": data.get("executed_lines", []),
                "numbers": numbers_of(summary),
            }
        )
    return sorted(rows, key=lambda r: r["file"])


def coverage_gaps(rows: Sequence[Mapping[str, Any]], limit: int = 10) -> list[Gap]:
    """The files with the most missed lines: where the next phase should look."""
    ranked = sorted((r for r in rows if r["missing"]), key=lambda r: (-r["missing"], r["file"]))
    return [
        {"file": r["file"], "missing": r["missing"], "display": r["display"]}
        for r in ranked[:limit]
    ]
