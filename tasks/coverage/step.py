"""The `coverage` step: coverage.py's own totals from the instrumented run, the gates
(tasks.coverage.rules), the files tested this phase (from the impact index), and the phase's
entry in the history. Load -> compute (tasks.coverage.facts) -> write.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tasks import gitinfo, impact
from tasks.artifacts import Artifacts, store
from tasks.artifacts.coverage import COVERAGE, CoverageArtifact, wait_for_reports
from tasks.artifacts.history import load_history, previous, save_history, upsert
from tasks.artifacts.run import RunArtifact, load_run, node_ids
from tasks.artifacts.stability import load_stability
from tasks.base_commit import resolve_base
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.coverage.facts import Gathered, PhaseChanges, coverage_facts, measured
from tasks.coverage.files import file_rows
from tasks.coverage.rules import fmt_pct
from tasks.errors import ConfigError, MissingArtifactError, PhaseError
from tasks.layout import Layout, project_layout
from tasks.phase_changes import tests_created


def files_tested(
    layout: Layout,
    changed: Mapping[Path, object] | None,
    index: impact.ImpactIndex,
    rows: Sequence[Mapping[str, Any]],
) -> list[str]:
    """Production files (`rows`) executed by the tests this phase added or changed, from the
    impact index; every tested file when there is no base to say what changed (`changed`)."""
    by_test = index.files_by_test()
    touched = (
        set(by_test) if changed is None else {t for t in by_test if layout.test_file(t) in changed}
    )
    measured = {r["file"] for r in rows}
    return sorted({f for t in touched for f in by_test[t]} & measured)


def changed_production(
    config: PhaseConfig, layout: Layout, base: str, changed: Mapping[Path, set[int] | None]
) -> PhaseChanges:
    """Production files changed since `base` (project-relative -> changed lines, None: new
    file), and the production source files added since `base`: Python files outside the
    tests and outside phasegate's own reports, committed or not."""

    def production(path: Path) -> bool:
        return (
            layout.in_project(str(path))
            and not layout.is_test_code(str(path))
            and not path.is_relative_to(config.reports_dir)
        )

    lines = {layout.rel(str(path)): n for path, n in changed.items() if production(path)}
    added = sorted(
        layout.rel(str(p))
        for p in gitinfo.added_files(config.project, base)
        if p.suffix == ".py" and production(p)
    )
    return PhaseChanges(lines, added)


def load_report(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise MissingArtifactError(
            f"{path} not found: the run wrote no coverage report; rerun `phasegate run` "
            "and check its log for coverage errors"
        )
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def gather(config: PhaseConfig, run: RunArtifact, report: dict[str, Any]) -> Gathered:
    """The I/O half: history, base commit, impact index, git changes, stability."""
    arts = Artifacts(config.reports_dir)
    layout = project_layout(config, run)
    measured_files = file_rows(report, config.project)
    tests = {
        r["file"] for r in measured_files if layout.is_test_code(str(config.project / r["file"]))
    }
    rows = [r for r in measured_files if r["file"] not in tests]
    history = load_history(config.trending)
    base, _ = resolve_base(config)
    index = impact.load(arts.impact_json, config.project, run["run_id"])
    # One git diff serves both questions: which tests changed, which production lines did.
    changed = None if base is None else gitinfo.changed_lines(config.project, base)
    tested = None
    if index is not None and index.per_test:
        tested = files_tested(layout, changed, index, rows)
    stability = load_stability(config.reports_dir, run["run_id"])
    rootdir = Path(run["rootdir"]) if run["rootdir"] else None
    return Gathered(
        run=run,
        report=report,
        rows=rows,
        measured_tests=sorted(tests),
        history=history,
        previous=previous(history, config.phase),
        base=base,
        changes=None
        if base is None or changed is None
        else changed_production(config, layout, base, changed),
        tested=tested,
        impact_index=str(arts.impact_json) if index is not None else None,
        tests_created=tests_created(config.project, base, node_ids(run), rootdir),
        flaky=len(stability["flaky"]) if stability else None,
        commit=gitinfo.head(config.project) if gitinfo.toplevel(config.project) else None,
        today=dt.date.today().isoformat(),
    )


def coverage_step(config: PhaseConfig, python: Path, console: Console) -> CoverageArtifact:
    arts = Artifacts(config.reports_dir)
    run = load_run(config.reports_dir)
    if run["coverage"] is None:
        raise ConfigError(f"the run measured no coverage: {run['coverage_note']}")
    error = wait_for_reports(arts, config.project)
    if error is not None:
        raise PhaseError(f"coverage could not report on {arts.coverage_data}: {error}")
    report = load_report(arts.coverage_report_json)
    if arts.coverage_text.is_file():
        console.write(arts.coverage_text.read_text(encoding="utf-8").rstrip())
    gathered = gather(config, run, report)
    reports = {"json": str(arts.coverage_report_json), "html": str(arts.coverage_html)}
    data = coverage_facts(config, gathered, reports)
    if measured(gathered):  # a phase that measured nothing never enters the history
        save_history(config.trending, upsert(gathered.history, data["history_entry"]))
    store.write(arts.coverage_json, COVERAGE, data)
    _report(config, data, console)
    return data


def _report(config: PhaseConfig, data: CoverageArtifact, console: Console) -> None:
    for warning in data["warnings"]:
        console.step(f"coverage: warning: {warning}")
    failed = sum(g["status"] == "fail" for g in data["gates"])
    increase = data["increase"]
    console.step(
        f"coverage: {fmt_pct(data['total'], data['precision'])} total"
        + (f", {increase:+.2f} over {data['baseline_note']}" if increase is not None else "")
        + (f"; {failed} gate(s) failed" if failed else "; gates pass")
        + f"; history: {config.trending}"
    )
