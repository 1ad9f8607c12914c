"""The stability step's rerun processes: a list of tests in one fresh pytest process (or two
side by side, for interference), within the rerun budget, each outcome read from the recorder.

A rerun's tests go to the recorder in a file (`ids:` order), matched by their stable key when
their id changed (a parameter built from the clock); a rerun that cannot say how a test ended
leaves it out, and `last` raises NotRun, so a suspect stays unresolved rather than misjudged.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from tasks.artifacts import Artifacts
from tasks.artifacts.store import make_owned_dir, remove_written
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.orders import Order, OrderKind
from tasks.pytest_command import Invocation
from tasks.pytest_runner import PytestResult, run_pytest
from tasks.results import merge_reports
from tasks.stability.concurrent import Pool, own_tmpdir
from tasks.stability.suspects import BudgetSpent, NotRun

# Reruns and repro commands run one process even where the project's own args say `-n auto`.
XDIST_OFF = ("-n0",)


def write_ids(path: Path, tests: Sequence[str], keys: Mapping[str, str]) -> None:
    """A rerun's tests for the recorder (`ids:` order): never on the command line, which a
    long list (tens of thousands of ids) would overflow."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{t}\t{keys[t]}" if t in keys else t for t in tests]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def rerun_outcomes(
    result: PytestResult, tests: Sequence[str], rootdir: Path, label: str
) -> dict[str, str]:
    """Each requested test's outcome in a rerun (absent: the rerun did not run it); NotRun
    when the rerun says nothing at all (it died first, ran elsewhere, lost a test's id)."""
    record = result.record
    if record is None:
        raise NotRun(f"{label} stopped before reporting (exit {result.exit_code})")
    if record.get("rootdir") and Path(record["rootdir"]).resolve() != rootdir:
        raise NotRun(f"{label} ran with another rootdir ({record['rootdir']})")
    missing = record.get("missing") or []
    if missing:
        raise NotRun(f"{label}: {missing[0]} is not replayable (not in a new collection)")
    matched = record.get("matched") or {}
    ran = {t.nodeid: t.outcome for t in merge_reports(record["reports"])}
    return {t: ran[matched.get(t, t)] for t in tests if matched.get(t, t) in ran}


def failure_kind(message: str) -> str:
    """What a failure raised, from its message ("OSError: [Errno 98] ..." -> "OSError")."""
    return message.split("\n", 1)[0].split(":", 1)[0].strip()


def rerun_failures(result: PytestResult, tests: Sequence[str]) -> dict[str, str]:
    """Each requested test that failed in a rerun -> what it raised."""
    record = result.record or {"reports": []}
    matched = record.get("matched") or {}
    bad = {t.nodeid: failure_kind(t.message) for t in merge_reports(record["reports"]) if t.is_bad}
    return {t: bad[matched.get(t, t)] for t in tests if matched.get(t, t) in bad}


def rerun_outcome(result: PytestResult, tests: Sequence[str], rootdir: Path, label: str) -> str:
    """The last test's outcome in a rerun; NotRun when the rerun cannot say."""
    outcome = rerun_outcomes(result, tests, rootdir, label).get(tests[-1])
    if outcome is None:
        why = f" ({result.stopped} in {', '.join(result.stopped_in)})" if result.stopped else ""
        raise NotRun(f"{label} did not run it{why}")
    return outcome


class Rerunner:
    """Fresh pytest processes for the suspects: quiet, numbered, within the budget."""

    def __init__(
        self,
        config: PhaseConfig,
        python: Path,
        *,
        xdist: bool,
        rootdir: Path,
        deadline: float,
        keys: Mapping[str, str],
        console: Console,
    ) -> None:
        self.config, self.python, self.xdist, self.rootdir = config, python, xdist, rootdir
        self.deadline, self.keys, self.console = deadline, keys, console
        self.folder = Artifacts(config.reports_dir).stability_dir / "reruns"
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        # tests -> the last one's outcome in processes `outcomes` ran, each answering once
        self._answers: dict[tuple[str, ...], list[str]] = {}

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise BudgetSpent
        return left

    def _process(
        self, tests: Sequence[str], tmpdir: Path | None = None, pool: Pool | None = None
    ) -> tuple[str, PytestResult]:
        left = self._left()
        with self._lock:
            n = next(self._counter)
            if n == 1:
                # Only what earlier reruns wrote: reports_dir may be a folder of the project's.
                remove_written(self.folder, ("rerun-*", ".record-*.tmp"))
                make_owned_dir(self.folder)
        ids = self.folder / f"rerun-{n}.ids"
        write_ids(ids, tests, self.keys)
        # The budget bounds every rerun; a shorter `timeout` marks a hung test as such.
        config = self.config
        limit = min(left, config.timeout) if config.timeout is not None else left
        invocation = Invocation(
            label=f"rerun {n}",
            order=Order(OrderKind.IDS, ids=ids),
            record=self.folder / f"rerun-{n}.json",
            log=self.folder / f"rerun-{n}.log",
            echo=False,
            extra_args=XDIST_OFF if self.xdist else (),
            timeout=limit,
            tmpdir=tmpdir,
        )
        started_as = None if pool is None else pool.started_as
        result = run_pytest(config, self.python, invocation, self.console, started_as)
        if result.timed_out and limit == left:
            raise BudgetSpent
        return f"rerun {n}", result

    def last(self, tests: Sequence[str], pool: Pool | None = None) -> str:
        """`tests` in that order in one fresh process: the last one's outcome. `pool`: the
        one whose worker thread runs this (so an interruption stops the process), beside
        other reruns: then in a temporary folder of its own. A process `outcomes` already ran
        with exactly these tests answers once instead of a new one (the same experiment)."""
        with self._lock:
            done = self._answers.get(tuple(tests))
            outcome = done.pop() if done else None
        if outcome is not None:
            return outcome
        label, result = self._in_folder(tests, pool)
        return rerun_outcome(result, tests, self.rootdir, label)

    def outcomes(self, tests: Sequence[str], pool: Pool | None = None) -> dict[str, str]:
        """`tests` in that order in one fresh process: each one's outcome (`pool`: as for
        `last`)."""
        label, result = self._in_folder(tests, pool)
        ran = rerun_outcomes(result, tests, self.rootdir, label)
        if tests and tests[-1] in ran:
            with self._lock:
                self._answers.setdefault(tuple(tests), []).append(ran[tests[-1]])
        return ran

    def _in_folder(self, tests: Sequence[str], pool: Pool | None) -> tuple[str, PytestResult]:
        if pool is None:
            return self._process(tests)
        with own_tmpdir("rerun") as folder:
            return self._process(tests, folder, pool)

    def pair(self, tests: Sequence[str]) -> list[tuple[dict[str, str], dict[str, str]]]:
        """`tests` in two fresh processes side by side, each in a temporary folder of its own:
        each one's outcomes, as company makes them, and what each failure raised."""
        with Pool(2) as pool:
            futures = []
            for copy in (1, 2):
                folder = pool.enter(own_tmpdir(f"rerun-pair-{copy}"))
                futures.append(pool.submit(self._process, tests, folder, pool))
            done = [future.result() for future in futures]
        return [
            (rerun_outcomes(result, tests, self.rootdir, label), rerun_failures(result, tests))
            for label, result in done
        ]
