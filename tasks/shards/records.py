"""The shards' recorder outputs and logs merged: what `combine` builds run.json and the
stability runs from, as if one process had run every test."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from tasks.artifacts import write_text_atomic
from tasks.artifacts.run import raw_record
from tasks.artifacts.shard import ShardArtifact
from tasks.shards.remap import remap


def merge_records(records: Sequence[dict[str, Any]], collected: Sequence[str]) -> dict[str, Any]:
    """One recorder output from the shards' (disjoint tests): reports in collection order,
    a collection error seen by several shards (a conftest's) kept once, counts summed."""
    position = {nodeid: i for i, nodeid in enumerate(collected)}
    seen: set[str] = set()
    reports: list[dict[str, Any]] = []
    repeated = 0
    for record in records:
        for report in record["reports"]:
            if report["when"] == "collect" and report["nodeid"] in seen:
                repeated += 1
                continue
            if report["when"] == "collect":
                seen.add(report["nodeid"])
            reports.append(report)
    # As one process reports them: the collection errors first, then the tests in order.
    reports.sort(key=lambda r: (r["when"] != "collect", position.get(r["nodeid"], len(position))))
    counts: dict[str, int] | None = None
    if all(r.get("counts") is not None for r in records):
        counts = {}
        for record in records:
            for name, value in record["counts"].items():
                counts[name] = counts.get(name, 0) + int(value)
        counts["error"] = counts.get("error", 0) - repeated
    order = sorted((n for r in records for n in r["order"]), key=lambda n: position.get(n, 0))
    return {
        **{k: v for k, v in records[0].items() if k != "shard"},  # one shard's split: not this
        "exitstatus": max(int(r["exitstatus"]) for r in records),
        "collected": sum(int(r.get("collected", 0)) for r in records),
        "deselected": 0,
        "order": order,
        "keys": {k: v for r in records for k, v in r.get("keys", {}).items()},
        "xdist": any(r.get("xdist") for r in records),
        "counts": counts,
        "reports": reports,
        "unfinished": [u for r in records for u in r.get("unfinished", [])],
    }


def shard_record(path: Path, shard: ShardArtifact, project: Path) -> dict[str, Any]:
    return cast("dict[str, Any]", remap(raw_record(path), shard["project"], str(project)))


def join_logs(logs: Sequence[tuple[str, Path]], target: Path) -> None:
    parts = []
    for name, log in logs:
        text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
        parts.append(f"===== shard {name}: {log} =====\n{text}")
    write_text_atomic(target, "\n".join(parts))
