"""A head start for the selected tests: pytest starts while the selection is still being made,
and reads the node ids once they are known.

Starting pytest (the interpreter, its plugins, the project's conftest.py, up to its
`pytest_configure`) takes about as long as making the selection (reading the impact index, the
diff, the changed files). So the hook starts pytest as soon as the changes are known to need
tests selected from the index, with its ids file a named pipe: phasegate's order plugin opens
it when pytest configures and waits there until the selection, made meanwhile in a thread,
writes the node ids. Until then nothing pytest prints is shown. Only a selection of tests is
written; for anything else (the whole suite, no test at all, an error) the pipe gets no id,
that pytest collects nothing and ends unseen, and the hook goes on as without a head start.

Used only where it cannot change what runs or how: one pytest process (no xdist workers, each
of which would read the pipe), the checkout is exactly the pushed commit (no temporary
worktree), the test environment exists, no verdict is cached for the pushed tree, and named
pipes exist (POSIX). The main thread supervises pytest as always (a Ctrl-C stops it).
"""

from __future__ import annotations

import dataclasses
import errno
import io
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tasks.affected.model import CommitRange, Selection
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.errors import PhaseError

if TYPE_CHECKING:
    from tasks.affected.inputs import Inputs
    from tasks.hook.testrun import HookRun

PAUSE = 0.002  # seconds between two looks for pytest's end of the pipe


class Gate(io.StringIO):
    """pytest's terminal during a head start: held until the selection is written (then
    shown, and passed on from there), dropped when no selection is written."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream
        self.lock = threading.Lock()
        self.shown: bool | None = None  # None: not decided yet

    def write(self, text: str) -> int:
        with self.lock:
            if self.shown is None:
                return super().write(text)
            return self.stream.write(text) if self.shown else len(text)

    def flush(self) -> None:
        with self.lock:
            if self.shown:
                self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def decide(self, show: bool) -> None:
        with self.lock:
            self.shown = show
            if show:
                self.stream.write(self.getvalue())
                self.stream.flush()


def feed(pipe: Path, nodeids: Sequence[str], ended: threading.Event) -> bool:
    """Write `nodeids` into the pipe once pytest opens it; False when pytest ended first."""
    while True:
        try:
            fd = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
        if ended.wait(PAUSE):
            return False
    try:
        os.set_blocking(fd, True)
        data = memoryview("".join(f"{n}\n" for n in nodeids).encode("utf-8"))
        while data:
            data = data[os.write(fd, data) :]
    except BrokenPipeError:
        return False
    finally:
        os.close(fd)
    return True


@dataclasses.dataclass
class Selected:
    """The selection thread's result."""

    selection: Selection | None = None
    found: Inputs | None = None
    error: BaseException | None = None
    fed: bool = False  # the selected node ids reached pytest through the pipe


class HeadStart:
    """One pushed head's selection, made in a thread while pytest starts in this one."""

    def __init__(
        self,
        config: PhaseConfig,
        top: Path,
        group: Sequence[CommitRange],
        console: Console,
        announce: Callable[[Selection], None],
    ) -> None:
        self.config, self.top, self.group = config, top, group
        self.console, self.announce = console, announce
        self.wake = threading.Event()  # the selection needs the index, or is done
        self.working = False
        self.decided = threading.Event()  # whether pytest runs on the pipe is decided
        self.ended = threading.Event()  # that pytest has ended
        self.pipe: Path | None = None
        self.gate = Gate(console.stream)
        self.result = Selected()

    def _work(self) -> None:
        self.working = True
        self.wake.set()

    def _select(self) -> None:
        from tasks.affected.select import selecting

        try:
            selection, found = selecting(self.config, self.group, top=self.top, working=self._work)
            self.result.selection, self.result.found = selection, found
        except BaseException as exc:  # handed to the main thread, which raises it
            self.result.error = exc
        finally:
            self.wake.set()
        if self.working:
            self.decided.wait()
            if self.pipe is not None:
                self._hand_over(self.pipe)

    def _hand_over(self, pipe: Path) -> None:
        """Write the selected node ids, or none (that pytest then collects nothing)."""
        selection = self.result.selection
        wanted = [] if selection is None else [t.nodeid for t in selection.selected]
        if selection is None or selection.full_suite or not wanted:
            self.gate.decide(False)
            feed(pipe, [], self.ended)
            return
        self.announce(selection)
        self.gate.decide(True)
        self.result.fed = feed(pipe, wanted, self.ended)

    def run(
        self, prepare: Callable[[], Path | None], state: Path
    ) -> tuple[Selected, HookRun | None]:
        """The selection, and the run of its tests when the head start ran them (None: run
        them as without one). `prepare` gives the interpreter when a head start may be taken.
        A selection that raised raises here; so does a run of the selection that failed."""
        thread = threading.Thread(target=self._select, name="phasegate-select", daemon=True)
        thread.start()
        self.wake.wait()
        run: HookRun | None = None
        failed: PhaseError | None = None
        try:
            python = prepare() if self.working else None
            if python is not None:
                self.pipe = make_pipe(state / "run.ids")
            self.decided.set()
            if python is not None and self.pipe is not None:
                run, failed = self._run(python, self.pipe)
        finally:
            self.decided.set()
            self.ended.set()
        thread.join()
        fed = self.result.fed
        if self.pipe is not None:
            if fed:
                keep_ids(self.pipe, self.result.selection)
            else:
                self.pipe.unlink(missing_ok=True)
        if self.result.error is not None:
            raise self.result.error
        if fed and failed is not None:  # a real run of the selection: as without a head start
            raise failed
        return self.result, run if fed else None  # not fed: run it as without a head start

    def _run(self, python: Path, pipe: Path) -> tuple[HookRun | None, PhaseError | None]:
        from tasks.hook.testrun import run_selected

        console = Console(self.gate, quiet=self.console.quiet)
        try:
            return run_selected(self.config, python, None, pipe.parent, console, piped=pipe), None
        except PhaseError as exc:  # raised once it is known whether the selection was fed
            return None, exc
        finally:
            self.ended.set()


def make_pipe(path: Path) -> Path | None:
    """A fresh named pipe at `path`; None where there are none."""
    if not hasattr(os, "mkfifo"):
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    try:
        os.mkfifo(path, 0o600)
    except OSError:
        return None
    return path


def keep_ids(pipe: Path, selection: Selection | None) -> None:
    """The pipe replaced by a plain file of the same ids: the log's replay command reads it."""
    from tasks.artifacts.store import write_text_atomic

    ids = [] if selection is None else [t.nodeid for t in selection.selected]
    write_text_atomic(pipe, "".join(f"{n}\n" for n in ids))
