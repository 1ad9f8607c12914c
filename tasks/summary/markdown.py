"""The phase summary as markdown: one renderer per section, each a pure function of the
`Summary`, tested against a golden file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from tasks.artifacts.coverage import CoverageArtifact
from tasks.artifacts.stability import (
    FlakyRow,
    InterferenceJSON,
    QuarantineJSON,
    RunEntry,
    StabilityArtifact,
)
from tasks.artifacts.triage import TriageArtifact
from tasks.results import format_counts, format_rate
from tasks.summary.model import Summary, points

MAX_DETAILED = 30  # failures with their evidence in the summary; all are in failures.txt


def cell(value: Any) -> str:
    """A table cell: one line, every `|` escaped (GitHub's tables split on them even inside
    code spans, and drop the backslash when they do not)."""
    return " ".join(str(value).split()).replace("|", "\\|")


def code(text: str) -> str:
    """`text` as a code span, fenced with more backticks than it contains (CommonMark)."""
    ticks = 1
    while "`" * ticks in text:
        ticks += 1
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{'`' * ticks}{pad}{text}{pad}{'`' * ticks}"


def _table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    cells = [[cell(v) for v in row] for row in rows]
    return tabulate(cells, headers=list(headers), tablefmt="github", disable_numparse=True)


def front_matter(s: Summary) -> list[str]:
    gaps = [g["file"] for g in s.coverage["gaps"]] if s.coverage else []
    lines = [
        "---",
        f"phase: {s.phase}",
        f"date: {s.date}",
        f"status: {'passed' if s.passed else 'failed'}",
    ]
    if s.coverage:
        lines.append(f"coverage: {s.coverage['total']:.2f}")
    lines += ["next_phase:", "  coverage_gaps:" + ("" if gaps else " []")]
    lines += [f"    - {g}" for g in gaps]
    return [*lines, "---", ""]


def overview(s: Summary) -> list[str]:
    counts = s.run["counts"]
    rows = [
        ["Result", "all gates pass" if s.passed else "gates failed"],
        ["Tests", f"{s.tests_total} ({format_counts(counts)})"],
        ["Pass rate (run 1)", format_rate(s.run["pass_rate"])],
        ["Coverage", s.coverage["display"] if s.coverage else "not measured"],
        ["Flaky tests", str(len(s.stability["flaky"])) if s.stability else "not measured"],
        ["Phase started from", f"{s.base[:12]} ({s.base_note})" if s.base else s.base_note],
    ]
    return [f"# Phase summary: {s.phase}", "", "## Overview", "", _table(rows, ["", ""])]


def gates(s: Summary) -> list[str]:
    rows = [
        [g["name"], g["target"], g["actual"], g["status"].upper(), g["detail"]] for g in s.gates
    ]
    return ["", "## Gates", "", _table(rows, ["Gate", "Target", "Actual", "Result", "Why"])]


def trend_chart(s: Summary) -> list[str]:
    trend = points(s.history)
    if len(trend) < 2:
        return []
    names = ", ".join(f'"{p}"' for p, _ in trend)
    values = ", ".join(f"{v:.2f}" for _, v in trend)
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


def _diff_line(coverage: CoverageArtifact) -> list[str]:
    diff = coverage["diff"]
    if diff is None:
        return []
    shown = (
        "no coverable changed lines"
        if not diff["coverable"]
        else f"{100.0 * diff['covered'] / diff['coverable']:.{coverage['precision']}f}% "
        f"({diff['covered']} of {diff['coverable']} changed production lines run by tests)"
    )
    return [f"Diff coverage since the base: {shown}.", ""]


def coverage_results(s: Summary) -> list[str]:
    out = ["", "## Coverage results", ""]
    coverage = s.coverage
    if not coverage:
        return [*out, "Coverage was not measured on this run: run `phasegate coverage`.", ""]
    baseline, increase = coverage["baseline"], coverage["increase"]
    start = [
        "n/a" if baseline is None else f"{baseline:.2f}%",
        coverage["display"],
        "n/a" if increase is None else f"{increase:+.2f}",
        coverage["baseline_note"],
    ]
    out += [_table([start], ["Start", "End", "Increase", "Baseline from"]), "", *trend_chart(s)]
    if s.chart:
        out += [f"![Coverage by phase]({s.chart})", ""]
    out += _diff_line(coverage)
    if coverage["files_added"]:
        out += [f"Files added this phase: {', '.join(coverage['files_added'])}.", ""]
    out += [line for w in coverage["warnings"] for line in (f"> Warning: {w}", "")]
    tested = set(coverage["files_tested"])
    marked = [(f, " *" if f["file"] in tested else "") for f in coverage["files"]]
    rows = [
        [f["file"] + mark, f["statements"], f["missing"], f["display"] + "%"] for f, mark in marked
    ]
    out.append(_table(rows, ["File", "Statements", "Missed", "Coverage"]))
    return [*out, "", "`*` files run by the tests this phase added or changed.", ""]


def tests(s: Summary) -> list[str]:
    created = "unknown (set base_ref)" if s.tests_created is None else str(s.tests_created)
    rows = [
        ["Total", str(s.tests_total)],
        ["Created this phase", created],
        ["Outcomes (pytest)", format_counts(s.run["counts"])],
        ["Pass rate", format_rate(s.run["pass_rate"])],
    ]
    return ["## Tests", "", _table(rows, ["", ""])]


def _failure_tables(triage: TriageArtifact) -> list[str]:
    groups = [
        [g["count"], g["category"], g["exception"], g["site"], g["message"]]
        for g in triage["groups"]
    ]
    failures = [
        [f["nodeid"], f"{f['category']} ({f['confidence']})", f["reason"], code(f["repro"])]
        for f in triage["failures"]
    ]
    return [
        _table(groups, ["Tests", "Category", "Exception", "Root cause at", "Message"]),
        "",
        _table(failures, ["Test", "Category", "Evidence", "Reproduce"]),
    ]


def failures(s: Summary) -> list[str]:
    out = ["", "## Failures", ""]
    triage = s.triage
    if triage is None:
        return [*out, "Not triaged: run `phasegate triage`.", ""]
    if not triage["failures"]:
        return [*out, "No failures or errors.", ""]
    counts = ", ".join(f"{n} {c}" for c, n in triage["by_category"].items() if n)
    out += [f"{triage['headline']}: {counts}.", "", *_failure_tables(triage)]
    out += ["", "### Evidence and proposed fixes", ""]
    for f in triage["failures"][:MAX_DETAILED]:
        out.append(f"- **{f['nodeid']}**: {f['category']} ({f['confidence']} confidence)")
        out += [f"  - {e}" for e in f["evidence"]]
        out.append(f"  - fix: {f['fix']}")
    more = len(triage["failures"]) - MAX_DETAILED
    shown = f"{more} more are not shown here. " if more > 0 else ""
    tail = "Every failure with its evidence: `failures.txt` in the reports folder."
    return [*out, "", shown + tail, ""]


def bug_fixes(s: Summary) -> list[str]:
    out = ["## Bug fixes applied", ""]
    if s.fixes is None:
        return [*out, "Unknown: no base commit (set base_ref).", ""]
    rows = [[k, v] for k, v in s.fixes.items()] + [["total", sum(s.fixes.values())]]
    return [*out, _table(rows, ["Kind (`fix(...)` commits)", "Count"]), ""]


def _order(run: RunEntry) -> str:
    return run["order"] + (f" (seed {run['seed']})" if run["seed"] is not None else "")


def _alone(outcomes: Sequence[str]) -> str:
    if not outcomes:
        return ""
    return f"passed {sum(o == 'passed' for o in outcomes)} of {len(outcomes)}"


def _quarantined(entry: QuarantineJSON | None) -> str:
    return f"until {entry['expires']} ({entry['owner']})" if entry else ""


def _flaky_table(flaky: Sequence[FlakyRow]) -> list[str]:
    rows = [
        [
            f["nodeid"],
            f["kind"],
            f["k_of_n"],
            _alone(f["alone"]),
            f"{f['culprit_role']}: {f['culprit']}" if f["culprit"] else "",
            _quarantined(f["quarantined"]),
            code(f["repro"]) if f["repro"] else "",
        ]
        for f in flaky
    ]
    headers = ["Test", "Kind", "Full runs", "Alone", "Culprit", "Quarantine", "Reproduce"]
    return ["", "Flaky tests:", "", _table(rows, headers)]


def _interference_table(found: Sequence[InterferenceJSON]) -> list[str]:
    rows = [[i["nodeid"], ", ".join(map(str, i["runs"])), i["note"]] for i in found]
    return [
        "",
        "Interference (fails when another copy of the suite runs at the same time; not flaky, "
        "and counted as passed, its outcome on its own):",
        "",
        _table(rows, ["Test", "Runs", "Evidence"]),
    ]


def _run_row(r: RunEntry) -> list[Any]:
    duration = f"{r['duration']:.1f}s"
    return [
        r["index"],
        _order(r),
        format_counts(r["counts"]),
        format_rate(r["pass_rate"]),
        duration,
    ]


def _runs_table(stability: StabilityArtifact) -> str:
    rows = [_run_row(r) for r in stability["runs"]]
    return _table(rows, ["Run", "Order", "Outcomes", "Pass rate", "Duration"])


def quality(s: Summary) -> list[str]:
    out = ["## Quality metrics", ""]
    stability = s.stability
    if not stability:
        return [*out, "Stability was not measured: run `phasegate stability`.", ""]
    out.append(_runs_table(stability))
    if stability["flaky"]:
        out += _flaky_table(stability["flaky"])
    if stability.get("interference"):
        out += _interference_table(stability["interference"])
    total = sum(r["duration"] for r in stability["runs"])
    flaky = len(stability["flaky"])
    return [*out, "", f"Total duration {total:.1f}s; {flaky} flaky. {stability['proves']}.", ""]


def readiness(s: Summary) -> list[str]:
    out = ["## Next-phase readiness", ""]
    if not (s.coverage and s.coverage["gaps"]):
        return [*out, "No coverage gaps recorded.", ""]
    rows = [[g["file"], g["missing"], g["display"] + "%"] for g in s.coverage["gaps"]]
    out += ["Coverage gaps, most missed lines first:", ""]
    return [*out, _table(rows, ["File", "Missed lines", "Coverage"]), ""]


SECTIONS = (
    front_matter,
    overview,
    gates,
    coverage_results,
    tests,
    failures,
    bug_fixes,
    quality,
    readiness,
)


def render_markdown(s: Summary) -> str:
    """The phase summary as markdown: a pure function of the summary's data."""
    return "\n".join(line for section in SECTIONS for line in section(s))
