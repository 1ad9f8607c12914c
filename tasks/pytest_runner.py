"""Running pytest in a fresh process of the test environment, with the recorder plugin loaded.

The one place phasegate builds a pytest command line. Output streams to the terminal (pytest's
own progress) and to a log file; the outcomes come from the recorder's JSON, never the log.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.errors import ConfigError, NoTestsError, PhaseError

PLUGIN_DIR = Path(__file__).resolve().parent / "pytest_plugin"
PLUGIN = "phasegate_recorder"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Variables of an outer coverage or phasegate run that must not leak into the project's run.
_STRIPPED_ENV = (
    "COVERAGE_PROCESS_START",
    "COVERAGE_FILE",
    "COVERAGE_CORE",
    "PHASEGATE_RECORD",
    "PHASEGATE_ORDER",
)


@dataclasses.dataclass(frozen=True)
class CoverageSpec:
    """How one run is instrumented."""

    sources: tuple[str, ...]  # empty: the project's own coverage config says what to measure
    data_file: Path
    contexts: bool = True


@dataclasses.dataclass(frozen=True)
class Invocation:
    """One pytest process: what it runs, in which order, where it writes."""

    label: str
    order: str  # file | reverse | shuffle:SEED | ids:PATH
    record: Path
    log: Path
    junit: Path | None = None
    coverage: CoverageSpec | None = None
    select: tuple[str, ...] | None = None  # node ids to run instead of the configured tests
    echo: bool = True  # stream pytest's output to the terminal
    extra_args: tuple[str, ...] = ()  # after the project's pytest_args, e.g. -n0 for a rerun


@dataclasses.dataclass(frozen=True)
class PytestResult:
    exit_code: int
    duration: float
    record: dict[str, Any] | None
    replay: str


def build(config: PhaseConfig, python: Path, inv: Invocation) -> tuple[list[str], dict[str, str]]:
    """The argument list and the environment variables phasegate adds for one invocation."""
    argv = [str(python), "-m", "pytest", "-p", PLUGIN, "--continue-on-collection-errors"]
    if inv.order != "file":
        argv += ["-p", "no:randomly"]  # pytest-randomly would reshuffle our order
    if inv.junit is not None:
        argv += [f"--junitxml={inv.junit}"]
    cov = inv.coverage
    if cov is not None:
        argv += [f"--cov={s}" for s in cov.sources] or ["--cov"]
        # No report here: coverage_reports writes them in the background after the run.
        argv += ["--cov-report="]
        if cov.contexts:
            argv += ["--cov-context=test"]
    argv += list(config.pytest_args)
    argv += list(inv.extra_args)
    argv += list(inv.select) if inv.select is not None else list(config.tests)
    extra = {
        "PHASEGATE_RECORD": str(inv.record),
        "PHASEGATE_ORDER": inv.order,
        "PYTHONPATH": os.pathsep.join([str(PLUGIN_DIR), *(str(p) for p in config.pythonpath_dirs)]),
    }
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
    shown = {k: v for k, v in extra.items() if k != "PHASEGATE_RECORD"}
    prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in shown.items())
    return f"cd {shlex.quote(str(project))} && {prefix} {shlex.join(argv)}"


def as_argument(nodeid: str, rootdir: Path, project: Path) -> str:
    """A node id (relative to pytest's rootdir) as a command-line argument given from the
    project's root: they differ when the pytest config lives in a subfolder."""
    if rootdir == project:
        return nodeid
    path, sep, rest = nodeid.partition("::")
    return Path(os.path.relpath(rootdir / path, project)).as_posix() + sep + rest


def repro_command(
    config: PhaseConfig,
    python: Path,
    nodeids: Sequence[str],
    extra: Sequence[str] = (),
    rootdir: Path | None = None,
) -> str:
    """The command a developer runs from the project root to reproduce the given tests, in
    that order (pytest runs node ids in the order they are given)."""
    args = [as_argument(n, rootdir or config.project, config.project) for n in nodeids]
    if config.venv == "none":
        shown = "python"
    elif python.is_relative_to(config.project):
        shown = os.path.relpath(python, config.project)
    else:
        shown = str(python)
    env = ""
    if config.pythonpath:
        env = "PYTHONPATH=" + shlex.quote(os.pathsep.join(config.pythonpath)) + " "
    return f"{env}{shlex.join([shown, '-m', 'pytest', '-p', 'no:randomly', *extra, *args])}"


def run_pytest(
    config: PhaseConfig, python: Path, inv: Invocation, console: Console
) -> PytestResult:
    """Run one pytest process; stream and log its output; return its recorded outcomes."""
    argv, extra = build(config, python, inv)
    if console.color and inv.echo:
        argv.insert(5, "--color=yes")
    inv.record.parent.mkdir(parents=True, exist_ok=True)
    inv.log.parent.mkdir(parents=True, exist_ok=True)
    inv.record.unlink(missing_ok=True)
    replay = replay_command(argv, extra, config.project)
    started = time.perf_counter()
    with inv.log.open("w", encoding="utf-8") as log:
        log.write(f"$ {replay}\n")
        try:
            proc = subprocess.Popen(
                argv,
                cwd=config.project,
                env=environment(extra),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
        except OSError as exc:
            raise PhaseError(f"cannot start {argv[0]}: {exc}") from None
        with proc:
            for line in proc.stdout or ():
                if inv.echo:
                    console.stream.write(line)
                log.write(_ANSI.sub("", line))
        console.stream.flush()
    duration = time.perf_counter() - started
    record = None
    if inv.record.is_file():
        record = json.loads(inv.record.read_text(encoding="utf-8"))
    return PytestResult(proc.returncode, duration, record, replay)


def check_ran(result: PytestResult, config: PhaseConfig, log: Path) -> dict[str, Any]:
    """The record of a run that really ran tests; otherwise the error that explains why not."""
    record = result.record
    if record is None:
        tail = "\n".join(log.read_text(encoding="utf-8").strip().splitlines()[-8:])
        if result.exit_code == 4:
            raise ConfigError(
                f"pytest refused to start (exit 4, usage error); check `pytest_args` and `tests` "
                f"in [tool.phasegate]; full log: {log}\n{tail}"
            )
        raise PhaseError(
            f"pytest stopped before reporting (exit {result.exit_code}); full log: {log}\n{tail}"
        )
    if result.exit_code == 5 or not record["reports"]:
        deselected = f"({record['deselected']} deselected)"
        if config.tests:
            raise NoTestsError(
                f"no tests collected from tests = [{', '.join(config.tests)}] in "
                f"[tool.phasegate] {deselected}; point `tests` at the test folders"
            )
        raise NoTestsError(
            f"no tests collected where plain pytest looks (its testpaths, else test files "
            f"under {record['rootdir']}) {deselected}; set tests in [tool.phasegate] to the "
            "test folders"
        )
    return record
