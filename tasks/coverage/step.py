"""The `coverage` step: coverage.py's own totals from the instrumented run, the gates
(tasks.coverage_rules), the files tested this phase (from the impact index), and the phase's
entry in the history.

Every percentage is coverage.py's: its JSON report's totals, its display precision, and its
`should_fail_under` rounding, so a gate agrees with `coverage report --fail-under`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tasks import gitinfo, impact
from tasks.artifacts import Artifacts, read_fresh, write_json
from tasks.artifacts.history import load_history, previous, save_history, upsert
from tasks.base_commit import resolve_base
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.coverage.rules import (
    coverage_gaps,
    diff_coverage,
    diff_gate,
    file_rows,
    floor_gates,
    fmt_pct,
    glob_floor_gates,
    increase_gate,
    precision_of,
    set_floor_gate,
    target_gate,
)
from tasks.errors import ConfigError, MissingArtifactError, PhaseError
from tasks.gates import FAIL, Gate
from tasks.layout import project_layout
from tasks.phase_changes import tests_created
from tasks.run import reporter
from tasks.run.step import load_run
from tasks.stability.step import load_stability


def files_tested(
    config: PhaseConfig,
    base: str | None,
    index: impact.ImpactIndex,
    rows: Sequence[Mapping[str, Any]],
    run: Mapping[str, Any] | None = None,
) -> list[str]:
    """Production files executed by the tests this phase added or changed, from the impact
    index (every tested file when there is no base to say what changed)."""
    layout = project_layout(config, run)
    measured = {r["file"] for r in rows}
    by_test = index.files_by_test()
    if base is None:
        touched = set(by_test)
    else:
        changed = gitinfo.changed_files(config.project, base)
        touched = {t for t in by_test if layout.test_file(t) in changed}
    files = {f for t in touched for f in by_test[t]}
    return sorted(
        f for f in files if f in measured and not layout.is_test_code(str(config.project / f))
    )


def changed_production(
    config: PhaseConfig, base: str
) -> tuple[dict[str, set[int] | None], list[str]]:
    """Production files changed since `base` (project-relative -> changed lines, None: new
    file), and the production files added since `base`."""
    layout = project_layout(config)
    changed = {
        layout.rel(str(path)): lines
        for path, lines in gitinfo.changed_lines(config.project, base).items()
        if layout.in_project(str(path)) and not layout.is_test_code(str(path))
    }
    added = sorted(
        layout.rel(str(p))
        for p in gitinfo.added_files(config.project, base)
        if layout.in_project(str(p)) and not layout.is_test_code(str(p))
    )
    return changed, added


def phase_gates(
    config: PhaseConfig,
    base: str | None,
    rows: Sequence[Mapping[str, Any]],
    tested: list[str] | None,
    precision: int,
) -> tuple[list[Gate], dict[str, Any] | None, list[str] | None]:
    """The gates that need the phase's changes: tested files, new files, diff coverage."""
    gates: list[Gate] = []
    diff = None
    added: list[str] | None = None
    if base is not None:
        changed, added = changed_production(config, base)
        diff = diff_coverage({r["file"]: r for r in rows}, changed)
    no_base = "no base commit: set base_ref or record a previous phase"
    for gate in (
        set_floor_gate(
            "tested this phase",
            rows,
            tested,
            config.tested_min_coverage,
            precision,
            no_base if base is None else "the run recorded no per-test contexts",
            "no production file is executed by a test added or changed this phase",
        ),
        set_floor_gate(
            "new files",
            rows,
            added,
            config.new_file_min_coverage,
            precision,
            no_base,
            "no production file coverage measures was added this phase",
        ),
    ):
        if gate is not None:
            gates.append(gate)
    gates.append(diff_gate(diff, config.diff_min_coverage, precision))
    return gates, diff, added


def _rootdir(run: Mapping[str, Any]) -> Path | None:
    return Path(run["rootdir"]) if run.get("rootdir") else None


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
    error = reporter.wait(arts, config.project)
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
    gates += glob_floor_gates(rows, config.file_floors, precision)

    base, _ = resolve_base(config)
    warnings = []
    index = impact.load(arts.impact_json, config.project, run["run_id"])
    if index is None or not index.per_test:
        warnings.append(
            "the run recorded no per-test contexts (is COVERAGE_CORE=sysmon forced by a "
            "plugin?): files tested this phase and the impact index are unknown"
        )
        tested: list[str] | None = None
    else:
        tested = files_tested(config, base, index, rows, run)
    more, diff, added = phase_gates(
        config, base, rows, None if tested is None or base is None else tested, precision
    )
    gates += more
    stability = load_stability(config, run["run_id"])
    nodeids = [t["nodeid"] for t in run["tests"] if "::" in t["nodeid"]]
    meta = report.get("meta", {})
    entry = {
        "phase": config.phase,
        "date": dt.date.today().isoformat(),
        "commit": gitinfo.head(config.project) if gitinfo.toplevel(config.project) else None,
        "coverage": round(total, 4),
        "increase": None if increase is None else round(increase, 4),
        "files_tested": None if tested is None else len(tested),
        "tests_created": tests_created(config.project, base, nodeids, _rootdir(run)),
        "tests_total": len(nodeids),
        "pass_rate": run["pass_rate"],
        "flaky": len(stability["flaky"]) if stability else None,
        "python": run["python"],
        "coverage_version": meta.get("version"),
        "core": run["coverage"].get("core", "ctrace"),
        "branch": bool(meta.get("branch_coverage")),
    }
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
        "files": [{k: v for k, v in r.items() if k != "executed_lines"} for r in rows],
        "gaps": coverage_gaps(rows),
        "files_tested": tested or [],
        "files_added": added,
        "diff": diff,
        "impact_index": str(arts.impact_json) if index is not None else None,
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
