"""The steps in order, and how each one's result becomes an exit code.

`validate` runs every step, then gathers all gates into gates.json and one terminal table.
A step run on its own fails (exit 1) on its own gates; inside a chain it only records them,
so the summary is always written and `validate` decides.

Around them: `project_session` (one run per project at a time, the one-time move of files
from their old default places, the reports folder) and `preflight` (every input checked
before the first test runs).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, cast

from tasks import processes
from tasks.artifacts import Artifacts, move_legacy_reports, prepare, retire_previous_run, store
from tasks.artifacts.coverage import wait_for_reports
from tasks.artifacts.gates import GATES, GateJSON, GatesArtifact
from tasks.artifacts.history import move_legacy_history
from tasks.artifacts.run import RunArtifact, load_run
from tasks.ci.publish import publish
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.coverage.step import coverage_step
from tasks.errors import ExitCode, ReportsVanishedError
from tasks.gates import Gate, any_failed, gates_table
from tasks.lock import hold
from tasks.preflight import check_writable, preflight
from tasks.run.combine import Shard, combine_run
from tasks.run.step import run_step
from tasks.shards.select import shard_config
from tasks.stability import concurrent
from tasks.stability.combine import combine_stability
from tasks.stability.concurrent import Ahead
from tasks.stability.step import stability_step
from tasks.summary.model import Summary
from tasks.summary.step import artifact_paths, collect_gates, summary_step
from tasks.testenv import ensure_env, env_python
from tasks.triage.step import triage_step

# Each step returns what it wrote: its artifact (a TypedDict), or the Summary.
Step = Callable[[PhaseConfig, Path, Console], Mapping[str, Any] | Summary]
STEPS: dict[str, Step] = {
    "run": run_step,
    "stability": stability_step,
    "triage": triage_step,
    "coverage": coverage_step,
    "summary": summary_step,
}
ORDER = tuple(STEPS)
RUNS_PYTEST = frozenset({"run", "stability"})
# The default reports folder of phasegate < 0.2, which also held the history: setuptools'
# flat-layout discovery took `reports/` for a second top-level package.
LEGACY_REPORTS = Path("reports") / "phasegate"


def run_step_named(
    name: str,
    config: PhaseConfig,
    console: Console,
    *,
    settle: bool = True,
    checked: bool = False,
    ahead: Ahead | None = None,
) -> Mapping[str, Any] | Summary:
    """Run one step. `settle`: wait for work the step left in the background (the coverage
    reports of `run`); a chain passes False so that work overlaps the next step. `checked`:
    the chain has run `preflight` already. `ahead`: the stability runs to start beside the
    instrumented run, and collect in the stability step."""
    if name in RUNS_PYTEST and not checked:
        preflight(config)
    if name == "run":
        started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        retire_previous_run(Artifacts(config.reports_dir), config.summary, started)
    python = ensure_env(config, console) if name in RUNS_PYTEST else env_python(config)
    if config.shard and name in RUNS_PYTEST:  # only this shard's tests (tasks.shards)
        config = shard_config(config, fresh=name == "run")
    console.step(f"step {name}: phase {config.phase}, project {config.project}")
    if ahead is not None and name == "run":
        tmpdir = ahead.start(config, python)
        data: Mapping[str, Any] | Summary = run_step(config, python, console, tmpdir)
        ahead.run_one_ended()
    elif ahead is not None and name == "stability":
        data = stability_step(config, python, console, ahead)
    else:
        data = STEPS[name](config, python, console)
    reports = isinstance(data, Mapping) and data.get("coverage") and not config.shard
    if settle and name == "run" and reports:
        wait_for_reports(Artifacts(config.reports_dir), config.project)
    return data


def step_exit_code(name: str, data: Mapping[str, Any] | Summary) -> ExitCode:
    """A step on its own: `run` fails like pytest on a failed test; others on their gates."""
    if isinstance(data, Summary):
        raw: list[GateJSON] = data.gates
    elif name == "run":
        bad = data["counts"]["failed"] + data["counts"]["error"]
        return ExitCode.GATE_FAILED if bad else ExitCode.OK
    else:
        raw = cast("list[GateJSON]", data.get("gates", []))
    gates = [Gate.from_json(g) for g in raw]
    return ExitCode.GATE_FAILED if any_failed(gates) else ExitCode.OK


def finish(config: PhaseConfig, console: Console) -> ExitCode:
    """Gather every gate of this run into gates.json and the terminal table."""
    run = load_run(config.reports_dir)
    gates = collect_gates(config, run)
    passed = not any_failed(gates)
    data: GatesArtifact = {
        "base_run_id": run["run_id"],
        "phase": config.phase,
        "passed": passed,
        "gates": [g.to_json() for g in gates],
    }
    store.write(Artifacts(config.reports_dir).gates_json, GATES, data)
    console.write("")
    console.write(gates_table(gates))
    console.write("")
    for label, path in artifact_paths(config):
        if path.exists():
            console.write(f"  {label:<14} {path}")
    console.write("")
    console.step(
        f"phase {config.phase}: "
        + ("all gates pass" if passed else f"{sum(g.failed for g in gates)} gate(s) failed")
    )
    publish(config, run, gates, console)  # on GitHub Actions or GitLab CI; else nothing
    return ExitCode.OK if passed else ExitCode.GATE_FAILED


def validate(config: PhaseConfig, console: Console) -> ExitCode:
    """Every input checked, every step in order, then the gates. A shard job runs only the
    steps that run tests: `combine` gives the phase's verdict."""
    preflight(config)
    steps = ("run", "stability") if config.shard else ORDER
    data: dict[str, Mapping[str, Any] | Summary] = {}
    # Stability runs 2.. start beside the instrumented run when `jobs` allows; leaving the
    # block by an exception stops every one still running.
    with contextlib.ExitStack() as stack:
        ahead = concurrent.ahead(config, console)
        if ahead is not None:
            stack.enter_context(ahead)
        for name in steps:
            data[name] = run_step_named(
                name, config, console, settle=False, checked=True, ahead=ahead
            )
    if config.shard:
        return max(step_exit_code(n, d) for n, d in data.items())
    return finish(config, console)


