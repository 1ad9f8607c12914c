"""The `triage` step: every failure and error with its category, evidence, fix and repro command,
grouped by root cause. Writes triage.json and the human-readable failures.txt."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import cast

from tasks.artifacts import Artifacts, store, write_text_atomic
from tasks.artifacts.run import failing_record, load_run, tests_of
from tasks.artifacts.stability import load_stability
from tasks.artifacts.triage import TRIAGE, TriageArtifact, VerdictJSON
from tasks.base_commit import resolve_base
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.impact import lines_by_test
from tasks.layout import project_layout
from tasks.pytest_runner import repro_command
from tasks.triage.facts import Category
from tasks.triage.localize import shared_causes
from tasks.triage.probe import GitProbe
from tasks.triage.report import group, headline, render_failures
from tasks.triage.rules import classify


def triage_step(config: PhaseConfig, python: Path, console: Console) -> TriageArtifact:
    arts = Artifacts(config.reports_dir)
    run = load_run(config.reports_dir)
    stability = load_stability(config.reports_dir, run["run_id"])
    layout = project_layout(config, run)
    base, base_note = resolve_base(config)
    tests_lines = lines_by_test(arts.coverage_data) if run.get("coverage") else {}
    probe = GitProbe(config, layout, base, tests_lines)
    flaky = {f["nodeid"]: f for f in stability["flaky"]} if stability else {}
    suspects = stability["suspects"] if stability else {}
    interference = {i["nodeid"]: i["note"] for i in stability["interference"]} if stability else {}
    records = {t.nodeid: t for t in tests_of(run)}
    # Tests that passed in run 1 but failed in a later stability run are flaky failures too.
    failing = [t for t in records.values() if t.is_bad]
    for nodeid, row in flaky.items():
        if nodeid in records and not records[nodeid].is_bad and row["failed_in_run"]:
            # Explain the failure as the run that failed saw it.
            failed = failing_record(config.reports_dir, row["failed_in_run"], nodeid)
            failing.append(failed if failed is not None else records[nodeid])
    verdicts = []
    for record in failing:
        verdict = classify(record, layout, probe, flaky.get(record.nodeid))
        flaky_row = flaky.get(record.nodeid)
        repro = (flaky_row["repro"] if flaky_row else "") or repro_command(
            config, python, [record.nodeid], rootdir=Path(run["rootdir"] or config.project)
        )
        verdict = dataclasses.replace(verdict, repro=repro)
        rerun = suspects.get(record.nodeid)
        if rerun is not None and rerun["kind"] == "consistent":
            verdict = dataclasses.replace(
                verdict,
                evidence=(
                    *verdict.evidence,
                    f"it is not flaky: {rerun['note']}",
                ),
            )
        if record.nodeid in interference:
            note = f"interference, not flaky: {interference[record.nodeid]}"
            verdict = dataclasses.replace(verdict, evidence=(*verdict.evidence, note))
        verdicts.append(verdict)
    verdicts = shared_causes(verdicts, tests_lines, layout)
    groups = group(verdicts)
    by_category = {c.value: sum(v.category == c for v in verdicts) for c in Category}
    data: TriageArtifact = {
        "base_run_id": run["run_id"],
        "base": base,
        "base_note": base_note,
        "stability_used": stability is not None,
        "headline": headline(groups),
        "by_category": by_category,
        "groups": groups,
        "failures": [cast("VerdictJSON", v.to_json()) for v in verdicts],
    }
    store.write(arts.triage_json, TRIAGE, data)
    write_text_atomic(
        arts.failures_txt, render_failures(verdicts, groups, {r.nodeid: r for r in failing})
    )
    summary = ", ".join(f"{n} {c}" for c, n in by_category.items() if n)
    console.step(f"triage: {data['headline']}" + (f": {summary}" if summary else ""))
    return data
