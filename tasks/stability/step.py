"""The `stability` step: the suite in fresh processes and varied orders, per-test outcomes
across runs, reruns of every suspect (tasks.suspects), flaky tests with their kind, the
quarantine, and the pass-rate, duration, flaky and quarantine gates.

Run 1 is the `run` step's own run (file order), so chaining never runs the suite more often
than `runs`. Runs 2.. follow `orders`, then shuffles with new seeds; each prints the command
that replays it exactly.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tasks.artifacts import Artifacts, read_fresh, write_json
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.gates import FAIL, PASS, Gate, at_least
from tasks.pytest_runner import Invocation, run_pytest
from tasks.results import (
    BAD,
    TestRecord,
    format_counts,
    format_rate,
    merge_reports,
    pass_rate,
)
from tasks.run.step import load_run, summarise_record
from tasks.stability import quarantine
from tasks.stability.reruns import escalate_suspects, flaky_kinds, flaky_row, record_rootdir
from tasks.stability.suspects import is_flaky


def plan_orders(config: PhaseConfig, seed: int) -> list[str]:
    """The order of every run; run 1 is the `run` step's file order."""
    plans = ["file"]
    shuffles = 0
    for k in range(1, config.runs):
        order = config.orders[k - 1] if k - 1 < len(config.orders) else "shuffle"
        if order == "shuffle":
            order = f"shuffle:{seed + shuffles}"
            shuffles += 1
        plans.append(order)
    return plans


def outcomes_by_test(runs: Sequence[Mapping[str, str]]) -> dict[str, list[str | None]]:
    """nodeid -> its outcome in each run (None where a run did not have it)."""
    ids: dict[str, None] = {}
    for run in runs:
        ids.update(dict.fromkeys(run))
    return {nodeid: [run.get(nodeid) for run in runs] for nodeid in ids}


def clean_run_bound(runs: int, confidence: float = 0.95) -> float:
    """Failure rate (percent) that `runs` clean runs rule out at `confidence`: 1 - (1-c)^(1/n)."""
    return 100.0 * (1.0 - float((1.0 - confidence) ** (1.0 / runs)))


def what_runs_prove(runs: int) -> str:
    bound = clean_run_bound(runs)
    return (
        f"{runs} clean run{'s' if runs != 1 else ''} bound a test's failure rate below "
        f"{math.floor(bound)}% at 95% confidence; a clean result is not proof of no flakiness"
    )


def stability_gates(
    config: PhaseConfig, runs: Sequence[Mapping[str, Any]], flaky: Sequence[str]
) -> list[Gate]:
    gates = [
        at_least(
            f"pass rate, run {r['index']} ({r['order']})",
            r["pass_rate"],
            config.min_pass_rate,
            what=f"run {r['index']} pass rate",
        )
        for r in runs
    ]
    total = sum(r["duration"] for r in runs)
    ok = total <= config.max_duration
    gates.append(
        Gate(
            "duration, all runs",
            f"<= {config.max_duration:g}s",
            f"{total:.1f}s",
            PASS if ok else FAIL,
            "" if ok else f"the {len(runs)} runs took {total:.0f}s, over {config.max_duration:g}s",
        )
    )
    gates.append(
        Gate(
            "flaky tests",
            "0",
            str(len(flaky)),
            FAIL if flaky else PASS,
            ("flaky: " + ", ".join(flaky[:5]) + (" ..." if len(flaky) > 5 else ""))
            if flaky
            else "",
        )
    )
    return gates


def _run_entry(
    index: int,
    order: str,
    duration: float,
    exit_code: int,
    counts: Mapping[str, int],
    replay: str,
    log: str,
) -> dict[str, Any]:
    return {
        "index": index,
        "order": order.split(":")[0],
        "seed": int(order.split(":")[1]) if order.startswith("shuffle:") else None,
        "duration": round(duration, 3),
        "exit_code": exit_code,
        "counts": dict(counts),
        "pass_rate": pass_rate(counts),
        "replay": replay,
        "log": log,
    }


