"""The `coverage` step: coverage.py's own totals from the instrumented run, the gates (target,
increase over the baseline, per-file floors), and the phase's entry in the history.

Every percentage is coverage.py's: its JSON report's totals, its display precision, and its
`should_fail_under` rounding, so a gate agrees with `coverage report --fail-under`.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from coverage.results import should_fail_under

from tasks import coverage_reports, gitinfo
from tasks.artifacts import Artifacts, read_fresh, write_json
from tasks.base import resolve_base
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.errors import ConfigError, MissingArtifactError, PhaseError
from tasks.gates import FAIL, NOT_APPLICABLE, PASS, Gate
from tasks.impact import files_by_test
from tasks.layout import project_layout
from tasks.phase_facts import tests_created
from tasks.run import load_run
from tasks.stability import load_stability
from tasks.trend import load_history, previous, save_history, upsert

# "decreased by 0.00" must never fail a no-decrease gate: increases are compared at 2 decimals.
INCREASE_TOLERANCE = 0.005


def precision_of(display: str) -> int:
    """The project's report precision, read off coverage.py's own formatted total."""
    return len(display.split(".", 1)[1]) if "." in display else 0


def fmt_pct(value: float | None, precision: int) -> str:
    return "n/a" if value is None else f"{value:.{precision}f}%"


def target_gate(name: str, total: float, target: float | None, precision: int, what: str) -> Gate:
    if target is None:
        return Gate(name, "not set", fmt_pct(total, precision), NOT_APPLICABLE)
    failed = should_fail_under(total, target, precision)
    detail = (
        f"{what} is {fmt_pct(total, precision)}, below the {target:g}% required" if failed else ""
    )
    return Gate(
        name, f">= {target:g}%", fmt_pct(total, precision), FAIL if failed else PASS, detail
    )


def increase_gate(increase: float | None, minimum: float | None, baseline_note: str) -> Gate:
    name = "coverage increase"
    if minimum is None:
        shown = "n/a" if increase is None else f"{increase:+.2f}"
        return Gate(name, "not set", shown, NOT_APPLICABLE)
    if increase is None:
        return Gate(
            name,
            f">= +{minimum:g}",
            "n/a",
            FAIL,
            "no baseline: set coverage_baseline or record a previous phase",
        )
    ok = increase >= minimum - INCREASE_TOLERANCE
    detail = (
        ""
        if ok
        else (
            f"coverage rose {increase:+.2f} points over {baseline_note}, "
            f"less than the +{minimum:g} required"
        )
    )
    return Gate(name, f">= +{minimum:g}", f"{increase:+.2f}", PASS if ok else FAIL, detail)


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
            }
        )
    return sorted(rows, key=lambda r: r["file"])


def floor_gates(
    rows: Sequence[Mapping[str, Any]], floor: float | None, patterns: Sequence[str], precision: int
) -> list[Gate]:
    if floor is None:
        return []
    chosen = [
        r for r in rows if not patterns or any(fnmatch.fnmatch(r["file"], p) for p in patterns)
    ]
    if not chosen:
        return [
            Gate(
                "file floor",
                f">= {floor:g}%",
                "no file",
                FAIL,
                f"no measured file matches files = {list(patterns)}",
            )
        ]
    below = [r for r in chosen if should_fail_under(r["percent"], floor, precision)]
    detail = "; ".join(f"{r['file']} {r['display']}%" for r in below[:5])
    return [
        Gate(
            f"file floor ({len(chosen)} files)",
            f">= {floor:g}% each",
            f"{len(chosen) - len(below)}/{len(chosen)} meet it",
            FAIL if below else PASS,
            f"below the floor: {detail}" if below else "",
        )
    ]


def coverage_gaps(rows: Sequence[Mapping[str, Any]], limit: int = 10) -> list[dict[str, Any]]:
    """The files with the most missed lines: where the next phase should look."""
    ranked = sorted((r for r in rows if r["missing"]), key=lambda r: (-r["missing"], r["file"]))
    return [
        {"file": r["file"], "missing": r["missing"], "display": r["display"]}
        for r in ranked[:limit]
    ]


def files_tested(
    config: PhaseConfig,
    base: str | None,
    tests_files: Mapping[str, set[str]],
    rows: Sequence[Mapping[str, Any]],
) -> list[str]:
    """Production files run by the tests this phase added or changed (all tested files when
    there is no base)."""
    layout = project_layout(config)
    measured = {r["file"] for r in rows}
    if base is None:
        touched = set(tests_files)
    else:
        changed = gitinfo.changed_files(config.project, base)
        touched = {t for t in tests_files if (config.project / t.split("::")[0]) in changed}
    files = {layout.rel(f) for t in touched for f in tests_files[t]}
    return sorted(f for f in files if f in measured)


def load_report(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise MissingArtifactError(
            f"{path} not found: the run wrote no coverage report; rerun `phasegate run` "
            "and check its log for coverage errors"
        )
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def coverage_step(config: PhaseConfig, python: Path, console: Console) -> dict[str, Any]:
    arts = Artifacts(config.reports_dir)
    run = load_run(config)
    if run.get("coverage") is None:
        raise ConfigError(f"the run measured no coverage: {run.get('coverage_note')}")
    error = coverage_reports.wait(arts, config.project)
    if error is not None:
        raise PhaseError(f"coverage could not report on {arts.coverage_data}: {error}")
    report = load_report(arts.coverage_report_json)
    text = arts.coverage_dir / "report.txt"
    if text.is_file():
        console.write(text.read_text(encoding="utf-8").rstrip())
    totals = report.get("totals", {})
    rows = file_rows(report, config.project)
    gates: list[Gate] = []
    if not rows or not totals.get("num_statements"):
        # Fail closed: no data is never a pass.
        total, precision = 0.0, 0
        gates.append(
            Gate(
                "coverage data",
                "measured",
                "empty",
                FAIL,
                "coverage measured no statements: check `source` in [tool.phasegate]",
            )
        )
    else:
        total = float(totals["percent_covered"])
        precision = precision_of(str(totals["percent_covered_display"]))
    history = load_history(config.trending)
    before = previous(history, config.phase)
    if config.coverage_baseline is not None:
        baseline, baseline_note = config.coverage_baseline, "coverage_baseline"
    elif before is not None and isinstance(before.get("coverage"), int | float):
        baseline, baseline_note = float(before["coverage"]), f"phase {before['phase']}"
    else:
        baseline, baseline_note = None, "no baseline"
    increase = None if baseline is None or not rows else total - baseline
    gates.append(
        target_gate("coverage target", total, config.coverage_target, precision, "total coverage")
    )
    gates.append(increase_gate(increase, config.min_increase, baseline_note))
    gates += floor_gates(rows, config.file_min_coverage, config.files, precision)

    base, _ = resolve_base(config)
    tests_files = files_by_test(arts.coverage_data)
    tested = files_tested(config, base, tests_files, rows)
    stability = load_stability(config, run["run_id"])
    nodeids = [t["nodeid"] for t in run["tests"] if "::" in t["nodeid"]]
    meta = report.get("meta", {})
    entry = {
        "phase": config.phase,
        "date": dt.date.today().isoformat(),
        "commit": gitinfo.head(config.project) if gitinfo.toplevel(config.project) else None,
        "coverage": round(total, 4),
        "increase": None if increase is None else round(increase, 4),
        "files_tested": len(tested),
        "tests_created": tests_created(config.project, base, nodeids),
        "tests_total": len(nodeids),
        "pass_rate": run["pass_rate"],
        "flaky": len(stability["flaky"]) if stability else None,
        "python": run["python"],
        "coverage_version": meta.get("version"),
        "core": run["coverage"].get("core", "ctrace"),
        "branch": bool(meta.get("branch_coverage")),
    }
    warnings = []
    if (
        before is not None
        and (before.get("core"), before.get("branch")) != (entry["core"], entry["branch"])
        and before.get("core") is not None
    ):
        warnings.append(
            f"phase {before['phase']} was measured with core={before.get('core')}, "
            f"branch={before.get('branch')}; this one with core={entry['core']}, "
            f"branch={entry['branch']}: the increase compares different measurements"
        )
    if rows:
        save_history(config.trending, upsert(history, entry))
    data = {
        "base_run_id": run["run_id"],
        "total": total,
        "display": fmt_pct(total, precision),
        "precision": precision,
        "baseline": baseline,
        "baseline_note": baseline_note,
        "increase": increase,
        "files": rows,
        "gaps": coverage_gaps(rows),
        "files_tested": tested,
        "history_entry": entry,
        "warnings": warnings,
        "gates": [g.to_json() for g in gates],
        "reports": {"json": str(arts.coverage_report_json), "html": str(arts.coverage_html)},
    }
    write_json(arts.coverage_json, "coverage", data)
    for warning in warnings:
        console.step(f"coverage: warning: {warning}")
    failed = sum(g.failed for g in gates)
    console.step(
        f"coverage: {fmt_pct(total, precision)} total"
        + (f", {increase:+.2f} over {baseline_note}" if increase is not None else "")
        + (f"; {failed} gate(s) failed" if failed else "; gates pass")
        + f"; history: {config.trending}"
    )
    return data


def load_coverage(config: PhaseConfig, run_id: str) -> dict[str, Any] | None:
    """coverage evidence made from the run `run_id` (stale evidence is ignored)."""
    return read_fresh(Artifacts(config.reports_dir).coverage_json, "coverage", "coverage", run_id)
