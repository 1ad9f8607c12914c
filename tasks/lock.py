"""One phasegate run at a time per project: an advisory lock on `.phasegate/lock`.

`fcntl.flock` is released by the operating system when the process ends, however it ends
(crash, kill -9), so a stale lock never blocks the next run. The holder writes who it is
(pid, start time, command) into the file, for the one line a second run prints.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

from tasks.artifacts import write_text_atomic
from tasks.errors import LockedError

LOCK_FILE = Path(".phasegate") / "lock"
GITIGNORE = "# written by phasegate: the lock is this machine's; commit the rest\nlock\n"


def lock_path(project: Path) -> Path:
    return project / LOCK_FILE


def holder_line(path: Path) -> str:
    """Who holds the lock, as the lock file says (it may be mid-write: then say so)."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return f"pid {info['pid']}, started {info['started']}, command: {info['command']}"
    except (OSError, ValueError, TypeError, KeyError):
        return "a process that is starting up (it has not written its name yet)"


@contextlib.contextmanager
def hold(project: Path, command: str) -> Iterator[Path]:
    """Hold the project's lock for the block, or raise LockedError at once naming the holder."""
    path = lock_path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        write_text_atomic(ignore, GITIGNORE)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(
                f"another phasegate run holds {path}: {holder_line(path)}; "
                "wait for it to end (or stop it), then rerun"
            ) from None
        started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        info = {"pid": os.getpid(), "started": started, "command": command}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)  # the name of a run that has ended must never be shown
    finally:
        os.close(fd)  # closing the file releases the lock
