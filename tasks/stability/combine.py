"""The `stability` step's half of `phasegate combine`: each shard's runs, suspects and flaky
tests merged into one stability.json with the gates computed as the step computes them.

A test is flaky when its own shard saw it pass and fail (its outcomes and reruns are all in
that shard); run i of the merged stability is run i of every shard, its counts summed and its
duration the longest shard's (the jobs ran side by side).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from tasks.artifacts import Artifacts, store, write_text_atomic
from tasks.artifacts.flaky_seen import load_seen, record_seen
from tasks.artifacts.run import RunArtifact, run_record_path
from tasks.artifacts.shard import ShardArtifact
from tasks.artifacts.stability import STABILITY, FlakyRow, RunEntry, StabilityArtifact
from tasks.config import PhaseConfig
from tasks.results import BAD, collect_cause, pass_rate
from tasks.shards.records import join_logs, merge_records, shard_record
from tasks.shards.remap import remap
from tasks.stability import quarantine
from tasks.stability.facts import Observed, stability_facts
from tasks.stability.suspects import Escalation

Shard = tuple[Path, ShardArtifact]


def merge_runs(per_shard: Sequence[Sequence[RunEntry]]) -> list[RunEntry]:
    """Run i of every shard as one run: counts summed, the longest duration, the runs any
    shard had beside it, every shard's interference."""
    merged: list[RunEntry] = []
    for entries in zip(*per_shard, strict=True):
        counts: dict[str, int] = {}
        for entry in entries:
            for name, value in entry["counts"].items():
                counts[name] = counts.get(name, 0) + value
        first = entries[0]
        merged.append(
            {
                "index": first["index"],
                "order": first["order"],
                "seed": first["seed"],
                "duration": max(e["duration"] for e in entries),
                "exit_code": max(e["exit_code"] for e in entries),
                "counts": counts,
                "pass_rate": pass_rate(counts),
                "replay": " ; ".join(e["replay"] for e in entries),
                "log": " ; ".join(e["log"] for e in entries),
                "company": sorted({i for e in entries for i in e["company"]}),
                "interference": [n for e in entries for n in e["interference"]],
            }
        )
    return merged


def _observed(run: RunArtifact, shards: Sequence[StabilityArtifact]) -> Observed:
    suspects = {n: e for s in shards for n, e in s["suspects"].items()}
    escalations = {
        n: Escalation(
            nodeid=n, full=list(e["full"]), kind=e["kind"], alone=list(e["alone"]),
            in_order=list(e["in_order"]), culprit=e["culprit"], culprit_role=e["culprit_role"],
            reruns=e["reruns"], note=e["note"],
        )
        for n, e in suspects.items()
    }  # fmt: skip
    rows: dict[str, FlakyRow] = {
        r["nodeid"]: {**r, "quarantined": None} for s in shards for r in s["flaky"]
    }
    uncollected = {
        t["nodeid"]: collect_cause(t["message"])
        for t in run["tests"]
        if t["when"] == "collect" and t["outcome"] in BAD
    }
    return Observed(
        run_id=run["run_id"],
        seed=shards[0]["seed"],
        runs=merge_runs([s["runs"] for s in shards]),
        matrix={n: o for s in shards for n, o in s["tests"].items()},
        escalations=escalations,
        rerun_seconds=sum(s["rerun_seconds"] for s in shards),
        flaky={n: r["kind"] for n, r in rows.items()},
        rows=rows,
        uncollected=uncollected,
        jobs=max(s["jobs"] for s in shards),
        interference=[row for s in shards for row in s["interference"]],
    )


def _merge_run_records(config: PhaseConfig, shards: Sequence[Shard], runs: int) -> None:
    """stability/run-N.json and run-N.log for N >= 2, as triage reads them."""
    collected = shards[0][1]["collected"]
    for index in range(2, runs + 1):
        records = [shard_record(run_record_path(f, index), s, config.project) for f, s in shards]
        target = run_record_path(config.reports_dir, index)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(target, json.dumps(merge_records(records, collected)))
        logs = [(f.name, Artifacts(f).stability_dir / f"run-{index}.log") for f, _ in shards]
        join_logs(logs, target.with_suffix(".log"))


def combine_stability(
    config: PhaseConfig, shards: Sequence[Shard], run: RunArtifact
) -> StabilityArtifact | None:
    """stability.json from the shards' (None when no shard ran `stability`)."""
    paths = [Artifacts(f).stability_json for f, _ in shards]
    if not all(p.is_file() for p in paths):
        return None
    project = str(config.project)
    datas = [
        cast("StabilityArtifact", remap(store.load(p, STABILITY), s["project"], project))
        for p, (_, s) in zip(paths, shards, strict=True)
    ]
    entries = quarantine.load(config.quarantine)
    observed = _observed(run, datas)
    seen = record_seen(
        config.seen_flaky, load_seen(config.seen_flaky), observed.flaky, config.phase
    )
    data = stability_facts(config, list(seen), entries, observed, dt.date.today())
    _merge_run_records(config, shards, len(observed.runs))
    store.write(Artifacts(config.reports_dir).stability_json, STABILITY, data)
    return data
