"""The `summary` step: one `Summary` built from the artifacts, rendered to markdown
(tasks.summary.markdown) with its SVG trend chart beside it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tasks.artifacts import Artifacts, write_text_atomic
from tasks.artifacts.coverage import CoverageArtifact, load_coverage
from tasks.artifacts.history import load_history
from tasks.artifacts.run import RunArtifact, load_run, node_ids
from tasks.artifacts.stability import StabilityArtifact, load_stability
from tasks.artifacts.triage import load_triage
from tasks.base_commit import resolve_base
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.gates import FAIL, Gate, any_failed
from tasks.phase_changes import fix_commits, tests_created
from tasks.summary.chart import coverage_svg
from tasks.summary.markdown import render_markdown
from tasks.summary.model import Summary, points


def collect_gates(config: PhaseConfig, run: RunArtifact) -> list[Gate]:
    """Every gate of the steps that ran on this run; a step that did not run is a failed gate."""
    stability = load_stability(config.reports_dir, run["run_id"])
    return gates_of(stability, load_coverage(config.reports_dir, run["run_id"]))


def gates_of(stability: StabilityArtifact | None, coverage: CoverageArtifact | None) -> list[Gate]:
    gates: list[Gate] = []
    for name, data in (("stability", stability), ("coverage", coverage)):
        if data is None:
            why = f"run `phasegate {name}` (or `nox -s {name}`) on this run"
            gates.append(Gate(f"{name} step", "ran", "not run", FAIL, why))
        else:
            gates += [Gate.from_json(g) for g in data["gates"]]
    return gates


def build_summary(config: PhaseConfig) -> Summary:
    """All the facts the summary shows."""
    run = load_run(config.reports_dir)
    coverage = load_coverage(config.reports_dir, run["run_id"])
    stability = load_stability(config.reports_dir, run["run_id"])
    base, base_note = resolve_base(config)
    gates = gates_of(stability, coverage)
    history = load_history(config.trending)
    rootdir = Path(run["rootdir"]) if run["rootdir"] else None
    return Summary(
        phase=config.phase,
        date=dt.date.today().isoformat(),
        passed=not any_failed(gates),
        base=base,
        base_note=base_note,
        run=run,
        tests_total=len(node_ids(run)),
        # The coverage step measured it for this very run (one `git show` per test file).
        tests_created=coverage["history_entry"].get("tests_created")
        if coverage
        else tests_created(config.project, base, node_ids(run), rootdir),
        fixes=fix_commits(config.project, base),
        stability=stability,
        coverage=coverage,
        triage=load_triage(config.reports_dir, run["run_id"]),
        gates=[g.to_json() for g in gates],
        history=history,
        chart=chart_path(config).name if points(history) else None,
        artifacts=str(config.reports_dir),
    )


def chart_path(config: PhaseConfig) -> Path:
    """The SVG trend chart, beside the summary that links it."""
    return config.summary.with_name(config.summary.stem + "-coverage.svg")


def summary_step(config: PhaseConfig, python: Path, console: Console) -> Summary:
    summary = build_summary(config)
    if summary.chart:
        write_text_atomic(chart_path(config), coverage_svg(points(summary.history)))
    write_text_atomic(config.summary, render_markdown(summary))
    console.step(f"summary: written to {config.summary}")
    return summary


def artifact_paths(config: PhaseConfig) -> list[tuple[str, Path]]:
    arts = Artifacts(config.reports_dir)
    return [
        ("summary", config.summary),
        ("gates", arts.gates_json),
        ("run", arts.run_json),
        ("junit", arts.junit_xml),
        ("log", arts.run_log),
        ("triage", arts.failures_txt),
        ("stability", arts.stability_json),
        ("coverage", arts.coverage_json),
        ("coverage html", arts.coverage_html / "index.html"),
        ("impact index", arts.impact_json),
        ("history", config.trending),
    ]