def stability_step(config: PhaseConfig, python: Path, console: Console) -> dict[str, Any]:
    """Run the suite `runs` times in all (run 1 is the `run` step's), escalate on suspects,
    apply the quarantine; write stability.json."""
    arts = Artifacts(config.reports_dir)
    base = load_run(config)
    entries = quarantine.load(config.quarantine)  # a bad file stops us before any run
    seen = quarantine.load_seen(config.seen_flaky)
    seed = config.seed if config.seed is not None else random.SystemRandom().randrange(10**6)
    plans = plan_orders(config, seed)
    if any(p.startswith("shuffle") for p in plans):
        console.step(f"stability: using seed={seed} (replay with --seed {seed})")
    runs = [
        _run_entry(
            1,
            "file",
            base["duration"],
            base["exit_code"],
            base["counts"],
            base["replay"],
            str(arts.run_log),
        )
    ]
    per_run = [{t["nodeid"]: t["outcome"] for t in base["tests"]}]
    records: list[Mapping[str, Any]] = [_raw_record(arts.run_record)]
    for index, order in enumerate(plans[1:], start=2):
        console.step(f"stability: run {index}/{config.runs}, order {order}")
        log = arts.stability_dir / f"run-{index}.log"
        result = run_pytest(
            config,
            python,
            Invocation(
                label=f"run {index}",
                order=order,
                record=arts.stability_dir / f"run-{index}.json",
                log=log,
            ),
            console,
        )
        tests: list[TestRecord] = []
        counts: dict[str, int] = {}
        if result.record is not None:
            tests, counts = summarise_record(result.record)
        records.append(result.record or {"reports": [], "order": []})
        per_run.append({t.nodeid: t.outcome for t in tests})
        entry = _run_entry(
            index, order, result.duration, result.exit_code, counts, result.replay, str(log)
        )
        runs.append(entry)
        console.step(
            f"stability: run {index}: {format_counts(counts)} in {result.duration:.1f}s, "
            f"pass rate {format_rate(entry['pass_rate'])}; replay: {result.replay}"
        )
    matrix = outcomes_by_test(per_run)
    xdist = any(r.get("xdist") for r in records)
    rootdir = record_rootdir(records[0], config.project)
    started = time.monotonic()
    escalations = escalate_suspects(config, python, matrix, records, xdist, rootdir, console)
    rerun_seconds = time.monotonic() - started
    flaky = flaky_kinds(matrix, escalations)
    today = dt.date.today()
    covered = {e.test: e for e in entries if not e.expired(today)}
    seen = quarantine.record_seen(config.seen_flaky, seen, flaky, config.phase)
    flaky_rows = [
        flaky_row(
            config, python, nodeid, kind, matrix[nodeid], escalations.get(nodeid), xdist, rootdir
        )
        | {"quarantined": _entry_json(covered.get(nodeid))}
        for nodeid, kind in flaky.items()
    ]
    counted = [n for n in flaky if n not in covered]
    gates = stability_gates(config, runs, counted)
    gates.append(
        quarantine.quarantine_gate(entries, seen, [n for n in flaky if n in covered], today)
    )
    data: dict[str, Any] = {
        "base_run_id": base["run_id"],
        "seed": seed,
        "runs": runs,
        "tests": {
            nodeid: outcomes
            for nodeid, outcomes in matrix.items()
            if is_flaky(outcomes) or any(o in BAD for o in outcomes)
        },
        "suspects": {n: e.to_json() for n, e in escalations.items()},
        "rerun_seconds": round(rerun_seconds, 3),
        "flaky": flaky_rows,
        "quarantine": [_entry_json(e) for e in entries],
        "proves": what_runs_prove(len(runs)),
        "gates": [g.to_json() for g in gates],
    }
    write_json(arts.stability_json, "stability", data)
    failed = [g for g in gates if g.status == FAIL]
    quarantined = len(flaky) - len(counted)
    console.step(
        f"stability: {len(runs)} runs, {len(flaky)} flaky"
        + (f" ({quarantined} quarantined)" if quarantined else "")
        + "; "
        + ("all gates pass" if not failed else f"{len(failed)} gate(s) failed")
        + f"; {data['proves']}"
    )
    return data


def _raw_record(path: Path) -> dict[str, Any]:
    """The recorder's own output of the `run` step (order, workers), if still there."""
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"reports": [], "order": []}
    return data


def _entry_json(entry: quarantine.Entry | None) -> dict[str, str] | None:
    if entry is None:
        return None
    return {
        "test": entry.test,
        "reason": entry.reason,
        "owner": entry.owner,
        "expires": entry.expires.isoformat(),
    }


def failing_record(config: PhaseConfig, run_index: int, nodeid: str) -> TestRecord | None:
    """How `nodeid` failed in stability run `run_index` (run 1 is the `run` step's)."""
    arts = Artifacts(config.reports_dir)
    path = arts.run_record if run_index == 1 else arts.stability_dir / f"run-{run_index}.json"
    record = _raw_record(path)
    return next((t for t in merge_reports(record["reports"]) if t.nodeid == nodeid), None)


def load_stability(config: PhaseConfig, run_id: str) -> dict[str, Any] | None:
    """stability evidence made from the run `run_id` (stale evidence is ignored)."""
    return read_fresh(
        Artifacts(config.reports_dir).stability_json, "stability", "stability", run_id
    )
