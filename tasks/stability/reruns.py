"""The stability step's reruns: every suspect rerun in fresh pytest processes within the
budget (the classification rules are tasks.suspects), and the flaky tests as reported.

A rerun's tests go to the recorder in a file (`ids:` order), matched by their stable key when
their id changed (a parameter built from the clock); a rerun that cannot say how the suspect
ended raises NotRun, so the suspect stays unresolved rather than being misjudged."""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tasks.artifacts import Artifacts
from tasks.artifacts.stability import FlakyRow
from tasks.artifacts.store import make_owned_dir, remove_written
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.orders import Order, OrderKind
from tasks.pytest_command import Invocation
from tasks.pytest_runner import PytestResult, repro_command, run_pytest
from tasks.results import BAD, merge_reports, ran_before
from tasks.stability.suspects import (
    BudgetSpent,
    Escalation,
    NotRun,
    RunTests,
    escalate,
    is_flaky,
    k_of_n,
)

# Reruns and repro commands run one process even where the project's own args say `-n auto`.
XDIST_OFF = ("-n0",)


def stable_keys(records: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """nodeid -> stable key (file, class, function, parameter positions) of every
    parametrized test the full runs collected: how a rerun finds a test whose id changed."""
    keys: dict[str, str] = {}
    for record in records:
        keys.update(record.get("keys") or {})
    return keys


def write_ids(path: Path, tests: Sequence[str], keys: Mapping[str, str]) -> None:
    """A rerun's tests for the recorder (`ids:` order): never on the command line, which a
    long list (tens of thousands of ids) would overflow."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{t}\t{keys[t]}" if t in keys else t for t in tests]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def rerun_outcome(result: PytestResult, tests: Sequence[str], rootdir: Path, label: str) -> str:
    """The last test's outcome in a rerun; NotRun when the rerun cannot say (it never ran the
    test, could not find one of them, or ran elsewhere)."""
    record = result.record
    if record is None:
        raise NotRun(f"{label} stopped before reporting (exit {result.exit_code})")
    if record.get("rootdir") and Path(record["rootdir"]).resolve() != rootdir:
        raise NotRun(f"{label} ran with another rootdir ({record['rootdir']})")
    missing = record.get("missing") or []
    if missing:
        raise NotRun(f"{label}: {missing[0]} is not replayable (not in a new collection)")
    target = (record.get("matched") or {}).get(tests[-1], tests[-1])
    outcome = next(
        (t.outcome for t in merge_reports(record["reports"]) if t.nodeid == target), None
    )
    if outcome is None:
        why = f" ({result.stopped} in {', '.join(result.stopped_in)})" if result.stopped else ""
        raise NotRun(f"{label} did not run it{why}")
    return outcome


def suspect_runner(
    config: PhaseConfig,
    python: Path,
    xdist: bool,
    rootdir: Path,
    deadline: float,
    keys: Mapping[str, str],
    console: Console,
) -> RunTests:
    """Reruns for the suspects: one fresh process per call, quiet, within the budget."""
    folder = Artifacts(config.reports_dir).stability_dir / "reruns"
    # Only what earlier reruns wrote: reports_dir may be a folder of the project's own.
    remove_written(folder, ("rerun-*", ".record-*.tmp"))
    make_owned_dir(folder)
    counter = itertools.count(1)

    def run(tests: Sequence[str]) -> str:
        left = deadline - time.monotonic()
        if left <= 0:
            raise BudgetSpent
        n = next(counter)
        ids = folder / f"rerun-{n}.ids"
        write_ids(ids, tests, keys)
        # The budget bounds every rerun; a shorter `timeout` marks a hung test as such.
        limit = min(left, config.timeout) if config.timeout is not None else left
        result = run_pytest(
            config,
            python,
            Invocation(
                label=f"rerun {n}",
                order=Order(OrderKind.IDS, ids=ids),
                record=folder / f"rerun-{n}.json",
                log=folder / f"rerun-{n}.log",
                echo=False,
                extra_args=XDIST_OFF if xdist else (),
                timeout=limit,
            ),
            console,
        )
        if result.timed_out and limit == left:
            raise BudgetSpent
        return rerun_outcome(result, tests, rootdir, f"rerun {n}")

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
    deadline = time.monotonic() + config.rerun_budget
    run = suspect_runner(config, python, xdist, rootdir, deadline, stable_keys(records), console)
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
