"""Full runs side by side: stability runs 2.. beside the instrumented run and each other, up
to `jobs` pytest processes at once, each in a temporary folder of its own.

A run with company streams nothing: it prints one line when it starts and one when it ends,
and its output goes to its log. The processes run in worker threads, which no signal reaches:
when the main thread is interrupted (Ctrl-C, SIGTERM) or a run fails to start, `Pool` stops
every process group still running before the interruption goes on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import random
import shlex
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from tasks import processes
from tasks.artifacts import Artifacts
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.orders import Order, OrderKind
from tasks.project_tools import pytest_addopts, uses_xdist
from tasks.pytest_command import Invocation
from tasks.pytest_runner import PytestResult, run_pytest
from tasks.results import format_counts, format_rate, pass_rate, summarise_record
from tasks.stability.facts import plan_orders

T = TypeVar("T")
Span = tuple[float, float]  # time.monotonic() when a run started and ended


def jobs(config: PhaseConfig) -> int:
    """How many pytest processes may run at once: `jobs`, else the CPUs phasegate may use, or
    one when the project's pytest arguments start xdist (each run already uses every CPU)."""
    if config.jobs is not None:
        return config.jobs
    args = [
        *pytest_addopts(config.project),
        *shlex.split(os.environ.get("PYTEST_ADDOPTS", "")),
        *config.pytest_args,
    ]
    return 1 if uses_xdist(args) else processes.usable_cpus()


def pick_seed(config: PhaseConfig) -> int:
    """The seed of the first shuffled run: the configured one, else a new one."""
    return config.seed if config.seed is not None else random.SystemRandom().randrange(10**6)


@contextlib.contextmanager
def own_tmpdir(name: str) -> Iterator[Path]:
    """A temporary folder for one process (inside the usual one), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=f"phasegate-{name}-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Pool:
    """Worker threads that each run pytest processes; every group still running is stopped
    when the block ends by an exception (the interruption, or a run that could not start)."""

    def __init__(self, workers: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="phasegate")
        self._lock = threading.Lock()
        self._pids: list[int] = []
        self._stopping: int | None = None
        self._stack = contextlib.ExitStack()

    def started_as(self, pid: int) -> None:
        """`run_pytest` tells us each process it starts (its group's id)."""
        with self._lock:
            self._pids.append(pid)
            stopping = self._stopping
        if stopping is not None:  # started while the others were being stopped
            processes.stop_group(pid, stopping)

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        return self._executor.submit(fn, *args)

    def enter(self, manager: contextlib.AbstractContextManager[T]) -> T:
        """Keep `manager` open until the pool closes (a run's temporary folder)."""
        return self._stack.enter_context(manager)

    def stop(self, signum: int) -> None:
        with self._lock:
            self._stopping = signum
            pids = list(self._pids)
        for pid in pids:
            if not processes.exited(pid):  # a reaped or finished one is left alone
                processes.stop_group(pid, signum)

    def __enter__(self) -> Pool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is not None:
                self.stop(processes.forwarded(exc))
            self._executor.shutdown(wait=True, cancel_futures=exc is not None)
        finally:
            self._stack.close()


@dataclasses.dataclass(frozen=True)
class FullRun:
    """One of stability runs 2..: what pytest did, and when (for who had company)."""

    index: int
    order: Order
    log: Path
    result: PytestResult
    span: Span


def full_run(
    config: PhaseConfig,
    python: Path,
    index: int,
    order: Order,
    console: Console,
    pool: Pool | None = None,
) -> FullRun:
    """Run `index` in its order; with a pool (company), quietly in its own temporary folder."""
    stability_dir = Artifacts(config.reports_dir).stability_dir
    log = stability_dir / f"run-{index}.log"
    if pool is None:
        console.step(f"stability: run {index}/{config.runs}, order {order}")
        folder: contextlib.AbstractContextManager[Path | None] = contextlib.nullcontext()
    else:
        console.step(f"stability: run {index}/{config.runs} started, order {order}, log {log}")
        folder = own_tmpdir(f"run-{index}")
    with folder as tmpdir:
        invocation = Invocation(
            label=f"run {index}",
            order=order,
            record=stability_dir / f"run-{index}.json",
            log=log,
            echo=pool is None,
            tmpdir=tmpdir,
        )
        started = time.monotonic()
        result = run_pytest(
            config, python, invocation, console, None if pool is None else pool.started_as
        )
        span = (started, time.monotonic())
    counts = summarise_record(result.record)[1] if result.record else {}
    console.step(
        f"stability: run {index}: {format_counts(counts)} in {result.duration:.1f}s, "
        f"pass rate {format_rate(pass_rate(counts))}; replay: {result.replay}"
    )
    return FullRun(index, order, log, result, span)


def full_runs(
    config: PhaseConfig, python: Path, plans: list[Order], console: Console
) -> list[FullRun]:
    """Runs 2.. of `plans` (run 1 is the `run` step's), up to `jobs` at once."""
    later = list(enumerate(plans[1:], start=2))
    workers = min(jobs(config), len(later))
    if workers <= 1:
        return [full_run(config, python, i, order, console) for i, order in later]
    with Pool(workers) as pool:
        futures = [
            pool.submit(full_run, config, python, i, order, console, pool) for i, order in later
        ]
        return [future.result() for future in futures]


class Ahead:
    """Stability runs 2.. started beside the `run` step's instrumented run (`validate` with
    jobs > 1): the run step takes one of the `jobs` slots until it ends."""

    def __init__(self, config: PhaseConfig, console: Console, plans: list[Order], seed: int):
        self.console, self.plans, self.seed = console, plans, seed
        self.pool = Pool(max(1, min(jobs(config) - 1, len(plans) - 1)))
        self.futures: list[Future[FullRun]] = []
        self.run_one: list[float] = []  # its start and end

    def start(self, config: PhaseConfig, python: Path) -> Path:
        """Start runs 2.. under the run step's `config` (a shard job's: only its tests); the
        run step's own temporary folder."""
        self.run_one.append(time.monotonic())
        for index, order in enumerate(self.plans[1:], start=2):
            self.futures.append(
                self.pool.submit(full_run, config, python, index, order, self.console, self.pool)
            )
        return self.pool.enter(own_tmpdir("run-1"))

    def run_one_ended(self) -> None:
        self.run_one.append(time.monotonic())

    def collect(self) -> tuple[list[FullRun], Span | None]:
        """Runs 2.. once they have ended, and run 1's span."""
        runs = [future.result() for future in self.futures]
        span = (self.run_one[0], self.run_one[1]) if len(self.run_one) == 2 else None
        return runs, span

    def __enter__(self) -> Ahead:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pool.__exit__(kind, exc, tb)


def ahead(config: PhaseConfig, console: Console) -> Ahead | None:
    """Runs 2.. to start beside the instrumented run; None when they would not overlap it."""
    if jobs(config) <= 1 or config.runs <= 1:
        return None
    seed = pick_seed(config)
    plans = plan_orders(config, seed)
    if any(p.kind is OrderKind.SHUFFLE for p in plans):
        console.step(f"stability: using seed={seed} (replay with --seed {seed})")
    return Ahead(config, console, plans, seed)


def company(spans: dict[int, Span | None]) -> dict[int, list[int]]:
    """run index -> the runs that ran at the same time as it (a run without a span: none)."""
    known = {i: s for i, s in spans.items() if s is not None}
    return {
        i: sorted(j for j, (b, e) in known.items() if j != i and b < s[1] and s[0] < e)
        if (s := spans[i]) is not None
        else []
        for i in spans
    }
