"""One phasegate run per project at a time: a second run exits 2 at once naming the holder,
writes nothing, and the lock dies with the process that held it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import write_files

from tasks.errors import LockedError
from tasks.lock import hold, lock_path

ROOT = Path(__file__).resolve().parents[1]

# A project whose one test says it started, then waits until the test suite releases it.
WAITING = {
    "pyproject.toml": """
        [tool.phasegate]
        venv = "none"
        runs = 1
        """,
    "pkg/__init__.py": "def one():\n    return 1\n",
    "tests/test_wait.py": """
        import pathlib
        import time

        from pkg import one

        ROOT = pathlib.Path(__file__).resolve().parent.parent


        def test_waits_to_be_released():
            (ROOT / "started").write_text("")
            deadline = time.monotonic() + 120
            while not (ROOT / "release").exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            assert one() == 1
        """,
}


def this_checkout() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def phasegate(project: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tasks", "--project", str(project), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=this_checkout(),
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def holder(project: Path) -> dict[str, object]:
    info: dict[str, object] = json.loads(lock_path(project).read_text())
    return info


def wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_a_second_process_exits_2_at_once_naming_the_holder_and_writes_nothing(
    tmp_path: Path,
) -> None:
    project = write_files(tmp_path / "proj", WAITING)
    with hold(project, "phasegate validate (held by the test)"):
        info = holder(project)
        before = snapshot(project)
        started = time.monotonic()
        done = phasegate(project, "run")
        out, err = done.communicate(timeout=60)
        elapsed = time.monotonic() - started
        assert snapshot(project) == before
    assert done.returncode == 2, out + err
    assert err == (
        f"phasegate: error: another phasegate run holds {lock_path(project)}: "
        f"pid {os.getpid()}, started {info['started']}, "
        "command: phasegate validate (held by the test); "
        "wait for it to end (or stop it), then rerun\n"
    )
    assert elapsed < 30  # at once: it never waits for the lock, nor runs a test
    assert not (project / "started").exists()


def test_a_running_validate_blocks_a_second_one_then_finishes_intact(tmp_path: Path) -> None:
    project = write_files(tmp_path / "proj", WAITING)
    first = phasegate(project, "validate")
    try:
        wait_for(project / "started", first)
        info = holder(project)
        assert info["pid"] == first.pid
        second = phasegate(project, "validate")
        _, err = second.communicate(timeout=60)
        assert second.returncode == 2
        assert err == (
            f"phasegate: error: another phasegate run holds {lock_path(project)}: "
            f"pid {first.pid}, started {info['started']}, "
            f"command: phasegate --project {project} validate; "
            "wait for it to end (or stop it), then rerun\n"
        )
    finally:
        (project / "release").write_text("")
        out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + err
    reports = project / ".phasegate" / "reports"
    assert json.loads((reports / "gates.json").read_text())["passed"] is True
    assert "status: passed" in (reports / "PHASE-SUMMARY.md").read_text()
    assert not list(project.rglob("*.tmp"))  # nothing left half-written
    assert lock_path(project).read_text() == ""  # an ended run is never named


def test_the_lock_dies_with_its_holder(tmp_path: Path) -> None:
    project = write_files(tmp_path / "proj", WAITING)
    first = phasegate(project, "run")
    wait_for(project / "started", first)
    with pytest.raises(LockedError), hold(project, "second"):  # held by `first`
        pass
    first.kill()  # no cleanup runs: the operating system releases the lock
    first.communicate(timeout=60)
    with hold(project, "third") as path:
        assert holder(project)["command"] == "third"
        assert path == project / ".phasegate" / "lock"
