"""Running pytest in a fresh process of the test environment, with the recorder plugin loaded.

The one place phasegate builds a pytest command line. Output streams to the terminal (pytest's
own progress) and to a log file; the outcomes come from the recorder's JSON, never the log.
Every process runs in a process group of its own within a time limit (tasks.processes); one
that is stopped or dies inside a test has that test recorded as an error (tasks.pytest_journal).
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import json
import os
import re
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from tasks import processes
from tasks.artifacts import write_text_atomic
from tasks.ci import workflow
from tasks.ci.detect import Ci, detect
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.errors import ConfigError, NoTestsError, PhaseError, RunTimeoutError
from tasks.orders import OrderKind
from tasks.pytest_command import Invocation, build, environment, replay_command
from tasks.pytest_journal import complete, read_journal, stop_reason

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# pytest's own words when a conftest imports what is not installed (it stops before any
# hook of ours runs, so its output is all there is to read).
_CONFTEST_MISSING = re.compile(
    r"ImportError while loading conftest '(?P<conftest>[^']+)'.*?"
    r"No module named '(?P<module>[^']+)'",
    re.DOTALL,
)


@dataclasses.dataclass(frozen=True)
class PytestResult:
    exit_code: int
    duration: float
    record: dict[str, Any] | None
    replay: str
    stopped: str | None = None  # why it ended inside a test: "timed out after 60s", ...
    stopped_in: tuple[str, ...] = ()  # the tests it was inside, recorded as errors
    timed_out: bool = False


def run_limit(config: PhaseConfig) -> float:
    """A full run's time limit: `timeout`, else `max_duration` (a run longer than that fails
    the duration gate on its own)."""
    return config.timeout if config.timeout is not None else config.max_duration


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
    # The project's pytest_args too: a doctest, for one, is not found without them.
    command = [shown, "-m", "pytest", "-p", "no:randomly", *config.pytest_args, *extra, *args]
    return env + shlex.join(command)


def _pump(lines: Iterable[str], log: IO[str], echo: Callable[[str], object] | None) -> None:
    """Copy the child's output to the log (without colours) and the terminal, as it comes."""
    with contextlib.suppress(ValueError, OSError):  # the log closed under a stray writer
        for line in lines:
            if echo is not None:
                echo(line)
            log.write(_ANSI.sub("", line))


def _remove_temporaries(inv: Invocation, *, stopped: bool = True) -> None:
    """What a process leaves: its journal, its half-written record (never that of a process
    beside it in the same folder), and, when it was stopped, coverage pieces. A run that
    ended by itself keeps them: with the project's `parallel = true` they are its
    measurement, which the coverage reporter combines."""
    inv.journal.unlink(missing_ok=True)
    for tmp in inv.record.parent.glob(f".record-{glob.escape(inv.record.name)}-*.tmp"):
        tmp.unlink(missing_ok=True)
    if inv.coverage is not None and stopped:
        data = inv.coverage.data_file
        for piece in data.parent.glob(glob.escape(data.name) + ".*"):
            piece.unlink(missing_ok=True)


def _spawn(argv: list[str], cwd: Path, env: Mapping[str, str]) -> subprocess.Popen[str]:
    try:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,  # its own group: stopped whole, never by the terminal
        )
    except OSError as exc:
        raise PhaseError(f"cannot start {argv[0]}: {exc}") from None


