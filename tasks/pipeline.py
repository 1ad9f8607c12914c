"""The steps in order, and how each one's result becomes an exit code.

`validate` runs every step, then gathers all gates into gates.json and one terminal table.
A step run on its own fails (exit 1) on its own gates; inside a chain it only records them,
so the summary is always written and `validate` decides. `project_session` holds the
project's lock around them: one run per project at a time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, cast

from tasks.artifacts import Artifacts, store
from tasks.artifacts.coverage import wait_for_reports
from tasks.artifacts.gates import GATES, GateJSON, GatesArtifact
from tasks.artifacts.run import load_run
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.coverage.step import coverage_step
from tasks.errors import ExitCode
from tasks.gates import Gate, any_failed, gates_table
from tasks.lock import hold
from tasks.run.step import run_step
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


def run_step_named(
    name: str, config: PhaseConfig, console: Console, *, settle: bool = True
) -> Mapping[str, Any] | Summary:
    """Run one step. `settle`: wait for work the step left in the background (the coverage
    reports of `run`); a chain passes False so that work overlaps the next step."""
    python = ensure_env(config, console) if name in RUNS_PYTEST else env_python(config)
    console.step(f"step {name}: phase {config.phase}, project {config.project}")
    data = STEPS[name](config, python, console)
    if settle and name == "run" and isinstance(data, Mapping) and data.get("coverage"):
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
    return ExitCode.OK if passed else ExitCode.GATE_FAILED


def validate(config: PhaseConfig, console: Console) -> ExitCode:
    """Every step in order, then the gates."""
    for name in ORDER:
        run_step_named(name, config, console, settle=False)
    return finish(config, console)


@contextlib.contextmanager
def project_session(config: PhaseConfig, console: Console, command: str) -> Iterator[None]:
    """Hold the project's lock around a command that writes."""
    with hold(config.project, command):
        yield
