"""The stability step's reruns: every suspect rerun in fresh pytest processes within the
budget (the classification rules are tasks.suspects), and the flaky tests as reported."""

from __future__ import annotations

import itertools
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tasks.artifacts import Artifacts
from tasks.artifacts.stability import FlakyRow
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.pytest_runner import Invocation, as_argument, repro_command, run_pytest
from tasks.results import BAD, merge_reports, ran_before
from tasks.stability.suspects import BudgetSpent, Escalation, RunTests, escalate, is_flaky, k_of_n

# Reruns and repro commands run one process even where the project's own args say `-n auto`.
XDIST_OFF = ("-n0",)


def suspect_runner(
    config: PhaseConfig,
    python: Path,
    xdist: bool,
    rootdir: Path,
    deadline: float,
    console: Console,
) -> RunTests:
    """Reruns for the suspects: one fresh process per call, quiet, within the budget."""
    folder = Artifacts(config.reports_dir).stability_dir / "reruns"
    shutil.rmtree(folder, ignore_errors=True)
    counter = itertools.count(1)

    def run(tests: Sequence[str]) -> str | None:
        if time.monotonic() >= deadline:
            raise BudgetSpent
        n = next(counter)
        ids = folder / f"rerun-{n}.ids"
        ids.parent.mkdir(parents=True, exist_ok=True)
        ids.write_text("\n".join(tests) + "\n", encoding="utf-8")
        result = run_pytest(
            config,
            python,
            Invocation(
                label=f"rerun {n}",
                order=f"ids:{ids}",
                record=folder / f"rerun-{n}.json",
                log=folder / f"rerun-{n}.log",
                select=tuple(as_argument(t, rootdir, config.project) for t in tests),
                echo=False,
                extra_args=XDIST_OFF if xdist else (),
            ),
            console,
        )
        if result.record is None:
            return None
        return next(
            (t.outcome for t in merge_reports(result.record["reports"]) if t.nodeid == tests[-1]),
            None,
        )

    return run


def escalate_suspects(
    config: PhaseConfig,
    python: Path,
    matrix: Mapping[str, Sequence[str | None]],
    records: Sequence[Mapping[str, Any]],
    xdist: bool,
    rootdir: Path,
    console: Console,
) -> dict[str, Escalation]:
    """Rerun every test that failed in a full run until its behaviour is classified."""
    suspects = [
        nodeid
        for nodeid, outcomes in matrix.items()
        if "::" in nodeid and any(o in BAD for o in outcomes)
    ]
    if not suspects or config.rerun_budget <= 0:
        return {}
    console.step(
        f"stability: {len(suspects)} suspect(s): rerunning each alone and in the order it "
        f"failed in (budget {config.rerun_budget:g}s)"
    )
    run = suspect_runner(
        config, python, xdist, rootdir, time.monotonic() + config.rerun_budget, console
    )
    results: dict[str, Escalation] = {}
    for i, nodeid in enumerate(suspects, 1):
        outcomes = matrix[nodeid]
        failed_in = next(k for k, o in enumerate(outcomes) if o in BAD)
        passed_in = next((k for k, o in enumerate(outcomes) if o == "passed"), None)
        result = escalate(
            nodeid,
            outcomes,
            ran_before(records[failed_in], nodeid),
            None if passed_in is None else ran_before(records[passed_in], nodeid),
            run,
        )
        results[nodeid] = result
        culprit = f"; {result.culprit_role} {result.culprit}" if result.culprit else ""
        console.step(
            f"stability: suspect {i}/{len(suspects)} {nodeid}: {result.kind}{culprit} "
            f"({result.reruns} reruns)"
        )
    return results


def flaky_kinds(
    matrix: Mapping[str, Sequence[str | None]], escalations: Mapping[str, Escalation]
) -> dict[str, str]:
    """nodeid -> kind, for every test the full runs or the reruns showed flaky."""
    flaky = {}
    for nodeid, outcomes in matrix.items():
        esc = escalations.get(nodeid)
        if esc is not None and esc.flaky:
            flaky[nodeid] = esc.kind
        elif is_flaky(outcomes):
            flaky[nodeid] = esc.kind if esc is not None else "mixed outcomes"
    return dict(sorted(flaky.items()))


def record_rootdir(record: Mapping[str, Any], project: Path) -> Path:
    """pytest's rootdir in a recorded run (the project when the record does not say)."""
    return Path(record["rootdir"]).resolve() if record.get("rootdir") else project


def flaky_row(
    config: PhaseConfig,
    python: Path,
    nodeid: str,
    kind: str,
    outcomes: Sequence[str | None],
    esc: Escalation | None,
    xdist: bool,
    rootdir: Path,
) -> FlakyRow:
    """One flaky test as the report shows it: k of n, kind, culprit and the repro command."""
    tests = [esc.culprit, nodeid] if esc is not None and esc.culprit else [nodeid]
    return {
        "nodeid": nodeid,
        "kind": kind,
        "outcomes": list(outcomes),
        "k_of_n": k_of_n(outcomes),
        "failed_in_run": next((i for i, o in enumerate(outcomes, 1) if o in BAD), None),
        "alone": esc.alone if esc else [],
        "culprit": esc.culprit if esc else None,
        "culprit_role": esc.culprit_role if esc else None,
        "note": esc.note if esc else "",
        "repro": repro_command(config, python, tests, XDIST_OFF if xdist else (), rootdir),
        "quarantined": None,
    }
