"""`phasegate combine`: the shard folders checked to be the parts of one suite run, merged
into the reports folder, then triage, coverage, summary and the gates as on one machine.

Every check comes before anything is written: a missing, duplicated or mismatched shard
(another commit, another N, other settings, another collection or split) is refused with one
line naming its folder, and the reports folder is left as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from tasks import gitinfo
from tasks.artifacts import Artifacts, retire_previous_run, store
from tasks.artifacts.run import RunArtifact, load_run
from tasks.artifacts.shard import (
    DURATIONS,
    SHARDS,
    CombinedShard,
    DurationsArtifact,
    ShardArtifact,
    ShardsArtifact,
)
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.errors import ConfigError, ExitCode, PhaseError
from tasks.pipeline import finish, merge_shards, run_step_named
from tasks.preflight import preflight
from tasks.shards.checks import check_shards

Shard = tuple[Path, ShardArtifact]


def shard_folders(config: PhaseConfig, dirs: Sequence[str]) -> list[Path]:
    """The folders named, else every folder under `<reports_dir>/shards/`."""
    if dirs:
        folders = [Path(d).resolve() for d in dirs]
        for folder in folders:
            if not folder.is_dir():
                raise PhaseError(
                    f"{folder}: no such shard folder; name the folders the shard jobs wrote "
                    "(`<reports_dir>/shards/K-of-N/`)"
                )
        return folders
    root = Artifacts(config.reports_dir).shards_dir
    folders = sorted(p for p in root.glob("*") if p.is_dir()) if root.is_dir() else []
    if not folders:
        raise PhaseError(
            f"{root}: no shard folders; run `phasegate validate --shard K/N` in each job and "
            "put their folders there (or name them: `phasegate combine DIR...`)"
        )
    return folders


def durations_of(run: RunArtifact) -> dict[str, float]:
    return {t["nodeid"]: t["duration"] for t in run["tests"] if "::" in t["nodeid"]}


def _record(config: PhaseConfig, shards: Sequence[Shard], run: RunArtifact) -> None:
    """durations.json (what balances the next split) and shards.json (what was merged)."""
    arts = Artifacts(config.reports_dir)
    durations: DurationsArtifact = {"durations": durations_of(run)}
    store.write(arts.durations_json, DURATIONS, durations)
    rows: list[CombinedShard] = [
        {
            "name": folder.name,
            "folder": str(folder),
            "commit": shard["commit"],
            "tests": len(shard["tests"]),
            "duration": load_run(folder)["duration"],
        }
        for folder, shard in shards
    ]
    data: ShardsArtifact = {"base_run_id": run["run_id"], "of": shards[0][1]["of"], "shards": rows}
    store.write(arts.shards_json, SHARDS, data)


def combine(config: PhaseConfig, console: Console, dirs: Sequence[str]) -> ExitCode:
    """Check, merge, then the steps after the test runs, and the gate table."""
    if config.shard:
        raise ConfigError(f"{config.where('shard')}: combine merges every shard; drop it")
    folders = shard_folders(config, dirs)
    shards = check_shards(config, folders, gitinfo.head(config.project))
    preflight(config)
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    retire_previous_run(Artifacts(config.reports_dir), config.summary, started)
    n = shards[0][1]["of"]
    console.step(f"combine: {n} shard(s) of commit {shards[0][1]['commit'] or '(no git)'}")
    run = merge_shards(config, list(shards))
    _record(config, shards, run)
    console.step(f"combine: {len(run['tests'])} tests merged from {n} shards")
    for name in ("triage", "coverage", "summary"):
        run_step_named(name, config, console, settle=False, checked=True)
    return finish(config, console)
