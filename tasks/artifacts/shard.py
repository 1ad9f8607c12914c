"""shard.json: what one shard job ran (`--shard K/N`): its place in the split, the whole
collection it was cut from, and what must match across shards (commit, config, durations),
written from the run step's record; shard-plan.json: what each full pytest run of the job
splits the suite by (K, N, the recorded durations; read by the plugin, phasegate_shard);
durations.json: each test's recorded duration, which balances the next split; shards.json:
which shards `combine` merged into the reports folder.

Format history:
    shard.json 1: first version.
    shard-plan.json 1: first version.
    durations.json 1: first version.
    shards.json 1: first version.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

from tasks.artifacts.store import Kind, load


class ShardArtifact(TypedDict):
    shard: int  # K, 1-based
    of: int  # N
    commit: str | None  # the project's HEAD (None: not a git repository)
    fingerprint: str  # the settings that decide what a shard runs (tasks.shards.select)
    project: str  # the checkout it ran in: combine maps its paths to its own
    rootdir: str  # pytest's, which node ids are relative to
    durations_from: str  # the file the split was balanced by ("" = none: round-robin)
    durations_digest: str
    collected_digest: str
    collected: list[str]  # every collected test, then every module that failed to collect
    tests: list[str]  # this shard's share of `collected`, in collection order
    expected_seconds: float  # the share's recorded duration (the medians included)


class ShardPlanArtifact(TypedDict):
    shard: int  # K
    of: int  # N
    durations: dict[str, float]  # node id -> seconds, as read_durations found them
    durations_from: str  # the file they came from ("" = none: round-robin)


class DurationsArtifact(TypedDict):
    durations: dict[str, float]  # node id -> seconds (setup, call and teardown)


class CombinedShard(TypedDict):
    name: str  # K-of-N
    folder: str
    commit: str | None
    tests: int
    duration: float  # its run step's


class ShardsArtifact(TypedDict):
    base_run_id: str
    of: int
    shards: list[CombinedShard]


SHARD = Kind("shard", ShardArtifact, 1, produced_by="run --shard K/N")
SHARD_PLAN = Kind("shard-plan", ShardPlanArtifact, 1, produced_by="run --shard K/N")
DURATIONS = Kind("durations", DurationsArtifact, 1, produced_by="combine")
SHARDS = Kind("shards", ShardsArtifact, 1, produced_by="combine")


def shard_json(folder: Path) -> Path:
    return folder / "shard.json"


def plan_file(folder: Path) -> Path:
    """The split's inputs, what PHASEGATE_SHARD_PLAN names."""
    return folder / "shard-plan.json"


def load_shard(folder: Path) -> ShardArtifact:
    return load(shard_json(folder), SHARD)