def merge_shards(config: PhaseConfig, shards: list[Shard]) -> RunArtifact:
    """`combine`: the shards' run and stability artifacts merged, as one machine's."""
    run = combine_run(config, shards)
    combine_stability(config, shards, run)
    return run


# --- the session around the steps -----------------------------------------------------------


@contextlib.contextmanager
def project_session(config: PhaseConfig, console: Console, command: str) -> Iterator[None]:
    """Hold the project's lock, move files from their old default places once, prepare the
    reports folder, and report a folder that vanishes meanwhile as that. SIGTERM (a CI job
    cancelled, `kill`) stops it as Ctrl-C does, whichever step runs: children stopped,
    temporary files removed, exit 130; for the CLI and the nox sessions alike."""
    for name in ("reports_dir", "trending", "summary"):
        check_writable(config, name)
    with processes.signals_raise(), hold(config.project, command):
        _move_legacy(config, console)
        own = config.project / ".phasegate"
        prepare(Artifacts(config.reports_dir), config.reports_dir.is_relative_to(own))
        with _watching(config.reports_dir, command):
            yield


def _move_legacy(config: PhaseConfig, console: Console) -> None:
    project = config.project
    old = config.reports_dir if config.given("reports_dir") else project / LEGACY_REPORTS
    moved = (
        []
        if config.given("trending")
        else move_legacy_history(old, config.trending, config.seen_flaky)
    )
    if moved:
        names = " and ".join(os.path.relpath(p, project) for p in moved)
        target = os.path.relpath(config.trending.parent, project)
        console.write(f"phasegate: moved {names} to {target}/, the history's new default place")
    if not config.given("reports_dir") and move_legacy_reports(
        project / LEGACY_REPORTS, config.reports_dir
    ):
        target = os.path.relpath(config.reports_dir, project)
        console.write(
            f"phasegate: moved the reports folder {LEGACY_REPORTS} to {target}, its new default "
            "place (build tools took reports/ for a package)"
        )


@contextlib.contextmanager
def _watching(folder: Path, command: str) -> Iterator[None]:
    """Turn whatever a deleted or replaced reports folder causes into one line saying so.

    An open descriptor keeps the folder's inode alive, so a new folder made in its place
    cannot reuse it: a changed inode, or none, means the folder the run began with is gone.
    """
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)

    def vanished() -> ReportsVanishedError | None:
        try:
            now, then = folder.stat(), os.fstat(fd)
            same = (now.st_dev, now.st_ino) == (then.st_dev, then.st_ino)
        except OSError:
            same = False
        if same and os.fstat(fd).st_nlink > 0:
            return None
        return ReportsVanishedError(
            f"the reports folder {folder} vanished during the run (deleted or replaced by "
            f"something else); what phasegate wrote there is lost: rerun `{command}`"
        )

    try:
        yield
        gone = vanished()
        if gone is not None:
            raise gone
    except Exception as exc:
        if isinstance(exc, ReportsVanishedError):
            raise
        gone = vanished()
        if gone is not None:
            raise gone from exc
        raise
    finally:
        os.close(fd)
