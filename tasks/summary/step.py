"""The `summary` step: one summary object built from the artifacts, rendered to markdown.

Building and rendering are separate: `build_summary` gathers facts (files, git), `render_markdown`
is a pure function of the result, tested against a golden file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tabulate import tabulate

from tasks.artifacts import Artifacts, write_text_atomic
from tasks.artifacts.history import load_history
from tasks.base_commit import resolve_base
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.coverage.step import load_coverage
from tasks.gates import Gate, any_failed
from tasks.phase_changes import fix_commits, tests_created
from tasks.results import format_counts, format_rate
from tasks.run.step import load_run
from tasks.stability.step import load_stability
from tasks.summary.chart import coverage_svg
from tasks.triage.step import load_triage


def collect_gates(config: PhaseConfig, run: Mapping[str, Any]) -> list[Gate]:
    """Every gate of the steps that ran on this run; a step that did not run is a failed gate."""
    gates: list[Gate] = []
    stability = load_stability(config, run["run_id"])
    coverage = load_coverage(config, run["run_id"])
    for name, data in (("stability", stability), ("coverage", coverage)):
        if data is None:
            gates.append(
                Gate(
                    f"{name} step",
                    "ran",
                    "not run",
                    "fail",
                    f"run `phasegate {name}` (or `nox -s {name}`) on this run",
                )
            )
        else:
            gates += [Gate.from_json(g) for g in data["gates"]]
    return gates


def build_summary(config: PhaseConfig) -> dict[str, Any]:
    """All the facts the summary shows, as plain data."""
    run = load_run(config)
    stability = load_stability(config, run["run_id"])
    coverage = load_coverage(config, run["run_id"])
    triage = load_triage(config, run["run_id"])
    base, base_note = resolve_base(config)
    nodeids = [t["nodeid"] for t in run["tests"] if "::" in t["nodeid"]]
    gates = collect_gates(config, run)
    history = load_history(config.trending)
    return {
        "phase": config.phase,
        "date": dt.date.today().isoformat(),
        "passed": not any_failed(gates),
        "base": base,
        "base_note": base_note,
        "run": {k: run[k] for k in ("counts", "pass_rate", "duration", "python")},
        "tests_total": len(nodeids),
        # The coverage step measured it for this very run (one `git show` per test file).
        "tests_created": coverage["history_entry"]["tests_created"]
        if coverage
        else tests_created(
            config.project, base, nodeids, Path(run["rootdir"]) if run.get("rootdir") else None
        ),
        "fixes": fix_commits(config.project, base),
        "stability": stability,
        "coverage": coverage,
        "triage": triage,
        "gates": [g.to_json() for g in gates],
        "history": history,
        "chart": chart_path(config).name if _points(history) else None,
        "artifacts": str(config.reports_dir),
    }


def chart_path(config: PhaseConfig) -> Path:
    """The SVG trend chart, beside the summary that links it."""
    return config.summary.with_name(config.summary.stem + "-coverage.svg")


def _points(history: Sequence[Mapping[str, Any]]) -> list[tuple[str, float]]:
    return [
        (str(h["phase"]), float(h["coverage"]))
        for h in history
        if isinstance(h.get("coverage"), int | float)
    ]


def _table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    return tabulate(rows, headers=list(headers), tablefmt="github", disable_numparse=True)


def _front_matter(s: Mapping[str, Any]) -> list[str]:
    coverage = s["coverage"]
    gaps = [g["file"] for g in coverage["gaps"]] if coverage else []
    lines = [
        "---",
        f"phase: {s['phase']}",
        f"date: {s['date']}",
        f"status: {'passed' if s['passed'] else 'failed'}",
    ]
    if coverage:
        lines.append(f"coverage: {coverage['total']:.2f}")
    lines += ["next_phase:", "  coverage_gaps:" + ("" if gaps else " []")]
    lines += [f"    - {g}" for g in gaps]
    return [*lines, "---", ""]


def _trend_chart(history: Sequence[Mapping[str, Any]]) -> list[str]:
    points = _points(history)
    if len(points) < 2:
        return []
    names = ", ".join(f'"{p}"' for p, _ in points)
    values = ", ".join(f"{v:.2f}" for _, v in points)
    return [
        "```mermaid",
        "xychart-beta",
        '    title "Coverage by phase (%)"',
        f"    x-axis [{names}]",
        '    y-axis "coverage %" 0 --> 100',
        f"    line [{values}]",
        "```",
        "",
    ]


def _order(run: Mapping[str, Any]) -> str:
    return str(run["order"]) + (f" (seed {run['seed']})" if run["seed"] is not None else "")


MAX_DETAILED = 30  # failures with their evidence in the summary; all are in failures.txt


def _alone(outcomes: Sequence[str]) -> str:
    if not outcomes:
        return ""
    return f"passed {sum(o == 'passed' for o in outcomes)} of {len(outcomes)}"


def _quarantined(entry: Mapping[str, str] | None) -> str:
    return f"until {entry['expires']} ({entry['owner']})" if entry else ""


def render_markdown(s: Mapping[str, Any]) -> str:
    """The phase summary as markdown: a pure function of `build_summary`'s data."""
    run, coverage, stability, triage = s["run"], s["coverage"], s["stability"], s["triage"]
    out = _front_matter(s)
    out += [f"# Phase summary: {s['phase']}", "", "## Overview", ""]
    created = s["tests_created"]
    out.append(
        _table(
            [
                ["Result", "all gates pass" if s["passed"] else "gates failed"],
                ["Tests", f"{s['tests_total']} ({format_counts(run['counts'])})"],
                ["Pass rate (run 1)", format_rate(run["pass_rate"])],
                ["Coverage", coverage["display"] if coverage else "not measured"],
                ["Flaky tests", str(len(stability["flaky"])) if stability else "not measured"],
                [
                    "Phase started from",
                    f"{s['base'][:12]} ({s['base_note']})" if s["base"] else s["base_note"],
                ],
            ],
            ["", ""],
        )
    )
    out += ["", "## Gates", ""]
    out.append(
        _table(
            [
                [g["name"], g["target"], g["actual"], g["status"].upper(), g["detail"]]
                for g in s["gates"]
            ],
            ["Gate", "Target", "Actual", "Result", "Why"],
        )
    )
    out += ["", "## Coverage results", ""]
    if coverage:
        baseline = coverage["baseline"]
        increase = coverage["increase"]
        out.append(
            _table(
                [
                    [
                        "n/a" if baseline is None else f"{baseline:.2f}%",
                        coverage["display"],
                        "n/a" if increase is None else f"{increase:+.2f}",
                        coverage["baseline_note"],
                    ]
                ],
                ["Start", "End", "Increase", "Baseline from"],
            )
        )
        out += ["", *_trend_chart(s["history"])]
        if s.get("chart"):
            out += [f"![Coverage by phase]({s['chart']})", ""]
        diff = coverage.get("diff")
        if diff is not None:
            shown = (
                "no coverable changed lines"
                if not diff["coverable"]
                else f"{100.0 * diff['covered'] / diff['coverable']:.{coverage['precision']}f}% "
                f"({diff['covered']} of {diff['coverable']} changed production lines run by tests)"
            )
            out += [f"Diff coverage since the base: {shown}.", ""]
        if coverage.get("files_added"):
            out += [f"Files added this phase: {', '.join(coverage['files_added'])}.", ""]
        for warning in coverage["warnings"]:
            out += [f"> Warning: {warning}", ""]
        tested = set(coverage["files_tested"])
        out.append(
            _table(
                [
                    [
                        f["file"] + (" *" if f["file"] in tested else ""),
                        f["statements"],
                        f["missing"],
                        f["display"] + "%",
                    ]
                    for f in coverage["files"]
                ],
                ["File", "Statements", "Missed", "Coverage"],
            )
        )
        out += ["", "`*` files run by the tests this phase added or changed.", ""]
    else:
        out += ["Coverage was not measured on this run: run `phasegate coverage`.", ""]
    out += ["## Tests", ""]
    out.append(
        _table(
            [
                ["Total", str(s["tests_total"])],
                [
                    "Created this phase",
                    "unknown (set base_ref)" if created is None else str(created),
                ],
                ["Outcomes (pytest)", format_counts(run["counts"])],
                ["Pass rate", format_rate(run["pass_rate"])],
            ],
            ["", ""],
        )
    )
    out += ["", "## Failures", ""]
    if triage is None:
        out += ["Not triaged: run `phasegate triage`.", ""]
    elif not triage["failures"]:
        out += ["No failures or errors.", ""]
    else:
        counts = ", ".join(f"{n} {c}" for c, n in triage["by_category"].items() if n)
        out += [f"{triage['headline']}: {counts}.", ""]
        out.append(
            _table(
                [
                    [g["count"], g["category"], g["exception"], g["site"], g["message"]]
                    for g in triage["groups"]
                ],
                ["Tests", "Category", "Exception", "Root cause at", "Message"],
            )
        )
        out += [""]
        out.append(
            _table(
                [
                    [
                        f["nodeid"],
                        f"{f['category']} ({f['confidence']})",
                        f["reason"],
                        f"`{f['repro']}`",
                    ]
                    for f in triage["failures"]
                ],
                ["Test", "Category", "Evidence", "Reproduce"],
            )
        )
        out += ["", "### Evidence and proposed fixes", ""]
        for f in triage["failures"][:MAX_DETAILED]:
            out.append(f"- **{f['nodeid']}**: {f['category']} ({f['confidence']} confidence)")
            out += [f"  - {e}" for e in f["evidence"]]
            out.append(f"  - fix: {f['fix']}")
        more = len(triage["failures"]) - MAX_DETAILED
        out += [
            "",
            (f"{more} more are not shown here. " if more > 0 else "")
            + "Every failure with its evidence: `failures.txt` in the reports folder.",
            "",
        ]
    out += ["## Bug fixes applied", ""]
    fixes = s["fixes"]
    if fixes is None:
        out += ["Unknown: no base commit (set base_ref).", ""]
    else:
        out.append(
            _table(
                [[k, v] for k, v in fixes.items()] + [["total", sum(fixes.values())]],
                ["Kind (`fix(...)` commits)", "Count"],
            )
        )
        out += [""]
    out += ["## Quality metrics", ""]
    if stability:
        out.append(
            _table(
                [
                    [
                        r["index"],
                        _order(r),
                        format_counts(r["counts"]),
                        format_rate(r["pass_rate"]),
                        f"{r['duration']:.1f}s",
                    ]
                    for r in stability["runs"]
                ],
                ["Run", "Order", "Outcomes", "Pass rate", "Duration"],
            )
        )
        flaky = stability["flaky"]
        if flaky:
            out += ["", "Flaky tests:", ""]
            out.append(
                _table(
                    [
                        [
                            f["nodeid"],
                            f.get("kind", ""),
                            f.get("k_of_n", ""),
                            _alone(f.get("alone") or []),
                            f"{f['culprit_role']}: {f['culprit']}" if f.get("culprit") else "",
                            _quarantined(f.get("quarantined")),
                            f"`{f['repro']}`" if f.get("repro") else "",
                        ]
                        for f in flaky
                    ],
                    ["Test", "Kind", "Full runs", "Alone", "Culprit", "Quarantine", "Reproduce"],
                )
            )
        total = sum(r["duration"] for r in stability["runs"])
        out += [
            "",
            f"Total duration {total:.1f}s; {len(stability['flaky'])} flaky. {stability['proves']}.",
            "",
        ]
    else:
        out += ["Stability was not measured: run `phasegate stability`.", ""]
    out += ["## Next-phase readiness", ""]
    if coverage and coverage["gaps"]:
        out += ["Coverage gaps, most missed lines first:", ""]
        out.append(
            _table(
                [[g["file"], g["missing"], g["display"] + "%"] for g in coverage["gaps"]],
                ["File", "Missed lines", "Coverage"],
            )
        )
        out += [""]
    else:
        out += ["No coverage gaps recorded.", ""]
    return "\n".join(out)


def summary_step(config: PhaseConfig, python: Path, console: Console) -> dict[str, Any]:
    summary = build_summary(config)
    if summary["chart"]:
        write_text_atomic(chart_path(config), coverage_svg(_points(summary["history"])))
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
