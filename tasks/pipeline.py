"""The steps in order, and how each one's result becomes an exit code.

`validate` runs every step, then gathers all gates into gates.json and one terminal table.
A step run on its own fails (exit 1) on its own gates; inside a chain it only records them,
so the summary is always written and `validate` decides.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tasks.artifacts import Artifacts, write_json
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.coverage.step import coverage_step
from tasks.errors import ExitCode
from tasks.gates import Gate, any_failed, gates_table
from tasks.run import reporter
from tasks.run.step import load_run, run_step
from tasks.stability.step import stability_step
from tasks.summary.step import artifact_paths, collect_gates, summary_step
from tasks.testenv import ensure_env, env_python
from tasks.triage.step import triage_step

Step = Callable[[PhaseConfig, Path, Console], dict[str, Any]]
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
) -> dict[str, Any]:
    """Run one step. `settle`: wait for work the step left in the background (the coverage
    reports of `run`); a chain passes False so that work overlaps the next step."""
    python = ensure_env(config, console) if name in RUNS_PYTEST else env_python(config)
    console.step(f"step {name}: phase {config.phase}, project {config.project}")
    data = STEPS[name](config, python, console)
    if settle and name == "run" and data.get("coverage"):
        reporter.wait(Artifacts(config.reports_dir), config.project)
    return data


def step_exit_code(name: str, data: dict[str, Any]) -> ExitCode:
    """A step on its own: `run` fails like pytest on a failed test; others on their gates."""
    if name == "run":
        bad = data["counts"]["failed"] + data["counts"]["error"]
        return ExitCode.GATE_FAILED if bad else ExitCode.OK
    gates = [Gate.from_json(g) for g in data.get("gates", [])]
    return ExitCode.GATE_FAILED if any_failed(gates) else ExitCode.OK


def finish(config: PhaseConfig, console: Console) -> ExitCode:
    """Gather every gate of this run into gates.json and the terminal table."""
    run = load_run(config)
    gates = collect_gates(config, run)
    passed = not any_failed(gates)
    write_json(
        Artifacts(config.reports_dir).gates_json,
        "gates",
        {
            "base_run_id": run["run_id"],
            "phase": config.phase,
            "passed": passed,
            "gates": [g.to_json() for g in gates],
        },
    )
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
