"""A shard job's share of the suite, split inside each pytest process as pytest-split does.

phasegate writes the plan (shard-plan.json: K, N and the recorded durations read here) and names
it to every full pytest run of the job (PHASEGATE_SHARD_PLAN); each process collects the whole
suite, splits it (tasks/pytest_plugin/phasegate_split.py, the one implementation), keeps its
share and records the split (tasks/pytest_plugin/phasegate_shard.py). No separate collection:
the run step's record gives shard.json, and every stability run of the job must have split
alike (a run that collected otherwise is an error naming it). Reruns (ids: orders) run their
ids and never split."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from tasks import gitinfo
from tasks.artifacts import Artifacts, store
from tasks.artifacts.shard import (
    SHARD,
    SHARD_PLAN,
    ShardArtifact,
    ShardPlanArtifact,
    load_shard,
    plan_file,
    shard_json,
)
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.errors import ConfigError, PhaseError
from tasks.shards.split import digest

# The settings that decide which tests a shard runs and how: shards (and `combine`) that
# differ in one of them are not parts of the same suite run.
FINGERPRINTED = (
    "phase", "tests", "pytest_args", "pythonpath", "source", "install", "venv", "runs",
    "orders", "rerun_budget", "timeout",
)  # fmt: skip


def fingerprint(config: PhaseConfig) -> str:
    return digest({name: getattr(config, name) for name in FINGERPRINTED})


def read_durations(config: PhaseConfig) -> tuple[dict[str, float], str]:
    """Each test's recorded duration and the file it came from: `durations` if set, else
    the reports folder's durations.json (from `combine`), else its run.json; none at all is
    no error (the split is then round-robin)."""
    base = config.base_reports_dir
    if config.durations is not None:
        path = config.project / config.durations
        if not path.is_file():
            raise ConfigError(
                f"{config.where('durations')}: {path} not found; point it at a "
                "durations.json (written by `phasegate combine`) or a run.json"
            )
        candidates = [path]
    else:
        arts = Artifacts(base)
        candidates = [p for p in (arts.durations_json, arts.run_json) if p.is_file()]
    for path in candidates:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"{path}: not a durations file ({exc}); delete it or fix it"
            ) from None
        if isinstance(data, dict) and isinstance(data.get("durations"), dict):
            return {str(k): float(v) for k, v in data["durations"].items()}, str(path)
        if isinstance(data, dict) and isinstance(data.get("tests"), list):
            found = {
                t["nodeid"]: float(t["duration"]) for t in data["tests"] if "::" in t["nodeid"]
            }
            return found, str(path)
        raise ConfigError(f"{path}: neither a durations.json nor a run.json; delete it or fix it")
    return {}, ""


def shard_config(config: PhaseConfig, *, fresh: bool) -> PhaseConfig:
    """The config whose full pytest runs keep only this shard's tests. `fresh` (the run step):
    a new plan from the durations recorded now, and no shard.json until the run's record
    gives it; else (stability on its own) the run step's plan, checked against its settings."""
    folder, (k, n) = config.reports_dir, config.shard_spec or (1, 1)
    if fresh:
        durations, source = read_durations(config)
        plan: ShardPlanArtifact = {
            "shard": k, "of": n, "durations": durations, "durations_from": source
        }  # fmt: skip
        shard_json(folder).unlink(missing_ok=True)  # a run that stops early leaves none
        store.write(plan_file(folder), SHARD_PLAN, plan)
    else:
        data = load_shard(folder)
        store.load(plan_file(folder), SHARD_PLAN)  # there, and of this phasegate's format
        if data["fingerprint"] != fingerprint(config):
            raise ConfigError(
                f"{shard_json(folder)}: the shard's run used other settings; rerun "
                f"`phasegate run --shard {config.shard}` first"
            )
    return dataclasses.replace(config, shard_plan=plan_file(folder))


def record_split(config: PhaseConfig, record: Mapping[str, Any] | None, console: Console) -> None:
    """A shard job's shard.json from the run step's record (nothing for a run that is not a
    shard's; a record without a split: the run stopped before it, and the run step's own
    checks explain why)."""
    split = None if record is None else record.get("shard")
    if config.shard_plan is None or record is None or split is None:
        return
    folder = config.reports_dir
    plan = store.load(plan_file(folder), SHARD_PLAN)
    entries: list[str] = split["collected"]
    if plan["of"] > len(entries):
        raise ConfigError(
            f"{config.where('shard')}: the suite has {len(entries)} tests, too few for "
            f"{plan['of']} shards; use at most {len(entries)}"
        )
    data: ShardArtifact = {
        "shard": plan["shard"],
        "of": plan["of"],
        "commit": gitinfo.head(config.project),
        "fingerprint": fingerprint(config),
        "project": str(config.project),
        "rootdir": str(record["rootdir"]),
        "durations_from": plan["durations_from"],
        "durations_digest": digest(plan["durations"]),
        "collected_digest": digest(entries),
        "collected": entries,
        "tests": list(split["tests"]),
        "expected_seconds": float(split["expected_seconds"]),
    }
    store.write(shard_json(folder), SHARD, data)
    source = data["durations_from"] or "none recorded: round-robin"
    console.step(
        f"shard {data['shard']}/{data['of']}: {len(data['tests'])} of {len(entries)} collected "
        f"(recorded ~{data['expected_seconds']:.1f}s; durations: {source}); the split: "
        f"{shard_json(folder)}"
    )


def check_runs(
    config: PhaseConfig, runs: Sequence[Mapping[str, Any]], records: Sequence[Mapping[str, Any]]
) -> None:
    """Every full run of the shard job split the suite as the run step did (`runs`: the
    stability runs' entries, `records` their recorder outputs; a record without a split
    stopped before it, and its run says so itself)."""
    mine = load_shard(config.reports_dir)
    for run, record in zip(runs, records, strict=True):
        split = record.get("shard")
        if split is None:
            continue
        name = f"stability run {run['index']} (log: {run['log']})"
        if split["collected"] != mine["collected"]:
            raise PhaseError(
                f"{name}: collected other tests than the run step ({len(split['collected'])} "
                f"vs {len(mine['collected'])}), so its share of shard {config.shard} differs; "
                "make the collection deterministic (no random parameters), then rerun the job"
            )
        if split["tests"] != mine["tests"]:
            raise PhaseError(
                f"{name}: split the suite otherwise than the run step did "
                f"({shard_json(config.reports_dir)}); rerun `phasegate run --shard "
                f"{config.shard}` first"
            )
