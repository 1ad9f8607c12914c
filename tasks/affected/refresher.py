"""The refresh process `tasks.affected.refresh.start` spawns: measure, then fold into
impact.json under the project's lock (see that module)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

from tasks import impact
from tasks.affected import merge
from tasks.affected.inputs import current_fingerprint, load_run
from tasks.affected.refresh import folder
from tasks.artifacts import Artifacts, store
from tasks.artifacts.impact import IMPACT, ImpactArtifact
from tasks.config import PhaseConfig, load_config
from tasks.console import Console
from tasks.errors import PhaseError
from tasks.lock import hold
from tasks.orders import FILE
from tasks.pytest_command import CoverageSpec, Invocation
from tasks.pytest_runner import as_argument, run_pytest
from tasks.sources import coverage_sources, starts_early


def stale_tests(config: PhaseConfig, index: ImpactArtifact) -> tuple[set[str], set[str]]:
    """The files whose content differs from the index's hash, and the tests that executed
    them (they must all run again for those files' entries to be replaced)."""
    changed = {
        name
        for name, entry in index["files"].items()
        if impact.file_hash(config.project / name) != entry["sha256"]
    }
    tests = {
        index["tests"][i]
        for name in changed
        for ids in index["files"][name]["lines"].values()
        for i in ids
    }
    return changed, tests


def measure(
    config: PhaseConfig, python: Path, args: list[str], work: Path
) -> tuple[Path, set[str]]:
    """Run `args` once with per-test contexts: the data file and the node ids that ran."""
    run = load_run(config)
    rootdir = Path(run["rootdir"]) if run else config.project
    args = [as_argument(n, rootdir, config.project) for n in args]
    sources, _ = coverage_sources(config)
    data_file = work / ".coverage"
    data_file.unlink(missing_ok=True)
    spec = CoverageSpec(
        sources=tuple(sources or ()), data_file=data_file, early=starts_early(config)
    )
    inv = Invocation(
        label="refresh",
        order=FILE,
        record=work / "record.json",
        log=work / "pytest.log",
        coverage=spec,
        echo=False,
        extra_args=tuple(args),
    )
    run_config = dataclasses.replace(config, tests=() if args else config.tests)
    result = run_pytest(run_config, python, inv, Console(quiet=True))
    ran = {r["nodeid"] for r in (result.record or {}).get("reports", []) if "::" in r["nodeid"]}
    return data_file, ran


def refresh(config: PhaseConfig, python: Path, nodeids: Sequence[str]) -> str:
    """Measure and fold in; returns what happened, for the log."""
    arts = Artifacts(config.reports_dir)
    work = folder(config) / f"run-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        before = store.load(arts.impact_json, IMPACT) if arts.impact_json.is_file() else None
        stamp = arts.impact_json.stat().st_mtime_ns if before is not None else None
        if before is None and nodeids:
            return "no impact index to refresh: only a whole-suite run builds the first one"
        changed, extra = stale_tests(config, before) if before is not None else (set(), set())
        args = sorted({*nodeids, *extra}) if nodeids else []
        data_file, ran = measure(config, python, args, work)
        fresh = impact.build(data_file, config.project, "refresh", current_fingerprint(config))
        with hold(config.project, "phasegate hook: refreshing the impact index"):
            now = arts.impact_json.stat().st_mtime_ns if arts.impact_json.is_file() else None
            if now != stamp:
                return (
                    "the impact index changed while the tests ran: left as the other run wrote it"
                )
            if before is None:
                fresh["base_run_id"] = uuid.uuid4().hex
                store.write(arts.impact_json, IMPACT, fresh)
                return f"wrote the first impact index ({len(fresh['tests'])} tests)"
            if before["config"] != fresh["config"]:
                return "the settings changed since the index was made: left as it was"
            store.write(arts.impact_json, IMPACT, merge.merge(before, fresh, ran, changed))
            return f"refreshed {len(ran)} tests and {len(changed)} changed files"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(request_path: str) -> int:
    request = Path(request_path)
    body = json.loads(request.read_text(encoding="utf-8"))
    request.unlink(missing_ok=True)
    try:
        config = load_config(Path(body["project"]))
        print(refresh(config, Path(body["python"]), body["nodeids"]))
    except PhaseError as exc:  # another run holds the lock, an unreadable index: try next time
        print(f"refresh skipped: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
