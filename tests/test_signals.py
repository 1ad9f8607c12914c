"""SIGTERM and SIGINT stop phasegate and everything it started: no pytest process, no process
of the test, no background helper and no temporary file survives; the exit code is 130."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

Sample = Callable[[str], Path]


def survivors(pgid: int) -> list[int]:
    """The live processes of a process group. An orphan that was killed is a zombie until
    init reaps it, which some container inits never do: a zombie runs nothing. (Killed ones
    take a moment to become zombies: callers poll.)"""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return []
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def wait_for(predicate: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def journal_events(path: Path) -> list[dict[str, object]]:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    return [json.loads(line) for line in lines if line.endswith("}")]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_whole_group_and_exits_130(
    sample: Sample, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    project = sample("stuck")
    child_pid = project / "child.pid"
    monkeypatch.setenv("STUCK", "sleep")
    monkeypatch.setenv("STUCK_CHILD_PID", str(child_pid))
    phasegate = subprocess.Popen(
        [sys.executable, "-m", "tasks", "run"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    journal = project / ".phasegate/reports/run-record.journal.tmp"

    def stuck_started() -> bool:
        started = {e.get("nodeid") for e in journal_events(journal) if e["event"] == "start"}
        return "tests/test_stuck.py::test_stuck" in started and child_pid.is_file()

    wait_for(stuck_started, "the recorder's start of test_stuck")
    [session] = [e for e in journal_events(journal) if e["event"] == "session"]
    pytest_pid = int(str(session["pid"]))
    grandchild = int(child_pid.read_text())
    assert os.getpgid(grandchild) == pytest_pid  # pytest leads a group of its own

    phasegate.send_signal(signum)
    stdout, stderr = phasegate.communicate(timeout=30)
    assert phasegate.returncode == 130, stderr
    assert stdout.endswith("phasegate: interrupted\n")
    wait_for(lambda: survivors(pytest_pid) == [], "the group to be gone", timeout=5)
    assert not list(project.rglob("*.tmp"))
    assert not (project / ".phasegate/reports/run.json").exists()


def test_a_background_helper_is_stopped_and_cleaned_when_phasegate_exits(tmp_path: Path) -> None:
    marker = tmp_path / "cleaned"
    script = f"""
import sys
from pathlib import Path
from tasks import processes
pid = processes.spawn_background(
    [sys.executable, "-c", "import time; time.sleep(3600)"],
    Path({str(tmp_path / "helper.log")!r}),
    processes.helper_env(),
    lambda: Path({str(marker)!r}).write_text("partial files removed"),
)
print(pid, flush=True)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True
    )
    wait_for(lambda: survivors(int(done.stdout)) == [], "the helper to be gone", timeout=5)
    assert marker.read_text() == "partial files removed"
