"""The processes phasegate starts: each in a process group of its own, with a time limit, and
none left behind.

A child runs in a new session, so a Ctrl-C in the terminal reaches phasegate alone and
phasegate decides: it forwards the signal to the child's whole group, gives it `KILL_GRACE`
seconds, then kills whatever is left with SIGKILL. A time limit ends the same way. Background
helpers (the coverage reporter) are remembered and stopped when phasegate exits before them.
Helpers that are phasegate's own Python run with `-P`: the project's folder is never on
their `sys.path`, so a project's own `tasks` module cannot shadow phasegate's.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

KILL_GRACE = 5.0  # seconds a stopped group gets to exit (and write what it can) before SIGKILL
_POLL_MAX = 0.05

# pid -> what to remove if it is stopped early. Process-wide on purpose: it is what the exit
# hook must stop, whichever step started it (a signal handler is process-wide too).
_BACKGROUND: dict[int, Callable[[], None]] = {}


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP while a child runs: phasegate stops as on Ctrl-C (exit 130).

    A KeyboardInterrupt, so every edge that handles Ctrl-C handles it the same way.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """While children run, SIGTERM and SIGHUP raise `Terminated` (SIGINT already raises
    KeyboardInterrupt), so the code that started them can stop them first. A handler someone
    else installed, or an ignored signal, is left alone."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            previous[signum] = signal.signal(signum, _raise_terminated)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def usable_cpus() -> int:
    """The CPUs this process may run on: `os.process_cpu_count()` (Python 3.13), else the
    affinity mask, else every CPU."""
    counter = getattr(os, "process_cpu_count", None)
    if counter is not None:
        count: int | None = counter()
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count()
    return max(1, count or 1)


def helper_python(module: str, *args: str) -> list[str]:
    """The command line of one of phasegate's own modules in a fresh interpreter: `-P` keeps
    the current folder (the project) off sys.path, so only the installed phasegate imports."""
    return [sys.executable, "-P", "-m", module, *args]


def helper_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a helper: relative PYTHONPATH entries ("" or ".", i.e. the project
    it runs in) are dropped for the same reason as `-P`."""
    env = dict(os.environ if base is None else base)
    entries = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if Path(p).is_absolute()]
    if entries:
        env["PYTHONPATH"] = os.pathsep.join(entries)
    else:
        env.pop("PYTHONPATH", None)
    return env


def exited(pid: int) -> bool:
    """Whether our child `pid` has exited, without reaping it: while it is a zombie its pid
    (the group's id) cannot be reused, so signalling the group stays safe."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def wait_exit(pid: int, deadline: float) -> bool:
    """Wait until our child `pid` exits (True) or `deadline` passes (False); never reaps.
    Where the system has pidfds (Linux), woken the moment it exits; else by polling."""
    try:
        fd = os.pidfd_open(pid)  # type: ignore[attr-defined,unused-ignore]
    except (AttributeError, OSError):  # not Linux, or already reaped
        return _poll_exit(pid, deadline)
    try:
        while not exited(pid):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            select.select([fd], [], [], min(left, 3600.0))  # readable once it has exited
        return True
    finally:
        os.close(fd)


def _poll_exit(pid: int, deadline: float) -> bool:
    pause = 0.001
    while not exited(pid):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(pause, left))
        pause = min(pause * 2, _POLL_MAX)
    return True


def signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def stop_group(pid: int, first: int, grace: float = -1.0) -> None:
    """Send `first` to the group led by our child `pid`, wait for the leader up to `grace`
    seconds (default KILL_GRACE), then SIGKILL the group: nothing in it survives."""
    grace = KILL_GRACE if grace < 0 else grace
    try:
        if not exited(pid):
            signal_group(pid, first)
            wait_exit(pid, time.monotonic() + grace)
    finally:
        signal_group(pid, signal.SIGKILL)  # also whatever the leader left running


def forwarded(exc: BaseException) -> int:
    """The signal to pass on to a child group when `exc` stops phasegate."""
    if isinstance(exc, Terminated):
        return exc.signum
    return signal.SIGINT if isinstance(exc, KeyboardInterrupt) else signal.SIGTERM


def supervise(proc: subprocess.Popen[Any], limit: float, on_stop: Callable[[], None]) -> bool:
    """Wait for `proc` (a group leader) for at most `limit` seconds; True when it was stopped
    for the limit. On the limit it gets SIGINT (pytest then still reports what ran), then
    SIGKILL. If phasegate is interrupted meanwhile, the signal is forwarded to the group,
    `on_stop` cleans up, and the interruption goes on. The group never outlives this call."""
    with signals_raise():
        try:
            timed_out = not wait_exit(proc.pid, time.monotonic() + limit)
            stop_group(proc.pid, signal.SIGINT, KILL_GRACE if timed_out else 0.0)
        except BaseException as exc:
            try:
                stop_group(proc.pid, forwarded(exc))
            finally:
                proc.wait()
                on_stop()
            raise
    proc.wait()
    return timed_out


def run_limited(
    argv: Sequence[str],
    limit: float,
    *,
    log: Path,
    env: Mapping[str, str],
    cwd: Path | None = None,
) -> bool:
    """Run a helper to its end within `limit` seconds, output to `log`; False when stopped."""
    with log.open("a", encoding="utf-8") as out:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        with proc:
            return not supervise(proc, limit, lambda: None)


def spawn_background(
    argv: Sequence[str], log: Path, env: Mapping[str, str], cleanup: Callable[[], None]
) -> int:
    """Start a helper that outlives the current step, in its own group, output to `log`.

    `cleanup` removes its partial files if it is stopped before it finishes.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    # posix_spawn, not Popen: the process outlives this step and is reaped by whoever waits
    # for it (`background_running`), which a dropped Popen object would report as a warning.
    pid = os.posix_spawn(
        argv[0],
        list(argv),
        dict(env),
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 1, str(log), flags, 0o644),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ],
        setpgroup=0,
    )
    if not _BACKGROUND:
        atexit.register(stop_background)
    _BACKGROUND[pid] = cleanup
    return pid


def background_running(pid: int) -> bool:
    """Whether a background helper still runs; a finished child of ours is reaped here."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        _BACKGROUND.pop(pid, None)
        return False
    except PermissionError:
        return True
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True  # not ours (started by another phasegate process): it is alive
    if done:
        _BACKGROUND.pop(pid, None)
    return done == 0


def stop_background(pid: int | None = None) -> None:
    """Stop one background helper (every one still running when `pid` is None), kill its
    group, reap it and remove its partial files."""
    for child in [pid] if pid is not None else list(_BACKGROUND):
        cleanup = _BACKGROUND.pop(child, None)
        if cleanup is None:
            continue
        stop_group(child, signal.SIGTERM)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child, 0)
        cleanup()