def run_pytest(
    config: PhaseConfig,
    python: Path,
    inv: Invocation,
    console: Console,
    started_as: Callable[[int], None] | None = None,
) -> PytestResult:
    """Run one pytest process within its time limit; stream and log its output; return its
    recorded outcomes, with the test it was stopped or died inside recorded as an error.
    `started_as` is told the process's pid (its group's id): a run in a worker thread, which
    no signal reaches, is stopped through it."""
    argv, extra = build(config, python, inv)
    if console.color and inv.echo:
        # After "pytest": when coverage starts first, what comes before is coverage's.
        argv.insert(argv.index("pytest") + 1, "--color=yes")
    limit = inv.timeout if inv.timeout is not None else run_limit(config)
    inv.record.parent.mkdir(parents=True, exist_ok=True)
    inv.log.parent.mkdir(parents=True, exist_ok=True)
    inv.record.unlink(missing_ok=True)
    inv.journal.unlink(missing_ok=True)
    replay = replay_command(argv, extra, config.project)
    started = time.perf_counter()
    # On GitHub Actions each run's output folds under a title of its own.
    folded = inv.echo and detect(os.environ) is Ci.GITHUB
    title = f"pytest: phasegate {inv.label}"
    with (
        inv.log.open("w", encoding="utf-8") as log,
        workflow.group(console.stream, title, folded) as write,
    ):
        log.write(f"$ {replay}\n")
        proc = _spawn(argv, config.project, environment(extra))
        if started_as is not None:
            started_as(proc.pid)
        echo = write if inv.echo else None
        pump = threading.Thread(target=_pump, args=(proc.stdout, log, echo), daemon=True)
        pump.start()
        timed_out = processes.supervise(proc, limit, lambda: _remove_temporaries(inv))
        pump.join(timeout=processes.KILL_GRACE)
        if proc.stdout is not None and not pump.is_alive():  # else one that left the group
            proc.stdout.close()  # holds the pipe: closing would wait for its next line
        console.stream.flush()
    duration = time.perf_counter() - started
    full = inv.order.kind is not OrderKind.IDS  # a rerun of suspects writes only its log
    if full and inv.tmpdir is not None and not inv.echo and detect(os.environ) is Ci.GITHUB:
        # A full run beside another streamed nothing: its output, folded, once it has ended.
        output = inv.log.read_text(encoding="utf-8", errors="replace").partition("\n")[2]
        console.write(workflow.folded(title, output))
    result = _outcome(inv, proc.returncode, duration, replay, timed_out, limit)
    _remove_temporaries(inv, stopped=bool(result.stopped) or timed_out)
    if result.stopped:
        where = ", ".join(result.stopped_in) or "no test (the log says where)"
        console.step(f"{inv.label}: {result.stopped} in {where}; its process group was stopped")
    return result


def _outcome(
    inv: Invocation, code: int, duration: float, replay: str, timed_out: bool, limit: float
) -> PytestResult:
    """The record of a finished process, or of one that stopped inside a test (rebuilt from
    the journal when it wrote no record); the completed record replaces the recorder's."""
    record = None
    if inv.record.is_file():
        record = json.loads(inv.record.read_text(encoding="utf-8"))
    reason = stop_reason(timed_out, limit, code)
    if record is None:
        record = read_journal(inv.journal)
        if record is None or not record["unfinished"]:
            shown = reason if timed_out else None  # else check_ran explains the exit code
            return PytestResult(code, duration, None, replay, shown, (), timed_out)
    elif not timed_out and not record.get("unfinished"):
        return PytestResult(code, duration, record, replay)
    record, named = complete(record, reason)
    write_text_atomic(inv.record, json.dumps(record))
    return PytestResult(code, duration, record, replay, reason, tuple(named), timed_out)


def check_ran(result: PytestResult, config: PhaseConfig, log: Path) -> dict[str, Any]:
    """The record of a run that really ran tests; otherwise the error that explains why not."""
    record = result.record
    if result.timed_out and not result.stopped_in:
        raise RunTimeoutError(
            f"pytest {result.stopped} outside any test (collection or session hooks) and was "
            f"stopped; raise `timeout` in [tool.phasegate] if it is only slow; full log: {log}"
        )
    if record is None:
        text = log.read_text(encoding="utf-8")
        tail = "\n".join(text.strip().splitlines()[-8:])
        missing = _CONFTEST_MISSING.search(text)
        if missing is not None:
            install = (
                f"add it to {config.where('install')}"
                if config.given("install")
                else "set `install` in [tool.phasegate]"
            )
            raise ConfigError(
                f"pytest could not load {missing['conftest']}: module {missing['module']} is "
                "not installed in the test environment; declare it in the project's test "
                f"dependencies (a tests extra or dependency group, a requirements file) or "
                f"{install}; full log: {log}"
            )
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
                f"no tests collected from {config.where('tests')} {deselected}; point "
                "`tests` at the test folders"
            )
        raise NoTestsError(
            f"no tests collected where plain pytest looks (its testpaths, else test files "
            f"under {record['rootdir']}) {deselected}; set tests in [tool.phasegate] to the "
            "test folders"
        )
    return record
