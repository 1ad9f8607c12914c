"""The `stability` step: the suite in fresh processes and varied orders, per-test outcomes
across runs, reruns of every suspect (tasks.stability.suspects), flaky tests with their kind,
the quarantine, and the pass-rate, duration, flaky and quarantine gates.

Run 1 is the `run` step's own run (file order), so chaining never runs the suite more often
than `runs`. Runs 2.. follow `orders`, then shuffles with new seeds; each prints the command
that replays it exactly. Load -> run -> compute (tasks.stability.facts) -> write.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tasks.artifacts import Artifacts, store
from tasks.artifacts.flaky_seen import load_seen, record_seen
from tasks.artifacts.run import RunArtifact, load_run, raw_record
from tasks.artifacts.stability import STABILITY, RunEntry, StabilityArtifact
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.gates import FAIL
from tasks.orders import FILE, Order, OrderKind
from tasks.results import BAD, collect_cause, summarise_record
from tasks.shards.select import check_runs
from tasks.stability import quarantine
from tasks.stability.concurrent import Ahead, company, full_runs, jobs, pick_seed
from tasks.stability.facts import (
    Observed,
    outcomes_by_test,
    plan_orders,
    run_entry,
    stability_facts,
)
from tasks.stability.rerunner import Rerunner
from tasks.stability.reruns import (
    escalate_suspects,
    flaky_kinds,
    flaky_row,
    record_rootdir,
    stable_keys,
)
from tasks.stability.settle import apply_interference, settle

Record = Mapping[str, Any]


def _full_runs(
    config: PhaseConfig,
    python: Path,
    base: RunArtifact,
    plans: list[Order],
    console: Console,
    ahead: Ahead | None,
) -> tuple[list[RunEntry], list[dict[str, str]], list[Record]]:
    """Runs 2.. in their orders (started beside run 1 when `ahead`, else now, up to `jobs` at
    once): each run's entry, outcomes and the recorder's output."""
    arts = Artifacts(config.reports_dir)
    later, span = ahead.collect() if ahead else (full_runs(config, python, plans, console), None)
    together = company({1: span, **{run.index: run.span for run in later}})
    runs = [
        run_entry(
            1, FILE, base["duration"], base["exit_code"], base["counts"], base["replay"],
            str(arts.run_log), together[1],
        )
    ]  # fmt: skip
    per_run = [{t["nodeid"]: t["outcome"] for t in base["tests"]}]
    records: list[Record] = [raw_record(arts.run_record)]
    for run in later:
        result = run.result
        tests, counts = summarise_record(result.record) if result.record else ([], {})
        records.append(result.record or {"reports": [], "order": []})
        per_run.append({t.nodeid: t.outcome for t in tests})
        runs.append(
            run_entry(
                run.index, run.order, result.duration, result.exit_code, counts, result.replay,
                str(run.log), together[run.index],
            )
        )  # fmt: skip
    return runs, per_run, records


def stability_step(
    config: PhaseConfig, python: Path, console: Console, ahead: Ahead | None = None
) -> StabilityArtifact:
    """Run the suite `runs` times in all (run 1 is the `run` step's), escalate on suspects,
    apply the quarantine; write stability.json. `ahead`: runs 2.. already started beside run 1."""
    base = load_run(config.reports_dir)
    entries = quarantine.load(config.quarantine)  # a bad file stops us before any run
    seen = load_seen(config.seen_flaky)
    if ahead is not None:
        seed, plans = ahead.seed, ahead.plans
    else:
        seed = pick_seed(config)
        plans = plan_orders(config, seed)
        if any(p.kind is OrderKind.SHUFFLE for p in plans):
            console.step(f"stability: using seed={seed} (replay with --seed {seed})")
    runs, per_run, records = _full_runs(config, python, base, plans, console, ahead)
    if config.shard_plan is not None:  # a shard job: every run kept the run step's share
        check_runs(config, runs, records)
    xdist = any(r.get("xdist") for r in records)
    rootdir = record_rootdir(records[0], config.project)
    started = time.monotonic()
    rerunner = None
    if config.rerun_budget > 0:
        deadline = started + config.rerun_budget
        keys = stable_keys(records)
        rerunner = Rerunner(
            config, python, xdist=xdist, rootdir=rootdir, deadline=deadline, keys=keys,
            console=console,
        )  # fmt: skip
    together = {r["index"]: r["company"] for r in runs}
    settled, shown = settle(config, rerunner, outcomes_by_test(per_run), records, together, console)
    apply_interference(runs, per_run, shown)
    matrix = outcomes_by_test(per_run)
    escalations = escalate_suspects(config, matrix, records, rerunner, console, settled)
    rerun_seconds = time.monotonic() - started
    flaky = flaky_kinds(matrix, escalations)
    seen = record_seen(config.seen_flaky, seen, flaky, config.phase)
    rows = {
        nodeid: flaky_row(
            config, python, nodeid, kind, matrix[nodeid], escalations.get(nodeid), xdist, rootdir
        )
        for nodeid, kind in flaky.items()
    }
    uncollected = {
        t["nodeid"]: collect_cause(t["message"])
        for t in base["tests"]
        if t["when"] == "collect" and t["outcome"] in BAD
    }
    observed = Observed(
        base["run_id"], seed, runs, matrix, escalations, rerun_seconds, flaky, rows, uncollected,
        jobs(config), [item.to_json() for item in shown],
    )  # fmt: skip
    data = stability_facts(config, list(seen), entries, observed, dt.date.today())
    store.write(Artifacts(config.reports_dir).stability_json, STABILITY, data)
    _report(data, console)
    return data


def _report(data: StabilityArtifact, console: Console) -> None:
    failed = [g for g in data["gates"] if g["status"] == FAIL]
    quarantined = sum(row["quarantined"] is not None for row in data["flaky"])
    console.step(
        f"stability: {len(data['runs'])} runs, {len(data['flaky'])} flaky"
        + (f" ({quarantined} quarantined)" if quarantined else "")
        + "; "
        + ("all gates pass" if not failed else f"{len(failed)} gate(s) failed")
        + f"; {data['proves']}"
    )
