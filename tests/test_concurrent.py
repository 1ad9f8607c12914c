"""Full runs side by side (`jobs`): interference is told from flakiness, and the results of
the sample projects without interference are those of `jobs = 1`."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import write_files
from test_signals import journal_events, survivors, wait_for

from tasks.config import load_config
from tasks.console import Console
from tasks.orders import FILE
from tasks.pipeline import run_step_named
from tasks.pytest_command import Invocation
from tasks.pytest_runner import _remove_temporaries
from tasks.stability import concurrent
from tasks.stability.batch import batch_consistent
from tasks.stability.interference import candidates, confirm, replay_prefix
from tasks.stability.suspects import BudgetSpent

Sample = Callable[[str], Path]
PORT_TEST = "tests/test_port.py::test_binds_a_fixed_port"


def stabilise(project: Path, **cli: str) -> dict[str, Any]:
    """The run and stability steps as `validate` chains them: with jobs > 1, runs 2.. start
    beside the instrumented run."""
    config = load_config(project, env={}, cli=cli)
    console = Console(quiet=True)
    with contextlib.ExitStack() as stack:
        ahead = concurrent.ahead(config, console)
        if ahead is not None:
            stack.enter_context(ahead)
        run_step_named("run", config, console, checked=True, ahead=ahead)
        data = run_step_named("stability", config, console, checked=True, ahead=ahead)
    assert isinstance(data, dict)
    return data


def free_port(project: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        (project / "port.txt").write_text(str(probe.getsockname()[1]))


def kinds(data: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {n: (s["kind"], s["culprit"]) for n, s in data["suspects"].items()}


def test_a_fixed_port_is_interference_not_flaky(sample: Sample) -> None:
    project = sample("interference")
    free_port(project)
    data = stabilise(project, jobs="2")
    [found] = data["interference"]
    assert found["nodeid"] == PORT_TEST
    assert found["alone_in_order"] == "passed"
    assert any(o in ("failed", "error") for o in found["side_by_side"])
    assert data["flaky"] == []
    assert PORT_TEST not in data["suspects"]
    # The run it failed in counts the confirmed outcome: every run passes in full.
    [run] = [r for r in data["runs"] if r["interference"]]
    assert run["interference"] == [PORT_TEST] and run["company"]
    assert [r["pass_rate"] for r in data["runs"]] == [100.0, 100.0]
    assert all(g["status"] == "pass" for g in data["gates"] if g["name"] != "quarantine")
    # Each run had a temporary folder of its own, removed afterwards.
    seen = [s for s in (project / "tmpdirs.txt").read_text().split() if "phasegate-" in s]
    assert len(set(seen)) == len(seen)  # the full runs, and the pair when its order had it
    runs = sorted(Path(s).name.split("-")[2] for s in seen if "phasegate-run-" in s)
    assert runs == ["1", "2"]
    assert not any(Path(s).exists() for s in seen)


def test_one_job_runs_one_after_another_as_before(sample: Sample) -> None:
    project = sample("interference")
    free_port(project)
    data = stabilise(project, jobs="1")
    assert data["jobs"] == 1
    assert [r["company"] for r in data["runs"]] == [[], []]
    assert data["interference"] == [] and data["suspects"] == {}
    assert (project / "tmpdirs.txt").read_text().split() == []  # TMPDIR left as it was


def test_the_counter_flake_is_found_as_with_one_job(sample: Sample) -> None:
    found = []
    for jobs in ("1", "2"):
        data = stabilise(sample("flaky").rename(Path.cwd() / f"flaky-{jobs}"), jobs=jobs, seed="7")
        found.append(data)
    one, two = found
    assert two["runs"][1]["company"] == [1]
    assert [(f["nodeid"], f["kind"]) for f in two["flaky"]] == [
        (f["nodeid"], f["kind"]) for f in one["flaky"]
    ]
    assert [f["nodeid"] for f in one["flaky"]] == ["tests/test_flaky.py::test_fails_the_first_time"]
    assert two["interference"] == []


@pytest.mark.parametrize("name", ["polluted", "basic", "shuffled"])
def test_two_jobs_give_the_results_of_one(sample: Sample, name: str) -> None:
    results = []
    for jobs in ("1", "2"):
        project = sample(name).rename(Path.cwd() / f"{name}-{jobs}")
        results.append(stabilise(project, jobs=jobs, seed="3"))
    one, two = results
    assert two["runs"][0]["company"] and not one["runs"][0]["company"]
    assert [r["counts"] for r in two["runs"]] == [r["counts"] for r in one["runs"]]
    assert two["tests"] == one["tests"]
    assert kinds(two) == kinds(one)
    assert [(f["nodeid"], f["kind"]) for f in two["flaky"]] == [
        (f["nodeid"], f["kind"]) for f in one["flaky"]
    ]
    assert two["interference"] == []
    # The victim's failure beside run 2 was confirmed by rerunning run 1's order up to it: the
    # escalation's rerun in that order is that process, not a second one.
    reruns = project / ".phasegate/reports/stability/reruns"
    ran = [p.read_text() for p in reruns.glob("rerun-*.ids")]
    orders = [tests for tests in ran if tests.count("\n") > 1]
    assert len(orders) == len(set(orders))


def test_an_interrupted_pool_stops_every_process_it_started() -> None:
    started: list[subprocess.Popen[bytes]] = []

    def sleeper(pool: concurrent.Pool) -> None:
        proc = subprocess.Popen(["sleep", "600"], start_new_session=True)
        started.append(proc)
        pool.started_as(proc.pid)
        proc.wait()

    with pytest.raises(KeyboardInterrupt), concurrent.Pool(2) as pool:
        for _ in range(2):
            pool.submit(sleeper, pool)
        while len(started) < 2:
            time.sleep(0.01)
        raise KeyboardInterrupt  # as Ctrl-C does in the main thread
    # Leaving the block waited for both workers: their processes got the interruption.
    assert [p.returncode for p in started] == [-signal.SIGINT, -signal.SIGINT]


ALWAYS_FAILS = {"tests/test_planted.py": "def test_always_fails():\n    assert 1 + 1 == 3\n"}


@pytest.mark.parametrize("name", ["polluted", "flaky"])
def test_the_batch_gives_the_kinds_of_per_test_reruns(sample: Sample, name: str) -> None:
    results = []
    for mode in ("each", "batch"):
        project = sample(name).rename(Path.cwd() / f"{name}-{mode}")
        write_files(project, ALWAYS_FAILS)  # a consistent failure beside the flaky ones
        results.append(stabilise(project, jobs="1", seed="5", suspect_reruns=mode))
    each, batch = results
    assert kinds(batch) == kinds(each)
    planted = "tests/test_planted.py::test_always_fails"
    assert each["suspects"][planted]["alone"] == ["failed", "failed"]
    assert (batch["suspects"][planted]["reruns"], batch["suspects"][planted]["alone"]) == (1, [])
    assert len(kinds(batch)) == (4 if name == "polluted" else 2)


def fake_runs(script: dict[str, list[str]]) -> tuple[Any, Any, Any]:
    """Runners that play each test's outcomes in turn, whichever way it runs; an outcome
    "failed:KIND" fails raising KIND (AssertionError when not said)."""
    calls = {t: iter(o) for t, o in script.items()}

    def played(tests: Any) -> dict[str, str]:
        return {t: next(calls[t]) for t in tests if t in calls}

    def many(tests: Any) -> dict[str, str]:
        return {t: o.split(":")[0] for t, o in played(tests).items()}

    def pair(tests: Any) -> list[tuple[dict[str, str], dict[str, str]]]:
        copies = [played(tests), played(tests)]
        return [
            (
                {t: o.split(":")[0] for t, o in c.items()},
                {t: [*o.split(":"), "AssertionError"][1] for t, o in c.items() if o != "passed"},
            )
            for c in copies
        ]

    return many, pair, lambda tests: many(tests)[tests[-1]]


@pytest.mark.parametrize(
    ("script", "interference"),
    [
        # passes alone in order, one copy of the pair fails, passes alone twice: a fixed port
        (["passed", "failed", "passed", "passed", "passed"], True),
        # fails every other time: the pair shows it, running alone shows it again
        (["passed", "failed", "passed", "failed", "passed"], False),
        # side by side it fails otherwise (a counter file torn by two copies): still flaky
        (["passed", "failed:ValueError", "passed", "passed", "passed"], False),
        # fails again without company: a failure that counts
        (["failed"], False),
        # passes everywhere after: a failure that does not reproduce, a suspect as before
        (["passed", "passed", "passed"], False),
    ],
)
def test_confirm_tells_interference_from_flakiness(script: list[str], interference: bool) -> None:
    found = {2: ["t.py::b"]}
    orders = {2: ["t.py::a", "t.py::b", "t.py::c"]}
    runs = fake_runs({"t.py::a": ["passed"] * 9, "t.py::b": script})
    shown = confirm(found, orders, {2: {"t.py::b": ("failed", "AssertionError")}}, runs)
    assert [(i.nodeid, i.runs) for i in shown] == ([("t.py::b", [2])] if interference else [])


def test_candidates_are_failures_seen_only_in_runs_with_company() -> None:
    matrix = {
        "t.py::company_only": ["passed", "failed", "passed"],
        "t.py::also_alone": ["failed", "failed", "passed"],
        "t.py::settled": ["failed", "failed", "failed"],
        "t.py": ["error", "passed", "passed"],  # a module that failed to collect
    }
    company = {1: [], 2: [3], 3: [2]}
    assert candidates(matrix, company, ["t.py::settled"]) == {2: ["t.py::company_only"]}
    assert concurrent.company({1: (0.0, 5.0), 2: (1.0, 2.0), 3: (5.0, 6.0), 4: None}) == {
        1: [2],
        2: [1],
        3: [],
        4: [],
    }
    assert replay_prefix(["a", "b", "c", "d"], ["b", "c"]) == ["a", "b", "c"]
    assert replay_prefix([], ["b", "c"]) == ["b", "c"]  # no single order (xdist)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_sigterm_stops_every_run_side_by_side(
    sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = sample("stuck")
    monkeypatch.setenv("STUCK", "sleep")  # run 1 and run 2 both get stuck in test_stuck
    phasegate = subprocess.Popen(
        [sys.executable, "-m", "tasks", "validate", "--jobs", "2"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reports = project / ".phasegate/reports"
    journals = [reports / "run-record.journal.tmp", reports / "stability/run-2.journal.tmp"]

    def stuck(journal: Path) -> int | None:
        events = journal_events(journal)
        started = {e.get("nodeid") for e in events if e["event"] == "start"}
        session = [e for e in events if e["event"] == "session"]
        return int(str(session[0]["pid"])) if "tests/test_stuck.py::test_stuck" in started else None

    wait_for(lambda: all(stuck(j) for j in journals), "both runs inside test_stuck")
    groups = [stuck(j) for j in journals]
    phasegate.send_signal(signal.SIGTERM)
    stdout, stderr = phasegate.communicate(timeout=60)
    assert phasegate.returncode == 130, stderr
    assert stdout.endswith("phasegate: interrupted\n")
    for pgid in groups:
        assert pgid is not None
        wait_for(lambda g=pgid: survivors(g) == [], "the group to be gone", timeout=5)
    assert not list(project.rglob("*.tmp"))


def test_the_batch_settles_only_what_fails_again() -> None:
    matrix: dict[str, list[str | None]] = {
        "t.py::real": ["failed", "failed", "error"],
        "t.py::polluted": ["failed", "failed", "failed"],  # passes without its polluter
        "t.py::flaky": ["failed", "passed", "failed"],  # not in the batch: passed somewhere
        "t.py::once": ["failed", None, None],  # one run says too little
    }
    asked: list[list[str]] = []

    def run_many(tests: Any) -> dict[str, str]:
        asked.append(list(tests))
        return {"t.py::real": "failed", "t.py::polluted": "passed"}

    settled = batch_consistent(list(matrix), matrix, run_many)
    assert asked == [["t.py::real", "t.py::polluted"]]  # one process for both
    assert {n: (e.kind, e.reruns) for n, e in settled.items()} == {"t.py::real": ("consistent", 1)}

    def spent(tests: Any) -> dict[str, str]:
        raise BudgetSpent

    assert batch_consistent(list(matrix), matrix, spent) == {}  # each is then rerun alone


def test_a_process_removes_only_its_own_half_written_record(tmp_path: Path) -> None:
    # Two reruns side by side write their records in one folder: the first to end used to
    # remove every `.record-*.tmp` there, the other's record before it was moved into place
    # (that rerun then "stopped before reporting" and its suspect went unresolved).
    mine = tmp_path / ".record-rerun-1.json-ab12.tmp"  # as the recorder names them
    theirs = tmp_path / ".record-rerun-2.json-cd34.tmp"
    for tmp in (mine, theirs):
        tmp.write_text("{", encoding="utf-8")
    inv = Invocation("rerun 1", FILE, tmp_path / "rerun-1.json", tmp_path / "rerun-1.log")
    _remove_temporaries(inv)
    assert (mine.exists(), theirs.exists()) == (False, True)
