"""A shard job's share of the suite: collect the tests (a `--collect-only` pytest run in the
test environment, through phasegate's runner), split them (tasks.shards.split) by the recorded
durations, and record the split in shard.json; every later pytest process of the job then runs
only the shard's tests (PHASEGATE_SELECT, tasks/pytest_plugin/phasegate_order.py)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from tasks import gitinfo
from tasks.artifacts import Artifacts, store, write_text_atomic
from tasks.artifacts.shard import (
    SHARD,
    ShardArtifact,
    load_shard,
    selection_file,
    shard_json,
)
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.errors import ConfigError, NoTestsError, PhaseError
from tasks.orders import FILE
from tasks.pytest_command import Invocation
from tasks.pytest_runner import run_pytest
from tasks.shards.split import digest, split, weights

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


def collect(config: PhaseConfig, python: Path, console: Console) -> tuple[list[str], str]:
    """Every collected test in pytest's order, then every module that failed to collect
    (each reported by the one shard it falls to); and pytest's rootdir."""
    folder = config.reports_dir
    inv = Invocation(
        label="collect", order=FILE, record=folder / "collect-record.json",
        log=folder / "collect.log", extra_args=("--collect-only", "-q"), echo=False,
    )  # fmt: skip
    result = run_pytest(dataclasses.replace(config, selection=None), python, inv, console)
    record: dict[str, Any] | None = result.record
    if record is None:
        raise PhaseError(
            f"pytest --collect-only stopped before reporting (exit {result.exit_code}); "
            f"full log: {inv.log}"
        )
    ids = list(dict.fromkeys(record["order"]))
    broken = [r["nodeid"] for r in record["reports"] if r["when"] == "collect"]
    entries = ids + [n for n in dict.fromkeys(broken) if n not in ids]
    if not entries:
        raise NoTestsError(f"no tests collected for the split; full log: {inv.log}")
    return entries, str(record["rootdir"])


def plan(config: PhaseConfig, python: Path, console: Console, k: int, n: int) -> ShardArtifact:
    """Collect, split and record shard `k` of `n` (run by `run --shard`)."""
    entries, rootdir = collect(config, python, console)
    durations, source = read_durations(config)
    if n > len(entries):
        raise ConfigError(
            f"{config.where('shard')}: the suite has {len(entries)} tests, too few for {n} "
            f"shards; use at most {len(entries)}"
        )
    groups = split(entries, durations, n)
    weight = dict(zip(entries, weights(entries, durations), strict=True))
    mine = groups[k - 1]
    return {
        "shard": k,
        "of": n,
        "commit": gitinfo.head(config.project),
        "fingerprint": fingerprint(config),
        "project": str(config.project),
        "rootdir": rootdir,
        "durations_from": source,
        "durations_digest": digest(durations),
        "collected_digest": digest(entries),
        "collected": entries,
        "tests": mine,
        "expected_seconds": round(sum(weight[t] for t in mine), 3),
    }


def shard_config(
    config: PhaseConfig, python: Path, console: Console, *, fresh: bool
) -> PhaseConfig:
    """The config whose pytest processes run only this shard's tests. `fresh` (the run
    step): collect and split anew; else (stability on its own) the run step's split."""
    folder, (k, n) = config.reports_dir, config.shard_spec or (1, 1)
    if fresh:
        data = plan(config, python, console, k, n)
        lines = "".join(t + "\n" for t in data["tests"])
        write_text_atomic(selection_file(folder), lines)
        store.write(shard_json(folder), SHARD, data)
        source = data["durations_from"] or "none recorded: round-robin"
        console.step(
            f"shard {data['shard']}/{data['of']}: {len(data['tests'])} of "
            f"{len(data['collected'])} collected (recorded ~{data['expected_seconds']:.1f}s; "
            f"durations: {source}); the list: {selection_file(folder)}"
        )
    else:
        data = load_shard(folder)
        if data["fingerprint"] != fingerprint(config):
            raise ConfigError(
                f"{shard_json(folder)}: the shard's run used other settings; rerun "
                f"`phasegate run --shard {config.shard}` first"
            )
    return dataclasses.replace(config, selection=selection_file(folder))
