"""The command line and environment of one pytest process: which plugins, which order, how
coverage is started, what a replay command shows. Pure: nothing here starts a process."""

from __future__ import annotations

import dataclasses
import os
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from tasks.config import PhaseConfig
from tasks.orders import Order, OrderKind

PLUGIN_DIR = Path(__file__).resolve().parent / "pytest_plugin"
PLUGIN = "phasegate_recorder"
CONTEXTS_PLUGIN = "phasegate_contexts"  # per-test contexts when coverage starts before pytest
# Variables of an outer coverage or phasegate run that must not leak into the project's run.
_STRIPPED_ENV = (
    "COVERAGE_PROCESS_START",
    "COVERAGE_FILE",
    "COVERAGE_CORE",
    "PHASEGATE_RECORD",
    "PHASEGATE_JOURNAL",
    "PHASEGATE_ORDER",
    "PHASEGATE_SHARD_PLAN",
)
_HIDDEN_IN_REPLAY = ("PHASEGATE_RECORD", "PHASEGATE_JOURNAL")


@dataclasses.dataclass(frozen=True)
class CoverageSpec:
    """How one run is instrumented."""

    sources: tuple[str, ...]  # empty: the project's own coverage config says what to measure
    data_file: Path
    contexts: bool = True
    # Start coverage before pytest (`coverage run -m pytest`), so modules pytest imports
    # itself (pluggy, iniconfig, packaging, plugins named with -p) are measured from their
    # first line; else pytest-cov starts it once pytest has started (needed under xdist).
    early: bool = False


@dataclasses.dataclass(frozen=True)
class Invocation:
    """One pytest process: what it runs, in which order, where it writes."""

    label: str
    order: Order  # a rerun's is ids:PATH: those tests, from a file
    record: Path
    log: Path
    junit: Path | None = None
    coverage: CoverageSpec | None = None
    echo: bool = True  # stream pytest's output to the terminal
    extra_args: tuple[str, ...] = ()  # after the project's pytest_args, e.g. -n0 for a rerun
    timeout: float | None = None  # seconds; None: a full run's limit (`run_limit`)
    # A temporary folder of its own (TMPDIR, TEMP, TMP) for a run that has company, so tests
    # that write temporary files do not meet those of another run.
    tmpdir: Path | None = None

    @property
    def journal(self) -> Path:
        """The recorder's running account, read when the process stops before its record."""
        return self.record.with_name(self.record.stem + ".journal.tmp")


def build(config: PhaseConfig, python: Path, inv: Invocation) -> tuple[list[str], dict[str, str]]:
    """The argument list and the environment variables phasegate adds for one invocation."""
    cov = inv.coverage
    argv = [str(python), "-m", "pytest", "-p", PLUGIN, "--continue-on-collection-errors"]
    if cov is not None and cov.early:
        starts = [str(python), "-m", "coverage", "run", f"--data-file={cov.data_file}"]
        starts += [f"--source={','.join(cov.sources)}"] if cov.sources else []
        # --no-cov: a --cov in the project's addopts must not start a second measurement.
        argv = [*starts, *argv[1:], "-p", CONTEXTS_PLUGIN, "--no-cov"]
    if inv.order.kind is not OrderKind.FILE:
        argv += ["-p", "no:randomly"]  # pytest-randomly would reshuffle our order
    if inv.junit is not None:
        argv += [f"--junitxml={inv.junit}"]
    if cov is not None and not cov.early:
        argv += [f"--cov={s}" for s in cov.sources] or ["--cov"]
        # No report here: coverage_reports writes them in the background after the run.
        argv += ["--cov-report="]
        if cov.contexts:
            argv += ["--cov-context=test"]
    argv += list(config.pytest_args)
    argv += list(inv.extra_args)
    argv += list(config.tests)  # a rerun's tests come from its ids file, never from here
    extra = {
        "PHASEGATE_RECORD": str(inv.record),
        "PHASEGATE_JOURNAL": str(inv.journal),
        "PHASEGATE_ORDER": str(inv.order),
        "PYTHONPATH": os.pathsep.join([str(PLUGIN_DIR), *(str(p) for p in config.pythonpath_dirs)]),
    }
    if config.shard_plan is not None and inv.order.kind is not OrderKind.IDS:
        # A shard's full run splits the suite itself (tasks.shards); a rerun runs its ids.
        extra["PHASEGATE_SHARD_PLAN"] = str(config.shard_plan)
    if inv.tmpdir is not None:
        extra.update(dict.fromkeys(("TMPDIR", "TEMP", "TMP"), str(inv.tmpdir)))
    if cov is not None:
        extra["COVERAGE_FILE"] = str(cov.data_file)
        if cov.contexts:
            # sys.monitoring (the default core from Python 3.14) records no per-test contexts.
            extra["COVERAGE_CORE"] = "ctrace"
    return argv, extra


def environment(extra: Mapping[str, str], base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: ours on top of the user's, their PYTHONPATH kept after ours."""
    base = os.environ if base is None else base
    env = {k: v for k, v in base.items() if k not in _STRIPPED_ENV}
    env.update(extra)
    if base.get("PYTHONPATH"):
        env["PYTHONPATH"] = extra["PYTHONPATH"] + os.pathsep + base["PYTHONPATH"]
    return env


def replay_command(argv: Sequence[str], extra: Mapping[str, str], project: Path) -> str:
    """A shell command that replays the run exactly, from the project's root."""
    shown = {k: v for k, v in extra.items() if k not in _HIDDEN_IN_REPLAY}
    prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in shown.items())
    return f"cd {shlex.quote(str(project))} && {prefix} {shlex.join(argv)}"
