"""Whether shard folders are the parts of one suite run: each refusal is one line naming the
folder (or the missing shard), so a wrong merge never becomes a verdict."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tasks.artifacts import Artifacts
from tasks.artifacts.run import load_run
from tasks.artifacts.shard import ShardArtifact, load_shard, shard_json
from tasks.artifacts.stability import STABILITY
from tasks.artifacts.store import load
from tasks.config import PhaseConfig
from tasks.errors import PhaseError
from tasks.shards.select import fingerprint
from tasks.shards.split import shard_name

Shard = tuple[Path, ShardArtifact]
_RERUN = "rerun that shard's job (`phasegate validate --shard K/N`) or drop its folder"


class ShardError(PhaseError):
    """A shard folder that cannot be merged with the others."""


def _load(folder: Path) -> ShardArtifact:
    if not shard_json(folder).is_file():
        raise ShardError(
            f"{folder}: no shard.json, not a shard's folder; name the folders that "
            "`phasegate run --shard K/N` wrote"
        )
    data = load_shard(folder)
    run = load_run(folder)
    stability = Artifacts(folder).stability_json
    if stability.is_file() and load(stability, STABILITY)["base_run_id"] != run["run_id"]:
        raise ShardError(f"{stability}: made from another run than {folder}/run.json; {_RERUN}")
    return data


def _mismatch(mine: ShardArtifact, first: Shard) -> str | None:
    """Why this shard is not a part of the same run as the first, or as this checkout."""
    other, ref = first
    ran = mine["commit"] or "no git commit"
    if mine["of"] != ref["of"]:
        return f"shard {mine['shard']} of {mine['of']}, but {other.name} is of {ref['of']}"
    if mine["commit"] != ref["commit"]:
        return f"ran {ran}, but {other.name} ran {ref['commit'] or 'no git commit'}"
    if mine["collected_digest"] != ref["collected_digest"]:
        return f"collected other tests than {other.name} (another checkout or environment)"
    if mine["durations_digest"] != ref["durations_digest"]:
        return (
            f"was split by other durations ({mine['durations_from'] or 'none'}) than "
            f"{other.name} ({ref['durations_from'] or 'none'}); give every job the same file"
        )
    return None


def check_shards(config: PhaseConfig, folders: Sequence[Path], head: str | None) -> list[Shard]:
    """The shards, in order 1..N, after every check; else the first refusal."""
    shards = [(folder, _load(folder)) for folder in folders]
    own = fingerprint(config)
    by_k: dict[int, Path] = {}
    for folder, data in shards:
        if data["fingerprint"] != own:
            raise ShardError(
                f"{folder}: ran with other settings (tests, pytest_args, runs, orders, ...) "
                f"than this combine's [tool.phasegate]; {_RERUN}"
            )
        why = _mismatch(data, shards[0])
        if why is not None:
            raise ShardError(f"{folder}: {why}; {_RERUN}")
        if data["shard"] in by_k:
            raise ShardError(
                f"{folder}: shard {data['shard']}/{data['of']} again (also in "
                f"{by_k[data['shard']]}); keep one of them"
            )
        by_k[data["shard"]] = folder
    n = shards[0][1]["of"]
    missing = [k for k in range(1, n + 1) if k not in by_k]
    if missing:
        where = folders[0].parent / shard_name(missing[0], n)
        raise ShardError(
            f"{where}: shard {missing[0]}/{n} is missing ({len(by_k)} of {n} shards found); "
            "wait for every shard job and put all their folders there"
        )
    _check_partition(shards)
    folder, first = shards[0]
    if head is not None and first["commit"] is not None and first["commit"] != head:
        raise ShardError(
            f"{folder}: ran {first['commit']}, but this checkout is at {head}; check out the "
            "commit the shards ran, then combine"
        )
    with_stability = [f for f, _ in shards if Artifacts(f).stability_json.is_file()]
    if with_stability and len(with_stability) != len(shards):
        lacking = next(f for f, _ in shards if f not in with_stability)
        raise ShardError(f"{lacking}: no stability.json while other shards have one; {_RERUN}")
    return sorted(shards, key=lambda s: s[1]["shard"])


def _check_partition(shards: Sequence[Shard]) -> None:
    """Every collected test in exactly one shard."""
    owner: dict[str, Path] = {}
    for folder, data in shards:
        for test in data["tests"]:
            if test in owner:
                raise ShardError(f"{folder}: {test} is also in {owner[test]}; {_RERUN}")
            owner[test] = folder
    left = [t for t in shards[0][1]["collected"] if t not in owner]
    if left:
        raise ShardError(f"{shards[0][0]}: {left[0]} is in no shard; {_RERUN}")
